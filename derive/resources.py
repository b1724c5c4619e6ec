"""Where the files shipped with the package live: templates/ and examples/, in a wheel or a checkout."""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path


def shipped_folder(name: str) -> Traversable:
    """The folder ``templates`` or ``examples``, as installed (derive.templates) or in a source checkout.

    An installed package maps ./templates and ./examples onto derive.templates and derive.examples
    (package-dir in pyproject.toml). Run from the root of a checkout, Python imports ./derive
    instead of the installed copy, and then only the checkout's own folders exist.
    """
    try:
        return importlib.resources.files(f"derive.{name}")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / name
