"""The PyTorch float64 oracle against the seed, finite differences and textbook optimizers."""

from __future__ import annotations

import copy
import math
import random
from fractions import Fraction

import pytest

from _tools import require_torch

require_torch()

from derive.network import Data, Layer, Network, Train  # noqa: E402
from derive.torch_reference import torch_run  # noqa: E402


def fractions(rows: list[list[str]]) -> tuple[tuple[Fraction, ...], ...]:
    return tuple(tuple(Fraction(v) for v in row) for row in rows)


def seed_network(bias1=None, bias2=None, train_bias=True, steps=1) -> Network:
    """The seed: Matt Mazur's 2-2-2 sigmoid net, per-neuron trained biases unless told."""
    bias1 = bias1 if bias1 is not None else (Fraction("0.35"),) * 2
    bias2 = bias2 if bias2 is not None else (Fraction("0.60"),) * 2
    return Network(
        layers=(
            Layer("sigmoid", fractions([["0.15", "0.20"], ["0.25", "0.30"]]), bias1, train_bias),
            Layer("sigmoid", fractions([["0.40", "0.45"], ["0.50", "0.55"]]), bias2, train_bias),
        ),
        data=Data(fractions([["0.05", "0.10"]]), fractions([["0.01", "0.99"]])),
        loss="half_sse",
        train=Train(optimizer="sgd", lr=Fraction(1, 2), steps=steps),
    )


# --- facts from the seed script and the blog post ------------------------------------------


def test_seed_loss_and_gradient_match_the_published_figures():
    result = torch_run(seed_network())
    step = result["steps"][0]
    assert step["loss"] == pytest.approx(0.298371108760, abs=1e-12)
    assert step["layers"][1]["grad_weight"][0][0] == pytest.approx(0.0821670405, abs=1e-10)
    assert step["layers"][0]["z"] == [[pytest.approx(0.3775), pytest.approx(0.3925)]]
    assert step["layers"][1]["a"][0] == pytest.approx([0.75136507, 0.772928465], abs=1e-8)


def test_seed_update_matches_what_seed_net_prints():
    final = torch_run(seed_network())["final"]["layers"]
    rounded = [
        {
            "weight": [[round(v, 4) for v in row] for row in layer["weight"]],
            "bias": [round(v, 4) for v in layer["bias"]],
        }
        for layer in final
    ]
    assert rounded == [
        {"weight": [[0.1498, 0.1996], [0.2498, 0.2995]], "bias": [0.3456, 0.3450]},
        {"weight": [[0.3589, 0.4087], [0.5113, 0.5614]], "bias": [0.5308, 0.6190]},
    ]


def test_blog_post_classic_shared_frozen_biases():
    network = seed_network(Fraction("0.35"), Fraction("0.60"), train_bias=False)
    result = torch_run(network)
    assert result["steps"][0]["layers"][0]["bias"] == 0.35
    assert result["steps"][0]["layers"][0]["grad_bias"] is None
    final = result["final"]
    assert final["layers"][1]["weight"] == [
        [pytest.approx(0.35891648, abs=1e-8), pytest.approx(0.408666186, abs=1e-9)],
        [pytest.approx(0.511301270, abs=1e-9), pytest.approx(0.561370121, abs=1e-9)],
    ]
    assert final["layers"][0]["weight"][0][0] == pytest.approx(0.149780716, abs=1e-9)
    assert final["layers"][0]["bias"] == 0.35
    # The post rounds its intermediate values, so its total error agrees to about 1e-7.
    assert final["loss"] == pytest.approx(0.291027924, abs=1e-6)


# --- shape of the derive-json/1 document ----------------------------------------------------


def test_result_has_the_derive_json_shape():
    result = torch_run(seed_network(steps=3))
    assert result["format"] == "derive-json/1"
    assert len(result["steps"]) == 3
    assert result["loss_history"] == [step["loss"] for step in result["steps"]]
    assert result["loss_history"][1] == pytest.approx(0.28047144679, abs=1e-11)
    for step in result["steps"]:
        assert set(step) == {"loss", "layers"}
        for layer in step["layers"]:
            assert set(layer) == {"weight", "bias", "z", "a", "grad_weight", "grad_bias"}
            assert len(layer["z"]) == len(layer["a"]) == 1
            assert len(layer["z"][0]) == len(layer["grad_weight"]) == 2
    assert set(result["final"]) == {"loss", "layers"}
    assert set(result["final"]["layers"][0]) == {"weight", "bias"}
    assert result["final"]["loss"] < result["loss_history"][-1]


def test_steps_chain_each_update_into_the_next_step():
    result = torch_run(seed_network(steps=2))
    after_first = result["steps"][1]["layers"]
    first = result["steps"][0]["layers"]
    for before, after in zip(first, after_first):
        expected = [
            [w - 0.5 * g for w, g in zip(wr, gr)]
            for wr, gr in zip(before["weight"], before["grad_weight"])
        ]
        assert after["weight"] == [pytest.approx(row, abs=1e-15) for row in expected]


def test_shared_bias_gradient_is_the_sum_over_neurons():
    per_neuron = torch_run(seed_network())["steps"][0]["layers"]
    shared = torch_run(seed_network(Fraction("0.35"), Fraction("0.60")))["steps"][0]["layers"]
    for p, s in zip(per_neuron, shared):
        assert isinstance(s["grad_bias"], float)
        assert s["grad_bias"] == pytest.approx(sum(p["grad_bias"]), abs=1e-15)
        assert s["grad_weight"] == p["grad_weight"]


def test_no_bias_and_frozen_bias_report_null_gradients():
    seed = seed_network()
    network = Network(
        layers=(
            Layer("sigmoid", seed.layers[0].weight, None),
            Layer("sigmoid", seed.layers[1].weight, (Fraction("0.6"),) * 2, train_bias=False),
        ),
        data=seed.data,
        train=Train(steps=2),
    )
    result = torch_run(network)
    for step in result["steps"]:
        assert step["layers"][0]["bias"] is None
        assert step["layers"][0]["grad_bias"] is None
        assert step["layers"][1]["grad_bias"] is None
        assert step["layers"][1]["bias"] == [0.6, 0.6]
    assert result["final"]["layers"][0]["bias"] is None
    assert result["final"]["layers"][1]["bias"] == [0.6, 0.6]


# --- an independent float64 implementation: forward pass and losses ------------------------


def activate(kind: str, z: float, slope: float) -> float:
    if kind == "sigmoid":
        return 1 / (1 + math.exp(-z))
    if kind == "tanh":
        return math.tanh(z)
    if kind == "relu":
        return max(z, 0.0)
    if kind == "leaky_relu":
        return z if z > 0 else slope * z
    return z


def reference_loss(network: Network, params: list[dict]) -> float:
    """The loss of ``network`` at ``params`` (derive-json layer dicts), in plain Python."""
    rows = [[float(v) for v in row] for row in network.data.inputs]
    for layer, p in zip(network.layers, params):
        bias = p["bias"]
        new_rows = []
        for x in rows:
            out = []
            for j, w_row in enumerate(p["weight"]):
                z = sum(w * xi for w, xi in zip(w_row, x))
                if isinstance(bias, list):
                    z += bias[j]
                elif bias is not None:
                    z += bias
                out.append(activate(layer.activation, z, float(layer.negative_slope)))
            new_rows.append(out)
        rows = new_rows
    return reference_loss_of_outputs(network, rows)


def reference_loss_of_outputs(network: Network, outputs: list[list[float]]) -> float:
    kind, data = network.loss, network.data
    if kind == "cross_entropy":
        total = 0.0
        for i, o in enumerate(outputs):
            log_norm = math.log(sum(math.exp(v) for v in o))
            if data.targets_are_indices:
                total += log_norm - o[data.targets[i]]
            else:
                total += sum(float(t) * (log_norm - v) for t, v in zip(data.targets[i], o))
        return total / len(outputs)
    pairs = [
        (o, float(t)) for out, tar in zip(outputs, data.targets) for o, t in zip(out, tar)
    ]
    if kind == "half_sse":
        return 0.5 * sum((o - t) ** 2 for o, t in pairs)
    if kind == "sse":
        return sum((o - t) ** 2 for o, t in pairs)
    if kind == "mse":
        return sum((o - t) ** 2 for o, t in pairs) / len(pairs)
    if kind == "bce":
        return -sum(t * math.log(o) + (1 - t) * math.log(1 - o) for o, t in pairs) / len(pairs)
    raise AssertionError(kind)


def parameter_slots(network: Network, params: list[dict]):
    """Yield (layer index, key, row or None, column or None) for every trained scalar."""
    for l, (layer, p) in enumerate(zip(network.layers, params)):
        for j, row in enumerate(p["weight"]):
            for k in range(len(row)):
                yield l, "weight", j, k
        if layer.bias_trained:
            if isinstance(p["bias"], list):
                for j in range(len(p["bias"])):
                    yield l, "bias", j, None
            else:
                yield l, "bias", None, None


def get_slot(params, slot) -> float:
    l, key, j, k = slot
    value = params[l][key]
    if j is not None:
        value = value[j]
    if k is not None:
        value = value[k]
    return value


def set_slot(params, slot, value: float) -> None:
    l, key, j, k = slot
    if j is None:
        params[l][key] = value
    elif k is None:
        params[l][key][j] = value
    else:
        params[l][key][j][k] = value


def gradient_slot(layers, slot) -> float:
    l, key, j, k = slot
    grads = [{"weight": layer["grad_weight"], "bias": layer["grad_bias"]} for layer in layers]
    return get_slot(grads, slot)


def random_network(rng: random.Random, loss: str, widths: list[int], batch: int) -> Network:
    """A small random net; biases cycle through every kind the spec allows."""

    def number(scale: int = 100) -> Fraction:
        return Fraction(rng.randint(-scale, scale), 100)

    activations = ["tanh", "leaky_relu", "relu", "sigmoid"]
    biases = ["per_neuron", "shared", "none", "frozen"]
    layers = []
    for l, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        last = l == len(widths) - 2
        activation = activations[l % len(activations)]
        if last:
            activation = {"bce": "sigmoid", "cross_entropy": "identity"}.get(loss, "tanh")
        weight = tuple(tuple(number() for _ in range(n_in)) for _ in range(n_out))
        kind = biases[l % len(biases)]
        bias = {
            "per_neuron": tuple(number() for _ in range(n_out)),
            "shared": number(),
            "none": None,
            "frozen": tuple(number() for _ in range(n_out)),
        }[kind]
        layers.append(
            Layer(activation, weight, bias, train_bias=kind != "frozen",
                  negative_slope=Fraction(1, 5))
        )
    inputs = tuple(tuple(number(200) for _ in range(widths[0])) for _ in range(batch))
    n_out = widths[-1]
    if loss == "cross_entropy" and rng.random() < 0.5:
        targets = tuple(rng.randrange(n_out) for _ in range(batch))
    elif loss == "cross_entropy":
        targets = tuple(probability_row(rng, n_out) for _ in range(batch))
    elif loss == "bce":
        targets = tuple(tuple(Fraction(rng.randint(0, 10), 10) for _ in range(n_out))
                        for _ in range(batch))
    else:
        targets = tuple(tuple(number() for _ in range(n_out)) for _ in range(batch))
    return Network(tuple(layers), Data(inputs, targets), loss=loss)


def probability_row(rng: random.Random, n: int) -> tuple[Fraction, ...]:
    weights = [rng.randint(1, 9) for _ in range(n)]
    return tuple(Fraction(w, sum(weights)) for w in weights)


LOSS_CASES = [
    (loss, seed)
    for loss in ("half_sse", "sse", "mse", "bce", "cross_entropy")
    for seed in range(3)
]


@pytest.mark.parametrize("loss, seed", LOSS_CASES)
def test_gradients_match_central_finite_differences(loss, seed):
    rng = random.Random(f"{loss}-{seed}")
    network = random_network(rng, loss, [3, 4, 4, 3], batch=3)
    step = torch_run(network)["steps"][0]
    params = [{"weight": layer["weight"], "bias": layer["bias"]} for layer in step["layers"]]
    assert step["loss"] == pytest.approx(reference_loss(network, params), rel=1e-13, abs=1e-15)

    h = 1e-6
    for slot in parameter_slots(network, params):
        shifted = copy.deepcopy(params)
        value = get_slot(params, slot)
        set_slot(shifted, slot, value + h)
        up = reference_loss(network, shifted)
        set_slot(shifted, slot, value - h)
        down = reference_loss(network, shifted)
        numeric = (up - down) / (2 * h)
        assert gradient_slot(step["layers"], slot) == pytest.approx(numeric, abs=1e-7), slot


def test_cross_entropy_accepts_both_target_forms():
    rng = random.Random(7)
    base = random_network(rng, "cross_entropy", [2, 3], batch=2)
    indices = Network(base.layers, Data(base.data.inputs, (2, 0)), loss="cross_entropy")
    one_hot = Network(
        base.layers,
        Data(base.data.inputs, fractions([["0", "0", "1"], ["1", "0", "0"]])),
        loss="cross_entropy",
    )
    by_index, by_rows = torch_run(indices), torch_run(one_hot)
    assert by_index["steps"][0]["loss"] == pytest.approx(by_rows["steps"][0]["loss"], rel=1e-15)
    for a, b in zip(by_index["steps"][0]["layers"], by_rows["steps"][0]["layers"]):
        for row_a, row_b in zip(a["grad_weight"], b["grad_weight"]):
            assert row_a == pytest.approx(row_b, rel=1e-14, abs=1e-16)


# --- torch.optim against the textbook update rules -----------------------------------------


def flat_parameters(network: Network, layers: list[dict]) -> list[float]:
    return [get_slot(layers, slot) for slot in parameter_slots(network, layers)]


def flat_gradients(network: Network, layers: list[dict]) -> list[float]:
    return [gradient_slot(layers, slot) for slot in parameter_slots(network, layers)]


def sgd_steps(train: Train, params: list[float], grads_per_step: list[list[float]]):
    """torch.optim.SGD (dampening 0, no Nesterov) as its documentation writes it."""
    lr, momentum, decay = float(train.lr), float(train.momentum), float(train.weight_decay)
    buffers: list[float] | None = None
    history = []
    for grads in grads_per_step:
        g = [gi + decay * p for gi, p in zip(grads, params)]
        if momentum:
            buffers = g if buffers is None else [momentum * b + gi for b, gi in zip(buffers, g)]
            g = buffers
        params = [p - lr * gi for p, gi in zip(params, g)]
        history.append(params)
    return history


def adam_steps(train: Train, params: list[float], grads_per_step: list[list[float]]):
    """torch.optim.Adam (L2 weight decay, not AdamW) as its documentation writes it."""
    lr, decay, eps = float(train.lr), float(train.weight_decay), float(train.eps)
    beta1, beta2 = (float(b) for b in train.betas)
    m = [0.0] * len(params)
    v = [0.0] * len(params)
    history = []
    for t, grads in enumerate(grads_per_step, start=1):
        g = [gi + decay * p for gi, p in zip(grads, params)]
        m = [beta1 * mi + (1 - beta1) * gi for mi, gi in zip(m, g)]
        v = [beta2 * vi + (1 - beta2) * gi * gi for vi, gi in zip(v, g)]
        m_hat = [mi / (1 - beta1**t) for mi in m]
        v_hat = [vi / (1 - beta2**t) for vi in v]
        params = [p - lr * mh / (math.sqrt(vh) + eps) for p, mh, vh in zip(params, m_hat, v_hat)]
        history.append(params)
    return history


OPTIMIZER_CASES = [
    Train("sgd", lr=Fraction(1, 10), steps=3),
    Train("sgd", lr=Fraction(1, 10), momentum=Fraction(9, 10), steps=3),
    Train("sgd", lr=Fraction(1, 5), momentum=Fraction(1, 2), weight_decay=Fraction(1, 100),
          steps=3),
    Train("adam", lr=Fraction(1, 100), steps=3),
    Train("adam", lr=Fraction(1, 20), betas=(Fraction(1, 2), Fraction(3, 4)),
          eps=Fraction(1, 1000), weight_decay=Fraction(1, 10), steps=3),
]


@pytest.mark.parametrize("train", OPTIMIZER_CASES, ids=lambda t: f"{t.optimizer}-{t.lr}")
def test_optimizer_steps_follow_the_textbook_rules(train):
    rng = random.Random(11)
    base = random_network(rng, "mse", [3, 4, 4, 3, 2], batch=2)
    network = Network(base.layers, base.data, loss="mse", train=train)
    result = torch_run(network)
    steps = result["steps"]
    frozen_before = [layer["bias"] for layer in steps[0]["layers"]]

    start = flat_parameters(network, steps[0]["layers"])
    grads = [flat_gradients(network, step["layers"]) for step in steps]
    rule = sgd_steps if train.optimizer == "sgd" else adam_steps
    expected = rule(train, start, grads)

    later = [step["layers"] for step in steps[1:]] + [result["final"]["layers"]]
    for want, layers in zip(expected, later):
        assert flat_parameters(network, layers) == pytest.approx(want, rel=1e-12, abs=1e-15)
    for l, layer in enumerate(network.layers):
        if not layer.bias_trained:
            assert result["final"]["layers"][l]["bias"] == frozen_before[l]

    # Each recorded loss is the loss at that step's parameters.
    for step, loss in zip(steps, result["loss_history"]):
        params = [{"weight": p["weight"], "bias": p["bias"]} for p in step["layers"]]
        assert loss == pytest.approx(reference_loss(network, params), rel=1e-13)
    final_params = result["final"]["layers"]
    assert result["final"]["loss"] == pytest.approx(
        reference_loss(network, final_params), rel=1e-13
    )
