"""Training: ``gm.train``, gradient descent and the gradient-free trainers, update rules,
the compiled kernel, input optimization and the run result.

Builds on :mod:`gradmethods.core` and :mod:`gradmethods.gradients`.
"""

from .api import initial_params, train

__all__ = ["train", "initial_params"]
