"""Exact-where-possible arithmetic: Fractions while exact, 50-digit mpmath floats after that."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import Iterable, Union

import mpmath

DIGITS = 50
mpmath.mp.dps = DIGITS

Number = Union[Fraction, mpmath.mpf]


def to_mpf(value: Number | int) -> mpmath.mpf:
    """The value as a 50-digit mpmath float."""
    if isinstance(value, Fraction):
        return _fraction_to_mpf(value)
    return mpmath.mpf(value)


@lru_cache(maxsize=1 << 16)
def _fraction_to_mpf(value: Fraction) -> mpmath.mpf:
    # A network's weights are converted again at every use in a layer after the first.
    return mpmath.mpf(value.numerator) / value.denominator


def is_exact(value: object) -> bool:
    """True for exact rationals (Fraction or int)."""
    return isinstance(value, (Fraction, int))


def add(a: Number, b: Number) -> Number:
    """a + b, exact when both are exact."""
    if is_exact(a) and is_exact(b):
        return Fraction(a) + Fraction(b)
    return to_mpf(a) + to_mpf(b)


def mul(a: Number, b: Number) -> Number:
    """a * b, exact when both are exact."""
    if is_exact(a) and is_exact(b):
        return Fraction(a) * Fraction(b)
    return to_mpf(a) * to_mpf(b)


def sub(a: Number, b: Number) -> Number:
    """a - b, exact when both are exact."""
    if is_exact(a) and is_exact(b):
        return Fraction(a) - Fraction(b)
    return to_mpf(a) - to_mpf(b)


def div(a: Number, b: Number) -> Number:
    """a / b, exact when both are exact."""
    if is_exact(a) and is_exact(b):
        return Fraction(a) / Fraction(b)
    return to_mpf(a) / to_mpf(b)


def sqrt(a: Number) -> Number:
    """The square root at 50 digits."""
    return mpmath.sqrt(to_mpf(a))


def total(values: Iterable[Number]) -> Number:
    """The sum, exact when every term is exact."""
    result: Number = Fraction(0)
    for value in values:
        result = add(result, value)
    return result


def product(values: Iterable[Number]) -> Number:
    """The product, exact when every factor is exact."""
    result: Number = Fraction(1)
    for value in values:
        result = mul(result, value)
    return result


def to_float(value: Number) -> float:
    """The float64 nearest the value."""
    if type(value) is float:
        return value
    if isinstance(value, Fraction):
        return value.numerator / value.denominator
    return float(value)
