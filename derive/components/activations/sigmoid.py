"""The logistic sigmoid, nn.Sigmoid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import sympy as sp

from ...expressions import one_minus, product, total
from .base import ACTIVATIONS, Activation, Ops, safe_exp


@ACTIVATIONS.add
@dataclass(frozen=True)
class Sigmoid(Activation):
    """The logistic sigmoid 1/(1 + e^-z), nn.Sigmoid."""

    name: ClassVar[str] = "sigmoid"
    latex_name: ClassVar[str] = r"\sigma"
    messages: ClassVar[dict[str, str]] = {"words": "the logistic sigmoid"}
    torch_modules = ("Sigmoid",)
    torch_functions = ("sigmoid",)
    torch_methods = ("sigmoid",)

    def expression(self, z: sp.Symbol) -> sp.Expr:
        # Built unevaluated, node for node what 1 / (1 + exp(-z)) evaluates to: SymPy's first evaluated
        # sum imports sympy.tensor, a fifth of the time the seed's document takes beyond importing SymPy.
        return sp.Pow(total([sp.Integer(1), sp.exp(-z)]), -1, evaluate=False)

    def derivative(self, z: sp.Symbol, a: sp.Symbol) -> sp.Expr:
        return product(a, one_minus(a))

    def exact_value(self, z: Any, ops: Ops) -> Any:
        return 1 / (1 + ops.mp.exp(-ops.mpf(z)))

    def float_value(self, z: float) -> float:
        return 1 / (1 + safe_exp(-z))

    def exact_slope(self, z: Any, a: Any, ops: Ops) -> Any:
        e = ops.mp.exp(-ops.mpf(z))  # e^-z / (1 + e^-z)^2 keeps its digits where 1 - a rounds to 0
        return e / (1 + e) ** 2

    def float_slope(self, z: float, a: float) -> float:
        return a * (1 - a)

    def torch(self, z: Any) -> Any:
        import torch

        return torch.sigmoid(z)
