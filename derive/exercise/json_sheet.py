"""A sheet and its key as JSON: the givens and the blanks' IDs; the key adds every answer and every value."""

from __future__ import annotations

import json
from typing import Any

from ..engine.arithmetic import to_float
from .answers import decimal_text, exercise_payload
from .model import Exercise
from .sheet import GIVEN_KINDS


def _header(exercise: Exercise, kind: str) -> dict[str, Any]:
    options = exercise.options
    return {
        "format": f"derive-exercise-{kind}/1",
        "title": exercise.title,
        "variant": exercise.variant.id if exercise.variant else None,
        "precision": options.precision,
        "rounding": options.rounding,
        "hints": options.hints,
    }


def sheet_json(exercise: Exercise) -> str:
    """The givens (parameters, data, settings) by ID, the network's shape, and the blanks to fill in."""
    network = exercise.network
    quantities = exercise.exact.quantities
    givens = {key: decimal_text(q.value) for key, q in quantities.items() if q.kind in GIVEN_KINDS}
    payload = _header(exercise, "sheet")
    payload["network"] = {
        "widths": list(network.widths),
        "activations": [layer.activation.name for layer in network.layers],
        "loss": network.loss.name,
        "optimizer": network.train.optimizer.name,
    }
    payload["givens"] = givens
    payload["blanks"] = [
        {"id": key, "kind": quantities[key].kind,
         "sample": None if quantities[key].sample is None else quantities[key].sample + 1}
        for key in exercise.blanks
    ]
    return json.dumps(payload, indent=2) + "\n"


def key_json(exercise: Exercise) -> str:
    """The answers (as answers.json gives them) and every quantity's value as the key shows it."""
    payload = _header(exercise, "key")
    payload["answers"] = exercise_payload(exercise)["answers"]
    payload["quantities"] = {key: to_float(q.value) for key, q in exercise.derivation.quantities.items()}
    return json.dumps(payload, indent=2) + "\n"
