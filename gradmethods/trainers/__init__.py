"""Built-in trainers: gradient descent (with any provider) and the gradient-free ones."""

from .gradient_descent import gradient_descent

__all__ = ["gradient_descent"]
