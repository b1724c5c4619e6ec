"""Marking a student's answers like a teacher: rounding allowed for, and error carried forward.

An answer is right when it is within half a unit in the last place of the digits written (or
``--tolerance``) of a reference value: the exact value, or the value carried by hand (each step
rounded to the sheet's precision, or to the decimals the student wrote). An answer that misses
them all is recomputed from the student's own earlier answers, substituted into its formula
(error carried forward): if it agrees with that, it is "right given your earlier value" when an
earlier answer it depends on was wrong, and simply right when the earlier ones were right but
rounded. Everything else is wrong; the report shows the first wrong answer's line.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..derivation.model import Derivation
from ..derivation.recompute import Recompute
from ..engine.rounding import to_fraction
from ..errors import UsageError
from ..spec.toml_lines import make_locator
from .blanks import shown_order

MIN_SIGNIFICANT = 2  # fewer digits cannot tell a right answer from a lucky guess
RESERVED = ("student", "variant")
RIGHT, CARRIED, WRONG, FEW_DIGITS, MISSING = "right", "carried", "wrong", "too_few_digits", "missing"
CREDITED = (RIGHT, CARRIED)
CONVENTIONS = ("exact", "carry")


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


@dataclass(frozen=True)
class Mark:
    """The verdict on one answer, with the values it was compared with."""

    id: str
    written: Written | None
    status: str
    exact: Any
    carried: dict[int, Fraction]  # the value carried by hand, by decimals
    given_yours: Any = None  # the formula over the student's own earlier values, where that differs
    yours_from: tuple[str, ...] = ()  # the student's answers that value was computed from
    because: tuple[str, ...] = ()  # of those, the ones that earned no credit of their own


@dataclass(frozen=True)
class Report:
    """Every mark in the derivation's order, the first wrong answer and the score."""

    spec: str
    student: str | None
    variant: str | None
    precision: int
    rounding: str | None
    tolerance: Fraction | None
    answers: dict[str, Fraction] = field(default_factory=dict)  # the student's values by ID
    marks: list[Mark] = field(default_factory=list)

    @property
    def first_wrong(self) -> Mark | None:
        """The first answer that earns nothing."""
        return next((mark for mark in self.marks if mark.status not in CREDITED), None)

    @property
    def points(self) -> int:
        """Answers that earn credit."""
        return sum(mark.status in CREDITED for mark in self.marks)

    @property
    def all_right(self) -> bool:
        """Whether every answer earns credit (exit status 0)."""
        return self.first_wrong is None


# -- reading an answers file


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


# -- marking


class Checker:
    """Marks answer files against one derivation (a spec's network or a variant's)."""

    def __init__(self, derivation: Derivation, precision: int, rounding: str | None = None,
                 tolerance: Fraction | None = None) -> None:
        self.derivation = derivation
        self.quantities = derivation.quantities
        self.recompute = Recompute(derivation)
        self.precision = precision
        self.rounding = rounding
        self.tolerance = tolerance
        self._carried: dict[int, dict[str, Any]] = {}

    def carried(self, decimals: int) -> dict[str, Any]:
        """Every value carried by hand at ``decimals`` places (computed once per number of decimals)."""
        found = self._carried.get(decimals)
        if found is None:
            found = self._carried[decimals] = self.recompute.values(decimals=decimals)
        return found

    def check(self, answers: AnswerFile, spec: str, expected: Sequence[str] = ()) -> Report:
        """Mark every answer (and list the ``expected`` IDs not answered as missing)."""
        self._known(answers)
        written = answers.answers
        yours = {key: w.value for key, w in written.items()}
        order = _dependency_order([k for k in shown_order(self.derivation) if k in written], self.recompute)
        statuses: dict[str, str] = {}
        marks: dict[str, Mark] = {}
        for key in order:
            mark = self._mark(key, written[key], yours, statuses)
            statuses[key] = mark.status
            marks[key] = mark
        report = Report(spec, answers.student, answers.variant, self.precision, self.rounding, self.tolerance, yours)
        for key in shown_order(self.derivation):
            if key in marks:
                report.marks.append(marks[key])
            elif key in expected:
                report.marks.append(Mark(key, None, MISSING, self.quantities[key].value, {}))
        return report

    def _known(self, answers: AnswerFile) -> None:
        for key in answers.answers:
            if key not in self.quantities:
                near = difflib.get_close_matches(key, list(self.quantities), n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                raise UsageError(f"{answers.where(key)}: no quantity '{key}' in this network{hint}")

    def _mark(self, key: str, written: Written, yours: dict[str, Fraction], statuses: dict[str, str]) -> Mark:
        exact = self.quantities[key].value
        places = sorted({self.precision, written.decimals})
        carried = {p: to_fraction(self.carried(p)[key]) for p in places}
        references = self._conventions(to_fraction(exact), carried)
        if written.significant < MIN_SIGNIFICANT and written.value != 0:
            return Mark(key, written, FEW_DIGITS, exact, carried)
        if any(self._accepts(written, reference) for reference in references):
            return Mark(key, written, RIGHT, exact, carried)
        upstream = self.recompute.upstream(key)
        used = tuple(k for k in shown_order(self.derivation) if k in upstream and k in yours)
        if not used:
            return Mark(key, written, WRONG, exact, carried)
        # The student may have worked on from each earlier answer as written, or kept their calculator's
        # digits of the right ones and carried only the wrong ones: both are their own values.
        slips = {k: v for k, v in yours.items() if statuses.get(k) not in (None, RIGHT)}
        given = self._given_yours(key, yours, places) + (self._given_yours(key, slips, places) if slips else [])
        if any(self._accepts(written, value) for value in given):
            because = tuple(k for k in used if statuses.get(k) not in (None, RIGHT))
            return Mark(key, written, CARRIED if because else RIGHT, exact, carried, given[0], used, because)
        return Mark(key, written, WRONG, exact, carried, given[0], used)

    def _conventions(self, exact: Fraction, carried: dict[int, Fraction]) -> list[Fraction]:
        references = []
        if self.rounding in (None, "exact"):
            references.append(exact)
        if self.rounding in (None, "carry"):
            references.extend(carried.values())
        return references

    def _given_yours(self, key: str, yours: dict[str, Fraction], places: list[int]) -> list[Any]:
        """``key``'s formula over the answers ``yours`` where given (and the values they lead to where not):
        exactly first, then carried at each number of decimals."""
        others = {k: v for k, v in yours.items() if k != key}
        conventions: list[int | None] = [None] if self.rounding != "carry" else []
        if self.rounding != "exact":
            conventions.extend(places)
        results = []
        for decimals in conventions:
            values = self.recompute.values(overrides=others, decimals=decimals, wanted=self.recompute.references(key))
            inputs = {ref: values[ref] for ref in self.recompute.references(key)}
            results.append(self.recompute.values(overrides=inputs, decimals=decimals, wanted=[key])[key])
        return [to_fraction(value) for value in results]

    def _accepts(self, written: Written, reference: Fraction) -> bool:
        margin = max(written.half_unit, self.tolerance or 0)
        return abs(written.value - reference) <= margin


def _dependency_order(keys: list[str], recompute: Recompute) -> list[str]:
    """The answered IDs with every answered quantity before those computed from it (stable otherwise)."""
    remaining = list(keys)
    done: list[str] = []
    placed: set[str] = set()
    while remaining:
        for key in remaining:
            earlier = recompute.upstream(key) & set(remaining)
            if not earlier - placed - {key}:
                done.append(key)
                placed.add(key)
                remaining.remove(key)
                break
        else:  # a cycle cannot happen in a derivation; keep the order given
            done.extend(remaining)
            break
    return done
