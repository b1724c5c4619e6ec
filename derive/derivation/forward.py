"""The forward pass and the loss, sample by sample, as document sections."""

from __future__ import annotations

import sympy as sp

from ..engine.passes import target_row
from ..network import Network
from ..text.message import Math, Msg, Value, msg, owned
from .facts import Facts
from ..expressions import scaled, total
from .graph import Unit
from .nodes import Applied, Partial
from .model import Block, Equation, Section, Table

REDUCTION_TERMS_SHOWN = 6  # a batch sum lists its per-sample terms up to this batch size


def layer_title(facts: Facts, index: int) -> Msg:
    """'Hidden layer', 'Hidden layer 2' or 'Output layer'."""
    count = len(facts.graph.layers)
    if index == count - 1:
        return msg("layer.output")
    return msg("layer.hidden") if count == 2 else msg("layer.hidden_numbered", number=index + 1)


def sample_title(facts: Facts, key: str, sample: int) -> Msg:
    """A section title, with ', sample 2' in a batch."""
    return msg(f"{key}.title_sample", sample=sample + 1) if facts.batch > 1 else msg(f"{key}.title")


def forward_section(facts: Facts, sample: int) -> Section:
    """net then out for every neuron of one sample."""
    blocks = []
    for index, layer in enumerate(facts.graph.layers):
        equations = []
        for unit in layer:
            equations.append(facts.equation(unit.z, [unit.net], unit.net, sample))
            equations.append(_activation_equation(facts, unit, sample))
        blocks.append(Block((layer_title(facts, index),), (_activation_lead(facts, layer[0]),), tuple(equations)))
    intro = () if sample else (_forward_rule(facts),)  # said once, for the first sample
    return Section(f"forward-{sample}", sample_title(facts, "forward", sample), intro, tuple(blocks))


def _forward_rule(facts: Facts) -> Msg:
    """The forward pass's rule in symbols: net_j = sum_i w_ji out_i + b_j and out_j = f(net_j)."""
    d = facts.notation.display
    i = sp.Symbol("i", integer=True, positive=True)
    net = sp.Eq(d("net_j"), sp.Add(sp.Sum(sp.Mul(d("w_ji"), d("out_i"), evaluate=False), (i, 1, d("I"))), d("b_j"),
                                   evaluate=False), evaluate=False)
    out = sp.Eq(d("out_j"), sp.Function("f")(d("net_j")), evaluate=False)
    return msg("forward.intro", j=Math(sp.Symbol("j")), f=Math(sp.Symbol("f")), net_rule=Math(net), out_rule=Math(out))


def _activation_equation(facts: Facts, unit: Unit, sample: int) -> Equation:
    applied = Applied(unit.activation.name, unit.z)
    written = unit.written
    if unit.activation.trivial or _written_as_applied(written, unit.z):
        forms = [written]
    else:
        forms = [applied, written]
    return facts.equation(unit.a, forms, written, sample)


def _written_as_applied(written: sp.Basic, z: sp.Symbol) -> bool:
    """Whether the activation is written out as itself applied to z (tanh(z)), so f(z) = ... would repeat it."""
    return isinstance(written, sp.Function) and written.args == (z,)


def _activation_lead(facts: Facts, unit: Unit) -> Msg:
    """'Activation: the logistic sigmoid, sigma(net) = 1/(1 + e^-net).', written with a generic net input."""
    activation = unit.activation
    if activation.trivial:
        return owned(activation, "lead")
    generic = facts.notation.display("activation_input")
    written = activation.written(generic)
    if _written_as_applied(written, generic):
        formula = written
    else:
        formula = sp.Eq(Applied(activation.name, generic), written, evaluate=False)
    return msg("forward.activation", words=activation.words(), formula=Math(formula))


def loss_section(facts: Facts) -> Section:
    """The loss of each detailed sample, term by term, then the total over the batch."""
    blocks = [_sample_loss_block(facts, s) for s in facts.detailed_samples()]
    tables: tuple[Table, ...] = ()
    graph = facts.graph
    if facts.batch > 1:
        shares = [graph.sample_losses[s] for s in range(facts.batch)]
        numbers = total(shares) if facts.batch <= REDUCTION_TERMS_SHOWN else None
        equation = Equation(graph.loss_total, (total(shares),), numbers, "E", None)
        blocks.append(Block((msg("loss.batch_title"),), (msg("loss.batch_lead"),), (equation,)))
        rest = range(len(facts.detailed_samples()), facts.batch)
        if len(rest):
            rows = tuple((s + 1, Value(facts.quantities.lookup(graph.sample_losses[s], s).id)) for s in rest)
            tables = (Table((msg("header.sample"), msg("header.share")), rows),)
    if facts.network.loss.uses_softmax:
        blocks.append(_softmax_block(facts))
    intro = (msg("loss.intro", loss=facts.network.loss.words()),)
    return Section("loss", msg("loss.title"), intro, tuple(blocks), tables)


def _sample_loss_block(facts: Facts, sample: int) -> Block:
    graph = facts.graph
    scale = facts.training.first.loss_scale
    E = facts.loss_symbol(sample)
    loss = facts.network.loss
    equations = []
    if loss.uses_softmax:
        outputs = [unit.a for unit in graph.outputs]
        denominator = total([sp.exp(a) for a in outputs])
        for j, p in enumerate(graph.softmax):
            softmax = sp.Mul(sp.exp(outputs[j]), sp.Pow(denominator, -1, evaluate=False), evaluate=False)
            equations.append(facts.equation(p, [softmax], softmax, sample))
        terms = [sp.Mul(y, sp.log(p), evaluate=False) for y, p in zip(graph.targets, graph.softmax)]
        cross_entropy = sp.Mul(-1, total(terms), evaluate=False)
        L = facts.notation.display("L" if facts.batch == 1 else f"L{sample}")
        equations.append(facts.equation(L, [cross_entropy], cross_entropy, sample))
        share = scaled(scale, L)
        equations.append(facts.equation(E, [share], share, sample))
    else:
        values = facts.quantities.scope(sample)
        for j, term in enumerate(graph.loss_terms):
            a, y = graph.outputs[j].a, graph.targets[j]
            expression = loss.term_shown(a, y, values[a].value, values[y].value if y in values else None)
            equations.append(facts.equation(term, [expression], expression, sample))
        share = scaled(scale, total(list(graph.loss_terms)))
        equations.append(facts.equation(E, [share], share, sample))
    title = (msg("loss.sample_title", sample=sample + 1),) if facts.batch > 1 else ()
    values = facts.quantities.scope(sample)
    outputs = [values[unit.a].value for unit in graph.outputs]
    note = loss.note(outputs, [values[y].value if y in values else None for y in graph.targets])
    lead = (note,) if note is not None else ()
    return Block(title, lead, tuple(equations))


def targets_add_to_one(network: Network) -> bool:
    """Whether every sample's targets add up to 1 (class indices do), so softmax's gradient is p - y."""
    return all(sum(target_row(network, row)) == 1 for row in range(network.data.batch_size))


def _softmax_block(facts: Facts) -> Block:
    """Why dE/da_j = p_j - y_j (p_j times the sum of the targets, minus y_j, when they may not add up to 1)."""
    d = facts.notation.display
    j, k = sp.symbols("j k", integer=True, positive=True)
    K = sp.Symbol("K", integer=True, positive=True)
    m = sp.Symbol("m", integer=True, positive=True)
    p_k, p_j, y_k, y_j, a_j, E = d("p_k"), d("p_j"), d("y_k"), d("y_j"), d("a_j"), d("E_one")
    jacobian = Equation(Partial(p_k, a_j), (sp.Mul(p_k, sp.Add(sp.KroneckerDelta(k, j), -p_j, evaluate=False), evaluate=False),), None, None)
    chain = sp.Sum(sp.Mul(Partial(E, p_k), Partial(p_k, a_j), evaluate=False), (k, 1, K))
    substituted = sp.Sum(
        sp.Mul(
            sp.Mul(-1, y_k, sp.Pow(p_k, -1, evaluate=False), evaluate=False),
            p_k,
            sp.Add(sp.KroneckerDelta(k, j), -p_j, evaluate=False),
            evaluate=False,
        ),
        (k, 1, K),
    )
    collected = sp.Add(sp.Mul(p_j, sp.Sum(y_k, (k, 1, K)), evaluate=False), -y_j, evaluate=False)
    add_to_one = targets_add_to_one(facts.network)
    forms = (chain, substituted, collected) + ((sp.Add(p_j, -y_j, evaluate=False),) if add_to_one else ())
    gradient = Equation(Partial(E, a_j), forms, None, None)
    loss_of_one = sp.Eq(E, -sp.Sum(sp.Mul(y_k, sp.log(p_k), evaluate=False), (k, 1, K)), evaluate=False)
    normaliser = sp.Sum(sp.exp(d("a_m")), (m, 1, K))
    softmax_k = sp.Eq(p_k, sp.exp(d("a_k")) / normaliser, evaluate=False)
    lead = msg("loss.softmax_lead" if add_to_one else "loss.softmax_lead_any_sum", loss=Math(loss_of_one),
               softmax=Math(softmax_k))
    return Block((msg("loss.softmax_title"),), (lead,), (jacobian, gradient))

