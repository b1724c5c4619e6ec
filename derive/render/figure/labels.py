"""Placing the edge labels: each on its own arrow, clear of every node, other arrow and other label."""

from __future__ import annotations

import math
from typing import Iterator

from ...derivation.notation import Written
from ..numbers import Formatted
from .geometry import (CLEARANCE_CM, NODE_CLEARANCE_CM, Grid, grown, label_circle_gap, label_meets_segment,
                       labels_meet, rim_points, segment_bounds)
from .measure import label_size
from .shapes import Arrow, Label, Node, Point

SEARCH_BUDGET = 4000  # label positions tried before a labelling counts as not fitting
STEP_CM = 0.04  # label positions tried along an edge
LEAD_CM = 0.25  # line left visible between a node's rim and a label


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
