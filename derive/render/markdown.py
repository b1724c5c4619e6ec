"""Markdown: $...$ and $$...$$ math, which GitHub, Jupyter and Colab render."""

from __future__ import annotations

from ..derivation.model import Derivation
from ..text.catalogue import catalogue
from .environment import environment
from .escape import escape_markdown, markdown_code
from .typeset import Typesetter
from .prose import Prose
from .view import document_view


def render_markdown(derivation: Derivation, precision: int, language: str = "en") -> str:
    """The derivation as a Markdown document."""
    words = catalogue(language)
    math = Typesetter(derivation.names, derivation.quantities, precision, words.math_words())
    prose = Prose(words, math, escape_markdown, markdown_code)
    return environment("markdown").get_template("document.md.j2").render(**document_view(derivation, prose, "document.note"))
