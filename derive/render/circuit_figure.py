"""The circuit drawing of --style graph, laid out once as plain data (cm, y up) for the TikZ and SVG templates.

CS231n's style: a gate is a circle marked with its operation, a wire carries a value above it and
its gradient below it (in another colour). Columns follow the gates' depth; each neuron has a band
of rows, one per multiply gate; the loss gate closes the graph on the right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..derivation.circuit import Circuit, Gate
from ..derivation.graph import Graph, Unit
from ..derivation.model import Derivation
from ..text.message import Math, Msg, msg

COLUMN_CM = 1.9  # between gate columns
ROW_CM = 1.6  # between the multiply gates of a neuron
BAND_GAP_CM = 0.5  # between two neurons' bands
GATE_RADIUS_CM = 0.3
LEAF_DX_CM = 1.25  # a parameter's name sits this far left of the gate that reads it
LEAF_DY_CM = 0.6  # and this far above (a weight) or below (a bias)
LABEL_OFFSET_CM = 0.17  # a wire's value above it, its gradient below it
MARGIN_CM = 0.5
GATE_SIGNS = {"mul": "×", "add": "+", "neg": "−", "exp": "exp", "plus1": "+1", "recip": "1/x", "loss": "E"}
GATE_TEX = {"mul": r"\times", "add": "+", "neg": "-", "exp": r"\exp", "plus1": "+1", "recip": "1/x", "loss": "E"}

Point = tuple[float, float]


@dataclass(frozen=True)
class Spot:
    """A gate's circle, or a leaf's name (an input, a weight, a bias) where ``op`` is None."""

    key: str
    x: float
    y: float
    op: str | None  # a gate's operation (act: its activation's name), None for a leaf
    symbol: Any  # a leaf's symbol, a gate's output symbol
    activation: str = ""
    value: Any = None  # a parameter's leaf shows its value beside its name
    gradient: Any = None  # and its gradient below it


@dataclass(frozen=True)
class Wire:
    """A value flowing from one spot into a gate: its value above, the gradient that flows back below."""

    start: Point
    end: Point
    value: Any
    gradient: Any
    label_at: Point  # where the value and gradient are centred
    labelled: bool = True  # a parameter's short wire leaves its numbers to the parameter's leaf


@dataclass(frozen=True)
class CircuitLayout:
    """The whole circuit drawing, independent of the drawing language."""

    spots: tuple[Spot, ...]
    wires: tuple[Wire, ...]
    width: float
    height: float
    whole: bool


def _depth(gate: Gate) -> int:
    return {"mul": 0, "add": 1, "neg": 2, "exp": 3, "plus1": 4, "recip": 5, "act": 2}[gate.op]


def circuit_layout(circuit: Circuit, graph: Graph) -> CircuitLayout:
    """Place the gates of the drawn neurons, their leaves and wires, and the loss gate."""
    units = circuit.units
    layers = sorted({unit.layer for unit in units})
    widths = {l: 1 + max(_depth(g) for u in units if u.layer == l for g in circuit.gates_of(u)) for l in layers}
    first_column = {}
    column = 2  # column 0 holds the network's inputs, column 1 the first layer's weights
    for l in layers:
        first_column[l] = column
        column += widths[l] + 1  # and a column between layers for the next one's weights
    loss_column = column - 1
    bands = {l: [u for u in units if u.layer == l] for l in layers}
    heights = {l: sum(_band(u, graph) for u in bands[l]) + BAND_GAP_CM * (len(bands[l]) - 1) for l in layers}
    height = max(heights.values())
    centre_y: dict[Unit, float] = {}
    mul_y: dict[tuple[Unit, int], float] = {}
    for l in layers:
        top = (height + heights[l]) / 2
        for unit in bands[l]:
            band = _band(unit, graph)
            sources = graph.previous_activations(unit.layer)
            for k in range(len(sources)):
                mul_y[(unit, k)] = top - (k + 0.5) * ROW_CM
            centre_y[unit] = top - band / 2
            top -= band + BAND_GAP_CM
    spots: list[Spot] = []
    wires: list[Wire] = []
    at: dict[Any, Point] = {}
    for k, x in enumerate(graph.inputs):  # the inputs, spread over the first layer's height
        y = height / 2 + (len(graph.inputs) - 1) / 2 * ROW_CM - k * ROW_CM
        at[x] = (0.0, y)  # its wires fan out to every neuron: the numbers stand beside its name
        spots.append(Spot(f"input{k}", 0.0, y, None, x, value=circuit.values[x], gradient=circuit.gradients[x]))
    for unit in units:
        for gate in circuit.gates_of(unit):
            x = (first_column[unit.layer] + _depth(gate)) * COLUMN_CM
            y = mul_y[(unit, _mul_index(gate, graph, unit))] if gate.op == "mul" else centre_y[unit]
            spots.append(Spot(str(gate.output), x, y, gate.op, gate.output, unit.activation.name))
            for index, source in enumerate(gate.inputs):
                start = at.get(source)
                gradient = circuit.gradients.get((unit, source), circuit.gradients.get(source))
                labelled = start is not None and source not in graph.inputs
                if start is None:  # a parameter, or a value of a neuron not drawn: a leaf beside the gate
                    if gate.op == "add":  # the bias, below its add gate
                        start = (x - 0.2 * COLUMN_CM, y - ROW_CM * 0.75)
                    else:
                        start = (x - LEAF_DX_CM, y + LEAF_DY_CM)
                    spots.append(Spot(f"leaf-{gate.output}-{index}", start[0], start[1], None, source,
                                      value=circuit.values[source], gradient=gradient))
                wires.append(_wire(start, (x, y), circuit.values[source], gradient, labelled))
            at[gate.output] = (x, y)
    loss_at = (loss_column * COLUMN_CM, height / 2)
    spots.append(Spot("loss", loss_at[0], loss_at[1], "loss", circuit.loss))
    for unit in units:
        if unit.layer == len(graph.layers) - 1:
            wires.append(_wire(at[unit.a], loss_at, circuit.values[unit.a], circuit.gradients[unit.a]))
    end = (loss_at[0] + COLUMN_CM * 0.9, loss_at[1])
    wires.append(_wire(loss_at, end, circuit.values.get(circuit.loss), 1))
    return CircuitLayout(tuple(spots), tuple(wires), end[0] + MARGIN_CM, height, circuit.whole)


def _band(unit: Unit, graph: Graph) -> float:
    return max(len(graph.previous_activations(unit.layer)), 1) * ROW_CM


def _mul_index(gate: Gate, graph: Graph, unit: Unit) -> int:
    return list(graph.previous_activations(unit.layer)).index(gate.inputs[1])


def _wire(start: Point, end: Point, value: Any, gradient: Any, labelled: bool = True) -> Wire:
    """A wire between two centres, trimmed to the gates' rims, its labels at 60% of the way."""
    (x0, y0), (x1, y1) = start, end
    length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-9)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    a = (x0 + ux * GATE_RADIUS_CM, y0 + uy * GATE_RADIUS_CM)
    b = (x1 - ux * GATE_RADIUS_CM, y1 - uy * GATE_RADIUS_CM)
    t = 0.3 if length > COLUMN_CM * 1.2 else 0.5  # long wires fan out from one gate: labelled where they part
    return Wire(a, b, value, gradient, (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t), labelled)


def circuit_caption(derivation: Derivation, circuit: Circuit) -> Msg:
    """The figure's caption: the whole graph, or the one path it follows."""
    if circuit.whole:
        return msg("graph.caption")
    return msg("graph.caption_path", start=Math(derivation.notation.unit_name(circuit.units[0])))
