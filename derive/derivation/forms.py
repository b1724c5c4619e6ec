"""Small builders of unevaluated SymPy forms, so a formula keeps the order and shape it is written in."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp


def total(terms: list[sp.Basic]) -> sp.Basic:
    """terms[0] + terms[1] + ..., unevaluated (a single term stands alone)."""
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def product(*factors: sp.Basic) -> sp.Basic:
    """The product of the factors other than 1, unevaluated."""
    kept = [f for f in factors if f != 1]
    if not kept:
        return sp.Integer(1)
    return sp.Mul(*kept, evaluate=False) if len(kept) > 1 else kept[0]


def rational(value: Fraction) -> sp.Rational:
    """A Fraction as a SymPy rational."""
    return sp.Rational(value.numerator, value.denominator)


def scaled(scale: Fraction, expr: sp.Basic) -> sp.Basic:
    """scale * expr, unevaluated; expr itself when scale is 1."""
    return expr if scale == 1 else sp.Mul(rational(scale), expr, evaluate=False)
