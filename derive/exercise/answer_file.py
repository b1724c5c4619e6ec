"""A student's answers file (ANSWERS.toml): quantity IDs with numbers as written, each with its line."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

from ..errors import UsageError
from ..spec.toml_lines import make_locator

RESERVED = ("student", "variant")


@dataclass(frozen=True)
class Written:
    """A number as the student wrote it: its value, its half unit in the last place, its digits."""

    text: str
    value: Fraction
    half_unit: Fraction
    significant: int
    decimals: int


@dataclass(frozen=True)
class AnswerFile:
    """A parsed answers file: the student, the variant, and the answers by ID in the order written."""

    path: str
    student: str | None
    variant: str | None
    answers: dict[str, Written]
    lines: dict[str, str] = field(default_factory=dict)  # each key's place, 'answers.toml:3'

    def where(self, key: str) -> str:
        """The file and line a key was written on."""
        return self.lines.get(key, self.path)


def read_answers(path: str) -> AnswerFile:
    """Parse ANSWERS.toml: ``student`` and ``variant`` (optional), then quantity IDs with numbers."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such answers file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read the answers file: {error}") from None
    try:
        document = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        hint = " (an ID with @ must be quoted: \"out_h1@2\" = 0.5)" if "@" in text else ""
        raise UsageError(f"{path}: not a TOML answers file: {error}{hint}") from None
    locate = make_locator(text)
    lines = {str(key): f"{path}:{locate((key,))}" if locate((key,)) else path for key in document}
    student = _text(document, "student", lines)
    variant = _text(document, "variant", lines)
    answers = {}
    for key, value in document.items():
        if key in RESERVED:
            continue
        answers[key] = parse_written(value, f"{lines[key]}: {key}")
    if not answers:
        raise UsageError(f"{path}: no answers: write one line per quantity ID, such as grad_w5 = 0.0822")
    return AnswerFile(path, student, variant, answers, lines)


def _text(document: Mapping[str, Any], key: str, lines: Mapping[str, str]) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if isinstance(value, (int, Decimal)) and key == "variant":
        raise UsageError(f"{lines[key]}: variant: expected a variant ID in quotes, such as variant = \"7-3\", found {value}")
    if not isinstance(value, str):
        raise UsageError(f"{lines[key]}: {key}: expected text in quotes, found {value!r}")
    return value


def parse_written(value: Any, where: str) -> Written:
    """A number as written (a TOML number or a string such as "4.4e-4"), with the precision its digits claim."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise UsageError(f"{where}: expected a number, found {type(value).__name__} {value!r}")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise UsageError(f"{where}: expected a number, found {value!r}") from None
    if not number.is_finite():
        raise UsageError(f"{where}: expected a finite number, found {value!r}")
    sign, digits, exponent = number.as_tuple()
    significant = len("".join(map(str, digits)).lstrip("0"))
    unit = Fraction(10) ** exponent
    text = value.strip() if isinstance(value, str) else str(value)
    return Written(text, Fraction(number), unit / 2, significant, max(0, -exponent))
