"""The class set at a glance: one row per variant with its data and key numbers, as Markdown and as a PDF."""

from __future__ import annotations

from typing import Any, Sequence

from ..derivation.model import NUMBER, TEXT
from ..derivation.nodes import Partial
from ..render.environment import environment
from ..render.escape import escape_latex
from ..text.message import Math, Msg, Plain, Series, Text, Value, msg
from .model import Exercise
from .render import pdf_article
from .sheet import answer_symbol, prose_for

ROWS_PER_TABLE = 40  # a tabular cannot break across pages, so a long class set gets several


def overview_rows(exercises: Sequence[Exercise]) -> tuple[tuple[Any, ...], tuple[tuple[Any, ...], ...]]:
    """The header and one row per variant: ID, learning rate, inputs, targets, E, two gradients, E after."""
    first = exercises[0].derivation
    graph = first.graph
    trained = [p for p in graph.parameters if p.trained]
    shown = [trained[0], trained[-1]] if len(trained) > 1 else trained
    header: tuple[Any, ...] = (
        msg("exercise.overview.variant"), Math(graph.learning_rate), msg("exercise.overview.inputs"),
        msg("exercise.overview.targets"), Math(graph.loss_total),
        *(Math(Partial(graph.loss_total, p.symbol)) for p in shown),
        Math(answer_symbol(first, "E_after")),
    )
    rows = []
    for exercise in exercises:
        network, notation = exercise.network, exercise.derivation.notation
        data = network.data
        inputs = Series(tuple(Series(tuple(Plain(v) for v in row)) for row in data.inputs), "semicolon")
        targets = Series(tuple(Plain(t) if isinstance(t, int) else Series(tuple(Plain(v) for v in t))
                               for t in data.targets), "semicolon")
        gradients = tuple(Value(notation.gradient_id(p)) for p in shown)
        rows.append((Text(exercise.label), Value("lr"), inputs, targets, Value("E"), *gradients, Value("E_after")))
    return header, tuple(rows)


def _view(exercises: Sequence[Exercise], kind: str) -> dict[str, Any]:
    first = exercises[0]
    header, rows = overview_rows(exercises)
    prose = prose_for(first, kind, first.derivation, lambda base: base)
    tables = []
    for start in range(0, len(rows), ROWS_PER_TABLE):
        cells = []
        for exercise, row in zip(exercises[start:start + ROWS_PER_TABLE], rows[start:start + ROWS_PER_TABLE]):
            writer = prose_for(exercise, kind, exercise.derivation, lambda base: base)
            cells.append([{"text": writer.value(cell)} for cell in row])
        kinds = [TEXT, NUMBER, TEXT, TEXT] + [NUMBER] * (len(header) - 4)  # ID, rate, inputs, targets, then numbers
        tables.append({"header": [prose.value(cell) for cell in header], "kinds": kinds, "rows": cells})
    seed = first.variant.seed if first.variant else 0
    title: Msg = msg("exercise.overview.title", title=Text(first.title), seed=seed)
    intro = msg("exercise.overview.intro", count=len(exercises), precision=first.options.precision)
    return {"title": prose.message(title), "intro": prose.message(intro), "tables": tables,
            "footer": prose.message(msg("exercise.overview.footer", seed=seed))}


def overview_markdown(exercises: Sequence[Exercise]) -> str:
    """The overview as Markdown."""
    return environment("markdown").get_template("exercise/overview.md.j2").render(**_view(exercises, "markdown"))


def overview_pdf(exercises: Sequence[Exercise]) -> bytes:
    """The overview as a PDF."""
    body = environment("latex").get_template("exercise/overview.tex.j2").render(**_view(exercises, "latex"))
    return pdf_article([body], escape_latex(exercises[0].title))
