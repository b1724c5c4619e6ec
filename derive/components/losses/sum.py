"""The sum of the outputs, y.sum() in PyTorch: the loss of "differentiate the output itself" exercises."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import sympy as sp

from ..base import Ops
from .base import LOSSES, Loss


@LOSSES.add
@dataclass(frozen=True)
class Sum(Loss):
    """E = the sum of every output over the batch, as ``y.sum().backward()``; it takes no targets."""

    name: ClassVar[str] = "sum"
    mean = False
    targets = False
    messages: ClassVar[dict[str, str]] = {
        "words": "the sum of the outputs over the batch, as y.sum() in PyTorch (there are no targets: each "
        "output's own gradient is 1)",
    }

    def term(self, a: sp.Symbol, y: sp.Symbol) -> sp.Expr:
        return a

    def derivative_shown(self, a: sp.Symbol, y: sp.Symbol, a_value: Any, y_value: Any) -> sp.Expr:
        return sp.Integer(1)

    def exact_term(self, a: Any, y: Any, ops: Ops) -> Any:
        return a

    def float_term(self, a: float, y: float) -> float:
        return a

    def exact_slope(self, a: Any, y: Any, ops: Ops) -> Any:
        return Fraction(1)

    def float_slope(self, a: float, y: float) -> float:
        return 1.0

    def torch(self, output: Any, target: Any) -> Any:
        return output.sum()
