"""Built-in trainers: gradient descent (with any provider) and the others (genetic, scipy.optimize, CMA-ES)."""

from . import (
    cma_es,  # noqa: F401  (registers "cma_es"; pycma is imported when the trainer is built)
    genetic,  # noqa: F401  (registers the "genetic" trainer)
    scipy_minimize,  # noqa: F401  (registers "lbfgsb", "bfgs", "cg", "nelder_mead", "powell")
)
from .base import BatchedTrainer, Trainer
from .gradient_descent import GradientDescent, gradient_descent

__all__ = ["GradientDescent", "gradient_descent", "Trainer", "BatchedTrainer"]
