"""Markdown: $...$ and $$...$$ math, which GitHub, Jupyter and Colab render."""

from __future__ import annotations

from urllib.parse import quote

from ..derivation.model import Derivation, Section
from ..text.catalogue import catalogue
from .environment import environment
from .escape import escape_markdown, markdown_code
from .typeset import Typesetter
from .prose import Prose
from .view import document_view


def render_markdown(derivation: Derivation, precision: int, language: str = "en", figures: str | None = None) -> str:
    """The derivation as a Markdown document; with ``figures`` (a folder beside it) it links the SVG figures there."""
    words = catalogue(language)
    math = Typesetter(derivation.names, derivation.quantities, precision, words.math_words())
    prose = Prose(words, math, escape_markdown, markdown_code)
    view = document_view(derivation, prose, "document.note")
    if figures is not None:
        for section, shown in zip(derivation.sections, view["sections"]):
            for key, (name, alt) in figure_links(section).items():
                shown[key] = {"path": f"{quote(figures)}/{name}", "alt": words.text(alt)}
    return environment("markdown").get_template("document.md.j2").render(**view)


def figure_links(section: Section) -> dict[str, tuple[str, str]]:
    """The SVG files a section shows: its view key, the file's name and its alternative text's message."""
    links = {}
    if section.figure:
        links["image"] = ("network.svg", "graph.network_alt")
    if section.circuit is not None:
        links["image"] = ("graph.svg", "graph.alt")
    if section.chart is not None:
        links["chart_image"] = ("loss.svg", "graph.loss_alt")
    return links
