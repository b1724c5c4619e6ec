"""Prose as data: a message key with named arguments, and the kinds of value a placeholder holds.

A document never holds a sentence. It holds ``Msg`` objects; the renderer looks each key up in the
language's catalogue and fills its placeholders, printing each argument the way its kind says:
math through the printer, user text escaped, numbers through the one formatter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Msg:
    """A catalogue message and its named arguments.

    ``default`` is the English text of a message a component owns; a catalogue entry with the same
    key wins over it, so a language translates components without touching their code.
    """

    key: str
    args: tuple[tuple[str, Any], ...] = ()
    default: str | None = None

    @property
    def arguments(self) -> dict[str, Any]:
        """The arguments as a dict."""
        return dict(self.args)


def msg(key: str, /, **args: Any) -> Msg:
    """A catalogue message with named arguments."""
    return Msg(key, tuple(args.items()))


def owned(component: Any, name: str, /, **args: Any) -> Msg:
    """One of a component's own messages (its key, its English text), with arguments."""
    return Msg(component.message_key(name), tuple(args.items()), component.messages[name])


@dataclass(frozen=True)
class Math:
    """Inline math, printed from a SymPy expression."""

    expr: Any


@dataclass(frozen=True)
class Given:
    """'symbol = value' of a quantity, by its ID; ``symbol`` writes another symbol for it (E for E_after)."""

    quantity: str
    symbol: Any = None


@dataclass(frozen=True)
class Value:
    """A number in math: a quantity's value by ID, or a number that is no quantity (a difference).

    ``decimals`` fixes the digits after the point instead of the document's precision.
    """

    quantity: str | None = None
    number: Any = None
    decimals: int | None = None


@dataclass(frozen=True)
class Versus:
    """A float64 value beside the exact one: alone when the document's digits tell them apart, else
    both, with as many more decimals as that takes (the catalogue's ``float64.versus`` joins them)."""

    float64: Any
    exact: Any


@dataclass(frozen=True)
class Plain:
    """A setting written as plain text: its exact decimal (``form="decimal"``) or printf's %g (``"g"``)."""

    number: Any
    form: str = "decimal"


@dataclass(frozen=True)
class Text:
    """Text from the user (a title, a file name), printed literally."""

    text: str


@dataclass(frozen=True)
class Code:
    """Literal text in a code font (a file name, a Python name)."""

    text: str


@dataclass(frozen=True)
class Series:
    """Items joined by one of the language's separators (``joiner`` names it: comma, semicolon)."""

    items: tuple[Any, ...]
    joiner: str = "comma"


Paragraph = tuple[Msg, ...]
