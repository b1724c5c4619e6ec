"""What every section builder shares: the graph, the names, and each sample's values keyed by symbol."""

from __future__ import annotations

import difflib
from fractions import Fraction
from typing import Sequence

import sympy as sp

from . import activations
from .errors import UsageError
from .forward_backward import target_row
from .graph import local_derivative, Graph, Parameter, Partial, Unit, build_graph
from .network import Network
from .notation import Names, names_for
from .numbers import Number, mul, total
from .optimizers import Slot
from .training import Training

DETAILED_SAMPLES = 2  # samples of a batch derived line by line; the rest appear in tables


class Context:
    """The graph, its names and the values of every symbol, per sample and for the whole batch."""

    def __init__(self, network: Network, training: Training, notation: str | None, only: Sequence[str] = ()):
        self.network = network
        self.training = training
        self.graph: Graph = build_graph(network)
        self.naming: Names = names_for(self.graph, notation)
        self.names: dict = dict(self.naming.latex)
        self.batch = network.data.batch_size
        self.deltas = {unit.z: self._symbol(f"delta_{unit.z.name}", self.naming.delta_latex[unit.z]) for unit in self.units()}
        self.unit_labels = {z: self._symbol(f"unit_{z.name}", label) for z, label in self.naming.unit_latex.items()}
        self.updated = {
            p.symbol: self._symbol(f"{p.symbol.name}_new", self.naming.updated_latex[p.symbol]) for p in self.graph.parameters
        }
        self.activation_names = {
            name: self._symbol(f"act_{name}", spec.latex_name) for name, spec in activations.ACTIVATIONS.items()
        }
        self.sample_losses = tuple(
            self._symbol(f"E_sample_{s}", f"{self.names[self.graph.loss_total]}^{{({s + 1})}}") for s in range(self.batch)
        )
        self.softmax = tuple(self._symbol(f"p_{j}", f"p_{{{j + 1}}}") for j in range(len(self.graph.outputs)))
        self.slots = {
            p.symbol: Slot(p.layer, p.kind, p.row, p.column) for p in self.graph.parameters
        }
        self.focus = self._focus(only)
        per_sample = tuple(self._sample_values(s) for s in range(self.batch))
        merged: dict = {}
        for values in per_sample:
            merged.update(values)  # reductions only read keys that are unique to one sample, like dE^(s)/dw
        self.values: tuple[dict, ...] = per_sample + (merged,)

    def _symbol(self, name: str, latex: str) -> sp.Symbol:
        symbol = sp.Symbol(name, real=True)
        self.names[symbol] = latex
        return symbol

    def units(self) -> list[Unit]:
        """Every neuron, input side first."""
        return [unit for layer in self.graph.layers for unit in layer]

    @property
    def batch_index(self) -> int:
        """The index of the merged values of all samples (for batch reductions)."""
        return self.batch

    def detailed_samples(self) -> range:
        """The samples derived line by line."""
        return range(min(self.batch, DETAILED_SAMPLES))

    def loss_symbol(self, sample: int) -> sp.Symbol:
        """E for a single sample, E^(s) (sample s's share of E) in a batch."""
        return self.graph.loss_total if self.batch == 1 else self.sample_losses[sample]

    def derived_in_full(self, parameter: Parameter) -> bool:
        """Whether --only (if given) asks for this parameter's chain."""
        return parameter.symbol in self.focus

    def _focus(self, only: Sequence[str]) -> set:
        everything = {p.symbol for p in self.graph.parameters}
        if not only:
            return everything
        by_name = {self.naming.plain[p.symbol]: p.symbol for p in self.graph.parameters}
        chosen = set()
        for name in only:
            if name not in by_name:
                near = difflib.get_close_matches(name, list(by_name), n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                raise UsageError(
                    f"--only: no parameter named '{name}'{hint}; the parameters are {', '.join(by_name)}"
                )
            chosen.add(by_name[name])
        return chosen

    # values --------------------------------------------------------------------------------
    def gradient(self, parameter: Parameter) -> Number:
        """dE/dp for the whole batch."""
        first = self.training.first
        slot = self.slots[parameter.symbol]
        if slot.kind == "weight":
            return first.grad_weights[slot.layer][slot.row][slot.column]
        bias = first.grad_biases[slot.layer]
        return bias[slot.row] if slot.row is not None else bias

    def _sample_values(self, s: int) -> dict:
        graph, first = self.graph, self.training.first
        sample = first.samples[s]
        E = self.loss_symbol(s)
        values: dict = {graph.learning_rate: self.network.train.lr}
        by_slot = {slot: symbol for symbol, slot in self.slots.items()}
        for parameter in graph.parameters:
            values[parameter.symbol] = parameter.value
            values[Partial(graph.loss_total, parameter.symbol)] = self.gradient(parameter)
        for update in self.training.updates:
            values[self.updated[by_slot[update.slot]]] = update.new
        for x, value in zip(graph.inputs, self.network.data.inputs[s]):
            values[x] = value
        for y, value in zip(graph.targets, target_row(self.network, s)):
            values[y] = value
        for index, layer in enumerate(graph.layers):
            for unit in layer:
                j = unit.index
                values[unit.z] = sample.z[index][j]
                values[unit.a] = sample.a[index][j]
                values[Partial(E, unit.a)] = sample.dE_da[index][j]
                values[Partial(unit.a, unit.z)] = sample.da_dz[index][j]
                values[Partial(E, unit.z)] = sample.delta[index][j]
                values[self.deltas[unit.z]] = sample.delta[index][j]
                for symbol in unit.net.free_symbols:
                    local = local_derivative(unit.net, symbol)
                    values[Partial(unit.z, symbol)] = Fraction(1) if local == 1 else values[local]
        if self.batch > 1:
            # Sample s's share of dE/dp: delta times the local derivative, summed over the units p feeds.
            for parameter in graph.parameters:
                shares = (
                    mul(values[self.deltas[unit.z]], values[Partial(unit.z, parameter.symbol)])
                    for unit in graph.parameter_consumers(parameter)
                )
                values[Partial(E, parameter.symbol)] = total(shares)
        for j, term in enumerate(graph.loss_terms):
            values[term] = sample.loss_terms[j]
        for j, p in enumerate(sample.softmax):
            values[self.softmax[j]] = p
        values[E] = first.loss if self.batch == 1 else _sample_loss(sample, first.loss_scale)
        values[graph.loss_total] = first.loss
        return values


def _sample_loss(sample, scale) -> Number:
    return mul(scale, total(sample.loss_terms))
