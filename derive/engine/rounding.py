"""Hand rounding (--rounding carry): a value rounded to N decimals, half away from zero, as a calculator does.

A carried value is a ``Carried`` Fraction: exactly the decimal a student writes down and computes on,
which the one formatter prints fixed at N decimals. One that rounding changed is ``Rounded`` and
follows an approximately-equal sign; one that came out exact (0.010 x 0.1 = 0.001) follows "=".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

ROUNDINGS = ("exact", "carry")


class Carried(Fraction):
    """A value of hand computation: a decimal of at most N places, the true value of its line."""

    __slots__ = ()


class Rounded(Carried):
    """A value rounded for hand computation: exact as a decimal, but not the true value of its line."""

    __slots__ = ()


def to_fraction(value: Any) -> Fraction:
    """A Fraction, an int, a float or an mpmath float as an exact Fraction."""
    if isinstance(value, (Fraction, int, float)):
        return Fraction(value)
    sign, mantissa, exponent, _ = value._mpf_  # man_exp would drop the sign
    mantissa = -int(mantissa) if sign else int(mantissa)
    if exponent >= 0:
        return Fraction(mantissa * 2**exponent)
    return Fraction(mantissa, 2**-exponent)


def _binary_magnitude(value: Any) -> int:
    """An mpmath float's binary exponent: 2^(result - 1) <= |value| < 2^result."""
    _, _, exponent, bits = value._mpf_
    return exponent + bits


def round_half_up(value: Any, decimals: int) -> Fraction:
    """``value`` rounded to ``decimals`` places, ties away from zero (2.5 -> 3, -2.5 -> -3)."""
    exact = to_fraction(value)
    scaled = exact * 10**decimals
    whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    return Fraction(whole if scaled >= 0 else -whole, 10**decimals)


def carried(value: Any, decimals: int) -> Carried:
    """The value a student carries on with: itself if it has at most ``decimals`` places (Carried),
    else the decimal it rounds to (Rounded)."""
    if hasattr(value, "_mpf_") and value and _binary_magnitude(value) < -4 * decimals - 8:
        # below 10^-(decimals + 1): it rounds to 0, and e^-(10^12) as a Fraction would not fit in memory
        return Rounded(Fraction(0))
    exact = to_fraction(value)
    rounded = round_half_up(exact, decimals)
    if rounded == exact and isinstance(value, (Fraction, int)):
        return Carried(exact)
    return Rounded(rounded)


def fixed_text(value: Fraction, decimals: int) -> str:
    """A value on the grid of ``decimals`` places written with exactly that many: 0.0820, -1.500."""
    with localcontext() as context:
        context.prec = 200
        number = Decimal(value.numerator) / Decimal(value.denominator)
        text = format(number.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP), "f")
    return text
