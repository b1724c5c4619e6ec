"""Every value a document shows, as a quantity with a stable ID, its symbol, its formula and its value.

IDs follow the contract in design.md (``net_h1``, ``delta_o1``, ``grad_w5``, ``new_w5``, ``E``);
a value that belongs to one sample of a batch carries ``@k`` (``out_h1@2``). The table is built
once, from the training's numbers, before any section; sections refer to quantities by symbol or ID.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from ..engine.arithmetic import Exact
from ..engine.parameters import read
from ..engine.passes import target_row
from ..engine.training import Training
from ..network import Network
from .graph import Graph
from .nodes import Partial
from .notation import Notation

TRACE_FIRST_STEPS = 5  # the trace lists every one of the first steps, then log-spaced ones


@dataclass(frozen=True)
class Quantity:
    """One value: its ID, its symbol in formulas, the formula that gives it, and the sample it belongs to."""

    id: str
    value: Any
    symbol: sp.Basic | None = None
    formula: sp.Basic | None = None
    sample: int | None = None


class Quantities(Mapping[str, Quantity]):
    """The quantities of a document by ID, and per-sample views keyed by symbol for the printer.

    A quantity's ``sample`` is its row of the data (0-based), or None when it belongs to no sample.
    """

    def __init__(self, items: list[Quantity]) -> None:
        self._by_id: dict[str, Quantity] = {}
        for quantity in items:
            if quantity.id in self._by_id:
                raise ValueError(f"two quantities have the ID {quantity.id!r}")
            self._by_id[quantity.id] = quantity
        self._scopes: dict[int | None, dict[sp.Basic, Quantity]] = {}

    def __getitem__(self, key: str) -> Quantity:
        return self._by_id[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def values_by_id(self) -> dict[str, Any]:
        """Every ID with its value."""
        return {key: quantity.value for key, quantity in self._by_id.items()}

    def scope(self, sample: int | None) -> dict[sp.Basic, Quantity]:
        """The quantities a formula of sample ``sample`` refers to, keyed by symbol.

        ``None`` is the batch as a whole: every quantity that is not per sample, and the per-sample
        quantities whose symbol names its sample (a sample's share E^(s) of the loss).
        """
        found = self._scopes.get(sample)
        if found is None:
            found = {}
            if sample is None:
                seen: dict[sp.Basic, int] = {}
                for quantity in self._by_id.values():
                    if quantity.symbol is not None:
                        seen[quantity.symbol] = seen.get(quantity.symbol, 0) + 1
                for quantity in self._by_id.values():
                    if quantity.symbol is not None and (quantity.sample is None or seen[quantity.symbol] == 1):
                        found[quantity.symbol] = quantity
            else:
                for quantity in self._by_id.values():
                    if quantity.symbol is not None and quantity.sample in (None, sample):
                        found[quantity.symbol] = quantity
            self._scopes[sample] = found
        return found

    def lookup(self, symbol: sp.Basic, sample: int | None) -> Quantity | None:
        """The quantity ``symbol`` stands for in sample ``sample`` (None: the batch), if any."""
        return self.scope(sample).get(symbol)


def trace_steps(total: int) -> list[int]:
    """The steps a trace shows: the first few, then about three per decade, then the last."""
    chosen = list(range(1, min(total, TRACE_FIRST_STEPS) + 1))
    decade = 10
    while decade < total:
        for multiple in (1, 2, 5):
            step = multiple * decade
            if TRACE_FIRST_STEPS < step < total:
                chosen.append(step)
        decade *= 10
    if total not in chosen:
        chosen.append(total)
    return chosen


def build_quantities(network: Network, training: Training, graph: Graph, notation: Notation) -> Quantities:
    """Every quantity of the derivation of ``network``, from its training's numbers."""
    items: list[Quantity] = []
    ids = notation.ids
    first = training.first
    batch = len(first.batch)
    optimizer = network.train.optimizer

    rows = network.data.batch_size

    ops = Exact()

    def add(key: str, value: Any, symbol: sp.Basic | None = None, formula: sp.Basic | None = None,
            sample: int | None = None) -> None:
        suffix = f"@{sample + 1}" if sample is not None and rows > 1 else ""
        items.append(Quantity(key + suffix, ops.settle(value), symbol, formula, sample))

    for parameter in graph.parameters:
        add(ids[parameter.symbol], parameter.value, parameter.symbol)
    add("lr", optimizer.lr, graph.learning_rate)
    settings = optimizer.setting_values()
    for hyper in optimizer.hypers:
        value = settings[hyper.key]
        add(hyper.id, value[int(hyper.index) - 1] if isinstance(value, tuple) else value, graph.hypers[hyper.id])
    for row in range(rows):
        for x, value in zip(graph.inputs, network.data.inputs[row]):
            add(ids[x], value, x, sample=row)
        for y, value in zip(graph.targets, target_row(network, row)):
            add(ids[y], value, y, sample=row)
    for s in range(batch):
        _sample_quantities(add, network, training, graph, notation, s, ops)
    add("E", first.loss, graph.loss_total)
    for parameter in graph.parameters:
        if parameter.trained:
            gradient = read(first.grad_weights, first.grad_biases, parameter.slot)
            add(notation.gradient_id(parameter), gradient, Partial(graph.loss_total, parameter.symbol))
    updates = {update.slot: update for update in training.updates}
    for parameter in graph.parameters:
        update = updates.get(parameter.slot)
        if update is None:
            continue
        for state in optimizer.shown_states():
            symbol = graph.states[(state.key, parameter.symbol)]
            add(notation.state_id(state.key, parameter), update.shown[state.key], symbol)
        add(notation.updated_id(parameter), update.new, graph.updated[parameter.symbol])
    add("E_after", training.after_first_loss)
    if len(training.batches) > 1:
        epochs = training.epoch_losses
        for epoch in trace_steps(len(epochs)):
            add(f"E_epoch{epoch}", epochs[epoch - 1])
    if network.updates > 1:
        for step in trace_steps(network.updates):
            add(f"E_step{step}", training.loss_history[step - 1])
        for parameter in graph.parameters:
            add("final_" + ids[parameter.symbol], read(training.final.weights, training.final.biases, parameter.slot))
        add("E_final", training.final_loss)
    return Quantities(items)


def _sample_quantities(add: Any, network: Network, training: Training, graph: Graph, notation: Notation,
                       s: int, ops: Exact) -> None:
    """The quantities of sample ``s`` of the derived batch; they belong to its row of the data."""
    ids = notation.ids
    first = training.first
    sample = first.samples[s]
    row = first.batch[s]
    batch = len(first.batch)
    E = graph.loss_total if batch == 1 else graph.sample_losses[s]
    values: dict[sp.Basic, Any] = {p.symbol: p.value for p in graph.parameters}
    values.update(zip(graph.inputs, network.data.inputs[row]))
    for index, layer in enumerate(graph.layers):
        for unit in layer:
            values[unit.z] = sample.z[index][unit.index]
            values[unit.a] = sample.a[index][unit.index]
            add(ids[unit.z], values[unit.z], unit.z, unit.net, row)
            add(ids[unit.a], values[unit.a], unit.a, unit.written, row)
    for j, term in enumerate(graph.loss_terms):
        add(ids[term], sample.loss_terms[j], term, sample=row)
    for j, p in enumerate(sample.softmax):
        add(notation.softmax_id(j), p, graph.softmax[j], sample=row)
    if sample.softmax:  # the cross-entropy of the sample, before the batch mean
        add("L", ops.total(sample.loss_terms), notation.display("L" if batch == 1 else f"L{s}"), sample=row)
    if batch > 1:
        add("E", ops.mul(first.loss_scale, ops.total(sample.loss_terms)), E, sample=row)
    for index, layer in enumerate(graph.layers):
        for unit in layer:
            j = unit.index
            values[unit.delta] = sample.delta[index][j]
            add(notation.dE_dout_id(unit), sample.dE_da[index][j], Partial(E, unit.a), sample=row)
            add(notation.dout_dnet_id(unit), sample.da_dz[index][j], Partial(unit.a, unit.z), unit.slope, row)
            add(notation.delta_id(unit), values[unit.delta], unit.delta,
                sp.Mul(Partial(E, unit.a), Partial(unit.a, unit.z), evaluate=False), row)
            for symbol in net_symbols(unit.net):
                local = graph.local_derivative(unit.net, symbol)
                add(notation.local_id(unit, symbol), Fraction(1) if local == 1 else values[local],
                    Partial(unit.z, symbol), local, row)
    if batch > 1:
        # Sample s's share of dE/dp: its error signal times the local derivative, summed over the units p feeds.
        for parameter in graph.parameters:
            shares = []
            for unit in graph.consumers(parameter):
                local = graph.local_derivative(unit.net, parameter.symbol)
                shares.append(ops.mul(values[unit.delta], Fraction(1) if local == 1 else values[local]))
            add(notation.gradient_id(parameter), ops.total(shares), Partial(E, parameter.symbol), sample=row)


def net_symbols(net: sp.Expr) -> list[sp.Symbol]:
    """The symbols of a net input in the order it is written: each weight, the value it multiplies, the bias."""
    found: list[sp.Symbol] = []
    for term in net.args if isinstance(net, sp.Add) else (net,):
        for symbol in term.args if isinstance(term, sp.Mul) else (term,):
            if symbol not in found:
                found.append(symbol)
    return found
