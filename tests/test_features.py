"""Each capability of issue 3, checked against an oracle: PyTorch float64, SymPy's diff, or the scalar chains.

One table-driven test (or a few) per capability: activations and their closed-form derivatives,
ReLU's kink, the losses (BCE's clamps, softmax cross-entropy), long training runs, the matrix form,
--only, the notation, mini-batches, the chain rule against the composed loss, and the optimizers'
first update.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

try:
    from ._tools import require_pdflatex, require_torch
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from _tools import require_pdflatex, require_torch

from derive import activations, losses, numbers
from derive import losses as derive_losses
from derive.chain_rule import compose, parameter_values, symbolic_gradients
from derive.derivation import build_document
from derive.errors import UsageError
from derive.formatting import format_number
from derive.output import compile_pdf
from derive.graph import Partial, build_graph
from derive.network import Data, Layer, Network, Train
from derive.notation import names_for
from derive.render import render_json, render_latex, render_markdown
from derive.spec import load_spec, parse_spec
from derive.training import train

from networks import random_network
from _tools import assert_same, close

F = Fraction
RELATIVE = 1e-9
ABSOLUTE = 1e-12


def assert_json_matches_torch(network: Network, training=None) -> dict:
    require_torch()
    from derive.torch_reference import torch_run

    training = training or train(network)
    derived = json.loads(render_json(network, training))
    reference = torch_run(network)
    first, expected = derived["steps"][0], reference["steps"][0]
    assert_same(first["loss"], expected["loss"], "steps[0].loss")
    for l, (layer, torch_layer) in enumerate(zip(first["layers"], expected["layers"], strict=True)):
        for key in ("weight", "bias", "z", "a", "grad_weight", "grad_bias"):
            assert_same(layer[key], torch_layer[key], f"steps[0].layers[{l}].{key}")
    assert_same(derived["loss_history"], reference["loss_history"], "loss_history")
    assert_same(derived["final"]["loss"], reference["final"]["loss"], "final.loss")
    for l, (layer, torch_layer) in enumerate(zip(derived["final"]["layers"], reference["final"]["layers"], strict=True)):
        assert_same(layer["weight"], torch_layer["weight"], f"final.layers[{l}].weight")
        assert_same(layer["bias"], torch_layer["bias"], f"final.layers[{l}].bias")
    return reference


def with_train(network: Network, **changes) -> Network:
    return dataclasses.replace(network, train=dataclasses.replace(network.train, **changes))


def one_layer(activation: str, weight, bias, inputs, targets, loss: str = "half_sse", **layer) -> Network:
    """A small network from plain lists of numbers (exact Fractions)."""
    network_layer = Layer(activation, tuple(tuple(F(v) for v in row) for row in weight), bias, **layer)
    return Network((network_layer,), Data(_rows(inputs), _rows(targets)), loss, Train(lr=F(1, 10)), "t", "t", "t")


def _rows(values):
    return tuple(tuple(F(v) for v in row) for row in values)


def equations(document):
    for section in document.sections:
        for block in section.blocks:
            for equation in block.equations:
                yield section, block, equation


# ---------------------------------------------------------------- activations


KINK = ("relu", "leaky_relu")


def kinked_network(activation: str) -> Network:
    """2-2-1: the first hidden neuron's net input is exactly 0 (0.5 * 0.5 - 1 * 0.25, also exact in float64)."""
    hidden = Layer(activation, ((F(1, 2), F(-1)), (F(1, 5), F(3, 10))), (F(0), F(1, 10)), True, F(1, 10))
    output = Layer("sigmoid", ((F(3, 5), F(-2, 5)),), (F(1, 5),))
    return Network((hidden, output), Data(((F(1, 2), F(1, 4)),), ((F(1, 10),),)), "half_sse", Train(), "kink", "kink", "kink")


@pytest.mark.parametrize("activation, expected_slope", [("relu", F(0)), ("leaky_relu", F(1, 10))])
def test_piecewise_linear_derivative_at_exactly_zero_is_pytorchs(activation: str, expected_slope: Fraction) -> None:
    network = kinked_network(activation)
    training = train(network)
    sample = training.first.samples[0]
    assert sample.z[0][0] == 0
    assert sample.da_dz[0][0] == expected_slope
    assert sample.da_dz[0][1] == 1
    assert_json_matches_torch(network, training)
    document = build_document(network, training=training)
    markdown = render_markdown(document, 9)
    assert "exactly 0" in markdown
    assert ("the negative slope" in markdown) == (activation == "leaky_relu")
    # the note is given only where it applies: the second hidden neuron's net input is positive
    assert markdown.count("exactly 0") == 1


def test_no_kink_note_away_from_zero() -> None:
    markdown = render_markdown(build_document(load_spec("softmax-classifier")), 9)
    assert "exactly 0" not in markdown


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_closed_form_derivative_equals_sympy_diff(name: str) -> None:
    spec = activations.ACTIVATIONS[name]
    closed = spec.derivative_display.xreplace({activations.OUT: spec.expression})
    diff = activations.derivative(name)
    if name in ("sigmoid", "tanh", "identity"):
        assert sp.simplify(closed - diff) == 0
    slope = sp.Rational(1, 10)
    for z in (sp.Rational(-3), sp.Rational(-1, 7), sp.Integer(0), sp.Rational(2, 9), sp.Rational(5)):
        values = {activations.Z: z, activations.SLOPE: slope}
        left, right = closed.xreplace(values), diff.xreplace(values)
        assert abs(sp.N(left - right, 50)) < sp.Float(10) ** -45, (name, z, left, right)


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("sigmoid", r"\mathit{out}_{o1} \cdot \left(1 - \mathit{out}_{o1}\right)"),
        ("tanh", r"1 - \mathit{out}_{h1}^{2}"),
        ("relu", r"\begin{cases} 1 & \text{for}\: \mathit{net}_{h1} > 0"),
    ],
)
def test_document_shows_the_textbook_closed_form(name: str, fragment: str) -> None:
    spec = {"sigmoid": "mazur", "tanh": "xor-tanh", "relu": "softmax-classifier"}[name]
    assert fragment in render_markdown(build_document(load_spec(spec)), 9)


@pytest.mark.parametrize("activation", sorted(activations.ACTIVATIONS))
def test_each_activation_in_both_layers_matches_torch(activation: str) -> None:
    base = random_network(7, [2, 3, 2])
    network = dataclasses.replace(
        base,
        layers=tuple(dataclasses.replace(layer, activation=activation, negative_slope=F(1, 5)) for layer in base.layers),
        train=Train("sgd", F(1, 5), steps=3),
    )
    assert_json_matches_torch(network)


# ---------------------------------------------------------------- losses


@pytest.mark.parametrize("a", [sp.Rational(1, 10), sp.Rational(1, 2), sp.Rational(9, 10), sp.Rational(999, 1000)])
@pytest.mark.parametrize("y", [sp.Integer(0), sp.Rational(3, 10), sp.Integer(1)])
def test_bce_torch_derivative_equals_diff_away_from_the_clamp(a, y) -> None:
    spec = losses.LOSSES["bce"]
    values = {losses.OUT: a, losses.TARGET: y}
    assert spec.torch_derivative.xreplace(values) == sp.diff(spec.term, losses.OUT).xreplace(values)
    assert sp.simplify(losses.term_derivative("bce") - (losses.OUT - losses.TARGET) / (losses.OUT * (1 - losses.OUT))) == 0


@pytest.mark.parametrize("name", ["half_sse", "sse", "mse"])
def test_squared_error_losses_have_no_special_backward(name: str) -> None:
    assert losses.LOSSES[name].torch_derivative is None


def bce_network(activation: str, weight: int, target: Fraction) -> Network:
    """One input of 1, one output neuron with net input ``weight``: its output is clamped territory."""
    return one_layer(activation, [[weight]], (F(0),), [[1]], [[target]], loss="bce")


def torch_bce(output: float, target: float) -> tuple[float, float]:
    """nn.BCELoss and its gradient with respect to the output, straight from PyTorch."""
    torch = require_torch()
    a = torch.tensor([[output]], dtype=torch.float64, requires_grad=True)
    loss = torch.nn.BCELoss()(a, torch.tensor([[target]], dtype=torch.float64))
    loss.backward()
    return loss.item(), a.grad.item()


BCE_EDGES = [
    # (activation, net input, target): outputs exactly 0 or 1, or 1 to within 1e-300
    ("relu", -1, F(3, 10)),  # output 0: log 0 is clamped at -100; ReLU stops the gradient
    ("relu", -1, F(1)),
    ("relu", -1, F(0)),
    ("relu", 1, F(1)),  # output 1 with target 1: loss 0, gradient 0
    ("identity", 0, F(0)),
    ("sigmoid", 800, F(3, 10)),  # 1 - sigmoid(800) = e^-800: the log is clamped at -100 in any arithmetic
    ("sigmoid", -800, F(3, 10)),
    ("sigmoid", 800, F(1)),
]


@pytest.mark.parametrize("activation, z, target", BCE_EDGES)
def test_bce_at_outputs_zero_or_one_matches_nn_bceloss(activation: str, z: int, target: Fraction) -> None:
    network = bce_network(activation, z, target)
    training = train(network)
    output = numbers.to_float(training.first.samples[0].a[0][0])
    loss, _ = torch_bce(output, float(target))
    assert close(numbers.to_float(training.first.loss), loss)
    assert_json_matches_torch(network, training)
    markdown = render_markdown(build_document(network, training=training), 9)
    assert "clamps each log at -100" in markdown


@pytest.mark.parametrize("target", [F(3, 10), F(0)])
def test_bce_gradient_at_output_exactly_one_uses_torchs_float32_epsilon(target: Fraction) -> None:
    network = bce_network("relu", 1, target)  # output exactly 1, ReLU passes the gradient on
    training = train(network)
    _, gradient = torch_bce(1.0, float(target))
    assert close(numbers.to_float(training.first.samples[0].dE_da[0][0]), gradient)
    assert_json_matches_torch(network, training)


def test_bce_sigmoid_saturated_in_float64_follows_the_exact_values() -> None:
    """sigmoid(40) is exactly 1.0 in float64 but not in exact arithmetic, and derive computes exactly.

    derive applies nn.BCELoss's formulas (log clamped at -100, gradient denominator clamped at
    max(a(1 - a), EPSILON)) to the exact output a = 1 - 4.2e-18: the loss is -log(1 - a), about 40,
    where PyTorch's float64 gets 100. The README documents this difference; --verify reports it.
    """
    import mpmath

    network = bce_network("sigmoid", 40, F(0))
    training = train(network)
    a = 1 / (1 + mpmath.exp(-40))
    assert abs(training.first.loss - (-mpmath.log(1 - a))) < mpmath.mpf(10) ** -40
    expected_slope = a / max(a * (1 - a), mpmath.mpf(float(derive_losses.BCE_EPSILON)))
    assert abs(training.first.samples[0].dE_da[0][0] - expected_slope) < mpmath.mpf(10) ** -30


def test_bce_without_clamp_has_no_clamp_note() -> None:
    network = bce_network("sigmoid", 1, F(3, 10))
    assert "clamps each log" not in render_markdown(build_document(network), 9)
    assert_json_matches_torch(network)


CROSS_ENTROPY_TARGETS = {
    "indices": (2, 0),
    "probabilities": ((F(1, 4), F(1, 4), F(1, 2)), (F(1), F(0), F(0))),
}


@pytest.mark.parametrize("targets", sorted(CROSS_ENTROPY_TARGETS))
def test_cross_entropy_matches_torch_and_derives_softmax_jacobian(targets: str) -> None:
    base = load_spec("softmax-classifier")
    network = dataclasses.replace(base, data=dataclasses.replace(base.data, targets=CROSS_ENTROPY_TARGETS[targets]))
    network = with_train(network, steps=3)
    training = train(network)
    assert_json_matches_torch(network, training)
    document = build_document(network, training=training)
    titles = [block.title for section in document.sections for block in section.blocks]
    assert ("Softmax and cross-entropy",) in titles
    markdown = render_markdown(document, 9)
    assert r"\frac{\partial p_{k}}{\partial \mathit{out}_{j}} &= p_{k} \cdot \left(\delta_{j k} - p_{j}\right)" in markdown
    assert r"&= p_{j} - y_{j}" in markdown
    # every output's dE/da is (p_j - y_j) / batch, in the document's values
    for s, sample in enumerate(training.first.samples):
        for j, p in enumerate(sample.softmax):
            y = network.data.targets[s]
            y_j = F(int(y == j)) if isinstance(y, int) else y[j]
            assert abs(numbers.to_float(sample.dE_da[-1][j]) - (float(p) - float(y_j)) / 2) < 1e-15


@pytest.mark.parametrize("loss", ["half_sse", "sse", "mse", "bce", "cross_entropy"])
def test_each_loss_with_a_batch_matches_torch(loss: str) -> None:
    base = random_network(11, [2, 3, 3])
    targets = (1, 2, 0) if loss == "cross_entropy" else tuple(tuple(F(n, 10) for n in row) for row in ((1, 9, 5), (0, 10, 3), (7, 2, 6)))
    inputs = ((F(1, 2), F(-1, 4)), (F(3, 10), F(9, 10)), (F(-1), F(1, 5)))
    layers = (base.layers[0], dataclasses.replace(base.layers[1], activation="identity" if loss == "cross_entropy" else "sigmoid"))
    network = Network(layers, Data(inputs, targets), loss, Train("sgd", F(1, 2), steps=2), "t", "t", "t")
    assert_json_matches_torch(network)


# ---------------------------------------------------------------- many steps


SEED_AFTER_10000 = [("mazur", "2.4475622e-06"), ("mazur-classic", "3.5101878e-05")]


@pytest.mark.parametrize("name, expected", SEED_AFTER_10000)
def test_ten_thousand_sgd_steps_reach_the_known_loss_and_match_torch(name: str, expected: str) -> None:
    network = with_train(load_spec(name), steps=10000)
    training = train(network)
    assert f"{training.final_loss:.7e}" == expected
    assert len(training.loss_history) == 10000
    reference = assert_json_matches_torch(network, training)
    assert f"{reference['final']['loss']:.7e}" == expected


def test_trace_shows_log_spaced_steps_and_a_loss_curve() -> None:
    network = with_train(load_spec("mazur"), steps=1000)
    document = build_document(network)
    trace = next(section for section in document.sections if section.key == "trace")
    shown = [row[0] for row in trace.tables[0].rows]
    assert shown[:5] == ["1", "2", "3", "4", "5"]
    assert {"10", "100", "1000"} <= set(shown)
    assert trace.chart is not None and trace.chart.log_scale in (True, False)
    assert trace.chart.steps[0] == 1 and trace.chart.steps[-1] == 1001
    assert "pgfplots" in render_latex(document, 9)


# ---------------------------------------------------------------- matrix form


MATRIX_NETWORKS = {
    "mazur": lambda: load_spec("mazur"),
    "mazur-classic": lambda: load_spec("mazur-classic"),
    "xor-tanh (batch 4)": lambda: load_spec("xor-tanh"),
    "softmax-classifier": lambda: load_spec("softmax-classifier"),
    "shared trained bias, 3 layers": lambda: dataclasses.replace(
        random_network(5, [2, 3, 2, 2], ["shared", "none", "frozen"]),
        data=Data(((F(1, 2), F(-1, 5)), (F(3, 10), F(7, 10))), ((F(1, 10), F(9, 10)), (F(1, 2), F(0)))),
    ),
}


def matrix_values(document) -> dict[str, list[list[float]]]:
    """The numeric matrices of a matrix-form document, by the LaTeX name of what they equal."""
    values = document.values[-1]
    found = {}
    for section, _, equation in equations(document):
        if section.key.startswith("matrix") and not equation.forms and isinstance(equation.numbers, sp.MatrixBase):
            name = document.names[equation.lhs]
            found[name] = [[numbers.to_float(values[entry]) for entry in row] for row in equation.numbers.tolist()]
    return found


def scalar_values(document) -> dict:
    """(lhs, sample) -> value of every equation of a scalar document."""
    return {(equation.lhs, equation.sample): equation.value for _, _, equation in equations(document) if equation.value is not None}


@pytest.mark.parametrize("name", sorted(MATRIX_NETWORKS))
def test_matrix_form_is_consistent_number_for_number_with_the_scalar_chains(name: str) -> None:
    network = MATRIX_NETWORKS[name]()
    training = train(network)
    scalar = build_document(network, training=training)
    matrix = build_document(network, training=training, style="matrix")
    keys = [section.key for section in matrix.sections]
    assert "matrix-forward" in keys and "matrix-backward" in keys
    assert not any(key.startswith(("forward-", "backward-")) for key in keys)
    found = matrix_values(matrix)
    shown = scalar_values(scalar)
    graph = scalar.graph
    batch = network.data.batch_size
    detailed = range(min(batch, 2))
    compared = 0
    for index, layer in enumerate(graph.layers):
        l = index + 1
        for unit in layer:
            for s in detailed:  # column s of Z, A and delta is sample s of the scalar chains
                loss = graph.loss_total if batch == 1 else sp.Symbol(f"E_sample_{s}", real=True)
                pairs = [
                    (f"Z^{{({l})}}", unit.z),
                    (f"A^{{({l})}}", unit.a),
                    (rf"\delta^{{({l})}}", sp.Symbol(f"delta_{unit.z.name}", real=True)),
                    (None, Partial(loss, unit.z)),
                ]
                for matrix_name, lhs in pairs:
                    if matrix_name is None or (lhs, s) not in shown:
                        continue
                    assert close(found[matrix_name][unit.index][s], numbers.to_float(shown[(lhs, s)])), (matrix_name, unit, s)
                    compared += 1
    for parameter in graph.parameters:
        if not parameter.trained:
            continue
        l = parameter.layer + 1
        gradient = Partial(graph.loss_total, parameter.symbol)
        value = next(v for (lhs, _), v in shown.items() if lhs == gradient)
        if parameter.kind == "weight":
            entry = found[rf"\frac{{\partial E}}{{\partial W^{{({l})}}}}"][parameter.row][parameter.column]
        else:
            column = found[rf"\frac{{\partial E}}{{\partial b^{{({l})}}}}"]
            entry = column[parameter.row or 0][0]
        assert close(entry, numbers.to_float(value)), parameter
        compared += 1
    assert compared >= sum(len(layer) for layer in graph.layers) * 3 * len(detailed)
    # the rendered numbers agree too: every gradient printed in the scalar summary is printed in the matrix form
    scalar_text = render_markdown(scalar, 9)
    matrix_text = render_markdown(matrix, 9)
    for parameter in graph.parameters:
        if parameter.trained:
            printed = format_number(scalar.values[0][Partial(graph.loss_total, parameter.symbol)], 9).latex()
            assert printed in scalar_text and printed in matrix_text, (parameter, printed)


def test_matrix_form_states_shapes_and_the_recursions() -> None:
    markdown = render_markdown(build_document(load_spec("xor-tanh"), style="matrix"), 9)
    assert "Shapes: W(1) is 2 x 2; X is 2 x 4" in markdown
    assert r"\begin{bmatrix}" in markdown
    assert r"\odot" in markdown
    assert r"\left(W^{(2)}\right)^{\top}" in markdown


def overfull_lines(document) -> list[str]:
    require_pdflatex()
    _, log = compile_pdf(render_latex(document, 9))
    return [line for line in log.splitlines() if "Overfull" in line]


def wide_batch(widths: list[int], batch: int) -> Network:
    base = random_network(2, widths)
    inputs = tuple(tuple(F((7 * s + 3 * k) % 19 - 9, 10) for k in range(widths[0])) for s in range(batch))
    targets = tuple(tuple(F(k, 5) for k in range(widths[-1])) for _ in range(batch))
    return dataclasses.replace(base, data=Data(inputs, targets))


def test_matrix_form_of_a_batch_of_five_fits_the_page() -> None:
    assert overfull_lines(build_document(wide_batch([2, 3, 2], 5), style="matrix")) == []


def test_batch_tables_for_the_remaining_samples_fit_the_page() -> None:
    assert overfull_lines(build_document(wide_batch([2, 3, 3], 3))) == []


def test_matrix_form_of_a_batch_of_four_fits_the_page() -> None:
    assert overfull_lines(build_document(wide_batch([2, 3, 2], 4), style="matrix")) == []


# ---------------------------------------------------------------- --only and notation


def gradient_lhs(document) -> set:
    return {
        equation.lhs.denominator
        for section, _, equation in equations(document)
        if section.key.startswith("backward") and isinstance(equation.lhs, Partial) and equation.lhs.numerator == document.graph.loss_total
        and equation.lhs.denominator in {p.symbol for p in document.graph.parameters}
    }


@pytest.mark.parametrize(
    "name, only, notation",
    [
        ("mazur", ("w5", "b1"), None),
        ("mazur", ("w1",), None),
        ("mazur", ("w2_1_2", "b1_1"), "indexed"),
        ("xor-tanh", ("w6", "b1"), None),
    ],
)
def test_only_derives_the_chosen_parameters_and_lists_all_in_the_summary(name: str, only, notation) -> None:
    network = load_spec(name)
    document = build_document(network, notation, only=only)
    full = build_document(network, notation)
    naming = names_for(document.graph, notation)
    plain = {naming.plain[p.symbol]: p.symbol for p in document.graph.parameters}
    chosen = {plain[n] for n in only}
    derived = gradient_lhs(document) if network.data.batch_size == 1 else {
        e.lhs.denominator for s, _, e in equations(document) if s.key == "batch"
    }
    assert derived == chosen
    updates = {
        e.lhs for s, _, e in equations(document) if s.key == "update" and e.lhs.name.endswith("_new")
    }
    assert updates == {sp.Symbol(f"{p.name}_new", real=True) for p in chosen}
    summary = next(s for s in document.sections if s.key == "summary")
    assert [row[0] for row in summary.tables[0].rows] == [p.symbol for p in document.graph.parameters]
    # what is derived carries the same numbers as the full document
    full_values = scalar_values(full)
    for key, value in scalar_values(document).items():
        if key in full_values:
            assert value == full_values[key], key
    markdown = render_markdown(document, 9)
    for parameter in document.graph.parameters:
        latex = document.names[parameter.symbol]
        in_chain = rf"\partial {latex}}}" in markdown
        assert in_chain == (parameter.symbol in chosen), (latex, in_chain)
    assert len(markdown) < len(render_markdown(full, 9))


def test_only_on_the_command_line() -> None:
    command = [sys.executable, "-m", "derive", "mazur", "--only", "w5,b1", "-o", "-"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert r"\frac{\partial E_{\mathit{total}}}{\partial w_{5}}" in done.stdout
    assert r"\frac{\partial E_{\mathit{total}}}{\partial w_{6}}" not in done.stdout
    bad = subprocess.run(command[:4] + ["w5,x7", "-o", "-"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "x7" in bad.stderr and "Traceback" not in bad.stderr


def test_only_unknown_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="w9"):
        build_document(load_spec("mazur"), only=("w9",))


@pytest.mark.parametrize(
    "network, notation, input_name, weight_name",
    [
        (lambda: load_spec("mazur"), None, "i_{1}", "w_{5}"),
        (lambda: load_spec("mazur"), "mazur", "i_{1}", "w_{5}"),
        (lambda: load_spec("mazur"), "indexed", "x_{1}", "w^{(2)}_{11}"),
        (lambda: random_network(3, [2, 2, 2, 2]), None, "x_{1}", "w^{(2)}_{11}"),
        (lambda: random_network(3, [2, 2]), None, "i_{1}", "w_{1}"),
    ],
)
def test_notation_default_and_choice(network, notation, input_name: str, weight_name: str) -> None:
    document = build_document(network(), notation)
    graph = document.graph
    assert document.names[graph.inputs[0]] == input_name
    weights = [p for p in graph.parameters if p.kind == "weight"]
    names = {document.names[p.symbol] for p in weights}
    assert weight_name in names, names
    markdown = render_markdown(document, 9)
    assert input_name in markdown


def test_mazur_notation_refuses_deep_networks() -> None:
    with pytest.raises(UsageError, match="indexed"):
        build_document(random_network(3, [2, 2, 2, 2]), "mazur")


def test_indexed_notation_on_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "derive", "--notation", "indexed", "-o", "-"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "w^{(2)}_{11}" in done.stdout and "z^{(1)}_{1}" in done.stdout
    assert r"\mathit{net}_{h1}" not in done.stdout


# ---------------------------------------------------------------- mini-batches


def batch_network(batch: int) -> Network:
    base = random_network(21, [2, 2, 2])
    inputs = tuple((F(s + 1, 10), F(-s, 7)) for s in range(batch))
    targets = tuple((F(s % 3, 3), F(1, 2)) for s in range(batch))
    return dataclasses.replace(base, data=Data(inputs, targets), loss="mse")


@pytest.mark.parametrize("batch", [1, 2, 3, 7])
def test_batch_documents_detail_the_first_samples_then_reduce(batch: int) -> None:
    network = batch_network(batch)
    training = train(network)
    document = build_document(network, training=training)
    keys = [section.key for section in document.sections]
    detailed = min(batch, 2)
    assert [k for k in keys if k.startswith("forward-")] == [f"forward-{s}" for s in range(detailed)]
    assert [k for k in keys if k.startswith("backward-")] == [f"backward-{s}" for s in range(detailed)]
    assert ("batch" in keys) == (batch > 1)
    if batch > 1:
        section = document.sections[keys.index("batch")]
        gradients = {e.lhs.denominator: e.value for e in section.blocks[0].equations}
        assert set(gradients) == {p.symbol for p in document.graph.parameters if p.trained}
        for parameter in document.graph.parameters:
            # the batch gradient is the sum of the samples' shares, for every sample, tabulated or not
            shares = [document.values[s][Partial(sp.Symbol(f"E_sample_{s}", real=True), parameter.symbol)] for s in range(batch)]
            assert abs(numbers.to_mpf(gradients[parameter.symbol]) - sum(numbers.to_mpf(v) for v in shares)) < mpmath.mpf(10) ** -40
        rest_tables = section.tables
        assert bool(rest_tables) == (batch > detailed)
        if rest_tables:
            # one row per neuron of every sample not derived in full, samples in order
            units = sum(len(layer) for layer in document.graph.layers)
            assert [row[0] for row in rest_tables[0].rows] == [str(s + 1) for s in range(detailed, batch) for _ in range(units)]
        markdown = render_markdown(document, 9)
        assert "## The batch gradient" in markdown
        assert f"sample {detailed}" in markdown and f"## The forward pass, sample {detailed + 1}" not in markdown
    assert_json_matches_torch(network, training)


# ---------------------------------------------------------------- the chain rule against SymPy's diff


def composed_loss(network: Network):
    """The batch loss written out from the inputs, with a symbol for every parameter (built here, not by derive)."""
    symbols: dict = {}
    for l, layer in enumerate(network.layers):
        for j, row in enumerate(layer.weight):
            for k in range(len(row)):
                symbols[(l, "weight", j, k)] = sp.Symbol(f"W{l}_{j}_{k}", real=True)
        if layer.bias_kind == "per_neuron":
            for j in range(layer.out_features):
                symbols[(l, "bias", j, None)] = sp.Symbol(f"B{l}_{j}", real=True)
        elif layer.bias_kind == "shared":
            symbols[(l, "bias", None, None)] = sp.Symbol(f"B{l}", real=True)
    batch, outputs = network.data.batch_size, network.layers[-1].out_features
    scale = sp.Rational(1, batch * outputs) if network.loss in ("mse", "bce") else (sp.Rational(1, 2) if network.loss == "half_sse" else 1)
    total = sp.Integer(0)
    for inputs, targets in zip(network.data.inputs, network.data.targets):
        a = [sp.Rational(v.numerator, v.denominator) for v in inputs]
        for l, layer in enumerate(network.layers):
            nets = []
            for j, row in enumerate(layer.weight):
                z = sp.Add(*(symbols[(l, "weight", j, k)] * a[k] for k in range(len(row))))
                if layer.bias_kind == "per_neuron":
                    z += symbols[(l, "bias", j, None)] if layer.train_bias else sp.Rational(layer.bias[j].numerator, layer.bias[j].denominator)
                elif layer.bias_kind == "shared":
                    z += symbols[(l, "bias", None, None)]
                nets.append(z)
            slope = sp.Rational(layer.negative_slope.numerator, layer.negative_slope.denominator)
            a = [
                {
                    "sigmoid": lambda z: 1 / (1 + sp.exp(-z)),
                    "tanh": sp.tanh,
                    "relu": lambda z: sp.Piecewise((z, z > 0), (0, True)),
                    "leaky_relu": lambda z: sp.Piecewise((z, z > 0), (slope * z, True)),
                    "identity": lambda z: z,
                }[layer.activation](z)
                for z in nets
            ]
        for o, t in zip(a, targets):
            t = sp.Rational(t.numerator, t.denominator)
            total += -(t * sp.log(o) + (1 - t) * sp.log(1 - o)) if network.loss == "bce" else (o - t) ** 2
    return scale * total, symbols


CHAIN_RULE_CASES = {
    "mse, tanh then sigmoid, batch 2": (["tanh", "sigmoid"], "mse", ["per_neuron", "per_neuron"]),
    "sse, leaky_relu then identity, batch 2": (["leaky_relu", "identity"], "sse", ["per_neuron", "shared"]),
    "bce, tanh then sigmoid, batch 2": (["tanh", "sigmoid"], "bce", ["shared", "per_neuron"]),
    "half_sse, relu, sigmoid, sigmoid, batch 2": (["relu", "sigmoid", "sigmoid"], "half_sse", ["per_neuron", "none", "shared"]),
}


@pytest.mark.parametrize("case", sorted(CHAIN_RULE_CASES))
def test_chain_rule_equals_diff_of_the_composed_loss(case: str) -> None:
    kinds, loss, biases = CHAIN_RULE_CASES[case]
    widths = [2, 3, 2] if len(kinds) == 2 else [2, 2, 2, 2]
    base = random_network(13, widths, biases)
    layers = tuple(dataclasses.replace(layer, activation=kind, negative_slope=F(1, 5)) for layer, kind in zip(base.layers, kinds))
    data = Data(((F(3, 10), F(-7, 10)), (F(-1, 2), F(9, 10))), ((F(1, 10), F(9, 10)), (F(1), F(1, 4))))
    network = dataclasses.replace(base, layers=layers, data=data, loss=loss)
    batch, outputs = 2, widths[-1]
    scale = sp.Rational(1, batch * outputs) if loss in ("mse", "bce") else 1

    graph = build_graph(network)
    gradients = symbolic_gradients(graph, scale)
    composed, symbols = composed_loss(network)
    oracle_values = {
        symbol: sp.Rational(*_parts(_parameter(network, key))) for key, symbol in symbols.items()
    }
    first = train(network).first
    assert len(graph.parameters) == len(symbols)
    for parameter in graph.parameters:
        key = (parameter.layer, parameter.kind, parameter.row, parameter.column)
        derived = sum(
            compose(gradients[parameter.symbol], graph).xreplace(parameter_values(graph, network, s)).evalf(60) for s in range(batch)
        )
        oracle = sp.diff(composed, symbols[key]).xreplace(oracle_values).evalf(60)
        assert abs(derived - oracle) < sp.Float(10) ** -40, (parameter.symbol, derived, oracle)
        engine = numbers.to_mpf(
            first.grad_weights[parameter.layer][parameter.row][parameter.column]
            if parameter.kind == "weight"
            else (first.grad_biases[parameter.layer] if parameter.row is None else first.grad_biases[parameter.layer][parameter.row])
        )
        assert abs(engine - mpmath.mpf(str(oracle))) < mpmath.mpf(10) ** -40, parameter.symbol


def _parameter(network: Network, key) -> Fraction:
    l, kind, j, k = key
    layer = network.layers[l]
    if kind == "weight":
        return layer.weight[j][k]
    return layer.bias if j is None else layer.bias[j]


def _parts(value: Fraction) -> tuple[int, int]:
    return value.numerator, value.denominator


# ---------------------------------------------------------------- optimizers: the first update, derived


OPTIMIZERS = {
    "sgd": Train("sgd", F(1, 2)),
    "sgd, weight decay": Train("sgd", F(1, 2), weight_decay=F(1, 100)),
    "sgd, momentum": Train("sgd", F(1, 2), F(9, 10), steps=3),
    "sgd, momentum and weight decay": Train("sgd", F(1, 2), F(9, 10), F(1, 100), steps=3),
    "adam": Train("adam", F(1, 10), steps=3),
    "adam, betas, eps, weight decay": Train("adam", F(1, 20), F(0), F(1, 10), (F(4, 5), F(99, 100)), F(1, 10**6), steps=3),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_first_update_is_derived_and_matches_torch(name: str) -> None:
    settings = OPTIMIZERS[name]
    network = dataclasses.replace(load_spec("mazur"), train=settings)
    training = train(network)
    reference = assert_json_matches_torch(network, training)
    document = build_document(network, training=training)
    update = next(section for section in document.sections if section.key == "update")
    values = {e.lhs: e.value for block in update.blocks for e in block.equations}
    after = reference["steps"][1]["layers"] if settings.steps > 1 else reference["final"]["layers"]
    grads = reference["steps"][0]["layers"]
    beta1, beta2 = (float(b) for b in settings.betas)
    decay = float(settings.weight_decay)
    for parameter in document.graph.parameters:
        record, new = grads[parameter.layer], after[parameter.layer]
        if parameter.kind == "weight":
            g, p_new = record["grad_weight"][parameter.row][parameter.column], new["weight"][parameter.row][parameter.column]
        else:
            g, p_new = record["grad_bias"][parameter.row], new["bias"][parameter.row]
        g_eff = g + decay * float(parameter.value)
        tag = parameter.symbol.name
        assert close(numbers.to_float(values[sp.Symbol(f"{tag}_new", real=True)]), p_new), parameter
        if settings.weight_decay:
            assert close(numbers.to_float(values[sp.Symbol(f"g_{tag}", real=True)]), g_eff)
        if settings.optimizer == "adam":
            m, v = (1 - beta1) * g_eff, (1 - beta2) * g_eff**2
            for symbol, expected in (("m", m), ("v", v), ("mhat", m / (1 - beta1)), ("vhat", v / (1 - beta2))):
                assert close(numbers.to_float(values[sp.Symbol(f"{symbol}_{tag}", real=True)]), expected), (symbol, parameter)
        elif settings.momentum:
            # torch.optim.SGD stores the gradient itself in the buffer at the first step
            assert close(numbers.to_float(values[sp.Symbol(f"buf_{tag}", real=True)]), g_eff)
    markdown = render_markdown(document, 9)
    if settings.optimizer == "adam":
        for fragment in (r"\hat{m}_{w_{1}}", r"\hat{v}_{w_{1}}", "m_{w_{1}} &=", "v_{w_{1}} &=", r"\beta_{1}", r"\epsilon"):
            assert fragment in markdown, fragment
    elif settings.momentum:
        assert "v_{w_{1}} &=" in markdown and r"\eta \cdot v_{w_{1}}" in markdown
    if settings.weight_decay:
        assert r"\lambda" in markdown


def test_optimizer_settings_read_as_written_decimals() -> None:
    markdown = render_markdown(build_document(load_spec("xor-tanh")), 9)
    assert "9/10" not in markdown and "momentum 0.9" in markdown
    markdown = render_markdown(build_document(load_spec("adam-step")), 9)
    assert "999/1000" not in markdown and "0.999" in markdown


def test_spec_parsed_optimizers_reach_the_engine() -> None:
    spec = """
title = "adam"
[[layer]]
activation = "tanh"
weight = [[0.15, 0.20], [0.25, 0.30]]
bias = 0.35
[[layer]]
activation = "sigmoid"
weight = [[0.40, 0.45]]
[data]
input = [[0.05, 0.10], [0.5, -0.2]]
target = [[0.01], [0.99]]
[loss]
kind = "bce"
[train]
optimizer = "adam"
lr = 0.05
betas = [0.8, 0.99]
eps = 1e-6
weight_decay = 0.01
steps = 4
"""
    network = parse_spec(spec, "inline.toml", "inline")
    assert network.train.betas == (F(4, 5), F(99, 100)) and network.train.eps == F(1, 10**6)
    assert_json_matches_torch(network)
