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
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / name / "__init__.py").is_file():
        # The derive imported is a checkout's (PYTHONPATH, or the repository root): its own folders,
        # never those an editable install of another checkout maps derive.templates to.
        return checkout / name
    try:
        return importlib.resources.files(f"derive.{name}")
    except ModuleNotFoundError:
        return checkout / name
