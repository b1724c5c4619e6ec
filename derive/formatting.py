"""The one number formatter: fixed or scientific notation at N digits after the decimal point."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

import mpmath

from .numbers import Number

SIGNIFICANT_DIGITS_WANTED = 3


@dataclass(frozen=True)
class Formatted:
    """A number as text: mantissa, optional power of ten, and whether it is exact."""

    mantissa: str
    exponent: int | None
    exact: bool

    @property
    def negative(self) -> bool:
        """True when the shown number is negative."""
        return self.mantissa.startswith("-")

    def plain(self) -> str:
        """Plain-text form, such as 0.1385 or 4.3857e-04."""
        if self.exponent is None:
            return self.mantissa
        return f"{self.mantissa}e{self.exponent:+03d}"

    def latex(self) -> str:
        """LaTeX form, such as 0.1385 or 4.3857 \\times 10^{-4}."""
        if self.exponent is None:
            return self.mantissa
        return rf"{self.mantissa} \times 10^{{{self.exponent}}}"


def to_decimal(value: Number | int) -> Decimal:
    """The value as a Decimal with enough digits to round correctly."""
    with localcontext() as context:
        context.prec = 60
        context.Emin, context.Emax = MIN_EMIN, MAX_EMAX
        if isinstance(value, (Fraction, int)):
            value = Fraction(value)
            return Decimal(value.numerator) / Decimal(value.denominator)
        return Decimal(mpmath.nstr(value, 55, min_fixed=-mpmath.inf, max_fixed=mpmath.inf))


def exact_decimal(value: Fraction, precision: int) -> str | None:
    """The shortest exact decimal of a Fraction with at most ``precision`` decimals, else None."""
    scaled = value * 10**precision
    if scaled.denominator != 1:
        return None
    text = format(Decimal(scaled.numerator).scaleb(-precision), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@lru_cache(maxsize=65536, typed=True)  # typed: Fraction(1, 2) is exact, mpf(0.5) is not
def format_number(value: Number | int, precision: int) -> Formatted:
    """Format a value at ``precision`` digits after the decimal point.

    Exact decimals that fit are shown as written (0.15). Values that would show fewer than three
    significant digits in fixed notation switch to scientific notation, so a small nonzero
    gradient never prints as 0.000000.
    """
    if isinstance(value, (Fraction, int)):
        exact = exact_decimal(Fraction(value), precision)
        if exact is not None and (value == 0 or _shows_enough_digits(Fraction(value), precision)):
            return Formatted(exact, None, True)
    with localcontext() as context:
        context.prec = 100  # room for 30 decimals of values up to 10^8, and mantissas of tiny ones
        context.Emin, context.Emax = MIN_EMIN, MAX_EMAX  # sigmoid(-1e7) is about 10^-4342945
        return _format_inexact(value, precision)


def _format_inexact(value: Number | int, precision: int) -> Formatted:
    decimal_value = to_decimal(value)
    if decimal_value == 0:
        return Formatted("0", None, True)
    if _shows_enough_digits(decimal_value, precision) and abs(decimal_value) < Decimal(10) ** 8:
        text = format(decimal_value.quantize(Decimal(1).scaleb(-precision), ROUND_HALF_EVEN), "f")
        return Formatted(text, None, False)
    exponent = decimal_value.adjusted()
    mantissa = decimal_value.scaleb(-exponent).quantize(Decimal(1).scaleb(-precision), ROUND_HALF_EVEN)
    if abs(mantissa) >= 10:
        exponent += 1
        mantissa = decimal_value.scaleb(-exponent).quantize(
            Decimal(1).scaleb(-precision), ROUND_HALF_EVEN
        )
    return Formatted(format(mantissa, "f"), exponent, False)


def _shows_enough_digits(value: Decimal | Fraction, precision: int) -> bool:
    """Whether fixed notation at ``precision`` decimals keeps enough significant digits."""
    threshold = Fraction(1, 10 ** (precision - SIGNIFICANT_DIGITS_WANTED + 1)) if precision >= SIGNIFICANT_DIGITS_WANTED else Fraction(1, 10)
    return abs(Fraction(value)) >= threshold or value == 0
