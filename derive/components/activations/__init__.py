"""Activation functions: one file each beside this one, registered when the package is imported."""

from ..base import discover
from .base import ACTIVATIONS, Activation

discover(__name__, __path__)

__all__ = ["ACTIVATIONS", "Activation"]
