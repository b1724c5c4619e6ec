"""The backward pass, output layer first, and the batch gradient, as document sections."""

from __future__ import annotations

import sympy as sp

from ..text.message import Math, Msg, Value, msg
from .facts import Facts
from ..expressions import product, scaled, total
from .forward import REDUCTION_TERMS_SHOWN, sample_title
from .graph import Parameter, Unit
from .nodes import Partial
from .model import Block, Equation, Section, Table


def backward_section(facts: Facts, sample: int) -> Section:
    """Output layer first: each neuron's error signal, then every parameter's chain, for one sample."""
    graph = facts.graph
    needed = _needed_layers(facts)
    blocks = []
    for index in reversed(range(len(graph.layers))):
        if index < needed:
            continue
        for unit in graph.layers[index]:
            blocks.append(_unit_block(facts, unit, sample))
        shared = _shared_bias_block(facts, index, sample)
        if shared is not None:
            blocks.append(shared)
    intro = [msg("backward.intro", delta=Math(sp.Symbol("delta")))]
    if facts.batch > 1:
        intro.append(msg("backward.intro_sample", sample=sample + 1, share=Math(facts.loss_symbol(sample))))
    return Section(f"backward-{sample}", sample_title(facts, "backward", sample), tuple(intro), tuple(blocks))


def _needed_layers(facts: Facts) -> int:
    """The first layer whose neurons must be derived for the parameters in focus."""
    layers = [p.layer for p in facts.graph.parameters if facts.derived_in_full(p)]
    return min(layers) if layers else len(facts.graph.layers)


def _unit_block(facts: Facts, unit: Unit, sample: int) -> Block:
    graph = facts.graph
    E = facts.loss_symbol(sample)
    equations: list[Equation] = []
    last = unit.layer == len(graph.layers) - 1
    if last:
        equations.append(_output_error_equation(facts, unit, sample))
    else:
        following = graph.layers[unit.layer + 1]
        for consumer in following:
            formula = graph.local_derivative(consumer.net, unit.a)
            equations.append(facts.equation(Partial(consumer.z, unit.a), [formula], formula, sample))
        paths = [sp.Mul(Partial(E, c.z), Partial(c.z, unit.a), evaluate=False) for c in following]
        shorthand = total([product(c.delta, graph.local_derivative(c.net, unit.a)) for c in following])
        equations.append(facts.equation(Partial(E, unit.a), [total(paths), shorthand], shorthand, sample))
    derivative = unit.slope
    equations.append(facts.equation(Partial(unit.a, unit.z), [derivative], derivative, sample))
    chain = sp.Mul(Partial(E, unit.a), Partial(unit.a, unit.z), evaluate=False)
    equations.append(facts.equation(unit.delta, [Partial(E, unit.z), chain], chain, sample))
    for parameter in graph.parameters:
        slot = parameter.slot
        if slot.layer == unit.layer and slot.row == unit.index and parameter.trained and facts.derived_in_full(parameter):
            equations.extend(_parameter_equations(facts, parameter, unit, sample))
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


def _parameter_equations(facts: Facts, parameter: Parameter, unit: Unit, sample: int) -> list[Equation]:
    E = facts.loss_symbol(sample)
    local = Partial(unit.z, parameter.symbol)
    formula = facts.graph.local_derivative(unit.net, parameter.symbol)
    chain = sp.Mul(Partial(E, unit.a), Partial(unit.a, unit.z), local, evaluate=False)
    return [
        facts.equation(local, [formula], formula, sample),
        facts.equation(Partial(E, parameter.symbol), [chain, product(unit.delta, formula)], chain, sample),
    ]


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
    equations = []
    for parameter in graph.parameters:
        if not parameter.trained or not facts.derived_in_full(parameter):
            continue
        shares = [Partial(graph.sample_losses[s], parameter.symbol) for s in range(facts.batch)]
        numbers = total(shares) if facts.batch <= REDUCTION_TERMS_SHOWN else None
        gradient = quantities.lookup(Partial(graph.loss_total, parameter.symbol), None)
        equations.append(Equation(Partial(graph.loss_total, parameter.symbol), (total(shares),), numbers, gradient.id, None))
    mean = facts.training.first.loss_scale != 1
    intro = [msg("batch.intro_mean" if mean else "batch.intro_sum")]
    tables: tuple[Table, ...] = ()
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
        tables = (Table(header, rows),)
        if len(rest) == 1:
            intro.append(msg("batch.rest_one", sample=rest.start + 1))
        else:
            intro.append(msg("batch.rest_many", first=rest.start + 1, last=facts.batch))
    return Section("batch", msg("batch.title"), tuple(intro), (Block((), (), tuple(equations)),), tables)
