"""The network drawing: node positions and edge labels for the TikZ template."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .formatting import format_number

if TYPE_CHECKING:
    from .document import Document
    from .render import Laid

LAYER_GAP_CM = 4.2
UNIT_GAP_CM = 2.0
LABEL_VALUES_UP_TO = 2  # widest layer whose edges still carry "name = value"
LABEL_NAMES_UP_TO = 3  # widest layer whose edges still carry weight names


def network_figure(document: "Document", laid: "Laid") -> dict:
    """Nodes (id, x, y, label) and edges (from, to, label, position) of the network drawing."""
    graph = document.graph
    widths = document.network.widths
    mazur = document.names.get(graph.loss_total, "").startswith("E_{\\mathit")
    columns = [list(graph.inputs)] + [[unit.a for unit in layer] for layer in graph.layers]
    nodes = []
    ids = {}
    for c, column in enumerate(columns):
        for j, symbol in enumerate(column):
            node_id = f"n{c}x{j}"
            ids[symbol] = f"({node_id})"
            y = ((len(column) - 1) / 2 - j) * UNIT_GAP_CM
            label = _short_label(c, j, len(columns), mazur, laid.names[symbol])
            nodes.append({"ref": f"({node_id})", "at": f"({c * LAYER_GAP_CM:.2f}, {y:.2f})", "label": label})
    widest = max(widths)
    edges = []
    for parameter in graph.parameters:
        if parameter.kind != "weight":
            continue
        source = graph.previous_activations(parameter.layer)[parameter.column]
        target = graph.layers[parameter.layer][parameter.row].a
        label = ""
        if widest <= LABEL_NAMES_UP_TO:
            label = laid.names[parameter.symbol]
            if widest <= LABEL_VALUES_UP_TO:
                label += " = " + format_number(parameter.value, laid.precision).latex()
        rise = parameter.column - parameter.row  # >0: the arrow climbs, <0: it falls, 0: level
        placement = "pos=0.5, above" if rise == 0 else "pos=0.25, below" if rise > 0 else "pos=0.25, above"
        edges.append({"source": ids[source], "target": ids[target], "label": label, "place": placement})
    caption = "The network. Each arrow carries its weight"
    if widest > LABEL_NAMES_UP_TO:
        caption = "The network (too wide to label every arrow; the weights are in the table)"
    elif widest > LABEL_VALUES_UP_TO:
        caption += " name; the values are in the table"
    return {"nodes": nodes, "edges": edges, "caption": caption + "."}


def _short_label(column: int, index: int, count: int, mazur: bool, name: str) -> str:
    if not mazur:
        return name
    if column == 0:
        return f"i_{{{index + 1}}}"
    letter = "o" if column == count - 1 else "h"
    return f"{letter}_{{{index + 1}}}"
