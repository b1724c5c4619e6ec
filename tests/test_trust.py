"""A spec never runs code unless the user says so: [torch] needs --trust-code, stays in the spec's folder,
and a module's prints and odd weights never reach the document."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import derive
from conftest import ROOT, SEED_SPEC, assert_refused, require_torch, run_cli
from derive.cli import main

README = ROOT / "README.md"

MODULE = """\
import pathlib
import torch
from torch import nn

pathlib.Path(__file__).with_name("imported.marker").write_text("ran")
print("printed while importing")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        print("printed while building")
        self.hidden = nn.Linear(2, 2)
        self.out = nn.Linear(2, 2)

    def forward(self, x):
        print("printed while tracing")
        return torch.sigmoid(self.out(torch.sigmoid(self.hidden(x))))
"""

SPEC = """\
[torch]
module = "{module}:Net"

[data]
input = [[0.05, 0.10]]
target = [[0.01, 0.99]]
"""


def write_spec(folder: Path, module: str = "models/net.py") -> Path:
    (folder / "models").mkdir(exist_ok=True)
    (folder / "models" / "net.py").write_text(MODULE)
    spec = folder / "spec.toml"
    spec.write_text(SPEC.format(module=module))
    return spec


# ---------------------------------------------------------------- untrusted


def test_an_untrusted_torch_spec_runs_nothing_and_writes_nothing(workdir, capsys) -> None:
    write_spec(workdir)
    plain = workdir / "plain.toml"
    plain.write_text(SEED_SPEC)
    main([str(plain), "-o", "-"])  # derive's own lazy imports happen here, not in the refusal below
    capsys.readouterr()
    plain.unlink()
    before = set(sys.modules)
    status, out, err = run_cli(["spec.toml", "-o", "out.md"], capsys)
    assert_refused(status, err, "spec.toml:2", "torch.module", "--trust-code", "models/net.py", "runs")
    assert out == "" and "printed" not in err
    assert not (workdir / "models" / "imported.marker").exists()
    assert set(sys.modules) - before == set()
    assert sorted(p.name for p in workdir.iterdir()) == ["models", "spec.toml"]


def test_an_untrusted_torch_spec_is_refused_by_the_default_output_too(workdir, capsys) -> None:
    write_spec(workdir)
    status, _, err = run_cli(["spec.toml"], capsys)
    assert_refused(status, err, "--trust-code")
    assert not (workdir / "output").exists() and not (workdir / "models" / "imported.marker").exists()


def test_the_api_refuses_an_untrusted_torch_spec(workdir) -> None:
    spec = write_spec(workdir)
    with pytest.raises(derive.SpecError, match="--trust-code"):
        derive.load(spec)
    with pytest.raises(derive.SpecError, match="trust_code=True"):
        derive.derive(str(spec))
    assert not (workdir / "models" / "imported.marker").exists()


def test_a_dict_with_a_torch_table_is_refused_too(workdir) -> None:
    with pytest.raises(derive.SpecError, match="--trust-code"):
        derive.load({"torch": {"module": "net.py:Net"}, "data": {"input": [[1, 2]], "target": [[1, 2]]}})


# ---------------------------------------------------------------- trusted


def test_trusted_the_module_runs_and_its_prints_go_to_stderr(workdir, capsys) -> None:
    require_torch()
    write_spec(workdir)
    status, out, err = run_cli(["spec.toml", "--trust-code", "-o", "-"], capsys)
    assert status == 0, err
    assert (workdir / "models" / "imported.marker").exists()
    assert out.startswith("# A step-by-step") and "printed" not in out
    for moment in ("importing", "building", "tracing"):
        assert f"printed while {moment}" in err
    assert "hidden.weight.grad" in out


def test_the_api_with_trust_code(workdir) -> None:
    require_torch()
    spec = write_spec(workdir)
    network = derive.load(spec, trust_code=True)
    assert network.parameter_names == ("hidden", "out")
    assert derive.derive(spec, trust_code=True).quantities


def test_from_torch_is_itself_the_request_to_run_code(workdir, capsys) -> None:
    require_torch()
    write_spec(workdir)
    status, out, err = run_cli(["--from-torch", "models/net.py:Net", "--input", "0.05,0.1", "--target", "0.01,0.99",
                            "-o", "-"], capsys)
    assert status == 0, err
    assert out.startswith("# A step-by-step") and "printed" not in out and "printed while tracing" in err


@pytest.mark.parametrize("module, found", [
    ("{absolute}", "absolute path"),
    ("../elsewhere/net.py", "leads out of it"),
    ("models/../../elsewhere/net.py", "leads out of it"),
    ("models/link.py", "leads out of it"),
    ("linked/net.py", "leads out of it"),
])
def test_a_trusted_module_must_stay_in_the_spec_folder(module, found, workdir, capsys, monkeypatch) -> None:
    home = workdir / "home"
    home.mkdir()
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "net.py").write_text(MODULE)
    write_spec(home, module.format(absolute=elsewhere / "net.py"))
    (home / "models" / "link.py").symlink_to(elsewhere / "net.py")
    (home / "linked").symlink_to(elsewhere)
    monkeypatch.chdir(home)
    status, _, err = run_cli(["spec.toml", "--trust-code", "-o", "out.md"], capsys)
    assert_refused(status, err, "spec.toml:2", "torch.module", "spec's folder", found)
    assert not (elsewhere / "imported.marker").exists() and not (home / "out.md").exists()


def test_a_trusted_module_may_use_dot_dot_inside_the_folder(workdir, capsys) -> None:
    require_torch()
    write_spec(workdir, "models/../models/net.py")
    status, _, err = run_cli(["spec.toml", "--trust-code", "-o", "out.md"], capsys)
    assert status == 0, err
    assert (workdir / "out.md").exists()


# ---------------------------------------------------------------- what a module holds


BAD_WEIGHTS = """\
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(2, 2)
        {change}

    def forward(self, x):
        return self.layer(x)
"""


@pytest.mark.parametrize("change, words", [
    ("self.layer.weight.data = torch.ones(2, 2, dtype=torch.complex64)", ("`layer`.weight", "complex")),
    ("self.layer.bias.data = torch.tensor([1.0, 2.0], dtype=torch.complex128) * 1j", ("`layer`.bias", "complex")),
    ("self.layer.weight.data[0, 1] = float('nan')", ("`layer`.weight[0][1]", "finite", "nan")),
    ("self.layer.bias.data[1] = float('-inf')", ("`layer`.bias[1]", "finite", "-inf")),
])
def test_complex_and_non_finite_weights_are_refused(change, words, workdir, capsys) -> None:
    require_torch()
    (workdir / "m.py").write_text(BAD_WEIGHTS.format(change=change))
    status, out, err = run_cli(["--from-torch", "m.py:Net", "--input", "1,2", "--target", "1,2", "-o", "out.md"], capsys)
    assert_refused(status, err, "m.py:Net", *words)
    assert out == "" and not (workdir / "out.md").exists()


def test_a_live_module_prints_to_stderr_while_traced(capsys) -> None:
    torch = require_torch()

    class Loud(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = torch.nn.Linear(2, 1)

        def forward(self, x):
            print("loud forward")
            return self.first(x)

    network = derive.from_torch(Loud(), [[1.0, 2.0]], [[0.5]])
    captured = capsys.readouterr()
    assert "loud forward" in captured.err and "loud forward" not in captured.out
    assert network.parameter_names == ("first",)


# ---------------------------------------------------------------- the README says so


def test_the_readme_says_which_options_run_code() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    bullet = text[text.index("**Nothing executed"):]
    bullet = bullet[: bullet.index(" - **")]
    assert "--from-torch" in bullet and "--trust-code" in bullet and "run" in bullet
    section = text[text.index("## From PyTorch"):]
    section = section[: section.index("## ", 5)]
    assert "This runs Python code" in section and "--trust-code" in section
