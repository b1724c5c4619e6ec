"""Softmax then cross-entropy, nn.CrossEntropyLoss."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar


from ..base import Ops

from .base import LOSSES, Loss, SampleLoss


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
