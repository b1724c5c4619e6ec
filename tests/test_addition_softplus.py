"""Softplus (nn.Softplus with beta and threshold): its display, its numbers and --from-torch, against SymPy and PyTorch."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from derive.api import Document, load
from derive.components import ACTIVATIONS
from derive.engine.arithmetic import Exact

from _tools import require_torch

Z, A = sp.symbols("z a", real=True)
POINTS = [-30.0, -2.5, -0.3, 0.0, 0.7, 1.9, 2.0, 2.1, 10.0, 25.0]
SETTINGS = [(Fraction(1), Fraction(20)), (Fraction(2), Fraction(4)), (Fraction(1, 2), Fraction(3))]


@pytest.mark.parametrize("beta, threshold", SETTINGS)
def test_the_shown_derivative_is_sympys_diff(beta: Fraction, threshold: Fraction) -> None:
    softplus = ACTIVATIONS.make("softplus", beta=beta, threshold=threshold)
    shown, diff = softplus.derivative(Z, A), sp.diff(softplus.expression(Z), Z)
    for point in POINTS:
        assert abs(float((shown - diff).subs(Z, sp.Rational(point)).evalf(40))) < 1e-30


@pytest.mark.parametrize("beta, threshold", SETTINGS)
def test_the_float64_form_is_pytorchs_and_the_exact_form_sympys(beta: Fraction, threshold: Fraction) -> None:
    torch = require_torch()
    softplus = ACTIVATIONS.make("softplus", beta=beta, threshold=threshold)
    x = torch.tensor(POINTS, dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.softplus(x, beta=float(beta), threshold=float(threshold))
    y.sum().backward()
    ops = Exact()
    for z, value, slope in zip(POINTS, y.tolist(), x.grad.tolist()):
        assert softplus.float_value(z) == pytest.approx(value, rel=1e-15)
        assert softplus.float_slope(z, value) == pytest.approx(slope, rel=1e-15)
        exact = softplus.expression(Z).subs(Z, sp.Rational(z)).evalf(60)
        assert abs(ops.mpf(softplus.exact_value(Fraction(z), ops)) - ops.mpf(str(exact))) <= abs(exact) * 1e-40 + 1e-300


def _assert_matches_torch(network) -> None:
    require_torch()
    from derive.verify.reference import torch_run

    document = Document(network)
    reference = torch_run(network)
    first, step = document.training.first, reference["steps"][0]
    for index in range(len(network.layers)):
        for s, sample in enumerate(first.samples):
            for j, value in enumerate(sample.a[index]):
                assert float(value) == pytest.approx(step["layers"][index]["a"][s][j], rel=1e-12)
        for j, row in enumerate(first.grad_weights[index]):
            for k, value in enumerate(row):
                assert float(value) == pytest.approx(step["layers"][index]["grad_weight"][j][k], rel=1e-12, abs=1e-15)
    assert document.training.final_loss == pytest.approx(reference["final"]["loss"], rel=1e-12)


def test_the_example_matches_pytorch_and_says_where_the_threshold_applies() -> None:
    network = load("softplus-regression")
    _assert_matches_torch(network)
    text = Document(network).markdown()
    assert r"\operatorname{softplus}\left(\mathit{net}_{h2}\right)" in text
    assert "above the threshold 4" in text  # net_h2 of sample 2 is 2.6, and 2 x 2.6 > 4


def test_a_deeper_softplus_network_over_steps_matches_pytorch() -> None:
    spec = {
        "layer": [
            {"activation": "softplus", "beta": 3, "threshold": 2, "weight": [[0.5, -0.4], [0.9, 0.8]], "bias": [0.1, -0.2]},
            {"activation": "softplus", "weight": [[0.7, -0.6]], "bias": [0.05]},
        ],
        "data": {"input": [[1.0, 0.5], [-0.5, 1.5]], "target": [[0.8], [-0.2]]},
        "loss": {"kind": "mse"},
        "train": {"optimizer": "adam", "lr": 0.05, "steps": 4},
    }
    _assert_matches_torch(load(spec))


def test_from_torch_reads_the_softplus_module_and_function() -> None:
    torch = require_torch()
    from derive.api import from_torch

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = torch.nn.Linear(2, 2)
            self.act = torch.nn.Softplus(beta=2.0, threshold=5.0)
            self.second = torch.nn.Linear(2, 1)

        def forward(self, x):
            return torch.nn.functional.softplus(self.second(self.act(self.first(x))), 0.5, 10)

    network = from_torch(Net(), torch.tensor([[1.0, 0.5]]), torch.tensor([[0.3]]), loss="mse", lr=0.1)
    assert [layer.activation for layer in network.layers] == [
        ACTIVATIONS.make("softplus", beta=Fraction(2), threshold=Fraction(5)),
        ACTIVATIONS.make("softplus", beta=Fraction(1, 2), threshold=Fraction(10)),
    ]


def test_a_beta_of_zero_is_refused() -> None:
    from derive.errors import SpecError

    spec = {"layer": [{"activation": "softplus", "beta": 0, "weight": [[1.0]]}],
            "data": {"input": [[1.0]], "target": [[0.0]]}}
    with pytest.raises(SpecError, match=r"layer\[1\]\.beta: expected a number greater than 0, found 0"):
        load(spec)
