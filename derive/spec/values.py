"""Reading a spec's values: tables of known keys, numbers kept as the decimals written, rows, matrices, one-line text.

Every problem raises SpecError as ``{source}:{line}: {key path}: expected {what}, found {what was found}``.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from fractions import Fraction
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, NoReturn

from .. import limits
from ..components.base import Setting, anything
from ..errors import SpecError
from ..network import Matrix
from .toml_lines import KeyPath, Locator
from .words import (
    count, describe, fits_float64, format_key_path, get_suggestion, invisible, is_finite, keys_phrase,
    misplaced_hint, show,
)

TOP_LEVEL_KEYS = ("title", "layer", "torch", "data", "loss", "train", "published", "exercise")


class ValueReader:
    """Reads the values of one spec, raising SpecError at the first problem; SpecReader knows its tables."""

    def __init__(self, source: str, locate: Locator | None, folder: Path | Traversable | None) -> None:
        self.source = source
        self.locate = locate
        self.folder = folder
        self.provenance: tuple[str, ...] = ()  # set when the layers come from a PyTorch module

    # -- errors

    def where(self, path: KeyPath) -> str:
        line = self.locate(path) if self.locate and path else None
        return f"{self.source}:{line}" if line else self.source

    def fail(self, path: KeyPath, expected: str, found: str, suggestion: str = "") -> NoReturn:
        subject = f"{format_key_path(path)}: " if path else ""
        raise SpecError(f"{self.where(path)}: {subject}expected {expected}, found {found}{suggestion}")

    # -- generic shapes

    def table(self, value: Any, path: KeyPath, allowed: Sequence[str]) -> dict:
        if not isinstance(value, dict):
            self.fail(path, "a table", describe(value))
        for key in value:
            if key not in allowed:
                self.fail(
                    path + (key,),
                    keys_phrase(allowed),
                    f"the unknown key {key!r}",
                    get_suggestion(str(key), allowed) or misplaced_hint(key, path, TOP_LEVEL_KEYS),
                )
        return value

    def choice(self, value: Any, path: KeyPath, choices: Sequence[str]) -> str:
        expected = f"one of {', '.join(choices)}"
        if not isinstance(value, str):
            self.fail(path, expected, describe(value))
        if value not in choices:
            self.fail(path, expected, show(value), get_suggestion(value, choices))
        return value

    def number(
        self, value: Any, path: KeyPath, expected: str = "a number", accept: Callable[[Fraction], bool] = anything
    ) -> Fraction:
        if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal, Fraction)):
            self.fail(path, expected, describe(value))
        if not is_finite(value):
            self.fail(path, f"{expected} (a finite one)", show(value))
        if not fits_float64(value):
            self.fail(path, f"{expected} within float64's range (1e-308 to 1e308)", show(value))
        exact = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
        if not accept(exact):
            self.fail(path, expected, show(value))
        return exact

    def whole(self, value: Any, path: KeyPath) -> int:
        if type(value) is not int or value < 1:
            self.fail(path, "a whole number of at least 1", describe(value))
        return value

    def row(
        self, value: Any, path: KeyPath, expected: str = "a number", accept: Callable[[Fraction], bool] = anything
    ) -> tuple[Fraction, ...]:
        if not isinstance(value, list) or not value:
            self.fail(path, "a non-empty list of numbers", describe(value))
        return tuple(self.number(item, path + (index,), expected, accept) for index, item in enumerate(value))

    def matrix(
        self,
        value: Any,
        path: KeyPath,
        shape: str,
        allow_flat: bool,
        expected: str = "a number",
        accept: Callable[[Fraction], bool] = anything,
    ) -> Matrix:
        if not isinstance(value, list) or not value:
            self.fail(path, f"a non-empty list of rows ({shape})", describe(value))
        if not any(isinstance(item, list) for item in value):
            if allow_flat:
                return (self.row(value, path, expected, accept),)
            self.fail(path, f"a list of rows ({shape}); one row is written [[...]]", f"the flat list {show(value)}")
        rows = []
        for index, item in enumerate(value):
            if not isinstance(item, list):
                self.fail(path + (index,), "a row (a list of numbers)", describe(item))
            rows.append(self.row(item, path + (index,), expected, accept))
        width = len(rows[0])
        for index, row in enumerate(rows):
            if len(row) != width:
                self.fail(path + (index,), f"{count(width, 'number')}, like the first row", count(len(row), "number"))
        return tuple(rows)

    def setting(self, value: Any, path: KeyPath, setting: Setting) -> Any:
        if setting.kind == "pair":
            if not isinstance(value, list) or len(value) != 2:
                self.fail(path, setting.shape, describe(value))
            return tuple(self.number(item, path + (i,), setting.expected, setting.accept) for i, item in enumerate(value))
        if setting.kind == "flag":
            if not isinstance(value, bool):
                self.fail(path, "true or false", describe(value))
            return value
        if setting.kind == "choice":
            return self.choice(value, path, setting.choices)
        return self.number(value, path, setting.expected, setting.accept)

    def text(self, value: Any, path: KeyPath, noun: str) -> str:
        if not isinstance(value, str):
            self.fail(path, "a string", describe(value))
        if len(value) > limits.MAX_TITLE_CHARACTERS:
            self.fail(path, f"a {noun} of at most {limits.MAX_TITLE_CHARACTERS} characters", f"{len(value)} characters")
        for index, char in enumerate(value):
            if invisible(char):
                self.fail(
                    path,
                    f"a one-line {noun} of visible characters (it is printed literally)",
                    f"the control or invisible character {char!r} (U+{ord(char):04X}) at position {index + 1}",
                )
        return value
