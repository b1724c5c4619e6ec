"""Short equations set two to a row, and short tables side by side, in LaTeX, where a list of one-line
equations or a narrow table would leave half of every line empty (the update's w⁺ = w − η·g lines,
the backward pass's rules, the network's parameters beside its samples).

Only the printed page gains: Markdown keeps one equation and one table to a row, since a screen may be narrow.
"""

from __future__ import annotations

from typing import Any

from .typeset import MATRIX, visible_width
from .view import LINE_EM

# The typesetter's characters (visible_width) that a 17 cm line of 10 pt math holds: a row of numbers
# of 75 of them is 14.6 cm wide. A little less, for the estimate's error with letters.
PAIR_BUDGET = 82
PAIR_GAP = 4  # amsmath's \minalignsep between the two columns, and a margin
FEWEST_PAIRED = 4  # two or three equations read as a sequence, not as a list
# Two columns cannot break across pages: at most about half a page, in lines of text (a fraction is
# two, a matrix as many as its rows).
MOST_PAIRED_LINES = 30
TABLE_GAP_EM = 2.0  # between two tables side by side


def paired_views(view: dict[str, Any]) -> None:
    """Pair, in place, the equations of every group of a document view that a line holds two to a row,
    and set each section's tables in rows (``table_rows``) of one, or of two that fit side by side."""
    for section in view["sections"]:
        section["table_rows"] = side_by_side(section["tables"])
        for block in section["blocks"]:
            for group in block["equations"]:
                pairs = paired(group["equations"])
                # two columns read down the left, then down the right: a page break would interleave them
                group["equations"], group["whole"] = pairs, group["whole"] or pairs != group["equations"]


def paired(equations: list[list[str]]) -> list[list[str]]:
    """``equations`` (each a list of rows ``lhs &= ...``) two to a row, the first half down the left
    column and the rest down the right, when all are one row long, two fit on a line and the rows
    fit in half a page; else as given."""
    if len(equations) < FEWEST_PAIRED or any(len(rows) != 1 or "&" not in rows[0] for rows in equations):
        return equations
    half = (len(equations) + 1) // 2
    left, right = [rows[0] for rows in equations[:half]], [rows[0] for rows in equations[half:]]
    if not _splits_cleanly([rows[0].split("&", 1)[0].strip() for rows in equations], half):
        return equations
    if _column_width(left) + _column_width(right) + PAIR_GAP > PAIR_BUDGET:
        return equations
    rows = [f"{row} & {right[i]}" if i < len(right) else row for i, row in enumerate(left)]
    return [[row] for row in rows] if sum(_lines(row) for row in rows) <= MOST_PAIRED_LINES else equations


def _lines(row: str) -> int:
    """About how many lines of text a row is tall: its tallest matrix, else two with a fraction, else one."""
    matrices = [body.count("\\\\") + 1 for body in MATRIX.findall(row)]
    return max(matrices + [2 if "\\frac" in row else 1])


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


def side_by_side(tables: list[dict]) -> list[list[dict]]:
    """Tables (as ``table_layout`` gives them) in rows: two consecutive ones share a row when both are
    short boxes of one part and the line holds them with a gap between; any other stands alone."""
    rows: list[list[dict]] = []
    for table in tables:
        last = rows[-1] if rows else []
        if len(last) == 1 and _beside(last[0], table):
            last.append(table)
        else:
            rows.append([table])
    return rows


def _beside(left: dict, right: dict) -> bool:
    """Whether two tables fit side by side: neither a longtable nor in parts, and together the line's width."""
    if left["long"] or right["long"] or len(left["parts"]) > 1 or len(right["parts"]) > 1:
        return False
    return left["parts"][0]["em"] + TABLE_GAP_EM + right["parts"][0]["em"] <= LINE_EM
