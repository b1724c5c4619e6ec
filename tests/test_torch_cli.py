"""--from-torch on the command line: the seed script, fixtures against their own autograd, refusals."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest


from _tools import require_torch
from _tools import require_shared_seed, run_cli as run, cli_json as derive_json, load_fixture as load_module, torch_loss

torch = require_torch()
np = pytest.importorskip("numpy")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SEED_COPY = FIXTURES / "seed" / "seed_net.py"  # the seed script, byte for byte
SEED_COMMAND = ["--input", "0.05,0.10", "--target", "0.01,0.99", "--loss", "half_sse", "--lr", "0.5"]
PROVENANCE = "The starting parameters come from the module's float32 tensors"


# --- the seed script gives the built-in mazur derivation -------------------------------------

SEEDS = [
    pytest.param("shared", id="shared-seed"),
    pytest.param(str(SEED_COPY) + ":Net", id="seed-copy"),
    pytest.param(str(FIXTURES / "seed_again.py") + ":SeedAgain", id="seed-again"),
]


def test_the_fixture_copy_of_the_seed_script_is_the_seed_script():
    assert SEED_COPY.read_bytes() == require_shared_seed().read_bytes()


def seed_target(target: str) -> str:
    """A SEEDS entry as FILE.py:NAME; 'shared' is the script in ../shared/seed (required in CI)."""
    return f"{require_shared_seed()}:Net" if target == "shared" else target


@pytest.mark.parametrize("target", SEEDS)
def test_seed_json_equals_the_builtin_mazur(target, capsys):
    target = seed_target(target)
    assert derive_json(["--from-torch", target] + SEED_COMMAND, capsys) == derive_json(["mazur"], capsys)


@pytest.mark.parametrize("target", SEEDS)
def test_seed_markdown_is_the_mazur_derivation(target, capsys):
    target = seed_target(target)
    status, ours, err = run(["--from-torch", target] + SEED_COMMAND + ["-o", "-"], capsys)
    assert status == 0, err
    _, mazur, _ = run(["mazur", "-o", "-"], capsys)
    # Only the source named in the introduction and the provenance sentence differ.
    assert PROVENANCE in ours and "(0.15 rather than 0.150000006)" in ours
    normalised = ours.replace(f"`{target}`", "`mazur`")
    normalised = re.sub(r" The starting parameters come from [^\n]*? as exact\.", "", normalised)
    assert normalised == mazur
    assert section(ours, "The backward pass") == section(mazur, "The backward pass")


def section(markdown: str, title: str) -> str:
    return markdown.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_seed_name_and_source(capsys, tmp_path, monkeypatch):
    status, _, err = run(["--from-torch", f"{SEED_COPY}:Net"] + SEED_COMMAND, capsys, tmp_path, monkeypatch)
    assert status == 0, err
    assert (tmp_path / "output" / "seed_net.md").exists()
    assert "wrote output/seed_net.md" in err
    text = (tmp_path / "output" / "seed_net.md").read_text()
    assert f"`{SEED_COPY}:Net`" in text


def test_defaults_are_half_sse_sgd_lr_half_one_step(capsys):
    short = derive_json(["--from-torch", f"{SEED_COPY}:Net", "--input", "0.05,0.10", "--target", "0.01,0.99"], capsys)
    assert short == derive_json(["mazur"], capsys)


def test_spec_with_a_torch_table_relative_to_the_spec(capsys, tmp_path, monkeypatch):
    spec = FIXTURES / "seed_torch.toml"
    monkeypatch.chdir(tmp_path)  # the module path is relative to the spec, not to the current folder
    assert derive_json([str(spec)], capsys) == derive_json(["mazur"], capsys)


# --- every fixture against the module's own float64 autograd ---------------------------------

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


@pytest.mark.parametrize(
    "file, name, inputs, targets, loss, optimizer, lr, steps",
    FIXTURE_RUNS,
    ids=[f"{run[1]}-{run[4]}-{run[5]}" for run in FIXTURE_RUNS],
)
def test_fixture_numbers_equal_the_module_s_own_autograd(file, name, inputs, targets, loss, optimizer, lr, steps, capsys):
    ours = derive_json(
        ["--from-torch", f"{FIXTURES / file}:{name}", "--input", inputs, "--target", targets,
         "--loss", loss, "--optimizer", optimizer, "--lr", lr, "--steps", str(steps)],
        capsys,
    )
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


def shortest(value: float, dtype: torch.dtype) -> float:
    """The decimal a person would write for a stored value, found with numpy rather than derive."""
    if dtype == torch.float32:
        return float(np.format_float_positional(np.float32(value), unique=True))
    return value


def module_autograd(file, name, inputs, targets, loss, optimizer, lr, steps) -> dict:
    """Train the module itself in float64, at the decimals its parameters were written as."""
    module = load_module(file, name)
    dtype = next(module.parameters()).dtype
    module = module.double()
    with torch.no_grad():
        for parameter in module.parameters():
            values = [shortest(v, dtype) for v in parameter.flatten().tolist()]
            parameter.copy_(torch.tensor(values, dtype=torch.float64).reshape(parameter.shape))
    x = torch.tensor([[float(v) for v in row.split(",")] for row in inputs.split(";")], dtype=torch.float64)
    rows = [[float(v) for v in row.split(",")] for row in targets.split(";")]
    if loss == "cross_entropy" and all(len(r) == 1 for r in rows):
        y = torch.tensor([int(r[0]) for r in rows])
    else:
        y = torch.tensor(rows, dtype=torch.float64)

    linears: list[torch.nn.Linear] = []
    seen: list[tuple] = []  # (linear, its input, its output) in call order

    def hook(linear, args, output):
        seen.append((linear, args[0].detach().clone(), output.detach().clone()))  # before any in-place op

    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, torch.nn.Linear)]
    make = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer]
    opt = make(module.parameters(), lr=lr)
    history = []
    record: dict = {}
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
            record = {
                "loss": value.item(),
                "layers": [
                    {
                        "weight": linear.weight.tolist(),
                        "bias": None if linear.bias is None else linear.bias.tolist(),
                        "z": z.tolist(),
                        "a": a.tolist(),
                        "grad_weight": linear.weight.grad.tolist(),
                        "grad_bias": None if linear.bias is None else linear.bias.grad.tolist(),
                    }
                    for (linear, _, z), a in zip(seen, activations)
                ],
            }
        opt.step()
    for handle in handles:
        handle.remove()
    with torch.no_grad():
        final_loss = torch_loss(loss, module(x), y).item()
    record["loss_history"] = history
    record["final_loss"] = final_loss
    record["final_layers"] = [
        {"weight": l.weight.tolist(), "bias": None if l.bias is None else l.bias.tolist()} for l in linears
    ]
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


# --- what is refused, and how ----------------------------------------------------------------

UNSUPPORTED = [
    ("unsupported.py", "WithConv", ["`conv (Conv1d)`", "node conv"]),
    ("unsupported.py", "Residual", ["`add`", "residual"]),
    ("unsupported.py", "WithExp", ["`exp`"]),
    ("unsupported.py", "WithDropout", ["`features.2 (Dropout)`"]),
    ("cli_nets.py", "WithSoftmax", ["`softmax`", "cross_entropy"]),
    ("cli_nets.py", "WithFlatten", ["`net.0 (Flatten)`"]),
    ("cli_nets.py", "Scaled", ["`mul`"]),
    ("cli_nets.py", "WithLayerNorm", ["`norm (LayerNorm)`"]),
    ("cli_nets.py", "OwnParameter", ["`self.weight`"]),
]


@pytest.mark.parametrize("file, name, expected", UNSUPPORTED, ids=[u[1] for u in UNSUPPORTED])
def test_unsupported_modules_exit_2_naming_the_operation(file, name, expected, capsys, tmp_path, monkeypatch):
    status, out, err = run(
        ["--from-torch", f"{FIXTURES / file}:{name}", "--input", "0.1,0.2", "--target", "0.3,0.4"],
        capsys, tmp_path, monkeypatch,
    )
    assert status == 2
    assert err.startswith(f"derive: {FIXTURES / file}:{name}: ")
    for part in expected:
        assert part in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "output").exists()


SEED = f"{SEED_COPY}:Net"
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
    (["--from-torch", SEED, "--input", "0.1,0.2;0.3,x"], "--input (row 2, value 2)", "'x'"),
    (["--from-torch", SEED, "--input", "1e99999999,0.1"], "--input (value 1)", "float64's range"),
    (["--from-torch", SEED, "--input", "0.1,0.2,0.3"], "--input: expected rows of 2 numbers", "3 numbers"),
    (["--from-torch", SEED, "--input", "0.1,0.2;0.3"], "--input (row 2): expected 2 numbers", "found 1"),
    (["--from-torch", SEED, "--target", "0.1"], "--target: expected rows of 2 numbers", "1 number"),
    (["--from-torch", SEED, "--target", "0.1,0.2;0.3,0.4"], "--target: expected 1 row, one per input row", "2 rows"),
    (["--from-torch", SEED, "--target", "0.1,2", "--loss", "bce"], "--target (row 1, value 2)", "probability"),
    (["--from-torch", SEED, "--target", "5", "--loss", "cross_entropy"], "--target (row 1)", "class index from 0 to 1"),
    (["--from-torch", SEED, "--loss", "mse2"], "--loss: expected one of", "did you mean 'mse'?"),
    (["--from-torch", SEED, "--optimizer", "adma"], "--optimizer: expected one of sgd, adam", "did you mean 'adam'?"),
    (["--from-torch", SEED, "--lr", "0"], "--lr: expected a number greater than 0", "found 0"),
    (["--from-torch", SEED, "--lr", "fast"], "--lr: expected a decimal number", "'fast'"),
    (["--from-torch", SEED, "--steps", "0"], "--steps: expected a whole number of at least 1", ""),
    (["--from-torch", SEED, "--steps", "two"], "--steps: expected a whole number", "'two'"),
    (["mazur", "--from-torch", SEED], "either a SPEC (mazur) or --from-torch", ""),
    (["--input", "0.1,0.2"], "--input only goes with --from-torch", "[data]"),
    (["mazur", "--lr", "0.1", "--steps", "2"], "--lr, --steps only go with --from-torch", "[train]"),
]


@pytest.mark.parametrize("argv, message, detail", BAD_OPTIONS, ids=[" ".join(b[0])[-40:] for b in BAD_OPTIONS])
def test_bad_options_exit_2_with_one_clear_line(argv, message, detail, capsys, tmp_path, monkeypatch):
    defaults = {"--input": "0.05,0.10", "--target": "0.01,0.99"} if "--from-torch" in argv else {}
    for option, value in defaults.items():
        if option not in argv:
            argv = argv + [option, value]
    status, _, err = run(argv, capsys, tmp_path, monkeypatch)
    assert status == 2, err
    assert message in err and detail in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "output").exists()


def test_missing_input_and_target_are_named(capsys):
    status, _, err = run(["--from-torch", SEED, "-o", "-"], capsys)
    assert status == 2
    assert "--from-torch needs --input and --target" in err
