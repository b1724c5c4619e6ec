"""The network drawing, laid out once as plain data (centimetres, y up), then drawn by a template.

Every node, edge, arrowhead and label box has explicit coordinates and sizes here, so that a TikZ
template and an SVG writer draw the same picture and a test can check it: no label overlaps another
label, crosses an edge other than its own, or touches a node. A weight's label sits on its own edge,
near the source end, on a white box that interrupts that edge; where labels do not fit without
touching anything, the figure drops the values, then the labels, and its caption says where to find them.
"""

from __future__ import annotations

from ..printer import latex_number
from ..prose import Prose
from ..typeset import Typesetter
from .layout import layout, network_layout
from .shapes import Edge, Label, Layout, Node

__all__ = ["Edge", "Label", "Layout", "Node", "figure_view", "label_latex", "layout", "network_layout", "node_latex"]


def label_latex(label: Label, math_: Typesetter) -> str:
    """A label's math: "w_5 = 0.4", "w_5" or "0.6" (approximately equal where the value is rounded)."""
    value = latex_number(label.value) if label.value is not None else ""
    if label.name is None:
        return value
    name = math_.symbolic(label.name)
    if label.value is None:
        return name
    relation = "=" if label.value.exact else r"\approx"
    return f"{name} {relation} {value}"


def node_latex(node: Node, math_: Typesetter) -> str:
    """A node's math: its name, or 1 for the constant input of per-neuron biases."""
    return "1" if node.name is None else math_.symbolic(node.name)


def figure_view(drawing: Layout, math_: Typesetter, prose: Prose) -> dict:
    """The layout with its names and values printed, for a drawing template."""
    nodes = [{"x": n.x, "y": n.y, "radius": n.radius, "text": node_latex(n, math_)} for n in drawing.nodes]
    edges, labels = [], []
    for edge in drawing.edges:
        edges.append({"start": edge.start, "end": edge.end, "head": edge.head, "dashed": edge.dashed})
        label = edge.label
        if label is not None:
            labels.append({"x": label.x, "y": label.y, "width": label.width, "height": label.height,
                           "angle": label.angle, "text": label_latex(label, math_)})
    return {"nodes": nodes, "edges": edges, "labels": labels, "node_pt": drawing.node_pt,
            "label_pt": drawing.label_pt, "caption": prose.paragraph(drawing.caption)}
