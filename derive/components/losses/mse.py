"""The mean squared error, nn.MSELoss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .base import LOSSES, Squared


@LOSSES.add
@dataclass(frozen=True)
class MSE(Squared):
    """The mean squared error over all elements, nn.MSELoss."""

    name: ClassVar[str] = "mse"
    torch_module = "MSELoss"
    messages: ClassVar[dict[str, str]] = {"words": "the mean of the squared errors over all elements (nn.MSELoss)"}

    def torch(self, output: Any, target: Any) -> Any:
        import torch.nn.functional as F

        return F.mse_loss(output, target)
