"""The question sheet as a view of the same Derivation the documents render.

The sheet keeps the network section (the givens: parameters, data, settings, the figure) and, from
every other section, only the lines of the blanks: each ends in an empty box with its ID, after
its formula when hints are asked for. Nothing else that holds a number is kept, so no blank's
value can show through a later line, a table, the summary or the PyTorch listing.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any, Callable, Mapping

import sympy as sp

from ..derivation.model import Block, Derivation, Equation, Section, Table
from ..derivation.notation import Marked
from ..render.escape import escape_latex, escape_markdown, latex_code, markdown_code
from ..render.prose import Prose
from ..render.typeset import LINE_BUDGET, Typesetter, visible_width
from ..render.view import document_view, table_layout
from ..text.catalogue import catalogue
from ..text.message import Code, Given, Math, Msg, Plain, Series, Text, Value, Versus, msg
from .model import Exercise
from .dull import OUTPUT_GAP, SATURATED_SIGMOID, SIGNIFICANT_DIGITS

GIVEN_KINDS = ("parameter", "setting", "input", "target")
FORMATS = {"markdown": (escape_markdown, markdown_code), "latex": (escape_latex, latex_code)}


def blank_box(precision: int) -> str:
    """An empty box with room for a negative answer at the sheet's precision, written by hand."""
    return rf"\boxed{{\rule{{0pt}}{{1.1em}}\phantom{{-0.{'0' * (precision + 5)}}}}}"


def id_tag(key: str) -> str:
    """A quantity ID set beside its box in math: (grad_w5)."""
    return r"\;\texttt{" + key.replace("_", r"\_") + "}"


class SheetTypesetter(Typesetter):
    """Lines of blanks: the left-hand side, its formula with hints, then an empty box and the ID."""

    def __init__(self, base: Typesetter, blanks: frozenset[str], hints: bool) -> None:
        super().__init__(base.names, base.quantities, base.format.precision, base.words)
        self.blanks = blanks
        self.hints = hints

    def rows(self, equation: Equation) -> list[str]:
        if equation.quantity not in self.blanks:
            return super().rows(equation)  # a symbolic rule, given as a hint
        forms = equation.forms if self.hints else ()
        rows = super().rows(Equation(equation.lhs, forms, None, None, equation.scope))
        box = f"{blank_box(self.format.precision)}{id_tag(equation.quantity)}"
        if not rows:
            return [f"{self.symbolic(equation.lhs)} &= {box}"]
        if visible_width(rows[-1]) + visible_width(box) + 3 > LINE_BUDGET:
            return rows + [f"&= {box}"]
        return rows[:-1] + [f"{rows[-1]} = {box}"]


def prose_for(exercise: Exercise, kind: str, derivation: Derivation, wrap: Callable[[Typesetter], Typesetter]) -> Prose:
    """The prose writer of one output format over ``derivation``'s quantities, with a typesetter made by ``wrap``."""
    words = catalogue(exercise.options.lang)
    base = Typesetter(derivation.names, derivation.quantities, exercise.options.precision,
                      {"matrix": words.text("document.matrix")})
    escape, code = FORMATS[kind]
    return Prose(words, wrap(base), escape, code)


# -- the sheet


def sheet_derivation(exercise: Exercise) -> Derivation:
    """The sheet's sections: the givens, then the lines of the blanks (and, with hints, the rules)."""
    derivation, blanks, hints = exercise.derivation, frozenset(exercise.blanks), exercise.options.hints
    givens = {key for key, q in derivation.quantities.items() if q.kind in GIVEN_KINDS}
    sections = [derivation.sections[0]]
    placed: set[str] = set()
    for section in derivation.sections[1:]:
        blocks = []
        for block in section.blocks:
            # A note at a line compares its value with float64 or a published figure: it would give the answer away.
            asked = tuple(dataclasses.replace(e, note=None) for e in block.equations if e.quantity in blanks)
            placed.update(e.quantity for e in asked)
            rules = all(e.quantity is None and e.numbers is None for e in block.equations)
            if asked or (hints and rules and block.equations):
                lead = _without_values(block.lead, givens) if hints else ()
                blocks.append(Block(block.title, lead, asked or block.equations))
        if any(any(e.quantity in blanks for e in b.equations) for b in blocks):
            intro = _without_values(section.intro, givens)
            sections.append(Section(section.key, section.title, intro, tuple(blocks),
                                    closing=_without_values(section.closing, givens)))
    rest = [key for key in exercise.blanks if key not in placed]
    if rest:
        sections.append(_further_section(exercise, rest))
    return dataclasses.replace(derivation, sections=tuple(sections))


def _further_section(exercise: Exercise, keys: list[str]) -> Section:
    """Blanks with no line of their own in the derivation (a batch's gradient, the loss after the update)."""
    equations = tuple(
        Equation(answer_symbol(exercise.derivation, key), _hint(exercise, key), None, key,
                 exercise.derivation.quantities[key].sample)
        for key in keys
    )
    return Section("further", msg("exercise.sheet.further_title"), (msg("exercise.sheet.further_intro"),),
                   (Block((), (), equations),))


def _hint(exercise: Exercise, key: str) -> tuple[sp.Basic, ...]:
    formula = exercise.derivation.quantities[key].formula
    return (formula,) if exercise.options.hints and formula is not None else ()


def answer_symbol(derivation: Derivation, key: str) -> sp.Basic:
    """The symbol an answer is written as; the loss after the update is E with a plus mark."""
    quantity = derivation.quantities[key]
    if quantity.symbol is not None:
        return quantity.symbol
    loss = derivation.graph.loss_total
    return derivation.notation.matrix_display(f"answer_{key}", Marked(derivation.names[loss], "plus"))


def _without_values(paragraph: tuple[Msg, ...], givens: set[str]) -> tuple[Msg, ...]:
    """The messages that show no number but the givens'."""
    return tuple(message for message in paragraph if _only_givens(message, givens))


def _only_givens(value: Any, givens: set[str]) -> bool:
    if isinstance(value, Msg):
        return all(_only_givens(argument, givens) for _, argument in value.args)
    if isinstance(value, (Given, Value)):
        return getattr(value, "quantity", None) in givens
    if isinstance(value, Versus):
        return False
    if isinstance(value, Series):
        return all(_only_givens(item, givens) for item in value.items)
    return True


def sheet_view(exercise: Exercise, kind: str) -> dict[str, Any]:
    """Everything a sheet template places, in ``kind`` (markdown or latex)."""
    derivation = sheet_derivation(exercise)
    blanks = frozenset(exercise.blanks)
    prose = prose_for(exercise, kind, derivation, lambda base: SheetTypesetter(base, blanks, exercise.options.hints))
    view = document_view(derivation, prose, "document.note" if kind == "markdown" else "")
    header = (msg("exercise.header_id"), msg("exercise.header_quantity"), msg("exercise.sheet.header_answer"))
    rows = tuple((Code(key), Math(answer_symbol(derivation, key)), Text("")) for key in exercise.blanks)
    return part_view(exercise, prose, derivation, "sheet", _sheet_lines(exercise), variant_rules(exercise),
                     view["sections"], Table(header, rows))


def part_view(exercise: Exercise, prose: Prose, derivation: Derivation, part: str, lines: list[Msg],
              rules: list[Msg], sections: list[Any], answers: Table) -> dict[str, Any]:
    """What a sheet's or a key's (``part``) template places: title, lines, rules, sections and answers table."""
    return {
        "title": prose.message(msg(f"exercise.{part}.title", title=Text(exercise.title))),
        "lines": [prose.message(line) for line in lines],
        "rules": [prose.message(rule) for rule in rules],
        "sections": sections,
        "answers_title": prose.message(msg(f"exercise.{part}.answers_title")),
        "answers": table_view(prose, answers),
        "footer": prose.message(msg("exercise.footer", variant=Text(exercise.label))),
        "prose": prose,
        "derivation": derivation,
    }


def _sheet_lines(exercise: Exercise) -> list[Msg]:
    options = exercise.options
    lines = [msg("exercise.sheet.student")]
    if exercise.variant is not None:
        lines.append(msg("exercise.sheet.variant", variant=Text(exercise.variant.id)))
    lines.append(msg("exercise.sheet.task", count=len(exercise.blanks), precision=options.precision))
    lines.append(msg(f"exercise.sheet.rounding_{options.rounding}", precision=options.precision))
    lines.append(msg("exercise.sheet.digits", digits=SIGNIFICANT_DIGITS))
    lines.append(msg("exercise.sheet.hints" if options.hints else "exercise.sheet.no_hints"))
    return lines


def variant_rules(exercise: Exercise) -> list[Msg]:
    """The rules a drawn variant passed, for the sheet's note (none for the spec's own numbers)."""
    if exercise.variant is None:
        return []
    precision = exercise.options.precision
    smallest = Plain(Fraction(1, 10 ** (precision - SIGNIFICANT_DIGITS + 1)))
    return [
        msg("exercise.rules.intro", seed=exercise.variant.seed),
        msg("exercise.rules.dead"),
        msg("exercise.rules.saturated", limit=SATURATED_SIGMOID),
        msg("exercise.rules.at_target", gap=Plain(OUTPUT_GAP)),
        msg("exercise.rules.small_gradient", smallest=smallest, digits=SIGNIFICANT_DIGITS, precision=precision),
    ]


def table_view(prose: Prose, table: Table) -> dict[str, Any]:
    """A table's cells as the templates take them (the article's own table layout)."""
    return table_layout(table, prose)


def latex_figure(view: Mapping[str, Any]) -> dict[str, Any]:
    """The network's drawing for a LaTeX sheet or key (the same drawing as the article's)."""
    from ..render.figure import figure_view, layout

    prose = view["prose"]
    return figure_view(layout(view["derivation"]), prose.math, prose)
