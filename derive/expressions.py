"""SymPy expressions built and copied without evaluation, so a formula keeps the order and shape it is written in."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp


def rational(value: Fraction) -> sp.Rational:
    """A Fraction as a SymPy rational."""
    return sp.Rational(value.numerator, value.denominator)


def total(terms: list[sp.Basic]) -> sp.Basic:
    """terms[0] + terms[1] + ..., unevaluated (a single term stands alone)."""
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def product(*factors: sp.Basic) -> sp.Basic:
    """The product of the factors other than 1, unevaluated."""
    kept = [f for f in factors if f != 1]
    if not kept:
        return sp.Integer(1)
    return sp.Mul(*kept, evaluate=False) if len(kept) > 1 else kept[0]


def scaled(scale: Fraction, expr: sp.Basic) -> sp.Basic:
    """scale * expr, unevaluated; expr itself when scale is 1."""
    return expr if scale == 1 else sp.Mul(rational(scale), expr, evaluate=False)


def subtract(a: sp.Basic, b: sp.Basic) -> sp.Basic:
    """a - b, unevaluated."""
    return sp.Add(a, sp.Mul(-1, b, evaluate=False), evaluate=False)


def divided(a: sp.Basic, b: sp.Basic) -> sp.Basic:
    """a / b, unevaluated."""
    return sp.Mul(a, sp.Pow(b, -1, evaluate=False), evaluate=False)


def one_minus(x: sp.Basic) -> sp.Basic:
    """1 - x, unevaluated."""
    return sp.Add(1, -x, evaluate=False)


def swapped(expr: sp.Basic, mapping: dict[sp.Basic, sp.Basic]) -> sp.Basic:
    """``expr`` with symbols swapped, node for node: nothing is evaluated, so the form stays the same
    (xreplace evaluates, and sympy.evaluate(False) clears SymPy's whole cache on each use)."""
    if expr in mapping:
        return mapping[expr]
    if not expr.args:
        return expr
    args = tuple(swapped(arg, mapping) for arg in expr.args)
    if isinstance(expr, sp.core.operations.AssocOp):
        return expr._from_args(args)
    try:
        return type(expr)(*args, evaluate=False)
    except TypeError:  # a node that never evaluates takes no such flag (a Piecewise's pairs)
        return expr.func(*args)
