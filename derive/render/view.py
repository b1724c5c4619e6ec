"""The derivation as the strings a template places: shared by the Markdown and LaTeX renderers."""

from __future__ import annotations

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

    def block_view(block: Block) -> dict:
        return {
            "title": prose.paragraph(block.title),
            "lead": prose.paragraph(block.lead),
            "equations": [
                {"rows": math.rows(e), "note": prose.message(e.note) if e.note else ""} for e in block.equations
            ],
        }

    def table_view(table: Table) -> dict:
        return {
            "header": [prose.message(h) for h in table.header],
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
            "listing": pytorch_listing(derivation.network, derivation.training),
        },
    }


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
