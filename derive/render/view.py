"""The derivation as the strings a template places: shared by the Markdown and LaTeX renderers."""

from __future__ import annotations

import unicodedata
from typing import Any

from ..derivation.model import Block, Chart, Derivation, Section, Table
from ..derivation.nodes import Operator
from ..text.message import Code, Math, msg
from .prose import Prose
from .torch_print import listing_dtype, pytorch_listing


def document_view(derivation: Derivation, prose: Prose, note: str) -> dict[str, Any]:
    """Everything a document template needs; ``note`` is the message that frames a section's notes."""
    network = derivation.network
    math = prose.math
    about = msg(
        "document.about",
        source=Code(network.source or network.name),
        precision=math.format.precision,
        approx=Math(Operator("approx")),
    )

    listing = pytorch_listing(derivation.network, derivation.training,
                              {word: prose.word(f"pytorch.listing_{word}") for word in ("output", "loss", "after")})

    def block_view(block: Block) -> dict:
        return {
            "title": prose.paragraph(block.title),
            "lead": prose.paragraph(block.lead),
            "equations": equation_groups(block, math, prose),
        }

    def table_view(table: Table) -> dict:
        return {
            "header": [prose.value(h) for h in table.header],
            "rows": [[prose.value(cell) for cell in row] for row in table.rows],
        }

    def section_view(section: Section) -> dict:
        return {
            "title": prose.message(section.title),
            "intro": prose.paragraph(section.intro),
            "figure": section.figure,
            "blocks": [block_view(b) for b in section.blocks],
            "tables": [table_view(t) for t in section.tables],
            "closing": prose.paragraph(section.closing),
            "notes": [prose.message(msg(note, text=n)) if note else prose.message(n) for n in section.notes],
            "chart": chart_view(section.chart, prose) if section.chart else None,
        }

    return {
        "title": prose.escape(network.title),
        "about": prose.message(about),
        "sections": [section_view(s) for s in derivation.sections],
        "pytorch": {
            "title": prose.message(msg("pytorch.title")),
            "intro": prose.message(msg(
                "pytorch.intro" if listing_dtype(network) == "float32" else "pytorch.intro_float64",
                print=Code("print(t)"), detached=Code("print(t.detach())"),
            )),
            "listing": listing,
            "columns": 2 if max(columns(line) for line in listing.splitlines()) <= TWO_COLUMN_LISTING else 1,
        },
    }


TWO_COLUMN_LISTING = 44  # the longest line, in characters, that a half-width column of small type holds


def columns(line: str) -> int:
    """The columns a line takes in a monospaced font: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def equation_groups(block: Block, math: Any, prose: Prose) -> list[dict]:
    """A block's equations as aligned displays (each equation a list of rows): consecutive
    equations share one display, and an equation with a note ends it so the note follows its line."""
    groups: list[dict] = []
    equations: list[list[str]] = []
    for equation in block.equations:
        equations.append(math.rows(equation))
        if equation.note:
            groups.append({"equations": equations, "note": prose.message(equation.note)})
            equations = []
    if equations:
        groups.append({"equations": equations, "note": ""})
    return groups


def chart_view(chart: Chart, prose: Prose) -> dict:
    """The loss curve as coordinates for pgfplots and as categories and values for a Mermaid chart."""
    return {
        "points": [(step, f"{loss:.10g}") for step, loss in zip(chart.steps, chart.losses)],
        "log": chart.log_scale,
        "steps": ", ".join(str(step) for step in chart.steps),
        "losses": ", ".join(f"{loss:.6g}" for loss in chart.losses),
        "title": prose.message(msg(f"chart.title_{chart.unit}", first=chart.steps[0], last=chart.steps[-1])),
        "x": prose.word(f"chart.{chart.unit}"),
        "y": prose.word("chart.loss"),
    }
