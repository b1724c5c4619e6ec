"""The SVG figures of a document by file name: the network, the computational graph, the loss curve."""

from __future__ import annotations

from ..derivation.model import Derivation
from ..text.catalogue import catalogue
from .drawings import circuit_svg, network_svg
from .figure import layout
from .loss_plot import loss_svg
from .view import chart_view


def figure_files(derivation: Derivation, language: str = "en") -> dict[str, str]:
    """Every figure the document shows, as SVG text by file name (the loss curve only with matplotlib)."""
    words = catalogue(language)
    files = {"network.svg": network_svg(layout(derivation), words.text("graph.network_alt"))}
    for section in derivation.sections:
        if section.circuit is not None:
            from .circuit_figure import circuit_layout

            drawing = circuit_layout(section.circuit, derivation.graph)
            files["graph.svg"] = circuit_svg(drawing, derivation.names, words.text("graph.alt"))
        if section.chart is not None:
            from .prose import Prose
            from .typeset import Typesetter
            from .escape import escape_markdown, markdown_code

            math = Typesetter(derivation.names, derivation.quantities, 4, {})
            shown = chart_view(section.chart, Prose(words, math, escape_markdown, markdown_code))
            plotted = loss_svg(section.chart, shown["title"], shown["x"], shown["y"])
            if plotted is not None:
                files["loss.svg"] = plotted
    return files
