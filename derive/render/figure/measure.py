"""Text sizes: how much room names, values and labels take when set in LaTeX math."""

from __future__ import annotations

import math
from typing import Iterable, Iterator

from ...derivation.notation import Name, Written
from ..numbers import Formatted
from ..printer import GREEK

PT = 2.54 / 72.27  # one TeX point in cm
NODE_PAD_CM = 0.06  # between a node's name and its circle
LABEL_PT = 8.0  # edge labels, set at this size whatever the document's (\scriptsize of an 11pt one)
LABEL_PAD_X_CM = 2.0 * PT  # white margin left and right of a label's text
LABEL_PAD_Y_CM = 1.0 * PT

# LaTeX's math sizes (fontmath.ltx): text size -> script size; and how much wider than a 10 pt design
# each size's glyphs are, per em (measured with pdflatex: the digits of cmr8 are 0.531 em, of cmr6 0.611 em).
SCRIPT_PT = {10.95: 8.0, 9.0: 6.0, 8.0: 6.0, 7.0: 5.0, 6.0: 5.0, 5.0: 5.0}
OPTICAL = {10.95: 1.01, 9.0: 1.05, 8.0: 1.09, 7.0: 1.17, 6.0: 1.27, 5.0: 1.41}


def glyph_em(character: str) -> float:
    """A generous width in em of one math glyph of Latin Modern at 10 pt (digits 0.5, w 0.72, m 0.88, W 1.05)."""
    if character.isdigit():
        return 0.5
    if character in ".,;":
        return 0.28
    if character in "()[]":
        return 0.39
    if character in "-+":
        return 0.78
    if character.isupper():
        return 1.1
    return 0.9 if character == "m" else 0.8


def em(size: float) -> float:
    """The width in pt of a 10 pt em at ``size`` pt: small sizes use wider designs (cmr5 digits are 0.68 em)."""
    return size * OPTICAL[size]


def run_width(text: str, size: float) -> float:
    """The width in pt of math glyphs set at ``size`` pt."""
    return sum(glyph_em(c) for c in text) * em(size)


def scripts_box(size: float, sup: str | None, sub: str | None) -> tuple[float, float, float]:
    """Width, height and depth in pt that a superscript and a subscript add to a symbol set at ``size`` pt."""
    script = SCRIPT_PT[size]
    widths = [run_width(text, script) for text in (sup, sub) if text is not None]
    if not widths:
        return 0.0, 0.76 * size, 0.25 * size
    height = 0.56 * size + 0.76 * script if sup is not None else 0.76 * size
    depth = 0.3 * size + 0.25 * script if sub is not None else 0.25 * size
    return max(widths) + 0.5, height, depth  # 0.5 pt: \scriptspace


def name_box(name: Written, size: float) -> tuple[float, float, float]:
    """Width, height and depth in pt of a display name set in math at ``size`` pt."""
    if not isinstance(name, Name):
        raise ValueError(f"the figure draws plain names only, not {name!r}")
    sub = name.sub if not isinstance(name.sub, Name) else "".join(_name_characters(name.sub))
    width, height, depth = scripts_box(size, name.sup, sub)
    base = 0.8 if name.base in GREEK else sum(glyph_em(c) for c in name.base)
    return width + base * em(size), height, depth


def _name_characters(name: Name) -> Iterator[str]:
    """The characters of a nested name, for width estimates."""
    yield name.base
    for part in (name.sup, name.sub):
        if isinstance(part, str):
            yield part
        elif isinstance(part, Name):
            yield from _name_characters(part)


def value_box(value: Formatted, size: float) -> tuple[float, float, float]:
    """Width, height and depth in pt of a formatted number in math: 0.15, -0.3 or 1.5 x 10^-5."""
    width = run_width(value.mantissa, size)
    if value.exponent is None:
        return width, 0.76 * size, 0.25 * size
    power, height, depth = scripts_box(size, str(value.exponent), None)
    return width + RELATION_EM * em(size) + run_width("10", size) + power, height, depth


RELATION_EM = 1.34  # "=" or "\approx" with a thick space each side (and "\times" with medium ones, a little less)


def label_size(name: Written | None, value: Formatted | None, size: float = LABEL_PT) -> tuple[float, float]:
    """Width and height in cm of a label box (text and white margin)."""
    boxes = []
    if name is not None:
        boxes.append(name_box(name, size))
    if value is not None:
        boxes.append(value_box(value, size))
    width = sum(b[0] for b in boxes) + (RELATION_EM * em(size) if len(boxes) == 2 else 0.0)
    height = max(b[1] for b in boxes) + max(b[2] for b in boxes)
    return width * PT + 2 * LABEL_PAD_X_CM, height * PT + 2 * LABEL_PAD_Y_CM


def node_radius(names: Iterable[Written | None], size: float) -> float:
    """The radius in cm of a circle around the widest of these names set at ``size`` pt."""
    one = (run_width("1", size), 0.76 * size, 0.0)
    boxes = [name_box(name, size) if name is not None else one for name in names]
    half_diagonal = max(math.hypot(w / 2, (h + d) / 2) for w, h, d in boxes)
    return half_diagonal * PT + NODE_PAD_CM
