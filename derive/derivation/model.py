"""The document model: frozen sections of equations, tables, charts and prose that refer to quantities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import sympy as sp

from ..text.message import Msg, Paragraph

if TYPE_CHECKING:
    from ..engine.training import Training
    from ..network import Network
    from .graph import Graph
    from .notation import Notation, Written
    from .quantities import Quantities


@dataclass(frozen=True)
class Equation:
    """lhs = forms[0] = forms[1] = ... = numbers = value.

    ``numbers`` is printed with the values of ``scope`` put in (a sample's index, or None for the
    batch as a whole); the value shown last is the quantity ``quantity``.
    """

    lhs: sp.Basic
    forms: tuple[sp.Basic, ...]
    numbers: sp.Basic | None
    quantity: str | None
    scope: int | None = 0
    note: Msg | None = None  # where float64 (PyTorch) gives another value: which, and why


@dataclass(frozen=True)
class Block:
    """A titled group: a lead paragraph and its equations."""

    title: Paragraph
    lead: Paragraph
    equations: tuple[Equation, ...]


Cell = Any  # a Msg, or a placeholder value (Math, Value, Text, Code)


@dataclass(frozen=True)
class Table:
    """A table: a header of messages and rows of cells."""

    header: tuple[Cell, ...]  # a message, or math (a gradient's symbol)
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Chart:
    """A line chart of the loss against the step, drawn by the renderer's plotting tool."""

    steps: tuple[int, ...]
    losses: tuple[float, ...]
    log_scale: bool
    unit: str = "step"  # what the x axis counts: step or epoch


@dataclass(frozen=True)
class Section:
    """A numbered section: an introduction, tables, blocks of equations, a closing line, notes and a chart."""

    key: str
    title: Msg
    intro: Paragraph
    blocks: tuple[Block, ...] = ()
    tables: tuple[Table, ...] = ()
    closing: Paragraph = ()
    notes: tuple[Msg, ...] = ()  # notes after the section, in small print
    chart: Chart | None = None
    figure: bool = False  # the network's drawing goes after the introduction


@dataclass(frozen=True)
class Derivation:
    """The whole derivation, ready for a renderer: sections over a table of quantities."""

    network: "Network"
    training: "Training"
    graph: "Graph"
    notation: "Notation"
    quantities: "Quantities"
    sections: tuple[Section, ...]
    rounding: str = "exact"  # "carry": every shown value was rounded and used rounded (derivation/recompute.py)

    @property
    def names(self) -> Mapping[sp.Basic, "Written"]:
        """The display name of every symbol."""
        return self.notation.names
