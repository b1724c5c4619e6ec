"""What every activation is: f(z) with its SymPy definition, numeric forms, PyTorch twin and display; the registry."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, ClassVar

import sympy as sp

from ...expressions import rational
from ...text.message import Msg, owned
from ..base import Ops, Registry, Component

ACTIVATIONS: Registry["Activation"] = Registry("activation")


def safe_exp(x: float) -> float:
    """math.exp that overflows to infinity instead of raising, so 1/(1 + e^800) is 0.0 as in PyTorch."""
    return math.exp(x) if x < 709.0 else math.inf


class Activation(Component):
    """f(z) applied to a neuron's net input z; the document writes a = f(z) and f'(z).

    Subclasses give the SymPy definition (``expression``), how the document writes it out
    (``written``) and its derivative's usual closed form in z and a = f(z) (``derivative``; tests
    check it against ``sympy.diff``), the value and slope in both arithmetics, and the PyTorch
    function, module and call names it matches when a module is read.
    """

    latex_name: ClassVar[str]
    trivial: ClassVar[bool] = False  # f(z) = z: the forward pass writes only f(net), a module may skip it
    torch_modules: ClassVar[tuple[str, ...]] = ()  # torch.nn classes
    torch_functions: ClassVar[tuple[str, ...]] = ()  # functions in torch and torch.nn.functional
    torch_methods: ClassVar[tuple[str, ...]] = ()  # Tensor methods
    torch_arguments: ClassVar[tuple[str, ...]] = ()  # settings passed after the input, in order

    def expression(self, z: sp.Symbol) -> sp.Expr:
        """f(z) as SymPy."""
        raise NotImplementedError

    def written(self, z: sp.Symbol) -> sp.Expr:
        """f(z) as the forward pass writes it out."""
        return self.expression(z)

    def derivative(self, z: sp.Symbol, a: sp.Symbol) -> sp.Expr:
        """f'(z) in its textbook closed form, written with a = f(z) where that is usual."""
        raise NotImplementedError

    def value(self, z: Any, ops: Ops) -> Any:
        """f(z) in the arithmetic of ``ops``."""
        return self.exact_value(z, ops) if ops.exact else self.float_value(z)

    def slope(self, z: Any, a: Any, ops: Ops) -> Any:
        """f'(z), given a = f(z), in the arithmetic of ``ops``."""
        return self.exact_slope(z, a, ops) if ops.exact else self.float_slope(z, a)

    def exact_value(self, z: Any, ops: Ops) -> Any:
        """f(z) exactly, or at the exact arithmetic's precision."""
        raise NotImplementedError

    def float_value(self, z: float) -> float:
        """f(z) in float64."""
        raise NotImplementedError

    def exact_slope(self, z: Any, a: Any, ops: Ops) -> Any:
        """f'(z) exactly, or at the exact arithmetic's precision, in a form that keeps its digits."""
        raise NotImplementedError

    def float_slope(self, z: float, a: float) -> float:
        """f'(z) in float64, from the closed form in a where that cannot overflow."""
        raise NotImplementedError

    def torch(self, z: Any) -> Any:
        """f applied to a tensor, as PyTorch computes it."""
        raise NotImplementedError

    def note(self, z: Any) -> Msg | None:
        """A remark the backward pass makes about a neuron with net input z (a kink, a threshold), or None."""
        return None


class PiecewiseLinear(Activation):
    """z above 0, slope * z below: exact values stay exact; at 0 PyTorch's derivative is the left one."""


    def below(self) -> Fraction:
        """The slope left of 0."""
        raise NotImplementedError

    def expression(self, z: sp.Symbol) -> sp.Expr:
        return sp.Piecewise((z, z > 0), (rational(self.below()) * z, True))

    def derivative(self, z: sp.Symbol, a: sp.Symbol) -> sp.Expr:
        return sp.Piecewise((1, z > 0), (rational(self.below()), True))

    def note(self, z: Any) -> Msg | None:
        return owned(self, "kink") if z == 0 else None

    def exact_value(self, z: Any, ops: Ops) -> Any:
        if z > 0:
            return z
        below = self.below()
        if isinstance(z, Fraction):
            return below * z
        return ops.mpf(below) * z

    def float_value(self, z: float) -> float:
        return z if z > 0 else float(self.below()) * z

    def exact_slope(self, z: Any, a: Any, ops: Ops) -> Any:
        return Fraction(1) if z > 0 else self.below()

    def float_slope(self, z: float, a: float) -> float:
        return 1.0 if z > 0 else float(self.below())
