"""The network as SymPy: a symbol for every input, target, weight, bias and node, and each node's local expression."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import sympy as sp

from . import activations, losses
from .network import Network


class Partial(sp.Expr):
    """The partial derivative d(numerator)/d(denominator), kept unevaluated for display."""

    is_commutative = True

    def __new__(cls, numerator: sp.Expr, denominator: sp.Expr) -> "Partial":
        return sp.Expr.__new__(cls, numerator, denominator)

    @property
    def numerator(self) -> sp.Expr:
        """What is differentiated."""
        return self.args[0]

    @property
    def denominator(self) -> sp.Expr:
        """What it is differentiated with respect to."""
        return self.args[1]


class Applied(sp.Expr):
    """An activation applied to a node, printed by name, such as sigma(net_h1)."""

    is_commutative = True

    def __new__(cls, name: sp.Symbol, argument: sp.Expr) -> "Applied":
        return sp.Expr.__new__(cls, name, argument)


@dataclass(frozen=True)
class Parameter:
    """One trainable or frozen scalar of the network."""

    symbol: sp.Symbol
    layer: int
    kind: str  # "weight" or "bias"
    row: int | None
    column: int | None
    value: Fraction
    trained: bool


@dataclass(frozen=True)
class Unit:
    """One neuron: its pre-activation z (net) and activation a (out), with local expressions."""

    layer: int
    index: int
    z: sp.Symbol
    a: sp.Symbol
    net: sp.Expr
    activation: str
    slope: Fraction

    @property
    def out_expression(self) -> sp.Expr:
        """a as an expression of z, from the activation's one SymPy definition."""
        spec = activations.activation(self.activation)
        return spec.expression.xreplace({activations.Z: self.z, activations.SLOPE: _sympy(self.slope)})


@dataclass(frozen=True)
class Graph:
    """Symbols and local expressions of one sample's forward pass and loss."""

    inputs: tuple[sp.Symbol, ...]
    targets: tuple[sp.Symbol, ...]
    layers: tuple[tuple[Unit, ...], ...]
    parameters: tuple[Parameter, ...]
    loss_terms: tuple[sp.Symbol, ...]
    loss_total: sp.Symbol
    learning_rate: sp.Symbol
    loss_kind: str

    @property
    def outputs(self) -> tuple[Unit, ...]:
        """The units of the last layer."""
        return self.layers[-1]

    def loss_term_expression(self, index: int) -> sp.Expr:
        """The loss term of output ``index`` as an expression of that output and its target."""
        term = losses.loss(self.loss_kind).term
        return term.xreplace({losses.OUT: self.outputs[index].a, losses.TARGET: self.targets[index]})

    def parameter_consumers(self, parameter: Parameter) -> tuple[Unit, ...]:
        """The units whose net expression contains the parameter (several for a shared bias)."""
        layer = self.layers[parameter.layer]
        if parameter.kind == "weight":
            return (layer[parameter.row],)
        return tuple(unit for unit in layer if parameter.symbol in unit.net.free_symbols)

    def previous_activations(self, layer: int) -> tuple[sp.Symbol, ...]:
        """The symbols feeding layer ``layer``: the inputs, or the previous layer's activations."""
        if layer == 0:
            return self.inputs
        return tuple(unit.a for unit in self.layers[layer - 1])


@cache
def local_derivative(expression: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """SymPy's diff of a local expression; a sum is differentiated term by term, skipping terms without the symbol.

    Skipping changes nothing mathematically and keeps a wide layer's net inputs cheap to differentiate.
    """
    if isinstance(expression, sp.Add):
        terms = [sp.diff(term, symbol) for term in expression.args if symbol in term.free_symbols]
        return sp.Add(*terms) if terms else sp.Integer(0)
    return sp.diff(expression, symbol)


def _sympy(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


def build_graph(network: Network) -> Graph:
    """Build the symbols and local expressions of ``network``."""
    inputs = tuple(sp.Symbol(f"x_{k}", real=True) for k in range(network.layers[0].in_features))
    targets = tuple(sp.Symbol(f"y_{j}", real=True) for j in range(network.layers[-1].out_features))
    parameters: list[Parameter] = []
    layers: list[tuple[Unit, ...]] = []
    previous: tuple[sp.Symbol, ...] = inputs
    for index, layer in enumerate(network.layers):
        shared_bias = None
        if layer.bias_kind == "shared":
            shared_bias = sp.Symbol(f"b_{index}", real=True)
        units = []
        for j, row in enumerate(layer.weight):
            weights = []
            for k, value in enumerate(row):
                symbol = sp.Symbol(f"w_{index}_{j}_{k}", real=True)
                parameters.append(Parameter(symbol, index, "weight", j, k, value, True))
                weights.append(symbol)
            terms = [sp.Mul(w, a, evaluate=False) for w, a in zip(weights, previous)]
            if layer.bias_kind == "per_neuron":
                bias = sp.Symbol(f"b_{index}_{j}", real=True)
                parameters.append(Parameter(bias, index, "bias", j, None, layer.bias[j], layer.train_bias))
                terms.append(bias)
            elif shared_bias is not None:
                terms.append(shared_bias)
            net = sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
            z = sp.Symbol(f"z_{index}_{j}", real=True)
            a = sp.Symbol(f"a_{index}_{j}", real=True)
            units.append(Unit(index, j, z, a, net, layer.activation, layer.negative_slope))
        if shared_bias is not None:
            parameters.append(Parameter(shared_bias, index, "bias", None, None, layer.bias, layer.train_bias))
        layers.append(tuple(units))
        previous = tuple(unit.a for unit in units)
    loss_terms = tuple(sp.Symbol(f"E_{j}", real=True) for j in range(len(targets)))
    return Graph(
        inputs,
        targets,
        tuple(layers),
        tuple(parameters),
        loss_terms,
        sp.Symbol("E", real=True),
        sp.Symbol("eta", positive=True),
        network.loss,
    )
