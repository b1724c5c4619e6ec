"""The figure as plain data: nodes, labels, edges and the whole layout, in centimetres with y up."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from ...derivation.notation import Written
from ...text.message import Paragraph
from ..numbers import Formatted

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # left, bottom, right, top


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


@dataclass(frozen=True)
class Arrow:
    """An edge before its label is placed: its ends, its parameter and what its label says in each mode."""

    source: int
    target: int
    quantity: str
    dashed: bool
    texts: dict[str, tuple[Written | None, Formatted | None] | None]
