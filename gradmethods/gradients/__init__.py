"""Built-in gradient providers, one per module; importing this package registers them."""

from . import (  # noqa: F401
    backprop,
    complex_step,
    dual,
    es_gradient,
    fd_central,
    fd_forward,
    fd_richardson,
    forward_gradient,
    spsa,
)
from .base import GradientProvider, ProviderBase

__all__ = ["GradientProvider", "ProviderBase"]
