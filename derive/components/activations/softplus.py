"""Softplus, nn.Softplus, with its beta and threshold."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import sympy as sp

from ...expressions import rational
from ...text.message import Msg, Plain, owned
from ..base import Setting
from .base import ACTIVATIONS, Activation, Ops, safe_exp


def rational_value(x: Any) -> Fraction:
    """The exact rational value of a Fraction, int, float or mpmath float (for comparisons that must not round)."""
    if isinstance(x, (Fraction, int, float)):
        return Fraction(x)
    mantissa, exponent = x.man_exp
    return Fraction(-mantissa if x < 0 else mantissa) * Fraction(2) ** exponent  # man_exp drops the sign

@ACTIVATIONS.add
@dataclass(frozen=True)
class Softplus(Activation):
    """(1/beta) log(1 + e^(beta z)), and z itself where beta z passes the threshold, nn.Softplus."""

    name: ClassVar[str] = "softplus"
    latex_name: ClassVar[str] = r"\operatorname{softplus}"
    settings = (
        Setting("beta", Fraction(1), "a number greater than 0", lambda x: x > 0),
        Setting("threshold", Fraction(20)),
    )
    messages: ClassVar[dict[str, str]] = {
        "words": "softplus with beta {beta} and threshold {threshold}",
        "linear": "Its net input times beta is above the threshold {threshold}, where PyTorch's softplus is the net "
        "input itself, with slope 1; so is this derivation.",
    }
    torch_modules = ("Softplus",)
    torch_functions = ("softplus",)
    torch_arguments = ("beta", "threshold")
    beta: Fraction = Fraction(1)
    threshold: Fraction = Fraction(20)

    def words(self) -> Msg:
        return owned(self, "words", beta=Plain(self.beta), threshold=Plain(self.threshold))

    def _linear(self, z: Any) -> bool:
        return self.beta * rational_value(z) > self.threshold

    def expression(self, z: sp.Symbol) -> sp.Expr:
        beta = rational(self.beta)
        smooth = sp.log(1 + sp.exp(beta * z)) / beta
        return sp.Piecewise((z, beta * z > rational(self.threshold)), (smooth, True))

    def derivative(self, z: sp.Symbol, a: sp.Symbol) -> sp.Expr:
        beta = rational(self.beta)
        return sp.Piecewise((1, beta * z > rational(self.threshold)), (1 / (1 + sp.exp(-beta * z)), True))

    def note(self, z: Any) -> Msg | None:
        return owned(self, "linear", threshold=Plain(self.threshold)) if self._linear(z) else None

    def exact_value(self, z: Any, ops: Ops) -> Any:
        if self._linear(z):
            return z
        beta = ops.mpf(self.beta)
        return ops.mp.log1p(ops.mp.exp(beta * ops.mpf(z))) / beta

    def float_value(self, z: float) -> float:
        beta = float(self.beta)
        if z * beta > float(self.threshold):
            return z
        return math.log1p(safe_exp(z * beta)) / beta

    def exact_slope(self, z: Any, a: Any, ops: Ops) -> Any:
        if self._linear(z):
            return Fraction(1)
        return 1 / (1 + ops.mp.exp(-ops.mpf(self.beta) * ops.mpf(z)))

    def float_slope(self, z: float, a: float) -> float:
        beta = float(self.beta)
        if z * beta > float(self.threshold):
            return 1.0
        e = safe_exp(z * beta)  # PyTorch's backward: e / (e + 1)
        return 1.0 if e == math.inf else e / (e + 1)

    def torch(self, z: Any) -> Any:
        import torch.nn.functional as F

        return F.softplus(z, beta=float(self.beta), threshold=float(self.threshold))
