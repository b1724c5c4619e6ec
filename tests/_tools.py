"""Guards for tests that need an optional tool: skip locally when it is absent, fail in CI."""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest


def _missing(what: str) -> NoReturn:
    # CI installs every tool, so a missing one there is a broken setup, not a reason to skip.
    # allow_module_level lets a test module call these at import time to skip as a whole.
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not installed", allow_module_level=True)


def require_torch() -> ModuleType:
    """Return the torch module; skip the test without it (fail when CI=true)."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        _missing("torch")


def require_pdflatex() -> str:
    """Return the path of pdflatex; skip the test without it (fail when CI=true)."""
    path = shutil.which("pdflatex")
    if path is None:
        _missing("pdflatex")
    return path


# ---------------------------------------------------------------- helpers shared by test modules

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RELATIVE = 1e-9  # the project's tolerance against PyTorch float64
ABSOLUTE = 1e-12  # near zero


def run_cli(argv: list[str], capsys, cwd: Path | None = None, monkeypatch=None) -> tuple[int, str, str]:
    """derive's main(argv) in this process; returns (status, stdout, stderr)."""
    from derive.cli import main

    if cwd is not None:
        monkeypatch.chdir(cwd)
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def cli_json(argv: list[str], capsys) -> dict:
    """The derive-json/1 document that main(argv) prints with --format json -o -."""
    status, out, err = run_cli(argv + ["--format", "json", "-o", "-"], capsys)
    assert status == 0, err
    return json.loads(out)


def load_fixture(file: str, name: str):
    """A module of tests/fixtures built by plain Python, independent of derive (a fresh copy each time)."""
    import torch

    spec = importlib.util.spec_from_file_location(f"fixture_{file[:-3]}", FIXTURES / file)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(FIXTURES))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(FIXTURES))
    found = getattr(module, name)
    return copy.deepcopy(found) if isinstance(found, torch.nn.Module) else found()


def close(derived: float, reference: float, relative: float = RELATIVE) -> bool:
    """Equal within the relative tolerance, or the absolute one near zero."""
    return abs(derived - reference) <= relative * max(abs(derived), abs(reference)) + ABSOLUTE


def assert_same(derived, reference, where: str = "") -> None:
    """Nested lists of numbers (or None) equal entry by entry within the tolerance."""
    if reference is None or derived is None:
        assert derived is None and reference is None, f"{where}: {derived!r} != {reference!r}"
    elif isinstance(reference, list):
        assert isinstance(derived, list) and len(derived) == len(reference), f"{where}: {derived!r} != {reference!r}"
        for i, (d, r) in enumerate(zip(derived, reference)):
            assert_same(d, r, f"{where}[{i}]")
    else:
        assert isinstance(derived, (int, float)), f"{where}: {derived!r} is not a number"
        assert close(derived, reference), f"{where}: derive {derived!r} != torch {reference!r}"


def torch_loss(kind: str, output, targets):
    """A loss written directly with torch (the test's own oracle, not derive.torch_reference)."""
    import torch

    if kind == "half_sse":
        return ((output - targets) ** 2).sum() / 2
    if kind == "sse":
        return ((output - targets) ** 2).sum()
    if kind == "mse":
        return torch.nn.MSELoss()(output, targets)
    if kind == "bce":
        return torch.nn.BCELoss()(output, targets)
    return torch.nn.CrossEntropyLoss()(output, targets)


SHARED_SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "seed_net.py"


def require_shared_seed() -> Path:
    """The seed script in ../shared/seed (CI has shared/ beside the clone); skip locally without it."""
    if not SHARED_SEED.exists():
        _missing(f"the seed script {SHARED_SEED}")
    return SHARED_SEED
