"""The wheel ships the templates and the example specs inside the package, and the plain install has no torch."""

from __future__ import annotations

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
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(folder), str(ROOT)],
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


def test_the_plain_install_does_not_require_torch(wheel: zipfile.ZipFile) -> None:
    (metadata,) = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
    requires = [line for line in wheel.read(metadata).decode().splitlines() if line.startswith("Requires-Dist:")]
    unconditional = [line for line in requires if "extra ==" not in line]
    assert unconditional and not any("torch" in line for line in unconditional), requires
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] != "derive" and project["scripts"]["derive"] == "derive.cli:main"
    assert all("torch==" in dep for extra in project["optional-dependencies"].values() for dep in extra if "torch" in dep)
