"""Tests run this checkout's derive: its code, and its templates/ and examples/ folders too.

An editable install of another checkout maps ``derive.examples`` and ``derive.templates`` to that
checkout's folders, even when PYTHONPATH puts this checkout's ``derive`` first; the tests would then
render with another checkout's templates and list its examples. This finder, put before every other,
maps the two packages to the folders beside this checkout's ``derive``. conftest.py installs it in
the test process, and test subprocesses import this file as their ``sitecustomize`` (conftest puts
this folder on their PYTHONPATH). Where the package is installed from this checkout, it changes
nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"derive.examples": ROOT / "examples", "derive.templates": ROOT / "templates"}


class ThisCheckout(importlib.abc.MetaPathFinder):
    """Finds derive.examples and derive.templates in this checkout."""

    def find_spec(self, fullname, path=None, target=None):
        folder = FOLDERS.get(fullname)
        if folder is None or not (folder / "__init__.py").is_file():
            return None
        return importlib.util.spec_from_file_location(
            fullname, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )


if not any(type(finder).__name__ == "ThisCheckout" for finder in sys.meta_path):
    sys.meta_path.insert(0, ThisCheckout())
