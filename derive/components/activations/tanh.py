"""The hyperbolic tangent, nn.Tanh."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy as sp

from .base import ACTIVATIONS, Activation, Ops


@ACTIVATIONS.add
@dataclass(frozen=True)
class Tanh(Activation):
    """The hyperbolic tangent, nn.Tanh."""

    name: ClassVar[str] = "tanh"
    latex_name: ClassVar[str] = r"\tanh"
    messages: ClassVar[dict[str, str]] = {"words": "the hyperbolic tangent"}
    torch_modules = ("Tanh",)
    torch_functions = ("tanh",)
    torch_methods = ("tanh",)

    def expression(self, z: sp.Symbol) -> sp.Expr:
        return sp.tanh(z)

    def derivative(self, z: sp.Symbol, a: sp.Symbol) -> sp.Expr:
        return 1 - a**2

    def exact_value(self, z: Any, ops: Ops) -> Any:
        return ops.mp.tanh(ops.mpf(z))

    def float_value(self, z: float) -> float:
        return math.tanh(z)

    def exact_slope(self, z: Any, a: Any, ops: Ops) -> Any:
        return ops.mp.cosh(ops.mpf(z)) ** (-2)  # 1 - tanh^2 would cancel to 0 beyond |z| of about 58

    def float_slope(self, z: float, a: float) -> float:
        return 1 - a**2

    def torch(self, z: Any) -> Any:
        import torch

        return torch.tanh(z)
