"""The one LaTeX printer: names, partials, activations, matrix forms and numbers, and equations laid out in rows.

Every piece of math a document shows is printed here from SymPy objects and derive's small nodes;
templates only place the results. With a scope of values, symbols print as their numbers.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter

from ..components import ACTIVATIONS
from ..derivation.model import Equation
from ..derivation.nodes import (
    Applied, Gradient, LayerSlope, MatrixOp, MatrixShape, Operator, Partial, QuantityRef, Transposed,
)
from ..derivation.notation import Marked, Name, Written
from ..derivation.quantities import Quantities, Quantity
from .numbers import Formatted, NumberFormat

SIMPLE_FACTORS = (sp.Symbol, Partial, Applied, sp.Add)
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "lambda", "mu", "sigma", "tau", "phi", "nabla"}
MARKS = {"plus": "+", "transpose": r"\top"}
OPERATIONS = {"product": "", "hadamard": r"\odot"}  # what joins a matrix operation's operands
SIGNS = {"hadamard": r"\odot", "approx": r"\approx"}  # an operation's sign standing alone
ROW_BUDGET = 52  # estimated visible characters per display-math row before it is broken
MATRIX = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", re.S)
PLAIN_MARKS = re.compile(r"[{}^_&]")


def latex_number(formatted: Formatted) -> str:
    """A formatted number as LaTeX: 0.1385, or 4.3857 \\times 10^{-4}."""
    if formatted.exponent is None:
        return formatted.mantissa
    return rf"{formatted.mantissa} \times 10^{{{formatted.exponent}}}"


def has_superscript(written: Written) -> bool:
    """Whether a name ends in a superscript, so that another mark needs parentheses around it."""
    return isinstance(written, Marked) or written.sup is not None


class DerivePrinter(LatexPrinter):
    """Prints SymPy expressions in derive's notation; with ``values``, symbols print as their numbers."""

    def __init__(
        self,
        names: Mapping[sp.Basic, Written],
        number_format: NumberFormat,
        values: Mapping[sp.Basic, Quantity] | None = None,
        quantities: Quantities | None = None,
        words: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__({"order": "none", "mul_symbol": "dot", "mat_str": "bmatrix", "mat_delim": ""})
        self.names = names
        self.format = number_format
        self.values = values
        self.quantities = quantities
        self.words = words or {}
        self._root: sp.Basic | None = None
        self._matrix_depth = 0
        self._names: dict[Written, str] = {}  # a name is printed the same way every time

    def doprint(self, expr: sp.Basic) -> str:
        """Print ``expr``; a lone number is never parenthesized."""
        self._root = expr
        return super().doprint(expr)

    def number(self, value: Any, standalone: bool = False) -> str:
        """A value as LaTeX; negative or scientific values are parenthesized inside expressions."""
        formatted = self.format(value)
        text = latex_number(formatted)
        if not standalone and (formatted.negative or formatted.exponent is not None):
            return rf"\left({text}\right)"
        return text

    def name(self, written: Written) -> str:
        """A display name as LaTeX."""
        found = self._names.get(written)
        if found is None:
            found = self._names[written] = self._name(written)
        return found

    def _name(self, written: Written) -> str:
        if isinstance(written, Marked):
            inner = self.name(written.inner)
            mark = f"({written.index})" if written.mark == "sample" else MARKS[written.mark]
            if has_superscript(written.inner):
                return rf"\left({inner}\right)^{{{mark}}}"
            return f"{inner}^{{{mark}}}"
        text = _base(written)
        if written.sup is not None:
            text += f"^{{{written.sup}}}"
        if written.sub is not None:
            sub = written.sub if isinstance(written.sub, str) else self.name(written.sub)
            text += f"_{{{sub}}}"
        return text

    def _mapped(self, expr: sp.Basic) -> str | None:
        if self.values is not None:
            quantity = self.values.get(expr)
            if quantity is not None:
                return self.number(quantity.value, standalone=expr is self._root or self._matrix_depth > 0)
        return None

    def _named(self, expr: sp.Basic) -> str:
        written = self.names.get(expr)
        return self.name(written) if written is not None else self._print(expr)

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        mapped = self._mapped(expr)
        if mapped is not None:
            return mapped
        if expr in self.names:
            return self.name(self.names[expr])
        return super()._print_Symbol(expr)

    def _print_Partial(self, expr: Partial) -> str:
        mapped = self._mapped(expr)
        if mapped is not None:
            return mapped
        return rf"\frac{{\partial {self._named(expr.numerator)}}}{{\partial {self._named(expr.denominator)}}}"

    def _print_Applied(self, expr: Applied) -> str:
        return rf"{ACTIVATIONS[expr.activation].latex_name}\left({self._print(expr.args[1])}\right)"

    def _print_Mul(self, expr: sp.Mul) -> str:
        # Chains of partials and symbol products are most of a document: print them directly,
        # factor by factor in the order built, instead of through LatexPrinter's general Mul logic.
        if all(isinstance(arg, SIMPLE_FACTORS) for arg in expr.args):
            parts = []
            for arg in expr.args:
                text = self._print(arg)
                parts.append(rf"\left({text}\right)" if isinstance(arg, sp.Add) else text)
            return r" \cdot ".join(parts)
        return super()._print_Mul(expr)

    def _print_Pow(self, expr: sp.Pow) -> str:
        base, exponent = expr.args
        if isinstance(base, Partial) and self._mapped(base) is None:
            return rf"\left({self._print(base)}\right)^{{{self._print(exponent)}}}"
        return super()._print_Pow(expr)

    def _print_MatrixBase(self, expr: Any) -> str:
        self._matrix_depth += 1  # entries of a matrix stand alone: no parentheses around negatives
        try:
            return super()._print_MatrixBase(expr)
        finally:
            self._matrix_depth -= 1

    def _print_MatrixOp(self, expr: MatrixOp) -> str:
        operator = OPERATIONS[expr.operation]
        joiner = f" {operator} " if operator else " "
        parts = []
        for operand in expr.operands:
            text = self._print(operand)
            parts.append(rf"\left({text}\right)" if isinstance(operand, sp.Add) else text)
        return joiner.join(parts)

    def _print_QuantityRef(self, expr: QuantityRef) -> str:
        value = self.quantities[expr.quantity].value
        return self.number(value, standalone=expr is self._root or self._matrix_depth > 0)

    def _print_Transposed(self, expr: Transposed) -> str:
        inner = expr.args[0]
        written = self.names.get(inner)
        text = self._print(inner)
        if written is not None and has_superscript(written):
            return rf"\left({text}\right)^{{\top}}"
        return rf"{text}^{{\top}}"

    def _print_Gradient(self, expr: Gradient) -> str:
        of, wrt = expr.args
        return rf"\nabla_{{{self._print(wrt)}}} {self._print(of)}"

    def _print_LayerSlope(self, expr: LayerSlope) -> str:
        layer, argument = expr.args
        return f"f_{{{layer.name}}}'({self._print(argument)})"

    def _print_MatrixShape(self, expr: MatrixShape) -> str:
        rows, columns = expr.args
        return rf"\left[{rows} \times {columns} \text{{ {self.words.get('matrix', 'matrix')}}}\right]"

    def _print_Operator(self, expr: Operator) -> str:
        return SIGNS[expr.args[0].name]


def _base(name: Name) -> str:
    base = name.base
    if base in GREEK:
        text = "\\" + base
    elif name.style == "word":
        text = rf"\mathit{{{base}}}"
    elif name.style == "bold":
        text = rf"\mathbf{{{base}}}"
    elif name.style == "function":
        text = "\\" + base
    else:
        text = base
    return rf"\{name.accent}{{{text}}}" if name.accent else text


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
        rows = []
        for i, (relation, parts) in enumerate(texts):
            for j, chunk in enumerate(_pack(parts)):
                start = lhs if i == 0 and j == 0 else ""
                rows.append(f"{start} &{relation} {chunk}" if j == 0 else rf"&\quad {chunk}")
        return rows

    def _numbers_relation(self, equation: Equation) -> str:
        """'=' for a substitution; '\\approx' when the numbers row is a lone value shown rounded."""
        quantity = self.quantities.lookup(equation.numbers, equation.scope)
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
    tex = re.sub(r"\\(left|right|mathit|operatorname|quad)\b", "", tex)
    tex = re.sub(r"\\[a-zA-Z]+", "x", tex)
    tex = re.sub(r"[{}^_&]", "", tex)
    return len(tex.replace(" ", ""))


def _matrix_width(body: str) -> int:
    rows = [row.split("&") for row in body.split("\\\\")]
    columns = max(len(row) for row in rows)
    widths = [max(visible_width(row[c]) if c < len(row) else 0 for row in rows) for c in range(columns)]
    return sum(widths) + 2 * columns


def _pack(parts: list[str]) -> list[str]:
    rows: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current} {part}".strip()
        if current and visible_width(candidate) > ROW_BUDGET:
            rows.append(current)
            current = part
        else:
            current = candidate
    rows.append(current)
    return rows
