"""A spec's ``[torch]`` table: the layers of a PyTorch module, read only when the user trusts the spec.

Reading a module means importing its file, which runs its Python code. A spec is data and may
come from anyone, so a ``[torch]`` table is refused unless the command line says ``--trust-code``
(``trust_code=True`` in the Python API); ``--from-torch FILE.py:NAME`` is itself that request. Even
then the module must lie inside the spec's folder: no absolute path, no ``..`` or symlink out of it.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import SpecError
from ..network import Layer
from .toml_lines import KeyPath
from .words import MISSING, describe, show

TORCH_KEYS = ("module",)


def torch_layers(reader: Any, value: Any) -> tuple[Layer, ...]:
    """The layers of the module a [torch] table names; sets the reader's provenance and parameter names."""
    table = reader.table(value, ("torch",), TORCH_KEYS)
    path: KeyPath = ("torch", "module")
    module = table.get("module", MISSING)
    file_name, _, class_name = module.rpartition(":") if isinstance(module, str) else ("",) * 3
    if not file_name or not class_name.isidentifier():
        reader.fail(path, "'FILE.py:NAME' (a Python file and the module's class name)", describe(module))
    if not reader.trust_code:
        raise SpecError(
            f"{reader.where(path)}: torch.module: the spec asks to import {show(file_name)}, which runs its "
            "Python code, and derive runs no code a spec names unless told to. If you trust the file, "
            "add --trust-code (trust_code=True in derive.load), or name the module with --from-torch"
        )
    folder = Path(str(reader.folder if reader.folder is not None else Path(reader.source).parent))
    module_file = _inside_folder(reader, path, file_name, folder)
    shown = os.path.join(os.path.dirname(reader.source), file_name)  # as the user would type it, never resolved
    context = f"{reader.where(path)}: torch.module"
    try:
        from .torch_module import read_module_path
    except ImportError as error:
        raise SpecError(f"{context}: cannot load PyTorch modules here ({error})") from None
    try:
        parts = read_module_path(str(module_file), class_name, shown=shown)
    except SpecError as error:
        raise SpecError(f"{context}: {error}") from None
    reader.provenance, reader.parameter_names = parts.dtypes, parts.names
    return tuple(parts.layers)


def _inside_folder(reader: Any, path: KeyPath, file_name: str, folder: Path) -> Path:
    """The module's file, which must resolve (symlinks followed) to a place inside the spec's folder."""
    expected = "a Python file in the spec's folder or below it (no absolute path, no '..' out of it)"
    if PurePosixPath(file_name).is_absolute() or Path(file_name).is_absolute() or Path(file_name).drive:
        reader.fail(path, expected, f"the absolute path {show(file_name)}")
    home = folder.resolve()
    resolved = (folder / file_name).resolve()
    if not resolved.is_relative_to(home):
        reader.fail(path, expected, f"{show(file_name)}, which leads out of it")
    return resolved
