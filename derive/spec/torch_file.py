"""Loading a PyTorch module from a file (``--from-torch FILE.py:NAME``), and reading its floats as short decimals.

Whatever the module prints while it is imported, built or traced goes to stderr: with ``-o -``
stdout carries the document and nothing else.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.util
import inspect
import itertools
import math
import os
import stat
import struct
import sys
from collections.abc import Iterator
from fractions import Fraction
from types import ModuleType
from typing import Any

from ..errors import SpecError, ToolMissingError

try:
    import torch
    from torch import nn
except ImportError as error:  # pragma: no cover - exercised only without torch
    raise ToolMissingError("PyTorch is needed to read a module (install it with: pip install 'backprop-derive[torch]')") from error

_module_names = itertools.count()


def shortest_decimal(value: float, dtype_is_float32: bool) -> Fraction:
    """The shortest decimal that reads back as ``value`` (in float32 or float64), as a Fraction."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    if not dtype_is_float32:
        return Fraction(repr(float(value)))
    value = _to_float32(value)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if _reads_back_as_float32(Fraction(text), value):
            return Fraction(text)
    return Fraction(value)  # unreachable: 9 significant digits always round-trip a float32


def _to_float32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def _reads_back_as_float32(decimal: Fraction, value: float) -> bool:
    # Decide exactly, with rationals: going decimal -> float64 -> float32 can round twice.
    if value == 0:
        return decimal == 0
    magnitude, sign = abs(value), (1 if value > 0 else -1)
    bits = struct.unpack("<I", struct.pack("<f", magnitude))[0]
    below = Fraction(struct.unpack("<f", struct.pack("<I", bits - 1))[0])
    above = (
        Fraction(2**128)  # the rounding boundary past the largest float32
        if bits + 1 == 0x7F800000
        else Fraction(struct.unpack("<f", struct.pack("<I", bits + 1))[0])
    )
    exact = Fraction(magnitude)
    low, high = (below + exact) / 2, (exact + above) / 2
    target = decimal * sign
    if low < target < high:
        return True
    ties_to_even = bits % 2 == 0
    return ties_to_even and target in (low, high)


def load_module(path: str, class_name: str, shown: str | None = None) -> nn.Module:
    """The module ``class_name()`` (or the instance of that name) from the Python file at ``path``.

    The file and any module it imports from its own folder are gone from ``sys.modules`` afterwards.
    Messages name the file ``shown`` (the path as the user wrote it), by default ``path``.
    """
    before = set(sys.modules)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        with module_output_to_stderr():
            return _instantiate(_import_file(path, shown or path), shown or path, class_name)
    finally:
        for name in set(sys.modules) - before:
            if name.startswith("_derive_from_torch_") or _inside(getattr(sys.modules[name], "__file__", None), folder):
                del sys.modules[name]


@contextlib.contextmanager
def module_output_to_stderr() -> Iterator[None]:
    """Send what Python code prints to stdout to stderr instead, while a user's module runs."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _inside(file: str | None, folder: str) -> bool:
    return file is not None and os.path.abspath(file).startswith(folder + os.sep)


def _import_file(path: str, shown: str) -> ModuleType:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        raise SpecError(f"{shown}: no such file") from None
    if stat.S_ISDIR(mode):
        raise SpecError(f"{shown}: is a folder; expected a Python file (.py)")
    if not stat.S_ISREG(mode):  # a named pipe would make the import wait forever
        raise SpecError(f"{shown}: expected a Python file (.py), found something that is not a regular file")
    if not path.endswith(".py"):
        raise SpecError(f"{shown}: expected a Python file ending in .py")

    # A unique name keeps the file's `if __name__ == "__main__":` block from running.
    name = f"_derive_from_torch_{next(_module_names)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SpecError(f"{shown}: cannot be imported as a Python module")
    file_module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.modules[name] = file_module
    sys.path.insert(0, folder)  # so the file can import its siblings
    try:
        spec.loader.exec_module(file_module)
    except (Exception, SystemExit) as error:
        raise SpecError(f"{shown}: importing the file failed: {one_line(error)}") from error
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return file_module


def _instantiate(file_module: ModuleType, path: str, class_name: str) -> nn.Module:
    origin = f"{path}:{class_name}"
    if not hasattr(file_module, class_name):
        raise SpecError(f"{path}: no class `{class_name}`{_suggestion(file_module, class_name)}")
    found = getattr(file_module, class_name)
    if isinstance(found, nn.Module):
        return found  # an instance defined at module level is used as it is
    if not (isinstance(found, type) and issubclass(found, nn.Module)):
        kind = type(found).__name__
        raise SpecError(f"{origin}: `{class_name}` is a {kind}, not an nn.Module class")
    needed = _required_parameters(found)
    if needed:
        raise SpecError(
            f"{origin}: the constructor needs arguments ({', '.join(needed)}); "
            "derive creates the module with none, so give them default values"
        )
    try:
        return found()
    except Exception as error:
        raise SpecError(f"{origin}: creating {class_name}() failed: {one_line(error)}") from error


def _required_parameters(cls: type) -> list[str]:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return []
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [
        p.name
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty and p.kind not in variadic
    ]


def _suggestion(file_module: ModuleType, wanted: str) -> str:
    candidates = [
        name
        for name, value in vars(file_module).items()
        if isinstance(value, nn.Module)
        or (
            isinstance(value, type)
            and issubclass(value, nn.Module)
            and value.__module__ == file_module.__name__
        )
    ]
    close = difflib.get_close_matches(wanted, candidates, n=3)
    if close:
        return "; did you mean " + " or ".join(f"`{name}`" for name in close) + "?"
    if candidates:
        return "; the file defines " + ", ".join(f"`{name}`" for name in sorted(candidates))
    return "; the file defines no nn.Module class"


def tensor_decimals(tensor: torch.Tensor, where: str) -> Any:
    """A 1-d or 2-d tensor of real floats as nested tuples of Fractions, each the shortest decimal.

    Complex weights are refused rather than cut to their real part, and so is NaN or infinity,
    named by its place (``layer.weight[0][1]``).
    """
    if tensor.dtype.is_complex:
        raise SpecError(f"{where}: expected real numbers, found a complex tensor ({_dtype(tensor)})")
    if not tensor.dtype.is_floating_point:
        raise SpecError(f"{where}: expected floating-point numbers, found a {_dtype(tensor)} tensor")
    values = tensor.detach().cpu()
    is_float32 = values.dtype == torch.float32
    if values.dtype not in (torch.float32, torch.float64):
        values = values.to(torch.float64)  # exact for float16 and bfloat16
    rows = values.tolist() if values.dim() == 2 else [values.tolist()]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if not math.isfinite(value):
                place = f"[{r}][{c}]" if values.dim() == 2 else f"[{c}]"
                raise SpecError(f"{where}{place}: expected a finite number, found {value}")
    decimals = tuple(tuple(shortest_decimal(v, is_float32) for v in row) for row in rows)
    return decimals if values.dim() == 2 else decimals[0]


def _dtype(tensor: torch.Tensor) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def one_line(error: BaseException) -> str:
    """An exception as one short line: its type and the first line of its message."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
