"""The one LaTeX printer: names, partials, activations, matrix forms and numbers.

Every piece of math a document shows is printed here from SymPy objects and derive's small nodes
(render/typeset.py lays them out in rows); templates only place the results. With a scope of
values, symbols print as their numbers.
"""

from __future__ import annotations

from typing import Any, Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter

from ..components import ACTIVATIONS
from ..derivation.nodes import (
    Applied, Dimensions, Entries, Gradient, LayerSlope, MatrixOp, MatrixShape, Operator, Partial, QuantityRef, Transposed,
)
from ..derivation.notation import Marked, Name, Written
from ..derivation.quantities import Quantities, Quantity
from .numbers import Formatted, NumberFormat

SIMPLE_FACTORS = (sp.Symbol, Partial, Applied, sp.Add)
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "lambda", "mu", "sigma", "tau", "phi", "nabla"}
MARKS = {"plus": "+", "transpose": r"\top"}
OPERATIONS = {"product": "", "hadamard": r"\odot"}  # what joins a matrix operation's operands
SIGNS = {"hadamard": r"\odot", "approx": r"\approx"}  # an operation's sign standing alone


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
        self._enclosing: list[sp.Basic] = []  # the expressions being printed, outermost first
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

    def _print(self, expr: Any, **kwargs: Any) -> str:
        self._enclosing.append(expr)
        try:
            if self.values is not None and isinstance(expr, (sp.Mul, sp.Add)):
                mapped = self._mapped(expr)  # a product that names a value (dE/dnet_o1 . dnet_o1/dout_h1)
                if mapped is not None:
                    return mapped
            return super()._print(expr, **kwargs)
        finally:
            self._enclosing.pop()

    def _mapped(self, expr: sp.Basic) -> str | None:
        if self.values is not None:
            quantity = self.values.get(expr)
            if quantity is not None:
                return self.number(quantity.value, standalone=self._stands_alone(expr))
        return None

    def _stands_alone(self, expr: sp.Basic) -> bool:
        """Whether a value needs no parentheses where it is printed: alone, in a matrix, as a
        function's argument (tanh(-0.1), not tanh((-0.1))), as an exponent (e^{-0.14}) or first in a sum."""
        if expr == self._root or self._matrix_depth > 0:
            return True
        parent = self._enclosing[-2] if len(self._enclosing) > 1 else None
        if isinstance(parent, sp.core.function.Application) and not isinstance(parent, sp.Pow):
            return True
        if isinstance(parent, sp.Add) and parent.args[0] == expr:
            return True  # a sum's first term: -0.4 - 0.5, as a reader writes it
        if isinstance(parent, sp.Pow):  # an exponent, a square root's argument, a lone denominator
            return parent.exp == expr or parent.exp in (sp.S.Half, -1)
        if isinstance(parent, sp.Mul) and len(parent.args) == 2:  # a lone numerator over a denominator
            other = parent.args[1] if parent.args[0] == expr else parent.args[0]
            return isinstance(other, sp.Pow) and other.exp == -1
        return False

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
        name = ACTIVATIONS[expr.activation].latex_name if expr.activation in ACTIVATIONS else None
        if name is None:  # a general rule's f_l
            function, _, index = expr.activation.partition("_")
            name = f"{function}_{{{index}}}"
        return rf"{name}\left({self._print(expr.args[1])}\right)"

    def _print_Mul(self, expr: sp.Mul) -> str:
        first, *rest = expr.args
        if isinstance(first, sp.Rational) and not first.is_integer and len(rest) == 1 and isinstance(rest[0], Partial):
            return rf"{self._print(first)} \cdot {self._print(rest[0])}"  # 1/4 . dE/dout, not a fraction in a fraction
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
        return self.number(value, standalone=expr == self._root or self._matrix_depth > 0)

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
        function, argument = expr.args
        name = ACTIVATIONS[function.name].latex_name if function.name in ACTIVATIONS else f"f_{{{function.name}}}"
        return rf"{name}'\left({self._print(argument)}\right)"

    def _print_Entries(self, expr: Entries) -> str:
        return rf"\left[{self._print(expr.args[0])}\right]_{{js}}"

    def _print_Dimensions(self, expr: Dimensions) -> str:
        rows, columns = expr.args
        return rf"{rows} \times {columns}"

    def _print_MatrixShape(self, expr: MatrixShape) -> str:
        rows, columns = expr.args
        return rf"\left[{rows} \times {columns} \text{{ {self.words.get('matrix', 'matrix')}}}\right]"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        """SymPy's cases, with the document's language's words for "for" and "otherwise"."""
        when, otherwise = self.words.get("for", "for"), self.words.get("otherwise", "otherwise")
        rows = []
        for index, (value, condition) in enumerate(expr.args):
            if index == len(expr.args) - 1 and condition == sp.true:
                rows.append(rf"{self._print(value)} & \text{{{otherwise}}}")
            else:
                rows.append(rf"{self._print(value)} & \text{{{when}}}\: {self._print(condition)}")
        return r"\begin{cases} %s \end{cases}" % r" \\".join(rows)

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
