"""Real numbers computed at two precisions at once, so that an exact zero is told from a small real value.

The exact arithmetic keeps rationals exact; a transcendental value (e^-0.3775, tanh 0.1) becomes a
``Twin``: the same number computed at 50 and at 120 significant digits, operation for operation.
When a sum or difference cancels, the two copies say why. Rounding noise shrinks with the working
precision, so an exact zero leaves ~1e-50 of its operands at 50 digits and ~1e-120 at 120; a real
value is the same at both. A result at the noise level of both precisions is exactly zero and
becomes ``Fraction(0)``, so a ReLU kink or a clamp decides on the true value. A real difference is
recognised down to about 1e-110 of its operands.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath
from mpmath.libmp import mpf_pos, round_nearest as ROUND_NEAREST

LOW_DIGITS = 50
HIGH_DIGITS = 120
NOISE_BITS = 24  # bits of accumulated rounding a value may carry before it counts as a real value
APPLIED_KEPT = 1 << 16  # function values remembered per run


class Precisions:
    """The two mpmath contexts of one run, and how to move numbers into and out of twins."""

    def __init__(self, low_digits: int = LOW_DIGITS, high_digits: int = HIGH_DIGITS) -> None:
        self.low = mpmath.MPContext()
        self.low.dps = low_digits
        self.high = mpmath.MPContext()
        self.high.dps = high_digits
        self.low_noise = mpmath.mpf(2) ** (NOISE_BITS - self.low.prec)
        self.high_noise = mpmath.mpf(2) ** (NOISE_BITS - self.high.prec)
        self.low_cancel_bits = self.low.prec - NOISE_BITS - 2  # a sum this much smaller may be noise

    def twin(self, value: Any) -> "Twin":
        """The value as a twin (rationals are rounded once at each precision)."""
        if type(value) is Twin:
            return value
        if _is_rational(value):
            return Twin(self, self.low.mpf(value.numerator) / value.denominator,
                        self.high.mpf(value.numerator) / value.denominator)
        return Twin(self, self.low.mpf(value), self.high.mpf(value))

    def settle(self, value: Any) -> Any:
        """A finished value for the rest of derive: a twin becomes its 120-digit value, rounded to 50."""
        if isinstance(value, Twin):  # the 120-digit copy rounded to 50 digits, without mpf()'s conversions
            return self.low.make_mpf(mpf_pos(value.hi._mpf_, self.low.prec, ROUND_NEAREST))
        return value

    def total(self, values: list[Any]) -> Any:
        """The sum of twins (or Fraction(0)s), exactly zero when it cancels to the noise of its largest term."""
        twins = [value for value in values if isinstance(value, Twin)]
        if not twins:
            return Fraction(0)
        low = self.low.fsum(t.lo for t in twins)
        high = self.high.fsum(t.hi for t in twins)
        if len(twins) > 1 and not self.keeps_bits(low, max(_magnitude(t.lo) for t in twins)):
            low_scale = max(abs(t.lo) for t in twins)
            high_scale = max(abs(t.hi) for t in twins)
            if abs(low) <= low_scale * self.low_noise and abs(high) <= high_scale * self.high_noise:
                return Fraction(0)
        return make(self, low, high)

    def keeps_bits(self, low: Any, largest: int) -> bool:
        """Whether a sum at 50 digits keeps most of the bits of its largest term (of magnitude ``largest``), so it
        cannot be rounding noise: the noise test's bound, read from exponents and bit counts without its abs()."""
        return bool(low) and _magnitude(low) > largest - self.low_cancel_bits

    def apply(self, name: str, *arguments: Any) -> "Twin":
        """The mpmath function ``name`` at both precisions."""
        twins = [self.twin(argument) for argument in arguments]
        low = getattr(self.low, name)(*(t.lo for t in twins))
        high = getattr(self.high, name)(*(t.hi for t in twins))
        return make(self, low, high)


def _is_rational(value: Any) -> bool:
    """isinstance(value, Fraction), asking the class itself first (isinstance goes through the numbers ABCs)."""
    return type(value) is Fraction or isinstance(value, Fraction)


def _magnitude(value: Any) -> int:
    """About log2 |value| of a nonzero mpf, read from its exponent and mantissa's bit count."""
    _, _, exponent, bits = value._mpf_
    return exponent + bits


def make(precisions: Precisions, low: Any, high: Any) -> Any:
    """A twin, or Fraction(0) when both copies are exactly zero."""
    if not low and not high:
        return Fraction(0)
    return Twin(precisions, low, high)


class Twin:
    """One real number at two precisions; compared, printed and converted by its more precise copy."""

    __slots__ = ("p", "lo", "hi")

    def __init__(self, precisions: Precisions, lo: Any, hi: Any) -> None:
        self.p, self.lo, self.hi = precisions, lo, hi

    def _other(self, other: Any) -> "Twin":
        return self.p.twin(other)

    def _sum(self, other: Any, sign: int) -> Any:
        if type(other) is not Twin and _is_rational(other) and not other:
            return self
        b = self._other(other)
        low = self.lo + b.lo if sign > 0 else self.lo - b.lo
        high = self.hi + b.hi if sign > 0 else self.hi - b.hi
        if self.p.keeps_bits(low, max(_magnitude(self.lo), _magnitude(b.lo))):
            return make(self.p, low, high)  # most sums keep most of their bits: no cancellation to look at
        low_scale = max(abs(self.lo), abs(b.lo))
        high_scale = max(abs(self.hi), abs(b.hi))
        if abs(low) <= low_scale * self.p.low_noise and abs(high) <= high_scale * self.p.high_noise:
            return Fraction(0)  # cancelled to the noise of both precisions: exactly zero
        return make(self.p, low, high)

    def __add__(self, other: Any) -> Any:
        return self._sum(other, 1)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return self._sum(other, -1)

    def __rsub__(self, other: Any) -> Any:
        return (-self)._sum(other, 1)

    def __mul__(self, other: Any) -> Any:
        if type(other) is not Twin and (_is_rational(other) or isinstance(other, int)) and not other:
            return Fraction(0)
        b = self._other(other)
        return make(self.p, self.lo * b.lo, self.hi * b.hi)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        b = self._other(other)
        return make(self.p, self.lo / b.lo, self.hi / b.hi)

    def __rtruediv__(self, other: Any) -> Any:
        return self._other(other) / self

    def __pow__(self, exponent: Any) -> Any:
        return make(self.p, self.lo**exponent, self.hi**exponent)

    def __neg__(self) -> "Twin":
        return Twin(self.p, -self.lo, -self.hi)

    def __abs__(self) -> "Twin":
        return Twin(self.p, abs(self.lo), abs(self.hi))

    def _compare(self, other: Any) -> Any:
        if isinstance(other, Twin):
            return self.hi - other.hi
        if isinstance(other, Fraction):
            return self.hi - self.p.high.mpf(other.numerator) / other.denominator
        return self.hi - other

    def __lt__(self, other: Any) -> bool:
        return self._compare(other) < 0

    def __le__(self, other: Any) -> bool:
        return self._compare(other) <= 0

    def __gt__(self, other: Any) -> bool:
        return self._compare(other) > 0

    def __ge__(self, other: Any) -> bool:
        return self._compare(other) >= 0

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, (Twin, Fraction, int, float)) and self._compare(other) == 0

    def __hash__(self) -> int:
        return hash(self.hi)

    def __bool__(self) -> bool:
        return bool(self.hi)

    def __float__(self) -> float:
        return float(self.hi)

    def __repr__(self) -> str:
        return f"Twin({mpmath.nstr(self.hi, 20)})"

    @property
    def man_exp(self) -> tuple[int, int]:
        """The mantissa and binary exponent of the precise copy (for exact comparisons)."""
        return self.hi.man_exp


class TwinMath:
    """The mpmath functions a component's exact form uses, applied to twins.

    Each value is remembered for the run (a sigmoid's slope takes the e^-z its value took); the
    twins refer to their Precisions, not to this, so the memory goes with the arithmetic.
    """

    def __init__(self, precisions: Precisions) -> None:
        self.p = precisions
        self._applied: dict[tuple, Any] = {}  # (function, arguments' digits) -> result

    def mpf(self, value: Any) -> Twin:
        """A number as a twin."""
        return self.p.twin(value)

    @property
    def pi(self) -> Twin:
        """pi at both precisions."""
        return Twin(self.p, +self.p.low.pi, +self.p.high.pi)

    def __getattr__(self, name: str) -> Any:
        if name in ("exp", "log", "log1p", "tanh", "cosh", "sqrt", "erfc", "erf"):
            return lambda *arguments: self._remembered(name, arguments)
        raise AttributeError(name)

    def _remembered(self, name: str, arguments: tuple) -> Any:
        twins = [self.p.twin(argument) for argument in arguments]
        key = (name, *((t.lo._mpf_, t.hi._mpf_) for t in twins))
        found = self._applied.get(key)
        if found is None:
            found = self.p.apply(name, *twins)
            if len(self._applied) < APPLIED_KEPT:
                self._applied[key] = found
        return found
