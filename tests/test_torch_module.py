"""Networks read from PyTorch (derive.spec.torch_module, derive.spec.torch_options): nn.Modules traced with
torch.fx, their weights as the decimals a person wrote, ``--from-torch`` and its options, and refusals.

The numbers of every fixture module are checked against the module's own autograd in float64, and the
seed script must give the built-in mazur derivation.
"""

from __future__ import annotations

import math
import random
import re
import struct
import sys
from fractions import Fraction

import pytest

from conftest import (
    FIXTURES, cli_json, load_fixture, require_numpy, require_torch, run_cli, section, torch_loss,
)
from derive.components import ACTIVATIONS
from derive.errors import SpecError

torch = require_torch()
np = require_numpy()

from derive.spec.torch_file import shortest_decimal  # noqa: E402
from derive.spec.torch_module import layers_from_module, read_module_path  # noqa: E402

SEED_COPY = FIXTURES / "seed" / "seed_net.py"  # the seed script, byte for byte
SEED = f"{SEED_COPY}:Net"
SEED_COMMAND = ["--input", "0.05,0.10", "--target", "0.01,0.99", "--loss", "half_sse", "--lr", "0.5"]
PROVENANCE = "The starting parameters come from the module's float32 tensors"
UNSUPPORTED = FIXTURES / "unsupported.py"


def as_float32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


# ---------------------------------------------------------------- shortest decimals


@pytest.mark.parametrize(
    "value, is_float32, expected",
    [
        (as_float32(0.15), True, Fraction(3, 20)), (as_float32(0.1), True, Fraction(1, 10)),
        (as_float32(-0.55), True, Fraction(-11, 20)), (as_float32(1 / 3), True, Fraction("0.33333334")),
        (as_float32(1e-8), True, Fraction("1e-8")), (as_float32(123456.79), True, Fraction("123456.79")),
        (0.0, True, Fraction(0)), (-0.0, True, Fraction(0)), (0.1, False, Fraction(1, 10)),
        (1 / 3, False, Fraction("0.3333333333333333")), (as_float32(0.15), False, Fraction("0.15000000596046448")),
        (2.0**-1074, False, Fraction("5e-324")),
    ],
)
def test_shortest_decimal_table(value: float, is_float32: bool, expected: Fraction) -> None:
    assert shortest_decimal(value, is_float32) == expected


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_shortest_decimal_refuses_non_finite_values(value: float) -> None:
    with pytest.raises(ValueError):
        shortest_decimal(value, True)


def test_shortest_decimal_round_trips_and_is_shortest_on_random_float32() -> None:
    def significant_digits(number: Fraction) -> int:
        digits = 1
        while Fraction(f"{float(number):.{digits - 1}e}") != number:
            digits += 1
        return digits

    rng = random.Random(0)
    for _ in range(3000):
        value = struct.unpack("<f", struct.pack("<I", rng.getrandbits(32)))[0]
        if not math.isfinite(value):
            continue
        decimal = shortest_decimal(value, True)
        assert as_float32(float(decimal)) == value
        digits = significant_digits(decimal)
        if digits > 1 and value != 0:
            assert as_float32(float(Fraction(f"{value:.{digits - 2}e}"))) != value


# ---------------------------------------------------------------- modules read as layers

SEED_LAYERS = [("sigmoid", ((Fraction("0.15"), Fraction("0.20")), (Fraction("0.25"), Fraction("0.30"))), (Fraction("0.35"),) * 2),
               ("sigmoid", ((Fraction("0.40"), Fraction("0.45")), (Fraction("0.50"), Fraction("0.55"))), (Fraction("0.60"),) * 2)]


def described(layers) -> list:
    return [(layer.activation.name, layer.weight, layer.bias) for layer in layers]


def test_the_fixture_copy_of_the_seed_script_is_the_seed_script() -> None:
    from conftest import shared_seed

    assert SEED_COPY.read_bytes() == shared_seed().read_bytes()


def test_the_seed_script_reads_as_the_seeds_decimals() -> None:
    layers, dtypes, names = read_module_path(str(SEED_COPY), "Net")  # the seed's own script, copied
    assert described(layers) == SEED_LAYERS and dtypes == ("float32",) and names == ("linear1", "linear2")
    assert all(layer.bias_kind == "per_neuron" and layer.bias_trained for layer in layers)


def test_the_seed_written_again_with_a_sibling_import_and_a_main_block() -> None:
    path_before = list(sys.path)
    assert described(read_module_path(str(FIXTURES / "seed_again.py"), "SeedAgain").layers) == SEED_LAYERS
    assert sys.path == path_before


# (file, name, [(activation, out, in, bias kind, negative slope)])
SUPPORTED = [
    ("sequential_tanh.py", "SequentialTanh", [("tanh", 4, 3, "per_neuron", None), ("identity", 2, 4, "per_neuron", None)]),
    ("sequential_tanh.py", "MODEL", [("tanh", 3, 2, "per_neuron", None), ("sigmoid", 1, 3, "per_neuron", None)]),
    ("functional_relu.py", "FunctionalRelu", [("relu", 4, 3, "none", None), ("identity", 3, 4, "per_neuron", None)]),
    ("seed_again.py", "SeedAgain", [("sigmoid", 2, 2, "per_neuron", None), ("sigmoid", 2, 2, "per_neuron", None)]),
    ("method_leaky.py", "MethodLeaky", [("leaky_relu", 3, 2, "per_neuron", Fraction(1, 5)), ("sigmoid", 2, 3, "per_neuron", None)]),
    ("nested.py", "Nested", [("relu", 3, 2, "per_neuron", None), ("tanh", 3, 3, "per_neuron", None),
                             ("leaky_relu", 2, 3, "per_neuron", Fraction(1, 10))]),
]


def linears_in_call_order(module, width: int) -> list:
    """The Linear modules in the order forward calls them, found with hooks rather than fx."""
    order = []
    hooks = [m.register_forward_hook(lambda m, i, o: order.append(m)) for m in module.modules() if isinstance(m, torch.nn.Linear)]
    module(torch.zeros(1, width, dtype=next(module.parameters()).dtype))
    for hook in hooks:
        hook.remove()
    return order


@pytest.mark.parametrize("file, name, expected", SUPPORTED, ids=[name for _, name, _ in SUPPORTED])
def test_a_fixture_modules_structure_and_weights(file: str, name: str, expected: list) -> None:
    layers = read_module_path(str(FIXTURES / file), name).layers
    assert [(l.activation.name, l.out_features, l.in_features, l.bias_kind, getattr(l.activation, "negative_slope", None))
            for l in layers] == expected
    module = load_fixture(file, name)
    for layer, linear in zip(layers, linears_in_call_order(module, layers[0].in_features), strict=True):
        is_float32 = linear.weight.dtype == torch.float32
        for row, torch_row in zip(layer.weight, linear.weight.tolist()):
            for mine, theirs in zip(row, torch_row):
                assert (as_float32(float(mine)) if is_float32 else float(mine)) == theirs  # reads back as the stored value
                assert mine == Fraction(np.format_float_positional(np.float32(theirs) if is_float32 else theirs, unique=True))
        if linear.bias is not None:
            assert [float(b) for b in layer.bias] == pytest.approx(linear.bias.tolist(), rel=1e-7)


def test_a_module_instance_is_read_directly_and_a_frozen_bias_is_not_trained() -> None:
    assert [l.activation.name for l in layers_from_module(load_fixture("functional_relu.py", "FunctionalRelu"))] == ["relu", "identity"]
    module = load_fixture("method_leaky.py", "MethodLeaky")
    module.second.bias.requires_grad_(False)
    layers = layers_from_module(module)
    assert layers[0].bias_trained and not layers[1].bias_trained


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
    "apply, activation, settings",
    [
        (torch.nn.Sigmoid(), "sigmoid", {}), (torch.nn.Tanh(), "tanh", {}), (torch.nn.ReLU(inplace=True), "relu", {}),
        (torch.nn.LeakyReLU(), "leaky_relu", {}), (torch.nn.Identity(), "identity", {}),
        (torch.relu, "relu", {}), (F.sigmoid, "sigmoid", {}), (F.tanh, "tanh", {}),
        (lambda x: F.leaky_relu(x), "leaky_relu", {}), (lambda x: F.leaky_relu(x, 0.3), "leaky_relu", {"negative_slope": Fraction(3, 10)}),
        (lambda x: F.leaky_relu(x, negative_slope=0.25), "leaky_relu", {"negative_slope": Fraction(1, 4)}),
        (lambda x: x.relu(), "relu", {}), (lambda x: x.tanh(), "tanh", {}), (lambda x: torch.sigmoid(x), "sigmoid", {}),
        (torch.nn.GELU(), "gelu", {}), (torch.nn.GELU(approximate="tanh"), "gelu", {"approximate": "tanh"}),
        (lambda x: F.gelu(x), "gelu", {}), (lambda x: F.gelu(x, approximate="tanh"), "gelu", {"approximate": "tanh"}),
        (torch.nn.Softplus(), "softplus", {}),
        (torch.nn.Softplus(beta=2.0, threshold=5.0), "softplus", {"beta": Fraction(2), "threshold": Fraction(5)}),
        (lambda x: F.softplus(x, 0.5, 10), "softplus", {"beta": Fraction(1, 2), "threshold": Fraction(10)}),
        (lambda x: F.softplus(x, beta=3), "softplus", {"beta": Fraction(3)}),
    ],
)
def test_every_spelling_of_an_activation(apply, activation: str, settings: dict) -> None:
    """Each module, function and method a forward may use, with its settings as numbers or strings in the call;
    the defaults are PyTorch's (LeakyReLU 0.01, GELU's exact form, Softplus beta 1 and threshold 20)."""
    (layer,) = layers_from_module(Spelled(apply))
    assert layer.activation == ACTIVATIONS.make(activation, **settings)


def test_a_frozen_weight_is_refused() -> None:
    module = Spelled(torch.sigmoid)
    module.fc.weight.requires_grad_(False)
    with pytest.raises(SpecError, match="`fc` has a frozen weight"):
        layers_from_module(module)


def test_tracing_errors_name_the_class_when_no_file_is_given() -> None:
    with pytest.raises(SpecError, match=r"^Spelled: unsupported operation `exp`"):
        layers_from_module(Spelled(torch.exp))


# ---------------------------------------------------------------- what is refused, and how

REFUSED = [
    ("unsupported.py", "WithConv", ["unsupported operation `conv (Conv1d)`", "node conv"]),
    ("unsupported.py", "Residual", ["unsupported operation `add`", "residual"]),
    ("unsupported.py", "WithExp", ["unsupported operation `exp`", "node exp",
                                       "derive supports Linear layers with gelu, identity, leaky_relu, relu, sigmoid, softplus or tanh"]),
    ("unsupported.py", "WithDropout", ["`features.2 (Dropout)`", "dropout"]),
    ("unsupported.py", "TwoActivations", ["two activations in a row", "`tanh`", "`relu`"]),
    ("unsupported.py", "ActivationFirst", ["`sigmoid`", "before any Linear"]),
    ("unsupported.py", "SharedLinear", ["`fc` is used twice"]),
    ("unsupported.py", "Branching", ["`fc2`", "plain chain"]),
    ("unsupported.py", "DataDependent", ["torch.fx cannot trace", "control flow"]),
    ("unsupported.py", "TwoInputs", ["takes 2 inputs"]),
    ("unsupported.py", "ReturnsTwo", ["single tensor"]),
    ("unsupported.py", "WidthMismatch", ["`fc2` takes 2 inputs", "`fc1`", "3 outputs"]),
    ("unsupported.py", "NoLinear", ["no nn.Linear layer"]),
    ("unsupported.py", "NeedsArguments", ["needs arguments (width)"]),
    ("unsupported.py", "FailsToBuild", ["RuntimeError: no weights file found"]),
    ("unsupported.py", "not_a_module", ["is a function, not an nn.Module class"]),
    ("unsupported.py", "Residul", ["no class `Residul`", "did you mean `Residual`"]),
    ("cli_nets.py", "WithSoftmax", ["`softmax`", "cross_entropy"]),
    ("cli_nets.py", "WithFlatten", ["`net.0 (Flatten)`"]),
    ("cli_nets.py", "Scaled", ["`mul`"]),
    ("cli_nets.py", "WithLayerNorm", ["`norm (LayerNorm)`"]),
    ("cli_nets.py", "OwnParameter", ["`self.weight`"]),
]


@pytest.mark.parametrize("file, name, expected", REFUSED, ids=[r[1] for r in REFUSED])
def test_an_unsupported_module_exits_2_naming_the_operation_and_the_place(file: str, name: str, expected: list, capsys,
                                                                          workdir) -> None:
    status, out, err = run_cli(["--from-torch", f"{FIXTURES / file}:{name}", "--input", "0.1,0.2", "--target", "0.3,0.4"], capsys)
    assert status == 2, err
    assert err.startswith(f"derive: {FIXTURES / file}")
    for part in expected:
        assert part in err, err
    assert "Traceback" not in err and err.count("\n") == 1 and "second line" not in err
    assert not (workdir / "output").exists()


def test_a_missing_class_with_nothing_close_lists_the_files_classes(tmp_path) -> None:
    path = tmp_path / "model.py"
    path.write_text("from torch import nn\n\nclass Net(nn.Module):\n    pass\n")
    with pytest.raises(SpecError, match=r"no class `Zebra`; the file defines `Net`$"):
        read_module_path(str(path), "Zebra")


@pytest.mark.parametrize(
    "content, expected",
    [("import not_a_module_derive_knows\n", "importing the file failed: ModuleNotFoundError: No module named"),
     ("def broken(:\n", "importing the file failed: SyntaxError"),
     ("raise SystemExit(3)\n", "importing the file failed: SystemExit: 3")],
)
def test_a_file_that_fails_to_import_is_named(tmp_path, content: str, expected: str) -> None:
    path = tmp_path / "model.py"
    path.write_text(content)
    with pytest.raises(SpecError) as caught:
        read_module_path(str(path), "Net")
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value)
    assert str(tmp_path) not in sys.path


def test_bad_paths(tmp_path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        read_module_path(str(tmp_path / "absent.py"), "Net")
    with pytest.raises(SpecError, match="is a folder"):
        read_module_path(str(tmp_path), "Net")
    (tmp_path / "model.txt").write_text("")
    with pytest.raises(SpecError, match=r"expected a Python file ending in \.py"):
        read_module_path(str(tmp_path / "model.txt"), "Net")


# ---------------------------------------------------------------- --from-torch: the seed script gives the built-in mazur

SEEDS = [
    pytest.param(SEED, id="seed-copy"),
    pytest.param(f"{FIXTURES / 'seed_again.py'}:SeedAgain", id="seed-again"),
]


def layers_numbered(markdown: str) -> str:
    """The PyTorch listing with the module's layer names (linear1, 0, model.2) as a spec's: layer1, layer2."""
    names: dict[str, str] = {}

    def number(match: re.Match) -> str:
        name = names.setdefault(match.group(1), f"layer{len(names) + 1}")
        return f"# {name}.{match.group(2)}"

    return re.sub(r"^# (\S+)\.(weight|bias)", number, markdown, flags=re.MULTILINE)


@pytest.mark.parametrize("target", SEEDS)
def test_the_seed_script_gives_the_builtin_mazur_json_and_derivation(target: str, capsys) -> None:
    assert cli_json(["--from-torch", target] + SEED_COMMAND, capsys) == cli_json(["mazur"], capsys)
    status, ours, err = run_cli(["--from-torch", target] + SEED_COMMAND + ["-o", "-"], capsys)
    assert status == 0, err
    _, mazur, _ = run_cli(["mazur", "-o", "-"], capsys)
    # Only the source named in the introduction and the provenance sentence differ.
    assert PROVENANCE in ours and "(0.15 rather than 0.150000006)" in ours
    normalised = re.sub(r" The starting parameters come from [^\n]*? as exact\.", "", ours.replace(f"`{target}`", "`mazur`"))
    assert layers_numbered(normalised) == mazur  # and the PyTorch listing names the module's layers
    assert section(ours, "The backward pass") == section(mazur, "The backward pass")


def test_the_seeds_name_and_source(capsys, workdir) -> None:
    status, _, err = run_cli(["--from-torch", SEED] + SEED_COMMAND, capsys)
    assert status == 0, err
    assert "wrote output/seed_net.md" in err
    assert f"`{SEED}`" in (workdir / "output" / "seed_net.md").read_text()


def test_the_defaults_are_half_sse_sgd_lr_half_one_step(capsys) -> None:
    short = cli_json(["--from-torch", SEED, "--input", "0.05,0.10", "--target", "0.01,0.99"], capsys)
    assert short == cli_json(["mazur"], capsys)


def test_a_spec_with_a_torch_table_reads_the_module_beside_the_spec(capsys, workdir) -> None:
    # the module path is relative to the spec, not to the current folder
    assert cli_json([str(FIXTURES / "seed_torch.toml"), "--trust-code"], capsys) == cli_json(["mazur"], capsys)


# ---------------------------------------------------------------- every fixture against the module's own autograd

# (file, name, --input, --target, --loss, --optimizer, --lr, --steps)
FIXTURE_RUNS = [
    ("sequential_tanh.py", "SequentialTanh", "0.6,0.3,0.1;0.2,0.9,-0.5", "0.1,0.2;0.3,-0.4", "mse", "adam", "0.01", 4),
    ("sequential_tanh.py", "MODEL", "0.5,-1", "0.75", "bce", "sgd", "0.5", 2),
    ("functional_relu.py", "FunctionalRelu", "0.6,0.3,0.1;0.2,0.9,-0.5;1,1,1", "2;0;1", "cross_entropy", "sgd", "0.1", 3),
    ("functional_relu.py", "FunctionalRelu", "0.6,0.3,0.1", "0.2,0.5,0.3", "cross_entropy", "sgd", "0.1", 1),
    ("seed_again.py", "SeedAgain", "0.05,0.10", "0.01,0.99", "half_sse", "sgd", "0.5", 3),
    ("method_leaky.py", "MethodLeaky", "0.6,-0.3;-1,2", "0,1;1,0.5", "bce", "adam", "0.05", 2),
    ("nested.py", "Nested", "0.6,0.3", "0.1,0.2", "sse", "sgd", "0.1", 2),
    ("cli_nets.py", "Tanh3", "0.5,-1", "0.2,-0.3", "half_sse", "sgd", "0.3", 2),
    ("cli_nets.py", "BareSigmoid", "0.5,-1;1,1", "0.2;0.9", "half_sse", "sgd", "0.5", 2),
]


def module_autograd(file, name, inputs, targets, loss, optimizer, lr, steps) -> dict:
    """Train the module itself in float64, at the decimals its parameters were written as (found with numpy)."""
    module = load_fixture(file, name)
    dtype = next(module.parameters()).dtype
    module = module.double()
    with torch.no_grad():
        for parameter in module.parameters():
            values = [float(np.format_float_positional(np.float32(v), unique=True)) if dtype == torch.float32 else v
                      for v in parameter.flatten().tolist()]
            parameter.copy_(torch.tensor(values, dtype=torch.float64).reshape(parameter.shape))
    x = torch.tensor([[float(v) for v in row.split(",")] for row in inputs.split(";")], dtype=torch.float64)
    rows = [[float(v) for v in row.split(",")] for row in targets.split(";")]
    if loss == "cross_entropy" and all(len(r) == 1 for r in rows):
        y = torch.tensor([int(r[0]) for r in rows])
    else:
        y = torch.tensor(rows, dtype=torch.float64)
    seen: list[tuple] = []  # (linear, its input, its output) in call order

    def hook(linear, args, output):
        seen.append((linear, args[0].detach().clone(), output.detach().clone()))  # before any in-place op

    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, torch.nn.Linear)]
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer](module.parameters(), lr=lr)
    history, record, linears = [], {}, []
    for step in range(steps):
        seen.clear()
        opt.zero_grad()
        output = module(x)
        value = torch_loss(loss, output, y)
        value.backward()
        history.append(value.item())
        if step == 0:
            linears = [linear for linear, _, _ in seen]
            activations = [inp for _, inp, _ in seen[1:]] + [output]
            record = {"loss": value.item(), "layers": [
                {"weight": linear.weight.tolist(), "bias": None if linear.bias is None else linear.bias.tolist(),
                 "z": z.tolist(), "a": a.tolist(), "grad_weight": linear.weight.grad.tolist(),
                 "grad_bias": None if linear.bias is None else linear.bias.grad.tolist()}
                for (linear, _, z), a in zip(seen, activations)]}
        opt.step()
    for handle in handles:
        handle.remove()
    with torch.no_grad():
        record["final_loss"] = torch_loss(loss, module(x), y).item()
    record["loss_history"] = history
    record["final_layers"] = [{"weight": l.weight.tolist(), "bias": None if l.bias is None else l.bias.tolist()} for l in linears]
    return record


def assert_close(mine, theirs, what: str = "") -> None:
    if theirs is None or mine is None:
        assert mine is theirs, what
        return
    flat_mine = torch.tensor(mine, dtype=torch.float64).flatten().tolist()
    flat_theirs = torch.tensor(theirs, dtype=torch.float64).flatten().tolist()
    assert len(flat_mine) == len(flat_theirs), what
    for a, b in zip(flat_mine, flat_theirs):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (what, a, b)


@pytest.mark.parametrize("file, name, inputs, targets, loss, optimizer, lr, steps", FIXTURE_RUNS,
                         ids=[f"{run[1]}-{run[4]}-{run[5]}" for run in FIXTURE_RUNS])
def test_a_fixture_modules_numbers_equal_its_own_autograd(file, name, inputs, targets, loss, optimizer, lr, steps, capsys) -> None:
    ours = cli_json(["--from-torch", f"{FIXTURES / file}:{name}", "--input", inputs, "--target", targets,
                     "--loss", loss, "--optimizer", optimizer, "--lr", lr, "--steps", str(steps)], capsys)
    theirs = module_autograd(file, name, inputs, targets, loss, optimizer, float(lr), steps)
    assert_close(ours["steps"][0]["loss"], theirs["loss"])
    for mine, record in zip(ours["steps"][0]["layers"], theirs["layers"], strict=True):
        for key in ("weight", "bias", "z", "a", "grad_weight", "grad_bias"):
            assert_close(mine[key], record[key], key)
    assert_close(ours["loss_history"], theirs["loss_history"])
    assert_close(ours["final"]["loss"], theirs["final_loss"])
    for mine, record in zip(ours["final"]["layers"], theirs["final_layers"], strict=True):
        assert_close(mine["weight"], record["weight"])
        assert_close(mine["bias"], record["bias"])


# ---------------------------------------------------------------- --from-torch options that are refused

BAD_OPTIONS = [
    (["--from-torch", str(SEED_COPY)], "expected FILE.py:NAME", "no colon"),
    (["--from-torch", f"{SEED_COPY}:"], "expected FILE.py:NAME", "found nothing"),
    (["--from-torch", ":Net"], "expected FILE.py:NAME", "no file before the colon"),
    (["--from-torch", f"{SEED_COPY}:Nett"], "no class `Nett`", "did you mean `Net`?"),
    (["--from-torch", "absent_model.py:Net"], "absent_model.py: no such file", ""),
    (["--from-torch", f"{FIXTURES}:Net"], "is a folder", ""),
    (["--from-torch", SEED, "--input", "0.05,abc"], "--input (value 2): expected a decimal number", "'abc'"),
    (["--from-torch", SEED, "--input", "0.05,nan"], "--input (value 2)", "'nan'"),
    (["--from-torch", SEED, "--input", "inf,0.1"], "--input (value 1)", "'inf'"),
    (["--from-torch", SEED, "--input", "1/3,0.1"], "--input (value 1)", "'1/3'"),
    (["--from-torch", SEED, "--input", "0.05,,0.1"], "--input (value 2): expected a number, found nothing", ""),
    (["--from-torch", SEED, "--input", "0.05;;x"], "--input (row 2, value 1): expected a number, found nothing", ""),
    (["--from-torch", SEED, "--input", "0.1,0.2;0.3,x"], "--input (row 2, value 2)", "'x'"),
    (["--from-torch", SEED, "--input", "1e99999999,0.1"], "--input (value 1)", "float64's range"),
    (["--from-torch", SEED, "--input", "0.1,0.2,0.3"], "--input: expected rows of 2 numbers", "3 numbers"),
    (["--from-torch", SEED, "--input", "0.1,0.2;0.3"], "--input (row 2): expected 2 numbers", "found 1"),
    (["--from-torch", SEED, "--target", "0.1"], "--target: expected rows of 2 numbers", "1 number"),
    (["--from-torch", SEED, "--target", "0.01,nan"], "--target (value 2)", "'nan'"),
    (["--from-torch", SEED, "--target", "0.1,0.2;0.3,0.4"], "--target: expected 1 row, one per input row", "2 rows"),
    (["--from-torch", SEED, "--target", "0.1,2", "--loss", "bce"], "--target (row 1, value 2)", "probability"),
    (["--from-torch", SEED, "--target", "5", "--loss", "cross_entropy"], "--target (row 1)", "class index from 0 to 1"),
    (["--from-torch", SEED, "--loss", "mse2"], "--loss: expected one of", "did you mean 'mse'?"),
    (["--from-torch", SEED, "--optimizer", "adma"], "--optimizer: expected one of adam, rmsprop, sgd", "did you mean 'adam'?"),
    (["--from-torch", SEED, "--lr", "0"], "--lr: expected a number greater than 0", "found 0"),
    (["--from-torch", SEED, "--lr", "-1"], "--lr: expected a number greater than 0", "found -1"),
    (["--from-torch", SEED, "--lr", "fast"], "--lr: expected a decimal number", "'fast'"),
    (["--from-torch", SEED, "--steps", "0"], "--steps: expected a whole number of at least 1", ""),
    (["--from-torch", SEED, "--steps", "two"], "--steps: expected a whole number", "'two'"),
    (["mazur", "--from-torch", SEED], "either a SPEC (mazur) or --from-torch", ""),
    (["--input", "0.1,0.2"], "--input only goes with --from-torch", "[data]"),
    (["mazur", "--lr", "0.1", "--steps", "2"], "--lr, --steps only go with --from-torch", "[train]"),
]


@pytest.mark.parametrize("argv, message, detail", BAD_OPTIONS, ids=[" ".join(b[0])[-40:] for b in BAD_OPTIONS])
def test_bad_options_exit_2_with_one_clear_line(argv: list, message: str, detail: str, capsys, workdir) -> None:
    if "--from-torch" in argv:
        for option, value in (("--input", "0.05,0.10"), ("--target", "0.01,0.99")):
            if option not in argv:
                argv = argv + [option, value]
    status, _, err = run_cli(argv, capsys)
    assert status == 2, err
    assert message in err and detail in err, err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not (workdir / "output").exists()


def test_missing_input_and_target_are_named(capsys) -> None:
    status, _, err = run_cli(["--from-torch", SEED, "-o", "-"], capsys)
    assert status == 2 and "--from-torch needs --input and --target" in err
