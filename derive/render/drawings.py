"""The drawings' views for their templates: the circuit in TikZ and SVG, the network figure in SVG, plain names for SVG."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import sympy as sp

from ..derivation.notation import Marked, Written
from .environment import environment
from .figure import Layout
from .numbers import NumberFormat
from .printer import latex_number
from .typeset import Typesetter

if TYPE_CHECKING:  # the graph view's modules load only when a document draws its circuit
    from .circuit_figure import CircuitLayout

FIGURE_DECIMALS = 4
CM_PX = 37.8  # SVG user units per cm (96 dpi)
NETWORK_ZOOM = 1.4  # shown larger than the printed figure: a screen's 9-unit label text is too small to read
GREEK_TEXT = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η", "lambda": "λ",
              "mu": "μ", "sigma": "σ", "tau": "τ", "phi": "φ", "nabla": "∇"}
_FORMAT = NumberFormat(FIGURE_DECIMALS)


def plain_name(written: Written | None) -> tuple[str, str, str]:
    """A display name as SVG text: (base, superscript, subscript), Greek letters as characters."""
    if written is None:
        return "1", "", ""
    if isinstance(written, Marked):
        base, sup, sub = plain_name(written.inner)
        mark = f"({written.index})" if written.mark == "sample" else {"plus": "+", "transpose": "T"}[written.mark]
        return base, sup + mark, sub
    sub = written.sub if isinstance(written.sub, str) or written.sub is None else "".join(plain_name(written.sub))
    return GREEK_TEXT.get(written.base, written.base), written.sup or "", sub or ""


def _symbol_name(symbol: Any, names: Mapping[sp.Basic, Written]) -> tuple[str, str, str]:
    return plain_name(names[symbol]) if symbol in names else (str(symbol), "", "")


def _number(value: Any) -> tuple[str, str]:
    """A figure's number as (LaTeX, plain text), at four decimals."""
    formatted = _FORMAT(value)
    return latex_number(formatted), formatted.plain()


def circuit_view(layout: CircuitLayout, names: Mapping[sp.Basic, Written], math: Typesetter | None) -> dict:
    """The circuit with its names and numbers printed, for circuit.tex.j2 and circuit.svg.j2."""
    from .circuit_figure import GATE_SIGNS, GATE_TEX

    spots = []
    for spot in layout.spots:
        if spot.op is None:
            text = _symbol_name(spot.symbol, names)
            tex = math.symbolic(spot.symbol) if math is not None else ""
        elif spot.op == "act":
            text, tex = (spot.activation, "", ""), rf"\mathrm{{{spot.activation}}}"
        else:
            text, tex = (GATE_SIGNS[spot.op], "", ""), GATE_TEX[spot.op]
        numbers = (_number(spot.value), _number(spot.gradient)) if spot.value is not None else None
        spots.append({"x": spot.x, "y": spot.y, "gate": spot.op is not None, "text": text, "tex": tex,
                      "sx": _px(spot.x), "sy": _py(spot.y, layout.height), "numbers": numbers})
    wires = []
    for wire in layout.wires:
        value, gradient = _number(wire.value), _number(wire.gradient)
        x, y = wire.label_at
        wires.append({"labelled": wire.labelled, "start": wire.start, "end": wire.end, "at": wire.label_at, "value": value, "gradient": gradient,
                      "x1": _px(wire.start[0]), "y1": _py(wire.start[1], layout.height), "x2": _px(wire.end[0]),
                      "y2": _py(wire.end[1], layout.height), "lx": _px(x), "ly": _py(y, layout.height)})
    return {"spots": spots, "wires": wires, "width": _px(layout.width) + 20, "whole": layout.whole, "height": _py(-0.9, layout.height),
            "radius": 0.3 * CM_PX}


def _px(x: float) -> float:
    return round(x * CM_PX + 100, 1)  # room left of the inputs for their names and numbers


def _py(y: float, height: float) -> float:
    return round((height + 0.6 - y) * CM_PX, 1)


def circuit_svg(layout: CircuitLayout, names: Mapping[sp.Basic, Written], title: str) -> str:
    """The circuit as a standalone SVG file."""
    return environment("svg").get_template("circuit.svg.j2").render(title=title, **circuit_view(layout, names, None))


def network_svg(layout: Layout, title: str) -> str:
    """The network figure (the TikZ figure's Layout) as a standalone SVG file."""
    top = max(n.y + n.radius for n in layout.nodes) + 0.3
    left = min(n.x - n.radius for n in layout.nodes) - 0.3
    right = max(n.x + n.radius for n in layout.nodes) + 0.3
    bottom = min(n.y - n.radius for n in layout.nodes) - 0.3

    def point(p: tuple[float, float]) -> tuple[float, float]:
        return round((p[0] - left) * CM_PX, 1), round((top - p[1]) * CM_PX, 1)

    nodes = [{"c": point((n.x, n.y)), "r": round(n.radius * CM_PX, 1), "text": plain_name(n.name)} for n in layout.nodes]
    edges, labels = [], []
    for edge in layout.edges:
        head = [point(p) for p in edge.head] if edge.head else None
        edges.append({"a": point(edge.start), "b": point(edge.end), "head": head, "dashed": edge.dashed})
        label = edge.label
        if label is not None:
            name = plain_name(label.name) if label.name is not None else None
            value = label.value.plain() if label.value is not None else None
            relation = "" if value is None or name is None else (" = " if label.value.exact else " ≈ ")
            labels.append({"c": point((label.x, label.y)), "angle": round(-label.angle, 2), "name": name,
                           "relation": relation, "value": value or "", "w": round(label.width * CM_PX, 1),
                           "h": round(label.height * CM_PX, 1)})
    width, height = round((right - left) * CM_PX, 1), round((top - bottom) * CM_PX, 1)
    return environment("svg").get_template("network.svg.j2").render(
        title=title, width=width, height=height, nodes=nodes, edges=edges, labels=labels,
        shown=(round(width * NETWORK_ZOOM), round(height * NETWORK_ZOOM)))

