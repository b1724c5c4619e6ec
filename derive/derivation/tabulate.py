"""Building the quantity table: every value of a derivation (values.py) with its symbol and formula."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

from ..engine.passes import Pass, target_row
from ..engine.training import Training
from ..expressions import product, scaled, total
from ..network import Network
from .graph import Graph, Unit
from .nodes import Partial
from .notation import Notation
from .quantities import Quantities, Quantity
from .values import entries

Formula = sp.Basic | None


def build_quantities(network: Network, training: Training, graph: Graph, notation: Notation) -> Quantities:
    """Every quantity of the derivation of ``network``, from its training's (exact) numbers."""
    symbols = _Symbols(network, training, graph, notation)
    items = []
    for key, value, sample, kind, place in entries(network, training, notation.id_of):
        symbol, formula = getattr(symbols, kind)(place)
        items.append(Quantity(key, value, symbol, formula, sample, kind))
    return Quantities(items)


class _Symbols:
    """Each quantity's symbol and formula, by its kind (a method each) and place (see values.py)."""

    def __init__(self, network: Network, training: Training, graph: Graph, notation: Notation) -> None:
        self.network, self.graph, self.notation = network, graph, notation
        self.first: Pass = training.first
        self.scale: Fraction = training.first.loss_scale
        self.optimizer = network.train.optimizer
        self._operands: tuple[Unit | None, list[sp.Symbol]] = (None, [])  # the last net input's, in order
        self._rules: tuple[int | None, dict[str, sp.Basic]] = (None, {})  # the last parameter's update rules

    def _unit(self, place: tuple) -> Unit:
        return self.graph.layers[place[1]][place[2]]

    def _loss(self, s: int) -> sp.Symbol:
        """E for a single sample, E^(s) (sample s's share of E) in a batch."""
        return self.graph.loss_total if len(self.first.batch) == 1 else self.graph.sample_losses[s]

    def parameter(self, i: int) -> tuple[sp.Basic, Formula]:
        return self.graph.parameters[i].symbol, None

    def setting(self, hyper: str | None) -> tuple[sp.Basic, Formula]:
        return (self.graph.learning_rate if hyper is None else self.graph.hypers[hyper]), None

    def input(self, k: int) -> tuple[sp.Basic, Formula]:
        return self.graph.inputs[k], None

    def target(self, j: int) -> tuple[sp.Basic, Formula]:
        return self.graph.targets[j], None

    def net(self, place: tuple) -> tuple[sp.Basic, Formula]:
        unit = self._unit(place)
        return unit.z, unit.net

    def out(self, place: tuple) -> tuple[sp.Basic, Formula]:
        unit = self._unit(place)
        return unit.a, unit.written

    def term(self, place: tuple) -> tuple[sp.Basic, Formula]:
        s, j = place
        if self.first.samples[s].softmax:
            return self.graph.loss_terms[j], None
        return self.graph.loss_terms[j], self.network.loss.term(self.graph.outputs[j].a, self.graph.targets[j])

    def softmax(self, place: tuple) -> tuple[sp.Basic, Formula]:
        return self.graph.softmax[place[1]], None

    def cross_entropy(self, place: tuple) -> tuple[sp.Basic, Formula]:
        return self.notation.display("L" if len(self.first.batch) == 1 else f"L{place[0]}"), None

    def loss(self, place: tuple | None) -> tuple[sp.Basic, Formula]:
        """Sample s's share of the loss, or (place None) the loss itself."""
        if place is not None:
            return self.graph.sample_losses[place[0]], self._sample_loss_formula(place[0])
        if len(self.first.batch) > 1:
            return self.graph.loss_total, total(list(self.graph.sample_losses))
        return self.graph.loss_total, self._sample_loss_formula(0)

    def path(self, place: tuple) -> tuple[sp.Basic, Formula]:
        s, layer, j, c = place
        unit, consumer = self.graph.layers[layer][j], self.graph.layers[layer + 1][c]
        weight = self.graph.local_derivative(consumer.net, unit.a)
        return (path_symbol(self.network, self.graph, unit, consumer, self._loss(s), self.scale),
                product(consumer.delta, weight))

    def dE_dout(self, place: tuple) -> tuple[sp.Basic, Formula]:
        unit = self._unit(place)
        return Partial(self._loss(place[0]), unit.a), self._dE_dout_formula(place[0], unit)

    def slope(self, place: tuple) -> tuple[sp.Basic, Formula]:
        unit = self._unit(place)
        return Partial(unit.a, unit.z), unit.slope

    def delta(self, place: tuple) -> tuple[sp.Basic, Formula]:
        unit = self._unit(place)
        E = self._loss(place[0])
        return unit.delta, sp.Mul(Partial(E, unit.a), Partial(unit.a, unit.z), evaluate=False)

    def local(self, place: tuple) -> tuple[sp.Basic, Formula]:
        """d(net)/d(operand): ``place`` ends with the operand's place in the net input as written."""
        unit = self._unit(place)
        if self._operands[0] is not unit:
            self._operands = (unit, net_symbols(unit.net))
        symbol = self._operands[1][place[3]]
        return Partial(unit.z, symbol), self.graph.local_derivative(unit.net, symbol)

    def gradient(self, place: int | tuple) -> tuple[sp.Basic, Formula]:
        """Sample s's share of dE/dp (place (s, i)), or dE/dp itself (place i)."""
        if isinstance(place, tuple):
            s, i = place
            parameter = self.graph.parameters[i]
            return Partial(self.graph.sample_losses[s], parameter.symbol), _share_formula(self.graph, parameter)
        parameter = self.graph.parameters[place]
        if len(self.first.batch) > 1:
            formula = _sum_of_shares(self.graph, parameter)
        else:
            formula = _share_formula(self.graph, parameter)
        return Partial(self.graph.loss_total, parameter.symbol), formula

    def state(self, place: tuple) -> tuple[sp.Basic, Formula]:
        i, key = place
        symbol = self.graph.parameters[i].symbol
        return self.graph.states[(key, symbol)], self._rule(i, key)

    def new(self, i: int) -> tuple[sp.Basic, Formula]:
        return self.graph.updated[self.graph.parameters[i].symbol], self._rule(i, "new")

    def after(self, place: None) -> tuple[sp.Basic | None, Formula]:
        return None, None

    trace = after

    def _rule(self, i: int, key: str) -> sp.Basic | None:
        """The optimizer's first-step rule for ``key`` of parameter i (the rules are written once per parameter)."""
        if self._rules[0] != i:
            parameter = self.graph.parameters[i]
            symbols = update_symbols(self.graph, parameter, self.optimizer)
            self._rules = (i, dict(self.optimizer.first_step_rules(symbols)))
        return self._rules[1].get(key)

    def _sample_loss_formula(self, s: int) -> sp.Basic:
        """A sample's loss as its terms (or its cross-entropy L) times the loss's exact factor."""
        if self.first.samples[s].softmax:
            return scaled(self.scale, self.notation.display("L" if len(self.first.batch) == 1 else f"L{s}"))
        return scaled(self.scale, total(list(self.graph.loss_terms)))

    def _dE_dout_formula(self, s: int, unit: Unit) -> sp.Basic:
        """dE/dout of a unit: the loss's derivative for an output, the sum of its paths for a hidden unit."""
        graph = self.graph
        if unit.layer < len(graph.layers) - 1:
            E = self._loss(s)
            return total([path_symbol(self.network, graph, unit, c, E, self.scale)
                          for c in graph.consumers_of_output(unit)])
        targets = target_row(self.network, self.first.batch[s])
        if self.first.samples[0].softmax:
            return scaled(self.scale, softmax_error(graph, unit.index, sum(targets) == 1))
        out = self.first.samples[s].a[unit.layer][unit.index]
        return scaled(self.scale, self.network.loss.derivative_shown(unit.a, graph.targets[unit.index], out,
                                                                     targets[unit.index]))


def update_symbols(graph: Graph, parameter: Any, optimizer: Any) -> dict[str, sp.Basic]:
    """The symbols an optimizer's first-step rules are written in, for one parameter."""
    return {
        "param": parameter.symbol,
        "gradient": Partial(graph.loss_total, parameter.symbol),
        "lr": graph.learning_rate,
        "new": graph.updated[parameter.symbol],
        **{state.key: graph.states[(state.key, parameter.symbol)] for state in optimizer.shown_states()},
        **graph.hypers,
    }


def _sum_of_shares(graph: Graph, parameter: Any) -> sp.Basic:
    """dE/dp as the sum of the samples' shares."""
    return total([Partial(share, parameter.symbol) for share in graph.sample_losses])


def _share_formula(graph: Graph, parameter: Any) -> sp.Basic:
    """dE/dp as the error signals of the units p feeds times p's local derivatives."""
    return total([product(unit.delta, graph.local_derivative(unit.net, parameter.symbol))
                  for unit in graph.consumers(parameter)])


def path_symbol(network: Network, graph: Graph, unit: Any, consumer: Any, E: sp.Basic, scale: Fraction) -> sp.Basic:
    """The part of dE/dout of a hidden unit that flows through one neuron it feeds.

    Where the loss is a plain sum of per-output terms and the neuron is an output, that part is
    the output's own term's derivative, dE_o1/dout_h1 as in Mazur's post; otherwise it is written
    as the product dE/dnet_k . dnet_k/dout.
    """
    if consumer.layer == len(graph.layers) - 1 and scale == 1 and not network.loss.uses_softmax:
        return Partial(graph.loss_terms[consumer.index], unit.a)
    return sp.Mul(Partial(E, consumer.z), Partial(consumer.z, unit.a), evaluate=False)


def softmax_error(graph: Graph, j: int, targets_add_to_one: bool) -> sp.Basic:
    """dL/da_j under softmax and cross-entropy: p_j - y_j, or p_j (y_1 + ... + y_K) - y_j when the
    sample's targets do not add up to 1."""
    p, y = graph.softmax[j], graph.targets[j]
    if targets_add_to_one:
        return sp.Add(p, -y, evaluate=False)
    return sp.Add(sp.Mul(p, total(list(graph.targets)), evaluate=False), -y, evaluate=False)


def net_symbols(net: sp.Expr) -> list[sp.Symbol]:
    """The symbols of a net input in the order it is written: each weight, the value it multiplies, the bias."""
    found: dict[sp.Symbol, None] = {}  # a dict keeps the order and, unlike a list, finds repeats at once
    for term in net.args if isinstance(net, sp.Add) else (net,):
        for symbol in term.args if isinstance(term, sp.Mul) else (term,):
            found.setdefault(symbol)
    return list(found)
