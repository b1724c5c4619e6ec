"""derive.verify: the PyTorch reference (an oracle, checked here against the seed, finite differences
and its own contract) and --verify (its section, its JSON summary, failures that name the quantity).
"""

from __future__ import annotations

import copy
import math
import random
from fractions import Fraction

import pytest

from conftest import (
    FIXTURES, cli_json, make_layer, make_network, make_train, random_network, require_torch, run_cli, run_python,
    section, trained_slots,
)
from derive.api import load
from derive.derivation import derive_document
from derive.engine.training import train
from derive.network import Network
from derive.verify.report import Check, verification_section

torch = require_torch()

from derive.verify.reference import torch_run  # noqa: E402  (needs torch)


def seed_network(bias1=None, bias2=None, train_bias: bool = True, steps: int = 1) -> Network:
    """The seed: Matt Mazur's 2-2-2 sigmoid net, built here; per-neuron trained biases unless told."""
    bias1 = bias1 if bias1 is not None else ["0.35", "0.35"]
    bias2 = bias2 if bias2 is not None else ["0.60", "0.60"]
    layers = [
        make_layer("sigmoid", [["0.15", "0.20"], ["0.25", "0.30"]], bias1, train_bias),
        make_layer("sigmoid", [["0.40", "0.45"], ["0.50", "0.55"]], bias2, train_bias),
    ]
    return make_network(layers, [["0.05", "0.10"]], [["0.01", "0.99"]], train=make_train(steps=steps, lr="0.5"))


# ---------------------------------------------------------------- the reference against the published seed


def test_the_reference_gives_the_posts_figures_for_the_seed() -> None:
    step = torch_run(seed_network())["steps"][0]
    assert f"{step['loss']:.9f}" == "0.298371109"  # E_total
    assert f"{step['layers'][1]['grad_weight'][0][0]:.9f}" == "0.082167041"  # dE/dw5
    assert step["layers"][0]["z"] == [[pytest.approx(0.3775), pytest.approx(0.3925)]]  # net_h1, net_h2
    assert step["layers"][1]["a"][0] == pytest.approx([0.75136507, 0.772928465], abs=1e-8)  # out_o1, out_o2


def test_the_reference_gives_the_posts_figures_for_its_shared_frozen_biases() -> None:
    result = torch_run(seed_network("0.35", "0.60", train_bias=False))
    assert result["steps"][0]["layers"][0]["bias"] == 0.35 and result["steps"][0]["layers"][0]["grad_bias"] is None
    final = result["final"]
    assert final["layers"][1]["weight"] == [
        [pytest.approx(0.35891648, abs=1e-8), pytest.approx(0.408666186, abs=1e-9)],
        [pytest.approx(0.511301270, abs=1e-9), pytest.approx(0.561370121, abs=1e-9)],
    ]
    assert final["layers"][0]["weight"][0][0] == pytest.approx(0.149780716, abs=1e-9)
    assert final["layers"][0]["bias"] == 0.35
    # The post rounds its intermediate values, so its total error agrees to about 1e-7.
    assert final["loss"] == pytest.approx(0.291027924, abs=1e-6)
    assert result["after_first_loss"] == final["loss"]


# ---------------------------------------------------------------- the reference's own contract


def test_the_reference_has_the_derive_json_shape() -> None:
    result = torch_run(seed_network(steps=3))
    assert result["format"] == "derive-json/1"
    assert len(result["steps"]) == 3
    assert result["loss_history"] == [step["loss"] for step in result["steps"]]
    for step in result["steps"]:
        assert set(step) == {"loss", "layers"}
        for layer in step["layers"]:
            assert set(layer) == {"weight", "bias", "z", "a", "grad_weight", "grad_bias"}
            assert len(layer["z"]) == len(layer["a"]) == 1
            assert len(layer["z"][0]) == len(layer["grad_weight"]) == 2
    assert set(result["final"]) == {"loss", "layers"} and set(result["final"]["layers"][0]) == {"weight", "bias"}
    assert result["after_first_loss"] == pytest.approx(result["loss_history"][1], rel=1e-15)
    assert result["final"]["loss"] < result["loss_history"][-1]


def test_the_references_steps_chain_each_update_into_the_next() -> None:
    result = torch_run(seed_network(steps=2))
    for before, after in zip(result["steps"][0]["layers"], result["steps"][1]["layers"]):
        expected = [[w - 0.5 * g for w, g in zip(wr, gr)] for wr, gr in zip(before["weight"], before["grad_weight"])]
        assert after["weight"] == [pytest.approx(row, abs=1e-15) for row in expected]


def test_a_shared_bias_gradient_is_the_sum_over_its_neurons() -> None:
    per_neuron = torch_run(seed_network())["steps"][0]["layers"]
    shared = torch_run(seed_network("0.35", "0.60"))["steps"][0]["layers"]
    for p, s in zip(per_neuron, shared):
        assert isinstance(s["grad_bias"], float)
        assert s["grad_bias"] == pytest.approx(sum(p["grad_bias"]), abs=1e-15)
        assert s["grad_weight"] == p["grad_weight"]


def test_no_bias_and_a_frozen_bias_report_null_gradients() -> None:
    network = make_network(
        [make_layer("sigmoid", [["0.15", "0.20"], ["0.25", "0.30"]]),
         make_layer("sigmoid", [["0.40", "0.45"], ["0.50", "0.55"]], ["0.6", "0.6"], train_bias=False)],
        [["0.05", "0.10"]], [["0.01", "0.99"]], train=make_train(steps=2),
    )
    result = torch_run(network)
    for step in result["steps"]:
        assert step["layers"][0]["bias"] is None and step["layers"][0]["grad_bias"] is None
        assert step["layers"][1]["grad_bias"] is None and step["layers"][1]["bias"] == [0.6, 0.6]
    assert result["final"]["layers"][0]["bias"] is None and result["final"]["layers"][1]["bias"] == [0.6, 0.6]


def test_cross_entropy_takes_both_target_forms_alike() -> None:
    base = random_network(7, [2, 3])
    indices = make_network(base.layers, [[0.5, -1], [1, 0.25]], [2, 0], "cross_entropy")
    one_hot = make_network(base.layers, [[0.5, -1], [1, 0.25]], [[0, 0, 1], [1, 0, 0]], "cross_entropy")
    by_index, by_rows = torch_run(indices), torch_run(one_hot)
    assert by_index["steps"][0]["loss"] == pytest.approx(by_rows["steps"][0]["loss"], rel=1e-15)
    for a, b in zip(by_index["steps"][0]["layers"], by_rows["steps"][0]["layers"]):
        for row_a, row_b in zip(a["grad_weight"], b["grad_weight"]):
            assert row_a == pytest.approx(row_b, rel=1e-14, abs=1e-16)


# ---------------------------------------------------------------- the reference against finite differences of plain Python


def activate(name: str, z: float, slope: float) -> float:
    if name == "sigmoid":
        return 1 / (1 + math.exp(-z))
    if name == "tanh":
        return math.tanh(z)
    if name in ("relu", "leaky_relu"):
        return z if z > 0 else (slope if name == "leaky_relu" else 0.0) * z
    return z


def reference_loss(network: Network, params: list[dict]) -> float:
    """The loss of ``network`` at ``params`` (derive-json layer records), in plain Python."""
    rows = [[float(v) for v in row] for row in network.data.inputs]
    for layer, p in zip(network.layers, params):
        slope = float(getattr(layer.activation, "negative_slope", 0))
        new_rows = []
        for x in rows:
            out = []
            for j, w_row in enumerate(p["weight"]):
                z = sum(w * xi for w, xi in zip(w_row, x))
                bias = p["bias"]
                z += bias[j] if isinstance(bias, list) else (bias or 0.0)
                out.append(activate(layer.activation.name, z, slope))
            new_rows.append(out)
        rows = new_rows
    kind, data = network.loss.name, network.data
    if kind == "cross_entropy":
        total = 0.0
        for i, o in enumerate(rows):
            log_norm = math.log(sum(math.exp(v) for v in o))
            if data.targets_are_indices:
                total += log_norm - o[data.targets[i]]
            else:
                total += sum(float(t) * (log_norm - v) for t, v in zip(data.targets[i], o))
        return total / len(rows)
    pairs = [(o, float(t)) for out, tar in zip(rows, data.targets) for o, t in zip(out, tar)]
    if kind == "half_sse":
        return 0.5 * sum((o - t) ** 2 for o, t in pairs)
    if kind == "sse":
        return sum((o - t) ** 2 for o, t in pairs)
    if kind == "mse":
        return sum((o - t) ** 2 for o, t in pairs) / len(pairs)
    return -sum(t * math.log(o) + (1 - t) * math.log(1 - o) for o, t in pairs) / len(pairs)


def get_slot(layers: list[dict], slot, prefix: str = ""):
    l, kind, j, k = slot
    value = layers[l][prefix + kind]
    return value if j is None else (value[j] if k is None else value[j][k])


def set_slot(layers: list[dict], slot, value: float) -> None:
    l, kind, j, k = slot
    if j is None:
        layers[l][kind] = value
    elif k is None:
        layers[l][kind][j] = value
    else:
        layers[l][kind][j][k] = value


def mixed_network(rng: random.Random, loss: str, widths: list[int], batch: int) -> Network:
    """A small random net whose activations and bias kinds cycle through every kind the spec allows."""

    def number(scale: int = 100) -> float:
        return rng.randint(-scale, scale) / 100

    kinds = ["per_neuron", "shared", "none", "frozen"]
    layers = []
    for l, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        name = ["tanh", "leaky_relu", "relu", "sigmoid"][l % 4]
        if l == len(widths) - 2:
            name = {"bce": "sigmoid", "cross_entropy": "identity"}.get(loss, "tanh")
        kind = kinds[l % 4]
        bias = {"per_neuron": [number() for _ in range(n_out)], "shared": number(), "none": None,
                "frozen": [number() for _ in range(n_out)]}[kind]
        layers.append(make_layer(name, [[number() for _ in range(n_in)] for _ in range(n_out)], bias, kind != "frozen",
                                 **({"negative_slope": "0.2"} if name == "leaky_relu" else {})))
    inputs = [[number(200) for _ in range(widths[0])] for _ in range(batch)]
    if loss == "cross_entropy":
        targets = [rng.randrange(widths[-1]) for _ in range(batch)]
    elif loss == "bce":
        targets = [[rng.randint(0, 10) / 10 for _ in range(widths[-1])] for _ in range(batch)]
    else:
        targets = [[number() for _ in range(widths[-1])] for _ in range(batch)]
    return make_network(layers, inputs, targets, loss)


@pytest.mark.parametrize("loss, seed", [(loss, seed) for loss in ("half_sse", "sse", "mse", "bce", "cross_entropy") for seed in range(2)])
def test_the_references_gradients_match_central_finite_differences(loss: str, seed: int) -> None:
    network = mixed_network(random.Random(f"{loss}-{seed}"), loss, [3, 4, 4, 3], batch=3)
    step = torch_run(network)["steps"][0]
    params = [{"weight": layer["weight"], "bias": layer["bias"]} for layer in step["layers"]]
    assert step["loss"] == pytest.approx(reference_loss(network, params), rel=1e-13, abs=1e-15)
    h = 1e-6
    for slot in trained_slots(network):
        shifted = copy.deepcopy(params)
        value = get_slot(params, slot)
        set_slot(shifted, slot, value + h)
        up = reference_loss(network, shifted)
        set_slot(shifted, slot, value - h)
        down = reference_loss(network, shifted)
        assert get_slot(step["layers"], slot, "grad_") == pytest.approx((up - down) / (2 * h), abs=1e-7), slot


def test_each_recorded_loss_is_the_loss_at_that_steps_parameters() -> None:
    network = mixed_network(random.Random(11), "mse", [3, 4, 4, 3, 2], batch=2)
    network = make_network(network.layers, network.data.inputs, network.data.targets, "mse",
                           make_train("adam", steps=3, lr="0.05", weight_decay="0.1"))
    result = torch_run(network)
    for step, loss in zip(result["steps"], result["loss_history"]):
        assert loss == pytest.approx(reference_loss(network, step["layers"]), rel=1e-13)
    assert result["final"]["loss"] == pytest.approx(reference_loss(network, result["final"]["layers"]), rel=1e-13)
    frozen = [l for l, layer in enumerate(network.layers) if layer.bias is not None and not layer.train_bias]
    assert frozen and all(result["final"]["layers"][l]["bias"] == result["steps"][0]["layers"][l]["bias"] for l in frozen)


# ---------------------------------------------------------------- --verify


def checked_values(network: Network) -> int:
    """What --verify compares: every z and a of the derived batch, the loss, each trained parameter's
    gradient and value after the first update, the loss after it; for longer runs the later losses,
    the final parameters and the final loss."""
    units = sum(network.widths[1:])
    trained = len(trained_slots(network))
    count = 2 * units * len(network.batches()[0]) + 1 + 2 * trained + 1
    if network.updates > 1:
        count += (network.updates - 2) + trained + 1
    return count


def test_verify_adds_the_section_to_markdown_and_latex(capsys) -> None:
    status, markdown, err = run_cli(["mazur", "--verify", "-o", "-"], capsys)
    assert status == 0, err
    assert f"All {checked_values(load('mazur'))} values pass; the largest relative difference is $" in markdown
    table = section(markdown, "Verification against PyTorch")
    assert "| Quantity | derive | PyTorch | Difference |" in table
    assert r"| $\frac{\partial E_{\mathit{total}}}{\partial w_{5}}$ | $0.082167041$ | $0.082167041$ |" in table  # the post's dE/dw5
    status, latex, _ = run_cli(["mazur", "--verify", "--format", "latex", "-o", "-"], capsys)
    assert status == 0 and r"\section{Verification against PyTorch}" in latex


@pytest.mark.parametrize("name", ["mazur", "xor-tanh", "float64-relu-kink"])
def test_verify_names_its_rows_in_the_documents_notation(name: str, capsys) -> None:
    status, markdown, err = run_cli([name, "--verify", "--notation", "indexed", "-o", "-"], capsys)
    assert status == 0, err
    table = section(markdown, "Verification against PyTorch")
    assert f"All {checked_values(load(name))} values pass" in table
    assert r"| $z^{(1)}_{1}" in table and r"\mathit{net}" not in table


def test_verify_leaves_the_rest_of_the_document_alone(capsys) -> None:
    _, plain, _ = run_cli(["mazur-classic", "-o", "-"], capsys)
    _, verified, _ = run_cli(["mazur-classic", "--verify", "-o", "-"], capsys)
    before, _, after = verified.partition("\n## Verification against PyTorch\n")
    assert after
    assert before + "\n## The same numbers" + after.split("\n## The same numbers", 1)[1] == plain


def test_verify_json_adds_a_summary_key(capsys) -> None:
    plain = cli_json(["mazur"], capsys)
    verified = cli_json(["mazur", "--verify"], capsys)
    summary = verified.pop("verification")
    assert verified == plain
    assert summary["checked"] == checked_values(load("mazur"))
    assert 0 <= summary["max_relative_difference"] < 1e-12 and 0 <= summary["max_absolute_difference"] < 1e-12
    assert summary["tolerance"] == {"relative": 1e-12, "absolute": 1e-15}
    assert summary["reference"] == f"PyTorch {torch.__version__}, float64"


def test_verify_counts_every_step_of_a_longer_run(capsys) -> None:
    argv = ["--from-torch", f"{FIXTURES / 'sequential_tanh.py'}:SequentialTanh", "--input", "0.6,0.3,0.1;0.2,0.9,-0.5",
            "--target", "0.1,0.2;0.3,-0.4", "--loss", "mse", "--optimizer", "adam", "--lr", "0.01", "--steps", "5"]
    verified = cli_json(argv + ["--verify"], capsys)
    from derive.cli import load_network, parser

    network = load_network(parser().parse_args(argv))
    assert verified["verification"]["checked"] == checked_values(network)


def perturbed(run, where: str):
    def run_and_perturb(network):
        result = run(network)
        record = result["steps"][0]["layers"][1]
        if where == "gradient":
            record["grad_weight"][0][0] *= 1 + 1e-6
        elif where == "output":
            record["a"][0][0] *= 1 + 1e-6
        elif where == "after":
            result["after_first_loss"] += 1e-9  # tiny, but beyond 1e-9 relative of 0.29
        else:
            record["z"][0][1] += 5e-13  # z near 1.2 moves by 4e-13 relative: within tolerance
        return result

    return run_and_perturb


@pytest.mark.parametrize("where, named", [("gradient", "grad_w5 (layer[2].grad_weight[0][0])"),
                                          ("output", "out_o1 (layer[2].a[0][0])"), ("after", "E_after: derive")])
def test_verify_fails_naming_the_quantity_and_writes_nothing(where: str, named: str, capsys, workdir, monkeypatch) -> None:
    import derive.verify.reference as reference

    monkeypatch.setattr(reference, "torch_run", perturbed(reference.torch_run, where))
    for extra in ([], ["--format", "json"], ["--format", "latex"]):
        status, _, err = run_cli(["mazur", "--verify"] + extra, capsys)
        assert status == 1, err
        assert "derive: --verify: derive and PyTorch disagree on 1 value" in err
        assert named in err and "no file was written" in err and "Traceback" not in err
        assert not (workdir / "output").exists()


def test_verify_tolerates_float64_noise(capsys, monkeypatch) -> None:
    import derive.verify.reference as reference

    monkeypatch.setattr(reference, "torch_run", perturbed(reference.torch_run, "noise"))
    status, _, err = run_cli(["mazur", "--verify", "-o", "-"], capsys)
    assert status == 0, err


@pytest.mark.parametrize(
    "ours, theirs, tolerance, passes",
    [
        (Fraction(1), 1.0, None, True),
        (Fraction(1), 1 + 0.9e-12, None, True),  # the first step: derive's float64 pass is PyTorch's to 1e-12
        (Fraction(1), 1 + 1.1e-12, None, False),
        (Fraction(-250), -250 * (1 + 0.9e-12), None, True),
        (Fraction(-250), -250 * (1 + 1.1e-12), None, False),
        (Fraction(0), 0.9e-15, None, True),  # below 1e-3 the bound is absolute: 1e-15
        (Fraction(0), 1.1e-15, None, False),
        (Fraction(1, 10**6), 1e-6 + 0.9e-15, None, True),
        (Fraction(1, 10**6), 1e-6 + 1.1e-15, None, False),
        (Fraction(1), 1 + 0.9e-9, 1e-9, True),  # later steps: 1e-9
        (Fraction(1), 1 + 1.1e-9, 1e-9, False),
        (Fraction(1), math.nan, None, False),
        (Fraction(1), math.inf, None, False),
    ],
)
def test_the_tolerance_is_1e12_relative_for_the_first_step_1e9_after_and_1e15_absolute_near_zero(
        ours, theirs, tolerance, passes: bool) -> None:
    check = Check("x", "", ours, theirs) if tolerance is None else Check("x", "", ours, theirs, tolerance=tolerance)
    assert check.passed is passes


def test_the_verification_section_of_a_deeper_network_with_shared_and_frozen_biases() -> None:
    network = random_network(7, [3, 4, 3, 2], ["shared", "frozen", "per_neuron"])
    section = verification_section(derive_document(network, train(network)))
    assert section.key == "verification"
    (table,) = section.tables
    assert len(table.rows) == checked_values(network)
    assert [h.key for h in table.header] == ["verify.header_quantity", "verify.header_derive", "verify.header_pytorch",
                                              "verify.header_difference"]


# ---------------------------------------------------------------- torch only when asked for


def test_the_default_path_never_imports_torch(tmp_path) -> None:
    """Markdown, JSON, LaTeX and a refused --input, one after the other in a fresh process: no torch module."""
    runs = [["-o", "out.md"], ["--format", "json", "-o", "out.json"], ["mazur-classic", "--format", "latex", "-o", "out.tex"],
            ["--input", "1,2"]]
    code = (
        "import sys\nfrom derive.cli import main\n"
        f"statuses = [main(argv) for argv in {runs!r}]\n"
        "print(statuses, sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    result = run_python(code, tmp_path)
    assert result.stdout.strip() == "[0, 0, 0, 2] []", result.stderr


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["mazur", "--verify"], "--verify needs PyTorch"),
        (["--from-torch", f"{FIXTURES / 'seed' / 'seed_net.py'}:Net", "--input", "0.05,0.10", "--target", "0.01,0.99"],
         "--from-torch needs PyTorch"),
    ],
)
def test_without_torch_the_options_exit_2_with_an_install_hint(argv, expected: str, tmp_path) -> None:
    code = (
        "import sys\nsys.modules['torch'] = None  # as if torch were not installed\n"
        f"from derive.cli import main\nsys.exit(main({argv!r}))\n"
    )
    result = run_python(code, tmp_path)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and 'pip install "backprop-derive[torch]"' in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "output").exists()
