"""Built-in trainers: gradient descent (with any provider) and the gradient-free ones."""

from . import genetic  # noqa: F401  (registers the "genetic" trainer)
from .base import BatchedTrainer, Trainer
from .gradient_descent import GradientDescent, gradient_descent

__all__ = ["GradientDescent", "gradient_descent", "Trainer", "BatchedTrainer"]
