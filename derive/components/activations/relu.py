"""ReLU, nn.ReLU."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import sympy as sp

from .base import ACTIVATIONS, Ops, PiecewiseLinear


@ACTIVATIONS.add
@dataclass(frozen=True)
class ReLU(PiecewiseLinear):
    """max(0, z), nn.ReLU."""

    name: ClassVar[str] = "relu"
    latex_name: ClassVar[str] = r"\operatorname{ReLU}"
    messages: ClassVar[dict[str, str]] = {
        "words": "ReLU",
        "kink": "Its net input is exactly 0, where the derivative is undefined; PyTorch uses 0 there, "
        "and so does this derivation.",
    }
    torch_modules = ("ReLU",)
    torch_functions = ("relu",)
    torch_methods = ("relu",)

    def below(self) -> Fraction:
        return Fraction(0)

    def expression(self, z: sp.Symbol) -> sp.Expr:
        return sp.Piecewise((z, z > 0), (0, True))

    def written(self, z: sp.Symbol) -> sp.Expr:
        return sp.Max(0, z, evaluate=False)

    def exact_value(self, z: Any, ops: Ops) -> Any:
        return z if z > 0 else Fraction(0)

    def float_value(self, z: float) -> float:
        return z if z > 0 else 0.0

    def torch(self, z: Any) -> Any:
        import torch

        return torch.relu(z)
