"""HTML: one standalone page, math typeset by KaTeX (a CDN, or a local copy), figures as inline SVG."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from ..derivation.model import Derivation
from ..errors import UsageError
from ..text.catalogue import catalogue
from .environment import environment
from .markdown import figure_links
from .prose import Prose
from .svg_files import figure_files
from .typeset import Typesetter
from .view import document_view

KATEX_VERSION = "0.16.11"
KATEX_CDN = f"https://cdn.jsdelivr.net/npm/katex@{KATEX_VERSION}/dist"


def inline_math(tex: str) -> str:
    """Inline math as an element KaTeX renders (its TeX escaped, so a page never runs what a name holds)."""
    return f'<span class="math">{html.escape(tex, quote=False)}</span>'


def html_code(text: str) -> str:
    """Literal text as code."""
    return f"<code>{html.escape(text)}</code>"


def katex_source(folder: str | os.PathLike | None) -> str:
    """Where the page loads KaTeX from: the CDN, or the dist folder of a local copy (the npm package's or inside it)."""
    if folder is None:
        return KATEX_CDN
    base = Path(folder).expanduser().resolve()
    for candidate in (base, base / "dist", base / "katex" / "dist", base / "node_modules" / "katex" / "dist"):
        if (candidate / "katex.min.js").is_file() and (candidate / "katex.min.css").is_file():
            return candidate.as_uri()
    raise UsageError(f"--katex {folder}: no katex.min.js and katex.min.css there (npm install katex puts them in "
                     "node_modules/katex/dist)")


def notebook_math(tex: str) -> str:
    """Inline math as a notebook's MathJax finds it in HTML: $...$ with the TeX escaped."""
    return "$" + html.escape(tex, quote=False) + "$"


def render_html(derivation: Derivation, precision: int, language: str = "en", katex: str | None = None,
                fragment: bool = False) -> str:
    """The derivation as one HTML page; a ``fragment`` (for a notebook cell) has no head and leaves math to MathJax."""
    words = catalogue(language)
    math = Typesetter(derivation.names, derivation.quantities, precision, words.math_words())
    prose = Prose(words, math, html.escape, html_code, notebook_math if fragment else inline_math)
    view: dict[str, Any] = document_view(derivation, prose, "document.note")
    figures = figure_files(derivation, language)
    for number, (section, shown) in enumerate(zip(derivation.sections, view["sections"]), start=1):
        shown["id"] = f"s{number}"
        for key, (name, _alt) in figure_links(section).items():
            shown[key] = {"svg": figures.get(name)} if name in figures else None
        for block in shown["blocks"]:
            for group in block["equations"]:
                rows = " \\\\[3pt]\n".join(" \\\\\n".join(equation) for equation in group["equations"])
                tex = html.escape("\\begin{aligned}\n" + rows + "\n\\end{aligned}", quote=False)
                group["tex"] = f"$${tex}$$" if fragment else tex
    view["pytorch"]["listing"] = html.escape(view["pytorch"]["listing"])
    return environment("html").get_template("document.html.j2").render(
        katex=None if fragment else katex_source(katex), fragment=fragment, language=language,
        contents=words.text("html.contents"), **view)
