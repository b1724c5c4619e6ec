"""The document model: sections of equations (symbolic form, numbers, value), tables, charts and prose."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

import sympy as sp

from .numbers import Number

if TYPE_CHECKING:
    from .graph import Graph
    from .network import Network
    from .training import Training


@dataclass(frozen=True)
class Figure:
    """A number in running text, shown at a fixed number of decimals rather than the document's."""

    value: Number
    decimals: int


@dataclass(frozen=True)
class Given:
    """'name = value' in running text, the value in the document's number format."""

    symbol: sp.Expr
    value: Number


Prose = tuple[Union[str, sp.Expr, Number, Figure, Given], ...]


@dataclass(frozen=True)
class Equation:
    """lhs = forms[0] = forms[1] = ... = numbers = value; numbers is printed with values put in."""

    lhs: sp.Expr
    forms: tuple[sp.Expr, ...]
    numbers: sp.Expr | None
    value: Number | None
    sample: int = 0


@dataclass(frozen=True)
class Block:
    """A titled group: a lead paragraph and its equations."""

    title: Prose
    lead: Prose
    equations: tuple[Equation, ...]


@dataclass(frozen=True)
class Table:
    """A table whose cells are text, SymPy expressions (names), numbers or prose."""

    header: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class Chart:
    """A line chart of the loss against the step, drawn by the renderer's plotting tool."""

    steps: tuple[int, ...]
    losses: tuple[float, ...]
    log_scale: bool


@dataclass(frozen=True)
class Section:
    """A numbered section: an introduction, tables, blocks of equations, a chart and a closing line."""

    key: str
    title: str
    intro: Prose
    blocks: tuple[Block, ...] = ()
    tables: tuple[Table, ...] = ()
    closing: Prose = ()
    chart: Chart | None = None


@dataclass(frozen=True)
class Document:
    """The whole derivation, ready for a renderer."""

    network: "Network"
    graph: "Graph"
    names: dict
    values: tuple[dict, ...]
    sections: tuple[Section, ...]
    training: "Training"
    footnotes: tuple[Prose, ...] = field(default=())
    provenance: Prose = field(default=())
