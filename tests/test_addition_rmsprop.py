"""RMSprop (torch.optim.RMSprop: alpha, eps, momentum, centered, weight_decay): every step and every shown state against PyTorch."""

from __future__ import annotations

from fractions import Fraction

import pytest

from derive.api import Document, load
from derive.components import OPTIMIZERS

from _tools import require_torch

VARIANTS = [
    {},
    {"momentum": 0.9},
    {"centered": True},
    {"weight_decay": 0.01},
    {"centered": True, "momentum": 0.5, "weight_decay": 0.01, "alpha": 0.8, "eps": 1e-6},
]


def _spec(settings: dict, steps: int) -> dict:
    return {
        "layer": [
            {"activation": "sigmoid", "weight": [[0.15, 0.2], [0.25, 0.3]], "bias": [0.35, 0.35]},
            {"activation": "sigmoid", "weight": [[0.4, 0.45], [0.5, 0.55]], "bias": 0.6},
        ],
        "data": {"input": [[0.05, 0.1], [0.5, -0.2]], "target": [[0.01, 0.99], [0.7, 0.1]]},
        "train": {"optimizer": "rmsprop", "lr": 0.01, "steps": steps, **settings},
    }


@pytest.mark.parametrize("settings", VARIANTS, ids=lambda s: ",".join(s) or "plain")
def test_every_step_matches_torch_optim_rmsprop(settings: dict) -> None:
    require_torch()
    from derive.verify.reference import torch_run

    network = load(_spec(settings, 25))
    training = Document(network).training
    reference = torch_run(network)
    assert training.loss_history == pytest.approx(reference["loss_history"], rel=1e-12)
    assert training.final_loss == pytest.approx(reference["final"]["loss"], rel=1e-12)
    for ours, theirs in zip(training.final.weights, (layer["weight"] for layer in reference["final"]["layers"])):
        assert [v for row in ours for v in row] == pytest.approx([v for row in theirs for v in row], rel=1e-12)


@pytest.mark.parametrize("settings", VARIANTS, ids=lambda s: ",".join(s) or "plain")
def test_the_shown_states_are_torchs_buffers_after_the_first_step(settings: dict) -> None:
    """v, g-bar and the momentum buffer of every parameter equal the optimizer's state in PyTorch."""
    torch = require_torch()
    network = load(_spec(settings, 1))
    document = Document(network)
    quantities = document.quantities
    weight = torch.tensor([[0.4, 0.45], [0.5, 0.55]], dtype=torch.float64, requires_grad=True)
    hidden = torch.tensor([[0.15, 0.2], [0.25, 0.3]], dtype=torch.float64, requires_grad=True)
    bias_hidden = torch.tensor([0.35, 0.35], dtype=torch.float64, requires_grad=True)
    bias_out = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
    optimizer = network.train.optimizer.torch([hidden, bias_hidden, weight, bias_out])
    x = torch.tensor([[0.05, 0.1], [0.5, -0.2]], dtype=torch.float64)
    y = torch.tensor([[0.01, 0.99], [0.7, 0.1]], dtype=torch.float64)
    output = torch.sigmoid(torch.sigmoid(x @ hidden.T + bias_hidden) @ weight.T + bias_out)
    (0.5 * ((output - y) ** 2).sum()).backward()
    optimizer.step()
    state = optimizer.state[weight]
    assert quantities["v_w5"] == pytest.approx(state["square_avg"][0][0].item(), rel=1e-12)
    if settings.get("centered"):
        assert quantities["gavg_w5"] == pytest.approx(state["grad_avg"][0][0].item(), rel=1e-12)
    if settings.get("momentum"):
        assert quantities["buf_w5"] == pytest.approx(state["momentum_buffer"][0][0].item(), rel=1e-12)
    assert quantities["new_w5"] == pytest.approx(weight[0][0].item(), rel=1e-12)
    assert quantities["new_b1"] == pytest.approx(bias_out.item(), rel=1e-12)


def test_the_example_derives_the_centred_momentum_step() -> None:
    text = Document(load("rmsprop-step")).markdown()
    for shown in (r"\bar{g}_{w_{1}}", r"\tilde{v}_{w_{1}}", r"b_{w_{1}}", "torch.optim.RMSprop"):
        assert shown in text


def test_derive_from_torch_reads_an_rmsprop_optimizer() -> None:
    torch = require_torch()
    from derive.api import from_torch

    model = torch.nn.Sequential(torch.nn.Linear(2, 1))
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.02, alpha=0.95, momentum=0.3, centered=True)
    network = from_torch(model, torch.tensor([[1.0, 0.5]]), torch.tensor([[0.3]]), loss="mse", optimizer=optimizer)
    assert network.train.optimizer == OPTIMIZERS.make(
        "rmsprop", lr=Fraction(1, 50), alpha=Fraction(19, 20), momentum=Fraction(3, 10), centered=True
    )


def test_centered_must_be_true_or_false() -> None:
    from derive.errors import SpecError

    spec = _spec({"centered": "yes"}, 1)
    with pytest.raises(SpecError, match=r"train\.centered: expected true or false, found 'yes' \(a string\)"):
        load(spec)
