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
from mpmath.libmp import (fzero, mpf_abs, mpf_add, mpf_div, mpf_gt, mpf_le, mpf_mul, mpf_neg, mpf_pos, mpf_pow_int,
                          mpf_sub, mpf_sum, round_nearest as ROUND_NEAREST)

LOW_DIGITS = 50
HIGH_DIGITS = 120
NOISE_BITS = 24  # bits of accumulated rounding a value may carry before it counts as a real value
MEMO_ENTRIES = 1 << 16  # most entries each memo of a run keeps (function values, whole numbers)


class Precisions:
    """The two mpmath contexts of one run, and how to move numbers into and out of twins.

    A twin holds its two copies as mpmath's raw (sign, mantissa, exponent, bits) tuples and computes
    with mpmath's own functions at each context's precision, as an mpf of that context would, without
    an mpf object for every intermediate value.
    """

    def __init__(self, low_digits: int = LOW_DIGITS, high_digits: int = HIGH_DIGITS) -> None:
        self.low = mpmath.MPContext()
        self.low.dps = low_digits
        self.high = mpmath.MPContext()
        self.high.dps = high_digits
        self.low_prec, self.high_prec = self.low.prec, self.high.prec
        self.low_noise = (mpmath.mpf(2) ** (NOISE_BITS - self.low.prec))._mpf_
        self.high_noise = (mpmath.mpf(2) ** (NOISE_BITS - self.high.prec))._mpf_
        self.low_cancel_bits = self.low.prec - NOISE_BITS - 2  # a sum this much smaller may be noise
        self._whole: dict[int, tuple[tuple, tuple]] = {}  # whole numbers' raw copies (no twins: they would refer back)

    def twin(self, value: Any) -> "Twin":
        """The value as a twin (rationals are rounded once at each precision)."""
        if type(value) is Twin:
            return value
        if _is_rational(value):
            return Twin(self, (self.low.mpf(value.numerator) / value.denominator)._mpf_,
                        (self.high.mpf(value.numerator) / value.denominator)._mpf_)
        if type(value) is int:  # the 1 of 1/(1 + e^-z), each time a sigmoid is taken
            copies = self._whole.get(value)
            if copies is None:
                copies = (self.low.mpf(value)._mpf_, self.high.mpf(value)._mpf_)
                if len(self._whole) < MEMO_ENTRIES:
                    self._whole[value] = copies
            return Twin(self, *copies)
        return Twin(self, self.low.mpf(value)._mpf_, self.high.mpf(value)._mpf_)

    def settle(self, value: Any) -> Any:
        """A finished value for the rest of derive: a twin becomes its 120-digit value, rounded to 50."""
        if isinstance(value, Twin):
            return self.low.make_mpf(mpf_pos(value.high, self.low_prec, ROUND_NEAREST))
        return value

    def total(self, values: list[Any]) -> Any:
        """The sum of twins (or Fraction(0)s), exactly zero when it cancels to the noise of its largest term."""
        twins = [value for value in values if isinstance(value, Twin)]
        if not twins:
            return Fraction(0)
        low = mpf_sum([t.low for t in twins], self.low_prec, ROUND_NEAREST)
        high = mpf_sum([t.high for t in twins], self.high_prec, ROUND_NEAREST)
        if len(twins) > 1 and not self.keeps_bits(low, max(_magnitude(t.low) for t in twins)):
            if self.is_noise(low, high, [t.low for t in twins], [t.high for t in twins]):
                return Fraction(0)
        return make(self, low, high)

    def keeps_bits(self, low: tuple, largest: int) -> bool:
        """Whether a sum at 50 digits keeps most of the bits of its largest term (of magnitude ``largest``), so it
        cannot be rounding noise: the noise test's bound, read from exponents and bit counts without its abs()."""
        return low != fzero and _magnitude(low) > largest - self.low_cancel_bits

    def is_noise(self, low: tuple, high: tuple, lows: list[tuple], highs: list[tuple]) -> bool:
        """Whether a sum is at the noise level of its largest term at both precisions: then it is exactly zero."""
        return (_at_most_noise(low, lows, self.low_noise, self.low_prec)
                and _at_most_noise(high, highs, self.high_noise, self.high_prec))

    def apply(self, name: str, *arguments: Any) -> "Twin":
        """The mpmath function ``name`` at both precisions."""
        twins = [self.twin(argument) for argument in arguments]
        low = getattr(self.low, name)(*(t.lo for t in twins))._mpf_
        high = getattr(self.high, name)(*(t.hi for t in twins))._mpf_
        return make(self, low, high)


def _is_rational(value: Any) -> bool:
    """isinstance(value, Fraction), asking the class itself first (isinstance goes through the numbers ABCs)."""
    return type(value) is Fraction or isinstance(value, Fraction)


def _magnitude(value: tuple) -> int:
    """About log2 |value| of a nonzero raw mpf, read from its exponent and mantissa's bit count."""
    _, _, exponent, bits = value
    return exponent + bits


def _at_most_noise(total: tuple, terms: list[tuple], noise: tuple, prec: int) -> bool:
    """|total| <= max |term| * noise at ``prec`` bits, as mpf objects of that precision compute it."""
    largest = mpf_abs(terms[0], prec, ROUND_NEAREST)
    for term in terms[1:]:
        size = mpf_abs(term, prec, ROUND_NEAREST)
        if mpf_gt(size, largest):
            largest = size
    return mpf_le(mpf_abs(total, prec, ROUND_NEAREST), mpf_mul(largest, noise, prec, ROUND_NEAREST))


def make(precisions: Precisions, low: tuple, high: tuple) -> Any:
    """A twin, or Fraction(0) when both copies are exactly zero."""
    if low == fzero and high == fzero:
        return Fraction(0)
    return Twin(precisions, low, high)


class Twin:
    """One real number at two precisions; compared, printed and converted by its more precise copy."""

    __slots__ = ("p", "low", "high")

    def __init__(self, precisions: Precisions, low: tuple, high: tuple) -> None:
        self.p, self.low, self.high = precisions, low, high

    @property
    def lo(self) -> Any:
        """The 50-digit copy, as an mpf."""
        return self.p.low.make_mpf(self.low)

    @property
    def hi(self) -> Any:
        """The 120-digit copy, as an mpf."""
        return self.p.high.make_mpf(self.high)

    def _other(self, other: Any) -> "Twin":
        return self.p.twin(other)

    def _sum(self, other: Any, sign: int) -> Any:
        if type(other) is not Twin and _is_rational(other) and not other:
            return self
        b = self._other(other)
        p = self.p
        combine = mpf_add if sign > 0 else mpf_sub
        low = combine(self.low, b.low, p.low_prec, ROUND_NEAREST)
        high = combine(self.high, b.high, p.high_prec, ROUND_NEAREST)
        if p.keeps_bits(low, max(_magnitude(self.low), _magnitude(b.low))):
            return make(p, low, high)  # most sums keep most of their bits: no cancellation to look at
        if p.is_noise(low, high, [self.low, b.low], [self.high, b.high]):
            return Fraction(0)  # cancelled to the noise of both precisions: exactly zero
        return make(p, low, high)

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
        p = self.p
        return make(p, mpf_mul(self.low, b.low, p.low_prec, ROUND_NEAREST),
                    mpf_mul(self.high, b.high, p.high_prec, ROUND_NEAREST))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        b = self._other(other)
        p = self.p
        return make(p, mpf_div(self.low, b.low, p.low_prec, ROUND_NEAREST),
                    mpf_div(self.high, b.high, p.high_prec, ROUND_NEAREST))

    def __rtruediv__(self, other: Any) -> Any:
        return self._other(other) / self

    def __pow__(self, exponent: Any) -> Any:
        p = self.p
        if type(exponent) is int:
            return make(p, mpf_pow_int(self.low, exponent, p.low_prec, ROUND_NEAREST),
                        mpf_pow_int(self.high, exponent, p.high_prec, ROUND_NEAREST))
        return make(p, (self.lo**exponent)._mpf_, (self.hi**exponent)._mpf_)

    def __neg__(self) -> "Twin":
        p = self.p
        return Twin(p, mpf_neg(self.low, p.low_prec, ROUND_NEAREST), mpf_neg(self.high, p.high_prec, ROUND_NEAREST))

    def __abs__(self) -> "Twin":
        p = self.p
        return Twin(p, mpf_abs(self.low, p.low_prec, ROUND_NEAREST), mpf_abs(self.high, p.high_prec, ROUND_NEAREST))

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
        return self.high != fzero

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
        return Twin(self.p, (+self.p.low.pi)._mpf_, (+self.p.high.pi)._mpf_)

    def __getattr__(self, name: str) -> Any:
        if name in ("exp", "log", "log1p", "tanh", "cosh", "sqrt", "erfc", "erf"):
            return lambda *arguments: self._remembered(name, arguments)
        raise AttributeError(name)

    def _remembered(self, name: str, arguments: tuple) -> Any:
        twins = [self.p.twin(argument) for argument in arguments]
        key = (name, *((t.low, t.high) for t in twins))
        found = self._applied.get(key)
        if found is None:
            found = self.p.apply(name, *twins)
            if len(self._applied) < MEMO_ENTRIES:
                self._applied[key] = found
        return found
