"""LaTeX: a complete article with a TikZ drawing of the network."""

from __future__ import annotations

from typing import Any

from ..derivation.model import Derivation
from ..text.catalogue import catalogue
from .environment import environment
from .escape import escape_latex, latex_code
from .circuit_figure import circuit_caption, circuit_layout
from .drawings import circuit_view
from .figure import figure_view, layout
from .prose import Prose
from .typeset import Typesetter
from .view import document_view


def latex_view(derivation: Derivation, precision: int, language: str = "en") -> dict[str, Any]:
    """Everything the LaTeX templates place, printed once."""
    words = catalogue(language)
    math = Typesetter(derivation.names, derivation.quantities, precision, {"matrix": words.text("document.matrix")})
    prose = Prose(words, math, escape_latex, latex_code)
    view = document_view(derivation, prose, "")
    view["figure"] = figure_view(layout(derivation), math, prose)
    for section, shown in zip(derivation.sections, view["sections"]):
        if section.circuit is not None:
            shown["circuit"] = circuit_view(circuit_layout(section.circuit, derivation.graph), derivation.names, math)
            shown["circuit"]["caption"] = prose.message(circuit_caption(derivation, section.circuit))
    return view


def latex_text(view: dict[str, Any], stamp: str = "") -> str:
    """The article from its view; ``stamp`` goes into the PDF's keywords."""
    return environment("latex").get_template("document.tex.j2").render(stamp=stamp, **view)


def render_latex(derivation: Derivation, precision: int, language: str = "en") -> str:
    """The derivation as a LaTeX article."""
    return latex_text(latex_view(derivation, precision, language))
