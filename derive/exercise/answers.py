"""answers.json: every blank's ID with its exact value, its value carried by hand, and the tolerance.

Numbers appear twice: as JSON numbers (the float64 nearest) for tools, and as decimal strings of 30
significant digits (``exact_decimal``) or exactly as carried (``carry``) for anyone who wants more.
"""

from __future__ import annotations

import json
from decimal import Context
from typing import Any, Sequence

from ..engine.arithmetic import to_float
from ..engine.rounding import fixed_text
from ..render.numbers import format_number, to_decimal
from .model import Exercise

FORMAT = "derive-exercise-answers/1"
DECIMAL_DIGITS = 30


def decimal_text(value: Any, digits: int = DECIMAL_DIGITS) -> str:
    """A value as a decimal string of ``digits`` significant digits (exact ones as short as they are)."""
    rounded = Context(prec=digits).create_decimal(to_decimal(value))
    text = format(rounded.normalize(), "f")
    return "0" if text in ("-0", "") else text


def exercise_payload(exercise: Exercise) -> dict[str, Any]:
    """One sheet's answers, with the settings that made it."""
    options = exercise.options
    variant = exercise.variant
    quantities = exercise.exact.quantities
    answers = {}
    for key in exercise.blanks:
        answer = exercise.answers[key]
        quantity = quantities[key]
        answers[key] = {
            "value": to_float(answer.value),
            "shown": format_number(answer.value, options.precision).plain(),
            "exact": to_float(answer.exact),
            "exact_decimal": decimal_text(answer.exact),
            "carry": fixed_text(answer.carry, options.precision),
            "tolerance": to_float(answer.tolerance),
            "kind": quantity.kind,
            "sample": None if quantity.sample is None else quantity.sample + 1,
        }
    return {
        "format": FORMAT,
        "spec": exercise.network.source or exercise.network.name,
        "variant": None if variant is None else variant.id,
        "seed": None if variant is None else variant.seed,
        "precision": options.precision,
        "rounding": options.rounding,
        "hints": options.hints,
        "blanks": list(exercise.blanks),
        "answers": answers,
    }


def answers_json(exercise: Exercise) -> str:
    """answers.json of one sheet."""
    return json.dumps(exercise_payload(exercise), indent=2) + "\n"


def class_answers_json(exercises: Sequence[Exercise], seed: int) -> str:
    """answers.json of a class set: each variant's answers under its ID."""
    first = exercises[0]
    payload = {
        "format": FORMAT,
        "spec": first.network.source or first.network.name,
        "seed": seed,
        "count": len(exercises),
        "precision": first.options.precision,
        "rounding": first.options.rounding,
        "variants": {exercise.label: exercise_payload(exercise) for exercise in exercises},
    }
    return json.dumps(payload, indent=2) + "\n"
