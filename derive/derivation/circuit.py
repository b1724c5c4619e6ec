"""The computational graph of the first sample: every neuron split into elementary gates, with values and gradients.

A neuron j becomes one multiply gate per input (m = w x), an add gate (net = m_1 + ... + b) and its
activation: the logistic sigmoid as negate, exp, +1 and reciprocal (CS231n's circuit); any other
activation (tanh, ReLU, ...) and the loss are pieces of their own. Forward values come from the
elementary operations; every gradient is upstream x local, gate by gate, from the loss back, at 50
digits. Values the neuron-level chain already names (net, out, dE/dout, the parameters' gradients)
are its quantities; the gates' own values become new quantities (IDs ``gate_...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from .graph import Graph, Unit
from .nodes import Partial
from .notation import Name, Notation, Written
from .quantities import Quantities, Quantity

_MP = mpmath.MPContext()
_MP.dps = 50
MOST_DRAWN_UNITS = 6  # a circuit of more neurons (or a layer wider than 3) shows one path to the loss
MOST_DRAWN_WIDTH = 3


@dataclass(frozen=True)
class Gate:
    """One elementary operation: its output symbol, its inputs' symbols and their local derivatives.

    ``op`` is mul, add, neg, exp, plus1, recip, act (an activation as one piece) or loss.
    ``locals_`` holds d(output)/d(input) for each input, as SymPy in the inputs' symbols.
    """

    op: str
    output: sp.Symbol
    inputs: tuple[sp.Basic, ...]
    locals_: tuple[sp.Basic, ...]
    unit: Unit | None


@dataclass(frozen=True)
class Circuit:
    """The gates of the drawn neurons in forward order, every value and gradient by symbol, and the new quantities."""

    gates: tuple[Gate, ...]
    values: dict[sp.Basic, Any]
    gradients: dict[sp.Basic, Any]  # dE/d(symbol), for every gate input and output
    units: tuple[Unit, ...]
    whole: bool  # False: one path to the loss (--only picks its start)
    loss: sp.Symbol
    names: dict[sp.Basic, Written]
    items: tuple[Quantity, ...]
    every_gate: tuple[Gate, ...]  # the gates of every neuron, drawn or not

    def gates_of(self, unit: Unit) -> tuple[Gate, ...]:
        """The gates of one neuron, in forward order."""
        return tuple(gate for gate in self.every_gate if gate.unit == unit)


def _mp(value: Any) -> Any:
    if isinstance(value, Fraction):
        return _MP.mpf(value.numerator) / value.denominator
    return _MP.mpf(value)


def _exact(value: Any) -> Any:
    """A quantity's value as the circuit holds it: rationals stay exact, the rest is a 50-digit float."""
    return Fraction(value) if isinstance(value, (Fraction, int)) else _mp(value)


def _times(a: Any, b: Any) -> Any:
    return a * b if isinstance(a, Fraction) and isinstance(b, Fraction) else _mp(a) * _mp(b)


def _sum(values: list[Any]) -> Any:
    if all(isinstance(value, Fraction) for value in values):
        return sum(values, Fraction(0))
    return _MP.fsum(_mp(value) for value in values)


def _name(notation: Notation, unit: Unit, letter: str, k: int | None = None) -> tuple[str, Written]:
    """A gate output's ID and name: m_{o1,2} (Mazur) or m^{(2)}_{1,2}."""
    label = notation.label(unit)
    suffix = "" if k is None else f",{k + 1}"
    key = f"gate_{letter}_{label}" + ("" if k is None else f"_{k + 1}")
    if notation.mazur:
        return key, Name(letter, label + suffix)
    return key, Name(letter, f"{unit.index + 1}{suffix}", f"({unit.layer + 1})")


def chosen_units(graph: Graph, start: Unit | None) -> tuple[tuple[Unit, ...], bool]:
    """Every neuron when the circuit is small; else the path from ``start`` through each next layer's first neuron."""
    units = graph.units()
    if len(units) <= MOST_DRAWN_UNITS and all(len(layer) <= MOST_DRAWN_WIDTH for layer in graph.layers):
        return tuple(units), True
    unit = start or graph.layers[0][0]
    path = [unit]
    for layer in graph.layers[unit.layer + 1:]:
        path.append(layer[0])
    return tuple(path), False


def build_circuit(graph: Graph, notation: Notation, quantities: Quantities, loss: sp.Symbol,
                  start: Unit | None = None) -> Circuit:
    """The circuit of the first sample (scope 0), its values at 50 digits and gradients from the loss back."""
    scope = quantities.scope(0)
    values: dict[sp.Basic, Any] = {symbol: _exact(q.value) for symbol, q in scope.items()}
    units, whole = chosen_units(graph, start)
    names: dict[sp.Basic, Written] = {}
    ids: dict[sp.Basic, str] = {}
    gates_of: dict[Unit, list[Gate]] = {}
    for unit in graph.units():
        gates_of[unit] = _unit_gates(graph, notation, unit, values, names, ids)
    gradients: dict[sp.Basic, Any] = {}
    for layer in reversed(graph.layers):
        for unit in layer:
            if unit.layer == len(graph.layers) - 1:
                gradients[unit.a] = values[Partial(loss, unit.a)]  # the loss as one piece: dE/dout
            else:  # a branch: the output feeds every neuron of the next layer, and their gradients add up
                gradients[unit.a] = _sum([gradients[(c, unit.a)] for c in graph.consumers_of_output(unit)])
            for gate in reversed(gates_of[unit]):
                upstream = gradients[gate.output]
                for symbol, local in zip(gate.inputs, gate.locals_):
                    share = _times(upstream, _evaluate(local, values))
                    gradients[(unit, symbol)] = share  # this neuron's branch of a value several gates read
                    gradients[symbol] = _sum([gradients.get(symbol, Fraction(0)), share])
    items = _quantities(graph, notation, quantities, loss, values, gradients, ids, gates_of)
    gates = tuple(gate for unit in units for gate in gates_of[unit])
    every = tuple(gate for unit in graph.units() for gate in gates_of[unit])
    return Circuit(gates, values, gradients, units, whole, loss, names, items, every)


def _evaluate(expr: sp.Basic, values: dict[sp.Basic, Any]) -> Any:
    """A SymPy expression of the gates' symbols at 50 digits (products, sums, powers and exp only)."""
    if expr in values:
        return values[expr]
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q))
    parts = [_evaluate(arg, values) for arg in expr.args]
    if isinstance(expr, sp.Mul):
        result = Fraction(1)
        for part in parts:
            result = _times(result, part)
        return result
    if isinstance(expr, sp.Add):
        return _sum(parts)
    if isinstance(expr, sp.Pow):
        base, exponent = parts
        if isinstance(base, Fraction) and isinstance(exponent, Fraction) and exponent.denominator == 1:
            return base ** int(exponent)
        return _mp(base) ** _mp(exponent)
    if isinstance(expr, sp.exp):
        return _MP.exp(_mp(parts[0]))
    raise ValueError(f"cannot evaluate {expr}")


def _unit_gates(graph: Graph, notation: Notation, unit: Unit, values: dict, names: dict, ids: dict) -> list[Gate]:
    """The gates of one neuron, in forward order, with their output values computed."""
    gates: list[Gate] = []
    terms: list[sp.Basic] = []
    for k, source in enumerate(graph.previous_activations(unit.layer)):
        weight = graph.local_derivative(unit.net, source)
        key, name = _name(notation, unit, "m", k)
        product = sp.Symbol(key)
        names[product], ids[product] = name, key
        values[product] = _times(values[weight], values[source])
        gates.append(Gate("mul", product, (weight, source), (source, weight), unit))
        terms.append(product)
    bias = [s for s in unit.net.free_symbols if graph.local_derivative(unit.net, s) == 1 and s not in
            graph.previous_activations(unit.layer)]
    inputs = tuple(terms) + tuple(sorted(bias, key=str))
    values[unit.z] = _sum([values[s] for s in inputs])
    gates.append(Gate("add", unit.z, inputs, (sp.Integer(1),) * len(inputs), unit))
    if unit.activation.name == "sigmoid":
        previous = unit.z
        for letter, op, build in (("s", "neg", lambda x: -x), ("q", "exp", lambda x: _MP.exp(_mp(x))), ("d", "plus1", lambda x: 1 + x)):
            key, name = _name(notation, unit, letter)
            symbol = sp.Symbol(key)
            names[symbol], ids[symbol] = name, key
            values[symbol] = build(values[previous])
            local = {"neg": sp.Integer(-1), "exp": sp.exp(previous), "plus1": sp.Integer(1)}[op]
            gates.append(Gate(op, symbol, (previous,), (local,), unit))
            previous = symbol
        values[unit.a] = 1 / values[previous]  # d = 1 + e^s is never rational unless s is 0
        gates.append(Gate("recip", unit.a, (previous,), (-sp.Pow(previous, -2, evaluate=False),), unit))
    else:
        slope = Partial(unit.a, unit.z)
        gates.append(Gate("act", unit.a, (unit.z,), (slope,), unit))
    return gates


def _quantities(graph: Graph, notation: Notation, quantities: Quantities, loss: sp.Symbol, values: dict,
                gradients: dict, ids: dict, gates_of: dict) -> tuple[Quantity, ...]:
    """A quantity for every gate value and gradient the neuron-level chain does not already have."""
    scope = quantities.scope(0)
    suffix = "@1" if any(key.endswith("@2") for key in quantities) else ""
    items: list[Quantity] = []
    seen: set[str] = set()

    def add(key: str, value: Any, symbol: sp.Basic, kind: str) -> None:
        if symbol in scope or key + suffix in quantities or key in seen:
            return
        seen.add(key)
        items.append(Quantity(key + suffix, value, symbol, None, 0, kind))

    for unit in graph.units():
        for gate in gates_of[unit]:
            if gate.output in ids:
                add(ids[gate.output], values[gate.output], gate.output, "gate")
            label = ids.get(gate.output) or notation.ids[gate.output]
            add(f"grad_{label}", gradients[gate.output], Partial(loss, gate.output), "gate")
    for x in graph.inputs:
        add(f"grad_{notation.ids[x]}", gradients[x], Partial(loss, x), "gate")
    return tuple(items)
