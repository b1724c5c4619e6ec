"""Leaky ReLU, nn.LeakyReLU."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import sympy as sp

from ..base import Setting
from ...expressions import rational
from .base import ACTIVATIONS, PiecewiseLinear


@ACTIVATIONS.add
@dataclass(frozen=True)
class LeakyReLU(PiecewiseLinear):
    """z above 0, negative_slope * z below, nn.LeakyReLU."""

    name: ClassVar[str] = "leaky_relu"
    latex_name: ClassVar[str] = r"\operatorname{LeakyReLU}"
    settings = (Setting("negative_slope", Fraction(1, 100)),)
    messages: ClassVar[dict[str, str]] = {
        "words": "leaky ReLU",
        "kink": "Its net input is exactly 0, where the derivative is undefined; PyTorch uses the negative "
        "slope there, and so does this derivation.",
    }
    torch_modules = ("LeakyReLU",)
    torch_functions = ("leaky_relu",)
    torch_arguments = ("negative_slope",)
    negative_slope: Fraction = Fraction(1, 100)

    def below(self) -> Fraction:
        return self.negative_slope

    def written(self, z: sp.Symbol) -> sp.Expr:
        if self.negative_slope <= 1:
            return sp.Max(sp.Mul(rational(self.negative_slope), z, evaluate=False), z, evaluate=False)
        return self.expression(z)

    def torch(self, z: Any) -> Any:
        import torch.nn.functional as F

        return F.leaky_relu(z, negative_slope=float(self.negative_slope))
