"""No activation, nn.Identity."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import sympy as sp

from .base import ACTIVATIONS, Activation, Ops


@ACTIVATIONS.add
@dataclass(frozen=True)
class Identity(Activation):
    """No activation: the output is the net input, nn.Identity."""

    name: ClassVar[str] = "identity"
    latex_name: ClassVar[str] = r"\operatorname{id}"
    trivial = True
    messages: ClassVar[dict[str, str]] = {
        "words": "the identity",
        "lead": "Activation: none (the identity); each output equals its net input.",
    }
    torch_modules = ("Identity",)

    def expression(self, z: sp.Symbol) -> sp.Expr:
        return z

    def derivative(self, z: sp.Symbol, a: sp.Symbol) -> sp.Expr:
        return sp.Integer(1)

    def exact_value(self, z: Any, ops: Ops) -> Any:
        return z

    def float_value(self, z: float) -> float:
        return z

    def exact_slope(self, z: Any, a: Any, ops: Ops) -> Any:
        return Fraction(1)

    def float_slope(self, z: float, a: float) -> float:
        return 1.0

    def torch(self, z: Any) -> Any:
        return z
