"""Where each scalar parameter lives (layer, weight or bias, row, column), in PyTorch's order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ..network import Network


@dataclass(frozen=True)
class Slot:
    """One scalar parameter's place: layer, ``weight`` or ``bias``, row and column (None where absent)."""

    layer: int
    kind: str
    row: int | None
    column: int | None


def slots(network: Network) -> Iterator[Slot]:
    """Every parameter in PyTorch's order: each layer's weight row by row, then its bias."""
    for index, layer in enumerate(network.layers):
        for j in range(layer.out_features):
            for k in range(layer.in_features):
                yield Slot(index, "weight", j, k)
        if layer.bias_kind == "per_neuron":
            for j in range(layer.out_features):
                yield Slot(index, "bias", j, None)
        elif layer.bias_kind == "shared":
            yield Slot(index, "bias", None, None)


def trained(network: Network, slot: Slot) -> bool:
    """Whether the optimizer updates the parameter at ``slot`` (frozen biases are not)."""
    return slot.kind == "weight" or network.layers[slot.layer].bias_trained


def trained_slots(network: Network) -> list[Slot]:
    """The parameters the optimizer updates, in PyTorch's order."""
    return [slot for slot in slots(network) if trained(network, slot)]


def read(weights: list, biases: list, slot: Slot) -> Any:
    """The value at a slot of nested weights and biases (parameters or gradients)."""
    if slot.kind == "weight":
        return weights[slot.layer][slot.row][slot.column]
    bias = biases[slot.layer]
    return bias[slot.row] if slot.row is not None else bias


def write(weights: list, biases: list, slot: Slot, value: Any) -> None:
    """Set the value at a slot in place."""
    if slot.kind == "weight":
        weights[slot.layer][slot.row][slot.column] = value
    elif slot.row is not None:
        biases[slot.layer][slot.row] = value
    else:
        biases[slot.layer] = value
