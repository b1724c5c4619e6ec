"""Where segments, label boxes and node circles meet, and a grid that finds a box's neighbours quickly."""

from __future__ import annotations

import math
from typing import Iterable, Iterator

from .shapes import Arrow, Box, Label, Node, Point

CLEARANCE_CM = 0.05  # empty space between a label box and any other label or edge
NODE_CLEARANCE_CM = 0.16  # between a label box and a node circle; it also keeps labels off arrowheads


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


def band_span(a: Point, b: Point, half: float) -> tuple[float, float] | None:
    """The least and greatest x of the part of segment ab with |y| <= half, or None where it has none."""
    (ax, ay), (bx, by) = a, b
    if ay == by:
        return (min(ax, bx), max(ax, bx)) if abs(ay) <= half else None
    low, high = sorted(((-half - ay) / (by - ay), (half - ay) / (by - ay)))
    low, high = max(low, 0.0), min(high, 1.0)
    if low > high:
        return None
    xs = ax + low * (bx - ax), ax + high * (bx - ax)
    return min(xs), max(xs)


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

    def cell_box(self, box: Box) -> Box:
        """The box of the cells that ``box`` is filed under (each cell as a closed square)."""
        size = self.CELL_CM
        return (math.floor(box[0] / size) * size, math.floor(box[1] / size) * size,
                (math.floor(box[2] / size) + 1) * size, (math.floor(box[3] / size) + 1) * size)

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
        size, cells, found = self.CELL_CM, self.cells, set()
        columns = range(math.floor(box[1] / size), math.floor(box[3] / size) + 1)
        for i in range(math.floor(box[0] / size), math.floor(box[2] / size) + 1):
            for j in columns:  # the hot loop of label placement: no generator, empty cells skipped
                bucket = cells.get((i, j))
                if bucket:
                    found.update(bucket)
        return found


def grazes(nodes: tuple[Node, ...], arrows: list[Arrow], among: Iterable[int] | None = None) -> Iterator[tuple[Arrow, int]]:
    """Each arrow with each node (of those numbered ``among``, or any) it passes within the clearance
    of, other than its own two. A few nodes named by ``among`` are each tried; many go in a grid first."""
    if among is not None:
        def near(_: Box, listed: tuple[int, ...] = tuple(among)) -> Iterable[int]:
            return listed
    else:
        grid = Grid()
        for n, node in enumerate(nodes):
            grid.add(n, grown((node.x, node.y, node.x, node.y), node.radius + CLEARANCE_CM))
        near = grid.near
    for arrow in arrows:
        start, tip, _ = rim_points(nodes, arrow)
        for n in near(segment_bounds(start, tip)):
            node = nodes[n]
            if n not in (arrow.source, arrow.target) and (
                    _point_segment_gap((node.x, node.y), start, tip) < node.radius + CLEARANCE_CM):
                yield arrow, n


def segment_bounds(a: Point, b: Point) -> Box:
    """The smallest upright box around a segment."""
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


def _point_segment_gap(point: Point, a: Point, b: Point) -> float:
    """The distance from a point to a segment."""
    (px, py), (ax, ay), (bx, by) = point, a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def rim_points(nodes: tuple[Node, ...], arrow: Arrow) -> tuple[Point, Point, Point]:
    """Where an arrow leaves its source's rim, where its tip touches the target's rim, and its unit direction."""
    source, target = nodes[arrow.source], nodes[arrow.target]
    dx, dy = target.x - source.x, target.y - source.y
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    start = (source.x + ux * source.radius, source.y + uy * source.radius)
    tip = (target.x - ux * target.radius, target.y - uy * target.radius)
    return start, tip, (ux, uy)
