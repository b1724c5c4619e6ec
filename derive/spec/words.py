"""How spec messages name keys and show values: key paths, short renderings, near misses, counts."""

from __future__ import annotations

import decimal
import difflib
import math
import unicodedata
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from .toml_lines import KeyPath

SHOW_LIMIT = 40


class _Missing:
    """The value of a key that is absent."""


MISSING: Any = _Missing()


def format_key_path(path: KeyPath) -> str:
    """``("layer", 0, "weight", 0, 1)`` -> ``layer[1].weight[0][1]`` (layers count from 1)."""
    text = ""
    for position, part in enumerate(path):
        if isinstance(part, int):
            shown = part + 1 if position == 1 and path[0] == "layer" else part
            text += f"[{shown}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def get_suggestion(word: str, choices: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    matches = difflib.get_close_matches(word, choices, n=1) or difflib.get_close_matches(
        word.lower(), choices, n=1
    )
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def show(value: Any) -> str:
    """A short TOML-like rendering of a value for messages."""
    text = _render(value, SHOW_LIMIT + 1)
    return text if len(text) <= SHOW_LIMIT else text[: SHOW_LIMIT - 3] + "..."


def describe(value: Any) -> str:
    """``show(value)`` plus its kind where the kind is the likely mistake."""
    if value is MISSING:
        return "nothing"
    kinds = {bool: "a boolean", str: "a string", dict: "a table", list: "a list"}
    kind = kinds.get(type(value))
    return f"{show(value)} ({kind})" if kind else show(value)


def _render(value: Any, budget: int) -> str:
    """The rendering of ``value``, cut off once it is ``budget`` characters long."""
    if budget <= 0:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value[:budget])[:budget]
    if isinstance(value, decimal.Decimal):
        return _render_decimal(value)[:budget]
    if isinstance(value, int) and abs(value).bit_length() > 4 * budget:
        return f"{'-' if value < 0 else ''}a {_digits(abs(value))}-digit integer"[:budget]
    if isinstance(value, Fraction) and max(abs(value.numerator), value.denominator).bit_length() > 4 * budget:
        return (f"{'-' if value < 0 else ''}a fraction of a {_digits(abs(value.numerator))}-digit integer "
                f"and a {_digits(value.denominator)}-digit one")[:budget]
    if isinstance(value, (list, dict)):
        items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        text = opening
        for position, (key, item) in enumerate(items):
            if len(text) >= budget:
                break
            text += (", " if position else "") + (f"{key} = " if key is not None else "")
            text += _render(item, budget - len(text))
        return (text + closing)[: max(budget, 2)]
    return str(value)[:budget]


def _digits(number: int) -> int:
    """The decimal digits of a positive integer, without str(), which Python refuses beyond 4,300 digits."""
    estimate = (number.bit_length() * 1233) >> 12  # floor(bits * log10(2)), or one less
    return estimate + (number >= 10**estimate)


def _render_decimal(value: decimal.Decimal) -> str:
    if value.is_nan():
        return "nan"
    if value.is_infinite():
        return "-inf" if value < 0 else "inf"
    return str(value)


def invisible(char: str) -> bool:
    """Control, format (bidirectional overrides, zero-width), private-use and line-break characters."""
    return unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")


def is_finite(value: int | float | decimal.Decimal | Fraction) -> bool:
    """False for NaN and the infinities, in any of TOML's number types."""
    if isinstance(value, decimal.Decimal):
        return value.is_finite()
    return not isinstance(value, float) or math.isfinite(value)


def fits_float64(value: int | float | decimal.Decimal | Fraction) -> bool:
    """False for magnitudes that float64 (PyTorch) turns into inf or 0, and that would make huge exact rationals."""
    if value == 0 or isinstance(value, float):
        return True
    try:
        magnitude = float(abs(value))
    except OverflowError:
        return False
    return 0 < magnitude < math.inf


def keys_phrase(allowed: Sequence[str]) -> str:
    """'the key x' or 'one of the keys x, y'."""
    return f"the key {allowed[0]}" if len(allowed) == 1 else f"one of the keys {', '.join(allowed)}"


def misplaced_hint(key: Any, path: KeyPath, top_level_keys: Sequence[str]) -> str:
    """A hint for a top-level key written inside a table."""
    # TOML puts every key after a [table] header into that table, a common slip for top-level keys.
    if path and key in top_level_keys:
        return f" ({key!r} belongs at the top level, before the first [table] header)"
    return ""


def is_index_list(value: Any) -> bool:
    """True for a non-empty list of whole numbers (class indices)."""
    return isinstance(value, list) and bool(value) and all(type(item) is int for item in value)


def count(number: int, noun: str) -> str:
    """'1 number', '2 numbers', '3 class indices'."""
    plural = "class indices" if noun == "class index" else f"{noun}s"
    return f"{number} {noun if number == 1 else plural}"
