"""Loss functions: each elementwise term is defined once as a SymPy expression; cross-entropy via softmax."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache
from typing import Callable

import sympy as sp

OUT = sp.Symbol("a", real=True)
TARGET = sp.Symbol("y", real=True)
BCE_LOG_FLOOR = -100  # nn.BCELoss clamps each log at -100
# nn.BCELoss's backward divides by max(a(1 - a), EPSILON), where EPSILON is the float32 nearest 1e-12
# (9.999999960041972e-13); this is its exact value.
BCE_EPSILON = sp.Rational(float(struct.unpack("f", struct.pack("f", 1e-12))[0]))


@dataclass(frozen=True)
class Loss:
    """E = scale * (sum of term(a, y) over the batch and the outputs)."""

    name: str
    term: sp.Expr | None  # None for cross_entropy, which is not elementwise
    mean: bool  # scale is 1/(batch * outputs) when True, else 1 (cross_entropy: 1/batch)
    description: str
    # PyTorch's own backward formula where it differs from the plain derivative at the edges;
    # tests check it equals sympy.diff(term, OUT) wherever no clamp applies.
    torch_derivative: sp.Expr | None = None


LOSSES: dict[str, Loss] = {
    "half_sse": Loss(
        "half_sse",
        sp.Rational(1, 2) * (TARGET - OUT) ** 2,
        False,
        "half the sum of squared errors over the batch and the outputs",
    ),
    "sse": Loss("sse", (TARGET - OUT) ** 2, False, "the sum of squared errors over the batch and the outputs"),
    "mse": Loss("mse", (TARGET - OUT) ** 2, True, "the mean of the squared errors over all elements (nn.MSELoss)"),
    "bce": Loss(
        "bce",
        -(TARGET * sp.log(OUT) + (1 - TARGET) * sp.log(1 - OUT)),
        True,
        "the mean binary cross-entropy over all elements (nn.BCELoss)",
        (OUT - TARGET) / sp.Max(OUT * (1 - OUT), BCE_EPSILON),
    ),
    "cross_entropy": Loss(
        "cross_entropy",
        None,
        True,
        "the cross-entropy of the softmax of the last layer's output, averaged over the batch (nn.CrossEntropyLoss)",
    ),
}


def loss(name: str) -> Loss:
    """The loss called ``name``."""
    return LOSSES[name]


@cache
def term_derivative(name: str) -> sp.Expr:
    """d term / d a, as SymPy differentiates the term."""
    return sp.diff(LOSSES[name].term, OUT)


def _clamped_log(module: str) -> Callable:
    import math

    import mpmath

    if module == "math":
        return lambda x: max(math.log(x), BCE_LOG_FLOOR) if x > 0 else float(BCE_LOG_FLOOR)
    return lambda x: max(mpmath.log(x), BCE_LOG_FLOOR) if x > 0 else mpmath.mpf(BCE_LOG_FLOOR)


@cache
def numeric_term(name: str, module: str) -> Callable:
    """term(a, y) for a lambdify module, with nn.BCELoss's clamped log for bce."""
    modules = [{"log": _clamped_log(module)}, module] if name == "bce" else module
    return sp.lambdify((OUT, TARGET), LOSSES[name].term, modules)


@cache
def numeric_term_derivative(name: str, module: str) -> Callable:
    """d term / d a for a lambdify module: SymPy's diff, or PyTorch's clamped formula for bce."""
    spec = LOSSES[name]
    expression = spec.torch_derivative if spec.torch_derivative is not None else term_derivative(name)
    return sp.lambdify((OUT, TARGET), expression, module)


BCE_EPSILON_FLOAT = float(BCE_EPSILON)


def bce_is_clamped(a, y) -> bool:
    """True where nn.BCELoss's clamps change the value or the gradient at output a."""
    return a * (1 - a) < BCE_EPSILON_FLOAT
