"""The command line as a user runs it: `python -m derive ...` in a fresh folder.

Checks the contract in design.md: default output path printed on stderr, `-o -`, the four
formats, exit status 2 with a short message (never a traceback) for bad input, no output file
created or changed on an error, byte-identical output from run to run, and a user's own spec file
whose numbers agree with PyTorch.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import pytest

try:
    from ._tools import require_pdflatex, require_torch
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from _tools import require_pdflatex, require_torch

from derive.network import Data, Layer, Network, Train
from networks import SEED_SPEC

EXTENSIONS = {"markdown": "md", "latex": "tex", "json": "json", "pdf": "pdf"}
WORKERS = 2  # the subprocesses are independent; two at a time halves the wall time on two cores

SEED_TOML = SEED_SPEC

BAD_SPECS = {
    "bad_key.toml": SEED_TOML.replace('bias = [0.35, 0.35]\n', 'bias = [0.35, 0.35]\ncolour = "red"\n'),
    "bad_activation.toml": SEED_TOML.replace('activation = "sigmoid"', 'activation = "sigmod"', 1),
}


def derive(args: list[str], cwd: Path, hash_seed: str = "0") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    env.pop("DERIVE_DEBUG", None)  # it turns internal errors into tracebacks
    return subprocess.run(
        [sys.executable, "-m", "derive", *args], cwd=cwd, env=env, capture_output=True, timeout=300
    )


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def in_parallel(jobs: list) -> list:
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(lambda job: job(), jobs))


# ---------------------------------------------------------------- successful runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, list[tuple[Path, subprocess.CompletedProcess]]]:
    """Each format run twice with the default output path, in fresh folders, different hash seeds."""
    kinds = [kind for kind in EXTENSIONS if kind != "pdf" or shutil.which("pdflatex")]
    jobs, labels = [], []
    for kind in kinds:
        args = [] if kind == "markdown" else ["--format", kind]  # markdown is the default
        for seed in ("0", "4242"):
            folder = tmp_path_factory.mktemp(f"{kind}-{seed}")
            jobs.append(lambda args=args, folder=folder, seed=seed: (folder, derive(args, folder, seed)))
            labels.append(kind)
    results: dict[str, list] = {kind: [] for kind in kinds}
    for kind, result in zip(labels, in_parallel(jobs)):
        results[kind].append(result)
    return results


def the_output(runs, kind: str) -> tuple[Path, bytes]:
    folder, result = runs[kind][0]
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    name = f"output/mazur.{EXTENSIONS[kind]}"
    assert name in result.stderr.decode(), result.stderr.decode()
    assert result.stdout == b""
    assert list(files_under(folder)) == [name]  # nothing else, no temporary file left behind
    return folder, (folder / name).read_bytes()


def test_default_run_writes_output_mazur_md_and_names_it_on_stderr(runs) -> None:
    _, markdown = the_output(runs, "markdown")
    text = markdown.decode("utf-8")
    assert text.startswith("# A step-by-step backpropagation example")
    assert "0.298371109" in text


def test_format_latex_writes_a_tex_article(runs) -> None:
    _, latex = the_output(runs, "latex")
    text = latex.decode("utf-8")
    assert text.lstrip().startswith("\\documentclass")
    assert "\\begin{document}" in text and text.rstrip().endswith("\\end{document}")


def test_format_json_writes_derive_json(runs) -> None:
    _, data = the_output(runs, "json")
    document = json.loads(data)
    assert document["format"] == "derive-json/1"
    assert math.isclose(document["steps"][0]["loss"], 0.298371108760003, rel_tol=1e-12)


def test_format_pdf_writes_a_pdf(runs) -> None:
    require_pdflatex()
    _, pdf = the_output(runs, "pdf")
    assert pdf.startswith(b"%PDF")


@pytest.mark.parametrize("kind", list(EXTENSIONS))
def test_same_command_twice_gives_identical_bytes(runs, kind: str) -> None:
    if kind == "pdf":
        require_pdflatex()
    (first, one), (second, two) = runs[kind]
    assert one.returncode == two.returncode == 0, (one.stderr, two.stderr)
    name = f"output/mazur.{EXTENSIONS[kind]}"
    assert (first / name).read_bytes() == (second / name).read_bytes()


def test_dash_o_dash_writes_to_stdout_and_creates_no_file(runs, tmp_path: Path) -> None:
    _, markdown = the_output(runs, "markdown")
    result = derive(["-o", "-"], tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == markdown
    assert files_under(tmp_path) == {}
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("precision", ["0", "30"])
def test_precision_bounds_are_accepted(tmp_path: Path, precision: str) -> None:
    result = derive(["--precision", precision, "-o", "-"], tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.startswith(b"# ")


def test_help_shows_examples(tmp_path: Path) -> None:
    result = derive(["--help"], tmp_path)
    assert result.returncode == 0
    assert "examples" in result.stdout.decode()
    assert not any(tmp_path.iterdir())


# ---------------------------------------------------------------- bad input


ERRORS = {
    # name: (arguments, words stderr must contain)
    "missing spec file": (["nosuch.toml"], ["nosuch.toml"]),
    "unknown key": (["bad_key.toml"], ["bad_key.toml", "colour"]),
    "bad activation": (["bad_activation.toml"], ["bad_activation.toml", "layer[1].activation", "sigmod", "sigmoid"]),
    "bad activation with -o": (["bad_activation.toml", "-o", "keep.md"], ["sigmoid"]),
    "precision -1": (["--precision", "-1"], ["--precision"]),
    "precision 99": (["--precision", "99"], ["--precision"]),
    "unknown format": (["--format", "docx"], ["docx"]),
}

# Files that a wrong implementation could overwrite: each default output path the cases name.
EXISTING = {
    "keep.md": b"keep me\n",
    **{
        f"output/{stem}.{ext}": f"old {stem}.{ext}\n".encode()
        for stem in ("mazur", "nosuch", "bad_key", "bad_activation")
        for ext in ("md", "tex", "json")
    },
}


@pytest.fixture(scope="module")
def error_runs(tmp_path_factory) -> dict[tuple[str, bool], tuple[dict, dict, subprocess.CompletedProcess]]:
    """Each bad-input case in an empty folder and in one full of existing outputs."""
    jobs, keys = [], []
    for name, (args, _) in ERRORS.items():
        for existing in (False, True):
            folder = tmp_path_factory.mktemp("error")
            for file, text in BAD_SPECS.items():
                (folder / file).write_text(text, encoding="utf-8")
            if existing:
                for file, data in EXISTING.items():
                    (folder / file).parent.mkdir(exist_ok=True)
                    (folder / file).write_bytes(data)
            before = files_under(folder)
            jobs.append(lambda args=args, folder=folder, before=before: (before, folder, derive(args, folder)))
            keys.append((name, existing))
    results = in_parallel(jobs)
    return {key: (before, files_under(folder), result) for key, (before, folder, result) in zip(keys, results)}


@pytest.mark.parametrize("existing", [False, True], ids=["empty folder", "existing outputs"])
@pytest.mark.parametrize("name", list(ERRORS))
def test_bad_input_exits_2_with_a_message_and_touches_no_file(error_runs, name: str, existing: bool) -> None:
    before, after, result = error_runs[(name, existing)]
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert 0 < len(stderr.strip().splitlines()) <= 8, stderr
    for word in ERRORS[name][1]:
        assert word in stderr, f"{word!r} not in {stderr!r}"
    assert result.stdout == b""
    assert after == before  # nothing created (no output/ folder either), nothing changed
    if existing:
        assert after["keep.md"] == b"keep me\n"


def test_bad_activation_suggests_sigmoid(error_runs) -> None:
    stderr = error_runs[("bad activation", False)][2].stderr.decode()
    assert "did you mean 'sigmoid'" in stderr or "did you mean sigmoid" in stderr, stderr


# ---------------------------------------------------------------- a user's spec file


USER_TOML = """\
title = "My own network"

[[layer]]
activation = "sigmoid"
weight = [[0.10, -0.20], [0.30, 0.40], [-0.05, 0.15]]
bias = [0.5, -0.1, 0.0]

[[layer]]
activation = "sigmoid"
weight = [[-0.60, 0.70, 0.25], [0.80, 0.25, -0.35]]
bias = 0.05

[data]
input = [[0.3, 0.9]]
target = [[0.2, 0.6]]

[loss]
kind = "half_sse"

[train]
optimizer = "sgd"
lr = 0.25
steps = 1
"""


def user_network() -> Network:
    """USER_TOML built directly, so the spec reader is checked too."""

    def rows(*values: tuple[str, ...]) -> tuple[tuple[Fraction, ...], ...]:
        return tuple(tuple(Fraction(v) for v in row) for row in values)

    return Network(
        layers=(
            Layer(
                "sigmoid",
                rows(("0.10", "-0.20"), ("0.30", "0.40"), ("-0.05", "0.15")),
                tuple(map(Fraction, ("0.5", "-0.1", "0"))),
            ),
            Layer("sigmoid", rows(("-0.60", "0.70", "0.25"), ("0.80", "0.25", "-0.35")), Fraction("0.05")),
        ),
        data=Data(rows(("0.3", "0.9")), rows(("0.2", "0.6"))),
        loss="half_sse",
        train=Train(optimizer="sgd", lr=Fraction(1, 4), steps=1),
    )


def assert_close(ours, theirs, path: str = "") -> None:
    if isinstance(theirs, dict):
        for key in theirs:
            assert_close(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{path}: {ours!r} vs {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close(a, b, f"{path}[{i}]")
    elif theirs is None:
        assert ours is None, f"{path}: {ours!r}, expected null"
    else:
        assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12), f"{path}: {ours!r} vs {theirs!r}"


def test_user_spec_file_to_json_matches_torch(tmp_path: Path) -> None:
    require_torch()
    from derive.torch_reference import torch_run

    (tmp_path / "my_net.toml").write_text(USER_TOML, encoding="utf-8")
    result = derive(["my_net.toml", "--format", "json", "-o", "my.json"], tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert "my.json" in result.stderr.decode()
    assert sorted(files_under(tmp_path)) == ["my.json", "my_net.toml"]
    ours = json.loads((tmp_path / "my.json").read_text(encoding="utf-8"))
    theirs = torch_run(user_network())
    assert ours["format"] == "derive-json/1"
    assert_close(ours["steps"][0], theirs["steps"][0], "steps[0]")
    assert_close(ours["loss_history"], theirs["loss_history"], "loss_history")
    assert_close(ours["final"], theirs["final"], "final")
    assert ours["steps"][0]["layers"][1]["bias"] == 0.05  # a shared bias stays one number
    assert ours["steps"][0]["layers"][1]["grad_bias"] is not None
