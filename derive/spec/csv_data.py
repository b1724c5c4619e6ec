"""A [data] table that names a CSV file: columns chosen by header name or index, numbers read as written."""

from __future__ import annotations

import csv
import io
import re
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Any

from .. import limits
from ..errors import SpecError
from .words import MISSING, describe, show

# An ASCII decimal as a person types one: 0.05, -1, .5, 2e-3; the exponent is bounded before
# Fraction sees it, since Fraction("1e999999999") would build a billion-digit integer.
DECIMAL = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?\s*")
WHOLE = re.compile(r"\s*[+-]?\d+\s*")


def read_csv_table(reader: Any, table: dict, path: tuple, layers: tuple, loss: Any) -> tuple[tuple, tuple, str]:
    """The inputs and targets of a [data] table with ``file``, ``input_columns`` and ``target_columns``."""
    for key in ("input", "target"):
        if key in table:
            reader.fail(path + (key,), f"either {key} rows or a file, not both", f"{key} and file")
    name = table["file"]
    if not isinstance(name, str) or not name.strip():
        reader.fail(path + ("file",), "the name of a CSV file next to the spec", describe(name))
    text = _read(reader, name, path + ("file",))
    rows = [row for row in csv.reader(io.StringIO(text))]
    numbered = [(line, row) for line, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if len(numbered) < 2:
        raise SpecError(f"{name}: expected a header row and at least one row of numbers, found {len(numbered)} rows")
    header = [cell.strip() for cell in numbered[0][1]]
    inputs_at = _columns(reader, table, path, "input_columns", header, name)
    outputs = layers[-1].out_features
    if not loss.targets:  # a loss that reads no targets (sum): zeros, and target_columns refused
        inputs_t = tuple(tuple(_number(row, at, header, name, line) for at in inputs_at) for line, row in numbered[1:])
        reader.check_inputs(inputs_t, path + ("input_columns",), layers)
        return inputs_t, reader.no_targets(table, path + ("target_columns",), inputs_t, layers, loss), name
    targets_at = _columns(reader, table, path, "target_columns", header, name)
    indices = loss.class_indices and len(targets_at) == 1 and outputs > 1
    inputs, targets = [], []
    for line, row in numbered[1:]:
        inputs.append(tuple(_number(row, at, header, name, line) for at in inputs_at))
        if indices:
            targets.append(_index(row, targets_at[0], header, name, line, outputs))
        else:
            targets.append(tuple(_number(row, at, header, name, line, loss.probabilities) for at in targets_at))
    inputs_t = tuple(inputs)
    reader.check_inputs(inputs_t, path + ("input_columns",), layers)
    if not indices and len(targets_at) != outputs:
        reader.fail(
            path + ("target_columns",),
            f"{outputs} column{'s' if outputs != 1 else ''} (layer[{len(layers)}] has {outputs} neuron"
            f"{'s' if outputs != 1 else ''})" + (", or one column of class indices" if loss.class_indices else ""),
            f"{len(targets_at)}",
        )
    return inputs_t, tuple(targets), name


def _read(reader: Any, name: str, path: tuple) -> str:
    """The CSV's text; its path must stay inside the spec's folder."""
    relative = PurePosixPath(name.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts or Path(name).is_absolute():
        reader.fail(path, "a file in the spec's folder or below it (no absolute path, no '..')", show(name))
    folder = reader.folder if reader.folder is not None else Path(reader.source).parent
    target = folder.joinpath(*relative.parts)
    try:
        if isinstance(target, Path) and not target.is_file():
            reader.fail(path, "an existing CSV file", f"no file {str(target)!r}")
        data = target.read_bytes()
    except OSError as error:
        reader.fail(path, "a readable CSV file", f"{name!r} ({error.strerror or error})")
    if len(data) > limits.MAX_SPEC_BYTES:
        raise SpecError(f"{name}: expected a CSV file of at most {limits.MAX_SPEC_BYTES // 2**20} MiB, found a larger one")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SpecError(f"{name}:{line}: expected UTF-8 text, found the byte 0x{data[error.start]:02x}") from None


def _columns(reader: Any, table: dict, path: tuple, key: str, header: list[str], name: str) -> list[int]:
    value = table.get(key, MISSING)
    if not isinstance(value, list) or not value:
        reader.fail(path + (key,), "a list of column names (or 0-based column numbers)", describe(value))
    positions = []
    for index, item in enumerate(value):
        if isinstance(item, str) and item in header:
            positions.append(header.index(item))
        elif type(item) is int and 0 <= item < len(header):
            positions.append(item)
        else:
            reader.fail(
                path + (key, index),
                f"a column of {name}: one of {', '.join(repr(h) for h in header)} or a number from 0 to {len(header) - 1}",
                describe(item),
            )
    return positions


def _cell(row: list[str], at: int, header: list[str], name: str, line: int) -> str:
    if at >= len(row):
        raise SpecError(f"{name}:{line}: column {header[at]!r}: expected a number, found nothing (the row is short)")
    return row[at]


def _number(row: list[str], at: int, header: list[str], name: str, line: int, probability: bool = False) -> Fraction:
    text = _cell(row, at, header, name, line)
    if not DECIMAL.fullmatch(text):
        raise SpecError(f"{name}:{line}: column {header[at]!r}: expected a decimal number such as 0.05, found {text!r}")
    value = Fraction(text.strip())
    if probability and not 0 <= value <= 1:
        raise SpecError(f"{name}:{line}: column {header[at]!r}: expected a probability from 0 to 1, found {text.strip()}")
    return value


def _index(row: list[str], at: int, header: list[str], name: str, line: int, outputs: int) -> int:
    text = _cell(row, at, header, name, line)
    if not WHOLE.fullmatch(text) or not 0 <= int(text) < outputs:
        raise SpecError(f"{name}:{line}: column {header[at]!r}: expected a class index from 0 to {outputs - 1}, found {text!r}")
    return int(text)
