"""Property tests: random feed-forward networks of every kind against PyTorch float64.

Each example mixes the activations, losses, batch sizes, bias styles, optimizers and step counts
the spec allows. Two things must equal torch.optim + autograd (derive.torch_reference) within
1e-9 relative (1e-12 absolute near 0):

- every number of derive's JSON: the first step's z, a, gradients and loss, the loss history,
  and the final parameters and loss;
- every number the scalar document derives for a net input, an output, a loss, a gradient
  dE/dp or an updated parameter.

Weights, inputs and targets are two-decimal numbers in [-1, 1], so every value stays well
conditioned. Cases where float64 rounding alone moves a ReLU's net input across its kink at 0
(derive's exact arithmetic then takes the other branch, rightly) are not comparable with float64
and are discarded with ``assume``.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

try:
    from ._tools import require_torch
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from _tools import require_torch

from derive import numbers
from derive.derivation import build_document
from derive.graph import Partial
from derive.network import ACTIVATIONS, Data, Layer, Network, Train
from derive.render import render_json
from derive.training import train

require_torch()
from derive.torch_reference import torch_run  # noqa: E402  (needs torch)
from _tools import assert_same, close

RELATIVE = 1e-9
ABSOLUTE = 1e-12
BIAS_STYLES = ("per_neuron", "shared", "frozen", "shared_frozen", "none")
LOSS_KINDS = ("half_sse", "sse", "mse", "bce", "cross_entropy")
PIECEWISE = ("relu", "leaky_relu")

# Bounded so that the whole file runs in well under 90 s on two slow cores.
JSON_RUNS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
DOCUMENT_RUNS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# ---------------------------------------------------------------- random networks


def decimals(low: int = -100, high: int = 100):
    """Two-decimal numbers in [low/100, high/100], as exact Fractions."""
    return st.integers(low, high).map(lambda n: Fraction(n, 100))


@st.composite
def layers_for(draw, widths: list[int], loss: str) -> tuple[Layer, ...]:
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
        last = index == len(widths) - 2
        if last and loss == "bce":
            activation = "sigmoid"  # nn.BCELoss needs outputs in [0, 1]
        elif last and loss == "cross_entropy":
            # usually identity logits, as with nn.CrossEntropyLoss, but any activation is allowed
            activation = draw(st.sampled_from(("identity", "identity", "identity") + ACTIVATIONS))
        else:
            activation = draw(st.sampled_from(ACTIVATIONS))
        weight = tuple(tuple(draw(decimals()) for _ in range(fan_in)) for _ in range(fan_out))
        style = draw(st.sampled_from(BIAS_STYLES))
        if style in ("per_neuron", "frozen"):
            bias: object = tuple(draw(decimals()) for _ in range(fan_out))
        elif style in ("shared", "shared_frozen"):
            bias = draw(decimals())
        else:
            bias = None
        slope = draw(st.integers(1, 50).map(lambda n: Fraction(n, 100)))
        layers.append(Layer(activation, weight, bias, style not in ("frozen", "shared_frozen"), slope))
    return tuple(layers)


@st.composite
def targets_for(draw, loss: str, batch: int, outputs: int):
    if loss == "cross_entropy":
        if draw(st.booleans()):
            return tuple(draw(st.integers(0, outputs - 1)) for _ in range(batch))
        rows = []
        for _ in range(batch):
            weights = [draw(st.integers(0, 4)) for _ in range(outputs)]
            if not any(weights):
                weights[0] = 1
            rows.append(tuple(Fraction(w, sum(weights)) for w in weights))
        return tuple(rows)
    low = 0 if loss == "bce" else -100
    return tuple(tuple(draw(decimals(low, 100)) for _ in range(outputs)) for _ in range(batch))


@st.composite
def trainings(draw, max_steps: int = 4) -> Train:
    steps = draw(st.integers(1, max_steps))
    decay = draw(st.sampled_from((Fraction(0), Fraction(0), Fraction(1, 100), Fraction(1, 10))))
    if draw(st.booleans()):
        momentum = draw(st.sampled_from((Fraction(0), Fraction(1, 2), Fraction(9, 10), Fraction(99, 100))))
        lr = draw(st.integers(1, 100).map(lambda n: Fraction(n, 100)))
        return Train("sgd", lr, momentum, decay, steps=steps)
    lr = draw(st.integers(1, 20).map(lambda n: Fraction(n, 100)))
    betas = (draw(st.integers(50, 99).map(lambda n: Fraction(n, 100))), draw(st.integers(900, 999).map(lambda n: Fraction(n, 1000))))
    eps = draw(st.sampled_from((Fraction(1, 10**8), Fraction(1, 10**6), Fraction(1, 10**4))))
    return Train("adam", lr, Fraction(0), decay, betas, eps, steps)


@st.composite
def random_networks(draw, max_depth: int = 3, max_width: int = 3, max_batch: int = 4, max_steps: int = 4) -> Network:
    loss = draw(st.sampled_from(LOSS_KINDS))
    depth = draw(st.integers(1, max_depth))
    widths = [draw(st.integers(1, max_width)) for _ in range(depth + 1)]
    if loss == "cross_entropy":
        widths[-1] = draw(st.integers(2, max(2, max_width)))
    batch = draw(st.integers(1, max_batch))
    layers = draw(layers_for(widths, loss))
    inputs = tuple(tuple(draw(decimals()) for _ in range(widths[0])) for _ in range(batch))
    targets = draw(targets_for(loss, batch, widths[-1]))
    return Network(layers, Data(inputs, targets), loss, draw(trainings(max_steps)), "A random network", "random", "random")


# ---------------------------------------------------------------- comparing


def comparable_with_float64(network: Network, training, reference: dict) -> bool:
    """False where float64 rounding alone puts a ReLU's net input on the other side of 0 than exact arithmetic."""
    for index, layer in enumerate(network.layers):
        if layer.activation not in PIECEWISE:
            continue
        for s, sample in enumerate(training.first.samples):
            for exact, rounded in zip(sample.z[index], reference["steps"][0]["layers"][index]["z"][s]):
                if (exact > 0) != (rounded > 0):
                    return False
                if exact != 0 and abs(numbers.to_float(exact)) < 1e-9:
                    return False
        # later steps run in float64 on both sides, with different rounding
        for step in reference["steps"][1:]:
            for row in step["layers"][index]["z"]:
                if any(0 < abs(z) < 1e-9 for z in row):
                    return False
    return True


def assert_json_matches_torch(network: Network, training, reference: dict) -> None:
    derived = json.loads(render_json(network, training))
    assert derived["format"] == reference["format"] == "derive-json/1"
    assert len(derived["steps"]) >= 1
    first, expected = derived["steps"][0], reference["steps"][0]
    assert_same(first["loss"], expected["loss"], "steps[0].loss")
    assert len(first["layers"]) == len(expected["layers"])
    for l, (layer, torch_layer) in enumerate(zip(first["layers"], expected["layers"])):
        for key in ("weight", "bias", "z", "a", "grad_weight", "grad_bias"):
            assert_same(layer[key], torch_layer[key], f"steps[0].layers[{l}].{key}")
    assert len(derived["loss_history"]) == network.train.steps
    assert_same(derived["loss_history"], reference["loss_history"], "loss_history")
    assert_same(derived["final"]["loss"], reference["final"]["loss"], "final.loss")
    for l, (layer, torch_layer) in enumerate(zip(derived["final"]["layers"], reference["final"]["layers"])):
        assert_same(layer["weight"], torch_layer["weight"], f"final.layers[{l}].weight")
        assert_same(layer["bias"], torch_layer["bias"], f"final.layers[{l}].bias")


def torch_parameter(layer: dict, parameter, weight_key: str, bias_key: str):
    """The torch number of a derive.graph.Parameter in one layer record."""
    if parameter.kind == "weight":
        return layer[weight_key][parameter.row][parameter.column]
    bias = layer[bias_key]
    return bias if parameter.row is None else bias[parameter.row]


def document_expectations(document, reference: dict) -> dict:
    """Every lhs the scalar document may derive, mapped to its torch number: a function of the equation's sample.

    z and a come per sample from torch's first step; the loss and the gradients are the batch's; an
    updated parameter is the one torch's second step starts from (or the final one after one step).
    """
    graph = document.graph
    steps = reference["steps"]
    first = steps[0]["layers"]
    after = steps[1]["layers"] if len(steps) > 1 else reference["final"]["layers"]
    expected: dict = {graph.loss_total: lambda sample: steps[0]["loss"]}
    for index, layer in enumerate(graph.layers):
        for unit in layer:
            expected[unit.z] = lambda sample, l=index, j=unit.index: first[l]["z"][sample][j]
            expected[unit.a] = lambda sample, l=index, j=unit.index: first[l]["a"][sample][j]
    for parameter in graph.parameters:
        if parameter.trained:
            gradient = torch_parameter(first[parameter.layer], parameter, "grad_weight", "grad_bias")
            updated = torch_parameter(after[parameter.layer], parameter, "weight", "bias")
            expected[Partial(graph.loss_total, parameter.symbol)] = lambda sample, v=gradient: v
            expected[sp.Symbol(f"{parameter.symbol.name}_new", real=True)] = lambda sample, v=updated: v
    return expected


def check_document(document, reference: dict) -> int:
    """Compare every mapped equation value with torch; return how many were compared."""
    expected = document_expectations(document, reference)
    compared = 0
    for section in document.sections:
        for block in section.blocks:
            for equation in block.equations:
                if equation.value is None or equation.lhs not in expected:
                    continue
                torch_value = expected[equation.lhs](equation.sample)
                value = numbers.to_float(equation.value)
                assert close(value, torch_value), (
                    f"section {section.key}: {equation.lhs} = {value!r} in the document, torch {torch_value!r}"
                )
                compared += 1
    return compared


# ---------------------------------------------------------------- the properties


@JSON_RUNS
@given(random_networks())
def test_every_json_value_equals_torch(network: Network) -> None:
    training = train(network)
    reference = torch_run(network)
    assume(comparable_with_float64(network, training, reference))
    assert_json_matches_torch(network, training, reference)


@DOCUMENT_RUNS
@given(random_networks(max_depth=3, max_width=3, max_batch=3, max_steps=3))
def test_every_derived_document_value_equals_torch(network: Network) -> None:
    training = train(network)
    reference = torch_run(network)
    assume(comparable_with_float64(network, training, reference))
    document = build_document(network, training=training)
    compared = check_document(document, reference)
    # every neuron of the detailed samples (z and a), the loss, every trained parameter's gradient and update
    detailed = min(network.data.batch_size, 2)
    units = sum(network.widths[1:])
    trained = sum(1 for p in document.graph.parameters if p.trained)
    assert compared >= 2 * units * detailed + 2 * trained + 1


@pytest.mark.parametrize("loss", LOSS_KINDS)
@pytest.mark.parametrize("optimizer", ("sgd", "adam"))
def test_one_fixed_network_of_each_loss_and_optimizer(loss: str, optimizer: str) -> None:
    """A deterministic anchor for the random tests: 2-3-2 mixed activations, batch 3, 3 steps."""
    outputs = 3 if loss == "cross_entropy" else 2
    last = {"bce": "sigmoid", "cross_entropy": "identity"}.get(loss, "tanh")
    layers = (
        Layer("leaky_relu", ((Fraction(3, 10), Fraction(-1, 5)), (Fraction(1, 2), Fraction(7, 10)), (Fraction(-2, 5), Fraction(1, 10))), (Fraction(1, 10), Fraction(-1, 5), Fraction(1, 20)), True, Fraction(1, 10)),
        Layer(last, tuple(tuple(Fraction(n, 10) for n in row) for row in ((2, -3, 5), (-4, 1, 3), (6, -2, -1))[:outputs]), Fraction(1, 4), True),
    )
    inputs = ((Fraction(1, 2), Fraction(-1, 4)), (Fraction(9, 10), Fraction(3, 10)), (Fraction(-7, 10), Fraction(1, 5)))
    if loss == "cross_entropy":
        targets: object = (2, 0, 1)
    elif loss == "bce":
        targets = ((Fraction(1), Fraction(0)), (Fraction(3, 10), Fraction(7, 10)), (Fraction(0), Fraction(1)))
    else:
        targets = ((Fraction(1, 10), Fraction(-1, 2)), (Fraction(3, 10), Fraction(7, 10)), (Fraction(0), Fraction(1)))
    if optimizer == "sgd":
        settings_ = Train("sgd", Fraction(1, 5), Fraction(9, 10), Fraction(1, 100), steps=3)
    else:
        settings_ = Train("adam", Fraction(1, 20), weight_decay=Fraction(1, 100), steps=3)
    network = Network(layers, Data(inputs, targets), loss, settings_, "fixed", "fixed", "fixed")
    training = train(network)
    reference = torch_run(network)
    assert comparable_with_float64(network, training, reference)
    assert_json_matches_torch(network, training, reference)
    document = build_document(network, training=training)
    assert check_document(document, reference) > 0
