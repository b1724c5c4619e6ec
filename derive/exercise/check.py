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
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping, Sequence

import sympy as sp

from ..derivation.model import Derivation
from ..derivation.recompute import GIVEN_KINDS, Recompute
from ..engine.rounding import to_fraction
from ..errors import UsageError
from .answer_file import AnswerFile, Written
from .blanks import shown_order

MIN_SIGNIFICANT = 2  # fewer digits cannot tell a right answer from a lucky guess
RIGHT, CARRIED, WRONG, FEW_DIGITS, MISSING = "right", "carried", "wrong", "too_few_digits", "missing"
CREDITED = (RIGHT, CARRIED)
CONVENTIONS = ("exact", "carry")


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
        self._upstream: dict[str, set[str]] = {}
        self._stand_ins: dict[str, str] = {}
        self._yours: dict[str, Fraction] = {}
        self._written: dict[str, Written] = {}

    def carried(self, decimals: int) -> dict[str, Any]:
        """Every value carried by hand at ``decimals`` places (computed once per number of decimals)."""
        found = self._carried.get(decimals)
        if found is None:
            found = self._carried[decimals] = self.recompute.values(decimals=decimals)
        return found

    def check(self, answers: AnswerFile, spec: str, expected: Sequence[str] = ()) -> Report:
        """Mark every answer (and list the ``expected`` IDs not answered as missing)."""
        self._known(answers)
        written = self._written = answers.answers
        yours = {key: w.value for key, w in written.items()}
        # An answer whose formula is another quantity alone (grad_b_o1 = delta_o1) is the student's value of
        # that quantity too, which later lines (grad_w5 = delta_o1 out_h1) are recomputed from.
        stand_ins = {self.recompute.references(key)[0]: key for key in written if self._stands_in(key)}
        self._stand_ins = {target: key for target, key in stand_ins.items() if target not in written}
        self._yours = yours | {target: yours[key] for target, key in self._stand_ins.items()}
        self._upstream = {key: self.recompute.upstream(key) | {stand_ins[t] for t in self.recompute.upstream(key)
                                                               if t in stand_ins} - {key} for key in written}
        order = _dependency_order([k for k in shown_order(self.derivation) if k in written], self._upstream)
        statuses: dict[str, str] = {}
        marks: dict[str, Mark] = {}
        for key in order:
            mark = self._mark(key, written[key], statuses)
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

    def earlier(self, key: str) -> dict[str, Fraction]:
        """The student's values ``key`` is recomputed from: every answer but its own, stand-ins included."""
        return {k: v for k, v in self._yours.items() if k != key and self._stand_ins.get(k) != key}

    def _mark(self, key: str, written: Written, statuses: dict[str, str]) -> Mark:
        exact = self.quantities[key].value
        places = sorted({self.precision, written.decimals})
        carried = {p: to_fraction(self.carried(p)[key]) for p in places}
        references = self._conventions(to_fraction(exact), carried)
        if written.significant < MIN_SIGNIFICANT and written.value != 0:
            return Mark(key, written, FEW_DIGITS, exact, carried)
        if any(self._accepts(written, reference) for reference in references):
            return Mark(key, written, RIGHT, exact, carried)
        upstream = self._upstream[key]
        used = tuple(k for k in shown_order(self.derivation) if k in upstream and k in statuses)
        if not used:
            return Mark(key, written, WRONG, exact, carried)
        # The student may have worked on from each earlier answer as written, or kept their calculator's
        # digits of the right ones and carried only the wrong ones: both are their own values.
        yours = self.earlier(key)
        slips = {k: v for k, v in yours.items() if statuses.get(self._stand_ins.get(k, k)) not in (None, RIGHT)}
        given = self._given_yours(key, yours, places) + (self._given_yours(key, slips, places) if slips else [])
        spread = self._spread(key, {k: v for k, v in yours.items() if self._stand_ins.get(k, k) in used}, given[0])
        if any(self._accepts(written, value, spread) for value in given):
            because = tuple(k for k in used if statuses.get(k) not in (None, RIGHT))
            return Mark(key, written, CARRIED if because else RIGHT, exact, carried, given[0], used, because)
        return Mark(key, written, WRONG, exact, carried, given[0], used)

    def _stands_in(self, key: str) -> bool:
        """Whether ``key``'s formula is one derived quantity alone, as a bias gradient is its neuron's delta."""
        formula = self.recompute.formula(self.quantities[key])
        references = self.recompute.references(key)
        return (isinstance(formula, sp.Symbol) and len(references) == 1
                and self.quantities[references[0]].kind not in GIVEN_KINDS)

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
        conventions: list[int | None] = [None] if self.rounding != "carry" else []
        if self.rounding != "exact":
            conventions.extend(places)
        results = []
        for decimals in conventions:
            values = self.recompute.values(overrides=yours, decimals=decimals, wanted=self.recompute.references(key))
            inputs = {ref: values[ref] for ref in self.recompute.references(key)}
            results.append(self.recompute.values(overrides=inputs, decimals=decimals, wanted=[key])[key])
        return [to_fraction(value) for value in results]

    def _spread(self, key: str, earlier: dict[str, Fraction], value: Fraction) -> Fraction:
        """How far ``key``'s value from the ``earlier`` answers moves when each moves by half a unit in its last
        written digit: a student computes on with their calculator's digits, not only those they wrote."""
        spread = Fraction(0)
        for k, v in earlier.items():
            half = self._written[self._stand_ins.get(k, k)].half_unit
            moved = self._given_yours(key, {**earlier, k: v + half}, [self.precision])[0]
            spread += abs(moved - value)
        return spread

    def _accepts(self, written: Written, reference: Fraction, spread: Fraction = Fraction(0)) -> bool:
        margin = max(written.half_unit, self.tolerance or 0) + spread
        return abs(written.value - reference) <= margin


def _dependency_order(keys: list[str], upstream: Mapping[str, set[str]]) -> list[str]:
    """The answered IDs with every answered quantity before those computed from it (stable otherwise)."""
    remaining = list(keys)
    done: list[str] = []
    placed: set[str] = set()
    while remaining:
        for key in remaining:
            earlier = upstream[key] & set(remaining)
            if not earlier - placed - {key}:
                done.append(key)
                placed.add(key)
                remaining.remove(key)
                break
        else:  # a cycle cannot happen in a derivation; keep the order given
            done.extend(remaining)
            break
    return done
