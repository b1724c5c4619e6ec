"""The document model: frozen sections of equations, tables, charts and prose that refer to quantities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import sympy as sp

from ..text.message import Msg, Paragraph, Value

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


NUMBER, TEXT = "number", "text"  # a column's kind: numbers align on the decimal point, text to the left


@dataclass(frozen=True)
class Table:
    """A table: a header, rows of cells, and the kind of each column (NUMBER or TEXT).

    A builder names the kinds; where it leaves them out, a column holding a number (a Value or a
    whole number) is a NUMBER column, so that no number is ever set ragged. A text cell in a NUMBER
    column (frozen, after step 10) is set apart from the decimal point.
    """

    header: tuple[Cell, ...]  # messages, or math (a quantity's name heads its column)
    rows: tuple[tuple[Cell, ...], ...]
    columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.columns and (len(self.columns) != len(self.header) or not set(self.columns) <= {NUMBER, TEXT}):
            raise ValueError(f"a table of {len(self.header)} columns cannot have the kinds {self.columns!r}")

    @property
    def kinds(self) -> tuple[str, ...]:
        """Each column's kind: the builder's, or NUMBER where the column holds a number."""
        if self.columns:
            return self.columns
        return tuple(
            NUMBER if any(is_number(row[index]) for row in self.rows) else TEXT for index in range(len(self.header))
        )


def is_number(cell: Cell) -> bool:
    """Whether a cell is a number: a quantity's or another Value, or a whole number (a sample, a step)."""
    return isinstance(cell, Value) or (isinstance(cell, int) and not isinstance(cell, bool))


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
    circuit: Any = None  # --style graph: the Circuit whose drawing goes after the introduction


@dataclass(frozen=True)
class Derivation:
    """The whole derivation, ready for a renderer: sections over a table of quantities."""

    network: "Network"
    training: "Training"
    graph: "Graph"
    notation: "Notation"
    quantities: "Quantities"
    sections: tuple[Section, ...]
    extra_names: Mapping[sp.Basic, "Written"] | None = None  # the gates' names of --style graph
    rounding: str = "exact"  # "carry": every shown value was rounded and used rounded (derivation/recompute.py)

    @property
    def names(self) -> Mapping[sp.Basic, "Written"]:
        """The display name of every symbol."""
        if self.extra_names:
            return {**self.notation.names, **self.extra_names}
        return self.notation.names
