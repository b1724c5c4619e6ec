"""Activations, losses and optimizers: one object each, found by name in a registry."""

from .activations import ACTIVATIONS, Activation
from .base import Component, Registry, Setting
from .losses import LOSSES, Loss
from .optimizers import OPTIMIZERS, Optimizer

__all__ = ["ACTIVATIONS", "LOSSES", "OPTIMIZERS", "Activation", "Component", "Loss", "Optimizer", "Registry", "Setting"]
