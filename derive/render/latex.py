"""LaTeX: a complete article with a TikZ drawing of the network."""

from __future__ import annotations

from ..derivation.model import Derivation
from ..text.catalogue import catalogue
from .environment import environment
from .escape import escape_latex, latex_code
from .figure import layout, tikz
from .typeset import Typesetter
from .prose import Prose
from .view import document_view


def render_latex(derivation: Derivation, precision: int, language: str = "en") -> str:
    """The derivation as a LaTeX article."""
    words = catalogue(language)
    math = Typesetter(derivation.names, derivation.quantities, precision, {"matrix": words.text("document.matrix")})
    prose = Prose(words, math, escape_latex, latex_code)
    view = document_view(derivation, prose, "")
    view["figure"] = tikz(layout(derivation), math, prose)
    return environment("latex").get_template("document.tex.j2").render(**view)
