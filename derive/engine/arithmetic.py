"""Two arithmetics for one set of formulas: exact rationals then 50-digit floats, and float64."""

from __future__ import annotations

import math
import operator
from fractions import Fraction
from typing import Any, Iterable, Sequence

from .twin import Precisions, Twin, TwinMath

DIGITS = 50
CONVERSIONS_KEPT = 1 << 16  # Fraction-to-mpf conversions remembered per run


def is_exact(value: object) -> bool:
    """True for exact rationals (Fraction or int)."""
    kind = type(value)  # Fraction's isinstance goes through the numbers ABCs: the exact classes are asked first
    return kind is Fraction or kind is int or (kind is not Twin and isinstance(value, (Fraction, int)))


def _rational(value: Fraction | int) -> Fraction:
    """An exact value as a Fraction (a Fraction as it is)."""
    return value if type(value) is Fraction else Fraction(value)


def is_mpf(value: object) -> bool:
    """True for an mpmath float of any context."""
    return hasattr(value, "_mpf_")


def to_float(value: Any) -> float:
    """The float64 nearest the value."""
    if type(value) is float:
        return value
    if is_mpf(value):  # asked before isinstance(value, Fraction), which goes through the numbers ABCs
        return float(value)
    if isinstance(value, Fraction):
        return value.numerator / value.denominator
    return float(value)


class Exact:
    """Fractions while every operand is rational; twins (50 and 120 digits) after that.

    The precisions live in private mpmath contexts, so nothing else in the process changes, and
    the conversions of Fractions it remembers go away with the object. ``settle`` turns a finished
    twin into a 50-digit mpmath float; a sum that cancels exactly is Fraction(0) (see twin.py).
    """

    exact = True

    def __init__(self) -> None:
        self.precisions = Precisions()
        self.mp = TwinMath(self.precisions)
        self.zero: Any = Fraction(0)
        self.one: Any = Fraction(1)
        self._converted: dict[tuple[int, int], Any] = {}

    def settle(self, value: Any) -> Any:
        """A finished value: a Fraction as it is, a twin as its precise copy at 50 digits."""
        return self.precisions.settle(value)

    def convert(self, value: Any) -> Any:
        """A number as this arithmetic holds it: rationals stay exact."""
        return value

    def mpf(self, value: Any) -> Any:
        """The value as a twin (a number at both precisions)."""
        if type(value) is Twin:
            return value
        if isinstance(value, Fraction):
            key = value.numerator, value.denominator  # a tuple hashes faster than a Fraction
            converted = self._converted.get(key)
            if converted is None:
                converted = self.precisions.twin(value)
                if len(self._converted) < CONVERSIONS_KEPT:
                    self._converted[key] = converted
            return converted
        return self.precisions.twin(value)

    def add(self, a: Any, b: Any) -> Any:
        """a + b, exact when both are."""
        if is_exact(a) and is_exact(b):
            return _rational(a) + _rational(b)
        return self.mpf(a) + self.mpf(b)

    def sub(self, a: Any, b: Any) -> Any:
        """a - b, exact when both are."""
        if is_exact(a) and is_exact(b):
            return _rational(a) - _rational(b)
        return self.mpf(a) - self.mpf(b)

    def mul(self, a: Any, b: Any) -> Any:
        """a * b, exact when both are."""
        if is_exact(a) and is_exact(b):
            return _rational(a) * _rational(b)
        return self.mpf(a) * self.mpf(b)

    def div(self, a: Any, b: Any) -> Any:
        """a / b, exact when both are."""
        if is_exact(a) and is_exact(b):
            return _rational(a) / _rational(b)
        return self.mpf(a) / self.mpf(b)

    def sqrt(self, a: Any) -> Any:
        """The square root, always at the context's precision."""
        return self.mp.sqrt(self.mpf(a))

    def power(self, base: Any, exponent: int) -> Any:
        """base ** exponent by repeated multiplication (exact for a rational base)."""
        result = self.one
        for _ in range(exponent):
            result = self.mul(result, base)
        return result

    def total(self, values: Iterable[Any]) -> Any:
        """The sum, exact when every term is."""
        result = self.zero
        for value in values:
            result = self.add(result, value)
        return result

    def dot(self, row: Sequence[Any], column: Sequence[Any]) -> Any:
        """sum of row[k] * column[k]: the rational products exactly, the others summed at each precision at once.

        A net input of 4,000 terms is one sum, not 4,000 twins; it is exactly zero when it cancels
        to the noise of its largest term at both precisions (see twin.py).
        """
        exact = Fraction(0)
        twins = []
        for a, b in zip(row, column):
            if is_exact(a) and is_exact(b):
                exact += _rational(a) * _rational(b)
            else:
                twins.append(self.mpf(a) * self.mpf(b))
        if not twins:
            return exact
        if exact:
            twins.append(self.mpf(exact))
        elif len(twins) == 1:  # a sum of one product is the product (an exact 0 stays Fraction(0))
            return twins[0]
        return self.precisions.total(twins)


class Float64:
    """Python floats, operation for operation as PyTorch's float64 does them."""

    exact = False
    mp = None
    zero = 0.0
    one = 1.0
    add = staticmethod(operator.add)
    sub = staticmethod(operator.sub)
    mul = staticmethod(operator.mul)
    div = staticmethod(operator.truediv)
    sqrt = staticmethod(math.sqrt)
    convert = staticmethod(to_float)
    total = staticmethod(sum)

    def mpf(self, value: Any) -> float:
        """Float64 has no mpmath floats: the value as a float."""
        return to_float(value)

    def power(self, base: float, exponent: int) -> float:
        """base ** exponent by repeated multiplication, as the exact arithmetic does it."""
        result = 1.0
        for _ in range(exponent):
            result *= base
        return result

    @staticmethod
    def dot(row: Sequence[float], column: Sequence[float]) -> float:
        """sum of row[k] * column[k], left to right."""
        return sum(map(operator.mul, row, column))


FLOAT64 = Float64()
