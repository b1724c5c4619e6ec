"""Reading a spec: a TOML file, a built-in example by name, or TOML text; syntax errors with their line.

Every problem a user can cause becomes a SpecError of the form
``{source}:{line}: {key path}: expected {what}, found {what was found}``.
"""

from __future__ import annotations

import decimal
import os
import re
import stat
import tomllib
from importlib.resources.abc import Traversable
from pathlib import Path

from .. import limits
from ..errors import SpecError
from ..network import Network
from ..resources import shipped_folder
from .reader import network_from_dict
from .toml_lines import first_line_deeper_than, make_locator
from .words import get_suggestion


def load_spec(spec: str, trust_code: bool = False) -> Network:
    """Load a spec file by path, or a built-in example by name; a path that exists wins.

    A spec is a regular file: an empty argument, a folder, a named pipe or a device is refused,
    checked with stat before anything is opened (opening a pipe would wait for a writer).
    ``trust_code`` lets a [torch] table import the module it names.
    """
    if spec == "":
        raise SpecError("SPEC '': expected a spec file or a built-in example name, found an empty argument")
    path = Path(spec)
    builtins = builtin_examples()
    info = _stat(path, spec)
    if info is not None and not (stat.S_ISDIR(info.st_mode) and spec in builtins):
        _check_regular(info.st_mode, spec)
        return parse_spec(
            read_text(path, spec), source=spec, name=path.stem, folder=path.parent, trust_code=trust_code
        )
    if spec in builtins:
        return parse_spec(_builtin_text(spec), source=spec, name=spec, folder=_examples_folder(), trust_code=trust_code)
    raise SpecError(_not_found_message(spec, builtins))


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_regular(mode: int, spec: str) -> None:
    if stat.S_ISREG(mode):
        return
    found = next((kind for test, kind in _KINDS if test(mode)), "a file that is not a regular file")
    raise SpecError(f"{spec}: expected a TOML spec file (a regular file), found {found}")


def builtin_examples() -> list[str]:
    """Names of the built-in example specs, sorted."""
    folder = _examples_folder()
    if not folder.is_dir():
        return []
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    )


def _examples_folder() -> Traversable:
    return shipped_folder("examples")


def _builtin_text(name: str) -> str:
    return _examples_folder().joinpath(f"{name}.toml").read_text(encoding="utf-8")


def _stat(path: Path, spec: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError) as error:
        raise SpecError(f"{spec}: cannot use this as a spec path: {getattr(error, 'strerror', None) or error}") from None


def read_text(path: Path, spec: str) -> str:
    """A spec file's text: UTF-8, at most MAX_SPEC_BYTES, never binary."""
    try:
        # O_NONBLOCK: should the file have become a pipe since the stat, opening it does not wait.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise SpecError(f"{spec}: cannot read the spec file: {error.strerror or error}") from None
    with os.fdopen(descriptor, "rb") as stream:
        _check_regular(os.fstat(descriptor).st_mode, spec)
        try:
            data = stream.read(limits.MAX_SPEC_BYTES + 1)
        except OSError as error:
            raise SpecError(f"{spec}: cannot read the spec file: {error.strerror or error}") from None
    if len(data) > limits.MAX_SPEC_BYTES:
        raise SpecError(
            f"{spec}: expected a TOML spec file of at most {limits.MAX_SPEC_BYTES // 2**20} MiB, "
            "found a larger one"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SpecError(
            f"{spec}:{line}: expected a TOML spec file (UTF-8 text), "
            f"found the byte 0x{data[error.start]:02x}, so this is not UTF-8 text"
        ) from None
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        raise SpecError(
            f"{spec}:{line}: expected a TOML spec file (text), found a NUL byte, so this is binary data"
        )
    return text


def _not_found_message(spec: str, builtins: list[str]) -> str:
    known = ", ".join(builtins) or "none installed"
    candidates = get_suggestion(spec, builtins) or get_suggestion(Path(spec).stem, builtins)
    return (
        f"{spec}: expected a spec file or a built-in example ({known}), "
        f"found no such file or example{candidates}"
    )


def parse_spec(
    text: str, source: str, name: str, folder: Path | Traversable | None = None, trust_code: bool = False
) -> Network:
    """Parse TOML text (numbers kept as the decimals written) and validate it into a Network.

    ``folder`` is where files the spec names (a CSV of data, a PyTorch module) are looked up;
    ``trust_code`` lets a [torch] table run the module it names.
    """
    deep = first_line_deeper_than(text, limits.MAX_NESTING)
    if deep is not None:
        raise SpecError(
            f"{source}:{deep}: expected arrays, tables and dotted keys nested at most "
            f"{limits.MAX_NESTING} deep, found deeper nesting"
        )
    try:
        doc = tomllib.loads(text, parse_float=decimal.Decimal)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(_syntax_error_message(source, str(error))) from None
    except ValueError as error:
        # tomllib lets int()'s digit limit escape as a plain ValueError, with no line.
        raise SpecError(f"{source}: TOML error: {str(error).split(';')[0]}") from None
    except RecursionError:
        raise SpecError(f"{source}: TOML error: values nested too deeply") from None
    return network_from_dict(doc, source, name, locate=make_locator(text), folder=folder, trust_code=trust_code)


def _syntax_error_message(source: str, message: str) -> str:
    located = re.fullmatch(r"(?s)(.*) \(at line (\d+), column (\d+)\)", message)
    if located:
        what, line, column = located.groups()
        return f"{source}:{line}: TOML syntax error: {what} (column {column})"
    at_end = re.fullmatch(r"(?s)(.*) \(at end of document\)", message)
    if at_end:
        return f"{source}: TOML syntax error: {at_end.group(1)} at the end of the file"
    return f"{source}: TOML syntax error: {message}"
