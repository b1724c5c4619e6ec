"""Loss functions, one object each: SymPy definition, numeric forms, PyTorch twin and display.

A loss is E = scale * (sum of its terms over the batch and the outputs); ``scale`` is 1 for a sum
and 1/(number of terms) for a mean, as PyTorch's reductions are.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import sympy as sp

from ..text.message import Msg, owned
from .base import Component, Ops, Registry, Setting

LOSSES: Registry["Loss"] = Registry("loss")


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
        return sp.diff(self.term(a, y), a)

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


class _Squared(Loss):
    """(y - a)^2 per term, times ``factor``."""

    factor: ClassVar[Fraction] = Fraction(1)

    def term(self, a: sp.Symbol, y: sp.Symbol) -> sp.Expr:
        square = (y - a) ** 2
        return square if self.factor == 1 else sp.Rational(self.factor.numerator, self.factor.denominator) * square

    def exact_term(self, a: Any, y: Any, ops: Ops) -> Any:
        return ops.mpf(self.factor) * (-ops.mpf(a) + ops.mpf(y)) ** 2

    def float_term(self, a: float, y: float) -> float:
        return float(self.factor) * (-a + y) ** 2

    def exact_slope(self, a: Any, y: Any, ops: Ops) -> Any:
        a, y = ops.mpf(a), ops.mpf(y)
        return a - y if self.factor * 2 == 1 else 2 * a - 2 * y

    def float_slope(self, a: float, y: float) -> float:
        return a - y if self.factor * 2 == 1 else 2 * a - 2 * y


@LOSSES.add
@dataclass(frozen=True)
class HalfSSE(_Squared):
    """Half the sum of squared errors: the seed's loss, 1/2 sum (y - a)^2."""

    name: ClassVar[str] = "half_sse"
    mean = False
    factor = Fraction(1, 2)
    messages: ClassVar[dict[str, str]] = {"words": "half the sum of squared errors over the batch and the outputs"}

    def torch(self, output: Any, target: Any) -> Any:
        return 0.5 * ((output - target) ** 2).sum()


@LOSSES.add
@dataclass(frozen=True)
class SSE(_Squared):
    """The sum of squared errors."""

    name: ClassVar[str] = "sse"
    mean = False
    messages: ClassVar[dict[str, str]] = {"words": "the sum of squared errors over the batch and the outputs"}

    def torch(self, output: Any, target: Any) -> Any:
        return ((output - target) ** 2).sum()


@LOSSES.add
@dataclass(frozen=True)
class MSE(_Squared):
    """The mean squared error over all elements, nn.MSELoss."""

    name: ClassVar[str] = "mse"
    torch_module = "MSELoss"
    messages: ClassVar[dict[str, str]] = {"words": "the mean of the squared errors over all elements (nn.MSELoss)"}

    def torch(self, output: Any, target: Any) -> Any:
        import torch.nn.functional as F

        return F.mse_loss(output, target)


BCE_LOG_FLOOR = -100  # nn.BCELoss clamps each log at -100
# nn.BCELoss's backward divides by max(a(1 - a), EPSILON), where EPSILON is the float32 nearest 1e-12
# (9.999999960041972e-13); this is its exact value.
BCE_EPSILON = Fraction(struct.unpack("f", struct.pack("f", 1e-12))[0])
BCE_EPSILON_FLOAT = float(BCE_EPSILON)


@LOSSES.add
@dataclass(frozen=True)
class BCE(Loss):
    """The mean binary cross-entropy, nn.BCELoss, with its clamps."""

    name: ClassVar[str] = "bce"
    torch_module = "BCELoss"
    probabilities = True
    messages: ClassVar[dict[str, str]] = {
        "words": "the mean binary cross-entropy over all elements (nn.BCELoss)",
        "clamped": "An output is exactly 0 or 1 (or within 1e-12 of it): nn.BCELoss clamps each log at -100 and "
        "divides its gradient by max(a(1 - a), 1e-12), and so does this derivation.",
    }

    def term(self, a: sp.Symbol, y: sp.Symbol) -> sp.Expr:
        return -(y * sp.log(a) + (1 - y) * sp.log(1 - a))

    def check_outputs(self, outputs: list) -> int | None:
        for index, a in enumerate(outputs):
            if not 0 <= a <= 1:
                return index
        return None

    def note(self, outputs: list, targets: list) -> Msg | None:
        return owned(self, "clamped") if any(a * (1 - a) < BCE_EPSILON_FLOAT for a in outputs) else None

    def exact_term(self, a: Any, y: Any, ops: Ops) -> Any:
        a, y = ops.mpf(a), ops.mpf(y)
        return -y * self._log(a, ops) - (1 - y) * self._log(1 - a, ops)

    @staticmethod
    def _log(x: Any, ops: Ops) -> Any:
        return max(ops.mp.log(x), BCE_LOG_FLOOR) if x > 0 else ops.mp.mpf(BCE_LOG_FLOOR)

    def float_term(self, a: float, y: float) -> float:
        return -y * self._float_log(a) - (1 - y) * self._float_log(1 - a)

    @staticmethod
    def _float_log(x: float) -> float:
        return max(math.log(x), BCE_LOG_FLOOR) if x > 0 else float(BCE_LOG_FLOOR)

    def exact_slope(self, a: Any, y: Any, ops: Ops) -> Any:
        a, y = ops.mpf(a), ops.mpf(y)
        return (a - y) / max(ops.mpf(BCE_EPSILON), a * (1 - a))

    def float_slope(self, a: float, y: float) -> float:
        return (a - y) / max(BCE_EPSILON_FLOAT, a * (1 - a))

    def torch(self, output: Any, target: Any) -> Any:
        import torch.nn.functional as F

        return F.binary_cross_entropy(output, target)


@LOSSES.add
@dataclass(frozen=True)
class CrossEntropy(Loss):
    """Softmax of the last layer's output, then cross-entropy, averaged over the batch (nn.CrossEntropyLoss)."""

    name: ClassVar[str] = "cross_entropy"
    torch_module = "CrossEntropyLoss"
    probabilities = True
    class_indices = True
    uses_softmax = True
    messages: ClassVar[dict[str, str]] = {
        "words": "the cross-entropy of the softmax of the last layer's output, averaged over the batch "
        "(nn.CrossEntropyLoss)",
    }

    def scale(self, batch: int, outputs: int) -> Fraction:
        return Fraction(1, batch)

    def sample(self, outputs: list, targets: list, scale: Any, ops: Ops) -> SampleLoss:
        """p = softmax(a); the terms are -y_k log p_k; dE/da_j = scale (p_j sum_k y_k - y_j)."""
        if ops.exact:
            values = [ops.mpf(a) for a in outputs]
            exp, log = ops.mp.exp, ops.mp.log
        else:
            values, exp, log = list(outputs), math.exp, math.log
        largest = max(values)  # shifting by the largest output keeps exp from overflowing
        shifted = [exp(a - largest) for a in values]
        total = sum(shifted)
        softmax = [e / total for e in shifted]
        log_total = log(total)
        terms = [ops.mul(ops.convert(-1), ops.mul(y, a - largest - log_total)) for y, a in zip(targets, values)]
        target_sum = ops.total(targets)
        gradient = [ops.mul(scale, ops.sub(ops.mul(p, target_sum), y)) for p, y in zip(softmax, targets)]
        return SampleLoss(terms, gradient, softmax)

    def torch(self, output: Any, target: Any) -> Any:
        import torch.nn.functional as F

        return F.cross_entropy(output, target)
