"""Every quantity's ID and value in the document's order, from the training's numbers alone, without SymPy.

JSON needs no more than these; tabulate.py gives each its symbol and formula for the document.
Each entry also says what the value is (its kind, one of quantities.KINDS) and where it sits
(its place), from which tabulate.py finds the symbol: a neuron is (s, layer, index), s being
the sample's place in the derived batch; a parameter is its index in ``document_slots`` order.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from ..engine.arithmetic import FLOAT64, Exact
from ..engine.parameters import read, trained
from ..engine.passes import target_row
from ..engine.training import FirstStep, Training
from ..network import Network
from .ids import Ids, document_slots
from .quantities import trace_steps

Entry = tuple[str, Any, "int | None", str, Any]  # ID, value, sample (its row of the data), kind, place


def values_by_id(network: Network, training: Training, ids: Ids, in_float64: bool = False) -> dict[str, Any]:
    """Every quantity's value by ID (see ``entries``)."""
    found: dict[str, Any] = {}
    for key, value, _, _, _ in entries(network, training, ids, in_float64):
        if key in found:
            raise ValueError(f"two quantities have the ID {key!r}")
        found[key] = value
    return found


def entries(network: Network, training: Training, ids: Ids, in_float64: bool = False) -> Iterator[Entry]:
    """Every quantity of the derivation of ``network``, in the document's order.

    With ``in_float64`` the first step's quantities come from the float64 computation of the same
    step (PyTorch's), under the same IDs, and the training trace is left out.
    """
    step = training.float64 if in_float64 else FirstStep(
        training.first, training.updates, training.after_first, training.after_first_loss
    )
    first = step.first
    rows = network.data.batch_size
    ops = FLOAT64 if in_float64 else Exact()

    def suffix(row: int) -> str:
        """What the IDs of a sample's values end with: @k for row k-1 of several, else nothing."""
        return f"@{row + 1}" if rows > 1 else ""

    slots = list(document_slots(network))
    parameters = [ids.parameter(slot) for slot in slots]
    for i, slot in enumerate(slots):
        yield parameters[i], read(training.start.weights, training.start.biases, slot), None, "parameter", i
    optimizer = network.train.optimizer
    yield "lr", optimizer.lr, None, "setting", None
    settings = optimizer.setting_values()
    for hyper in optimizer.hypers:
        value = settings[hyper.key]
        yield hyper.id, value[int(hyper.index) - 1] if isinstance(value, tuple) else value, None, "setting", hyper.id
    outputs = network.layers[-1].out_features
    for row in range(rows):
        at = suffix(row)
        for k, value in enumerate(network.data.inputs[row]):
            yield ids.input(k) + at, value, row, "input", k
        for j, value in zip(range(outputs), target_row(network, row)):
            yield ids.target(j) + at, value, row, "target", j
    for s in range(len(first.batch)):
        yield from _sample_entries(suffix(first.batch[s]), network, first, ids, s, ops, slots, parameters)
    yield "E", first.loss, None, "loss", None
    for i, slot in enumerate(slots):
        if trained(network, slot):
            yield Ids.gradient(parameters[i]), read(first.grad_weights, first.grad_biases, slot), None, "gradient", i
    updates = {update.slot: update for update in step.updates}
    states = optimizer.shown_states()
    for i, slot in enumerate(slots):
        update = updates.get(slot)
        if update is None:
            continue
        for state in states:
            yield Ids.state(state.key, parameters[i]), update.shown[state.key], None, "state", (i, state.key)
        yield Ids.updated(parameters[i]), update.new, None, "new", i
    yield "E_after", step.after_first_loss, None, "after", None
    if not in_float64:
        yield from _trace_entries(network, training, slots, parameters)


def _sample_entries(at: str, network: Network, first: Any, ids: Ids, s: int, ops: Any, slots: list,
                    parameters: list[str]) -> Iterator[Entry]:
    """The quantities of sample ``s`` of the derived batch; they belong to its row of the data, and their IDs end with ``at``.

    The training's values are settled already; the few computed here (path products, sums) are settled as they are made.
    """
    settle = getattr(ops, "settle", lambda value: value)
    sample = first.samples[s]
    row = first.batch[s]
    batch = len(first.batch)
    layers = network.layers
    inputs = network.data.inputs[row]

    def feeding(index: int, k: int) -> Any:
        """The k-th value layer ``index`` takes."""
        return inputs[k] if index == 0 else sample.a[index - 1][k]

    for index, layer in enumerate(layers):
        for j in range(layer.out_features):
            yield ids.net(index, j) + at, sample.z[index][j], row, "net", (s, index, j)
            yield ids.out(index, j) + at, sample.a[index][j], row, "out", (s, index, j)
    for j in range(layers[-1].out_features):
        yield ids.loss_term(j) + at, sample.loss_terms[j], row, "term", (s, j)
    for j, p in enumerate(sample.softmax):
        yield ids.softmax(j) + at, p, row, "softmax", (s, j)
    if sample.softmax:  # the cross-entropy of the sample, before the batch mean
        yield "L" + at, settle(ops.total(sample.loss_terms)), row, "cross_entropy", (s,)
    if batch > 1:
        yield "E" + at, settle(ops.mul(first.loss_scale, ops.total(sample.loss_terms))), row, "loss", (s,)
    for index, layer in enumerate(layers):
        following = layers[index + 1] if index + 1 < len(layers) else None
        shared = layer.bias_kind == "shared"
        for j in range(layer.out_features):
            place = (s, index, j)
            for c in range(following.out_features if following else 0):
                path = settle(ops.mul(sample.delta[index + 1][c], following.weight[c][j]))
                yield ids.path(index, j, c) + at, path, row, "path", (s, index, j, c)
            yield ids.dE_dout(index, j) + at, sample.dE_da[index][j], row, "dE_dout", place
            yield ids.dout_dnet(index, j) + at, sample.da_dz[index][j], row, "slope", place
            yield ids.delta(index, j) + at, sample.delta[index][j], row, "delta", place
            # The net input's operands as it is written: each weight, the value it multiplies, then the bias.
            for k in range(layer.in_features):
                yield ids.local(index, j, ids.weight(index, j, k)) + at, feeding(index, k), row, "local", place + (2 * k,)
                yield (ids.local(index, j, ids.feeding(index, k)) + at, layer.weight[j][k], row, "local",
                       place + (2 * k + 1,))
            if layer.bias_kind != "none":
                bias = ids.bias(index, None if shared else j)
                yield ids.local(index, j, bias) + at, Fraction(1), row, "local", place + (2 * layer.in_features,)
    if batch > 1:
        # Sample s's share of dE/dp: its error signal times the local derivative, summed over the units p feeds.
        for i, slot in enumerate(slots):
            if slot.kind == "bias" and slot.row is None:
                share = sample.shared_bias_share[slot.layer]
            else:  # one unit takes the parameter: its error signal times the local derivative
                local = feeding(slot.layer, slot.column) if slot.kind == "weight" else Fraction(1)
                share = settle(ops.mul(sample.delta[slot.layer][slot.row], local))
            yield Ids.gradient(parameters[i]) + at, share, row, "gradient", (s, i)


def _trace_entries(network: Network, training: Training, slots: list, parameters: list[str]) -> Iterator[Entry]:
    """The losses a training trace shows, and the parameters and loss at its end."""
    if len(training.batches) > 1:
        epochs = training.epoch_losses
        for epoch in trace_steps(len(epochs)):
            yield f"E_epoch{epoch}", epochs[epoch - 1], None, "trace", None
    if network.updates > 1:
        for step in trace_steps(network.updates):
            yield f"E_step{step}", training.loss_history[step - 1], None, "trace", None
        for i, slot in enumerate(slots):
            yield ("final_" + parameters[i], read(training.final.weights, training.final.biases, slot), None,
                        "trace", None)
        yield "E_final", training.final_loss, None, "trace", None
