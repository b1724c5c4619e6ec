"""--verify: the verification section, its JSON summary, failures that name the value, and torch
imported only when asked for."""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from derive.training import train
from derive.verification import Check, verification_section

from networks import random_network

from _tools import require_torch
from _tools import run_cli as run, cli_json as derive_json

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED_COPY = FIXTURES / "seed" / "seed_net.py"


def section(markdown: str, title: str) -> str:
    return markdown.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


@pytest.fixture
def torch():
    """Tests that run PyTorch in this process take this fixture (the subprocess tests do not)."""
    return require_torch()


def test_verify_adds_the_section_to_markdown_and_latex(torch, capsys):
    status, markdown, err = run(["mazur", "--verify", "-o", "-"], capsys)
    assert status == 0, err
    assert "\n## Verification against PyTorch\n" in markdown
    assert "All 34 values pass; the largest relative difference is $" in markdown
    table = section(markdown, "Verification against PyTorch")
    assert "| Quantity | derive | PyTorch | Difference |" in table
    assert r"| $\frac{\partial E_{\mathit{total}}}{\partial w_{5}}$ | $0.082167041$ | $0.082167041$ |" in table
    status, latex, _ = run(["mazur", "--verify", "--format", "latex", "-o", "-"], capsys)
    assert status == 0 and r"\section{Verification against PyTorch}" in latex


def test_verify_leaves_the_rest_of_the_document_alone(torch, capsys):
    _, plain, _ = run(["mazur-classic", "-o", "-"], capsys)
    _, verified, _ = run(["mazur-classic", "--verify", "-o", "-"], capsys)
    before, _, after = verified.partition("\n## Verification against PyTorch\n")
    assert after
    assert before + "\n## The same numbers" + after.split("\n## The same numbers", 1)[1] == plain


def test_verify_json_adds_a_summary_key(torch, capsys):
    plain = derive_json(["mazur"], capsys)
    verified = derive_json(["mazur", "--verify"], capsys)
    summary = verified.pop("verification")
    assert verified == plain
    assert summary["checked"] == 34
    assert 0 <= summary["max_relative_difference"] < 1e-12
    assert summary["tolerance"] == {"relative": 1e-9, "absolute": 1e-12}


def test_verify_counts_every_step_of_a_longer_run(torch, capsys):
    verified = derive_json(
        ["--from-torch", f"{FIXTURES / 'sequential_tanh.py'}:SequentialTanh", "--input", "0.6,0.3,0.1;0.2,0.9,-0.5",
         "--target", "0.1,0.2;0.3,-0.4", "--loss", "mse", "--optimizer", "adam", "--lr", "0.01", "--steps", "5", "--verify"],
        capsys,
    )
    # 2 samples x 6 units x (z, a) + loss + 26 gradients + 26 after step 1 + loss after step 1
    # + losses after steps 2..4 + 26 final parameters + final loss
    assert verified["verification"]["checked"] == 24 + 1 + 26 + 26 + 1 + 3 + 26 + 1


def perturbed(torch_run, where):
    def run_and_perturb(network):
        result = torch_run(network)
        record = result["steps"][0]["layers"][1]
        if where == "gradient":
            record["grad_weight"][0][0] *= 1 + 1e-6
        elif where == "final":
            result["final"]["loss"] += 1e-9  # tiny, but beyond 1e-9 relative of 0.29
        else:
            record["z"][0][1] += 2e-12  # z near 1.2 moves by 1.6e-12 relative: within tolerance
        return result

    return run_and_perturb


@pytest.mark.parametrize(
    "where, expected",
    [
        ("gradient", "the gradient dE_total/dw5 (layer[2].grad_weight[0][0])"),
        ("final", "the loss E_total after the update"),
    ],
)
def test_verify_fails_naming_the_quantity_and_writes_nothing(torch, where, expected, capsys, tmp_path, monkeypatch):
    import derive.torch_reference as reference

    monkeypatch.setattr(reference, "torch_run", perturbed(reference.torch_run, where))
    for extra in ([], ["--format", "json"], ["--format", "latex"]):
        status, _, err = run(["mazur", "--verify"] + extra, capsys, tmp_path, monkeypatch)
        assert status == 1, err
        assert "derive: --verify: derive and PyTorch disagree on 1 value" in err
        assert expected in err and "no file was written" in err
        assert "Traceback" not in err
        assert not (tmp_path / "output").exists()


def test_verify_tolerates_float64_noise(torch, capsys, monkeypatch):
    import derive.torch_reference as reference

    monkeypatch.setattr(reference, "torch_run", perturbed(reference.torch_run, "noise"))
    status, _, err = run(["mazur", "--verify", "-o", "-"], capsys)
    assert status == 0, err


# --- torch only when asked for ----------------------------------------------------------------


def python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "argv",
    [["-o", "out.md"], ["--format", "json", "-o", "out.json"], ["mazur-classic", "--format", "latex", "-o", "out.tex"],
     ["--input", "1,2"]],
)
def test_the_default_path_never_imports_torch(argv, tmp_path):
    code = (
        "import sys\nfrom derive.cli import main\n"
        f"status = main({argv!r})\n"
        "print(status, sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    result = python(code, tmp_path)
    status = "2" if "--input" in argv else "0"
    assert result.stdout.strip() == f"{status} []", result.stderr


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["mazur", "--verify"], "--verify needs PyTorch"),
        (["--from-torch", f"{SEED_COPY}:Net", "--input", "0.05,0.10", "--target", "0.01,0.99"], "--from-torch needs PyTorch"),
    ],
)
def test_without_torch_the_options_exit_2_with_an_install_hint(argv, expected, tmp_path):
    code = (
        "import sys\nsys.modules['torch'] = None  # as if torch were not installed\n"
        f"from derive.cli import main\nsys.exit(main({argv!r}))\n"
    )
    result = python(code, tmp_path)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert 'pip install "backprop-derive[torch]"' in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "output").exists()


# --- the tolerance, value by value ------------------------------------------------------------


@pytest.mark.parametrize(
    "ours, theirs, passes",
    [
        (Fraction(1), 1.0, True),
        (Fraction(1), 1 + 0.9e-9, True),
        (Fraction(1), 1 + 1.1e-9, False),
        (Fraction(-250), -250 * (1 + 0.9e-9), True),
        (Fraction(-250), -250 * (1 + 1.1e-9), False),
        (Fraction(0), 0.9e-12, True),  # near zero the bound is absolute: 1e-12
        (Fraction(0), 1.1e-12, False),
        (Fraction(1, 10**6), 1e-6 + 0.9e-12, True),
        (Fraction(1, 10**6), 1e-6 + 1.1e-12, False),
        (Fraction(1), math.nan, False),
        (Fraction(1), math.inf, False),
    ],
)
def test_tolerance_is_1e9_relative_and_1e12_absolute_near_zero(ours, theirs, passes):
    check = Check((), "x", ours, theirs)
    assert check.passed is passes


def test_verification_section_of_a_deeper_network_with_shared_and_frozen_biases(torch):
    network = random_network(7, [3, 4, 3, 2], ["shared", "frozen", "per_neuron"])
    section = verification_section(network, train(network))
    assert section.key == "verification" and section.title == "Verification against PyTorch"
    (table,) = section.tables
    assert table.header == ("Quantity", "derive", "PyTorch", "Difference")
    trained = 12 + 1 + 12 + 6 + 2  # weights and the shared bias of layer 1, weights of 2, layer 3
    assert len(table.rows) == 2 * (4 + 3 + 2) + 1 + trained + trained + 1
