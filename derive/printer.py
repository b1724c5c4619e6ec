"""The one LaTeX printer: derive's notation for symbols, partials and activations, with numbers put in on request."""

from __future__ import annotations

from typing import Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter

from .formatting import format_number
from .graph import Applied, Partial


SIMPLE_FACTORS = (sp.Symbol, Partial, Applied, sp.Add)


class DerivePrinter(LatexPrinter):
    """Prints SymPy expressions in derive's notation; with ``values``, symbols print as numbers."""

    def __init__(self, names: Mapping[sp.Basic, str], precision: int, values: Mapping | None = None):
        super().__init__({"order": "none", "mul_symbol": "dot", "mat_str": "bmatrix", "mat_delim": ""})
        self.names = names
        self.precision = precision
        self.values = values
        self._root: sp.Basic | None = None
        self._matrix_depth = 0

    def doprint(self, expr: sp.Basic) -> str:
        """Print ``expr``; a lone number is never parenthesized."""
        self._root = expr
        return super().doprint(expr)

    def number(self, value: object, standalone: bool = False) -> str:
        """A value as LaTeX; negative or scientific values are parenthesized inside expressions."""
        formatted = format_number(value, self.precision)
        text = formatted.latex()
        if not standalone and (formatted.negative or formatted.exponent is not None):
            return rf"\left({text}\right)"
        return text

    def _mapped(self, expr: sp.Basic) -> str | None:
        if self.values is not None and expr in self.values:
            return self.number(self.values[expr], standalone=expr is self._root or self._matrix_depth > 0)
        return None

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        mapped = self._mapped(expr)
        if mapped is not None:
            return mapped
        if expr in self.names:
            return self.names[expr]
        return super()._print_Symbol(expr)

    def _print_Partial(self, expr: Partial) -> str:
        mapped = self._mapped(expr)
        if mapped is not None:
            return mapped
        numerator = self.names.get(expr.numerator) or self._print(expr.numerator)
        denominator = self.names.get(expr.denominator) or self._print(expr.denominator)
        return rf"\frac{{\partial {numerator}}}{{\partial {denominator}}}"

    def _print_Applied(self, expr: Applied) -> str:
        name, argument = expr.args
        return rf"{self.names[name]}\left({self._print(argument)}\right)"

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

    def _print_MatrixBase(self, expr) -> str:
        self._matrix_depth += 1  # entries of a matrix stand alone: no parentheses around negatives
        try:
            return super()._print_MatrixBase(expr)
        finally:
            self._matrix_depth -= 1

    def _print_MatrixOp(self, expr) -> str:
        joiner = f" {expr.operator} " if expr.operator else " "
        parts = []
        for operand in expr.operands:
            text = self._print(operand)
            parts.append(rf"\left({text}\right)" if isinstance(operand, sp.Add) else text)
        return joiner.join(parts)


def to_latex(expr: sp.Basic, names: Mapping, precision: int, values: Mapping | None = None) -> str:
    """Print one expression, symbolically or with ``values`` put in."""
    return DerivePrinter(names, precision, values).doprint(expr)
