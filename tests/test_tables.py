"""Tables that read: data a row per sample, numbers aligned on the decimal point, no short table split.

The source checks run over every example in both formats; the PDF checks compile a few documents and
read where pdflatex put the words (pdftotext -bbox), so "aligned" means aligned on the page.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import EXAMPLES, require_pdflatex, require_pdftotext, wide_spec
from derive.api import Document, load
from derive.derivation.model import NUMBER, TEXT, Table, is_number
from derive.derivation.network_section import LISTED_SAMPLES
from derive.options import Options
from derive.render.pdf import compile_pdf
from derive.render.view import LONG_TABLE_ROWS
from derive.text.message import Math, Value

NUMBER_CELL = re.compile(r"\$?-?\d+(\.\d+)?( \\times 10\^\{-?\d+\})?\$?")  # as the one formatter prints a number


def document(source, **options) -> Document:
    """A Document of a built-in example name or of spec text."""
    network = load(tomllib.loads(source) if "\n" in source else source)
    return Document(network, Options(**options))


def spec(inputs: int, samples: int, batch_size: int | None = None) -> str:
    """A sigmoid network with ``inputs`` inputs and ``samples`` samples of mixed decimals, negative ones too."""
    text = wide_spec(2, inputs, 2)
    rows = [[f"{(-1) ** k * ((3 * s + k) % 17) / 8:g}" for k in range(inputs)] for s in range(samples)]
    targets = [[f"0.{s * 7 % 9 + 1}", f"0.{s * 3 % 90 + 10}"] for s in range(samples)]
    text = text.replace(f'input = [{", ".join(["0.5"] * inputs)}]', "input = [" + ", ".join(f"[{', '.join(r)}]" for r in rows) + "]")
    text = text.replace('target = [0.25, 0.25]', "target = [" + ", ".join(f"[{', '.join(t)}]" for t in targets) + "]")
    train = "[train]\nlr = 0.5\n" + (f"batch_size = {batch_size}\n" if batch_size else "")
    return text + '\n[loss]\nkind = "half_sse"\n\n' + train


def data_table(doc: Document) -> Table:
    """The inputs and targets table of the network section."""
    return doc.derivation.sections[0].tables[1]


# ---------------------------------------------------------------- the model


def test_the_data_table_has_a_row_per_sample_and_a_column_per_input_and_target() -> None:
    doc = document("xor-tanh")
    graph = doc.derivation.graph
    table = data_table(doc)
    assert table.header[1:] == tuple(Math(s) for s in graph.inputs + graph.targets)
    assert [row[0] for row in table.rows] == [1, 2, 3, 4]
    assert table.rows[1][1:] == (Value("i1@2"), Value("i2@2"), Value("target_o1@2"))
    assert "| 2 | $0$ | $1$ | $1$ |" in doc.markdown()


def test_the_data_table_of_one_sample_is_one_row() -> None:
    markdown = document("mazur").markdown()
    header, rule, row = re.search(r"\| Sample \|.*\n.*\n.*\n", markdown).group(0).splitlines()
    assert header.count("|") == 6 and "$i_{1}$" in header and "target" in header
    assert rule == "| ---: | ---: | ---: | ---: | ---: |"
    assert row == "| 1 | $0.05$ | $0.1$ | $0.01$ | $0.99$ |"


def test_a_data_table_lists_the_first_samples_and_says_so() -> None:
    doc = document(spec(2, LISTED_SAMPLES + 20, batch_size=10))
    assert len(data_table(doc).rows) == LISTED_SAMPLES
    assert f"The table lists the first {LISTED_SAMPLES} of the {LISTED_SAMPLES + 20} samples" in doc.markdown()


def test_many_inputs_of_few_samples_turn_the_table_a_row_per_quantity() -> None:
    table = data_table(document(spec(16, 3)))
    assert len(table.rows) == 18 and len(table.header) == 4
    assert table.columns == (TEXT, NUMBER, NUMBER, NUMBER)
    assert table.rows[0][0] == Math(document(spec(16, 3)).derivation.graph.inputs[0])


def test_column_kinds_follow_the_cells_unless_the_builder_names_them() -> None:
    table = Table(("a", "b", "c"), ((Math(1), Value("w1"), "x"), (Math(2), "frozen", "y")))
    assert table.kinds == (TEXT, NUMBER, TEXT)
    assert Table(("a", "b"), ((1, 2),), (TEXT, NUMBER)).kinds == (TEXT, NUMBER)
    assert is_number(3) and not is_number(True)
    with pytest.raises(ValueError):
        Table(("a", "b"), ((1, 2),), (NUMBER,))


# ---------------------------------------------------------------- every table of every example, both formats


def markdown_tables(markdown: str) -> list[list[list[str]]]:
    """Each Markdown table as rows of cells (header, rule, body)."""
    tables, current = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("| "):
            current.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
        elif current:
            tables.append(current)
            current = []
    return tables


def latex_tables(latex: str) -> list[tuple[str, str, list[list[str]]]]:
    """Each LaTeX table as (environment, column types, body rows of cells)."""
    found = []
    for match in re.finditer(r"\\begin\{(tabular|longtable)\}\{((?:[^{}]|\{[^{}]*\}|\[[^\]]*\])*)\}(.*?)\\end\{\1\}", latex, re.S):
        environment, spec_text, body = match.groups()
        columns = re.findall(r"S\[[^\]]*\]|[lrc]", spec_text)
        rows = body.split("\\midrule", 1)[1].split("\\bottomrule")[0].replace("\\endhead", "")
        cells = [[c.strip() for c in row.split(" & ")] for row in rows.split("\\\\") if row.strip()]
        found.append((environment, columns, cells))
    return found


@pytest.fixture(scope="module")
def examples() -> dict[str, Document]:
    return {name: document(name) for name in EXAMPLES}


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_markdown_number_column_is_right_aligned(examples: dict, name: str) -> None:
    tables = markdown_tables(examples[name].markdown())
    assert tables
    for header, rule, *body in tables:
        assert len(rule) == len(header)
        for column, alignment in enumerate(rule):
            numbers = [row[column] for row in body if NUMBER_CELL.fullmatch(row[column])]
            assert alignment == ("---:" if numbers else "---"), (header, column)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_latex_number_column_aligns_on_the_point_and_short_tables_stay_whole(examples: dict, name: str) -> None:
    latex = examples[name].latex()
    tables = latex_tables(latex)
    assert tables
    for environment, columns, rows in tables:
        assert environment == ("longtable" if len(rows) > LONG_TABLE_ROWS else "tabular")
        for column, kind in enumerate(columns):
            cells = [row[column] for row in rows]
            if kind.startswith("S"):
                # siunitx reads a bare number; text in an S column is braced so that siunitx leaves it alone
                assert all(re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", c) or c.startswith("{") for c in cells), cells
            else:
                assert not any(NUMBER_CELL.fullmatch(c) for c in cells), (columns, cells)
    assert r"\usepackage{siunitx}" in latex


# ---------------------------------------------------------------- on the page


def words(pdf: bytes, folder: Path) -> list[tuple[int, float, float, str]]:
    """Every word pdflatex set: (page, xMin, yMin, text), from pdftotext -bbox."""
    require_pdftotext()
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    found = []
    for number, page in enumerate(html.split("<page ")[1:], start=1):
        for x, y, text in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page):
            found.append((number, float(x), float(y), text))
    return found


PDF_CASES = {
    "mazur": ("mazur", {}),
    "xor": ("xor-tanh", {}),
    "saturation": ("float64-tanh-saturation", {}),
    "wide": (spec(16, 6), {}),
    "wide-30": (spec(16, 6), {"precision": 30}),
    "one-wide-sample": (spec(16, 1), {}),
    "long": (spec(2, LISTED_SAMPLES + 20, batch_size=10), {}),
}


@pytest.fixture(scope="module")
def pdfs() -> dict[str, tuple[bytes, str]]:
    require_pdflatex()
    latex = {key: document(source, **options).latex() for key, (source, options) in PDF_CASES.items()}
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(latex, pool.map(compile_pdf, latex.values())))


@pytest.mark.parametrize("key", PDF_CASES)
def test_tables_fit_the_page(pdfs: dict, key: str) -> None:
    _, log = pdfs[key]
    assert not [line for line in log.splitlines() if "Overfull" in line and "in paragraph" not in line]
    assert "! " not in log


def parameter_column(placed: list, values: set[str]) -> list[tuple[float, str]]:
    """(xMin, text) of the words of the parameter table in ``values``: below its header, and above the
    data table, or left of it when the two tables stand side by side."""
    top = next(y for _, _, y, text in placed if text == "Parameter")  # not the figure's labels
    right, below = next((x, y) for _, x, y, text in placed if text == "Sample")
    beside = abs(below - top) < 1
    bottom = next((y for page, _, y, text in placed if page == 1 and y > top and text == "forward"), float("inf"))
    return [(x, text) for page, x, y, text in placed
            if page == 1 and top < y < (bottom if beside else below) and (x < right or not beside) and text in values]


def test_the_numbers_of_a_column_line_up_on_the_decimal_point(pdfs: dict, tmp_path: Path) -> None:
    # mixed decimals (0.15 beside 0.2) start at one place, as they would not if set to the right
    mazur = parameter_column(words(pdfs["mazur"][0], tmp_path), {"0.15", "0.2", "0.35", "0.25", "0.3", "0.45", "0.6"})
    assert len(mazur) == 9 and max(x for x, _ in mazur) - min(x for x, _ in mazur) < 0.2, mazur
    # a minus sign sticks out to the left of the point, as it would not if set to the left
    xor = parameter_column(words(pdfs["xor"][0], tmp_path), {"0.5", "−0.4", "0.1", "0.8", "−0.1", "−0.6"})
    positive = {round(x, 1) for x, text in xor if not text.startswith("−")}
    negative = {round(x, 1) for x, text in xor if text.startswith("−")}
    assert len(positive) == len(negative) == 1 and 5 < min(positive) - min(negative) < 10, xor
    # scientific and fixed notation alike
    saturation = words(pdfs["saturation"][0], tmp_path)
    at, top = next((page, y) for (page, _, y, text), (*_, after) in zip(saturation, saturation[1:])
                   if (text, after) == ("Gradient", "After"))  # the summary table's header
    gradients = [x for page, x, y, text in saturation
                 if page == at and top < y < top + 100 and text in ("−4.122307245", "−1.000000000", "−1.000000004")]
    assert len(gradients) == 5 and max(gradients) - min(gradients) < 0.2, gradients


def test_a_short_table_is_not_split_across_pages(pdfs: dict, tmp_path: Path) -> None:
    placed = words(pdfs["mazur"][0], tmp_path)
    header = [page for page, _, _, text in placed if text == "Sample"]
    row = [page for page, _, _, text in placed if text == "0.99"]
    assert header and header[0] == row[0], (header, row)


def test_a_long_table_breaks_across_pages_with_its_header_repeated(pdfs: dict, tmp_path: Path) -> None:
    placed = words(pdfs["long"][0], tmp_path)
    texts = [text for _, _, _, text in placed]
    closing = next(i for i in range(len(texts)) if texts[i:i + 3] == ["The", "table", "lists"])
    first = next(page for page, _, _, text in placed if text == "Sample")
    last = placed[closing][0]
    assert last > first  # a hundred rows do not fit one page
    assert all(any(p == page and t == "Sample" for p, _, _, t in placed) for page in range(first, last + 1))
