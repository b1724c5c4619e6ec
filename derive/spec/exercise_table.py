"""A spec's [exercise] table: the ranges a class set's variants are drawn from.

```toml
[exercise]
weight_range = [-1, 1]          # weights and biases, drawn on the grid of `decimals` places (never 0)
decimals = 1                    # 1 or 2 decimal places
input_values = [-1, -0.5, 0.5, 1]
target_values = [0, 0.25, 0.75, 1]   # optional; class indices are drawn for cross_entropy's class targets
lr_values = [0.1, 0.5, 1]
```
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .words import describe, show

if TYPE_CHECKING:
    from .values import ValueReader

KEYS = ("weight_range", "decimals", "input_values", "target_values", "lr_values")
MOST_DECIMALS = 3  # hand-friendly numbers: 0.125 is the longest a student should multiply


def _fractions(*values: str) -> tuple[Fraction, ...]:
    return tuple(Fraction(value) for value in values)


@dataclass(frozen=True)
class ExerciseSettings:
    """The grids a variant's numbers come from; ``target_values`` None means the default for the loss."""

    weight_range: tuple[Fraction, Fraction] = (Fraction(-1), Fraction(1))
    decimals: int = 1
    input_values: tuple[Fraction, ...] = _fractions("-1", "-0.5", "-0.2", "0.2", "0.5", "1")
    target_values: tuple[Fraction, ...] | None = None
    lr_values: tuple[Fraction, ...] = _fractions("0.1", "0.2", "0.5", "1")

    def weight_grid(self) -> tuple[Fraction, ...]:
        """Every value of the weight range on the grid of ``decimals`` places, except 0 (which cuts a path)."""
        low, high = self.weight_range
        step = Fraction(1, 10**self.decimals)
        first, last = -((-low) // step), high // step  # whole steps inside [low, high]
        return tuple(k * step for k in range(int(first), int(last) + 1) if k != 0)


def default_targets(probabilities: bool) -> tuple[Fraction, ...]:
    """Targets for outputs in [0, 1] (a sigmoid, BCE), or for outputs of any sign."""
    if probabilities:
        return _fractions("0", "0.1", "0.25", "0.5", "0.75", "0.9", "1")
    return _fractions("-1", "-0.5", "0", "0.5", "1")


def read_exercise(reader: "ValueReader", value: Any, probabilities: bool) -> ExerciseSettings:
    """Validate a spec's [exercise] table; ``probabilities`` says the loss takes targets in [0, 1] only."""
    path = ("exercise",)
    table = reader.table(value, path, KEYS)
    found: dict[str, Any] = {}
    if "decimals" in table:
        decimals = table["decimals"]
        if type(decimals) is not int or not 0 <= decimals <= MOST_DECIMALS:
            reader.fail(path + ("decimals",), f"a whole number from 0 to {MOST_DECIMALS}", describe(decimals))
        found["decimals"] = decimals
    if "weight_range" in table:
        low, high = _pair(reader, table["weight_range"], path + ("weight_range",))
        found["weight_range"] = (low, high)
    for key in ("input_values", "target_values", "lr_values"):
        if key not in table:
            continue
        accept, expected = lambda x: True, "a number"
        if key == "lr_values":
            accept, expected = (lambda x: x > 0), "a number greater than 0"
        elif key == "target_values" and probabilities:
            accept, expected = (lambda x: 0 <= x <= 1), "a probability from 0 to 1"
        found[key] = reader.row(table[key], path + (key,), expected, accept)
    settings = ExerciseSettings(**found)
    if not settings.weight_grid():
        reader.fail(path + ("weight_range",), f"a range holding a nonzero number of {settings.decimals} decimal places",
                    show(table["weight_range"]))
    return settings


def _pair(reader: "ValueReader", value: Any, path: tuple) -> tuple[Fraction, Fraction]:
    if not isinstance(value, list) or len(value) != 2:
        reader.fail(path, "two numbers [low, high]", describe(value))
    low, high = (reader.number(item, path + (i,)) for i, item in enumerate(value))
    if not low < high:
        reader.fail(path, "a low number below a high one", show(value))
    return low, high
