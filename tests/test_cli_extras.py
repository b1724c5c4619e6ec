"""A new user's first hour: --list and --version, the README's --from-torch command in a fresh clone,
its excerpt of derive's output cut verbatim, and the test extra it promises."""

from __future__ import annotations

import json
import math
import re
import shlex
import shutil
import tomllib
from pathlib import Path

import pytest

import derive
from conftest import ROOT, python_env, require_numpy, require_torch, run_cli, run_derive
from derive.cli import describe, parser
from derive.spec.files import builtin_examples

README = (ROOT / "README.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------- --list and --version


def test_version_prints_the_version_and_nothing_else(workdir: Path, capsys) -> None:
    status, out, err = run_cli(["--version"], capsys)
    assert (status, out, err) == (0, f"derive {derive.__version__}\n", "")
    assert list(workdir.iterdir()) == []
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == derive.__version__


def test_list_prints_every_built_in_example_with_a_description(workdir: Path, capsys) -> None:
    status, out, err = run_cli(["--list"], capsys)
    assert status == 0 and err == ""
    assert list(workdir.iterdir()) == []
    lines = out.splitlines()
    names = [line.split()[0] for line in lines]
    assert names == builtin_examples() == sorted(p.stem for p in (ROOT / "examples").glob("*.toml"))
    assert "seed_module" not in names  # a .py file in examples/ is no built-in example
    for line in lines:
        name, description = line.split(None, 1)
        assert len(description) > 10, line
    assert "mazur                    The seed network: Matt Mazur's 2-2-2 example with PyTorch semantics" in lines


def test_list_as_a_user_runs_it(tmp_path: Path) -> None:
    done = run_derive(["--list"], tmp_path, text=True)
    assert done.returncode == 0 and done.stderr == ""
    assert len(done.stdout.splitlines()) == len(builtin_examples())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("spec, expected", [
    ("# A network: with details that go on and on.\n# More.\n[[layer]]\n", "A network: with details that go on and on"),
    ("# One line\n# and the next.\n# Derive it with:  derive one\n", "One line and the next"),
    ("# " + "x" * 60 + ": " + "y" * 60 + ".\n", "x" * 60),  # past 100 characters, the part before its colon
    ("# Its sentence. Then another.\n", "Its sentence"),
    ('title = "A title"\n# a later comment\n', "A title"),
    ("[[layer]]\n", ""),
    ("not toml [\n", ""),
])
def test_a_description_is_the_first_sentence_of_the_leading_comment_or_the_title(spec: str, expected: str) -> None:
    assert describe(spec) == expected


def test_help_and_readme_name_the_new_options() -> None:
    help_text = parser().format_help()
    assert "--list" in help_text and "--version" in help_text
    usage = README.split("## Usage", 1)[1].split("\n## ", 1)[0]
    assert "--list" in usage and "--version" in usage


# ---------------------------------------------------------------- the README's --from-torch example


def readme_torch_command() -> list[str]:
    """The README's --from-torch command line, without its leading 'python -m derive'."""
    section = README.split("## From PyTorch", 1)[1]
    command = re.search(r"```\n(python -m derive --from-torch [^\n]+)\n```", section).group(1)
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "derive"]
    return words[3:]


def test_the_readme_torch_example_runs_in_a_fresh_clone(tmp_path: Path) -> None:
    require_torch()
    require_numpy()  # torch warns without it, on stderr
    args = readme_torch_command()
    module = args[args.index("--from-torch") + 1].rpartition(":")[0]
    assert not module.startswith(".."), "the README's module must ship with the repository"
    clone = tmp_path / "clone"
    shutil.copytree(ROOT / "examples", clone / "examples")  # what a clone has; derive itself from this checkout
    done = run_derive(args, clone, text=True)
    assert done.returncode == 0, done.stderr
    written = clone / "output" / (Path(module).stem + ".md")
    assert done.stderr.splitlines()[0] == f"derive: wrote {written.relative_to(clone)}"  # then its SVG figures
    assert f"`{module}:" in written.read_text(encoding="utf-8")
    # "the same derivation as the built-in mazur": every value by its ID
    ours = json.loads(run_derive(args + ["--format", "json", "-o", "-"], clone, text=True).stdout)["quantities"]
    mazur = derive.derive("mazur").quantities
    assert set(ours) == set(mazur)
    for key, value in mazur.items():
        assert math.isclose(ours[key], value, rel_tol=1e-15, abs_tol=1e-300), key


def test_the_seed_module_runs_as_a_script(tmp_path: Path) -> None:
    require_torch()
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(ROOT / "examples" / "seed_module.py")], cwd=tmp_path,
                          env=python_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "tensor(0.2984)" in done.stdout  # the seed's loss, as PyTorch prints it


# ---------------------------------------------------------------- the README's excerpt and its test extra


def test_the_readme_excerpt_is_cut_verbatim_from_a_fresh_mazur_document() -> None:
    intro = README.index("cut verbatim from `output/mazur.md`")
    start = README.index("\n\n", intro) + 2
    excerpt = README[start:README.index("\nSee [`output/mazur.md`]", start)].strip("\n")
    assert excerpt.count("\\begin{aligned}") >= 1
    fresh = derive.derive("mazur").markdown()
    assert excerpt in fresh, "re-cut the README's excerpt from `python -m derive mazur -o -`"


def test_numpy_is_in_the_test_extra_and_the_readme_says_so() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(re.match(r"numpy\b", requirement) for requirement in project["optional-dependencies"]["test"])
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "NumPy" in quick_start and 'pip install -e ".[test]"' in quick_start
