"""Building the quantity table: every value of a derivation from its training's numbers, with its formula."""

from __future__ import annotations

from fractions import Fraction
from functools import partial
from typing import Any

import sympy as sp

from ..engine.arithmetic import FLOAT64, Exact
from ..engine.parameters import read
from ..engine.passes import Pass, target_row
from ..engine.training import FirstStep, Training
from ..expressions import product, scaled, total
from ..network import Network
from .graph import Graph
from .nodes import Partial
from .notation import Notation
from .quantities import Quantities, Quantity, trace_steps


def build_quantities(
    network: Network, training: Training, graph: Graph, notation: Notation, in_float64: bool = False,
    formulas: bool = True,
) -> Quantities:
    """Every quantity of the derivation of ``network``, from its training's numbers.

    With ``in_float64`` the first step's quantities come from the float64 computation of the same
    step (PyTorch's), under the same IDs, and the training trace is left out. Without ``formulas``
    (JSON needs only values) no quantity gets a formula, which saves building 20,000 of them.
    """
    items: list[Quantity] = []
    ids = notation.ids
    step = training.float64 if in_float64 else FirstStep(
        training.first, training.updates, training.after_first, training.after_first_loss
    )
    first = step.first
    batch = len(first.batch)
    optimizer = network.train.optimizer
    rows = network.data.batch_size
    ops = FLOAT64 if in_float64 else Exact()
    settle = getattr(ops, "settle", lambda value: value)

    def add(key: str, value: Any, symbol: sp.Basic | None = None, formula: Any = None,
            sample: int | None = None, kind: str = "parameter") -> None:
        """``formula`` is an expression, or a function that builds it (called only if formulas are wanted)."""
        suffix = f"@{sample + 1}" if sample is not None and rows > 1 else ""
        if callable(formula):
            formula = formula() if formulas else None
        items.append(Quantity(key + suffix, settle(value), symbol, formula if formulas else None, sample, kind))

    for parameter in graph.parameters:
        add(ids[parameter.symbol], parameter.value, parameter.symbol)
    add("lr", optimizer.lr, graph.learning_rate, kind="setting")
    settings = optimizer.setting_values()
    for hyper in optimizer.hypers:
        value = settings[hyper.key]
        value = value[int(hyper.index) - 1] if isinstance(value, tuple) else value
        add(hyper.id, value, graph.hypers[hyper.id], kind="setting")
    for row in range(rows):
        for x, value in zip(graph.inputs, network.data.inputs[row]):
            add(ids[x], value, x, sample=row, kind="input")
        for y, value in zip(graph.targets, target_row(network, row)):
            add(ids[y], value, y, sample=row, kind="target")
    for s in range(batch):
        _sample_quantities(add, network, first, training.first.loss_scale, graph, notation, s, ops)
    if batch > 1:
        add("E", first.loss, graph.loss_total, lambda: total(list(graph.sample_losses)), kind="loss")
    else:
        add("E", first.loss, graph.loss_total,
            lambda: _sample_loss_formula(first, training.first.loss_scale, graph, notation, 0), kind="loss")
    for parameter in graph.parameters:
        if parameter.trained:
            gradient = read(first.grad_weights, first.grad_biases, parameter.slot)
            if batch > 1:
                formula = partial(_sum_of_shares, graph, parameter)
            else:
                formula = partial(_share_formula, graph, parameter)
            add(notation.gradient_id(parameter), gradient, Partial(graph.loss_total, parameter.symbol), formula,
                kind="gradient")
    updates = {update.slot: update for update in step.updates}
    for parameter in graph.parameters:
        update = updates.get(parameter.slot)
        if update is None:
            continue
        rules = dict(optimizer.first_step_rules(update_symbols(graph, parameter, optimizer))) if formulas else {}
        for state in optimizer.shown_states():
            symbol = graph.states[(state.key, parameter.symbol)]
            add(notation.state_id(state.key, parameter), update.shown[state.key], symbol, rules.get(state.key), kind="state")
        add(notation.updated_id(parameter), update.new, graph.updated[parameter.symbol], rules.get("new"), kind="new")
    add("E_after", step.after_first_loss, kind="after")
    if not in_float64:
        _trace_quantities(add, network, training, graph, notation)
    return Quantities(items)


def _trace_quantities(add: Any, network: Network, training: Training, graph: Graph, notation: Notation) -> None:
    """The losses a training trace shows, and the parameters and loss at its end."""
    if len(training.batches) > 1:
        epochs = training.epoch_losses
        for epoch in trace_steps(len(epochs)):
            add(f"E_epoch{epoch}", epochs[epoch - 1], kind="trace")
    if network.updates > 1:
        for step in trace_steps(network.updates):
            add(f"E_step{step}", training.loss_history[step - 1], kind="trace")
        for parameter in graph.parameters:
            final = read(training.final.weights, training.final.biases, parameter.slot)
            add("final_" + notation.ids[parameter.symbol], final, kind="trace")
        add("E_final", training.final_loss, kind="trace")


def _sample_quantities(add: Any, network: Network, first: Pass, scale: Fraction, graph: Graph,
                       notation: Notation, s: int, ops: Any) -> None:
    """The quantities of sample ``s`` of the derived batch; they belong to its row of the data.

    ``scale`` is the loss's exact factor, which the formulas show whichever pass gives the values.
    """
    ids = notation.ids
    sample = first.samples[s]
    row = first.batch[s]
    batch = len(first.batch)
    E = graph.loss_total if batch == 1 else graph.sample_losses[s]
    values: dict[sp.Basic, Any] = {p.symbol: p.value for p in graph.parameters}
    values.update(zip(graph.inputs, network.data.inputs[row]))
    values.update(zip(graph.targets, target_row(network, row)))
    for index, layer in enumerate(graph.layers):
        for unit in layer:
            values[unit.z] = sample.z[index][unit.index]
            values[unit.a] = sample.a[index][unit.index]
            add(ids[unit.z], values[unit.z], unit.z, unit.net, row, "net")
            add(ids[unit.a], values[unit.a], unit.a, lambda unit=unit: unit.written, row, "out")
    for j, term in enumerate(graph.loss_terms):
        unit, y = graph.outputs[j], graph.targets[j]
        formula = None if sample.softmax else partial(network.loss.term, unit.a, y)
        add(ids[term], sample.loss_terms[j], term, formula, row, "term")
    for j, p in enumerate(sample.softmax):
        add(notation.softmax_id(j), p, graph.softmax[j], sample=row, kind="softmax")
    if sample.softmax:  # the cross-entropy of the sample, before the batch mean
        symbol = notation.display("L" if batch == 1 else f"L{s}")
        add("L", ops.total(sample.loss_terms), symbol, sample=row, kind="cross_entropy")
    if batch > 1:
        share = ops.mul(first.loss_scale, ops.total(sample.loss_terms))
        add("E", share, E, partial(_sample_loss_formula, first, scale, graph, notation, s), row, "loss")
    for index, layer in enumerate(graph.layers):
        for unit in layer:
            j = unit.index
            values[unit.delta] = sample.delta[index][j]
            for consumer in graph.consumers_of_output(unit):
                weight = graph.local_derivative(consumer.net, unit.a)
                add(notation.path_id(unit, consumer), ops.mul(sample.delta[index + 1][consumer.index], values[weight]),
                    path_symbol(network, graph, unit, consumer, E, scale), product(consumer.delta, weight), row, "path")
            add(notation.dE_dout_id(unit), sample.dE_da[index][j], Partial(E, unit.a),
                partial(_dE_dout_formula, network, first, scale, graph, unit, values, E), row, "dE_dout")
            add(notation.dout_dnet_id(unit), sample.da_dz[index][j], Partial(unit.a, unit.z),
                lambda unit=unit: unit.slope, row, "slope")
            add(notation.delta_id(unit), values[unit.delta], unit.delta,
                partial(_error_signal_formula, E, unit), row, "delta")
            for symbol in net_symbols(unit.net):
                local = graph.local_derivative(unit.net, symbol)
                add(notation.local_id(unit, symbol), Fraction(1) if local == 1 else values[local],
                    Partial(unit.z, symbol), local, row, "local")
    if batch > 1:
        # Sample s's share of dE/dp: its error signal times the local derivative, summed over the units p feeds.
        for parameter in graph.parameters:
            if parameter.slot.kind == "bias" and parameter.slot.row is None:
                share = sample.shared_bias_share[parameter.layer]
            else:  # one unit takes the parameter: its error signal times the local derivative
                unit, = graph.consumers(parameter)
                local = graph.local_derivative(unit.net, parameter.symbol)
                share = ops.mul(values[unit.delta], Fraction(1) if local == 1 else values[local])
            add(notation.gradient_id(parameter), share, Partial(E, parameter.symbol),
                partial(_share_formula, graph, parameter), row, "gradient")


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


def _error_signal_formula(E: sp.Symbol, unit: Any) -> sp.Basic:
    """delta = dE/dout times dout/dnet."""
    return sp.Mul(Partial(E, unit.a), Partial(unit.a, unit.z), evaluate=False)


def _sum_of_shares(graph: Graph, parameter: Any) -> sp.Basic:
    """dE/dp as the sum of the samples' shares."""
    return total([Partial(share, parameter.symbol) for share in graph.sample_losses])


def _share_formula(graph: Graph, parameter: Any) -> sp.Basic:
    """dE/dp as the error signals of the units p feeds times p's local derivatives."""
    return total([product(unit.delta, graph.local_derivative(unit.net, parameter.symbol))
                  for unit in graph.consumers(parameter)])


def _sample_loss_formula(first: Pass, scale: Fraction, graph: Graph, notation: Notation, s: int) -> sp.Basic:
    """A sample's loss as its terms (or its cross-entropy L) times the loss's exact factor."""
    if first.samples[s].softmax:
        return scaled(scale, notation.display("L" if len(first.batch) == 1 else f"L{s}"))
    return scaled(scale, total(list(graph.loss_terms)))


def _dE_dout_formula(network: Network, first: Pass, scale: Fraction, graph: Graph, unit: Any,
                     values: dict, E: sp.Basic) -> sp.Basic:
    """dE/dout of a unit: the loss's derivative for an output, the sum of its paths for a hidden unit."""
    if unit.layer < len(graph.layers) - 1:
        return total([path_symbol(network, graph, unit, c, E, scale) for c in graph.consumers_of_output(unit)])
    y = graph.targets[unit.index]
    if first.samples[0].softmax:
        return scaled(scale, softmax_error(graph, unit.index, sum(values[t] for t in graph.targets) == 1))
    return scaled(scale, network.loss.derivative_shown(unit.a, y, values[unit.a], values[y]))


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
