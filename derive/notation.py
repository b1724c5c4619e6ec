"""Display names: Mazur-style (i1, h1, o1, net_h1, w5) or layer-indexed (x_k, z^(l)_j, w^(l)_jk)."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .errors import UsageError
from .graph import Graph, Parameter

NOTATIONS = ("mazur", "indexed")
MAZUR_MAX_LAYERS = 2


@dataclass(frozen=True)
class Names:
    """LaTeX and plain-text names for every symbol of a graph."""

    latex: dict[sp.Symbol, str]
    plain: dict[sp.Symbol, str]
    delta_latex: dict[sp.Symbol, str]  # keyed by the unit's z symbol
    updated_latex: dict[sp.Symbol, str]  # parameter symbol -> its name after the update
    unit_latex: dict[sp.Symbol, str]  # keyed by the unit's z symbol: o_{1}, or a^{(2)}_{1}
    scheme: str


def default_notation(graph: Graph) -> str:
    """Mazur-style names for networks with at most one hidden layer, indexed names otherwise."""
    return "mazur" if len(graph.layers) <= MAZUR_MAX_LAYERS else "indexed"


def names_for(graph: Graph, scheme: str | None = None) -> Names:
    """The names of every symbol in ``graph`` under a notation scheme (default: chosen per network)."""
    scheme = scheme or default_notation(graph)
    if scheme == "mazur" and len(graph.layers) > MAZUR_MAX_LAYERS:
        raise UsageError(
            "--notation mazur names a network with at most one hidden layer; "
            f"this one has {len(graph.layers) - 1}: use --notation indexed"
        )
    builder = _mazur if scheme == "mazur" else _indexed
    latex, plain, delta, units = builder(graph)
    latex[graph.learning_rate] = r"\eta"
    plain[graph.learning_rate] = "lr"
    updated = {p.symbol: _updated(latex[p.symbol]) for p in graph.parameters}
    return Names(latex, plain, delta, updated, units, scheme)


def _updated(name: str) -> str:
    return name + "^{+}" if "^" not in name else r"\left(" + name + r"\right)^{+}"


def _mazur(graph: Graph):
    latex: dict = {}
    plain: dict = {}
    delta: dict = {}
    units: dict = {}
    prefixes = ["h", "o"] if len(graph.layers) == 2 else ["o"]
    for k, x in enumerate(graph.inputs):
        latex[x], plain[x] = f"i_{{{k + 1}}}", f"i{k + 1}"
    for j, y in enumerate(graph.targets):
        latex[y], plain[y] = rf"\mathit{{target}}_{{o{j + 1}}}", f"target_o{j + 1}"
        latex[graph.loss_terms[j]], plain[graph.loss_terms[j]] = f"E_{{o{j + 1}}}", f"E_o{j + 1}"
    latex[graph.loss_total], plain[graph.loss_total] = r"E_{\mathit{total}}", "E_total"
    for layer, prefix in zip(graph.layers, prefixes):
        for unit in layer:
            label = f"{prefix}{unit.index + 1}"
            latex[unit.z], plain[unit.z] = rf"\mathit{{net}}_{{{label}}}", f"net_{label}"
            latex[unit.a], plain[unit.a] = rf"\mathit{{out}}_{{{label}}}", f"out_{label}"
            delta[unit.z] = rf"\delta_{{{label}}}"
            units[unit.z] = f"{prefix}_{{{unit.index + 1}}}"
    weight_number = bias_number = 0
    for parameter in graph.parameters:
        if parameter.kind == "weight":
            weight_number += 1
            latex[parameter.symbol], plain[parameter.symbol] = f"w_{{{weight_number}}}", f"w{weight_number}"
        else:
            bias_number += 1
            latex[parameter.symbol], plain[parameter.symbol] = f"b_{{{bias_number}}}", f"b{bias_number}"
    return latex, plain, delta, units


def _indexed(graph: Graph):
    latex: dict = {}
    plain: dict = {}
    delta: dict = {}
    units: dict = {}
    wide = max(len(graph.inputs), *(len(layer) for layer in graph.layers)) >= 10
    separator = "," if wide else ""
    for k, x in enumerate(graph.inputs):
        latex[x], plain[x] = f"x_{{{k + 1}}}", f"x{k + 1}"
    for j, y in enumerate(graph.targets):
        latex[y], plain[y] = f"y_{{{j + 1}}}", f"y{j + 1}"
        latex[graph.loss_terms[j]], plain[graph.loss_terms[j]] = f"E_{{{j + 1}}}", f"E{j + 1}"
    latex[graph.loss_total], plain[graph.loss_total] = "E", "E"
    for layer in graph.layers:
        for unit in layer:
            l, j = unit.layer + 1, unit.index + 1
            latex[unit.z], plain[unit.z] = f"z^{{({l})}}_{{{j}}}", f"z{l}_{j}"
            latex[unit.a], plain[unit.a] = f"a^{{({l})}}_{{{j}}}", f"a{l}_{j}"
            delta[unit.z] = rf"\delta^{{({l})}}_{{{j}}}"
            units[unit.z] = latex[unit.a]
    for parameter in graph.parameters:
        latex[parameter.symbol], plain[parameter.symbol] = _indexed_parameter(parameter, separator)
    return latex, plain, delta, units


def _indexed_parameter(parameter: Parameter, separator: str) -> tuple[str, str]:
    l = parameter.layer + 1
    if parameter.kind == "weight":
        j, k = parameter.row + 1, parameter.column + 1
        return f"w^{{({l})}}_{{{j}{separator}{k}}}", f"w{l}_{j}_{k}"
    if parameter.row is None:
        return f"b^{{({l})}}", f"b{l}"
    return f"b^{{({l})}}_{{{parameter.row + 1}}}", f"b{l}_{parameter.row + 1}"
