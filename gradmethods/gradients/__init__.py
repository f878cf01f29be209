"""Built-in gradient providers, one per module; importing this package registers them."""

from . import backprop, complex_step, dual, fd_central, fd_forward, fd_richardson  # noqa: F401
from .base import GradientProvider, ProviderBase

__all__ = ["GradientProvider", "ProviderBase"]
