"""The chain rule over the graph, symbolically: reverse topological order, local diffs, sums over consumers."""

from __future__ import annotations

import sympy as sp

from .graph import local_derivative, Graph
from .network import Network


def loss_expression(graph: Graph, scale: sp.Rational = sp.Integer(1)) -> sp.Expr:
    """E for one sample, as an expression of the output activations and the targets."""
    return scale * sp.Add(*(graph.loss_term_expression(j) for j in range(len(graph.outputs))))


def symbolic_gradients(graph: Graph, scale: sp.Rational = sp.Integer(1)) -> dict[sp.Symbol, sp.Expr]:
    """dE/dp for every parameter, in terms of node symbols, built only from local derivatives."""
    loss = loss_expression(graph, scale)
    adjoint: dict[sp.Symbol, sp.Expr] = {}
    for index in reversed(range(len(graph.layers))):
        for unit in graph.layers[index]:
            if index == len(graph.layers) - 1:
                d_out = sp.diff(loss, unit.a)
            else:
                d_out = sp.Add(*(adjoint[c.z] * local_derivative(c.net, unit.a) for c in graph.layers[index + 1]))
            local = sp.diff(unit.out_expression, unit.z)
            adjoint[unit.z] = d_out * local
    gradients = {}
    for parameter in graph.parameters:
        consumers = graph.parameter_consumers(parameter)
        gradients[parameter.symbol] = sp.Add(*(adjoint[c.z] * local_derivative(c.net, parameter.symbol) for c in consumers))
    return gradients


def compose(expr: sp.Expr, graph: Graph) -> sp.Expr:
    """Replace node symbols by their local expressions, output side first, down to inputs and parameters."""
    for layer in reversed(graph.layers):
        for unit in layer:
            expr = expr.xreplace({unit.a: unit.out_expression})
        for unit in layer:
            expr = expr.xreplace({unit.z: unit.net})
    return expr


def parameter_values(graph: Graph, network: Network, sample: int = 0) -> dict[sp.Symbol, sp.Rational]:
    """Exact values of every parameter, input and target of one sample."""
    values = {p.symbol: sp.Rational(p.value.numerator, p.value.denominator) for p in graph.parameters}
    for x, v in zip(graph.inputs, network.data.inputs[sample]):
        values[x] = sp.Rational(v.numerator, v.denominator)
    for y, v in zip(graph.targets, network.data.targets[sample]):
        values[y] = sp.Rational(v.numerator, v.denominator)
    return values
