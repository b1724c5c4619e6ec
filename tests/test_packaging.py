"""The wheel ships every module, the templates, the catalogues and the example specs, runs on its own, and the
plain install has no torch."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"  # a copy without build/ or *.egg-info, whose stale files a wheel would pick up
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache", "output"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(folder), str(source)],
        check=True,
        capture_output=True,
    )
    (built,) = folder.glob("backprop_derive-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_ships_templates_and_examples(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for template in (ROOT / "templates").rglob("*.j2"):
        assert f"derive/templates/{template.relative_to(ROOT / 'templates').as_posix()}" in names
    for example in (ROOT / "examples").glob("*.toml"):
        assert f"derive/examples/{example.name}" in names


def test_the_wheel_ships_every_module_and_runs_unpacked_away_from_the_checkout(wheel: zipfile.ZipFile,
                                                                                  tmp_path: Path) -> None:
    names = set(wheel.namelist())
    for module in (ROOT / "derive").rglob("*.py"):
        assert module.relative_to(ROOT).as_posix() in names
    for catalogue in (ROOT / "derive" / "text").glob("*.toml"):
        assert catalogue.relative_to(ROOT).as_posix() in names
    wheel.extractall(tmp_path / "site")  # a pure-Python wheel unpacked is an install
    environment = {"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}
    where = subprocess.run([sys.executable, "-c", "import derive; print(derive.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, env=environment)
    assert where.stdout.startswith(str(tmp_path / "site")), where  # the unpacked wheel, not this checkout
    for arguments in (["mazur"], ["xor-tanh", "--style", "matrix", "--format", "latex"], ["adam-step", "--format", "json"]):
        run = subprocess.run([sys.executable, "-m", "derive", *arguments, "-o", "-"], cwd=tmp_path, capture_output=True,
                             text=True, env=environment)
        assert run.returncode == 0 and run.stdout, run.stderr


def test_the_plain_install_does_not_require_torch(wheel: zipfile.ZipFile) -> None:
    (metadata,) = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
    requires = [line for line in wheel.read(metadata).decode().splitlines() if line.startswith("Requires-Dist:")]
    unconditional = [line for line in requires if "extra ==" not in line]
    assert unconditional and not any("torch" in line for line in unconditional), requires
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] != "derive" and project["scripts"]["derive"] == "derive.__main__:entry"
    assert all("torch==" in dep for extra in project["optional-dependencies"].values() for dep in extra if "torch" in dep)
