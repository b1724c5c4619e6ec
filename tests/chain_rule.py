"""The chain rule over derive's graph, symbolically: reverse topological order, local diffs, sums over consumers.

A test-only oracle helper: it builds dE/dp for every parameter from derive's graph (its local
expressions and the loss's terms), so the tests can compare it with SymPy's diff of the composed
loss, which they write out without derive.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from derive.derivation.graph import Graph
from derive.network import Network


def loss_expression(graph: Graph, network: Network, scale: sp.Expr = sp.Integer(1)) -> sp.Expr:
    """E for one sample, as an expression of the output activations and the targets (softmax written out)."""
    outputs = [unit.a for unit in graph.outputs]
    if network.loss.uses_softmax:
        total = sp.Add(*(sp.exp(a) for a in outputs))
        return scale * sp.Add(*(-y * sp.log(sp.exp(a) / total) for a, y in zip(outputs, graph.targets)))
    return scale * sp.Add(*(network.loss.term(a, y) for a, y in zip(outputs, graph.targets)))


def symbolic_gradients(graph: Graph, network: Network, scale: sp.Expr = sp.Integer(1)) -> dict[sp.Symbol, sp.Expr]:
    """dE/dp for every parameter, in terms of node symbols, built only from local derivatives."""
    loss = loss_expression(graph, network, scale)
    adjoint: dict[sp.Symbol, sp.Expr] = {}
    for index in reversed(range(len(graph.layers))):
        for unit in graph.layers[index]:
            if index == len(graph.layers) - 1:
                d_out = sp.diff(loss, unit.a)
            else:
                d_out = sp.Add(*(adjoint[c.z] * graph.local_derivative(c.net, unit.a) for c in graph.layers[index + 1]))
            adjoint[unit.z] = d_out * sp.diff(unit.out_expression, unit.z)
    return {
        parameter.symbol: sp.Add(*(adjoint[c.z] * graph.local_derivative(c.net, parameter.symbol) for c in graph.consumers(parameter)))
        for parameter in graph.parameters
    }


def compose(expr: sp.Expr, graph: Graph) -> sp.Expr:
    """Replace node symbols by their local expressions, output side first, down to inputs and parameters."""
    for layer in reversed(graph.layers):
        for unit in layer:
            expr = expr.xreplace({unit.a: unit.out_expression})
        for unit in layer:
            expr = expr.xreplace({unit.z: unit.net})
    return expr


def graph_values(graph: Graph, network: Network, sample: int = 0) -> dict[sp.Symbol, sp.Rational]:
    """Exact values of every parameter, input and target (a class index as its one-hot row) of one sample."""
    values = {p.symbol: sp.Rational(p.value.numerator, p.value.denominator) for p in graph.parameters}
    for x, v in zip(graph.inputs, network.data.inputs[sample]):
        values[x] = sp.Rational(v.numerator, v.denominator)
    target = network.data.targets[sample]
    row = [int(k == target) for k in range(len(graph.targets))] if isinstance(target, int) else target
    for y, v in zip(graph.targets, row):
        values[y] = sp.Rational(Fraction(v).numerator, Fraction(v).denominator)
    return values
