"""Laying out the figure: node columns, bias nodes and arrows at the most compact spacing whose labels fit."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from ...derivation.graph import Graph, Parameter
from ...derivation.model import Derivation
from ...derivation.notation import Notation, Written
from ...text.message import Msg, Paragraph, msg
from ..numbers import format_number
from .geometry import CLEARANCE_CM, NODE_CLEARANCE_CM, grazes, rim_points
from .labels import place_labels
from .measure import LABEL_PT, node_radius
from .shapes import Arrow, Edge, Label, Layout, Node

# The page: A4 with 2.5 cm margins leaves 16 x 24.7 cm of text; the figure and its caption stay inside.
MAX_WIDTH_CM = 15.6
MAX_HEIGHT_CM = 18.0

# (unit gap, layer gap) in cm, tried from the most compact: height costs a page, width is free up to the text's.
SPACINGS = ((1.4, 4.2), (1.4, 5.0), (1.4, 6.0), (1.4, 7.0), (1.6, 6.0), (1.6, 7.0), (1.8, 7.0))
BIAS_DROP = 1.0  # a bias node sits this many unit gaps below the column feeding its layer,
BIAS_SHIFTS = (0.15, 0.0, 0.3, 0.5)  # and the first of these fractions of the way to the layer that no arrow grazes
MOST_LABELS = 400  # arrows beyond which the figure is not labelled at all
MOST_HEADS = 8  # arrows into one node beyond which arrowheads would pile up, so the figure draws none
FIGURE_DECIMALS = 4  # a figure shows given values as written (0.15), or rounded to 4 decimals with =~
NODE_RADIUS_CM = 0.4  # a node's usual radius; wide columns shrink it to fit their gap
NODE_RADIUS_MAX_CM = 0.5  # and long names (a^(2)_13) widen it up to this
NODE_FILL = 0.42  # a node's radius as a fraction of the unit gap, at most
NODE_PTS = (10.95, 9.0, 8.0, 7.0)  # node name sizes tried, largest first (LaTeX's declared sizes)
ARROW_LENGTH_CM = 0.13
ARROW_HALF_WIDTH_CM = 0.05
MODES = ("value", "name", "none")  # the richest labelling that fits wins


@dataclass(frozen=True)
class _Shape:
    """How many nodes each column holds and how each layer's biases are drawn."""

    widths: tuple[int, ...]
    biases: tuple[str, ...]  # per layer: "per_neuron", "shared" or "none"


def layout(derivation: Derivation) -> Layout:
    """The figure of a derivation's network."""
    return network_layout(derivation.graph, derivation.notation)


def network_layout(graph: Graph, notation: Notation) -> Layout:
    """Columns of nodes (inputs, then each layer), a bias node per layer below the column feeding it, an
    arrow per parameter, and the richest labelling that fits, at the most compact spacing that holds it."""
    shape = _Shape(tuple([len(graph.inputs)] + [len(layer) for layer in graph.layers]),
                   tuple(_bias_kind(graph, l) for l in range(len(graph.layers))))
    arrows = _arrows(graph, notation, shape)  # the same at every spacing: only the nodes move
    if len(arrows) <= MOST_LABELS:
        for mode in MODES[:-1]:
            for unit_gap, layer_gap in SPACINGS:
                drawing = _drawing(graph, notation, shape, arrows, unit_gap, layer_gap, mode)
                if drawing is not None:
                    return drawing
    # Without labels, the widest spacing makes the arrows least steep.
    return _drawing(graph, notation, shape, arrows, SPACINGS[0][0], SPACINGS[-1][1], MODES[-1])


def _bias_kind(graph: Graph, layer: int) -> str:
    """``per_neuron``, ``shared`` or ``none``: how layer ``layer``'s biases are drawn."""
    found = [p for p in graph.parameters if p.layer == layer and p.slot.kind == "bias"]
    if not found:
        return "none"
    return "shared" if found[0].slot.row is None else "per_neuron"


def _drawing(graph: Graph, notation: Notation, shape: _Shape, arrows: list[Arrow], unit_gap: float,
             layer_gap: float, mode: str) -> Layout | None:
    """The figure at this spacing with labels of this mode, or None where the labels do not fit."""
    gaps = _column_gaps(shape, unit_gap)
    layer_gap = min(layer_gap, (MAX_WIDTH_CM - 2 * NODE_RADIUS_MAX_CM) / max(len(shape.widths) - 1, 1))
    node_pt, radius = _node_size(_node_names(graph, notation, shape), _node_room(shape, gaps, layer_gap))
    nodes = _nodes(graph, notation, shape, arrows, gaps, layer_gap, radius)
    labels = place_labels(nodes, arrows, mode)
    if labels is None:
        return None
    heads = max(Counter(arrow.target for arrow in arrows).values()) <= MOST_HEADS
    edges = tuple(_edge(nodes, arrow, label, heads) for arrow, label in zip(arrows, labels))
    return Layout(nodes, edges, mode, node_pt, LABEL_PT, _caption(mode, shape, arrows, heads))


def _column_gaps(shape: _Shape, unit_gap: float) -> list[float]:
    """Each column's distance between neighbouring nodes: ``unit_gap``, or less where a column would be
    taller than the page allows (one gap below is kept for bias nodes)."""
    room = MAX_HEIGHT_CM - 2 * NODE_RADIUS_MAX_CM - BIAS_DROP * unit_gap
    return [unit_gap if w < 2 else min(unit_gap, room / (w - 1)) for w in shape.widths]


def _node_names(graph: Graph, notation: Notation, shape: _Shape) -> list[Written | None]:
    """Every name a node circle holds (None: the constant 1 that per-neuron biases multiply)."""
    columns = len(shape.widths)
    names: list[Written | None] = [notation.column_name(c, j, columns) for c, w in enumerate(shape.widths)
                                   for j in range(w)]
    for l, kind in enumerate(shape.biases):
        if kind != "none":
            names.append(notation.names[_shared_bias(graph, l).symbol] if kind == "shared" else None)
    return names


def _node_room(shape: _Shape, gaps: list[float], layer_gap: float) -> float:
    """The largest radius that fits the column gaps and leaves each node's neighbours clear of the steepest
    arrow into or out of it."""
    room = min(NODE_RADIUS_MAX_CM, NODE_FILL * min(gaps))
    for c in range(len(shape.widths) - 1):
        rise = ((shape.widths[c] - 1) * gaps[c] + (shape.widths[c + 1] - 1) * gaps[c + 1]) / 2
        slope_cos = layer_gap / math.hypot(layer_gap, rise)
        for column in (c, c + 1):
            if shape.widths[column] > 1:
                room = min(room, gaps[column] * slope_cos - CLEARANCE_CM)
    return room


def _node_size(names: list[Written | None], room: float) -> tuple[float, float]:
    """The largest name size whose circle fits ``room``, and the circles' radius: the usual one where
    there is room, larger only for long names, and beyond ``room`` only where no size fits."""
    for size in NODE_PTS:
        needed = node_radius(names, size)
        if needed <= room:
            return size, max(needed, min(room, NODE_RADIUS_CM))
    return NODE_PTS[-1], node_radius(names, NODE_PTS[-1])


def _shared_bias(graph: Graph, layer: int) -> Parameter:
    """The one bias parameter of a layer whose neurons share it."""
    return next(p for p in graph.parameters if p.layer == layer and p.slot.kind == "bias")


def _nodes(graph: Graph, notation: Notation, shape: _Shape, arrows: list[Arrow], gaps: list[float],
           layer_gap: float, radius: float) -> tuple[Node, ...]:
    """The nodes, with the bias nodes at the first of their places where no arrow grazes a node it
    does not join (or, failing that, where the fewest bias arrows and bias nodes are grazed)."""
    columns = _columns(notation, shape, gaps, layer_gap, radius)
    biases = range(len(columns), len(columns) + sum(kind != "none" for kind in shape.biases))
    from_bias = [arrow for arrow in arrows if arrow.source in biases]
    others = [arrow for arrow in arrows if arrow.source not in biases]
    best: tuple[int, tuple[Node, ...]] | None = None
    for shift in BIAS_SHIFTS:
        nodes = columns + _bias_nodes(graph, notation, shape, gaps, layer_gap, radius, shift)
        # What counts: a bias arrow grazing any node, and any arrow grazing a bias node.
        grazed = sum(1 for _ in grazes(nodes, from_bias)) + sum(1 for _ in grazes(nodes, others, among=biases))
        if best is None or grazed < best[0]:
            best = (grazed, nodes)
        if grazed == 0:
            break
    return best[1]


def _columns(notation: Notation, shape: _Shape, gaps: list[float], layer_gap: float, radius: float) -> tuple[Node, ...]:
    """Inputs and neurons, column by column, each column centred on y = 0."""
    nodes = []
    for c, width in enumerate(shape.widths):
        for j in range(width):
            y = ((width - 1) / 2 - j) * gaps[c]
            name = notation.column_name(c, j, len(shape.widths))
            nodes.append(Node(f"n{c}x{j}", c * layer_gap, y, radius, name, "input" if c == 0 else "unit"))
    return tuple(nodes)


def _bias_nodes(graph: Graph, notation: Notation, shape: _Shape, gaps: list[float], layer_gap: float,
                radius: float, shift: float) -> tuple[Node, ...]:
    """Each layer's bias node: below the column feeding the layer, ``shift`` of the way to the layer."""
    nodes = []
    for l, kind in enumerate(shape.biases):
        if kind == "none":
            continue
        y = -(shape.widths[l] - 1) / 2 * gaps[l] - BIAS_DROP * max(gaps[l], 2 * radius + NODE_CLEARANCE_CM)
        name = notation.names[_shared_bias(graph, l).symbol] if kind == "shared" else None
        nodes.append(Node(f"b{l}", (l + shift) * layer_gap, y, radius, name, "bias"))
    return tuple(nodes)


def _arrows(graph: Graph, notation: Notation, shape: _Shape) -> list[Arrow]:
    """An arrow per weight, and per bias from its layer's bias node to each neuron it feeds; nodes are
    numbered column by column, then the bias nodes layer by layer."""
    starts = [sum(shape.widths[:c]) for c in range(len(shape.widths))]
    bias_nodes = {l: sum(shape.widths) + k for k, l in
                  enumerate(l for l, kind in enumerate(shape.biases) if kind != "none")}
    arrows = []
    for parameter in graph.parameters:
        slot = parameter.slot
        value = format_number(parameter.value, FIGURE_DECIMALS)
        name, quantity = notation.names[parameter.symbol], notation.ids[parameter.symbol]
        named = {"value": (name, value), "name": (name, None), "none": None}
        if slot.kind == "weight":
            source, target = starts[slot.layer] + slot.column, starts[slot.layer + 1] + slot.row
            arrows.append(Arrow(source, target, quantity, False, named))
            continue
        # A shared bias's name is on its node, so its arrows carry the value alone.
        texts = named if slot.row is not None else {"value": (None, value), "name": None, "none": None}
        rows = [slot.row] if slot.row is not None else range(len(graph.layers[slot.layer]))
        for row in rows:
            arrows.append(Arrow(bias_nodes[slot.layer], starts[slot.layer + 1] + row, quantity,
                                not parameter.trained, texts))
    return arrows


def _edge(nodes: tuple[Node, ...], arrow: Arrow, label: Label | None, heads: bool) -> Edge:
    """The drawn arrow: its line, its arrowhead (if the figure has them) and its label."""
    start, tip, (ux, uy) = rim_points(nodes, arrow)
    if not heads:
        return Edge(arrow.source, arrow.target, arrow.quantity, start, tip, None, arrow.dashed, label)
    base = (tip[0] - ux * ARROW_LENGTH_CM, tip[1] - uy * ARROW_LENGTH_CM)
    nx, ny = -uy * ARROW_HALF_WIDTH_CM, ux * ARROW_HALF_WIDTH_CM
    head = (tip, (base[0] + nx, base[1] + ny), (base[0] - nx, base[1] - ny))
    return Edge(arrow.source, arrow.target, arrow.quantity, start, base, head, arrow.dashed, label)


def _caption(mode: str, shape: _Shape, arrows: list[Arrow], heads: bool) -> Paragraph:
    """What the figure shows, what it leaves to the table, and how it draws biases and directions."""
    leads = {"value": msg("figure.labelled"), "name": msg("figure.names"), "none": msg("figure.wide")}
    parts: list[Msg] = [leads[mode]]
    if not heads:
        parts.append(msg("figure.rightward"))
    if "per_neuron" in shape.biases:
        parts.append(msg("figure.bias_one"))
    if "shared" in shape.biases:
        parts.append(msg("figure.bias_shared"))
    if any(arrow.dashed for arrow in arrows):
        parts.append(msg("figure.frozen"))
    return tuple(parts)
