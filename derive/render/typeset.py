"""Equations laid out in rows: lhs = forms = numbers = value, each row printed by the one printer, long rows broken."""

from __future__ import annotations

import re
from typing import Any, Mapping

import sympy as sp

from ..derivation.model import Equation
from ..derivation.nodes import MatrixOp, QuantityRef
from ..derivation.notation import Marked, Name, Written
from ..derivation.quantities import Quantities
from .numbers import NumberFormat
from .printer import OPERATIONS, DerivePrinter, latex_number

ROW_BUDGET = 52  # estimated visible characters of one step of a row before the step is broken
LINE_BUDGET = 78  # estimated visible characters of a whole row, its left-hand side included
MATRIX = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", re.S)
PLAIN_MARKS = re.compile(r"[{}^_&]")
SPACING_COMMANDS = re.compile(r"\\(left|right|mathit|operatorname|quad)\b")
COMMAND = re.compile(r"\\[a-zA-Z]+")
FRACTION = "\\frac"


class Typesetter:
    """The printers of one document: symbolic, and with each sample's values (or the batch's) put in."""

    def __init__(self, names: Mapping[sp.Basic, Written], quantities: Quantities, precision: int, words: Mapping[str, str]):
        self.names = names
        self.quantities = quantities
        self.format = NumberFormat(precision)
        self.words = words
        self._printers: dict[Any, DerivePrinter] = {}

    def printer(self, scope: Any = "symbolic") -> DerivePrinter:
        """The printer for a scope: ``"symbolic"``, a sample's row, or None for the batch."""
        found = self._printers.get(scope)
        if found is None:
            values = None if scope == "symbolic" else self.quantities.scope(scope)
            found = DerivePrinter(self.names, self.format, values, self.quantities, self.words)
            self._printers[scope] = found
        return found

    def symbolic(self, expr: Any) -> str:
        """Math printed with names only."""
        if isinstance(expr, (Name, Marked)):
            return self.printer().name(expr)
        return self.printer().doprint(expr)

    def numeric(self, expr: sp.Basic, scope: int | None) -> str:
        """Math printed with the values of ``scope`` put in."""
        return self.printer(scope).doprint(expr)

    def number(self, value: Any, decimals: int | None = None) -> str:
        """A number standing alone, at the document's precision or at ``decimals``."""
        formatted = self.format(value) if decimals is None else NumberFormat(decimals)(value)
        return latex_number(formatted)

    def given(self, quantity: str, symbol: sp.Basic | None = None) -> str:
        """'symbol = value' (or approximately equal) of a quantity."""
        found = self.quantities[quantity]
        formatted = self.format(found.value)
        relation = "=" if formatted.exact else r"\approx"
        return f"{self.symbolic(symbol if symbol is not None else found.symbol)} {relation} {latex_number(formatted)}"

    def rows(self, equation: Equation) -> list[str]:
        """The rows of an aligned display: lhs = form = ... = numbers = value, long rows broken."""
        pieces: list[tuple[str, sp.Basic, Any]] = [("=", form, "symbolic") for form in equation.forms]
        if equation.numbers is not None:
            pieces.append((self._numbers_relation(equation), equation.numbers, equation.scope))
        texts: list[tuple[str, list[str]]] = []
        for relation, expr, scope in pieces:
            parts = self._parts(expr, scope)
            if texts and " ".join(texts[-1][1]) == " ".join(parts):
                continue
            texts.append((relation, parts))
        if equation.quantity is not None:
            formatted = self.format(self.quantities[equation.quantity].value)
            value_tex = latex_number(formatted)
            last = " ".join(texts[-1][1]) if texts else None
            if value_tex != last:
                texts.append(("=" if formatted.exact else r"\approx", [value_tex]))
        lhs = self.symbolic(equation.lhs)
        rows: list[str] = []
        width = 0  # the visible width of the row being filled, its left-hand side included
        for i, (relation, parts) in enumerate(texts):
            chunks = _pack(parts)
            step = f"{relation} {chunks[0]}"
            if rows and len(chunks) == 1 and width + visible_width(step) + 1 <= LINE_BUDGET:
                rows[-1] += f" {step}"  # a short step joins its row: lhs = form = numbers = value
                width += visible_width(step) + 1
                continue
            for j, chunk in enumerate(chunks):
                start = lhs if i == 0 and j == 0 else ""
                rows.append(f"{start} &{relation} {chunk}" if j == 0 else rf"&\quad {chunk}")
                width = visible_width(f"{start} {relation} {chunk}") if j == 0 else visible_width(chunk) + 2
            if len(chunks) > 1:
                width = LINE_BUDGET  # a broken step keeps its rows to itself
        return rows

    def _numbers_relation(self, equation: Equation) -> str:
        """'=' for a substitution; '\\approx' when the numbers row is a lone value, or a matrix of
        values, shown rounded."""
        numbers = equation.numbers
        if isinstance(numbers, sp.MatrixBase):
            shown = [self.quantities[entry.quantity].value for entry in numbers if isinstance(entry, QuantityRef)]
            if len(shown) == len(numbers):
                return "=" if all(self.format(value).exact for value in shown) else r"\approx"
            return "="
        quantity = self.quantities.lookup(numbers, equation.scope)
        if quantity is not None and not self.format(quantity.value).exact:
            return r"\approx"
        return "="

    def _parts(self, expr: sp.Basic, scope: Any) -> list[str]:
        """An expression printed whole, or as its top-level terms (with their signs) when too wide."""
        whole = self.printer(scope).doprint(expr)
        if visible_width(whole) <= ROW_BUDGET or not isinstance(expr, (sp.Add, sp.Mul, MatrixOp)):
            return [whole]
        if isinstance(expr, sp.Mul) and expr.args[0] == -1 and len(expr.args) == 2:
            inner = self._parts(expr.args[1], scope)
            if len(inner) > 1:
                return [r"- \bigl(" + inner[0]] + inner[1:-1] + [inner[-1] + r"\bigr)"]
            return [r"- \bigl(" + inner[0] + r"\bigr)"]
        if isinstance(expr, MatrixOp):
            joiner, operands = OPERATIONS[expr.operation], expr.operands
        else:
            joiner, operands = ("+" if isinstance(expr, sp.Add) else r"\cdot"), expr.args
        parts = []
        for i, arg in enumerate(operands):
            # A product inside a sum (or inside another matrix operation) binds tighter than its
            # surroundings, so it may break across rows too without parentheses.
            nested = isinstance(arg, (sp.Mul, MatrixOp)) and not isinstance(expr, sp.Mul)
            pieces = self._parts(arg, scope) if nested else [self.printer(scope).doprint(arg)]
            if isinstance(expr, sp.Mul) and isinstance(arg, sp.Add):  # a sum as a factor keeps its parentheses
                pieces = [rf"\left({pieces[0]}\right)"]
            text = pieces[0]
            if isinstance(expr, sp.Add) and text.startswith("-"):
                parts.append(text if i == 0 else "- " + text.lstrip("- "))
            else:
                parts.append(text if i == 0 else f"{joiner} {text}")
            parts.extend(pieces[1:])
        return parts


def visible_width(tex: str) -> int:
    """A rough count of the characters a LaTeX math string shows, to decide where rows break."""
    if "\\" not in tex and not PLAIN_MARKS.search(tex):
        return len(tex) - tex.count(" ")  # plain text (a number): nothing to strip but spaces
    tex = MATRIX.sub(lambda match: "x" * _matrix_width(match.group(1)), tex)
    tex = _fractions_flattened(tex)
    tex = SPACING_COMMANDS.sub("", tex)
    tex = COMMAND.sub("x", tex)
    tex = PLAIN_MARKS.sub("", tex)
    return len(tex.replace(" ", ""))


def _fractions_flattened(tex: str) -> str:
    """``tex`` with each \\frac{a}{b} replaced by as many x as its wider part shows: a fraction
    stacks its parts, so it is as wide as the wider one, not as both side by side."""
    start = tex.find(FRACTION)
    while start >= 0:
        numerator_end = _group_end(tex, start + len(FRACTION))
        denominator_end = _group_end(tex, numerator_end)
        if numerator_end < 0 or denominator_end < 0:
            return tex  # not a fraction of two groups: counted as written
        numerator = tex[start + len(FRACTION) + 1 : numerator_end - 1]
        denominator = tex[numerator_end + 1 : denominator_end - 1]
        width = max(visible_width(numerator), visible_width(denominator))
        tex = tex[:start] + "x" * width + tex[denominator_end:]
        start = tex.find(FRACTION, start)
    return tex


def _group_end(tex: str, at: int) -> int:
    """The index just past the braced group that opens at ``at``, or -1 when none opens there."""
    if at >= len(tex) or tex[at] != "{":
        return -1
    depth = 0
    for index in range(at, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[index], 0)
        if depth == 0:
            return index + 1
    return -1


def _matrix_width(body: str) -> int:
    rows = [row.split("&") for row in body.split("\\\\")]
    columns = max(len(row) for row in rows)
    widths = [max(visible_width(row[c]) if c < len(row) else 0 for row in rows) for c in range(columns)]
    return sum(widths) + 2 * columns


def _pack(parts: list[str]) -> list[str]:
    rows: list[str] = []
    current, width = "", 0  # parts are whole terms joined by spaces, so their widths add up
    for part in parts:
        part_width = visible_width(part)
        if current and width + part_width > ROW_BUDGET:
            rows.append(current)
            current, width = part, part_width
        else:
            current, width = f"{current} {part}".strip(), width + part_width
    rows.append(current)
    return rows
