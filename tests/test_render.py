"""derive.render: the one number formatter, escaping, the Markdown and LaTeX text, and JSON.

(Compiling the LaTeX is tests/test_latex.py's; parsing the Markdown math with KaTeX is
tests/test_markdown_math.py's; the files in output/ are tests/test_golden.py's.)
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from fractions import Fraction

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import (
    EXAMPLES, assert_markdown_literal, edit, example_document, json_numbers, one_neuron, parameter_ids, rendered,
)
from derive.api import Document, load
from derive.options import Options
from derive.render.escape import SPECIALS, TEXT_RANGES, escape_latex, escape_markdown, latex_code, markdown_code
from derive.render.numbers import NumberFormat, format_number
from derive.spec import parse_spec


def edge(text: str):
    return parse_spec(text, source="edge.toml", name="edge")


# ---------------------------------------------------------------- numbers

ZERO_AT = {precision: re.compile(rf"(?<![0-9.])-?0\.0{{{precision}}}(?![0-9])") for precision in (4, 6, 9, 12)}


@pytest.mark.parametrize("precision", [4, 6, 9, 12])
@pytest.mark.parametrize("value", [mpmath.mpf("1e-7"), mpmath.mpf("-3.2e-13"), mpmath.mpf("1e-300") / 7,
                                   mpmath.exp(-800), mpmath.mpf("4.999e-5")])
def test_a_tiny_nonzero_value_never_prints_as_zero(value, precision: int) -> None:
    """Fixed notation while it keeps 3 significant digits, scientific below that; correctly rounded either way."""
    formatted = format_number(value, precision)
    assert len(formatted.mantissa.split(".")[1]) == precision
    mantissa = Decimal(formatted.mantissa)
    if formatted.exponent is None:
        assert mantissa.adjusted() >= -precision + 2, formatted  # at least 3 significant digits
    else:
        assert 1 <= abs(mantissa) < 10, formatted
    shown = mantissa.scaleb(formatted.exponent or 0)
    exact = Decimal(mpmath.nstr(value, 40, min_fixed=1, max_fixed=0))
    assert abs(shown - exact) <= abs(exact) * Decimal(10) ** -precision, (shown, exact)


@pytest.mark.parametrize(("value", "shown"), [(mpmath.mpf("3e-1000001"), "3.000000000e-1000001"),
                                             (mpmath.mpf("-7e-5000000"), "-7.000000000e-5000000")])
def test_extreme_exponents_format(value, shown: str) -> None:
    assert format_number(value, 9).plain() == shown


def test_exact_decimals_print_as_written_and_rounded_values_show_every_digit() -> None:
    """Fraction(1, 2) == mpf(0.5) in Python, but one is exact (0.5) and the other rounded (0.500000000)."""
    assert format_number(Fraction(3, 20), 9).plain() == "0.15" and format_number(Fraction(3, 20), 9).exact
    assert format_number(Fraction(1, 3), 4).plain() == "0.3333" and not format_number(Fraction(1, 3), 4).exact
    numbers = NumberFormat(9)  # the formatter's cache keeps the two apart
    assert numbers(mpmath.mpf(0.5)).mantissa == "0.500000000" and not numbers(mpmath.mpf(0.5)).exact
    assert numbers(Fraction(1, 2)).mantissa == "0.5" and numbers(Fraction(1, 2)).exact


@pytest.mark.parametrize("precision", [4, 6, 9])
def test_tiny_gradients_in_a_document_are_never_zero_at_the_chosen_precision(precision: int) -> None:
    markdown = Document(edge(one_neuron("sigmoid", -30, 0, 1, "0.0000001")), Options(precision=precision)).markdown()
    markdown = markdown.split("## The same numbers as PyTorch prints them")[0]  # PyTorch's own 4-decimal format
    assert r"\times 10^{-" in markdown
    for line in markdown.splitlines():
        assert not ZERO_AT[precision].search(line), line


SATURATED = [(activation, z) for activation in ("sigmoid", "tanh") for z in (50, -50, 800, -800)]


@pytest.mark.parametrize(("activation", "z"), SATURATED, ids=[f"{a}({z})" for a, z in SATURATED])
def test_a_saturated_document_has_no_overflow_or_nan(activation: str, z: int) -> None:
    document = Document(edge(one_neuron(activation, z, 0, 1, "0.5", steps=3)))
    for text in (document.markdown(), document.latex()):
        assert not re.search(r"\bnan\b|\binf\b|\\infty|zoo", text, re.IGNORECASE)


def test_tanh_derivative_at_800_is_not_printed_as_an_exact_zero() -> None:
    markdown = Document(edge(one_neuron("tanh", 800, 0, 1, "0.5")), Options(precision=6)).markdown()
    derivative = markdown.split(r"\partial \mathit{out}_{o1}}{\partial \mathit{net}_{o1}} &=")[1].split(r"\end{aligned}")[0]
    assert not derivative.rstrip().endswith("&= 0"), derivative


# ---------------------------------------------------------------- escaping: user text is printed literally


LATEX_ESCAPES = sorted(SPECIALS.items(), key=lambda item: -len(item[1]))


def latex_unescape(text: str) -> str:
    """Undo escape_latex, refusing any backslash or special character it would not write."""
    out, index = [], 0
    while index < len(text):
        for char, escaped in LATEX_ESCAPES:
            if text.startswith(escaped, index):
                out.append(char)
                index += len(escaped)
                break
        else:
            assert text[index] not in "\\{}$&%#_~^", f"unescaped {text[index]!r} in {text!r}"
            out.append(text[index])
            index += 1
    return "".join(out)


PRINTABLE = st.characters(categories=("L", "M", "N", "P", "S", "Zs"))
LATIN = st.characters(min_codepoint=0x20, max_codepoint=0xFF, categories=("L", "N", "P", "S", "Zs"))


@settings(max_examples=150, deadline=None)
@given(st.text(PRINTABLE, max_size=60))
def test_escape_markdown_round_trips_and_leaves_nothing_special(title: str) -> None:
    assert_markdown_literal(escape_markdown(title), title)


@settings(max_examples=150, deadline=None)
@given(st.text(LATIN, max_size=60))
def test_escape_latex_round_trips_and_leaves_nothing_special(title: str) -> None:
    assert latex_unescape(escape_latex(title)) == title


@settings(max_examples=150, deadline=None)
@given(st.text(PRINTABLE, max_size=60))
def test_escape_latex_writes_only_what_pdflatex_can_set(title: str) -> None:
    """Characters pdflatex cannot set become a Greek letter in math or a visible [U+XXXX], never raw input."""
    escaped = escape_latex(title)
    for char in escaped:
        code = ord(char)
        assert 0x20 <= code < 0x7F or any(low <= code <= high for low, high in TEXT_RANGES), repr(char)
    commands = set(re.findall(r"\\([A-Za-z]+)", escaped))
    allowed = {"textbackslash", "textasciitilde", "textasciicircum", "textasciigrave", "textquotesingle",
               "textless", "textgreater", "texttt", "ensuremath"}
    greek = {name for name in commands if name.lower().rstrip("s") in {
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
        "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "varsigma"}}
    assert commands - allowed - greek == set(), commands


@pytest.mark.parametrize("text", ["plain", "a`b", "``x``", "`edge`", "file_name.py:Net"])
def test_code_spans_hold_any_text_literally(text: str) -> None:
    fenced = markdown_code(text)
    fence = re.match(r"`+", fenced).group(0)
    inner = fenced[len(fence):-len(fence)]
    assert fenced.endswith(fence) and len(fence) > max((len(run) for run in re.findall(r"`+", text)), default=0)
    assert (inner[1:-1] if inner.startswith(" ") and inner.endswith(" ") else inner) == text  # CommonMark strips one space each side
    assert latex_unescape(latex_code(text)[len(r"\texttt{"):-1].replace(r"\allowbreak{}", "")) == text


HOSTILE_TITLE = r"\input{/etc/passwd} \write18{rm -rf ~} 100% $x$ & #1 ~ ^ {} _"
MARKDOWN_HOSTILE = "<script>alert(1)</script> [link](javascript:x) | table | *bold* `code` $$x$$ ![i](x) &amp; <b>"
TEX_FILE_WRITES = r"\immediate\openout5=pwned.tex \immediate\write5{x}\immediate\closeout5 \immediate\write18{touch pwned}"


@pytest.mark.parametrize("title", [HOSTILE_TITLE, MARKDOWN_HOSTILE, TEX_FILE_WRITES, "# not a heading", "1. not a list"])
def test_a_hostile_title_is_printed_literally_in_markdown_and_latex(title: str) -> None:
    network = parse_spec(edit(('title = "t"', "title = " + json.dumps(title, ensure_ascii=False))), "spec.toml", "spec")
    assert network.title == title
    document = Document(network)
    markdown = document.markdown()
    heading = markdown.splitlines()[0]
    assert heading.startswith("# ")
    assert_markdown_literal(heading[2:], title)
    assert not re.search(r"(?<!\\)<(script|b>)|(?<!\\)\]\(javascript", markdown)
    latex = document.latex()
    assert "\\title{" + escape_latex(title) + "}" in latex
    assert latex_unescape(escape_latex(title)) == title


# ---------------------------------------------------------------- the documents


@pytest.mark.parametrize("style", ["scalar", "matrix"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_renders_as_markdown_and_latex(name: str, style: str) -> None:
    document = example_document(name, style)
    markdown = rendered(name, "markdown", style)
    assert markdown.startswith(f"# {escape_markdown(document.network.title)}\n")
    assert "## Summary" in markdown and "## The same numbers as PyTorch prints them" in markdown
    assert markdown.count("$$") % 2 == 0
    network = document.network
    if network.train.epochs:
        assert f"## Training for {network.train.epochs} epochs: {network.updates} updates" in markdown
    elif network.updates > 1:
        assert f"## Training for {network.updates} steps" in markdown
    latex = rendered(name, "latex", style)
    assert latex.lstrip().startswith("\\documentclass") and latex.rstrip().endswith("\\end{document}")
    assert "\\begin{tikzpicture}" in latex


WRITTEN = {
    # example: what its document must write (closed forms of derivatives, each component in its own words)
    "mazur": [r"\mathit{out}_{o1} \cdot \left(1 - \mathit{out}_{o1}\right)"],
    "xor-tanh": [r"1 - \mathit{out}_{h1}^{2}"],
    "softmax-classifier": [r"\begin{cases} 1 & \text{for}\: \mathit{net}_{h1} > 0"],
    "gelu-regression": [r"\operatorname{GELU}\left(\mathit{net}_{h1}\right)", "Gaussian error linear unit"],
    "softplus-regression": [r"\operatorname{softplus}\left(\mathit{net}_{h2}\right)",
                            "above the threshold 4"],  # net_h2 of sample 2 is 2.6, and 2 x 2.6 > 4
    "huber-regression": [r"\left(\mathit{target}_{o1} - \mathit{out}_{o1}\right)^{2}",  # within delta: the square
                         r"\operatorname{sign}", "linear part of the Huber loss"],  # beyond it: the line
    "rmsprop-step": [r"\bar{g}_{w_{1}}", r"\tilde{v}_{w_{1}}", r"b_{w_{1}}", "torch.optim.RMSprop"],
}


@pytest.mark.parametrize("name", sorted(WRITTEN))
def test_the_document_writes_each_component_in_its_own_closed_form_and_words(name: str) -> None:
    markdown = rendered(name)
    for fragment in WRITTEN[name]:
        assert fragment in markdown, fragment


def test_optimizer_settings_read_as_written_decimals() -> None:
    markdown = Document(load("xor-tanh")).markdown()
    assert "9/10" not in markdown and "momentum 0.9" in markdown
    markdown = Document(load("adam-step")).markdown()
    assert "999/1000" not in markdown and "0.999" in markdown


def test_the_matrix_form_states_shapes_and_the_recursions() -> None:
    markdown = Document(load("xor-tanh"), Options(style="matrix")).markdown()
    assert r"Shapes: $W^{(1)}$ is $2 \times 2$, $X$ is $2 \times 4$, and $Z^{(1)}$ and $A^{(1)}$ are $2 \times 4$." in markdown
    assert r"\begin{bmatrix}" in markdown and r"\odot" in markdown
    assert r"\left(W^{(2)}\right)^{\top}" in markdown


def test_mini_batches_and_a_data_file_are_described(workdir) -> None:
    (workdir / "xor.csv").write_text("a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    (workdir / "spec.toml").write_text(
        '[[layer]]\nactivation = "tanh"\nweight = [[0.5, -0.4], [0.3, 0.8]]\nbias = [0.1, -0.1]\n\n'
        '[[layer]]\nactivation = "sigmoid"\nweight = [[0.7, -0.6]]\nbias = [0.2]\n\n'
        '[data]\nfile = "xor.csv"\ninput_columns = ["a", "b"]\ntarget_columns = ["y"]\n\n'
        '[loss]\nkind = "mse"\n\n[train]\nlr = 0.5\nbatch_size = 2\nepochs = 3\n'
    )
    from derive.spec import load_spec

    markdown = Document(load_spec("spec.toml")).markdown()
    assert "The samples come from the file `xor.csv`." in markdown
    assert "mini-batches of 2 samples" in markdown and "2 mini-batches per epoch for 3 epochs: 6 updates in all" in markdown


def test_the_csv_example_reads_its_file_exactly_and_traces_its_epochs() -> None:
    network = load("online-sgd")
    assert network.data.batch_size == 10 and network.data.inputs[0] == (Fraction(1, 2), Fraction(6, 5))
    assert network.updates == 200 and network.data.source == "online-sgd.csv"
    document = Document(network)
    assert "200 updates in all" in document.markdown() and "## Training for 20 epochs: 200 updates" in document.markdown()
    payload = json.loads(document.json())
    assert len(payload["epoch_loss"]) == 20 and len(payload["loss_history"]) == 200
    assert payload["quantities"]["E_epoch20"] == payload["epoch_loss"][-1]


# ---------------------------------------------------------------- JSON (derive-json/1)


def test_json_keeps_the_contracts_shape_and_adds_every_quantity_by_id() -> None:
    payload = json.loads(Document(load("mazur-classic"), Options(format="json")).json())
    assert payload["format"] == "derive-json/1"
    assert set(payload) >= {"format", "steps", "loss_history", "final", "quantities"}
    layer = payload["steps"][0]["layers"][0]
    assert layer["bias"] == 0.35 and layer["grad_bias"] is None  # a shared frozen bias: one number, no gradient
    assert set(layer) == {"weight", "bias", "z", "a", "grad_weight", "grad_bias"}
    assert len(layer["z"]) == len(layer["a"]) == 1  # batch x out
    quantities = payload["quantities"]
    assert all(isinstance(value, float) or isinstance(value, int) for value in quantities.values())
    assert set(parameter_ids(load("mazur-classic")).values()) <= set(quantities)
    assert "grad_b1" not in quantities and "new_w5" in quantities
    indexed = json.loads(Document(load("mazur-classic"), Options(format="json", notation="indexed")).json())["quantities"]
    assert indexed["w2_1_1"] == quantities["w5"] and indexed["new_w2_1_1"] == quantities["new_w5"]
    assert payload["steps"] == json.loads(Document(load("mazur-classic"), Options(format="json", notation="indexed")).json())["steps"]


def test_json_is_never_nan_and_numbers_are_the_float64_nearest_the_exact_values() -> None:
    payload = json.loads(Document(load("mazur"), Options(format="json")).json())
    assert payload["quantities"]["w1"] == 0.15 and payload["steps"][0]["layers"][0]["weight"][0][0] == 0.15
    assert payload["quantities"]["lr"] == 0.5

    assert all(math.isfinite(number) for number in json_numbers(payload))
