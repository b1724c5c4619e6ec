"""The network figure: its layout's labels touch nothing, its sizes hold the text LaTeX sets, and it compiles.

The geometry here is the test's own (polygons, segments and circles), not the layout's: a label box is
a turned rectangle, checked against every other label, every other arrow (line and head) and every
node. Text widths are estimated here from the LaTeX a label prints, per glyph and generously, and
the estimate is itself checked against the widths pdflatex measures.
"""

from __future__ import annotations

import dataclasses
import math
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import BIAS_STYLES, EXAMPLES, random_network, require_pdflatex, require_pdftotext
from derive.api import Document, load
from derive.derivation.graph import build_graph
from derive.derivation.notation import Notation
from derive.network import Network
from derive.render.environment import environment
from derive.render.escape import escape_latex, latex_code
from derive.render.figure import Layout, figure_view, label_latex, network_layout, node_latex
from derive.render.pdf import compile_pdf
from derive.render.prose import Prose
from derive.render.typeset import Typesetter
from derive.text.catalogue import catalogue

PT = 2.54 / 72.27  # cm
GAP = 0.04  # cm: the least empty space between a label and anything it does not belong to
TEXT_WIDTH = 16.0  # cm: A4 with 2.5 cm margins
TEXT_HEIGHT = 19.0  # cm: a figure that leaves room for its caption on an A4 page (24.7 cm of text)
SCRIPT = {10.95: 8.0, 9.0: 6.0, 8.0: 6.0, 7.0: 5.0, 6.0: 5.0, 5.0: 5.0}  # LaTeX's math script sizes
# Latin Modern's small sizes are wider designs: em per em of the 10 pt design, rounded up from cmr's digits.
WIDER = {10.95: 1.0, 9.0: 1.04, 8.0: 1.08, 7.0: 1.16, 6.0: 1.26, 5.0: 1.4}

Point = tuple[float, float]


# ---------------------------------------------------------------- building figures


def figure_of(network: Network, scheme: str | None = None) -> tuple[Layout, Typesetter]:
    """The figure of a network, and a printer of its names."""
    graph = build_graph(network)
    notation = Notation(graph, network.train.optimizer, scheme)
    return network_layout(graph, notation), Typesetter(notation.names, None, 9, {})


def with_long_values(network: Network, seed: int) -> Network:
    """The network with weights and biases of many decimals, which the figure rounds (=~ 0.1235)."""
    def long(value: Fraction) -> Fraction:
        return value + Fraction(seed % 97 + 1, 10**7) * (-1 if value < 0 else 1)

    layers = []
    for layer in network.layers:
        weight = tuple(tuple(long(w) for w in row) for row in layer.weight)
        bias = layer.bias
        if isinstance(bias, tuple):
            bias = tuple(long(b) for b in bias)
        elif bias is not None:
            bias = long(bias)
        layers.append(dataclasses.replace(layer, weight=weight, bias=bias))
    return dataclasses.replace(network, layers=tuple(layers))


# ---------------------------------------------------------------- text sizes, estimated from the LaTeX


def glyph_em(character: str) -> float:
    """A generous width in em of one math glyph of Latin Modern (cmmi/cmr)."""
    if character.isdigit():
        return 0.5
    if character in ".,":
        return 0.28
    if character in "()":
        return 0.39
    if character == "-":
        return 0.78  # the minus sign
    if character.isupper():
        return 1.1
    return 0.88 if character == "m" else 0.8


TOKENS = re.compile(r"\\mathit\{([^}]*)\}|\\(approx|times)|\^\{([^{}]*)\}_\{([^{}]*)\}|([_^])\{([^{}]*)\}|(=)|(\S)")


def math_extent(text: str, size: float) -> tuple[float, float, float]:
    """Width, height and depth in pt of inline math set at ``size`` pt, from its LaTeX.

    A superscript and a subscript on one symbol (w^{(2)}_{13}) stack: the wider of the two counts.
    """
    unit, script = size * WIDER[size], SCRIPT[size]
    width, height, depth = 0.0, 0.76 * size, 0.25 * size

    def scripted(group: str) -> float:
        return sum(glyph_em(c) for c in group) * script * WIDER[script] + 0.5  # and \scriptspace

    for token in TOKENS.finditer(text):
        word, command, sup, sub, mark, group, equals, glyph = token.groups()
        if word is not None:
            width += sum(glyph_em(c) for c in word) * unit
        elif command is not None or equals is not None:
            width += (0.78 + 2 * (0.23 if command == "times" else 0.28)) * unit  # the sign and its spaces
        elif sup is not None:
            width += max(scripted(sup), scripted(sub))
            height, depth = max(height, 0.56 * size + 0.76 * script), max(depth, 0.3 * size + 0.25 * script)
        elif mark is not None:
            width += scripted(group)
            if mark == "^":
                height = max(height, 0.5 * size + 0.76 * script)
            else:
                depth = max(depth, 0.3 * size + 0.25 * script)
        else:
            width += glyph_em(glyph) * unit
    return width, height, depth


def estimated_width(text: str, size: float) -> float:
    """The width in cm of inline math, estimated generously."""
    return math_extent(text, size)[0] * PT


def estimated_height(text: str, size: float) -> float:
    """Height plus depth in cm of inline math, estimated generously."""
    _, height, depth = math_extent(text, size)
    return (height + depth) * PT


# ---------------------------------------------------------------- the test's own plane geometry


def label_polygon(label) -> list[Point]:
    """A label's four corners, from its centre, size and angle."""
    cos, sin = math.cos(math.radians(label.angle)), math.sin(math.radians(label.angle))
    w, h = label.width / 2, label.height / 2
    offsets = ((-w, -h), (w, -h), (w, h), (-w, h))
    return [(label.x + dx * cos - dy * sin, label.y + dx * sin + dy * cos) for dx, dy in offsets]


def cross(o: Point, a: Point, b: Point) -> float:
    """The z component of (a - o) x (b - o)."""
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Whether segments ab and cd meet (properly or touching)."""
    d1, d2, d3, d4 = cross(c, d, a), cross(c, d, b), cross(a, b, c), cross(a, b, d)
    return (d1 * d2 <= 0) and (d3 * d4 <= 0) and not (d1 == d2 == 0 and not _overlap_1d(a, b, c, d))


def _overlap_1d(a: Point, b: Point, c: Point, d: Point) -> bool:
    return max(min(a[0], b[0]), min(c[0], d[0])) <= min(max(a[0], b[0]), max(c[0], d[0])) and max(
        min(a[1], b[1]), min(c[1], d[1])) <= min(max(a[1], b[1]), max(c[1], d[1]))


def point_segment_distance(p: Point, a: Point, b: Point) -> float:
    """The distance from p to segment ab."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    squared = dx * dx + dy * dy
    t = 0.0 if squared == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / squared))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def inside(polygon: list[Point], p: Point) -> bool:
    """Whether p lies in a convex polygon given counterclockwise."""
    return all(cross(polygon[i], polygon[(i + 1) % len(polygon)], p) >= 0 for i in range(len(polygon)))


def sides(polygon: list[Point]) -> list[tuple[Point, Point]]:
    """A polygon's edges."""
    return [(polygon[i], polygon[(i + 1) % len(polygon)]) for i in range(len(polygon))]


def polygon_segment_distance(polygon: list[Point], a: Point, b: Point) -> float:
    """The distance between a convex polygon and a segment (0 where they meet)."""
    if inside(polygon, a) or inside(polygon, b) or any(segments_cross(a, b, c, d) for c, d in sides(polygon)):
        return 0.0
    return min([point_segment_distance(v, a, b) for v in polygon]
               + [point_segment_distance(p, c, d) for p in (a, b) for c, d in sides(polygon)])


def polygon_distance(p: list[Point], q: list[Point]) -> float:
    """The distance between two convex polygons (0 where they meet)."""
    return min(polygon_segment_distance(p, a, b) for a, b in sides(q))


def polygon_point_distance(polygon: list[Point], point: Point) -> float:
    """The distance from a point to a convex polygon (0 inside)."""
    if inside(polygon, point):
        return 0.0
    return min(point_segment_distance(point, c, d) for c, d in sides(polygon))


# ---------------------------------------------------------------- what a figure must be


def edge_segments(edge) -> list[tuple[Point, Point]]:
    """The line of an arrow and the sides of its head."""
    found = [(edge.start, edge.end)]
    if edge.head is not None:
        found += sides(list(edge.head))
    return found


def label_problems(drawing: Layout, math_: Typesetter) -> list[str]:
    """Every way a label of the figure touches what it should not, or is too small for its text."""
    problems = []
    labelled = [(i, edge) for i, edge in enumerate(drawing.edges) if edge.label is not None]
    polygons = {i: label_polygon(edge.label) for i, edge in labelled}
    for i, edge in labelled:
        label, polygon, where = edge.label, polygons[i], f"label of {edge.parameter}"
        text = label_latex(label, math_)
        size = drawing.label_pt
        if label.width < estimated_width(text, size) or label.height < estimated_height(text, size):
            problems.append(f"{where}: box {label.width:.3f} x {label.height:.3f} cm is smaller than {text!r}")
        direction = math.degrees(math.atan2(edge.end[1] - edge.start[1], edge.end[0] - edge.start[0]))
        centred = point_segment_distance((label.x, label.y), edge.start, edge.end) < 1e-6
        if not centred or abs(direction - label.angle) > 0.01:
            problems.append(f"{where}: not centred on and along its own arrow")
        for j, other in enumerate(drawing.edges):
            if j != i and min(polygon_segment_distance(polygon, a, b) for a, b in edge_segments(other)) < GAP:
                problems.append(f"{where} touches the arrow of {other.parameter}")
        for j, _ in labelled:
            if j > i and polygon_distance(polygon, polygons[j]) < GAP:
                problems.append(f"{where} touches the label of {drawing.edges[j].parameter}")
        for node in drawing.nodes:
            if polygon_point_distance(polygon, (node.x, node.y)) < node.radius + GAP:
                problems.append(f"{where} touches node {node.key}")
    return problems


def figure_problems(drawing: Layout, math_: Typesetter, grazing_allowed: bool) -> list[str]:
    """Every way the figure as a whole is wrong: too big, names outgrowing circles, arrows off their nodes."""
    problems = label_problems(drawing, math_)
    xs = [n.x for n in drawing.nodes]
    ys = [n.y for n in drawing.nodes]
    radius = max(n.radius for n in drawing.nodes)
    if max(xs) - min(xs) + 2 * radius > TEXT_WIDTH or max(ys) - min(ys) + 2 * radius > TEXT_HEIGHT:
        problems.append("the figure is larger than the page allows")
    for node in drawing.nodes:
        text = node_latex(node, math_)
        size = drawing.node_pt
        half_diagonal = math.hypot(estimated_width(text, size) / 2, estimated_height(text, size) / 2)
        if half_diagonal > node.radius:
            problems.append(f"node {node.key}: {text!r} does not fit its circle")
    for edge in drawing.edges:
        source, target = drawing.nodes[edge.source], drawing.nodes[edge.target]
        tip = edge.head[0] if edge.head is not None else edge.end
        if abs(math.dist((source.x, source.y), edge.start) - source.radius) > 1e-9 or abs(
                math.dist((target.x, target.y), tip) - target.radius) > 1e-9:
            problems.append(f"the arrow of {edge.parameter} does not run from rim to rim")
        if grazing_allowed:
            continue
        for node in drawing.nodes:
            if node not in (source, target) and point_segment_distance((node.x, node.y), edge.start, tip) < node.radius:
                problems.append(f"the arrow of {edge.parameter} passes through node {node.key}")
    return problems


# ---------------------------------------------------------------- every example


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_figure_has_labels_touching_nothing(name: str) -> None:
    drawing, math_ = figure_of(load(name))
    assert not figure_problems(drawing, math_, grazing_allowed=False)


@pytest.mark.parametrize("name", ["mazur", "mazur-classic", "xor-tanh", "adam-step", "gelu-regression"])
def test_small_examples_carry_names_and_values(name: str) -> None:
    drawing, _ = figure_of(load(name))
    assert drawing.mode == "value"
    assert all(edge.label is not None for edge in drawing.edges if drawing.nodes[edge.source].name is not None)


def test_the_seed_draws_a_bias_node_per_layer_with_each_neurons_bias_on_its_arrow() -> None:
    drawing, math_ = figure_of(load("mazur"))
    bias_nodes = [node for node in drawing.nodes if node.kind == "bias"]
    assert len(bias_nodes) == 2 and all(node_latex(node, math_) == "1" for node in bias_nodes)
    from_bias = [edge for edge in drawing.edges if drawing.nodes[edge.source].kind == "bias"]
    assert sorted(edge.parameter for edge in from_bias) == sorted(
        {edge.parameter for edge in drawing.edges if edge.parameter.startswith("b")})
    for edge in from_bias:  # each arrow names the bias of the neuron it feeds, with the value
        assert edge.label.name is not None and edge.label.value is not None and not edge.dashed


def test_the_posts_shared_frozen_biases_are_nodes_of_their_own_with_dashed_arrows() -> None:
    drawing, math_ = figure_of(load("mazur-classic"))
    bias_nodes = [node for node in drawing.nodes if node.kind == "bias"]
    assert [node_latex(node, math_) for node in bias_nodes] == ["b_{1}", "b_{2}"]
    from_bias = [edge for edge in drawing.edges if drawing.nodes[edge.source].kind == "bias"]
    assert len(from_bias) == 4 and all(edge.dashed for edge in from_bias)
    assert sorted(label_latex(edge.label, math_) for edge in from_bias) == ["0.35", "0.35", "0.6", "0.6"]
    assert {"figure.frozen", "figure.bias_shared"} <= {m.key for m in drawing.caption}


def test_no_bias_means_no_bias_node() -> None:
    drawing, _ = figure_of(random_network(7, [2, 3, 2], ["none", "none"]))
    assert not [node for node in drawing.nodes if node.kind == "bias"]
    assert [m.key for m in drawing.caption] == [{"value": "figure.labelled", "name": "figure.names"}[drawing.mode]]


# ---------------------------------------------------------------- wide networks fall back, and say so


@pytest.mark.parametrize("kinds", [["per_neuron", "per_neuron"], ["shared", "shared_frozen"], ["none", "none"]])
def test_a_2_20_2_network_is_drawn_without_labels_and_says_where_the_values_are(kinds: list[str]) -> None:
    drawing, math_ = figure_of(random_network(3, [2, 20, 2], kinds))
    assert drawing.mode == "none" and all(edge.label is None for edge in drawing.edges)
    assert drawing.caption[0].key == "figure.wide"
    assert not figure_problems(drawing, math_, grazing_allowed=True)


@st.composite
def networks(draw) -> tuple[Network, str | None]:
    """Random shapes: 1 to 4 layers of 1 to 20 units (often few), every bias kind, short or long values."""
    layers = draw(st.integers(1, 4))
    width = st.one_of(st.integers(1, 4), st.integers(1, 20))
    widths = [draw(width) for _ in range(layers + 1)]
    kinds = [draw(st.sampled_from(BIAS_STYLES)) for _ in range(layers)]
    seed = draw(st.integers(0, 10**6))
    network = random_network(seed, widths, kinds)
    if draw(st.booleans()):
        network = with_long_values(network, seed)
    scheme = draw(st.sampled_from([None, "indexed"]))
    return network, scheme


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_random_networks_have_labels_touching_nothing(case: tuple[Network, str | None]) -> None:
    network, scheme = case
    drawing, math_ = figure_of(network, scheme)
    event(f"labels: {drawing.mode}")
    # In a column of more than six, the steepest arrows pass close to their target's neighbours.
    dense = max(network.widths) > 6
    assert not figure_problems(drawing, math_, grazing_allowed=dense)


# ---------------------------------------------------------------- the estimates hold what pdflatex sets


def probe_texts() -> dict[tuple[str, float], str]:
    """Label and node texts of every example and of hard cases (indexed names, rounded and tiny values)."""
    texts: dict[tuple[str, float], str] = {}
    cases = [(load(name), None) for name in EXAMPLES] + [
        (with_long_values(random_network(11, [12, 12, 3, 2], ["per_neuron", "shared", "frozen"]), 5), None),
        (with_long_values(random_network(12, [3, 2, 2], ["per_neuron", "shared"]), 96), "indexed"),
        (random_network(13, [2, 20, 2], ["per_neuron", "none"]), None),
    ]
    for network, scheme in cases:
        drawing, math_ = figure_of(network, scheme)
        for edge in drawing.edges:
            if edge.label is not None:
                texts[(label_latex(edge.label, math_), drawing.label_pt)] = edge.parameter
        for node in drawing.nodes:
            texts[(node_latex(node, math_), drawing.node_pt)] = node.key
    for text in (r"w^{(4)}_{20,20} \approx -0.1235", r"b^{(3)} \approx -1.5 \times 10^{-5}", r"w_{1600} = -0.99",
                 r"b_{h20} = -0.55", r"\mathit{mm}_{m} = -0.5555", "1", "a^{(4)}_{20}", "h_{20}", "x_{20}"):
        for size in (7.0, 8.0, 9.0, 10.95):
            texts[(text, size)] = "synthetic"
    return texts


def measured(texts: list[tuple[str, float]]) -> list[tuple[float, float, float]]:
    """Width, height and depth in cm of each text as pdflatex sets it in the document's preamble."""
    preamble = environment("latex").get_template("preamble.tex.j2").render(title="probe")
    body = [r"\begin{document}", r"\newsavebox\probe"]
    for k, (text, size) in enumerate(texts):
        body.append(rf"\sbox\probe{{\fontsize{{{size}}}{{{size * 1.2}}}\selectfont${text}$}}"
                    rf"\typeout{{PROBE {k} \the\wd\probe\space\the\ht\probe\space\the\dp\probe}}")
    body.append(r"\end{document}")
    _, log = compile_pdf(preamble + "\n".join(body) + "\n")
    found = {int(k): tuple(float(v) * PT for v in values)
             for k, *values in re.findall(r"PROBE (\d+) ([\d.]+)pt ([\d.]+)pt ([\d.]+)pt", log)}
    assert len(found) == len(texts)
    return [found[k] for k in range(len(texts))]


def test_estimated_sizes_hold_the_text_pdflatex_sets() -> None:
    require_pdflatex()
    texts = probe_texts()
    keys = list(texts)
    for (text, size), (width, height, depth) in zip(keys, measured(keys)):
        assert width <= estimated_width(text, size), (text, size, width)
        assert height + depth <= estimated_height(text, size), (text, size, height + depth)


def test_label_boxes_and_circles_hold_their_text_with_a_margin() -> None:
    require_pdflatex()
    drawings = [figure_of(load(name)) for name in EXAMPLES] + [figure_of(random_network(13, [2, 20, 2]))]
    boxes = []
    for drawing, math_ in drawings:
        boxes += [(label_latex(e.label, math_), drawing.label_pt, e.label.width, e.label.height)
                  for e in drawing.edges if e.label is not None]
        boxes += [(node_latex(n, math_), drawing.node_pt, 2 * n.radius, None) for n in drawing.nodes]
    sizes = measured([(text, size) for text, size, _, _ in boxes])
    for (text, size, width, height), (w, h, d) in zip(boxes, sizes):
        if height is None:  # a circle of diameter ``width`` around the text's box
            assert math.hypot(w, h + d) <= width, (text, size)
        else:  # a white box with at least a point of margin left and right
            assert w + 2 * PT <= width and h + d <= height, (text, size, w, width)


# ---------------------------------------------------------------- pdflatex draws it cleanly


def figure_document(network: Network, scheme: str | None = None) -> str:
    """A document holding only the figure, in the article's preamble."""
    drawing, math_ = figure_of(network, scheme)
    prose = Prose(catalogue("en"), math_, escape_latex, latex_code)
    latex = environment("latex")
    figure = latex.get_template("figure.tex.j2").render(figure=figure_view(drawing, math_, prose))
    preamble = latex.get_template("preamble.tex.j2").render(title="figure")
    return preamble + "\\begin{document}\n" + figure + "\\end{document}\n"


FIGURES = {
    "mazur": lambda: load("mazur"),
    "mazur-classic": lambda: load("mazur-classic"),
    "softmax-classifier": lambda: load("softmax-classifier"),
    "xor-tanh": lambda: load("xor-tanh"),
    "2-20-2": lambda: random_network(3, [2, 20, 2]),
    "3-4-4-1 every bias kind, long values": lambda: with_long_values(
        random_network(2, [3, 4, 4, 1], ["per_neuron", "shared_frozen", "none"]), 40),
    "20-20-20-20-20": lambda: random_network(4, [20, 20, 20, 20, 20], ["shared"] * 4),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_the_figure_compiles_without_overfull_boxes(name: str) -> None:
    require_pdflatex()
    pdf, log = compile_pdf(figure_document(FIGURES[name]()))
    assert pdf.startswith(b"%PDF")
    assert not [line for line in log.splitlines() if "Overfull" in line or "Float too large" in line]


def test_the_seeds_figure_sits_on_page_one_with_its_introduction(tmp_path: Path) -> None:
    require_pdflatex()
    pdftotext = require_pdftotext()
    pdf, _ = compile_pdf(Document(load("mazur")).latex())
    (tmp_path / "mazur.pdf").write_bytes(pdf)
    page = subprocess.run([pdftotext, "-f", "1", "-l", "1", str(tmp_path / "mazur.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "The network" in page and "Figure 1" in page


def brute_force_spots(scene, own: int, width: float, height: float, text) -> list:
    """Every step along the arrow whose label ``clear`` accepts, tried one by one."""
    from derive.render.figure import labels

    (ax, ay), (bx, by) = segment = scene.segments[own]
    length = math.hypot(bx - ax, by - ay)
    first, count = labels._steps(length, width)
    spots = [labels._spot(segment, length, first + k * labels.STEP_CM, width, height, text) for k in range(count)]
    return [label for label in spots if scene.clear(label, own)]


@pytest.fixture
def spots_checked(monkeypatch) -> list[int]:
    """Makes every search for label spots also try each spot one by one, and fail on any difference."""
    from derive.render.figure import labels

    searched = []
    fast = labels._Scene.clear_spots

    def checked(scene, own, width, height, text):
        found = fast(scene, own, width, height, text)
        assert found == brute_force_spots(scene, own, width, height, text), f"arrow {own}"
        searched.append(len(found))
        return found

    monkeypatch.setattr(labels._Scene, "clear_spots", checked)
    return searched


@pytest.mark.parametrize("name", EXAMPLES)
def test_label_spots_found_by_stretches_are_those_tried_one_by_one(name: str, spots_checked: list[int]) -> None:
    figure_of(load(name))
    assert spots_checked


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(networks())
def test_label_spots_of_random_networks_are_those_tried_one_by_one(spots_checked: list[int],
                                                                  case: tuple[Network, str | None]) -> None:
    figure_of(*case)
