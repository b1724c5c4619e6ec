"""A Moodle XML question bank: a category, then one Cloze question per variant with a NUMERICAL blank per answer.

The question text is HTML (math as \\( ... \\) for Moodle's MathJax filter): the network and the data as
tables, then a table of the blanks, each ``{1:NUMERICAL:=value:tolerance}``. Both the HTML and the XML
around it are built with xml.etree, so every character a title holds is escaped where it lands. A quiz
that draws a random question from the category gives each student a variant.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Sequence

from ..render.prose import Prose
from ..text.message import Code, Given, Math, Text, Value, msg
from .answers import decimal_text
from .model import Exercise
from .sheet import answer_symbol, prose_for, sheet_derivation

ANSWER_DIGITS = 15  # significant digits of a blank's value: more than any tolerance can tell apart
PENALTY = "0.3333333"  # Moodle's default penalty for another try


@dataclass(frozen=True)
class HtmlProse(Prose):
    """Prose for HTML: text escaped, math between \\( and \\)."""

    def value(self, value: Any) -> str:
        text = super().value(value)
        if isinstance(value, (Math, Given, Value)) and text.startswith("$"):
            return r"\(" + html.escape(text[1:-1], quote=False) + r"\)"
        return text


def _html_prose(exercise: Exercise) -> HtmlProse:
    base = prose_for(exercise, "latex", exercise.derivation, lambda typesetter: typesetter)
    return HtmlProse(base.catalogue, base.math, lambda text: html.escape(text, quote=False),
                     lambda text: f"<code>{html.escape(text, quote=False)}</code>")


def cloze(number: int, value: Any, tolerance: Any) -> str:
    """A NUMERICAL blank of the given weight: {1:NUMERICAL:=0.0822:0.000089}."""
    return f"{{{number}:NUMERICAL:={decimal_text(value, ANSWER_DIGITS)}:{decimal_text(tolerance)}}}"


def question_html(exercise: Exercise) -> str:
    """The question text: the task, the network and data, and one blank per answer."""
    prose = _html_prose(exercise)
    sheet = sheet_derivation(exercise)
    body = ET.Element("div")
    if exercise.variant is not None:
        _paragraph(body, prose.message(msg("exercise.sheet.variant", variant=Text(exercise.variant.id))), bold=True)
    options = exercise.options
    for line in (msg("exercise.sheet.task", count=len(exercise.blanks), precision=options.precision),
                 msg(f"exercise.sheet.rounding_{options.rounding}", precision=options.precision),
                 msg("moodle.digits")):
        _paragraph(body, prose.message(line))
    network = sheet.sections[0]
    _paragraph(body, prose.paragraph(network.intro))
    for table in network.tables:
        _table(body, [prose.value(h) for h in table.header], [[prose.value(c) for c in row] for row in table.rows])
    _paragraph(body, prose.message(msg("moodle.blanks")))
    header = [prose.value(msg(key)) for key in ("exercise.header_quantity", "exercise.header_id", "exercise.sheet.header_answer")]
    rows = []
    for key in exercise.blanks:
        answer = exercise.answers[key]
        symbol = prose.value(Math(answer_symbol(exercise.derivation, key)))
        rows.append([symbol, prose.value(Code(key)), cloze(1, answer.value, answer.tolerance)])
    _table(body, header, rows)
    return ET.tostring(body, encoding="unicode", method="html")


def _paragraph(parent: ET.Element, markup: str, bold: bool = False) -> None:
    """A <p> of prose whose only markup is <code> (from IDs); the rest is text."""
    paragraph = ET.SubElement(parent, "p")
    holder = ET.SubElement(paragraph, "strong") if bold else paragraph
    _fill(holder, markup)


def _fill(element: ET.Element, markup: str) -> None:
    """Text and <code> elements from prose already escaped for HTML, parsed back into elements."""
    fragment = ET.fromstring(f"<span>{markup}</span>")
    element.text = fragment.text
    element.extend(list(fragment))


def _table(parent: ET.Element, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = ET.SubElement(parent, "table", {"border": "1", "cellpadding": "4"})
    head = ET.SubElement(table, "tr")
    for cell in header:
        _fill(ET.SubElement(head, "th"), cell)
    for row in rows:
        line = ET.SubElement(table, "tr")
        for cell in row:
            _fill(ET.SubElement(line, "td"), cell)


def _feedback_html(exercise: Exercise) -> str:
    prose = _html_prose(exercise)
    body = ET.Element("div")
    _paragraph(body, prose.message(msg(f"exercise.key.convention_{exercise.options.rounding}",
                                       precision=exercise.options.precision)))
    header = [prose.value(msg(key)) for key in ("exercise.header_quantity", "exercise.header_id", "exercise.key.header_answer")]
    rows = [[prose.value(Math(answer_symbol(exercise.derivation, key))), prose.value(Code(key)), prose.value(Value(key))]
            for key in exercise.blanks]
    _table(body, header, rows)
    return ET.tostring(body, encoding="unicode", method="html")


def moodle_xml(exercises: Sequence[Exercise]) -> bytes:
    """The question bank: a category named after the network (and seed), then a Cloze question per exercise."""
    first = exercises[0]
    quiz = ET.Element("quiz")
    seed = f"-seed-{first.variant.seed}" if first.variant is not None else ""
    category = ET.SubElement(quiz, "question", {"type": "category"})
    _text(ET.SubElement(category, "category"), f"$course$/top/derive/{first.network.name}{seed}")
    _text(ET.SubElement(category, "info", {"format": "moodle_auto_format"}), "")
    for exercise in exercises:
        prose = _html_prose(exercise)
        question = ET.SubElement(quiz, "question", {"type": "cloze"})
        name = msg("moodle.name", title=Text(exercise.title), variant=Text(exercise.label))
        _text(ET.SubElement(question, "name"), html.unescape(prose.message(name)))
        _text(ET.SubElement(question, "questiontext", {"format": "html"}), question_html(exercise))
        _text(ET.SubElement(question, "generalfeedback", {"format": "html"}), _feedback_html(exercise))
        ET.SubElement(question, "penalty").text = PENALTY
        ET.SubElement(question, "hidden").text = "0"
        ET.SubElement(question, "idnumber").text = f"{exercise.network.name}-{exercise.label}"
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="UTF-8", xml_declaration=True) + b"\n"


def _text(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "text").text = text

