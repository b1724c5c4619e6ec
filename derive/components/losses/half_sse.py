"""Half the sum of squared errors, the seed's loss."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

from .base import LOSSES, Squared


@LOSSES.add
@dataclass(frozen=True)
class HalfSSE(Squared):
    """Half the sum of squared errors: the seed's loss, 1/2 sum (y - a)^2."""

    name: ClassVar[str] = "half_sse"
    mean = False
    factor = Fraction(1, 2)
    messages: ClassVar[dict[str, str]] = {"words": "half the sum of squared errors over the batch and the outputs"}

    def torch(self, output: Any, target: Any) -> Any:
        return 0.5 * ((output - target) ** 2).sum()
