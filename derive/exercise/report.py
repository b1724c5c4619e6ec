"""A marking report as text (for the lecturer and the student) or JSON (for tools); every sentence from the catalogue."""

from __future__ import annotations

import json
from typing import Any, Callable

import sympy as sp
from sympy.printing.str import StrPrinter

from ..derivation.recompute import Recompute
from ..engine.arithmetic import to_float
from ..engine.rounding import fixed_text
from ..render.numbers import format_number
from ..render.prose import Prose
from ..text.catalogue import catalogue
from ..text.message import msg
from .answers import decimal_text
from .check import CARRIED, CREDITED, FEW_DIGITS, MIN_SIGNIFICANT, Checker, Mark, Report

FORMAT = "derive-check/1"
LINE_DECIMALS = 6  # the expected line shows at least this many decimals, and two more than the student wrote


class PlainPrinter(StrPrinter):
    """Formulas in plain text: each quantity by its ID, or by its value."""

    def __init__(self, name: Callable[[sp.Basic], str | None]) -> None:
        super().__init__({"order": "none"})
        self.name = name

    def _print(self, expr: Any, **kwargs: Any) -> str:
        found = self.name(expr) if isinstance(expr, sp.Basic) else None
        return found if found is not None else super()._print(expr, **kwargs)


def _plain_prose(lang: str) -> Prose:
    return Prose(catalogue(lang), None, lambda text: text, lambda text: text)  # type: ignore[arg-type]


def say(prose: Prose, key: str, **args: Any) -> str:
    """One catalogue message as plain text."""
    return prose.message(msg(key, **args))


def text_report(report: Report, checker: Checker, lang: str = "en") -> str:
    """The report for a person: one line per answer, the first wrong answer's line, the score."""
    prose = _plain_prose(lang)
    lines = [say(prose, "check.heading", spec=report.spec, student=report.student or say(prose, "check.anonymous"))]
    if report.variant:
        lines.append(say(prose, "check.variant", variant=report.variant))
    lines.append(say(prose, f"check.convention_{report.rounding or 'both'}", precision=report.precision))
    if report.tolerance:
        lines.append(say(prose, "check.tolerance", tolerance=decimal_text(report.tolerance)))
    lines.append("")
    width = max(len(mark.id) for mark in report.marks)
    answer_width = max(len(mark.written.text) if mark.written else 1 for mark in report.marks)
    for mark in report.marks:
        answer = mark.written.text if mark.written else "-"
        lines.append(f"  {mark.id:<{width}}  {answer:>{answer_width}}  {_status(prose, mark)}")
    wrong = report.first_wrong
    if wrong is not None and wrong.written is not None:
        lines.append("")
        lines.append(say(prose, "check.first_wrong", id=wrong.id))
        lines.extend("  " + line for line in expected_line(checker, report, wrong, lang))
        lines.append("  " + say(prose, "check.yours", answer=wrong.written.text))
    carried = sum(mark.status == CARRIED for mark in report.marks)
    lines.append("")
    if carried:
        lines.append(say(prose, "check.carried_note", count=carried))
    total = len(report.marks)
    percent = f"{100 * report.points / total:.0f}" if total else "0"
    lines.append(say(prose, "check.score", points=report.points, total=total, percent=percent))
    return "\n".join(lines) + "\n"


def _status(prose: Prose, mark: Mark) -> str:
    if mark.status == FEW_DIGITS:
        return say(prose, "check.status.too_few_digits", digits=MIN_SIGNIFICANT)
    if mark.status == CARRIED:
        return say(prose, "check.status.carried", earlier=", ".join(mark.because))
    return say(prose, f"check.status.{mark.status}")


def expected_line(checker: Checker, report: Report, mark: Mark, lang: str = "en") -> list[str]:
    """formula -> numbers -> value of an answer, the numbers being the student's own earlier answers where given."""
    recompute: Recompute = checker.recompute
    quantity = checker.quantities[mark.id]
    decimals = max(LINE_DECIMALS, (mark.written.decimals if mark.written else 0) + 2)
    values = recompute.values(overrides=checker.earlier(mark.id), wanted=recompute.references(mark.id))
    value = recompute.values(overrides={r: values[r] for r in recompute.references(mark.id)}, wanted=[mark.id])[mark.id]
    formula = recompute.formula(quantity)
    shown = format_number(value, decimals).plain()
    prose = _plain_prose(lang)
    if formula is None:  # the loss after the update: a forward pass with the new parameters
        sources = ", ".join(recompute.references(mark.id))
        lines = [f"{mark.id} = " + say(prose, "check.after_line", sources=sources), f"{' ' * len(mark.id)} = {shown}"]
    else:
        def by_id(expr: sp.Basic) -> str | None:
            found = recompute.lookup(expr, quantity.sample)
            return found.id if found is not None else None

        def by_value(expr: sp.Basic) -> str | None:
            found = recompute.lookup(expr, quantity.sample)
            if found is None:
                return None
            text = format_number(values[found.id], decimals).plain()
            return f"({text})" if text.startswith("-") else text

        pad = " " * len(mark.id)
        lines = [
            f"{mark.id} = {PlainPrinter(by_id).doprint(formula)}",
            f"{pad} = {PlainPrinter(by_value).doprint(formula)}",
            f"{pad} = {shown}",
        ]
    direct = [key for key in recompute.references(mark.id) if key in report.answers]
    if direct or mark.yours_from:
        lines.append(say(prose, "check.from_yours", ids=", ".join(direct or mark.yours_from)))
    if format_number(mark.exact, decimals).plain() != shown:
        lines.append(say(prose, "check.exact_value", value=format_number(mark.exact, decimals).plain()))
    return lines


def json_report(report: Report, checker: Checker, lang: str = "en") -> str:
    """The report as derive-check/1 JSON."""
    marks = []
    for mark in report.marks:
        entry: dict[str, Any] = {
            "id": mark.id,
            "answer": mark.written.text if mark.written else None,
            "status": mark.status,
            "credit": 1 if mark.status in CREDITED else 0,
            "exact": to_float(mark.exact),
            "exact_decimal": decimal_text(mark.exact),
            "carry": {str(places): fixed_text(value, places) for places, value in mark.carried.items()},
        }
        if mark.given_yours is not None:
            entry["given_yours"] = to_float(mark.given_yours)
            entry["from_yours"] = list(mark.yours_from)
            entry["because_of"] = list(mark.because)
        marks.append(entry)
    wrong = report.first_wrong
    payload = {
        "format": FORMAT,
        "spec": report.spec,
        "variant": report.variant,
        "student": report.student,
        "precision": report.precision,
        "rounding": report.rounding or "exact or carry",
        "tolerance": None if report.tolerance is None else to_float(report.tolerance),
        "answers": marks,
        "first_wrong": None if wrong is None else {
            "id": wrong.id,
            "line": expected_line(checker, report, wrong, lang) if wrong.written is not None else [],
        },
        "score": {"points": report.points, "out_of": len(report.marks)},
    }
    return json.dumps(payload, indent=2) + "\n"

