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
    if not _splits_cleanly([rows[0].split("&", 1)[0].strip() for rows in equations], half):
        return equations
    if _column_width(left) + _column_width(right) + PAIR_GAP > PAIR_BUDGET:
        return equations
    return [[f"{row} & {right[i]}" if i < len(right) else row] for i, row in enumerate(left)]


def _splits_cleanly(sides: list[str], half: int) -> bool:
    """Whether the left-hand sides break into two columns at ``half`` without parting what belongs
    together: two lines of one quantity (Z's formula and Z's numbers), or one round of a repeating
    pattern (a momentum v, then the parameter it moves, parameter after parameter)."""
    if sides[half - 1] == sides[half]:
        return False
    families = [_family(side) for side in sides]
    # a pattern that repeats at least twice; a longer "period" is only a start that recurs at the end
    period = next((p for p in range(1, len(families) // 2 + 1) if families[p:] == families[:-p]), None)
    return period is None or half % period == 0


def _family(side: str) -> str:
    """A left-hand side without its subscripts: w_{1}^{+} and w_{2}^{+} are both w^{+}."""
    kept, index = [], 0
    while index < len(side):
        if side[index] != "_":
            kept.append(side[index])
            index += 1
            continue
        index += 1
        if side[index : index + 1] == "{":
            depth = 0
            while index < len(side):
                depth += {"{": 1, "}": -1}.get(side[index], 0)
                index += 1
                if depth == 0:
                    break
        else:
            index += 1
    return "".join(kept)


def _column_width(rows: list[str]) -> int:
    """The width of one column pair of an align: its widest left-hand side and its widest right-hand side."""
    sides = [row.split("&", 1) for row in rows]
    return max(visible_width(lhs) for lhs, _ in sides) + max(visible_width(rhs) for _, rhs in sides)

