"""The backward pass, output layer first, and the batch gradient, as document sections."""

from __future__ import annotations

import sympy as sp

from ..text.message import Math, Msg, Value, msg
from .facts import Facts
from ..expressions import product, scaled, total
from .forward import sample_title
from .graph import Parameter, Unit
from .tabulate import path_symbol
from .nodes import Partial
from .model import Block, Equation, Section, Table


SHARES_TABULATED = 4  # samples whose shares of each gradient get a column of the batch table


def backward_section(facts: Facts, sample: int) -> Section:
    """The rules once, then output layer first: each neuron's error signal and its parameters' gradients."""
    graph = facts.graph
    needed = needed_units(facts)
    blocks = [] if sample else [_rules_block(facts)]
    for index in reversed(range(len(graph.layers))):
        for unit in graph.layers[index]:
            if (unit.layer, unit.index) in needed:
                blocks.append(_unit_block(facts, unit, sample))
        shared = _shared_bias_block(facts, index, sample)
        if shared is not None:
            blocks.append(shared)
    intro = [] if sample else [msg("backward.intro", delta=Math(sp.Symbol("delta")))]  # said once, for sample 1
    if facts.batch > 1:
        intro.append(msg("backward.intro_sample", sample=sample + 1, share=Math(facts.loss_symbol(sample))))
    return Section(f"backward-{sample}", sample_title(facts, "backward", sample), tuple(intro), tuple(blocks))


def needed_units(facts: Facts) -> set[tuple[int, int]]:
    """The neurons whose error signals the parameters in focus need: their own, and every neuron after them.

    A parameter of neuron j in layer l needs delta_j, and delta_j needs the error signals of every
    neuron of the later layers (each feeds the next); no other neuron of layer l is needed.
    """
    graph = facts.graph
    needed: set[tuple[int, int]] = set()
    for parameter in graph.parameters:
        if parameter.trained and facts.derived_in_full(parameter):
            for unit in graph.consumers(parameter):
                needed.add((unit.layer, unit.index))
                needed.update((later.layer, later.index) for layer in graph.layers[unit.layer + 1:] for later in layer)
    return needed


def _rules_block(facts: Facts) -> Block:
    """The rules every neuron below follows, in symbols, once: the error signal, its sum over the
    next layer for a hidden neuron, and a parameter's gradient from it."""
    d = facts.notation.display
    E, net_j, out_j, out_i = d("E_total"), d("net_j"), d("out_j"), d("out_i")
    delta_j, delta_k, w_ji, w_kj, b_j = d("delta_j"), d("delta_k"), d("w_ji"), d("w_kj"), d("b_j")
    k = sp.Symbol("k", integer=True, positive=True)
    rules = (
        Equation(delta_j, (Partial(E, net_j), sp.Mul(Partial(E, out_j), Partial(out_j, net_j), evaluate=False)), None, None),
        Equation(Partial(E, out_j), (sp.Sum(sp.Mul(delta_k, w_kj, evaluate=False), (k, 1, d("K"))),), None, None),
        Equation(Partial(E, w_ji), (sp.Mul(delta_j, Partial(net_j, w_ji), evaluate=False), sp.Mul(delta_j, out_i, evaluate=False)), None, None),
        Equation(Partial(E, b_j), (sp.Mul(delta_j, Partial(net_j, b_j), evaluate=False), delta_j), None, None),
    )
    return Block((msg("backward.rules_title"),), (msg("backward.rules_lead"),), rules)


def _unit_block(facts: Facts, unit: Unit, sample: int) -> Block:
    graph = facts.graph
    E = facts.loss_symbol(sample)
    equations: list[Equation] = []
    last = unit.layer == len(graph.layers) - 1
    if last:
        equations.append(_output_error_equation(facts, unit, sample))
    else:
        consumers = graph.consumers_of_output(unit)
        paths = []
        for consumer in consumers:
            path = path_symbol(facts.network, graph, unit, consumer, E, facts.training.first.loss_scale)
            shorthand = product(consumer.delta, graph.local_derivative(consumer.net, unit.a))
            chain = path if isinstance(path, sp.Mul) else sp.Mul(Partial(path.numerator, consumer.z), Partial(consumer.z, unit.a), evaluate=False)
            if len(consumers) == 1:  # one path: dE/dout is that path, so it needs no sum
                equations.append(facts.equation(Partial(E, unit.a), [chain, shorthand], shorthand, sample))
                break
            paths.append(path)
            equations.append(facts.equation(path, [shorthand] if chain is path else [chain, shorthand], shorthand, sample))
        else:
            equations.append(facts.equation(Partial(E, unit.a), [total(paths)], total(paths), sample))
    derivative = unit.slope
    equations.append(facts.equation(Partial(unit.a, unit.z), [derivative], derivative, sample))
    chain = sp.Mul(Partial(E, unit.a), Partial(unit.a, unit.z), evaluate=False)
    equations.append(facts.equation(unit.delta, [Partial(E, unit.z), chain], chain, sample))
    for parameter in graph.parameters:
        slot = parameter.slot
        if slot.layer == unit.layer and slot.row == unit.index and parameter.trained and facts.derived_in_full(parameter):
            equations.append(_gradient_equation(facts, parameter, unit, sample))
    name = Math(facts.notation.unit_name(unit))
    title = msg("backward.output_neuron", unit=name) if last else msg("backward.hidden_neuron", unit=name)
    lead: list[Msg] = [msg("backward.output_lead" if last else "backward.hidden_lead")]
    note = unit.activation.note(facts.quantities.lookup(unit.z, sample).value)
    if note is not None:
        lead.append(note)
    return Block((title,), tuple(lead), tuple(equations))


def _output_error_equation(facts: Facts, unit: Unit, sample: int) -> Equation:
    E = facts.loss_symbol(sample)
    formula = facts.quantities.lookup(Partial(E, unit.a), sample).formula
    if facts.network.loss.uses_softmax:
        return facts.equation(Partial(E, unit.a), [formula], formula, sample)
    term = facts.graph.loss_terms[unit.index]
    forms = [scaled(facts.training.first.loss_scale, Partial(term, unit.a)), formula]
    return facts.equation(Partial(E, unit.a), forms, formula, sample)


def _gradient_equation(facts: Facts, parameter: Parameter, unit: Unit, sample: int) -> Equation:
    """dE/dp = delta . dnet/dp = delta . (what p multiplies): the local derivative folded into the line."""
    E = facts.loss_symbol(sample)
    local = facts.graph.local_derivative(unit.net, parameter.symbol)
    folded = sp.Mul(unit.delta, Partial(unit.z, parameter.symbol), evaluate=False)
    shorthand = product(unit.delta, local)
    return facts.equation(Partial(E, parameter.symbol), [folded, shorthand], shorthand, sample)


def _shared_bias_block(facts: Facts, layer: int, sample: int) -> Block | None:
    graph = facts.graph
    E = facts.loss_symbol(sample)
    for parameter in graph.parameters:
        slot = parameter.slot
        if slot.layer == layer and slot.kind == "bias" and slot.row is None:
            if not parameter.trained or not facts.derived_in_full(parameter):
                return None
            consumers = graph.consumers(parameter)
            paths = [sp.Mul(Partial(E, c.z), Partial(c.z, parameter.symbol), evaluate=False) for c in consumers]
            shorthand = total([c.delta for c in consumers])
            equation = facts.equation(Partial(E, parameter.symbol), [total(paths), shorthand], shorthand, sample)
            bias = Math(parameter.symbol)
            return Block((msg("backward.shared_bias_title", bias=bias),), (msg("backward.shared_bias_lead", bias=bias),), (equation,))
    return None


def batch_section(facts: Facts) -> Section:
    """Each parameter's gradient as the sum of the samples' shares; tables for the samples not derived."""
    graph, quantities = facts.graph, facts.quantities
    shown = range(facts.batch) if facts.batch <= SHARES_TABULATED else range(0)
    p = sp.Symbol("p")
    gradient_rows = []
    for parameter in graph.parameters:
        if parameter.trained and facts.derived_in_full(parameter):
            shares = tuple(Value(quantities.lookup(Partial(graph.sample_losses[s], parameter.symbol), s).id) for s in shown)
            total_id = quantities.lookup(Partial(graph.loss_total, parameter.symbol), None).id
            gradient_rows.append((Math(parameter.symbol),) + shares + (Value(total_id),))
    header = ((msg("header.parameter"),) + tuple(Math(Partial(graph.sample_losses[s], p)) for s in shown)
              + (Math(Partial(graph.loss_total, p)),))
    if shown:
        shares_sum = total([Partial(graph.sample_losses[s], p) for s in shown])
    else:
        s = sp.Symbol("s", integer=True, positive=True)
        shares_sum = sp.Sum(Partial(facts.notation.display("E_s"), p), (s, 1, facts.batch))
    rule = sp.Eq(Partial(graph.loss_total, p), shares_sum, evaluate=False)
    mean = facts.training.first.loss_scale != 1
    intro = [msg("batch.intro_mean" if mean else "batch.intro_sum", parameter=Math(p), rule=Math(rule))]
    if not shown:
        intro.append(msg("batch.totals_only", most=SHARES_TABULATED))
    tables: tuple[Table, ...] = (Table(header, tuple(gradient_rows)),)
    rest = range(len(facts.detailed_samples()), facts.batch)
    if len(rest):
        rows = tuple(
            (
                s + 1,
                Math(facts.notation.unit_name(u)),
                Value(quantities.lookup(u.z, s).id),
                Value(quantities.lookup(u.a, s).id),
                Value(quantities.lookup(u.delta, s).id),
            )
            for s in rest
            for u in graph.units()
        )
        header = tuple(msg(f"header.{key}") for key in ("sample", "neuron", "net_input", "output", "error_signal"))
        tables += (Table(header, rows),)
        if len(rest) == 1:
            intro.append(msg("batch.rest_one", sample=rest.start + 1))
        else:
            intro.append(msg("batch.rest_many", first=rest.start + 1, last=facts.batch))
    return Section("batch", msg("batch.title"), tuple(intro), tables=tables)
