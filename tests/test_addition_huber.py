"""The Huber loss (nn.HuberLoss with delta): its display on both parts, its numbers and --from-torch, against SymPy and PyTorch."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from derive.api import Document, load
from derive.components import LOSSES
from derive.engine.arithmetic import Exact

from _tools import require_torch

A, Y = sp.symbols("a y", real=True)
DELTAS = [Fraction(1), Fraction(1, 2), Fraction(3)]
PAIRS = [(0.3, 0.1), (-0.2, 0.25), (2.5, -1.0), (-4.0, 1.0), (1.0, 0.5), (0.7, 0.7)]


@pytest.mark.parametrize("delta", DELTAS)
@pytest.mark.parametrize("a, y", PAIRS)
def test_the_shown_term_and_slope_are_the_definitions_part_and_its_diff(delta: Fraction, a: float, y: float) -> None:
    huber = LOSSES.make("huber", delta=delta)
    at = {A: sp.Rational(a), Y: sp.Rational(y)}
    whole = huber.term(A, Y)
    assert huber.term_shown(A, Y, a, y).subs(at) == whole.subs(at)
    if abs(a - y) != delta:  # the kink: both one-sided slopes are shown as the same value there
        slope = sp.diff(whole, A).subs(at)
        assert sp.nsimplify(huber.derivative_shown(A, Y, a, y).subs(at)) == sp.nsimplify(slope)


@pytest.mark.parametrize("delta", DELTAS)
def test_the_numbers_are_pytorchs(delta: Fraction) -> None:
    torch = require_torch()
    huber = LOSSES.make("huber", delta=delta)
    outputs = torch.tensor([a for a, _ in PAIRS], dtype=torch.float64, requires_grad=True)
    targets = torch.tensor([y for _, y in PAIRS], dtype=torch.float64)
    torch.nn.functional.huber_loss(outputs, targets, delta=float(delta), reduction="sum").backward()
    ops = Exact()
    for (a, y), slope in zip(PAIRS, outputs.grad.tolist()):
        term = torch.nn.functional.huber_loss(torch.tensor(a, dtype=torch.float64), torch.tensor(y, dtype=torch.float64),
                                              delta=float(delta)).item()
        assert huber.float_term(a, y) == pytest.approx(term, rel=1e-15)
        assert huber.float_slope(a, y) == pytest.approx(slope, rel=1e-15)
        assert float(huber.exact_term(Fraction(a), Fraction(y), ops)) == pytest.approx(term, rel=1e-15)
        assert float(huber.exact_slope(Fraction(a), Fraction(y), ops)) == pytest.approx(slope, rel=1e-15)


def _assert_matches_torch(network) -> None:
    require_torch()
    from derive.verify.reference import torch_run

    document = Document(network)
    reference = torch_run(network)
    first, step = document.training.first, reference["steps"][0]
    assert float(first.loss) == pytest.approx(step["loss"], rel=1e-12)
    for index in range(len(network.layers)):
        for j, row in enumerate(first.grad_weights[index]):
            for k, value in enumerate(row):
                assert float(value) == pytest.approx(step["layers"][index]["grad_weight"][j][k], rel=1e-12, abs=1e-15)
    assert document.training.loss_history == pytest.approx(reference["loss_history"], rel=1e-12)
    assert document.training.final_loss == pytest.approx(reference["final"]["loss"], rel=1e-12)


def test_the_example_shows_both_parts_and_matches_pytorch() -> None:
    network = load("huber-regression")
    _assert_matches_torch(network)
    text = Document(network).markdown()
    assert r"\left(\mathit{target}_{o1} - \mathit{out}_{o1}\right)^{2}" in text  # within delta: the square
    assert r"\operatorname{sign}" in text and "linear part of the Huber loss" in text  # beyond: the line


def test_a_batch_trained_with_huber_over_steps_matches_pytorch() -> None:
    spec = {
        "layer": [{"activation": "sigmoid", "weight": [[0.5, -0.4], [0.9, 0.8]], "bias": [0.1, -0.2]},
                  {"activation": "identity", "weight": [[2.0, -1.5]], "bias": [0.3]}],
        "data": {"input": [[1.0, 0.5], [-0.5, 1.5], [0.2, 0.2]], "target": [[3.0], [-0.2], [0.9]]},
        "loss": {"kind": "huber", "delta": 0.75},
        "train": {"optimizer": "sgd", "lr": 0.3, "momentum": 0.5, "steps": 6},
    }
    _assert_matches_torch(load(spec))


def test_from_torch_reads_a_huber_loss_module() -> None:
    torch = require_torch()
    from derive.api import from_torch

    network = from_torch(torch.nn.Sequential(torch.nn.Linear(2, 1)), torch.tensor([[1.0, 0.5]]), torch.tensor([[0.3]]),
                         loss=torch.nn.HuberLoss(delta=0.25), lr=0.1)
    assert network.loss == LOSSES.make("huber", delta=Fraction(1, 4))
