"""One exercise: a network's derivation, the quantities left blank, and each blank's answer with its tolerance."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from ..api import Document
from ..derivation.model import Derivation
from ..derivation.carry import carry_derivation
from ..derivation.recompute import Recompute
from ..engine.rounding import to_fraction
from ..network import Network
from ..options import Options
from .blanks import choose_blanks
from .variants import Variant

DEFAULT_PRECISION = 4  # a calculator's worth of digits for hand work (documents default to Mazur's 9)
TOLERANCE_DIGITS = 2  # a tolerance is rounded up to this many significant digits: 0.000089, not 0.0000885677


def round_up(value: Fraction, digits: int) -> Fraction:
    """A positive value rounded up to ``digits`` significant digits."""
    if value <= 0:
        return Fraction(0)
    exponent = 0
    while value * Fraction(10) ** exponent < 10 ** (digits - 1):
        exponent += 1
    while value * Fraction(10) ** exponent >= 10**digits:
        exponent -= 1
    scaled = value * Fraction(10) ** exponent
    return Fraction(-(-scaled.numerator // scaled.denominator)) / Fraction(10) ** exponent


@dataclass(frozen=True)
class ExerciseOptions:
    """How a sheet is set: the blanks asked for, digits, rounding convention, hints and language."""

    blanks: tuple[str, ...] = ("gradients", "updates")
    precision: int = DEFAULT_PRECISION
    rounding: str = "exact"
    hints: bool = False
    lang: str = "en"


@dataclass(frozen=True)
class Answer:
    """A blank's answer: the exact value, the value carried by hand at the sheet's precision, the one
    the key shows (by its convention), and the tolerance that accepts both."""

    id: str
    exact: Any
    carry: Fraction
    value: Any
    tolerance: Fraction


@dataclass(frozen=True)
class Exercise:
    """A sheet and its key: the derivation as the key shows it, the exact one, the blanks and their answers."""

    derivation: Derivation
    exact: Derivation
    blanks: tuple[str, ...]
    answers: dict[str, Answer]
    options: ExerciseOptions
    variant: Variant | None = None

    @property
    def network(self) -> Network:
        """The network of this sheet (a drawn variant's, or the spec's own)."""
        return self.exact.network

    @property
    def title(self) -> str:
        """The spec's title in the sheet's language, else its title."""
        return dict(self.network.titles).get(self.options.lang) or self.network.title

    @property
    def label(self) -> str:
        """The variant's ID, or the network's name for the spec's own numbers."""
        return self.variant.id if self.variant is not None else self.network.name


def build_exercise(network: Network, options: ExerciseOptions, variant: Variant | None = None) -> Exercise:
    """The exercise of ``network`` (a variant's network when ``variant`` is given)."""
    document = Document(network, Options(precision=options.precision, lang=options.lang))
    exact = document.derivation
    carried = Recompute(exact).values(decimals=options.precision)
    shown = carry_derivation(exact, options.precision, carried) if options.rounding == "carry" else exact
    blanks = choose_blanks(exact, options.blanks)
    quantities = exact.quantities
    unit = Fraction(1, 2 * 10**options.precision)  # half a unit in the sheet's last decimal place
    answers = {}
    for key in blanks:
        exact_value = quantities[key].value
        carry = to_fraction(carried[key])
        value = shown.quantities[key].value
        tolerance = round_up(unit + abs(carry - to_fraction(exact_value)), TOLERANCE_DIGITS)
        answers[key] = Answer(key, exact_value, carry, value, tolerance)
    return Exercise(shown, exact, blanks, answers, options, variant)


def build_exercises(variants: Sequence[Variant], options: ExerciseOptions) -> list[Exercise]:
    """The exercise of every variant, in order."""
    return [build_exercise(variant.network, options, variant) for variant in variants]
