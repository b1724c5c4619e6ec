"""Quantity IDs from places alone (layer, neuron, parameter slot), Mazur-style or layer-indexed, without SymPy.

The contract is design.md's (``net_h1``, ``delta_o1``, ``grad_w5``; ``z2_1``, ``da_dz2_1``); the
Notation names a graph's symbols by these IDs, and JSON asks them directly, with no graph built.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..engine.parameters import Slot
from ..errors import UsageError
from ..network import Network

MAZUR_MAX_LAYERS = 2


def default_scheme(layer_count: int) -> str:
    """Mazur-style names for networks with at most one hidden layer, indexed names otherwise."""
    return "mazur" if layer_count <= MAZUR_MAX_LAYERS else "indexed"


def document_slots(network: Network) -> Iterator[Slot]:
    """Every parameter in the document's order: each neuron's weights, then its own bias; a shared bias after its layer."""
    for index, layer in enumerate(network.layers):
        for j in range(layer.out_features):
            for k in range(layer.in_features):
                yield Slot(index, "weight", j, k)
            if layer.bias_kind == "per_neuron":
                yield Slot(index, "bias", j, None)
        if layer.bias_kind == "shared":
            yield Slot(index, "bias", None, None)


class Ids:
    """The ID of every quantity of a network with these widths (inputs first) under one naming scheme.

    ``shared_biases`` are the layers with one bias for the whole layer, which Mazur's scheme numbers b1, b2.
    """

    def __init__(self, widths: Sequence[int], shared_biases: Sequence[int], scheme: str | None = None) -> None:
        count = len(widths) - 1
        scheme = scheme or default_scheme(count)
        if scheme == "mazur" and count > MAZUR_MAX_LAYERS:
            raise UsageError(
                "--notation mazur names a network with at most one hidden layer; "
                f"this one has {count - 1}: use --notation indexed"
            )
        self.scheme = scheme
        self.mazur = scheme == "mazur"
        self.prefixes = ["h", "o"] if count == 2 else ["o"]
        self._widths = tuple(widths)
        self._shared_biases = tuple(shared_biases)
        self._weights_before = [0]  # Mazur numbers the weights w1, w2, ... across layers
        for inputs, outputs in zip(widths, widths[1:]):
            self._weights_before.append(self._weights_before[-1] + inputs * outputs)

    @classmethod
    def of(cls, network: Network, scheme: str | None = None) -> "Ids":
        """The IDs of ``network``'s quantities."""
        shared = [index for index, layer in enumerate(network.layers) if layer.bias_kind == "shared"]
        return cls(network.widths, shared, scheme)

    def label(self, layer: int, index: int) -> str:
        """A neuron's short label: h1, o2 (Mazur) or 1_2 (layer, neuron)."""
        if self.mazur:
            return f"{self.prefixes[layer]}{index + 1}"
        return f"{layer + 1}_{index + 1}"

    # -- given values

    def input(self, k: int) -> str:
        """i1, or x1."""
        return f"i{k + 1}" if self.mazur else f"x{k + 1}"

    def target(self, j: int) -> str:
        """target_o1, or y1."""
        return f"target_o{j + 1}" if self.mazur else f"y{j + 1}"

    def parameter(self, slot: Slot) -> str:
        """w5, b_h1, b1 (Mazur), or w2_1_3, b2_1, b2 (indexed)."""
        if slot.kind == "weight":
            return self.weight(slot.layer, slot.row, slot.column)
        return self.bias(slot.layer, slot.row)

    def weight(self, layer: int, row: int, column: int) -> str:
        """w5 (Mazur numbers the weights across layers), or w2_1_3."""
        if self.mazur:
            return f"w{self._weights_before[layer] + row * self._widths[layer] + column + 1}"
        return f"w{layer + 1}_{row + 1}_{column + 1}"

    def bias(self, layer: int, row: int | None) -> str:
        """A neuron's own bias (b_h1, or b2_1), or a layer's shared one (row None: b1, or b2)."""
        if row is None:  # b1, b2 as in Mazur's post
            return f"b{self._shared_biases.index(layer) + 1}" if self.mazur else f"b{layer + 1}"
        if self.mazur:  # a neuron's own bias is named by its neuron, so b2 never means two things
            return f"b_{self.label(layer, row)}"
        return f"b{layer + 1}_{row + 1}"

    # -- the forward pass and the loss

    def net(self, layer: int, index: int) -> str:
        """net_h1, or z1_1."""
        return f"net_{self.label(layer, index)}" if self.mazur else f"z{self.label(layer, index)}"

    def out(self, layer: int, index: int) -> str:
        """out_h1, or a1_1."""
        return f"out_{self.label(layer, index)}" if self.mazur else f"a{self.label(layer, index)}"

    def feeding(self, layer: int, k: int) -> str:
        """The k-th value a layer takes: an input, or the previous layer's output."""
        return self.input(k) if layer == 0 else self.out(layer - 1, k)

    def loss_term(self, j: int) -> str:
        """E_o1, or E_1."""
        return f"E_o{j + 1}" if self.mazur else f"E_{j + 1}"

    def softmax(self, j: int) -> str:
        """p_o1, or p1."""
        return f"p_o{j + 1}" if self.mazur else f"p{j + 1}"

    # -- the backward pass

    def delta(self, layer: int, index: int) -> str:
        """delta_o1, or delta2_1."""
        label = self.label(layer, index)
        return f"delta_{label}" if self.mazur else f"delta{label}"

    def dE_dout(self, layer: int, index: int) -> str:
        """dE_dout_h1, or dE_da1_2."""
        return "dE_d" + self.out(layer, index)

    def path(self, layer: int, index: int, consumer: int) -> str:
        """The part of dE/dout of a hidden neuron that flows through neuron ``consumer`` of the next layer:
        dE_o1_dout_h1 (dE_o1/dout_h1, as Mazur writes it), or dE_da1_2_via_2_1."""
        if self.mazur:
            return f"dE_{self.label(layer + 1, consumer)}_dout_{self.label(layer, index)}"
        return f"{self.dE_dout(layer, index)}_via_{self.label(layer + 1, consumer)}"

    def dout_dnet(self, layer: int, index: int) -> str:
        """dout_dnet_o1, or da_dz2_1."""
        label = self.label(layer, index)
        return f"dout_dnet_{label}" if self.mazur else f"da_dz{label}"

    def local(self, layer: int, index: int, operand: str) -> str:
        """d(net input of a neuron)/d(the quantity with ID ``operand``): dnet_o1_dw5, dnet_o1_dout_h1, dz2_1_da1_1."""
        return f"d{self.net(layer, index)}_d{operand}"

    # -- the update, by the parameter's ID

    @staticmethod
    def gradient(parameter: str) -> str:
        """grad_w5."""
        return "grad_" + parameter

    @staticmethod
    def updated(parameter: str) -> str:
        """new_w5."""
        return "new_" + parameter

    @staticmethod
    def state(key: str, parameter: str) -> str:
        """m_w5, vhat_w5, buf_w5: an optimizer's intermediate value for one parameter."""
        return f"{key}_{parameter}"
