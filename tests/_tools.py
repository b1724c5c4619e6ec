"""Guards for tests that need an optional tool: skip locally when it is absent, fail in CI."""

from __future__ import annotations

import importlib
import os
import shutil
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
