"""The sum loss (E = the sum of the outputs, y.sum().backward()) and the two published single neurons that use it.

Oracles: the figures CS231n's notes and micrograd's lecture publish, and PyTorch float64 written here
directly (a neuron and y.sum().backward()), not derive's own loss objects.
"""

from __future__ import annotations

import math

import pytest

from conftest import assert_json_matches_torch, make_layer, make_network, require_torch, run_cli
from derive.api import derive, load
from derive.errors import SpecError


def torch_neuron(weight: list[float], bias: float, x: list[float], activation: str) -> dict[str, object]:
    """out, dw, db and dx of one neuron under y.sum().backward(), in PyTorch float64."""
    torch = require_torch()
    w = torch.tensor(weight, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(bias, dtype=torch.float64, requires_grad=True)
    inputs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = getattr(torch, activation)(w @ inputs + b)
    out.sum().backward()
    return {"out": out.item(), "dw": w.grad.tolist(), "db": b.grad.item(), "dx": inputs.grad.tolist()}


def test_cs231n_sigmoid_neuron_gives_the_published_gradients() -> None:
    """cs231n.github.io/optimization-2: f = 0.73, dw = [-0.20, -0.39], db = 0.20 (rounded to 2 places there)."""
    q = derive("cs231n-neuron").quantities
    assert round(q["out_o1"], 2) == 0.73
    assert [round(q["grad_w1"], 2), round(q["grad_w2"], 2), round(q["grad_b_o1"], 2)] == [-0.20, -0.39, 0.20]
    reference = torch_neuron([2.0, -3.0], -3.0, [-1.0, -2.0], "sigmoid")
    assert q["grad_w1"] == pytest.approx(reference["dw"][0], rel=1e-15)
    assert q["grad_w2"] == pytest.approx(reference["dw"][1], rel=1e-15)
    assert q["grad_b_o1"] == pytest.approx(reference["db"], rel=1e-15)
    assert_json_matches_torch(load("cs231n-neuron"))


def test_micrograd_tanh_neuron_gives_the_published_figures() -> None:
    """Karpathy's micrograd lecture: o = 0.7071, dw1 = 1.0, dw2 = 0.0 (x2 = 0), do/dn = 0.5."""
    q = derive("micrograd-neuron").quantities
    assert round(q["out_o1"], 4) == 0.7071
    assert q["out_o1"] == pytest.approx(1 / math.sqrt(2), abs=1e-15)
    assert round(q["grad_w1"], 4) == 1.0 and q["grad_w2"] == 0.0
    assert round(q["delta_o1"], 4) == 0.5
    reference = torch_neuron([-3.0, 1.0], 6.8813735870195432, [2.0, 0.0], "tanh")
    assert q["grad_w1"] == pytest.approx(reference["dw"][0], rel=1e-14)
    assert q["grad_b_o1"] == pytest.approx(reference["db"], rel=1e-14)
    assert_json_matches_torch(load("micrograd-neuron"))


def test_sum_loss_over_a_batch_and_several_outputs_matches_torch() -> None:
    """Two outputs, two samples, two steps: E sums every output of every sample, as y.sum() does."""
    layers = [make_layer("tanh", [["0.1", "-0.2"], ["0.3", "0.4"]], ["0.05", "-0.1"]),
              make_layer("sigmoid", [["0.5", "-0.6"], ["0.7", "0.2"]], ["0.1", "0.2"])]
    network = make_network(layers, [["0.5", "-1"], ["2", "0.25"]], [["0", "0"], ["0", "0"]], loss="sum")
    assert_json_matches_torch(network)


def test_sum_loss_refuses_targets(tmp_path, capsys) -> None:
    spec = tmp_path / "n.toml"
    spec.write_text('[[layer]]\nactivation = "tanh"\nweight = [[1, 2]]\nbias = [0]\n[data]\ninput = [[1, 2]]\n'
                    'target = [[1]]\n[loss]\nkind = "sum"\n[train]\nlr = 0.1\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"data\.target.*the sum loss reads none"):
        load(spec)
    status, out, err = run_cli([str(spec), "-o", "-"], capsys)
    assert status == 2 and "n.toml" in err and "target" in err and "Traceback" not in err
