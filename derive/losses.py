"""Loss functions: each elementwise term is defined once as a SymPy expression."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Callable

import sympy as sp

OUT = sp.Symbol("a", real=True)
TARGET = sp.Symbol("y", real=True)


@dataclass(frozen=True)
class Loss:
    """E = scale * (sum of term(a, y) over the batch and the outputs)."""

    name: str
    term: sp.Expr
    mean: bool  # scale is 1/(batch * outputs) when True, else 1
    description: str


LOSSES: dict[str, Loss] = {
    "half_sse": Loss(
        "half_sse",
        sp.Rational(1, 2) * (TARGET - OUT) ** 2,
        False,
        "half the sum of squared errors over the batch and the outputs",
    ),
    "sse": Loss("sse", (TARGET - OUT) ** 2, False, "the sum of squared errors"),
    "mse": Loss(
        "mse", (TARGET - OUT) ** 2, True, "the mean of squared errors over all elements (nn.MSELoss)"
    ),
    "bce": Loss(
        "bce",
        -(TARGET * sp.log(OUT) + (1 - TARGET) * sp.log(1 - OUT)),
        True,
        "the mean binary cross-entropy over all elements (nn.BCELoss)",
    ),
}


def loss(name: str) -> Loss:
    """The elementwise loss called ``name``."""
    return LOSSES[name]


@cache
def term_derivative(name: str) -> sp.Expr:
    """d term / d a, as SymPy differentiates the term."""
    return sp.diff(LOSSES[name].term, OUT)


@cache
def numeric_term(name: str) -> Callable:
    """The term as an mpmath function of (a, y)."""
    return sp.lambdify((OUT, TARGET), LOSSES[name].term, "mpmath")


@cache
def numeric_term_derivative(name: str) -> Callable:
    """d term / d a as an mpmath function of (a, y)."""
    return sp.lambdify((OUT, TARGET), term_derivative(name), "mpmath")
