"""Activation functions, each defined once as a SymPy expression of its input."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

Z = sp.Symbol("z", real=True)
SLOPE = sp.Symbol("s", positive=True)
OUT = sp.Symbol("a", real=True)


@dataclass(frozen=True)
class Activation:
    """An activation: its expression in ``Z`` and how the document writes it and its derivative."""

    name: str
    expression: sp.Expr
    latex_name: str
    # The textbook closed form of f'(z), written with OUT = f(z) where that is the usual form;
    # tests check it against sympy.diff(expression, Z).
    derivative_display: sp.Expr
    # A form of f'(z) that keeps its digits at large |z|, where SymPy's diff cancels
    # (1 - tanh(z)^2 is 1 - 1 at z = 60); tests check it equals the diff.
    stable_derivative: sp.Expr | None = None


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid", 1 / (1 + sp.exp(-Z)), r"\sigma", OUT * (1 - OUT)
    ),
    "tanh": Activation("tanh", sp.tanh(Z), r"\tanh", 1 - OUT**2, 1 / sp.cosh(Z) ** 2),
    "relu": Activation(
        "relu",
        sp.Piecewise((Z, Z > 0), (0, True)),
        r"\operatorname{ReLU}",
        sp.Piecewise((1, Z > 0), (0, True)),
    ),
    "leaky_relu": Activation(
        "leaky_relu",
        sp.Piecewise((Z, Z > 0), (SLOPE * Z, True)),
        r"\operatorname{LeakyReLU}",
        sp.Piecewise((1, Z > 0), (SLOPE, True)),
    ),
    "identity": Activation("identity", Z, r"\operatorname{id}", sp.Integer(1)),
}


def activation(name: str) -> Activation:
    """The activation called ``name``."""
    return ACTIVATIONS[name]


@cache
def derivative(name: str) -> sp.Expr:
    """f'(z) as SymPy differentiates the activation's expression."""
    return sp.diff(ACTIVATIONS[name].expression, Z)


def exact_derivative(name: str) -> sp.Expr:
    """The form of f'(z) evaluated at 50 digits: SymPy's diff, or an equal form that does not cancel."""
    stable = ACTIVATIONS[name].stable_derivative
    return stable if stable is not None else derivative(name)
