"""What every loss is: its terms over outputs and targets, numeric forms, PyTorch twin and display; the registry."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any, ClassVar

import sympy as sp

from ...expressions import scaled, subtract
from ...text.message import Msg
from ..base import Component, Ops, Registry

LOSSES: Registry["Loss"] = Registry("loss", "losses")


@dataclass(frozen=True)
class SampleLoss:
    """One sample's loss terms, dE/d(output) with the scale applied, and the softmax if any."""

    terms: list
    output_gradient: list
    softmax: list


class Loss(Component):
    """A loss over the network's outputs a and the targets y.

    Elementwise losses give ``term(a, y)``; the document shows each term and its derivative, and
    the numbers come from ``exact_term``/``float_term`` and their slopes.
    """

    torch_module: ClassVar[str] = ""  # the torch.nn loss class it equals, if any
    mean: ClassVar[bool] = True  # scale 1/(batch x outputs); False: a plain sum
    probabilities: ClassVar[bool] = False  # targets (and outputs) are probabilities from 0 to 1
    class_indices: ClassVar[bool] = False  # targets may be class indices
    uses_softmax: ClassVar[bool] = False  # the terms are of the softmax p of the outputs, not of the outputs
    targets: ClassVar[bool] = True  # False: the loss reads no targets (the spec gives none)

    def scale(self, batch: int, outputs: int) -> Fraction:
        """The factor in front of the summed terms."""
        return Fraction(1, batch * outputs) if self.mean else Fraction(1)

    def term(self, a: sp.Symbol, y: sp.Symbol) -> sp.Expr:
        """One output's term of the loss, as SymPy."""
        raise NotImplementedError

    def term_shown(self, a: sp.Symbol, y: sp.Symbol, a_value: Any, y_value: Any) -> sp.Expr:
        """The term as the document writes it for these values (a piecewise loss shows its branch)."""
        return self.term(a, y)

    def derivative_shown(self, a: sp.Symbol, y: sp.Symbol, a_value: Any, y_value: Any) -> sp.Expr:
        """d term / d a as the document writes it for these values: SymPy's diff of the term."""
        generic_a, generic_y, derivative = self._derivative
        return derivative.xreplace({generic_a: a, generic_y: y})

    @cached_property
    def _derivative(self) -> tuple[sp.Symbol, sp.Symbol, sp.Expr]:
        # Differentiated once per loss object (once per network), then written for each output.
        a, y = sp.Dummy("a", real=True), sp.Dummy("y", real=True)
        return a, y, sp.diff(self.term(a, y), a)

    def sample(self, outputs: list, targets: list, scale: Any, ops: Ops) -> SampleLoss:
        """The terms and the scaled output gradient of one sample."""
        if ops.exact:
            terms = [self.exact_term(a, y, ops) for a, y in zip(outputs, targets)]
            slopes = [self.exact_slope(a, y, ops) for a, y in zip(outputs, targets)]
        else:
            terms = [self.float_term(a, y) for a, y in zip(outputs, targets)]
            slopes = [self.float_slope(a, y) for a, y in zip(outputs, targets)]
        return SampleLoss(terms, [ops.mul(scale, slope) for slope in slopes], [])

    def check_outputs(self, outputs: list) -> int | None:
        """The index of an output this loss cannot take, or None."""
        return None

    def note(self, outputs: list, targets: list) -> Msg | None:
        """A remark the outputs and targets call for (a clamp that applies), or None."""
        return None

    def exact_term(self, a: Any, y: Any, ops: Ops) -> Any:
        """term(a, y) at the exact arithmetic's precision."""
        raise NotImplementedError

    def float_term(self, a: float, y: float) -> float:
        """term(a, y) in float64."""
        raise NotImplementedError

    def exact_slope(self, a: Any, y: Any, ops: Ops) -> Any:
        """d term / d a at the exact arithmetic's precision."""
        raise NotImplementedError

    def float_slope(self, a: float, y: float) -> float:
        """d term / d a in float64."""
        raise NotImplementedError

    def torch(self, output: Any, target: Any) -> Any:
        """The loss of a batch as PyTorch computes it."""
        raise NotImplementedError


class Squared(Loss):
    """(y - a)^2 per term, times ``factor``."""

    factor: ClassVar[Fraction] = Fraction(1)

    def term(self, a: sp.Symbol, y: sp.Symbol) -> sp.Expr:
        square = sp.Pow(subtract(y, a), 2, evaluate=False)  # unevaluated: see Sigmoid.expression
        return square if self.factor == 1 else sp.Rational(self.factor.numerator, self.factor.denominator) * square

    def derivative_shown(self, a: sp.Symbol, y: sp.Symbol, a_value: Any, y_value: Any) -> sp.Expr:
        """2 factor (a - y), as a textbook writes it (SymPy's diff gives -2y + 2a)."""
        return scaled(2 * self.factor, subtract(a, y))

    def exact_term(self, a: Any, y: Any, ops: Ops) -> Any:
        error = ops.sub(y, a)  # exact while the output is exact (an identity or ReLU output layer)
        return ops.mul(self.factor, ops.mul(error, error))

    def float_term(self, a: float, y: float) -> float:
        return float(self.factor) * (-a + y) ** 2

    def exact_slope(self, a: Any, y: Any, ops: Ops) -> Any:
        return ops.mul(2 * self.factor, ops.sub(a, y))

    def float_slope(self, a: float, y: float) -> float:
        return a - y if self.factor * 2 == 1 else 2 * a - 2 * y
