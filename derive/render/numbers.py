"""The one number formatter: fixed or scientific notation at N digits after the decimal point."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from typing import Any

import mpmath

from ..engine.rounding import Carried, Rounded, fixed_text

FIXED_PLACES = 4  # fixed notation down to 10^-4: 0.000774278 keeps six digits, and 0.000000192 would keep three
FEWEST_SIGNIFICANT_DIGITS = 3  # at low precision, fixed notation while it keeps three digits
FORMATS_KEPT = 1 << 16  # formatted numbers remembered per formatter


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


def to_decimal(value: Any) -> Decimal:
    """The value as a Decimal with enough digits to round correctly."""
    with localcontext() as context:
        context.prec = 60
        context.Emin, context.Emax = MIN_EMIN, MAX_EMAX
        if isinstance(value, (Fraction, int)):
            value = Fraction(value)
            return Decimal(value.numerator) / Decimal(value.denominator)
        # Scientific notation for extreme exponents: e^-5e11 in fixed notation has 2e11 zeros.
        return Decimal(mpmath.nstr(value, 55, min_fixed=-20, max_fixed=20))


def exact_decimal(value: Fraction, precision: int) -> str | None:
    """The shortest exact decimal of a Fraction with at most ``precision`` decimals, else None."""
    scaled = value * 10**precision
    if scaled.denominator != 1:
        return None
    text = format(Decimal(scaled.numerator).scaleb(-precision), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def plain_decimal(value: Any, form: str = "decimal") -> str:
    """A setting as plain text: its exact decimal (up to 30 places), or printf's %g."""
    if form == "decimal" and isinstance(value, (Fraction, int)):
        exact = exact_decimal(Fraction(value), 30)
        if exact is not None:
            return exact
    return f"{float(value):g}"


class NumberFormat:
    """Formats values at one precision, remembering what it has formatted."""

    def __init__(self, precision: int) -> None:
        self.precision = precision
        self._done: dict[tuple[type, Any], Formatted] = {}

    def __call__(self, value: Any) -> Formatted:
        """Format ``value`` at this precision (a Fraction and an equal mpf format differently: one is exact)."""
        key = (type(value), value)
        found = self._done.get(key)
        if found is None:
            found = format_number(value, self.precision)
            if len(self._done) < FORMATS_KEPT:
                self._done[key] = found
        return found


def format_number(value: Any, precision: int) -> Formatted:
    """Format a value at ``precision`` digits after the decimal point.

    Exact decimals that fit are shown as written (0.15). Rounded values below 10^-4 (or showing
    fewer than three significant digits at a low precision) switch to scientific notation, so a
    small nonzero gradient never prints as 0.000000 and a small value keeps its digits. A value
    carried by hand (--rounding carry) is shown as it was written down: fixed, at ``precision`` decimals.
    """
    if isinstance(value, Carried):
        return Formatted(fixed_text(value, precision), None, not isinstance(value, Rounded))
    if isinstance(value, (Fraction, int)):
        exact = exact_decimal(Fraction(value), precision)
        if exact is not None and (value == 0 or _shows_enough_digits(Fraction(value), precision, exact=True)):
            return Formatted(exact, None, True)
    with localcontext() as context:
        context.prec = 100  # room for 30 decimals of values up to 10^8, and mantissas of tiny ones
        context.Emin, context.Emax = MIN_EMIN, MAX_EMAX  # sigmoid(-1e7) is about 10^-4342945
        formatted = _format_inexact(value, precision)
    if isinstance(value, (Fraction, int)) and formatted.exponent is not None:
        # An exact decimal in scientific notation (eps = 1e-8) is written as exactly as it is: 1 x 10^-8.
        mantissa = Fraction(formatted.mantissa) if "." in formatted.mantissa else None
        if mantissa is not None and mantissa * Fraction(10) ** formatted.exponent == value:
            text = formatted.mantissa.rstrip("0").rstrip(".")
            return Formatted(text, formatted.exponent, True)
    return formatted


MOST_DECIMALS = 17  # float64 holds 17 significant digits; more would show only its binary expansion


def distinguishing_decimals(a: Any, b: Any, precision: int) -> int | None:
    """The decimals that tell two different values apart, or None when ``precision`` already does."""
    for decimals in range(precision, MOST_DECIMALS + 1):
        shown_a, shown_b = format_number(a, decimals), format_number(b, decimals)
        if (shown_a.mantissa, shown_a.exponent) != (shown_b.mantissa, shown_b.exponent):
            return None if decimals == precision else decimals
    return max(precision, MOST_DECIMALS)


def _format_inexact(value: Any, precision: int) -> Formatted:
    if hasattr(value, "man_exp") and value and abs(mpmath.mag(value)) > DECIMAL_BITS:
        return _format_extreme(value, precision)
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
        mantissa = decimal_value.scaleb(-exponent).quantize(Decimal(1).scaleb(-precision), ROUND_HALF_EVEN)
    return Formatted(format(mantissa, "f"), exponent, False)


DECIMAL_BITS = 3 * 10**17  # beyond about 10^(+-9e16) a value leaves Decimal's exponent range


def _format_extreme(value: Any, precision: int) -> Formatted:
    """Scientific notation straight from mpmath, for values like e^(-5e98) that no Decimal can hold."""
    text = mpmath.nstr(value, precision + 1, min_fixed=1, max_fixed=0, strip_zeros=False)
    mantissa, _, exponent = text.partition("e")
    return Formatted(mantissa.rstrip("."), int(exponent), False)


def _shows_enough_digits(value: Decimal | Fraction, precision: int, exact: bool = False) -> bool:
    """Whether fixed notation at ``precision`` decimals keeps enough significant digits.

    A rounded value smaller than 10^-4 goes to scientific notation with ``precision`` digits after
    the point, so a line recomputed from it keeps as many digits as one recomputed from a larger
    value. An exact decimal (a learning rate of 0.00001) stays as written while it shows three digits.
    """
    places = precision - FEWEST_SIGNIFICANT_DIGITS + 1
    if not exact:
        places = min(FIXED_PLACES, places)
    places = max(1, places)
    if isinstance(value, Decimal):  # compared as a Decimal: e^-50000000 as a Fraction has 21 million digits
        return value == 0 or abs(value) >= Decimal(1).scaleb(-places)
    return value == 0 or abs(value) >= Fraction(1, 10**places)
