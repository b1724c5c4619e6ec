"""The Huber loss, nn.HuberLoss: half the squared error near the target, linear beyond delta."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import sympy as sp

from ...expressions import rational
from ...text.message import Msg, Plain, owned
from ..base import Ops, Setting
from .base import LOSSES, Loss


@LOSSES.add
@dataclass(frozen=True)
class Huber(Loss):
    """Per element: (a - y)^2 / 2 where |a - y| < delta, else delta (|a - y| - delta / 2); the mean over all elements."""

    name: ClassVar[str] = "huber"
    torch_module = "HuberLoss"
    settings = (Setting("delta", Fraction(1), "a number greater than 0", lambda x: x > 0),)
    messages: ClassVar[dict[str, str]] = {
        "words": "the mean Huber loss over all elements with delta {delta} (nn.HuberLoss): half the squared error "
        "where an output is within delta of its target, and linear beyond",
        "linear": "An output is {delta} or more away from its target, so its term is on the linear part of the "
        "Huber loss, and its slope is delta times the sign of the error.",
    }
    delta: Fraction = Fraction(1)

    def words(self) -> Msg:
        return owned(self, "words", delta=Plain(self.delta))

    def _quadratic(self, a: Any, y: Any) -> bool:
        # Compared in float64, as PyTorch does: at |a - y| = delta both parts give the same term and slope.
        return abs(float(a) - float(y)) < float(self.delta)

    def term(self, a: sp.Symbol, y: sp.Symbol) -> sp.Expr:
        delta = rational(self.delta)
        return sp.Piecewise((self._square(a, y), sp.Abs(y - a) < delta), (self._line(a, y), True))

    def _square(self, a: sp.Symbol, y: sp.Symbol) -> sp.Expr:
        return sp.Rational(1, 2) * (y - a) ** 2

    def _line(self, a: sp.Symbol, y: sp.Symbol) -> sp.Expr:
        delta = rational(self.delta)
        linear = sp.Add(sp.Abs(y - a), -delta / 2, evaluate=False)
        return linear if delta == 1 else sp.Mul(delta, linear, evaluate=False)

    def term_shown(self, a: sp.Symbol, y: sp.Symbol, a_value: Any, y_value: Any) -> sp.Expr:
        return self._square(a, y) if self._quadratic(a_value, y_value) else self._line(a, y)

    def derivative_shown(self, a: sp.Symbol, y: sp.Symbol, a_value: Any, y_value: Any) -> sp.Expr:
        if self._quadratic(a_value, y_value):
            return sp.diff(self._square(a, y), a)
        sign = sp.sign(a - y)
        delta = rational(self.delta)
        return sign if delta == 1 else sp.Mul(delta, sign, evaluate=False)

    def note(self, outputs: list, targets: list) -> Msg | None:
        if all(self._quadratic(a, y) for a, y in zip(outputs, targets)):
            return None
        return owned(self, "linear", delta=Plain(self.delta))

    def exact_term(self, a: Any, y: Any, ops: Ops) -> Any:
        error = abs(ops.sub(a, y))  # exact while the output is exact
        if error < self.delta:
            return ops.mul(Fraction(1, 2), ops.mul(error, error))
        return ops.mul(self.delta, ops.sub(error, self.delta / 2))

    def float_term(self, a: float, y: float) -> float:
        error, delta = abs(a - y), float(self.delta)  # PyTorch's kernel
        return 0.5 * error * error if error < delta else delta * (error - 0.5 * delta)

    def exact_slope(self, a: Any, y: Any, ops: Ops) -> Any:
        error = ops.sub(a, y)
        if error < -self.delta:
            return -self.delta  # on the linear part the slope is delta itself, exactly
        return self.delta if error > self.delta else error

    def float_slope(self, a: float, y: float) -> float:
        error, delta = a - y, float(self.delta)
        return -delta if error < -delta else (delta if error > delta else error)

    def torch(self, output: Any, target: Any) -> Any:
        import torch.nn.functional as F

        return F.huber_loss(output, target, delta=float(self.delta))
