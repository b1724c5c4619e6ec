"""LaTeX: a complete article with a TikZ drawing of the network."""

from __future__ import annotations

from functools import partial
from typing import Any, Iterator

from ..derivation.model import Derivation
from ..text.catalogue import catalogue
from .environment import environment
from .circuit_figure import circuit_caption, circuit_layout
from .drawings import circuit_view
from .escape import escape_latex, is_cjk, latex_code
from .figure import figure_view, layout
from .pairs import paired_views
from .prose import Prose
from .typeset import Typesetter
from .view import document_view


def latex_view(derivation: Derivation, precision: int, language: str = "en") -> dict[str, Any]:
    """Everything the LaTeX templates place, printed once, and the engine that sets it.

    The language's catalogue names its engine. A pdflatex document whose text holds CJK characters
    (a Chinese title, say) is set with xelatex and ctex instead, keeping its Western layout, so
    that those characters print as themselves; every other document is unchanged.
    """
    words = catalogue(language)
    math = Typesetter(derivation.names, derivation.quantities, precision, words.math_words())
    prose = Prose(words, math, partial(escape_latex, cjk=True), partial(latex_code, cjk=True))
    view = document_view(derivation, prose, "")
    paired_views(view)
    view["figure"] = figure_view(layout(derivation), math, prose)
    for section, shown in zip(derivation.sections, view["sections"]):
        if section.circuit is not None:
            shown["circuit"] = circuit_view(circuit_layout(section.circuit, derivation.graph), derivation.names, math)
            shown["circuit"]["caption"] = prose.message(circuit_caption(derivation, section.circuit))
    if words.latex_engine == "xelatex":
        view["engine"], view["scheme"] = "xelatex", words.latex_scheme
    elif any(is_cjk(c) for text in _strings(view) for c in text):
        view["engine"], view["scheme"] = "xelatex", "plain"
    else:
        view["engine"], view["scheme"] = "pdflatex", ""
    return view


def _strings(value: Any) -> Iterator[str]:
    """Every string in a view (nested dicts, lists and tuples)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def latex_text(view: dict[str, Any], stamp: str = "") -> str:
    """The article from its view; ``stamp`` goes into the PDF's keywords."""
    return environment("latex").get_template("document.tex.j2").render(stamp=stamp, **view)


def render_latex(derivation: Derivation, precision: int, language: str = "en") -> str:
    """The derivation as a LaTeX article."""
    return latex_text(latex_view(derivation, precision, language))
