"""GELU, nn.GELU: the exact erf form and the tanh approximation."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import sympy as sp

from ...text.message import Msg, owned
from ..base import Setting
from ...expressions import rational
from .base import ACTIVATIONS, Activation, Ops

def _unevaluated_half(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(sp.Rational(1, 2), *factors, evaluate=False)


def _over_root_two(z: sp.Expr) -> sp.Expr:
    return sp.Mul(z, sp.Pow(sp.sqrt(2), -1, evaluate=False), evaluate=False)


GELU_KAPPA = Fraction(44715, 10**6)  # the cubic coefficient of GELU's tanh approximation

@ACTIVATIONS.add
@dataclass(frozen=True)
class GELU(Activation):
    """z times the standard normal distribution function of z, nn.GELU (exact erf form, or its tanh approximation)."""

    name: ClassVar[str] = "gelu"
    latex_name: ClassVar[str] = r"\operatorname{GELU}"
    settings = (Setting("approximate", "none", "none or tanh", kind="choice", choices=("none", "tanh")),)
    messages: ClassVar[dict[str, str]] = {
        "words": "the Gaussian error linear unit (the input times the standard normal distribution function at the input)",
        "words_tanh": "the Gaussian error linear unit in its tanh approximation",
    }
    torch_modules = ("GELU",)
    torch_functions = ("gelu",)
    torch_arguments = ("approximate",)
    approximate: str = "none"

    def words(self) -> Msg:
        return owned(self, "words_tanh" if self.approximate == "tanh" else "words")

    def expression(self, z: sp.Symbol) -> sp.Expr:
        if self.approximate == "tanh":
            inner = sp.Mul(
                sp.sqrt(sp.Mul(2, sp.Pow(sp.pi, -1, evaluate=False), evaluate=False), evaluate=False),
                sp.Add(z, sp.Mul(rational(GELU_KAPPA), sp.Pow(z, 3, evaluate=False), evaluate=False), evaluate=False),
                evaluate=False,
            )
            return _unevaluated_half(z, sp.Add(1, sp.tanh(inner, evaluate=False), evaluate=False))
        return _unevaluated_half(z, sp.Add(1, sp.erf(_over_root_two(z), evaluate=False), evaluate=False))

    def derivative(self, z: sp.Symbol, a: sp.Symbol) -> sp.Expr:
        if self.approximate == "tanh":
            return sp.diff(self.expression(z), z)
        cdf = _unevaluated_half(sp.Add(1, sp.erf(_over_root_two(z), evaluate=False), evaluate=False))
        density = sp.Mul(
            z,
            sp.exp(sp.Mul(-1, sp.Pow(z, 2, evaluate=False), sp.Pow(2, -1, evaluate=False), evaluate=False), evaluate=False),
            sp.Pow(sp.Pow(sp.Mul(2, sp.pi, evaluate=False), sp.Rational(1, 2), evaluate=False), -1, evaluate=False),
            evaluate=False,
        )
        return sp.Add(cdf, density, evaluate=False)

    # The exact forms use erfc and e^(-2u) so that they keep their digits far below 0, where
    # 1 + erf and 1 + tanh cancel.
    def exact_value(self, z: Any, ops: Ops) -> Any:
        mp, x = ops.mp, ops.mpf(z)
        if self.approximate == "tanh":
            return x / (1 + mp.exp(-2 * self._inner(x, ops)))
        return x * mp.erfc(-x / mp.sqrt(2)) / 2

    @staticmethod
    def _inner(x: Any, ops: Ops) -> Any:
        return ops.mp.sqrt(2 / ops.mp.pi) * (x + ops.mpf(GELU_KAPPA) * x**3)

    def float_value(self, z: float) -> float:
        if self.approximate == "tanh":  # PyTorch's kernel, operation for operation
            inner = math.sqrt(2) * (2 / math.sqrt(math.pi)) * 0.5 * (z + float(GELU_KAPPA) * z * z * z)
            return 0.5 * z * (1 + math.tanh(inner))
        return 0.5 * z * (1 + math.erf(z * math.sqrt(0.5)))

    def exact_slope(self, z: Any, a: Any, ops: Ops) -> Any:
        mp, x = ops.mp, ops.mpf(z)
        if self.approximate == "tanh":
            e = mp.exp(-2 * self._inner(x, ops))
            root, kappa = mp.sqrt(2 / mp.pi), ops.mpf(GELU_KAPPA)
            return 1 / (1 + e) + x * 2 * e / (1 + e) ** 2 * root * (1 + 3 * kappa * x**2)
        return mp.erfc(-x / mp.sqrt(2)) / 2 + x * mp.exp(-x**2 / 2) / mp.sqrt(2 * mp.pi)

    def float_slope(self, z: float, a: float) -> float:
        if self.approximate == "tanh":
            beta = math.sqrt(2) * (2 / math.sqrt(math.pi)) * 0.5
            kappa = float(GELU_KAPPA)
            t = math.tanh(beta * (z + kappa * z * z * z))
            return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * beta * (1 + 3 * kappa * z * z)
        cdf = 0.5 * (1 + math.erf(z * math.sqrt(0.5)))
        pdf = math.exp(-0.5 * z * z) * (2 / math.sqrt(math.pi)) * math.sqrt(0.5) * 0.5
        return cdf + z * pdf

    def torch(self, z: Any) -> Any:
        import torch.nn.functional as F

        return F.gelu(z, approximate=self.approximate)
