"""GELU (nn.GELU, exact erf form and tanh approximation): its display, its numbers and --from-torch, against SymPy and PyTorch."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from derive.api import Document, load
from derive.components import ACTIVATIONS
from derive.engine.arithmetic import Exact

from _tools import require_torch

Z, A = sp.symbols("z a", real=True)
POINTS = [-9.0, -2.5, -0.3, 0.0, 0.7, 3.1, 12.0]


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_the_shown_derivative_is_sympys_diff(approximate: str) -> None:
    gelu = ACTIVATIONS.make("gelu", approximate=approximate)
    difference = gelu.derivative(Z, A) - sp.diff(gelu.expression(Z), Z)
    for point in POINTS:
        assert abs(float(difference.subs(Z, point).evalf(40))) < 1e-30


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_the_float64_form_is_pytorchs(approximate: str) -> None:
    torch = require_torch()
    gelu = ACTIVATIONS.make("gelu", approximate=approximate)
    x = torch.tensor(POINTS, dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.gelu(x, approximate=approximate)
    y.sum().backward()
    for z, value, slope in zip(POINTS, y.tolist(), x.grad.tolist()):
        assert gelu.float_value(z) == pytest.approx(value, rel=1e-15, abs=1e-300)
        assert gelu.float_slope(z, value) == pytest.approx(slope, rel=1e-14, abs=1e-30)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("z", POINTS + [-40.0])
def test_the_exact_form_keeps_its_digits_where_float64_cancels(approximate: str, z: float) -> None:
    """At z = -9 float64's 1 + erf(z/sqrt 2) is 0; the exact form must still give SymPy's 40-digit value."""
    gelu = ACTIVATIONS.make("gelu", approximate=approximate)
    ops = Exact()
    value = gelu.expression(Z).subs(Z, sp.Rational(z)).evalf(60)
    slope = sp.diff(gelu.expression(Z), Z).subs(Z, sp.Rational(z)).evalf(60)
    assert abs(gelu.exact_value(Fraction(z), ops) - ops.mpf(str(value))) <= abs(ops.mpf(str(value))) * 1e-40 + 1e-300
    assert abs(gelu.exact_slope(Fraction(z), None, ops) - ops.mpf(str(slope))) <= abs(ops.mpf(str(slope))) * 1e-40 + 1e-300


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


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_a_gelu_network_matches_pytorch(approximate: str) -> None:
    spec = {
        "layer": [
            {"activation": "gelu", "approximate": approximate, "weight": [[0.5, -0.4], [0.3, 0.8]], "bias": [0.1, -0.2]},
            {"activation": "gelu", "approximate": approximate, "weight": [[0.7, -0.6]], "bias": [0.05]},
        ],
        "data": {"input": [[1.0, 0.5], [-0.5, 1.5]], "target": [[0.8], [-0.2]]},
        "loss": {"kind": "mse"},
        "train": {"lr": 0.1, "steps": 3},
    }
    _assert_matches_torch(load(spec))


def test_the_example_matches_pytorch_and_names_gelu() -> None:
    network = load("gelu-regression")
    _assert_matches_torch(network)
    text = Document(network).markdown()
    assert r"\operatorname{GELU}\left(\mathit{net}_{h1}\right)" in text
    assert "Gaussian error linear unit" in text


def test_from_torch_reads_the_gelu_module_and_function() -> None:
    torch = require_torch()
    from derive.api import from_torch

    class Modules(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = torch.nn.Linear(2, 2)
            self.act = torch.nn.GELU(approximate="tanh")
            self.second = torch.nn.Linear(2, 1)

        def forward(self, x):
            return torch.nn.functional.gelu(self.second(self.act(self.first(x))))

    network = from_torch(Modules(), torch.tensor([[1.0, 0.5]]), torch.tensor([[0.3]]), loss="mse", lr=0.1)
    assert [layer.activation for layer in network.layers] == [
        ACTIVATIONS.make("gelu", approximate="tanh"), ACTIVATIONS.make("gelu")
    ]


def test_a_wrong_approximation_is_refused_with_the_choices() -> None:
    from derive.errors import SpecError

    spec = {"layer": [{"activation": "gelu", "approximate": "fast", "weight": [[1.0]]}],
            "data": {"input": [[1.0]], "target": [[0.0]]}}
    with pytest.raises(SpecError, match=r"layer\[1\]\.approximate: expected one of none, tanh, found 'fast'"):
        load(spec)
