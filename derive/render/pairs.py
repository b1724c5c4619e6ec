"""Short equations set two to a row in LaTeX, where a list of one-line equations would leave half
of every line empty (the update's w⁺ = w − η·g lines, the backward pass's rules).

Only the printed page gains: Markdown keeps one equation to a row, since a screen may be narrow.
"""

from __future__ import annotations

from typing import Any

from .typeset import visible_width

# The typesetter's characters (visible_width) that a 17 cm line of 10 pt math holds: a row of numbers
# of 75 of them is 14.6 cm wide. A little less, for the estimate's error with letters.
PAIR_BUDGET = 82
PAIR_GAP = 4  # amsmath's \minalignsep between the two columns, and a margin
FEWEST_PAIRED = 4  # two or three equations read as a sequence, not as a list


def paired_views(view: dict[str, Any]) -> None:
    """Pair the equations of every group of a document view that a line holds two to a row, in place."""
    for section in view["sections"]:
        for block in section["blocks"]:
            for group in block["equations"]:
                group["equations"] = paired(group["equations"])


def paired(equations: list[list[str]]) -> list[list[str]]:
    """``equations`` (each a list of rows ``lhs &= ...``) two to a row, the first half down the left
    column and the rest down the right, when all are one row long and two fit on a line; else as given."""
    if len(equations) < FEWEST_PAIRED or any(len(rows) != 1 or "&" not in rows[0] for rows in equations):
        return equations
    half = (len(equations) + 1) // 2
    left, right = [rows[0] for rows in equations[:half]], [rows[0] for rows in equations[half:]]
    if _column_width(left) + _column_width(right) + PAIR_GAP > PAIR_BUDGET:
        return equations
    return [[f"{row} & {right[i]}" if i < len(right) else row] for i, row in enumerate(left)]


def _column_width(rows: list[str]) -> int:
    """The width of one column pair of an align: its widest left-hand side and its widest right-hand side."""
    sides = [row.split("&", 1) for row in rows]
    return max(visible_width(lhs) for lhs, _ in sides) + max(visible_width(rhs) for _, rhs in sides)
