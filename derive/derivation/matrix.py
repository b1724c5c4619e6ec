"""The same step in matrix form: Z = W A + b, A = f(Z), the delta recursions and outer products, with numbers."""

from __future__ import annotations

from typing import Callable

import sympy as sp

from ..text.message import Math, Msg, Series, Text, msg
from .facts import Facts
from .model import Block, Equation, Section
from .nodes import Gradient, LayerSlope, MatrixOp, MatrixShape, Operator, Partial, QuantityRef, Transposed

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


def _shapes(*items: tuple[Msg | Text, int, int]) -> Msg:
    return msg("matrix.shapes", items=Series(tuple(msg("matrix.shape", name=name, rows=rows, columns=columns)
                                                   for name, rows, columns in items), "semicolon"))


def _forward(facts: Facts) -> Section:
    network, d = facts.network, facts.notation.display
    batch = facts.batch
    blocks = []
    previous, previous_text = d("X"), Text("X")
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
        equations = (
            Equation(Z, tuple(forms), numbers, None, None),
            Equation(Z, (), _numeric(facts, z_values), None, None),
            Equation(A, (sp.Function(f"f_{l}")(Z),), None, None, None),
            Equation(A, (), _numeric(facts, a_values), None, None),
        )
        lead = [_shapes(
            (Text(f"W({l})"), layer.out_features, layer.in_features),
            (previous_text, layer.in_features, batch),
            (msg("matrix.pair", first=Text(f"Z({l})"), second=Text(f"A({l})")), layer.out_features, batch),
        )]
        if layer.bias is not None:
            lead.append(msg("matrix.bias_added"))
        blocks.append(Block((msg("matrix.layer", number=l),), tuple(lead), equations))
        previous, previous_text, previous_values = A, Text(f"A({l})"), a_values
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
        slope = LayerSlope(str(l), d(f"Z{l}"))
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
        ones=Math(d("ones")),
    )
