"""Placing the edge labels: each on its own arrow, clear of every node, other arrow and other label."""

from __future__ import annotations

import math
from typing import Iterator

from ...derivation.notation import Written
from ..numbers import Formatted
from .geometry import (CLEARANCE_CM, NODE_CLEARANCE_CM, Grid, band_span, grown, label_circle_gap,
                       label_meets_segment, labels_meet, rim_points, segment_bounds)
from .measure import label_size
from .shapes import Arrow, Box, Frame, Label, Node, Point

SEARCH_BUDGET = 4000  # label positions tried before a labelling counts as not fitting
STEP_CM = 0.04  # label positions tried along an edge
LEAD_CM = 0.25  # line left visible between a node's rim and a label
TIE_CM = 1e-9  # far above the rounding of a position, far below a step


def place_labels(nodes: tuple[Node, ...], arrows: list[Arrow], mode: str) -> list[Label | None] | None:
    """A label per arrow at a spot that touches nothing, or None when some arrow has no such spot.

    The arrows with the fewest spots clear of nodes and other arrows go first, each at its spot nearest
    its source end; where that choice blocks a later arrow, a bounded search over earlier choices follows.
    """
    if all(arrow.texts[mode] is None for arrow in arrows):
        return [None] * len(arrows)
    scene = _Scene(nodes, [rim_points(nodes, arrow)[:2] for arrow in arrows])
    options: dict[int, list[Label]] = {}
    for i, arrow in enumerate(arrows):
        text = arrow.texts[mode]
        if text is None:
            continue
        options[i] = scene.clear_spots(i, *label_size(*text), text)
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
            self.edge_grid.add(i, segment_bounds(a, b))
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

    def clear_spots(self, own: int, width: float, height: float,
                    text: tuple[Written | None, Formatted | None]) -> list[Label]:
        """Every label on arrow ``own`` (one per step along it) that ``clear`` accepts.

        A label slides along its own line, so each node and each other arrow blocks one stretch of
        positions, found once in the arrow's own coordinates. Only a step within ``TIE_CM`` of a
        stretch's end is checked label by label, so rounding decides nothing ``clear`` would not.
        """
        (ax, ay), (bx, by) = segment = self.segments[own]
        length = math.hypot(bx - ax, by - ay)
        first, count = _steps(length, width)
        if count <= 0:
            return []
        frame = Frame(ax, ay, math.atan2(by - ay, bx - ax))
        state = bytearray(count)  # per step: 0 clear, 1 blocked, 2 to be checked
        stretches = list(self._stretches(own, frame, segment, width, height))
        for low, high in stretches:  # both ends' tie bands first; a stretch's inside then wins over them
            for edge in (low, high):
                for k in _step_range(edge - TIE_CM, edge + TIE_CM, first, count):
                    state[k] = 2
        for low, high in stretches:
            for k in _step_range(low + TIE_CM, high - TIE_CM, first, count):
                state[k] = 1
        spots = []
        for k in range(count):
            if state[k] != 1:
                label = _spot(segment, length, first + k * STEP_CM, width, height, text)
                if state[k] == 0 or self.clear(label, own):
                    spots.append(label)
        return spots

    def _stretches(self, own: int, frame: Frame, segment: tuple[Point, Point], width: float,
                   height: float) -> Iterator[tuple[float, float]]:
        """The distances along arrow ``own`` at which a label's centre would come too close to a node or
        another arrow, as ``clear`` decides it: a stretch may be empty (low > high) and still carry tie bands."""
        reach = math.hypot(width, height) / 2 + max(NODE_CLEARANCE_CM, CLEARANCE_CM)
        sweep = grown(segment_bounds(*segment), reach)
        for n in sorted(self.node_grid.near(sweep)):
            node = self.nodes[n]
            u, v = frame.inward((node.x, node.y))
            across = max(abs(v) - height / 2, 0.0)
            room = node.radius + NODE_CLEARANCE_CM
            if across < room:
                along = width / 2 + math.sqrt(room * room - across * across)
                yield u - along, u + along
        extent = _bounds_extent(frame, width, height)
        for e in sorted(self.edge_grid.near(sweep)):
            if e == own:
                continue
            span = band_span(frame.inward(self.segments[e][0]), frame.inward(self.segments[e][1]),
                             height / 2 + CLEARANCE_CM)
            if span is None:
                continue
            # ``clear`` only asks the arrows filed in the grid cells its label's bounds (grown by the
            # clearance) cover: a label's corner may come nearer an arrow's line than its grown box.
            window = _window(frame, self.edge_grid.cell_box(segment_bounds(*self.segments[e])), extent)
            if window is not None:
                low = max(span[0] - width / 2 - CLEARANCE_CM, window[0])
                high = min(span[1] + width / 2 + CLEARANCE_CM, window[1])
                if low <= high + 2 * TIE_CM:
                    yield low, high


def _bounds_extent(frame: Frame, width: float, height: float) -> tuple[float, float]:
    """Half the width and half the height of a turned label's upright bounds, grown by the clearance."""
    w, h = width / 2, height / 2
    return (abs(w * frame.cos) + abs(h * frame.sin) + CLEARANCE_CM,
            abs(w * frame.sin) + abs(h * frame.cos) + CLEARANCE_CM)


def _window(frame: Frame, box: Box, extent: tuple[float, float]) -> tuple[float, float] | None:
    """The distances along an arrow (from its frame's origin, in its direction) at which a label's grown
    upright bounds meet ``box``, or None."""
    low, high = -math.inf, math.inf
    for start, step, near, far, half in ((frame.x, frame.cos, box[0], box[2], extent[0]),
                                         (frame.y, frame.sin, box[1], box[3], extent[1])):
        first, last = near - half - start, far + half - start  # the centre's offset must lie within these
        if abs(step) < 1e-12:
            if not first <= 0.0 <= last:
                return None
            continue
        ends = sorted((first / step, last / step))
        low, high = max(low, ends[0]), min(high, ends[1])
    return (low, high) if low <= high + 2 * TIE_CM else None


def _steps(length: float, width: float) -> tuple[float, int]:
    """Where along an edge the first label's centre sits, and how many steps fit: each label leaves a
    stretch of line visible at both ends so that it reads as the arrow's, not the node's."""
    first, last = LEAD_CM + width / 2, length - LEAD_CM - width / 2
    return first, int((last - first) / STEP_CM) + 1  # int() truncates: a label a little too long still gets one


def _step_range(low: float, high: float, first: float, count: int) -> range:
    """The steps whose centre (first + k * STEP_CM) lies within [low, high]."""
    return range(max(math.ceil((low - first) / STEP_CM), 0), min(math.floor((high - first) / STEP_CM), count - 1) + 1)


def _spot(segment: tuple[Point, Point], length: float, along: float, width: float, height: float,
          text: tuple[Written | None, Formatted | None]) -> Label:
    """The label turned along the edge with its centre ``along`` cm from the edge's source end."""
    (ax, ay), (bx, by) = segment
    t = along / length
    angle = math.degrees(math.atan2(by - ay, bx - ax))
    return Label(ax + t * (bx - ax), ay + t * (by - ay), width, height, angle, *text)
