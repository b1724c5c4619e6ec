"""The same step in matrix form: Z = W A + b, A = f(Z), the delta recursions and outer products, with numbers."""

from __future__ import annotations

from typing import Callable

import sympy as sp

from ..expressions import scaled, swapped, total
from ..text.message import Math, Msg, msg
from .facts import Facts
from .forward import targets_add_to_one
from .model import Block, Equation, Section
from .nodes import Applied, Dimensions, Entries, Gradient, LayerSlope, MatrixOp, MatrixShape, Operator, Partial, QuantityRef, Transposed
from .notation import Marked, Name

NUMERIC_ROWS_UP_TO = 6  # taller matrices give only their shape
NUMERIC_LINE_CHARACTERS = 60  # a matrix row (columns x digits) must fit one printed line


def matrix_sections(facts: Facts) -> tuple[Section, Section]:
    """The forward pass and the backward pass in matrix form, batch as columns."""
    return _forward(facts), _backward(facts)


def _numeric(facts: Facts, rows: list[list[str]]) -> sp.Expr:
    """A matrix of quantities' values (by ID), or its shape when it is too large to print."""
    height, width = len(rows), len(rows[0])
    if height > NUMERIC_ROWS_UP_TO or width * (facts.precision + 6) > NUMERIC_LINE_CHARACTERS:
        return MatrixShape(height, width)
    return sp.ImmutableMatrix([[QuantityRef(key) for key in row] for row in rows])


def _per_sample(facts: Facts, ids: Callable[[int], list[str]]) -> list[list[str]]:
    """Quantity IDs laid out units x samples: column s holds ``ids(s)`` for sample s of the batch."""
    columns = [ids(row) for row in facts.training.first.batch]
    return [list(row) for row in zip(*columns)]


def _suffix(facts: Facts, row: int) -> str:
    return f"@{row + 1}" if facts.network.data.batch_size > 1 else ""


def _inputs(facts: Facts) -> list[list[str]]:
    return _per_sample(facts, lambda row: [facts.notation.ids[x] + _suffix(facts, row) for x in facts.graph.inputs])


def _of_layer(facts: Facts, index: int, ids: Callable[[object], str]) -> list[list[str]]:
    units = facts.graph.layers[index]
    return _per_sample(facts, lambda row: [ids(unit) + _suffix(facts, row) for unit in units])


def _weights(facts: Facts, index: int) -> list[list[str]]:
    ids = facts.notation.ids
    units = facts.graph.layers[index]
    width = len(facts.graph.previous_activations(index))
    by_slot = {(p.slot.row, p.slot.column): ids[p.symbol] for p in facts.graph.parameters
               if p.layer == index and p.slot.kind == "weight"}
    return [[by_slot[(unit.index, k)] for k in range(width)] for unit in units]


def _bias_column(facts: Facts, index: int, key: Callable[[object], str]) -> list[list[str]]:
    """A layer's biases (or their gradients) as a column: a shared bias once per neuron, or once."""
    biases = [p for p in facts.graph.parameters if p.layer == index and p.slot.kind == "bias"]
    return [[key(p)] for p in biases]


def _shape(rows: int, columns: int) -> Math:
    """rows x columns, as math."""
    return Math(Dimensions(rows, columns))


def _forward(facts: Facts) -> Section:
    network, d = facts.network, facts.notation.display
    batch = facts.batch
    blocks = []
    previous = d("X")
    previous_values = _inputs(facts)
    ids = facts.notation.ids
    for index, layer in enumerate(network.layers):
        l = index + 1
        W, Z, A = d(f"W{l}"), d(f"Z{l}"), d(f"A{l}")
        product = MatrixOp("product", W, previous)
        numbers: sp.Expr = MatrixOp("product", _numeric(facts, _weights(facts, index)), _numeric(facts, previous_values))
        forms: list[sp.Expr] = [product]
        if layer.bias is not None:
            forms = [sp.Add(product, d(f"b{l}"), evaluate=False)]
            column = _bias_column(facts, index, lambda p: ids[p.symbol])
            bias_rows = column if layer.bias_kind == "per_neuron" else column * layer.out_features
            numbers = sp.Add(numbers, _numeric(facts, bias_rows), evaluate=False)
        z_values = _of_layer(facts, index, lambda unit: ids[unit.z])
        a_values = _of_layer(facts, index, lambda unit: ids[unit.a])
        activated = Z if layer.activation.trivial else Applied(layer.activation.name, Z)
        equations = (
            Equation(Z, tuple(forms), numbers, None, None),
            Equation(Z, (), _numeric(facts, z_values), None, None),
            Equation(A, (activated,), None, None, None),
            Equation(A, (), _numeric(facts, a_values), None, None),
        )
        lead = [msg(
            "matrix.shapes",
            weights=Math(W), inputs=Math(previous), z=Math(Z), a=Math(A),
            weight_shape=_shape(layer.out_features, layer.in_features),
            input_shape=_shape(layer.in_features, batch),
            output_shape=_shape(layer.out_features, batch),
        )]
        if not layer.activation.trivial:
            lead.append(msg("matrix.activation", words=layer.activation.words(), applied=Math(activated)))
        if layer.bias is not None:
            lead.append(msg("matrix.bias_added"))
        blocks.append(Block((msg("matrix.layer", number=l),), tuple(lead), equations))
        previous, previous_values = A, a_values
    intro = (msg("matrix.forward_intro", samples=msg("count.sample", count=batch)),)
    return Section("matrix-forward", msg("matrix.forward_title"), intro, tuple(blocks))


def _backward(facts: Facts) -> Section:
    network, notation, d = facts.network, facts.notation, facts.notation.display
    ids = notation.ids
    E = d("E_one")
    count = len(network.layers)
    blocks = []
    for index in reversed(range(count)):
        l = index + 1
        layer = network.layers[index]
        delta = d(f"delta{l}")
        slope = LayerSlope(layer.activation.name, d(f"Z{l}"))
        d_values = _of_layer(facts, index, notation.dout_dnet_id)
        delta_values = _of_layer(facts, index, notation.delta_id)
        if index == count - 1:
            form = MatrixOp("hadamard", Gradient(E, d(f"A{l}")), slope)
            upstream = _of_layer(facts, index, notation.dE_dout_id)
            numbers = MatrixOp("hadamard", _numeric(facts, upstream), _numeric(facts, d_values))
        else:
            form = MatrixOp("hadamard", MatrixOp("product", Transposed(d(f"W{l + 1}")), d(f"delta{l + 1}")), slope)
            transposed = [list(column) for column in zip(*_weights(facts, index + 1))]
            following = _of_layer(facts, index + 1, notation.delta_id)
            numbers = MatrixOp(
                "hadamard",
                MatrixOp("product", _numeric(facts, transposed), _numeric(facts, following)),
                _numeric(facts, d_values),
            )
        previous_values = _inputs(facts) if index == 0 else _of_layer(facts, index - 1, lambda unit: ids[unit.a])
        previous = d("X") if index == 0 else d(f"A{l - 1}")
        grad_w = Partial(E, d(f"W{l}"))
        gradients = [[notation.gradient_id(p) for p in row] for row in _weight_parameters(facts, index)]
        equations = [
            Equation(delta, (form,), numbers, None, None),
            Equation(delta, (), _numeric(facts, delta_values), None, None),
            Equation(
                grad_w,
                (MatrixOp("product", delta, Transposed(previous)),),
                MatrixOp("product", _numeric(facts, delta_values), _numeric(facts, [list(r) for r in zip(*previous_values)])),
                None,
                None,
            ),
            Equation(grad_w, (), _numeric(facts, gradients), None, None),
        ]
        if layer.bias_trained:
            grad_b = Partial(E, d(f"b{l}"))
            ones = d("ones")
            summed = MatrixOp("product", delta, ones)
            if layer.bias_kind == "shared":
                summed = MatrixOp("product", Transposed(ones), delta, ones)
            equations.append(Equation(grad_b, (summed,), None, None, None))
            bias_rows = _bias_column(facts, index, notation.gradient_id)
            equations.append(Equation(grad_b, (), _numeric(facts, bias_rows), None, None))
        lead = [msg("matrix.output_lead" if index == count - 1 else "matrix.hidden_lead"), msg("matrix.weight_lead")]
        if layer.bias_trained:
            lead.append(msg("matrix.bias_lead_shared" if layer.bias_kind == "shared" else "matrix.bias_lead"))
        blocks.append(Block((msg("matrix.layer", number=l),), tuple(lead), tuple(equations)))
    return Section("matrix-backward", msg("matrix.backward_title"), (_rules(facts),), tuple(blocks))


def _weight_parameters(facts: Facts, index: int) -> list[list]:
    weights = [p for p in facts.graph.parameters if p.layer == index and p.slot.kind == "weight"]
    width = len(facts.graph.previous_activations(index))
    return [weights[row * width:(row + 1) * width] for row in range(len(facts.graph.layers[index]))]


def _rules(facts: Facts) -> Msg:
    """The general matrix rules, once, with generic layer indices L and l."""
    d = facts.notation.display
    E = d("E_one")
    rules = (
        sp.Eq(d("deltaL"), MatrixOp("hadamard", Gradient(E, d("AL")), LayerSlope("L", d("ZL"))), evaluate=False),
        sp.Eq(
            d("deltal"),
            MatrixOp("hadamard", MatrixOp("product", Transposed(d("Wl+1")), d("deltal+1")), LayerSlope("l", d("Zl"))),
            evaluate=False,
        ),
        sp.Eq(Partial(E, d("Wl")), MatrixOp("product", d("deltal"), Transposed(d("Al-1"))), evaluate=False),
        sp.Eq(Partial(E, d("bl")), MatrixOp("product", d("deltal"), d("ones")), evaluate=False),
    )
    return msg(
        "matrix.backward_intro",
        output_rule=Math(rules[0]),
        hidden_rule=Math(rules[1]),
        weight_rule=Math(rules[2]),
        bias_rule=Math(rules[3]),
        hadamard=Math(Operator("hadamard")),
        activation=Math(Applied("f_l", d("Zl"))),
        l=Math(sp.Symbol("l")),
        slope=Math(LayerSlope("l", d("Zl"))),
        transpose=Math(Transposed(d("A"))),
        gradient=Math(Gradient(E, d("A"))),
        ones=Math(d("ones")),
    )


def matrix_loss_section(facts: Facts) -> Section:
    """The loss as a sum over the output matrix's entries, and its gradient with respect to that matrix."""
    network, graph, notation, d = facts.network, facts.graph, facts.notation, facts.notation.display
    loss, count = network.loss, len(network.layers)
    scale = facts.training.first.loss_scale
    A, Y, E = d("A_js"), d("Y_js"), d("E_one")
    j, s = sp.Symbol("j", integer=True, positive=True), sp.Symbol("s", integer=True, positive=True)
    outputs, batch = len(graph.outputs), facts.batch
    if loss.uses_softmax:
        entry = sp.Mul(-1, sp.Mul(Y, sp.log(d("P_js")), evaluate=False), evaluate=False)
        k = sp.Symbol("k", integer=True, positive=True)
        p = d("P_js") if targets_add_to_one(network) else sp.Mul(d("P_js"), sp.Sum(d("Y_ks"), (k, 1, outputs)), evaluate=False)
        slope = sp.Add(p, sp.Mul(-1, Y, evaluate=False), evaluate=False)
        terms = [facts.quantities.lookup(d("L" if batch == 1 else f"L{k}"), k).id for k in range(batch)]
        lead = msg("matrix.loss_lead_softmax", softmax=Math(d("P")))
    else:
        generic_a, generic_y, derivative = loss._derivative
        entry = loss.term(A, Y)
        slope = derivative.xreplace({generic_a: A, generic_y: Y})
        terms = [notation.ids[term] + _suffix(facts, row) for row in facts.training.first.batch for term in graph.loss_terms]
        lead = msg("matrix.loss_lead")
    summed = sp.Sum(entry, (j, 1, outputs)) if batch == 1 else sp.Sum(sp.Sum(entry, (j, 1, outputs)), (s, 1, batch))
    numbers = scaled(scale, total([QuantityRef(key) for key in terms])) if len(terms) <= LOSS_TERMS_SHOWN else None
    equations = [
        Equation(E, (scaled(scale, summed),), numbers, "E", None),
        Equation(Gradient(E, d(f"A{count}")), (Entries(scaled(scale, slope)),), None, None, None),
        Equation(Gradient(E, d(f"A{count}")), (), _numeric(facts, _of_layer(facts, count - 1, notation.dE_dout_id)), None, None),
    ]
    intro = (msg("loss.intro", loss=loss.words()), lead)
    return Section("matrix-loss", msg("matrix.loss_title"), intro, (Block((), (), tuple(equations)),))


def _entrywise(rule: sp.Basic) -> sp.Basic:
    """An optimizer's scalar rule for whole matrices: a square is the entrywise product g . g (g^2 would
    read as a matrix product); sums, scalings, square roots and quotients are entrywise as written."""
    if isinstance(rule, sp.Pow) and rule.exp == 2:
        base = _entrywise(rule.base)
        return MatrixOp("hadamard", base, base)
    if not rule.args or isinstance(rule, (Partial, MatrixOp)):
        return rule
    return swapped(rule, {arg: _entrywise(arg) for arg in rule.args if _entrywise(arg) is not arg})


LOSS_TERMS_SHOWN = 8  # the loss's numbers row lists its terms up to this many


def matrix_update_section(facts: Facts) -> Section:
    """Each layer's weights and biases updated at once, by the optimizer's rule applied entry by entry."""
    graph, notation, d = facts.graph, facts.notation, facts.notation.display
    optimizer = facts.network.train.optimizer
    blocks = []
    for index, layer in enumerate(facts.network.layers):
        l = index + 1
        groups = [("W", _weight_parameters(facts, index))]
        if layer.bias_trained:
            groups.append(("b", [[p] for p in graph.parameters if p.layer == index and p.slot.kind == "bias"]))
        equations = []
        for letter, rows in groups:
            if not rows or not rows[0] or not rows[0][0].trained:
                continue
            matrix = d(f"{letter}{l}")
            written = notation.names[matrix]
            symbols = {
                "param": matrix,
                "gradient": Partial(d("E_one"), matrix),
                "lr": graph.learning_rate,
                "new": notation.matrix_display(f"{letter}{l}_new", Marked(written, "plus")),
                **{state.key: notation.matrix_display(f"{letter}{l}_{state.key}", Name(state.letter, written, accent=state.accent))
                   for state in optimizer.shown_states()},
                **graph.hypers,
            }
            values = {
                "param": lambda p: notation.ids[p.symbol],
                "gradient": notation.gradient_id,
                "new": notation.updated_id,
                **{state.key: (lambda p, key=state.key: notation.state_id(key, p)) for state in optimizer.shown_states()},
            }
            numeric = {symbols[key]: _numeric(facts, [[ids(p) for p in row] for row in rows]) for key, ids in values.items()}
            for key, rule in optimizer.first_step_rules(symbols):
                rule = _entrywise(rule)
                # Numbers divided by a matrix of numbers would read as an inverse: the value follows instead.
                by_matrix = any(power.exp.is_negative and power.base.has(*numeric) for power in rule.atoms(sp.Pow))
                numbers = None if by_matrix else swapped(rule, numeric)
                equations.append(Equation(symbols[key], (rule,), numbers, None, None))
                equations.append(Equation(symbols[key], (), numeric[symbols[key]], None, None))
        if equations:
            blocks.append(Block((msg("matrix.layer", number=l),), (), tuple(equations)))
    intro = optimizer.intro() + (msg("matrix.update_lead"),)
    return Section("update", msg("update.title"), intro, tuple(blocks))
