"""The answer key: the whole derivation (exact, or carried by hand) with each blank's value boxed, and a table of
the answers with their tolerances."""

from __future__ import annotations

from typing import Any

from ..derivation.model import Equation, Table
from ..render.printer import latex_number
from ..render.typeset import LINE_BUDGET, Typesetter, visible_width
from ..render.view import document_view
from ..text.message import Code, Math, Plain, Text, Value, msg
from .model import Exercise
from .sheet import answer_symbol, part_view, prose_for

BOX_WIDTH = 10  # characters a box adds to a row, with room for the error of the rough width estimate


class KeyTypesetter(Typesetter):
    """The derivation's lines, each blank's value boxed."""

    def __init__(self, base: Typesetter, blanks: frozenset[str]) -> None:
        super().__init__(base.names, base.quantities, base.format.precision, base.words)
        self.blanks = blanks

    def rows(self, equation: Equation) -> list[str]:
        rows = super().rows(equation)
        if equation.quantity not in self.blanks or not rows:
            return rows
        value = latex_number(self.format(self.quantities[equation.quantity].value))
        if not rows[-1].endswith(value):
            return rows
        head, _, relation = rows[-1][: len(rows[-1]) - len(value)].rstrip().rpartition(" ")
        boxed = rf"\boxed{{{value}}}"
        if visible_width(rows[-1]) + BOX_WIDTH > LINE_BUDGET and relation in ("=", r"\approx") and "&" in head:
            return rows[:-1] + [head, f"&{relation} {boxed}"]  # the box would push a full row past the margin
        return rows[:-1] + [rows[-1][: len(rows[-1]) - len(value)] + boxed]


def key_view(exercise: Exercise, kind: str) -> dict[str, Any]:
    """Everything a key template places: the whole derivation with the answers boxed, and the answers table."""
    derivation = exercise.derivation
    blanks = frozenset(exercise.blanks)
    prose = prose_for(exercise, kind, derivation, lambda base: KeyTypesetter(base, blanks))
    view = document_view(derivation, prose, "document.note" if kind == "markdown" else "")
    header = (msg("exercise.header_id"), msg("exercise.header_quantity"), msg("exercise.key.header_answer"),
              msg("exercise.key.header_tolerance"))
    rows = tuple(
        (Code(key), Math(answer_symbol(derivation, key)), Value(key), Plain(exercise.answers[key].tolerance))
        for key in exercise.blanks
    )
    lines = []
    if exercise.variant is not None:
        lines.append(msg("exercise.sheet.variant", variant=Text(exercise.variant.id)))
    lines.append(msg(f"exercise.key.convention_{exercise.options.rounding}", precision=exercise.options.precision))
    lines.append(msg("exercise.key.boxed", count=len(exercise.blanks)))
    result = part_view(exercise, prose, derivation, "key", lines, [], view["sections"], Table(header, rows))
    result["about"] = view["about"]
    return result
