"""--style graph: the forward and backward passes gate by gate, each backward step as downstream = upstream x local."""

from __future__ import annotations

import sympy as sp

from ..expressions import total
from ..text.message import Math, Msg, msg
from .circuit import Circuit, Gate
from .facts import Facts
from .graph import Parameter, Unit
from .model import Block, Equation, Section
from .nodes import Partial

def graph_forward_section(facts: Facts, circuit: Circuit) -> Section:
    """The decomposition said in words, the figure, then every gate's output from its inputs."""
    intro: list[Msg] = [msg("graph.intro", sigmoid=Math(_sigmoid_pieces(facts, circuit)))]
    if not circuit.whole:
        start = facts.notation.unit_name(circuit.units[0])
        intro.append(msg("graph.path", start=Math(start), count=len(circuit.units)))
    if facts.batch > 1:
        intro.append(msg("graph.first_sample"))
    blocks = []
    for unit in circuit.units:
        equations = [_forward_equation(facts, gate) for gate in circuit.gates if gate.unit == unit]
        blocks.append(Block((msg("graph.neuron", neuron=Math(facts.notation.unit_name(unit))),), (), tuple(equations)))
    return Section("graph-forward", msg("graph.forward_title"), tuple(intro), tuple(blocks), circuit=circuit)


def graph_backward_section(facts: Facts, circuit: Circuit) -> Section:
    """From the loss back, gate by gate; a value read by several gates sums their gradients."""
    graph, E = facts.graph, circuit.loss
    frozen = {p.symbol for p in graph.parameters if not p.trained}
    blocks: list[Block] = []
    for unit in sorted(circuit.units, key=lambda u: (-u.layer, u.index)):
        equations: list[Equation] = []
        if unit.layer == len(graph.layers) - 1:
            formula = facts.quantities[facts.notation.dE_dout_id(unit) + _suffix(facts)].formula
            lead: tuple[Msg, ...] = (msg("graph.loss_piece"),)
            equations.append(facts.equation(Partial(E, unit.a), [formula], formula, 0))
        else:
            lead = (msg("graph.branch"),)
            equations.append(_branch_equation(facts, circuit, unit.a, graph.consumers_of_output(unit)))
        gates = [gate for gate in circuit.gates if gate.unit == unit]
        for gate in [g for g in reversed(gates) if g.op != "mul"] + [g for g in gates if g.op == "mul"]:
            for symbol, local in zip(gate.inputs, gate.locals_):
                if symbol in graph.previous_activations(unit.layer) or _shared(facts, symbol):
                    continue  # a value several gates read: its sum comes with the branch
                if symbol in frozen:
                    continue  # training keeps it fixed: no gradient is needed
                step = sp.Mul(Partial(E, gate.output), local, evaluate=False)
                equations.append(facts.equation(Partial(E, symbol), [step], step, 0))
        blocks.append(Block((msg("graph.neuron", neuron=Math(facts.notation.unit_name(unit))),), lead, tuple(equations)))
    sums = [_branch_equation(facts, circuit, x, graph.layers[0]) for x in graph.inputs]
    sums += [_bias_sum(facts, circuit, parameter) for parameter in _shared_biases(facts) if parameter.trained]
    blocks.append(Block((msg("graph.inputs_title"),), (msg("graph.inputs_lead"),), tuple(sums)))
    intro = (msg("graph.backward_intro"), msg("graph.patterns"))
    return Section("graph-backward", msg("graph.backward_title"), intro, tuple(blocks))


def _suffix(facts: Facts) -> str:
    return "@1" if facts.network.data.batch_size > 1 else ""


def _sigmoid_pieces(facts: Facts, circuit: Circuit) -> sp.Basic:
    net = sp.Symbol("x")
    return sp.Eq(sp.Function("sigma")(net), sp.Pow(1 + sp.exp(-net), -1, evaluate=False), evaluate=False)


def _forward_equation(facts: Facts, gate: Gate) -> Equation:
    a = gate.inputs
    if gate.op == "mul":
        form: sp.Basic = sp.Mul(a[0], a[1], evaluate=False)
    elif gate.op == "add":
        form = total(list(a))
    elif gate.op == "neg":
        form = sp.Mul(-1, a[0], evaluate=False)
    elif gate.op == "exp":
        form = sp.exp(a[0], evaluate=False)
    elif gate.op == "plus1":
        form = sp.Add(1, a[0], evaluate=False)
    elif gate.op == "recip":
        form = sp.Pow(a[0], -1, evaluate=False)
    else:  # an activation as one piece
        form = gate.unit.written if gate.unit is not None else a[0]
    return facts.equation(gate.output, [form], form, 0)


def _branch_equation(facts: Facts, circuit: Circuit, value: sp.Basic, consumers: tuple[Unit, ...]) -> Equation:
    """dE/d(value) = the sum over the gates that read it of upstream x local (a branch sums)."""
    E = circuit.loss
    terms = []
    for consumer in consumers:
        for gate in circuit.gates_of(consumer):
            if gate.op == "mul" and value in gate.inputs:
                weight = gate.inputs[0]
                terms.append(sp.Mul(Partial(E, gate.output), weight, evaluate=False))
    form = total(terms) if len(terms) > 1 else terms[0]
    return facts.equation(Partial(E, value), [form], form, 0)


def _shared(facts: Facts, symbol: sp.Basic) -> bool:
    return any(parameter.symbol == symbol for parameter in _shared_biases(facts))


def _shared_biases(facts: Facts) -> list[Parameter]:
    """A layer's one bias that every neuron of the layer adds (several add gates read it)."""
    return [p for p in facts.graph.parameters if p.slot.kind == "bias" and p.slot.row is None]


def _bias_sum(facts: Facts, circuit: Circuit, bias: Parameter) -> Equation:
    E = circuit.loss
    terms = [sp.Mul(Partial(E, unit.z), 1, evaluate=False) for unit in facts.graph.consumers(bias)]
    form = total(terms)
    return facts.equation(Partial(E, bias.symbol), [form], form, 0)
