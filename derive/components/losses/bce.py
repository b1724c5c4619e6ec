"""The mean binary cross-entropy, nn.BCELoss, with its clamps."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import sympy as sp

from ...text.message import Msg, owned
from ..base import Ops

from .base import LOSSES, Loss


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
