"""Sheets and keys as Markdown, LaTeX and PDF: one part per sheet or key, a class set in one article."""

from __future__ import annotations

from typing import Any, Sequence

from ..render.environment import environment
from ..render.pdf import compile_pdf, source_stamp
from .model import Exercise
from .key import key_view
from .sheet import latex_figure, sheet_view

CLASS_RUNS = 1  # tabulars instead of longtables, no references: one pdflatex run sets a class set
KEY_ROWS = 28


def sheet_markdown(exercise: Exercise) -> str:
    """The question sheet as Markdown."""
    return _markdown("exercise/sheet.md.j2", sheet_view(exercise, "markdown"))


def key_markdown(exercise: Exercise) -> str:
    """The answer key as Markdown."""
    view = key_view(exercise, "markdown")
    view["sections"] = [s for s, key in zip(view["sections"], _keys(exercise)) if key != "trace"]
    return _markdown("exercise/key.md.j2", view)


def sheet_part(exercise: Exercise) -> str:
    """The question sheet as the body of one part of a LaTeX article."""
    view = sheet_view(exercise, "latex")
    view["figure"] = latex_figure(view)
    view["answers"] = None  # on paper the boxes, with their IDs, are where the answers go: no second place
    return _latex_part(view, 0)


def key_part(exercise: Exercise) -> str:
    """The answer key as the body of one part of a LaTeX article."""
    view = key_view(exercise, "latex")
    view["figure"] = latex_figure(view)
    view["sections"] = [s for s, key in zip(view["sections"], _keys(exercise)) if key != "trace"]
    view["answers"]["stretch"] = 1.6  # fractions in the quantity column
    return _latex_part(view, KEY_ROWS)


def latex_article(parts: Sequence[str], title: str) -> str:
    """Parts (sheets, keys) in one article; ``title`` is the PDF's title, already escaped."""
    return _article(parts, title, "")


def pdf_article(parts: Sequence[str], title: str) -> bytes:
    """Parts compiled into one PDF by a single pdflatex run, stamped with the LaTeX it came from."""
    latex = _article(parts, title, "")
    return compile_pdf(_article(parts, title, source_stamp(latex)), runs=CLASS_RUNS)[0]


def _keys(exercise: Exercise) -> list[str]:
    return [section.key for section in exercise.derivation.sections]


def _markdown(template: str, view: dict[str, Any]) -> str:
    return environment("markdown").get_template(template).render(**view)


def _latex_part(view: dict[str, Any], rows: int) -> str:
    """A part; its answers table (if any) split in tabulars of ``rows`` rows, since a tabular never breaks across pages."""
    table = view["answers"]
    view["answer_tables"] = [dict(table, rows=table["rows"][start:start + rows])
                             for start in range(0, len(table["rows"]), rows)] if table else []
    return environment("latex").get_template("exercise/part.tex.j2").render(**view)


def _article(parts: Sequence[str], title: str, stamp: str) -> str:
    return environment("latex").get_template("exercise/document.tex.j2").render(parts=parts, title=title, stamp=stamp)
