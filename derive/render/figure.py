"""The network drawing, laid out once as plain data (centimetres, y up), then drawn by a template.

Every node, edge, arrowhead and label box has explicit coordinates and sizes here, so that a TikZ
template and an SVG writer draw the same picture and a test can check it: no label overlaps another
label, crosses an edge other than its own, or touches a node. A weight's label sits on its own edge,
near the source end, on a white box that interrupts that edge; where labels do not fit without
touching anything, the figure drops the values, then the labels, and its caption says where to find them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Iterator

from ..derivation.graph import Graph, Parameter
from ..derivation.model import Derivation
from ..derivation.notation import Name, Notation, Written
from ..text.message import Msg, Paragraph, msg
from .numbers import Formatted, format_number
from .printer import GREEK, latex_number
from .prose import Prose
from .typeset import Typesetter

PT = 2.54 / 72.27  # one TeX point in cm

# The page: A4 with 2.5 cm margins leaves 16 x 24.7 cm of text; the figure and its caption stay inside.
MAX_WIDTH_CM = 15.6
MAX_HEIGHT_CM = 18.0

# (unit gap, layer gap) in cm, tried from the most compact: height costs a page, width is free up to the text's.
SPACINGS = ((1.4, 4.2), (1.4, 5.0), (1.4, 6.0), (1.4, 7.0), (1.6, 6.0), (1.6, 7.0), (1.8, 7.0))
BIAS_DROP = 1.0  # a bias node sits this many unit gaps below the column feeding its layer,
BIAS_SHIFTS = (0.15, 0.0, 0.3, 0.5)  # and the first of these fractions of the way to the layer that no arrow grazes
MOST_LABELS = 400  # arrows beyond which the figure is not labelled at all
MOST_HEADS = 8  # arrows into one node beyond which arrowheads would pile up, so the figure draws none
SEARCH_BUDGET = 4000  # label positions tried before a labelling counts as not fitting
FIGURE_DECIMALS = 4  # a figure shows given values as written (0.15), or rounded to 4 decimals with =~
NODE_RADIUS_CM = 0.4  # a node's usual radius; wide columns shrink it to fit their gap
NODE_RADIUS_MAX_CM = 0.5  # and long names (a^(2)_13) widen it up to this
NODE_FILL = 0.42  # a node's radius as a fraction of the unit gap, at most
NODE_PTS = (10.95, 9.0, 8.0, 7.0)  # node name sizes tried, largest first (LaTeX's declared sizes)
NODE_PAD_CM = 0.06  # between a node's name and its circle
LABEL_PT = 8.0  # edge labels: \scriptsize of an 11pt document
LABEL_PAD_X_CM = 2.0 * PT  # white margin left and right of a label's text
LABEL_PAD_Y_CM = 1.0 * PT
CLEARANCE_CM = 0.05  # empty space between a label box and any other label or edge
NODE_CLEARANCE_CM = 0.16  # between a label box and a node circle; it also keeps labels off arrowheads
ARROW_LENGTH_CM = 0.13
ARROW_HALF_WIDTH_CM = 0.05
STEP_CM = 0.04  # label positions tried along an edge
LEAD_CM = 0.25  # line left visible between a node's rim and a label
MODES = ("value", "name", "none")  # the richest labelling that fits wins

# LaTeX's math sizes (fontmath.ltx): text size -> script size; and how much wider than a 10 pt design
# each size's glyphs are, per em (measured with pdflatex: the digits of cmr8 are 0.531 em, of cmr6 0.611 em).
SCRIPT_PT = {10.95: 8.0, 9.0: 6.0, 8.0: 6.0, 7.0: 5.0, 6.0: 5.0, 5.0: 5.0}
OPTICAL = {10.95: 1.01, 9.0: 1.05, 8.0: 1.09, 7.0: 1.17, 6.0: 1.27, 5.0: 1.41}

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # left, bottom, right, top


@dataclass(frozen=True)
class Node:
    """A circle: an input, a neuron or a bias node; ``name`` None is the constant input 1 of per-neuron biases."""

    key: str
    x: float
    y: float
    radius: float
    name: Written | None
    kind: str  # "input", "unit" or "bias"


@dataclass(frozen=True)
class Label:
    """A box centred on its own edge and turned along it: a parameter's name, its value, or "name = value".

    ``width`` runs along the edge and ``height`` across it (cm); ``angle`` is the edge's direction in
    degrees, counterclockwise, between -90 and 90 so that the text reads left to right.
    """

    x: float
    y: float
    width: float
    height: float
    angle: float
    name: Written | None
    value: Formatted | None

    @cached_property
    def frame(self) -> "Frame":
        """The box's own coordinates."""
        return Frame(self.x, self.y, math.radians(self.angle))

    @cached_property
    def corners(self) -> tuple[Point, Point, Point, Point]:
        """The four corners, counterclockwise from the lower left."""
        w, h = self.width / 2, self.height / 2
        return tuple(self.frame.outward(x, y) for x, y in ((-w, -h), (w, -h), (w, h), (-w, h)))

    @cached_property
    def bounds(self) -> Box:
        """The smallest upright box around it."""
        xs, ys = zip(*self.corners)
        return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True)
class Edge:
    """An arrow for one parameter: a line from the source's rim, an arrowhead touching the target's rim."""

    source: int
    target: int
    parameter: str  # the quantity ID of the weight or bias
    start: Point
    end: Point  # where the line meets the arrowhead's base
    head: tuple[Point, Point, Point] | None  # tip, then the two back corners; None in a figure without heads
    dashed: bool  # a bias that training keeps fixed
    label: Label | None


@dataclass(frozen=True)
class Layout:
    """The whole drawing, independent of the drawing language."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    mode: str  # "value", "name" or "none": what the edge labels carry
    node_pt: float
    label_pt: float
    caption: Paragraph


# ---------------------------------------------------------------- text sizes


def glyph_em(character: str) -> float:
    """A generous width in em of one math glyph of Latin Modern at 10 pt (digits 0.5, w 0.72, m 0.88, W 1.05)."""
    if character.isdigit():
        return 0.5
    if character in ".,;":
        return 0.28
    if character in "()[]":
        return 0.39
    if character in "-+":
        return 0.78
    if character.isupper():
        return 1.1
    return 0.9 if character == "m" else 0.8


def em(size: float) -> float:
    """The width in pt of a 10 pt em at ``size`` pt: small sizes use wider designs (cmr5 digits are 0.68 em)."""
    return size * OPTICAL[size]


def run_width(text: str, size: float) -> float:
    """The width in pt of math glyphs set at ``size`` pt."""
    return sum(glyph_em(c) for c in text) * em(size)


def scripts_box(size: float, sup: str | None, sub: str | None) -> tuple[float, float, float]:
    """Width, height and depth in pt that a superscript and a subscript add to a symbol set at ``size`` pt."""
    script = SCRIPT_PT[size]
    widths = [run_width(text, script) for text in (sup, sub) if text is not None]
    if not widths:
        return 0.0, 0.76 * size, 0.25 * size
    height = 0.56 * size + 0.76 * script if sup is not None else 0.76 * size
    depth = 0.3 * size + 0.25 * script if sub is not None else 0.25 * size
    return max(widths) + 0.5, height, depth  # 0.5 pt: \scriptspace


def name_box(name: Written, size: float) -> tuple[float, float, float]:
    """Width, height and depth in pt of a display name set in math at ``size`` pt."""
    if not isinstance(name, Name):
        raise ValueError(f"the figure draws plain names only, not {name!r}")
    sub = name.sub if not isinstance(name.sub, Name) else "".join(_name_characters(name.sub))
    width, height, depth = scripts_box(size, name.sup, sub)
    base = 0.8 if name.base in GREEK else sum(glyph_em(c) for c in name.base)
    return width + base * em(size), height, depth


def _name_characters(name: Name) -> Iterator[str]:
    """The characters of a nested name, for width estimates."""
    yield name.base
    for part in (name.sup, name.sub):
        if isinstance(part, str):
            yield part
        elif isinstance(part, Name):
            yield from _name_characters(part)


def value_box(value: Formatted, size: float) -> tuple[float, float, float]:
    """Width, height and depth in pt of a formatted number in math: 0.15, -0.3 or 1.5 x 10^-5."""
    width = run_width(value.mantissa, size)
    if value.exponent is None:
        return width, 0.76 * size, 0.25 * size
    power, height, depth = scripts_box(size, str(value.exponent), None)
    return width + RELATION_EM * em(size) + run_width("10", size) + power, height, depth


RELATION_EM = 1.34  # "=" or "\approx" with a thick space each side (and "\times" with medium ones, a little less)


def label_size(name: Written | None, value: Formatted | None, size: float = LABEL_PT) -> tuple[float, float]:
    """Width and height in cm of a label box (text and white margin)."""
    boxes = []
    if name is not None:
        boxes.append(name_box(name, size))
    if value is not None:
        boxes.append(value_box(value, size))
    width = sum(b[0] for b in boxes) + (RELATION_EM * em(size) if len(boxes) == 2 else 0.0)
    height = max(b[1] for b in boxes) + max(b[2] for b in boxes)
    return width * PT + 2 * LABEL_PAD_X_CM, height * PT + 2 * LABEL_PAD_Y_CM


def node_radius(names: Iterable[Written | None], size: float) -> float:
    """The radius in cm of a circle around the widest of these names set at ``size`` pt."""
    one = (run_width("1", size), 0.76 * size, 0.0)
    boxes = [name_box(name, size) if name is not None else one for name in names]
    half_diagonal = max(math.hypot(w / 2, (h + d) / 2) for w, h, d in boxes)
    return half_diagonal * PT + NODE_PAD_CM


# ---------------------------------------------------------------- geometry


class Frame:
    """Coordinates centred at (x, y) and turned by ``angle`` radians: a label's own."""

    def __init__(self, x: float, y: float, angle: float) -> None:
        self.x, self.y = x, y
        self.cos, self.sin = math.cos(angle), math.sin(angle)

    def inward(self, point: Point) -> Point:
        """A page point in this frame."""
        dx, dy = point[0] - self.x, point[1] - self.y
        return dx * self.cos + dy * self.sin, -dx * self.sin + dy * self.cos

    def outward(self, x: float, y: float) -> Point:
        """A point of this frame on the page."""
        return self.x + x * self.cos - y * self.sin, self.y + x * self.sin + y * self.cos


def segment_hits_box(a: Point, b: Point, box: Box) -> bool:
    """Whether the segment from a to b meets the upright box: Liang-Barsky clipping."""
    (ax, ay), (bx, by) = a, b
    left, bottom, right, top = box
    low, high = 0.0, 1.0
    for p, q in ((-(bx - ax), ax - left), (bx - ax, right - ax), (-(by - ay), ay - bottom), (by - ay, top - ay)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return False
    return True


def local_box(label: Label, margin: float = 0.0) -> Box:
    """A label's box in its own frame, grown by ``margin`` on every side."""
    w, h = label.width / 2 + margin, label.height / 2 + margin
    return -w, -h, w, h


def label_meets_segment(label: Label, a: Point, b: Point, margin: float) -> bool:
    """Whether a segment comes within ``margin`` of the label."""
    frame = label.frame
    return segment_hits_box(frame.inward(a), frame.inward(b), local_box(label, margin))


def label_circle_gap(label: Label, x: float, y: float) -> float:
    """The distance from a label to a point (a circle's centre)."""
    px, py = label.frame.inward((x, y))
    w, h = label.width / 2, label.height / 2
    return math.hypot(max(abs(px) - w, 0.0), max(abs(py) - h, 0.0))


def labels_meet(a: Label, b: Label, margin: float) -> bool:
    """Whether two labels come within ``margin`` of each other: no axis of either separates them."""
    for label in (a, b):
        frame, box = label.frame, local_box(label, margin)
        xs, ys = zip(*(frame.inward(p) for p in (b if label is a else a).corners))
        if max(xs) <= box[0] or min(xs) >= box[2] or max(ys) <= box[1] or min(ys) >= box[3]:
            return False
    return True


def grown(box: Box, by: float) -> Box:
    """The box with ``by`` added on every side."""
    left, bottom, right, top = box
    return left - by, bottom - by, right + by, top + by


class Grid:
    """Buckets of things by the cells their bounding boxes cover, so that a box meets only its neighbours."""

    CELL_CM = 0.6

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[int]] = {}

    def _cells(self, box: Box) -> Iterator[tuple[int, int]]:
        size = self.CELL_CM
        for i in range(math.floor(box[0] / size), math.floor(box[2] / size) + 1):
            for j in range(math.floor(box[1] / size), math.floor(box[3] / size) + 1):
                yield i, j

    def add(self, index: int, box: Box) -> None:
        """File ``index`` under every cell of ``box``."""
        for cell in self._cells(box):
            self.cells.setdefault(cell, []).append(index)

    def remove(self, index: int, box: Box) -> None:
        """Take ``index`` out of every cell of ``box``."""
        for cell in self._cells(box):
            self.cells[cell].remove(index)

    def near(self, box: Box) -> set[int]:
        """The indices filed under any cell of ``box``."""
        found: set[int] = set()
        for cell in self._cells(box):
            found.update(self.cells.get(cell, ()))
        return found


# ---------------------------------------------------------------- the layout


@dataclass(frozen=True)
class _Arrow:
    """An edge before its label is placed: its ends, its parameter and what its label says in each mode."""

    source: int
    target: int
    quantity: str
    dashed: bool
    texts: dict[str, tuple[Written | None, Formatted | None] | None]


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
    arrow_count = sum(a * b for a, b in zip(shape.widths, shape.widths[1:])) + sum(
        w for w, kind in zip(shape.widths[1:], shape.biases) if kind != "none")
    if arrow_count <= MOST_LABELS:
        for mode in MODES[:-1]:
            for unit_gap, layer_gap in SPACINGS:
                drawing = _drawing(graph, notation, shape, unit_gap, layer_gap, mode)
                if drawing is not None:
                    return drawing
    # Without labels, the widest spacing makes the arrows least steep.
    return _drawing(graph, notation, shape, SPACINGS[0][0], SPACINGS[-1][1], MODES[-1])


def _bias_kind(graph: Graph, layer: int) -> str:
    """``per_neuron``, ``shared`` or ``none``: how layer ``layer``'s biases are drawn."""
    found = [p for p in graph.parameters if p.layer == layer and p.slot.kind == "bias"]
    if not found:
        return "none"
    return "shared" if found[0].slot.row is None else "per_neuron"


def _drawing(graph: Graph, notation: Notation, shape: _Shape, unit_gap: float, layer_gap: float,
             mode: str) -> Layout | None:
    """The figure at this spacing with labels of this mode, or None where the labels do not fit."""
    gaps = _column_gaps(shape, unit_gap)
    layer_gap = min(layer_gap, (MAX_WIDTH_CM - 2 * NODE_RADIUS_MAX_CM) / max(len(shape.widths) - 1, 1))
    node_pt, radius = _node_size(_node_names(graph, notation, shape), _node_room(shape, gaps, layer_gap))
    nodes, arrows = _nodes_and_arrows(graph, notation, shape, gaps, layer_gap, radius)
    labels = _place_labels(nodes, arrows, mode)
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


def _nodes_and_arrows(graph: Graph, notation: Notation, shape: _Shape, gaps: list[float], layer_gap: float,
                      radius: float) -> tuple[tuple[Node, ...], list[_Arrow]]:
    """The nodes and arrows, with the bias nodes at the first of their places where no arrow grazes a
    node it does not join (or, failing that, where the fewest bias arrows and bias nodes are grazed)."""
    columns = _columns(notation, shape, gaps, layer_gap, radius)
    best: tuple[int, tuple[Node, ...], list[_Arrow]] | None = None
    for shift in BIAS_SHIFTS:
        nodes = columns + _bias_nodes(graph, notation, shape, gaps, layer_gap, radius, shift)
        arrows = _arrows(graph, notation, nodes)
        grazed = sum(1 for arrow, node in _grazes(nodes, arrows)
                     if nodes[node].kind == "bias" or nodes[arrow.source].kind == "bias")
        if best is None or grazed < best[0]:
            best = (grazed, nodes, arrows)
        if grazed == 0:
            break
    return best[1], best[2]


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


def _arrows(graph: Graph, notation: Notation, nodes: tuple[Node, ...]) -> list[_Arrow]:
    """An arrow per weight, and per bias from its layer's bias node to each neuron it feeds."""
    index = {node.key: i for i, node in enumerate(nodes)}
    arrows = []
    for parameter in graph.parameters:
        slot = parameter.slot
        value = format_number(parameter.value, FIGURE_DECIMALS)
        name, quantity = notation.names[parameter.symbol], notation.ids[parameter.symbol]
        named = {"value": (name, value), "name": (name, None), "none": None}
        if slot.kind == "weight":
            source, target = index[f"n{slot.layer}x{slot.column}"], index[f"n{slot.layer + 1}x{slot.row}"]
            arrows.append(_Arrow(source, target, quantity, False, named))
            continue
        # A shared bias's name is on its node, so its arrows carry the value alone.
        texts = named if slot.row is not None else {"value": (None, value), "name": None, "none": None}
        rows = [slot.row] if slot.row is not None else range(len(graph.layers[slot.layer]))
        for row in rows:
            target = index[f"n{slot.layer + 1}x{row}"]
            arrows.append(_Arrow(index[f"b{slot.layer}"], target, quantity, not parameter.trained, texts))
    return arrows


def _grazes(nodes: tuple[Node, ...], arrows: list[_Arrow]) -> Iterator[tuple[_Arrow, int]]:
    """Each arrow with each node it passes within the clearance of, other than its own two."""
    grid = Grid()
    for n, node in enumerate(nodes):
        grid.add(n, grown((node.x, node.y, node.x, node.y), node.radius + CLEARANCE_CM))
    for arrow in arrows:
        start, tip, _ = _rim_points(nodes, arrow)
        for n in grid.near(_segment_bounds(start, tip)):
            node = nodes[n]
            if n not in (arrow.source, arrow.target) and (
                    _point_segment_gap((node.x, node.y), start, tip) < node.radius + CLEARANCE_CM):
                yield arrow, n


def _segment_bounds(a: Point, b: Point) -> Box:
    """The smallest upright box around a segment."""
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


def _point_segment_gap(point: Point, a: Point, b: Point) -> float:
    """The distance from a point to a segment."""
    (px, py), (ax, ay), (bx, by) = point, a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def _rim_points(nodes: tuple[Node, ...], arrow: _Arrow) -> tuple[Point, Point, Point]:
    """Where an arrow leaves its source's rim, where its tip touches the target's rim, and its unit direction."""
    source, target = nodes[arrow.source], nodes[arrow.target]
    dx, dy = target.x - source.x, target.y - source.y
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    start = (source.x + ux * source.radius, source.y + uy * source.radius)
    tip = (target.x - ux * target.radius, target.y - uy * target.radius)
    return start, tip, (ux, uy)


def _edge(nodes: tuple[Node, ...], arrow: _Arrow, label: Label | None, heads: bool) -> Edge:
    """The drawn arrow: its line, its arrowhead (if the figure has them) and its label."""
    start, tip, (ux, uy) = _rim_points(nodes, arrow)
    if not heads:
        return Edge(arrow.source, arrow.target, arrow.quantity, start, tip, None, arrow.dashed, label)
    base = (tip[0] - ux * ARROW_LENGTH_CM, tip[1] - uy * ARROW_LENGTH_CM)
    nx, ny = -uy * ARROW_HALF_WIDTH_CM, ux * ARROW_HALF_WIDTH_CM
    head = (tip, (base[0] + nx, base[1] + ny), (base[0] - nx, base[1] - ny))
    return Edge(arrow.source, arrow.target, arrow.quantity, start, base, head, arrow.dashed, label)


# ---------------------------------------------------------------- placing the labels


def _place_labels(nodes: tuple[Node, ...], arrows: list[_Arrow], mode: str) -> list[Label | None] | None:
    """A label per arrow at a spot that touches nothing, or None when some arrow has no such spot.

    The arrows with the fewest spots clear of nodes and other arrows go first, each at its spot nearest
    its source end; where that choice blocks a later arrow, a bounded search over earlier choices follows.
    """
    if all(arrow.texts[mode] is None for arrow in arrows):
        return [None] * len(arrows)
    scene = _Scene(nodes, [_rim_points(nodes, arrow)[:2] for arrow in arrows])
    options: dict[int, list[Label]] = {}
    for i, arrow in enumerate(arrows):
        text = arrow.texts[mode]
        if text is None:
            continue
        options[i] = [label for label in _spots(scene.segments[i], *label_size(*text), text) if scene.clear(label, i)]
        if not options[i]:
            return None
    order = sorted(options, key=lambda i: (len(options[i]), i))
    chosen = _search(order, options)
    if chosen is None:
        return None
    return [chosen.get(i) for i in range(len(arrows))]


def _search(order: list[int], options: dict[int, list[Label]]) -> dict[int, Label] | None:
    """Depth first: each arrow in turn takes its next spot clear of the labels placed before it."""
    chosen: dict[int, Label] = {}
    grid = Grid()
    tried = [-1] * len(order)  # per depth, the index of the option in use
    depth, budget = 0, SEARCH_BUDGET
    while 0 <= depth < len(order):
        arrow = order[depth]
        if arrow in chosen:
            grid.remove(arrow, chosen.pop(arrow).bounds)
        found = _next_free(options[arrow], tried[depth] + 1, chosen, grid)
        budget -= found - tried[depth] if found is not None else len(options[arrow]) - tried[depth]
        if budget < 0:
            return None
        if found is None:
            tried[depth] = -1
            depth -= 1
            continue
        tried[depth] = found
        chosen[arrow] = options[arrow][found]
        grid.add(arrow, chosen[arrow].bounds)
        depth += 1
    return chosen if depth == len(order) else None


def _next_free(options: list[Label], first: int, chosen: dict[int, Label], grid: Grid) -> int | None:
    """The index of the first option from ``first`` on that keeps clear of the chosen labels."""
    for k in range(first, len(options)):
        label = options[k]
        near = grid.near(grown(label.bounds, CLEARANCE_CM))
        if not any(labels_meet(label, chosen[other], CLEARANCE_CM) for other in near):
            return k
    return None


class _Scene:
    """The nodes and arrow lines a label must keep clear of, bucketed for quick lookups."""

    def __init__(self, nodes: tuple[Node, ...], segments: list[tuple[Point, Point]]) -> None:
        self.nodes, self.segments = nodes, segments
        self.edge_grid, self.node_grid = Grid(), Grid()
        for i, (a, b) in enumerate(segments):
            self.edge_grid.add(i, _segment_bounds(a, b))
        for i, node in enumerate(nodes):
            self.node_grid.add(i, grown((node.x, node.y, node.x, node.y), node.radius + NODE_CLEARANCE_CM))

    def clear(self, label: Label, own: int) -> bool:
        """Whether a label on arrow ``own`` keeps clear of every node and every other arrow."""
        bounds = label.bounds
        for n in self.node_grid.near(bounds):
            node = self.nodes[n]
            if label_circle_gap(label, node.x, node.y) < node.radius + NODE_CLEARANCE_CM:
                return False
        near = self.edge_grid.near(grown(bounds, CLEARANCE_CM))
        return not any(e != own and label_meets_segment(label, *self.segments[e], CLEARANCE_CM) for e in near)


def _spots(segment: tuple[Point, Point], width: float, height: float,
           text: tuple[Written | None, Formatted | None]) -> Iterator[Label]:
    """A label turned along the edge at every step from its source end to its target end, each leaving
    a stretch of line visible at both ends so that it reads as the arrow's, not the node's."""
    (ax, ay), (bx, by) = segment
    length = math.hypot(bx - ax, by - ay)
    angle = math.degrees(math.atan2(by - ay, bx - ax))
    first, last = LEAD_CM + width / 2, length - LEAD_CM - width / 2
    steps = int((last - first) / STEP_CM)
    for k in range(steps + 1):
        t = (first + k * STEP_CM) / length
        yield Label(ax + t * (bx - ax), ay + t * (by - ay), width, height, angle, *text)


# ---------------------------------------------------------------- for a template


def _caption(mode: str, shape: _Shape, arrows: list[_Arrow], heads: bool) -> Paragraph:
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


def label_latex(label: Label, math_: Typesetter) -> str:
    """A label's math: "w_5 = 0.4", "w_5" or "0.6" (approximately equal where the value is rounded)."""
    value = latex_number(label.value) if label.value is not None else ""
    if label.name is None:
        return value
    name = math_.symbolic(label.name)
    if label.value is None:
        return name
    relation = "=" if label.value.exact else r"\approx"
    return f"{name} {relation} {value}"


def node_latex(node: Node, math_: Typesetter) -> str:
    """A node's math: its name, or 1 for the constant input of per-neuron biases."""
    return "1" if node.name is None else math_.symbolic(node.name)


def figure_view(drawing: Layout, math_: Typesetter, prose: Prose) -> dict:
    """The layout with its names and values printed, for a drawing template."""
    nodes = [{"x": n.x, "y": n.y, "radius": n.radius, "text": node_latex(n, math_)} for n in drawing.nodes]
    edges, labels = [], []
    for edge in drawing.edges:
        edges.append({"start": edge.start, "end": edge.end, "head": edge.head, "dashed": edge.dashed})
        label = edge.label
        if label is not None:
            labels.append({"x": label.x, "y": label.y, "width": label.width, "height": label.height,
                           "angle": label.angle, "text": label_latex(label, math_)})
    return {"nodes": nodes, "edges": edges, "labels": labels, "node_pt": drawing.node_pt,
            "label_pt": drawing.label_pt, "caption": prose.paragraph(drawing.caption)}
