"""Activation functions, one object each: SymPy definition, numeric forms, PyTorch twin and display."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import sympy as sp

from ..text.message import Msg, owned
from .base import Component, Ops, Registry, Setting

ACTIVATIONS: Registry["Activation"] = Registry("activation")


def rational(value: Fraction) -> sp.Rational:
    """A Fraction as a SymPy rational."""
    return sp.Rational(value.numerator, value.denominator)


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
        return 1 / (1 + sp.exp(-z))

    def derivative(self, z: sp.Symbol, a: sp.Symbol) -> sp.Expr:
        return a * (1 - a)

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


class _PiecewiseLinear(Activation):
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


@ACTIVATIONS.add
@dataclass(frozen=True)
class ReLU(_PiecewiseLinear):
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


@ACTIVATIONS.add
@dataclass(frozen=True)
class LeakyReLU(_PiecewiseLinear):
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
