"""The network drawing: laid out once (positions, labels, caption), then drawn by a template (TikZ today)."""

from __future__ import annotations

from dataclasses import dataclass

from ..derivation.model import Derivation
from ..derivation.notation import Written
from ..text.message import Msg, msg
from .typeset import Typesetter
from .prose import Prose

LAYER_GAP_CM = 4.2
UNIT_GAP_CM = 2.0
LABEL_VALUES_UP_TO = 2  # widest layer whose edges still carry "name = value"
LABEL_NAMES_UP_TO = 3  # widest layer whose edges still carry weight names


@dataclass(frozen=True)
class Node:
    """A neuron or an input: its key (n<column>x<row>), where it sits (cm) and its name."""

    key: str
    x: float
    y: float
    name: Written


@dataclass(frozen=True)
class Edge:
    """A weighted connection between two nodes (indices into the nodes) and how it is labelled."""

    source: int
    target: int
    weight: str  # the weight's quantity ID
    label: str  # "value" (name = value), "name" or "none"
    place: str  # where the label sits: "middle", "below" (rising edges) or "above" (falling edges)


@dataclass(frozen=True)
class Layout:
    """The drawing of a network, independent of the drawing language."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    caption: Msg


def layout(derivation: Derivation) -> Layout:
    """Columns of nodes (inputs, then each layer) and an edge per weight."""
    graph, notation = derivation.graph, derivation.notation
    columns = [list(graph.inputs)] + [[unit.a for unit in layer] for layer in graph.layers]
    nodes: list[Node] = []
    index: dict = {}
    for c, column in enumerate(columns):
        for j, symbol in enumerate(column):
            index[symbol] = len(nodes)
            y = ((len(column) - 1) / 2 - j) * UNIT_GAP_CM
            nodes.append(Node(f"n{c}x{j}", c * LAYER_GAP_CM, y, notation.column_name(c, j, len(columns))))
    widest = max(derivation.network.widths)
    label = "value" if widest <= LABEL_VALUES_UP_TO else ("name" if widest <= LABEL_NAMES_UP_TO else "none")
    edges = []
    for parameter in graph.parameters:
        slot = parameter.slot
        if slot.kind != "weight":
            continue
        source = graph.previous_activations(parameter.layer)[slot.column]
        target = graph.layers[parameter.layer][slot.row].a
        rise = slot.column - slot.row  # >0: the arrow climbs, <0: it falls, 0: level
        place = "middle" if rise == 0 else ("below" if rise > 0 else "above")
        edges.append(Edge(index[source], index[target], notation.ids[parameter.symbol], label, place))
    caption = {"value": "figure.labelled", "name": "figure.names", "none": "figure.wide"}[label]
    return Layout(tuple(nodes), tuple(edges), msg(caption))


def figure_view(drawing: Layout, math: Typesetter, prose: Prose) -> dict:
    """The layout with its labels printed, for a drawing template."""
    nodes = [{"key": node.key, "x": node.x, "y": node.y, "label": math.symbolic(node.name)} for node in drawing.nodes]
    edges = []
    for edge in drawing.edges:
        weight = math.quantities[edge.weight]
        label = ""
        if edge.label == "value":
            label = math.given(edge.weight)
        elif edge.label == "name":
            label = math.symbolic(weight.symbol)
        source, target = drawing.nodes[edge.source].key, drawing.nodes[edge.target].key
        edges.append({"source": source, "target": target, "label": label, "place": edge.place})
    return {"nodes": nodes, "edges": edges, "caption": prose.message(drawing.caption)}
