"""Reading nn.Modules into derive's layers: numbers, structure, errors, and torch agreement."""

from __future__ import annotations

import copy
import math
import random
import struct
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from _tools import require_torch

torch = require_torch()

from derive.errors import SpecError  # noqa: E402
from derive.from_torch import (  # noqa: E402
    layers_from_module,
    layers_from_module_path,
    shortest_decimal,
)
from derive.network import Data, Layer, Network, Train  # noqa: E402
from derive.torch_reference import torch_run  # noqa: E402
from _tools import load_fixture, require_shared_seed, torch_loss

FIXTURES = Path(__file__).parent / "fixtures"
# CI clones the repository into a folder with shared/ beside it, as in the working checkout.
UNSUPPORTED = str(FIXTURES / "unsupported.py")


def as_float32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


# --- shortest decimals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, is_float32, expected",
    [
        (as_float32(0.15), True, Fraction(3, 20)),
        (as_float32(0.1), True, Fraction(1, 10)),
        (as_float32(-0.55), True, Fraction(-11, 20)),
        (as_float32(1 / 3), True, Fraction("0.33333334")),
        (as_float32(1e-8), True, Fraction("1e-8")),
        (as_float32(123456.79), True, Fraction("123456.79")),
        (0.0, True, Fraction(0)),
        (-0.0, True, Fraction(0)),
        (0.1, False, Fraction(1, 10)),
        (1 / 3, False, Fraction("0.3333333333333333")),
        (as_float32(0.15), False, Fraction("0.15000000596046448")),
        (2.0**-1074, False, Fraction("5e-324")),
    ],
)
def test_shortest_decimal_table(value, is_float32, expected):
    assert shortest_decimal(value, is_float32) == expected


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_shortest_decimal_refuses_non_finite_values(value):
    with pytest.raises(ValueError):
        shortest_decimal(value, True)


def significant_digits(number: Fraction) -> int:
    digits = 1
    while Fraction(f"{float(number):.{digits - 1}e}") != number:
        digits += 1
    return digits


def test_shortest_decimal_round_trips_and_is_shortest_on_random_float32():
    rng = random.Random(0)
    for _ in range(3000):
        bits = rng.getrandbits(32)
        value = struct.unpack("<f", struct.pack("<I", bits))[0]
        if not math.isfinite(value):
            continue
        decimal = shortest_decimal(value, True)
        assert as_float32(float(decimal)) == value
        digits = significant_digits(decimal)
        if digits > 1 and value != 0:
            shorter = Fraction(f"{value:.{digits - 2}e}")
            assert as_float32(float(shorter)) != value


# --- the seed script and our fixtures --------------------------------------------------------


def fractions(rows):
    return tuple(tuple(Fraction(v) for v in row) for row in rows)


SEED_LAYERS = (
    Layer("sigmoid", fractions([["0.15", "0.20"], ["0.25", "0.30"]]), (Fraction("0.35"),) * 2),
    Layer("sigmoid", fractions([["0.40", "0.45"], ["0.50", "0.55"]]), (Fraction("0.60"),) * 2),
)


def test_seed_script_reads_as_the_seed_fractions():
    layers = layers_from_module_path(str(require_shared_seed()), "Net")
    assert layers == SEED_LAYERS
    assert layers[0].weight[0][0] == Fraction(3, 20)
    assert all(layer.bias_kind == "per_neuron" and layer.bias_trained for layer in layers)


def test_seed_written_again_with_a_sibling_import_and_a_main_block():
    path_before = list(sys.path)
    layers = layers_from_module_path(str(FIXTURES / "seed_again.py"), "SeedAgain")
    assert layers == SEED_LAYERS
    assert sys.path == path_before


# (file, name, [(activation, out, in, bias kind, negative slope)])
SUPPORTED = [
    ("sequential_tanh.py", "SequentialTanh",
     [("tanh", 4, 3, "per_neuron", None), ("identity", 2, 4, "per_neuron", None)]),
    ("sequential_tanh.py", "MODEL",
     [("tanh", 3, 2, "per_neuron", None), ("sigmoid", 1, 3, "per_neuron", None)]),
    ("functional_relu.py", "FunctionalRelu",
     [("relu", 4, 3, "none", None), ("identity", 3, 4, "per_neuron", None)]),
    ("seed_again.py", "SeedAgain",
     [("sigmoid", 2, 2, "per_neuron", None), ("sigmoid", 2, 2, "per_neuron", None)]),
    ("method_leaky.py", "MethodLeaky",
     [("leaky_relu", 3, 2, "per_neuron", Fraction(1, 5)), ("sigmoid", 2, 3, "per_neuron", None)]),
    ("nested.py", "Nested",
     [("relu", 3, 2, "per_neuron", None), ("tanh", 3, 3, "per_neuron", None),
      ("leaky_relu", 2, 3, "per_neuron", Fraction(1, 10))]),
]
SUPPORTED_IDS = [name for _, name, _ in SUPPORTED]


def linears_in_call_order(module: torch.nn.Module, width: int) -> list[torch.nn.Linear]:
    """The Linear modules in the order forward calls them, found with hooks rather than fx."""
    order: list[torch.nn.Linear] = []
    hooks = [
        m.register_forward_hook(lambda m, i, o: order.append(m))
        for m in module.modules()
        if isinstance(m, torch.nn.Linear)
    ]
    dtype = next(module.parameters()).dtype
    module(torch.zeros(1, width, dtype=dtype))
    for hook in hooks:
        hook.remove()
    return order


@pytest.mark.parametrize("file, name, expected", SUPPORTED, ids=SUPPORTED_IDS)
def test_fixture_structure_and_weights(file, name, expected):
    layers = layers_from_module_path(str(FIXTURES / file), name)
    shape = [
        (l.activation, l.out_features, l.in_features, l.bias_kind,
         l.negative_slope if l.activation == "leaky_relu" else None)
        for l in layers
    ]
    assert shape == expected

    module = load_fixture(file, name)
    linears = linears_in_call_order(module, layers[0].in_features)
    for layer, linear in zip(layers, linears, strict=True):
        is_float32 = linear.weight.dtype == torch.float32
        assert layer.weight == tuple(
            tuple(shortest_decimal(v, is_float32) for v in row) for row in linear.weight.tolist()
        )
        if linear.bias is not None:
            biases = linear.bias.tolist()
            assert layer.bias == tuple(shortest_decimal(v, is_float32) for v in biases)
        for row, torch_row in zip(layer.weight, linear.weight.tolist()):
            for mine, theirs in zip(row, torch_row):
                written = float(mine)
                assert (as_float32(written) if is_float32 else written) == theirs


def test_module_instance_can_be_read_directly():
    module = load_fixture("functional_relu.py", "FunctionalRelu")
    layers = layers_from_module(module)
    assert [l.activation for l in layers] == ["relu", "identity"]


def test_frozen_bias_is_read_as_not_trained():
    module = load_fixture("method_leaky.py", "MethodLeaky")
    module.second.bias.requires_grad_(False)
    layers = layers_from_module(module)
    assert layers[0].bias_trained and not layers[1].bias_trained


# --- the layers read back must behave exactly like the module --------------------------------


LOSSES = {
    "SequentialTanh": "mse",
    "MODEL": "bce",
    "FunctionalRelu": "cross_entropy",
    "SeedAgain": "half_sse",
    "MethodLeaky": "bce",
    "Nested": "sse",
}


def random_data(rng: random.Random, loss: str, n_in: int, n_out: int, batch: int = 3) -> Data:
    inputs = tuple(tuple(Fraction(rng.randint(-100, 100), 50) for _ in range(n_in))
                   for _ in range(batch))
    if loss == "cross_entropy":
        return Data(inputs, tuple(rng.randrange(n_out) for _ in range(batch)))
    if loss == "bce":
        return Data(inputs, tuple(tuple(Fraction(rng.randint(0, 4), 4) for _ in range(n_out))
                                  for _ in range(batch)))
    return Data(inputs, tuple(tuple(Fraction(rng.randint(-50, 50), 50) for _ in range(n_out))
                              for _ in range(batch)))


@pytest.mark.parametrize("file, name, expected", SUPPORTED, ids=SUPPORTED_IDS)
def test_torch_run_of_the_read_layers_equals_the_module_in_float64(file, name, expected):
    layers = layers_from_module_path(str(FIXTURES / file), name)
    loss = LOSSES[name]
    data = random_data(random.Random(name), loss, layers[0].in_features, layers[-1].out_features)
    network = Network(layers, data, loss=loss, train=Train("sgd", lr=Fraction(1, 10), steps=1))
    result = torch_run(network)

    # The module itself, in float64, at the decimals derive read (0.15, not float32's 0.15000001).
    module = load_fixture(file, name)
    is_float32 = next(module.parameters()).dtype == torch.float32
    module = copy.deepcopy(module).double()
    with torch.no_grad():
        for parameter in module.parameters():
            decimals = [shortest_decimal(v, is_float32) for v in parameter.flatten().tolist()]
            parameter.copy_(torch.tensor([float(d) for d in decimals],
                                         dtype=torch.float64).reshape(parameter.shape))
    linears = linears_in_call_order(module, layers[0].in_features)
    inputs = torch.tensor([[float(v) for v in row] for row in data.inputs], dtype=torch.float64)
    if data.targets_are_indices:
        targets = torch.tensor(list(data.targets))
    else:
        targets = torch.tensor([[float(v) for v in row] for row in data.targets],
                               dtype=torch.float64)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    optimizer.zero_grad()
    output = module(inputs)
    value = torch_loss(loss, output, targets)
    value.backward()

    step = result["steps"][0]
    assert step["loss"] == pytest.approx(value.item(), abs=1e-12)
    assert_close(step["layers"][-1]["a"], output.tolist())
    for record, linear in zip(step["layers"], linears, strict=True):
        assert_close(record["weight"], linear.weight.tolist())
        assert_close(record["grad_weight"], linear.weight.grad.tolist())
        if linear.bias is not None:
            assert_close(record["grad_bias"], linear.bias.grad.tolist())
    optimizer.step()
    for record, linear in zip(result["final"]["layers"], linears, strict=True):
        assert_close(record["weight"], linear.weight.tolist())


def assert_close(mine, theirs, tolerance: float = 1e-12) -> None:
    flat_mine = torch.tensor(mine, dtype=torch.float64).flatten()
    flat_theirs = torch.tensor(theirs, dtype=torch.float64).flatten()
    assert flat_mine.shape == flat_theirs.shape
    assert torch.max(torch.abs(flat_mine - flat_theirs)).item() <= tolerance


# --- what derive refuses, and how it says so -------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("WithConv", ["unsupported operation `conv (Conv1d)`", "node conv"]),
        ("Residual", ["unsupported operation `add`", "residual"]),
        ("WithExp", ["unsupported operation `exp`", "node exp"]),
        ("WithDropout", ["`features.2 (Dropout)`", "dropout"]),
        ("TwoActivations", ["two activations in a row", "`tanh`", "`relu`"]),
        ("ActivationFirst", ["`sigmoid`", "before any Linear"]),
        ("SharedLinear", ["`fc` is used twice"]),
        ("Branching", ["`fc2`", "plain chain"]),
        ("DataDependent", ["torch.fx cannot trace", "control flow"]),
        ("TwoInputs", ["takes 2 inputs"]),
        ("ReturnsTwo", ["single tensor"]),
        ("WidthMismatch", ["`fc2` takes 2 inputs", "`fc1`", "3 outputs"]),
        ("NoLinear", ["no nn.Linear layer"]),
        ("NeedsArguments", ["needs arguments (width)"]),
        ("FailsToBuild", ["RuntimeError: no weights file found"]),
        ("not_a_module", ["is a function, not an nn.Module class"]),
        ("Residul", ["no class `Residul`", "did you mean `Residual`"]),
    ],
)
def test_refusals_name_the_operation_and_the_place(name, expected):
    with pytest.raises(SpecError) as caught:
        layers_from_module_path(UNSUPPORTED, name)
    message = str(caught.value)
    assert message.startswith(UNSUPPORTED)
    assert "\n" not in message
    assert "second line" not in message
    for part in expected:
        assert part in message


def test_unsupported_messages_list_what_is_supported():
    with pytest.raises(SpecError, match="derive supports Linear layers with sigmoid, tanh"):
        layers_from_module_path(UNSUPPORTED, "WithExp")


def test_missing_class_with_nothing_close_lists_the_file_s_classes(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("from torch import nn\n\nclass Net(nn.Module):\n    pass\n")
    with pytest.raises(SpecError, match=r"no class `Zebra`; the file defines `Net`$"):
        layers_from_module_path(str(path), "Zebra")


@pytest.mark.parametrize(
    "content, expected",
    [
        ("import not_a_module_derive_knows\n",
         "importing the file failed: ModuleNotFoundError: No module named"),
        ("def broken(:\n", "importing the file failed: SyntaxError"),
        ("raise SystemExit(3)\n", "importing the file failed: SystemExit: 3"),
    ],
)
def test_a_file_that_fails_to_import_is_named(tmp_path, content, expected):
    path = tmp_path / "model.py"
    path.write_text(content)
    with pytest.raises(SpecError) as caught:
        layers_from_module_path(str(path), "Net")
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)
    assert str(tmp_path) not in sys.path


def test_bad_paths(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        layers_from_module_path(str(tmp_path / "absent.py"), "Net")
    with pytest.raises(SpecError, match="is a folder"):
        layers_from_module_path(str(tmp_path), "Net")
    text = tmp_path / "model.txt"
    text.write_text("")
    with pytest.raises(SpecError, match=r"expected a Python file ending in \.py"):
        layers_from_module_path(str(text), "Net")


class Spelled(torch.nn.Module):
    """One Linear followed by the activation ``apply`` writes, in whatever spelling it uses."""

    def __init__(self, apply):
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)
        self.apply_activation = apply

    def forward(self, x):
        return self.apply_activation(self.fc(x))


F = torch.nn.functional


@pytest.mark.parametrize(
    "apply, activation, slope",
    [
        (torch.nn.Sigmoid(), "sigmoid", None),
        (torch.nn.Tanh(), "tanh", None),
        (torch.nn.ReLU(inplace=True), "relu", None),
        (torch.nn.LeakyReLU(), "leaky_relu", Fraction(1, 100)),
        (torch.nn.Identity(), "identity", None),
        (torch.relu, "relu", None),
        (F.sigmoid, "sigmoid", None),
        (F.tanh, "tanh", None),
        (lambda x: F.leaky_relu(x), "leaky_relu", Fraction(1, 100)),
        (lambda x: F.leaky_relu(x, 0.3), "leaky_relu", Fraction(3, 10)),
        (lambda x: F.leaky_relu(x, negative_slope=0.25), "leaky_relu", Fraction(1, 4)),
        (lambda x: x.relu(), "relu", None),
        (lambda x: x.tanh(), "tanh", None),
        (lambda x: torch.sigmoid(x), "sigmoid", None),
    ],
)
def test_every_spelling_of_an_activation(apply, activation, slope):
    (layer,) = layers_from_module(Spelled(apply))
    assert layer.activation == activation
    if slope is not None:
        assert layer.negative_slope == slope


def test_a_frozen_weight_is_refused():
    module = Spelled(torch.sigmoid)
    module.fc.weight.requires_grad_(False)
    with pytest.raises(SpecError, match="`fc` has a frozen weight"):
        layers_from_module(module)


def test_tracing_errors_name_the_class_when_no_file_is_given():
    with pytest.raises(SpecError, match=r"^Spelled: unsupported operation `exp`"):
        layers_from_module(Spelled(torch.exp))
