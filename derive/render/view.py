"""The derivation as the strings a template places: shared by the Markdown and LaTeX renderers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from ..derivation.model import NUMBER, Block, Chart, Derivation, Section, Table, is_number
from ..derivation.nodes import Operator
from ..network import Network
from ..text.message import Code, Math, msg
from .prose import Prose
from .torch_print import listing_dtype, pytorch_listing


def document_view(derivation: Derivation, prose: Prose, note: str) -> dict[str, Any]:
    """Everything a document template needs; ``note`` is the message that frames a section's notes."""
    network = derivation.network
    math = prose.math
    about = msg(
        "exercise.rounding.about" if derivation.rounding == "carry" else "document.about",
        source=Code(network.source or network.name),
        precision=math.format.precision,
        approx=Math(Operator("approx")),
    )

    listing = pytorch_listing(derivation.network, derivation.training,
                              {word: prose.word(f"pytorch.listing_{word}") for word in ("output", "loss", "after")})

    def block_view(block: Block) -> dict:
        return {
            "title": prose.paragraph(block.title),
            "lead": prose.paragraph(block.lead),
            "equations": equation_groups(block, math, prose),
        }

    def table_view(table: Table) -> dict:
        return table_layout(table, prose)

    def section_view(section: Section) -> dict:
        return {
            "title": prose.message(section.title),
            "intro": prose.paragraph(section.intro),
            "figure": section.figure,
            "blocks": [block_view(b) for b in section.blocks],
            "tables": [table_view(t) for t in section.tables],
            "closing": prose.paragraph(section.closing),
            "notes": [prose.message(msg(note, text=n)) if note else prose.message(n) for n in section.notes],
            "chart": chart_view(section.chart, prose) if section.chart else None,
            "circuit": None,  # the LaTeX view draws it; Markdown and HTML link or inline an SVG
            "image": None,
            "chart_image": None,
        }

    return {
        "title": _title(network, prose),
        "about": prose.message(about),
        "sections": [section_view(s) for s in derivation.sections],
        "pytorch": {
            "title": prose.message(msg("pytorch.title")),
            "intro": prose.message(msg(
                "pytorch.intro" if listing_dtype(network) == "float32" else "pytorch.intro_float64",
                print=Code("print(t)"), detached=Code("print(t.detach())"),
            )),
            "listing": listing,
            "columns": listing_columns(listing),
        },
    }


TWO_COLUMN_LISTING = 48  # the longest line, in characters, of a listing column: 0.49\linewidth holds 50 of 9pt type
MOST_LISTING_COLUMN_LINES = 40  # the longest column that fits on a page with room to spare


def listing_columns(listing: str) -> list[str]:
    """The listing in two columns side by side when its lines are short and it is not too long, split
    between two printed tensors near its middle; else whole, in one column that may break across pages.

    Two columns are one box that moves whole to the next page: multicols would balance them across
    a page break instead, and lets a balanced column overrun the page by up to 12pt.
    """
    lines = listing.splitlines()
    if max(monospace_width(line) for line in lines) > TWO_COLUMN_LISTING:
        return [listing]
    starts = [i for i, line in enumerate(lines) if i > 0 and line.startswith("#")]
    if not starts:
        return [listing]
    middle = min(starts, key=lambda i: (abs(2 * i - len(lines)), i))
    if max(middle, len(lines) - middle) > MOST_LISTING_COLUMN_LINES:
        return [listing]
    return ["\n".join(lines[:middle]), "\n".join(lines[middle:])]


def monospace_width(line: str) -> int:
    """The columns a line takes in a monospaced font: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def equation_groups(block: Block, math: Any, prose: Prose) -> list[dict]:
    """A block's equations as aligned displays (each equation a list of rows): consecutive
    equations share one display, and an equation with a note ends it so the note follows its line.
    A display may break across pages between its equations unless ``whole``."""
    groups: list[dict] = []
    equations: list[list[str]] = []
    for equation in block.equations:
        equations.append(math.rows(equation))
        if equation.note:
            groups.append({"equations": equations, "note": prose.message(equation.note), "whole": False})
            equations = []
    if equations:
        groups.append({"equations": equations, "note": "", "whole": False})
    return groups


# A table at most this long is one box that moves whole to the next page; a longer one is a longtable
# that breaks across pages. 40 rows with subscripts take about 550pt of A4's 730pt text height at 10pt.
LONG_TABLE_ROWS = 40
# The LaTeX line: A4 with 2cm margins leaves 484pt, 48.4em at 10pt; a little less, for the guess below.
LINE_EM = 42.0
COLUMN_GAP_EM = 1.1  # \tabcolsep (6pt) on both sides of a column
# Widths in em of Computer Modern at its design size, enough to guess a table's width from its TeX.
CHAR_EM = {".": 0.28, ",": 0.28, "-": 0.78, "+": 0.78, "=": 0.78, "(": 0.39, ")": 0.39, "[": 0.28, "]": 0.28}
DIGIT_EM, LETTER_EM, SPACE_EM, SCRIPT_SCALE = 0.5, 0.55, 0.33, 0.7
COMMAND_EM = {"times": 1.22, "cdot": 0.72, "approx": 1.22}  # binary operators and relations with their spacing
FONT_COMMANDS = {"left", "right", "mathit", "mathrm", "mathbf", "mathsf", "text", "textit", "textbf", "texttt", "operatorname"}
# A number as the one formatter prints it in LaTeX: 0.15, -4.122307245 \times 10^{-9}.
PRINTED_NUMBER = re.compile(r"\$?(-?)(\d+)(?:\.(\d+))?(?: \\times 10\^\{(-?)(\d+)\})?\$?")


@dataclass(frozen=True)
class Shape:
    """How a number column's numbers are written: sign, digits before and after the point, power of ten."""

    sign: bool = False
    whole: int = 1
    decimals: int = 0
    exponent_sign: bool = False
    exponent: int = 0  # digits of the power of ten, 0 when no number has one

    def __str__(self) -> str:
        """siunitx's table-format: -1.9e-2 is a sign, 1 digit, the point, 9 decimals and a power like e-10."""
        number = ("-" if self.sign else "") + str(self.whole) + (f".{self.decimals}" if self.decimals else "")
        return number + (("e-" if self.exponent_sign else "e") + str(self.exponent) if self.exponent else "")

    def em(self) -> float:
        """The width in em that LaTeX reserves for such numbers."""
        width = (CHAR_EM["-"] if self.sign else 0) + DIGIT_EM * self.whole
        width += CHAR_EM["."] + DIGIT_EM * self.decimals if self.decimals else 0
        if self.exponent:
            width += COMMAND_EM["times"] + 2 * DIGIT_EM
            width += SCRIPT_SCALE * ((CHAR_EM["-"] if self.exponent_sign else 0) + DIGIT_EM * self.exponent)
        return width


def table_layout(table: Table, prose: Prose) -> dict:
    """A table's cells as text, each column's kind and number shape, and the parts a LaTeX line can hold
    (each with its LaTeX column spec and its guessed width in em).

    A number cell also carries ``number``, the number in e-notation (-4.122307245e-9, as many digits
    as the document shows), which LaTeX's siunitx aligns on the decimal point; a text cell in a
    number column (frozen, after step 10) has ``number`` None.
    """
    kinds = list(table.kinds)
    header = [prose.value(h) for h in table.header]
    rows = []
    for row in table.rows:
        cells = []
        for kind, cell in zip(kinds, row):
            text = prose.value(cell)
            found = PRINTED_NUMBER.fullmatch(text) if kind == NUMBER and is_number(cell) else None
            cells.append({"text": text, "number": found})
        rows.append(cells)
    shapes = [_shape([row[i]["number"] for row in rows]) for i in range(len(kinds))]
    widths = [_column_em(header[i], [row[i] for row in rows], shapes[i]) for i in range(len(kinds))]
    for row in rows:
        for cell in row:
            cell["number"] = _e_notation(cell["number"]) if cell["number"] else None
    parts = [
        {"kinds": [kinds[i] for i in columns], "shapes": [str(shapes[i]) for i in columns],
         "header": [header[i] for i in columns], "rows": [[row[i] for i in columns] for row in rows],
         "columns": "".join(f"S[table-format={shapes[i]}]" if kinds[i] == NUMBER else "l" for i in columns),
         "em": sum(widths[i] for i in columns)}
        for columns in _parts(widths)
    ]
    return {"header": header, "kinds": kinds, "rows": rows, "parts": parts, "long": len(rows) > LONG_TABLE_ROWS}


def _shape(numbers: list[re.Match | None]) -> Shape:
    """The shape that holds every number of a column."""
    found = [n for n in numbers if n is not None]
    if not found:
        return Shape()
    return Shape(
        sign=any(n[1] for n in found),
        whole=max(len(n[2]) for n in found),
        decimals=max(len(n[3] or "") for n in found),
        exponent_sign=any(n[4] for n in found),
        exponent=max(len(n[5] or "") for n in found),
    )


def _e_notation(number: re.Match) -> str:
    """A printed number in e-notation: -4.122307245e-9."""
    sign, whole, decimals, exponent_sign, exponent = number.groups()
    text = sign + whole + (f".{decimals}" if decimals else "")
    return text + (f"e{exponent_sign}{exponent}" if exponent else "")


def _parts(widths: list[float]) -> list[list[int]]:
    """The columns of each part of a table too wide for a LaTeX line, the first column repeated in each."""
    parts: list[list[int]] = [[0]]
    used = widths[0]
    for index in range(1, len(widths)):
        if used + widths[index] > LINE_EM and len(parts[-1]) > 1:
            parts.append([0])
            used = widths[0]
        parts[-1].append(index)
        used += widths[index]
    return parts


def _column_em(header: str, cells: list[dict], shape: Shape) -> float:
    """A column's width in em, guessed from its header, its text cells and the shape of its numbers."""
    texts = [_em(cell["text"]) for cell in cells if cell["number"] is None]
    numbers = [shape.em()] if any(cell["number"] is not None for cell in cells) else []
    return max([_em(header)] + texts + numbers) + COLUMN_GAP_EM


def _em(tex: str) -> float:
    """A guess at the width in em of text or math as TeX sets it (scripts smaller, spaces only in text)."""
    width, scales, math, script = 0.0, [1.0], False, False
    position = 0
    while position < len(tex):
        char = tex[position]
        position += 1
        scale = scales[-1] * (SCRIPT_SCALE if script else 1.0)
        if char == "\\":
            command = re.match(r"[a-zA-Z]+|.", tex[position:])
            name = command.group(0) if command else ""
            position += len(name)
            if name not in FONT_COMMANDS:
                width += scale * COMMAND_EM.get(name, LETTER_EM if len(name) > 1 else 0.3)
                script = False
        elif char in "^_":
            script = True
        elif char == "{":
            scales.append(scale)
            script = False
        elif char == "}":
            if len(scales) > 1:
                scales.pop()
        elif char == "$":
            math = not math
        else:
            if char == " ":
                width += 0.0 if math else SPACE_EM
            else:
                width += scale * (DIGIT_EM if char.isdigit() else CHAR_EM.get(char, LETTER_EM))
            script = False
    return width


def chart_view(chart: Chart, prose: Prose) -> dict:
    """The loss curve as coordinates for pgfplots and as categories and values for a Mermaid chart."""
    return {
        "points": [(step, f"{loss:.10g}") for step, loss in zip(chart.steps, chart.losses)],
        "log": chart.log_scale,
        "steps": ", ".join(str(step) for step in chart.steps),
        "losses": ", ".join(f"{loss:.6g}" for loss in chart.losses),
        "title": prose.message(msg(f"chart.title_{chart.unit}", first=chart.steps[0], last=chart.steps[-1])),
        "x": prose.word(f"chart.{chart.unit}"),
        "y": prose.word("chart.loss"),
    }


def _title(network: Network, prose: Prose) -> str:
    """The spec's title in the document's language, else its title, else the catalogue's default title."""
    given = dict(network.titles).get(prose.catalogue.language) or network.title
    return prose.escape(given) if given else prose.message(msg("document.default_title"))
