"""Renderers: lay the document model out as Markdown or LaTeX through Jinja templates, or as JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Callable

import jinja2
import sympy as sp

from . import numbers
from .document import Block, Chart, Document, Equation, Figure, Given, Prose, Section, Table
from .matrix_form import MatrixOp
from .formatting import format_number
from .shipped import shipped_folder
from .latex_text import escape_latex
from .network import Network
from .training import Training
from .printer import DerivePrinter
from .torch_style import pytorch_listing

ROW_BUDGET = 52  # estimated visible characters per display-math row before it is broken
FORMATS = ("markdown", "latex", "json", "pdf")


@cache
def environment(kind: str) -> jinja2.Environment:
    """The Jinja environment for ``markdown`` or ``latex`` templates, loaded from the package."""
    folder = shipped_folder("templates") / kind
    options: dict = {}
    if kind == "latex":
        options = dict(
            block_start_string="((*",
            block_end_string="*))",
            variable_start_string="(((",
            variable_end_string=")))",
            comment_start_string="((=",
            comment_end_string="=))",
        )
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )


MARKDOWN_SPECIALS = set("\\`*_{}[]#|<>$~&")


def escape_markdown(text: str) -> str:
    """User or fixed text made literal for Markdown (and its math extension)."""
    return "".join("\\" + c if c in MARKDOWN_SPECIALS else c for c in text)


def markdown_code(text: str) -> str:
    """Literal text as a Markdown code span: backslash escapes do not work there, so fence it instead."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def latex_code(text: str) -> str:
    """Literal text in typewriter type for LaTeX, breakable after / _ - . : so long paths fit the line."""
    escaped = escape_latex(text)
    escaped = re.sub(r"(/|\\_|-|\.|:)", lambda match: match.group(1) + r"\allowbreak{}", escaped)
    return r"\texttt{" + escaped + "}"


def visible_width(tex: str) -> int:
    """A rough count of the characters a LaTeX math string shows, to decide where rows break."""
    tex = MATRIX.sub(lambda match: "x" * _matrix_width(match.group(1)), tex)
    tex = re.sub(r"\\(left|right|mathit|operatorname|quad)\b", "", tex)
    tex = re.sub(r"\\[a-zA-Z]+", "x", tex)
    tex = re.sub(r"[{}^_&]", "", tex)
    return len(tex.replace(" ", ""))


MATRIX = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", re.S)


def _matrix_width(body: str) -> int:
    rows = [row.split("&") for row in body.split("\\\\")]
    columns = max(len(row) for row in rows)
    widths = [max(visible_width(row[c]) if c < len(row) else 0 for row in rows) for c in range(columns)]
    return sum(widths) + 2 * columns


@dataclass(frozen=True)
class Laid:
    """The printers and the text escaper of one output format."""

    escape: Callable[[str], str]
    code: Callable[[str], str]
    names: dict
    precision: int
    values: tuple[dict, ...]

    def symbolic(self, expr: sp.Basic) -> str:
        return DerivePrinter(self.names, self.precision).doprint(expr)

    def numeric(self, expr: sp.Basic, sample: int) -> str:
        return DerivePrinter(self.names, self.precision, self.values[sample]).doprint(expr)

    def number(self, value) -> str:
        return DerivePrinter(self.names, self.precision).number(value, standalone=True)

    def rows(self, equation: Equation) -> list[str]:
        """The rows of an aligned display: lhs = form = ... = numbers = value, long rows broken."""
        pieces: list[tuple[str, sp.Basic | None, int | None]] = []
        for form in equation.forms:
            pieces.append(("=", form, None))
        if equation.numbers is not None:
            pieces.append((self._numbers_relation(equation), equation.numbers, equation.sample))
        texts: list[tuple[str, list[str]]] = []
        for relation, expr, sample in pieces:
            parts = self._parts(expr, sample)
            if texts and " ".join(texts[-1][1]) == " ".join(parts):
                continue
            texts.append((relation, parts))
        if equation.value is not None:
            formatted = format_number(equation.value, self.precision)
            value_tex = formatted.latex()
            last = " ".join(texts[-1][1]) if texts else None
            if value_tex != last:
                relation = "=" if formatted.exact else r"\approx"
                texts.append((relation, [value_tex]))
        lhs = self.symbolic(equation.lhs)
        rows = []
        for i, (relation, parts) in enumerate(texts):
            for j, chunk in enumerate(_pack(parts)):
                start = lhs if i == 0 and j == 0 else ""
                if j == 0:
                    rows.append(f"{start} &{relation} {chunk}")
                else:
                    rows.append(rf"&\quad {chunk}")
        return rows

    def _numbers_relation(self, equation: Equation) -> str:
        """'=' for a substitution; '\\approx' when the numbers row is a lone value shown rounded."""
        values = self.values[equation.sample]
        if equation.numbers in values and not format_number(values[equation.numbers], self.precision).exact:
            return r"\approx"
        return "="

    def _parts(self, expr: sp.Basic, sample: int | None) -> list[str]:
        """An expression printed whole, or as its top-level terms (with their signs) when too wide."""
        whole = self._print_for(expr, sample)
        if visible_width(whole) <= ROW_BUDGET or not isinstance(expr, (sp.Add, sp.Mul, MatrixOp)):
            return [whole]
        if isinstance(expr, sp.Mul) and expr.args[0] == -1 and len(expr.args) == 2:
            inner = self._parts(expr.args[1], sample)
            return [r"- \bigl(" + inner[0]] + inner[1:-1] + [inner[-1] + r"\bigr)"] if len(inner) > 1 else [r"- \bigl(" + inner[0] + r"\bigr)"]
        if isinstance(expr, MatrixOp):
            joiner, operands = expr.operator, expr.operands
        else:
            joiner, operands = ("+" if isinstance(expr, sp.Add) else r"\cdot"), expr.args
        parts = []
        for i, arg in enumerate(operands):
            # A product inside a sum (or inside another matrix operation) binds tighter than its
            # surroundings, so it may break across rows too without parentheses.
            nested = isinstance(arg, (sp.Mul, MatrixOp)) and not isinstance(expr, sp.Mul)
            pieces = self._parts(arg, sample) if nested else [self._print_for(arg, sample)]
            text = pieces[0]
            if isinstance(expr, sp.Add) and text.startswith("-"):
                parts.append(text if i == 0 else "- " + text.lstrip("- "))
            else:
                parts.append(text if i == 0 else f"{joiner} {text}")
            parts.extend(pieces[1:])
        return parts

    def _print_for(self, expr: sp.Basic, sample: int | None) -> str:
        return self.symbolic(expr) if sample is None else self.numeric(expr, sample)

    def prose(self, pieces: Prose) -> str:
        """Running text with inline math for symbols and numbers."""
        out = []
        for piece in pieces:
            if isinstance(piece, str):
                out.append(self.escape(piece))
            elif isinstance(piece, Figure):
                out.append("$" + format_number(piece.value, piece.decimals).latex() + "$")
            elif isinstance(piece, Given):
                formatted = format_number(piece.value, self.precision)
                relation = "=" if formatted.exact else r"\approx"
                out.append(f"${self.symbolic(piece.symbol)} {relation} {formatted.latex()}$")
            elif isinstance(piece, tuple):
                out.append(self.prose(piece))
            elif isinstance(piece, sp.Basic):
                out.append("$" + self.symbolic(piece) + "$")
            else:
                out.append("$" + self.number(piece) + "$")
        return "".join(out)

    def cell(self, value) -> str:
        if isinstance(value, tuple):
            return self.prose(value)
        if isinstance(value, str):
            return self.escape(value)
        if isinstance(value, sp.Basic):
            return "$" + self.symbolic(value) + "$"
        return "$" + self.number(value) + "$"


def _pack(parts: list[str]) -> list[str]:
    rows: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current} {part}".strip()
        if current and visible_width(candidate) > ROW_BUDGET:
            rows.append(current)
            current = part
        else:
            current = candidate
    rows.append(current)
    return rows


def _view(document: Document, laid: Laid) -> dict:
    """Everything a template needs, as strings."""

    def block_view(block: Block) -> dict:
        return {
            "title": laid.prose(block.title),
            "lead": laid.prose(block.lead),
            "equations": [laid.rows(e) for e in block.equations],
        }

    def table_view(table: Table) -> dict:
        return {
            "header": [laid.escape(h) for h in table.header],
            "rows": [[laid.cell(c) for c in row] for row in table.rows],
        }

    def section_view(section: Section) -> dict:
        return {
            "key": section.key,
            "title": laid.escape(section.title),
            "intro": laid.prose(section.intro),
            "blocks": [block_view(b) for b in section.blocks],
            "tables": [table_view(t) for t in section.tables],
            "closing": laid.prose(section.closing),
            "chart": chart_view(section.chart) if section.chart else None,
        }

    network = document.network
    return {
        "title": laid.escape(network.title),
        "source": laid.code(network.source or network.name),
        "precision": laid.precision,
        "sections": [section_view(s) for s in document.sections],
        "footnotes": [laid.prose(f) for f in document.footnotes],
        "pytorch": pytorch_listing(document),
    }


def chart_view(chart: Chart) -> dict:
    """The loss curve as coordinates for pgfplots and as categories and values for a Mermaid chart."""
    return {
        "coordinates": " ".join(f"({step},{loss:.10g})" for step, loss in zip(chart.steps, chart.losses)),
        "log": chart.log_scale,
        "steps": ", ".join(str(step) for step in chart.steps),
        "losses": ", ".join(f"{loss:.6g}" for loss in chart.losses),
        "first": chart.steps[0],
        "last": chart.steps[-1],
    }


def render_markdown(document: Document, precision: int) -> str:
    """The derivation as Markdown with $...$ and $$...$$ math."""
    laid = Laid(escape_markdown, markdown_code, document.names, precision, document.values)
    return environment("markdown").get_template("document.md.j2").render(**_view(document, laid))


def render_latex(document: Document, precision: int) -> str:
    """The derivation as a complete LaTeX article."""
    from .figure import network_figure

    laid = Laid(escape_latex, latex_code, document.names, precision, document.values)
    view = _view(document, laid)
    view["figure"] = network_figure(document, laid)
    return environment("latex").get_template("document.tex.j2").render(**view)


def render_json(network: Network | Document, training: Training | None = None) -> str:
    """The derive-json/1 document: the first step in full, the loss history and the final state.

    Pass a network and its training, or a built Document (which holds both).
    """
    if isinstance(network, Document):
        network, training = network.network, network.training
    assert training is not None
    first = training.first
    layers = []
    for index, layer in enumerate(network.layers):
        layers.append(
            {
                "weight": _floats(training.start.weights[index]),
                "bias": _floats(training.start.biases[index]),
                "z": [_floats(sample.z[index]) for sample in first.samples],
                "a": [_floats(sample.a[index]) for sample in first.samples],
                "grad_weight": _floats(first.grad_weights[index]),
                "grad_bias": _floats(first.grad_biases[index]) if layer.bias_trained else None,
            }
        )
    final_layers = [
        {"weight": _floats(training.final.weights[i]), "bias": _floats(training.final.biases[i])}
        for i in range(len(network.layers))
    ]
    payload = {
        "format": "derive-json/1",
        "steps": [{"loss": numbers.to_float(first.loss), "layers": layers}],
        "loss_history": [numbers.to_float(v) for v in training.loss_history],
        "final": {"loss": numbers.to_float(training.final_loss), "layers": final_layers},
    }
    return json.dumps(payload, indent=2) + "\n"


def _floats(value):
    if value is None:
        return None
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return numbers.to_float(value)
