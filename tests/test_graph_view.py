"""--style graph: every gate's value and gradient equals the neuron-level chain and PyTorch float64.

The PyTorch oracle is written here gate by gate (w * x, sums, -net, exp, +1, reciprocal, tanh, the
loss) with retain_grad on every intermediate tensor, so each gate's gradient is autograd's own.
"""

from __future__ import annotations

import re

import pytest

from conftest import require_torch, run_cli, wide_spec
from derive.api import derive
from derive.derivation.circuit import build_circuit
from derive.engine.arithmetic import to_float


def _circuit(example: str, **options):
    derivation = derive(example, style="graph", **options).derivation
    graph = derivation.graph
    return derivation, build_circuit(graph, derivation.notation, derivation.quantities, graph.loss_total)


def _torch_gates(derivation) -> tuple[dict, dict]:
    """Each gate's value and gradient in PyTorch float64, by the gate's symbol."""
    torch = require_torch()
    network, graph = derivation.network, derivation.graph
    f64 = dict(dtype=torch.float64)
    values, leaves = {}, {}
    for x, value in zip(graph.inputs, network.data.inputs[0]):
        leaves[x] = torch.tensor(float(value), requires_grad=True, **f64)
    for parameter in graph.parameters:
        leaves[parameter.symbol] = torch.tensor(float(parameter.value), requires_grad=True, **f64)
    values.update(leaves)
    previous = list(graph.inputs)
    for layer in graph.layers:
        for unit in layer:
            terms = []
            for k, source in enumerate(previous):
                weight = graph.local_derivative(unit.net, source)
                product = values[weight] * values[source]
                product.retain_grad()
                values[f"m{unit.layer}{unit.index}{k}"] = product
                terms.append(product)
            bias = [s for s in unit.net.free_symbols if s in leaves and s not in previous
                    and graph.local_derivative(unit.net, s) == 1]
            net = sum(terms[1:], terms[0]) + sum(values[b] for b in bias)
            net.retain_grad()
            values[unit.z] = net
            if unit.activation.name == "sigmoid":
                s = -net
                q = torch.exp(s)
                d = 1 + q
                out = 1 / d
                for tensor, key in ((s, "s"), (q, "q"), (d, "d")):
                    tensor.retain_grad()
                    values[f"{key}{unit.layer}{unit.index}"] = tensor
            else:
                out = getattr(torch, unit.activation.name)(net)
            out.retain_grad()
            values[unit.a] = out
        previous = [unit.a for unit in layer]
    outputs = torch.stack([values[unit.a] for unit in graph.outputs])
    kind = network.loss.name
    if kind == "sum":
        loss = outputs.sum()
    else:
        assert kind == "half_sse"
        targets = torch.tensor([float(t) for t in network.data.targets[0]], **f64)
        loss = ((outputs - targets) ** 2).sum() / 2
    loss.backward()
    return ({key: tensor.item() for key, tensor in values.items()},
            {key: tensor.grad.item() for key, tensor in values.items()})


def _gate_key(symbol, unit, k=None) -> object:
    name = str(symbol)
    letter = name.split("_")[1] if name.startswith("gate_") else None
    if letter == "m":
        return f"m{unit.layer}{unit.index}{int(name.rsplit('_', 1)[1]) - 1}"
    if letter in ("s", "q", "d"):
        return f"{letter}{unit.layer}{unit.index}"
    return symbol


@pytest.mark.parametrize("example", ["cs231n-neuron", "micrograd-neuron", "mazur"])
def test_every_gate_equals_pytorch_and_the_neuron_level_chain(example: str) -> None:
    derivation, circuit = _circuit(example)
    torch_values, torch_gradients = _torch_gates(derivation)
    graph, q = derivation.graph, derivation.quantities
    for gate in circuit.every_gate:
        key = _gate_key(gate.output, gate.unit)
        assert to_float(circuit.values[gate.output]) == pytest.approx(torch_values[key], rel=1e-12, abs=1e-15)
        assert to_float(circuit.gradients[gate.output]) == pytest.approx(torch_gradients[key], rel=1e-12, abs=1e-15)
    for symbol in list(graph.inputs) + [p.symbol for p in graph.parameters]:
        assert to_float(circuit.gradients[symbol]) == pytest.approx(torch_gradients[symbol], rel=1e-12, abs=1e-15)
    ids = derivation.notation
    for unit in graph.units():  # the chain's own quantities, at 50 digits
        assert abs(circuit.gradients[unit.z] - q[ids.delta_id(unit)].value) < 1e-40
        assert abs(circuit.gradients[unit.a] - q[ids.dE_dout_id(unit)].value) < 1e-40
        assert abs(circuit.values[unit.a] - q[ids.ids[unit.a]].value) < 1e-40
    for parameter in graph.parameters:
        assert abs(circuit.gradients[parameter.symbol] - q[ids.gradient_id(parameter)].value) < 1e-40


def test_cs231n_circuit_shows_the_published_gate_values() -> None:
    """The notes' circuit: 1/x gate gradient -0.53, exp gate input -0.20, net 0.20, dx = [0.39, -0.59]."""
    document = derive("cs231n-neuron", style="graph")
    q = document.derivation.quantities
    assert round(to_float(q["grad_gate_d_o1"].value), 2) == -0.53
    assert round(to_float(q["grad_gate_s_o1"].value), 2) == -0.20
    assert round(to_float(q["grad_i1"].value), 2) == 0.39 and round(to_float(q["grad_i2"].value), 2) == -0.59
    text = document.markdown()
    for words in ("negate, exp, +1 and reciprocal", "add distributes", "multiply swaps", "a branch sums"):
        assert words in text
    assert re.search(r"\\partial E_\{\\mathit\{total\}\}\}\{\\partial s_\{o1\}\} &= .* \\cdot \\left\(-1\\right\)", text) is None
    # downstream = upstream x local, with numbers: dE/dnet = dE/ds * (-1) = (-0.196..) * (-1)
    assert r"\cdot \left(-1\right) = \left(-0.196611933\right) \cdot \left(-1\right) \approx 0.196611933" in text


def test_a_large_network_draws_one_path_and_says_so(tmp_path, capsys) -> None:
    """Five hidden neurons: the graph follows --only's neuron to the loss, and its numbers still match."""
    spec = tmp_path / "wide.toml"
    spec.write_text(wide_spec(5), encoding="utf-8")
    status, out, err = run_cli([str(spec), "--style", "graph", "--only", "w5", "-o", "-"], capsys)
    assert status == 0, err
    assert "too large to draw whole" in out and "from neuron $h_{3}$" in out
    derivation = derive(spec, style="graph", only=("w5",)).derivation
    circuit = next(section.circuit for section in derivation.sections if section.circuit is not None)
    assert [(unit.layer, unit.index) for unit in circuit.units] == [(0, 2), (1, 0)]
    for parameter in derivation.graph.parameters:
        expected = derivation.quantities[derivation.notation.gradient_id(parameter)].value
        assert abs(circuit.gradients[parameter.symbol] - expected) < 1e-40


def test_graph_style_is_deterministic() -> None:
    assert derive("mazur", style="graph").markdown() == derive("mazur", style="graph").markdown()


def test_markdown_written_to_a_file_links_its_svg_figures(tmp_path, capsys) -> None:
    import xml.etree.ElementTree as ElementTree

    from derive.derivation.model import Chart
    from derive.render.loss_plot import loss_svg

    target = tmp_path / "n.md"
    status, _out, err = run_cli(["micrograd-neuron", "--style", "graph", "-o", str(target)], capsys)
    assert status == 0, err
    links = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", target.read_text(encoding="utf-8"))
    assert links == ["n.figures/network.svg", "n.figures/graph.svg"]
    for link in links:
        root = ElementTree.parse(tmp_path / link).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and float(root.get("width")) > 100
    graph = (tmp_path / links[1]).read_text(encoding="utf-8")
    assert ">tanh<" in graph and "0.7071" in graph and "0.5" in graph  # micrograd's o and do/dn
    chart = Chart((1, 2, 3), (0.5, 0.25, 0.125), False)
    first = loss_svg(chart, "Loss", "step", "loss")
    assert first is not None and first == loss_svg(chart, "Loss", "step", "loss") and "<svg" in first


def test_a_batch_with_relu_and_softmax_cross_entropy_matches_the_chain_of_its_first_sample() -> None:
    """softmax-classifier: ReLU gates, the softmax cross-entropy as one gate, two samples (the graph is the first's)."""
    derivation = derive("softmax-classifier", style="graph").derivation
    graph, q = derivation.graph, derivation.quantities
    loss = graph.sample_losses[0]
    circuit = build_circuit(graph, derivation.notation, q, loss)
    scope = q.scope(0)
    from derive.derivation.nodes import Partial

    for unit in graph.units():
        assert abs(circuit.gradients[unit.z] - scope[unit.delta].value) < 1e-40
        assert abs(circuit.gradients[unit.a] - scope[Partial(loss, unit.a)].value) < 1e-40
    for parameter in graph.parameters:
        assert abs(circuit.gradients[parameter.symbol] - scope[Partial(loss, parameter.symbol)].value) < 1e-40
    assert "The graph is that of the first sample of the batch." in derive("softmax-classifier", style="graph").markdown()
