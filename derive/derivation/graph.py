"""The network as SymPy: a symbol for every input, target, parameter, node and derived value, and local expressions."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from fractions import Fraction

import sympy as sp

from ..components import Activation
from ..engine.parameters import Slot, read, trained
from ..expressions import swapped
from ..network import Network
from .ids import document_slots


@dataclass(frozen=True)
class Parameter:
    """One trainable or frozen scalar of the network."""

    symbol: sp.Symbol
    slot: Slot
    value: Fraction
    trained: bool

    @property
    def layer(self) -> int:
        """The layer the parameter belongs to (0-based)."""
        return self.slot.layer


@dataclass(frozen=True)
class Unit:
    """One neuron: its net input z and output a, their local expressions, and its error signal's symbol."""

    layer: int
    index: int
    z: sp.Symbol
    a: sp.Symbol
    delta: sp.Symbol
    net: sp.Expr
    activation: Activation

    @property
    def out_expression(self) -> sp.Expr:
        """a as an expression of z, from the activation's SymPy definition."""
        return self.activation.expression(self.z)

    @cached_property
    def written(self) -> sp.Expr:
        """a written out in z, as the forward pass shows it (built once per neuron)."""
        return _formula(self.activation, "written", self.z)

    @cached_property
    def slope(self) -> sp.Expr:
        """da/dz in its closed form, as the backward pass shows it (built once per neuron)."""
        return _formula(self.activation, "derivative", self.z, self.a)


def _formula(activation: Activation, method: str, *symbols: sp.Symbol) -> sp.Expr:
    """An activation's formula in these symbols: built once per activation, then copied with the
    symbols swapped in, since SymPy builds 1/(1 + e^-z) slowly and a layer of 4,000 neurons has 4,000."""
    template, stand_ins = _template(activation, method, tuple(_assumptions(s) for s in symbols))
    return swapped(template, dict(zip(stand_ins, symbols)))


def _assumptions(symbol: sp.Symbol) -> tuple[tuple[str, bool], ...]:
    return tuple(sorted(symbol.assumptions0.items()))


@lru_cache(maxsize=64)
def _template(activation: Activation, method: str, assumptions: tuple) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    # Symbols, not Dummies: SymPy orders a product's factors by class, and a Dummy sorts otherwise.
    stand_ins = tuple(sp.Symbol(f"stand_in_{i}", **dict(given)) for i, given in enumerate(assumptions))
    return getattr(activation, method)(*stand_ins), stand_ins


@dataclass(frozen=True)
class Graph:
    """Symbols and local expressions of one sample's forward pass and loss, and the symbols of derived values.

    ``sample_losses[s]`` is sample s's share E^(s) of the loss (in a batch); ``states`` and
    ``hypers`` name the optimizer's intermediate values that the first step shows, and its settings.
    """

    inputs: tuple[sp.Symbol, ...]
    targets: tuple[sp.Symbol, ...]
    layers: tuple[tuple[Unit, ...], ...]
    parameters: tuple[Parameter, ...]
    loss_terms: tuple[sp.Symbol, ...]
    loss_total: sp.Symbol
    learning_rate: sp.Symbol
    sample_losses: tuple[sp.Symbol, ...]
    softmax: tuple[sp.Symbol, ...]
    updated: dict[sp.Symbol, sp.Symbol]
    states: dict[tuple[str, sp.Symbol], sp.Symbol]
    hypers: dict[str, sp.Symbol]
    _derivatives: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def outputs(self) -> tuple[Unit, ...]:
        """The units of the last layer."""
        return self.layers[-1]

    def units(self) -> list[Unit]:
        """Every neuron, input side first."""
        return [unit for layer in self.layers for unit in layer]

    def consumers(self, parameter: Parameter) -> tuple[Unit, ...]:
        """The units whose net input contains the parameter (several for a shared bias)."""
        layer = self.layers[parameter.layer]
        if parameter.slot.kind == "weight":
            return (layer[parameter.slot.row],)
        if parameter.slot.row is not None:
            return (layer[parameter.slot.row],)
        return layer

    def consumers_of_output(self, unit: Unit) -> tuple[Unit, ...]:
        """The units whose net input takes this unit's output: the next layer (none for an output)."""
        return self.layers[unit.layer + 1] if unit.layer + 1 < len(self.layers) else ()

    def previous_activations(self, layer: int) -> tuple[sp.Symbol, ...]:
        """The symbols feeding layer ``layer``: the inputs, or the previous layer's outputs."""
        if layer == 0:
            return self.inputs
        return tuple(unit.a for unit in self.layers[layer - 1])

    def local_derivative(self, expression: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
        """d(expression)/d(symbol) of a net input w_1 a_1 + ... + b: the factor beside the symbol, 1 for the bias.

        A net input is linear in each of its symbols, so its derivatives are read off its terms, once
        per net input; any other expression goes to SymPy's diff. Tests check both against sympy.diff.
        """
        coefficients = self._derivatives.get(expression)
        if coefficients is None:
            coefficients = _linear_coefficients(expression)
            self._derivatives[expression] = coefficients
        if coefficients is not None:
            return coefficients.get(symbol, sp.Integer(0))
        return sp.diff(expression, symbol)


def _linear_coefficients(expression: sp.Expr) -> dict[sp.Symbol, sp.Expr] | None:
    """Each symbol's coefficient in a sum of symbols and products of two distinct symbols, or None for other forms."""
    found: dict[sp.Symbol, list[sp.Expr]] = {}
    for term in expression.args if isinstance(expression, sp.Add) else (expression,):
        if isinstance(term, sp.Symbol):
            found.setdefault(term, []).append(sp.Integer(1))
        elif isinstance(term, sp.Mul) and len(term.args) == 2 and all(isinstance(f, sp.Symbol) for f in term.args):
            first, second = term.args
            if first == second:
                return None
            found.setdefault(first, []).append(second)
            found.setdefault(second, []).append(first)
        else:
            return None
    return {symbol: parts[0] if len(parts) == 1 else sp.Add(*parts) for symbol, parts in found.items()}


def _parameter_symbol(slot: Slot) -> sp.Symbol:
    """w_0_1_2 (layer, row, column, from 0), b_0_1 (a neuron's own bias) or b_0 (a layer's shared bias)."""
    if slot.kind == "weight":
        return sp.Symbol(f"w_{slot.layer}_{slot.row}_{slot.column}", real=True)
    if slot.row is None:
        return sp.Symbol(f"b_{slot.layer}", real=True)
    return sp.Symbol(f"b_{slot.layer}_{slot.row}", real=True)


def build_graph(network: Network, samples: int = 1) -> Graph:
    """Build the symbols and local expressions of ``network``; ``samples`` is the derived batch's size."""
    inputs = tuple(sp.Symbol(f"x_{k}", real=True) for k in range(network.layers[0].in_features))
    targets = tuple(sp.Symbol(f"y_{j}", real=True) for j in range(network.layers[-1].out_features))
    start = ([layer.weight for layer in network.layers], [layer.bias for layer in network.layers])
    parameters = [Parameter(_parameter_symbol(slot), slot, read(*start, slot), trained(network, slot))
                  for slot in document_slots(network)]
    symbol_at = {parameter.slot: parameter.symbol for parameter in parameters}
    layers: list[tuple[Unit, ...]] = []
    previous: tuple[sp.Symbol, ...] = inputs
    for index, layer in enumerate(network.layers):
        units = []
        for j in range(layer.out_features):
            terms = [sp.Mul(symbol_at[Slot(index, "weight", j, k)], a, evaluate=False) for k, a in enumerate(previous)]
            if layer.bias_kind != "none":
                terms.append(symbol_at[Slot(index, "bias", j if layer.bias_kind == "per_neuron" else None, None)])
            net = sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
            z = sp.Symbol(f"z_{index}_{j}", real=True)
            a = sp.Symbol(f"a_{index}_{j}", real=True)
            delta = sp.Symbol(f"delta_{z.name}", real=True)
            units.append(Unit(index, j, z, a, delta, net, layer.activation))
        layers.append(tuple(units))
        previous = tuple(unit.a for unit in units)
    optimizer = network.train.optimizer
    states = {
        (state.key, p.symbol): sp.Symbol(f"{state.key}_{p.symbol.name}", real=True)
        for p in parameters
        for state in optimizer.shown_states()
    }
    return Graph(
        inputs=inputs,
        targets=targets,
        layers=tuple(layers),
        parameters=tuple(parameters),
        loss_terms=tuple(sp.Symbol(f"E_{j}", real=True) for j in range(len(targets))),
        loss_total=sp.Symbol("E", real=True),
        learning_rate=sp.Symbol("eta", positive=True),
        sample_losses=tuple(sp.Symbol(f"E_sample_{s}", real=True) for s in range(samples)),
        softmax=tuple(sp.Symbol(f"p_{j}", real=True) for j in range(len(targets))),
        updated={p.symbol: sp.Symbol(f"{p.symbol.name}_new", real=True) for p in parameters},
        states=states,
        hypers={hyper.id: sp.Symbol(f"hyper_{hyper.id}", real=True) for hyper in optimizer.hypers},
    )
