"""The sum of squared errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .base import LOSSES, Squared


@LOSSES.add
@dataclass(frozen=True)
class SSE(Squared):
    """The sum of squared errors."""

    name: ClassVar[str] = "sse"
    mean = False
    messages: ClassVar[dict[str, str]] = {"words": "the sum of squared errors over the batch and the outputs"}

    def torch(self, output: Any, target: Any) -> Any:
        return ((output - target) ** 2).sum()
