"""The LaTeX compiles with pdflatex -no-shell-escape: no errors, no overfull lines, user text printed literally.

Each document is compiled once. The compilations of a group run two at a time in a module fixture
(pdflatex is a separate process), and each test then reads its PDF and log.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import (
    EXAMPLES, ROOT, debian_packages_read, files_in, one_neuron, random_network, rendered, require_pdfinfo, require_pdflatex, require_pdftotext,
    packages_ci_installs, run_cli,
    seed_with_batch, with_data,
)
from derive import limits
from derive.api import Document
from derive.options import Options
from derive.render.pairs import paired, paired_views, side_by_side
from derive.render.pdf import compile_pdf
from derive.render.view import listing_columns
from derive.spec import load_spec, parse_spec
from test_handout import MAZUR_FIGURES

WORKERS = 2  # pdflatex runs are independent processes; two at a time on two cores


def compile_all(sources: dict) -> dict:
    """{key: a function that makes the LaTeX} -> {key: (pdf, log)}: each document compiles (two at a time)
    while this thread makes the next one's LaTeX."""
    require_pdflatex()
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = {key: pool.submit(compile_pdf, make()) for key, make in sources.items()}
        return {key: future.result() for key, future in futures.items()}


def overfull(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Overfull" in line]


# ---------------------------------------------------------------- every example, and networks of every shape

EXAMPLE_CASES = [(name, style, 9) for name in EXAMPLES for style in ("scalar", "matrix")] + [
    ("mazur", "scalar", 4), ("mazur-classic", "scalar", 4)]


@pytest.fixture(scope="module")
def example_pdfs() -> dict:
    return compile_all({case: lambda case=case: rendered(case[0], "latex", case[1], case[2]) for case in EXAMPLE_CASES})


@pytest.mark.parametrize("case", EXAMPLE_CASES, ids=[f"{n}-{s}-{p}" for n, s, p in EXAMPLE_CASES])
def test_every_example_compiles_without_overfull_lines(example_pdfs: dict, case) -> None:
    pdf, log = example_pdfs[case]
    assert pdf.startswith(b"%PDF")
    assert not overfull(log), overfull(log)


# Pages of every example that existed before the handout work, measured on ebd395a (scalar style, precision 9).
PAGES_BEFORE = {"mazur": 10, "mazur-classic": 9, "xor-tanh": 18, "adam-step": 18, "softmax-classifier": 30}


@pytest.mark.parametrize("example", sorted(PAGES_BEFORE))
def test_the_pdf_is_short_enough_to_print(example_pdfs: dict, example: str, tmp_path: Path) -> None:
    """mazur in at most 6 pages with all 12 parameters; the others at most half as long as before."""
    pdf = tmp_path / f"{example}.pdf"
    pdf.write_bytes(example_pdfs[(example, "scalar", 9)][0])
    info = subprocess.run([require_pdfinfo(), str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    most = 6 if example == "mazur" else PAGES_BEFORE[example] // 2
    assert pages <= most, f"{example}: {pages} pages, at most {most}"


def test_the_short_mazur_classic_pdf_drops_none_of_the_post_s_figures(example_pdfs: dict) -> None:
    """The density comes from layout: every figure Mazur's post publishes is still printed."""
    text = subprocess.run([require_pdftotext(), "-", "-"], input=example_pdfs[("mazur-classic", "scalar", 9)][0],
                          capture_output=True, check=True).stdout.decode()
    assert not [figure for figure in MAZUR_FIGURES if figure not in text]


def test_one_line_equations_pair_down_two_columns_only_when_a_line_holds_two() -> None:
    short = [[f"w_{{{k}}}^{{+}} &= 0.{k} - 0.5 \\cdot 0.00043856{k} \\approx 0.14978071{k}"] for k in range(1, 6)]
    assert paired(short) == [[f"{short[k][0]} & {short[k + 3][0]}"] for k in range(2)] + [short[2]]
    assert paired(short[:3]) == short[:3]  # a sequence of three reads down the page
    long = [[row[0] + " + 0.123456789 + 0.123456789"] for row in short]
    assert paired(long) == long
    broken = short[:3] + [[short[3][0], r"&\quad + 1"]]
    assert paired(broken) == broken
    many = [[f"w_{{{k}}}^{{+}} &= 0.{k}"] for k in range(1, 80)]
    assert paired(many) == many  # 40 rows: more than half a page that could not break


def test_two_columns_are_one_display_that_does_not_break_across_pages() -> None:
    short = [[f"w_{{{k}}}^{{+}} &= 0.{k}"] for k in range(1, 7)]
    view = {"sections": [{"tables": [], "blocks": [{"equations": [
        {"equations": short, "note": "", "whole": False}, {"equations": short[:2], "note": "", "whole": False}]}]}]}
    paired_views(view)
    two, one = view["sections"][0]["blocks"][0]["equations"]
    assert (len(two["equations"]), two["whole"], one["equations"], one["whole"]) == (3, True, short[:2], False)


def test_two_columns_part_neither_a_quantity_s_two_lines_nor_a_round_of_a_pattern() -> None:
    matrix = [["Z &= W X + b"], ["Z &= 0.3775"], ["A &= \\sigma(Z)"], ["A &\\approx 0.593269992"]]
    assert len(paired(matrix)) == 2  # Z beside A
    gradients = [["d &= 1"], ["d &= 2"], ["G_{W} &= 3"], ["G_{W} &= 4"], ["G_{b} &= 5"], ["G_{b} &= 6"]]
    assert paired(gradients) == gradients  # G_W's two lines would fall in different columns
    momentum = [[f"v_{{{k}}} &= 0.{k}"] if k % 2 else [f"w_{{{k}}}^{{+}} &= 0.{k}"] for k in range(1, 11)]
    assert paired(momentum) == momentum  # five rounds of (v, w⁺): the middle parts the third
    assert len(paired(momentum[:8])) == 4  # four rounds: two down each column


def test_two_short_tables_share_a_row_when_the_line_holds_both() -> None:
    def table(em: float, parts: int = 1, long: bool = False) -> dict:
        return {"parts": [{"em": em}] * parts, "long": long}

    narrow, wide = table(20.0), table(30.0)
    assert side_by_side([narrow, narrow, narrow]) == [[narrow, narrow], [narrow]]
    assert side_by_side([wide, narrow]) == [[wide], [narrow]]
    assert side_by_side([table(10.0, long=True), narrow]) == [[table(10.0, long=True)], [narrow]]
    assert side_by_side([table(10.0, parts=2), narrow]) == [[table(10.0, parts=2)], [narrow]]


def test_the_listing_splits_between_two_tensors_near_its_middle() -> None:
    listing = "# output\ntensor([0.5])\n# loss\ntensor(0.25)\n# w.grad\ntensor([[1.0],\n        [2.0]])"
    assert listing_columns(listing) == ["# output\ntensor([0.5])\n# loss\ntensor(0.25)",
                                        "# w.grad\ntensor([[1.0],\n        [2.0]])"]
    assert listing_columns(listing.replace("# loss", "# " + "a" * 60)) == [listing.replace("# loss", "# " + "a" * 60)]


def wide_batch(widths: list[int], batch: int):
    inputs = [[((7 * s + 3 * k) % 19 - 9) / 10 for k in range(widths[0])] for s in range(batch)]
    targets = [[k / 5 for k in range(widths[-1])] for _ in range(batch)]
    return with_data(random_network(2, widths), inputs, targets)


def long_path_spec(folder: Path):
    """The seed loaded by a long path: the document names it in a breakable code font."""
    folder = folder / "course-notes" / "week-03-backpropagation"
    folder.mkdir(parents=True)
    (folder / "mazur.toml").write_text((ROOT / "examples" / "mazur.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return load_spec(str(folder / "mazur.toml"))


SHAPES = {
    "1-1 per-neuron bias": lambda tmp: Document(random_network(1, [1, 1], ["per_neuron"])),
    "3-4-4-1 every bias kind": lambda tmp: Document(random_network(2, [3, 4, 4, 1], ["per_neuron", "shared", "none"])),
    "4-4-4-4 frozen biases": lambda tmp: Document(random_network(3, [4, 4, 4, 4], ["frozen", "shared_frozen", "per_neuron"])),
    "2-3-2 shared bias": lambda tmp: Document(random_network(4, [2, 3, 2], ["shared", "per_neuron"])),
    "4-4-4 at 15 decimals": lambda tmp: Document(random_network(5, [4, 4, 4]), Options(precision=15)),
    "batch of 3, tables of the rest": lambda tmp: Document(wide_batch([2, 3, 3], 3)),
    "matrix form, batch of 4 (numbers)": lambda tmp: Document(wide_batch([2, 3, 2], 4), Options(style="matrix")),
    "matrix form, batch of 5 (shapes)": lambda tmp: Document(wide_batch([2, 3, 2], 5), Options(style="matrix")),
    "a spec loaded by a long path": lambda tmp: Document(long_path_spec(tmp)),
    # the largest first batch a document takes: 200 samples of the seed's 12 parameters, some 35 pages
    "the seed with the largest batch the limits accept": lambda tmp: Document(parse_spec(
        seed_with_batch(limits.MAX_DOCUMENT_SAMPLE_WORK // 12), "batch.toml", "batch")),
}


@pytest.fixture(scope="module")
def shape_pdfs(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("shapes")
    return compile_all({name: lambda make=make: make(folder).latex() for name, make in SHAPES.items()})


@pytest.mark.parametrize("name", list(SHAPES))
def test_networks_of_every_shape_compile_without_overfull_lines(shape_pdfs: dict, name: str) -> None:
    pdf, log = shape_pdfs[name]
    assert pdf.startswith(b"%PDF")
    assert not overfull(log), overfull(log)


# ---------------------------------------------------------------- user text prints literally

HOSTILE_TITLE = r"\input{/etc/passwd} \write18{rm -rf ~} 100% $x$ & #1 ~ ^ {} _"
MARKDOWN_HOSTILE = "<script>alert(1)</script> [link](javascript:x) | table | *bold* `code` $$x$$ ![i](x) &amp; <b>"
TEX_FILE_WRITES = r"\immediate\openout5=pwned.tex \immediate\write5{x}\immediate\closeout5 \immediate\write18{touch pwned}"
LIGATURES = ("--", "``", "''", ",,", "<<", ">>", "!`", "?`", "'", "`")


def characters(low: int, high: int) -> list[str]:
    """The code points of letters, marks, numbers, punctuation, symbols and spaces between low and high."""
    return [chr(c) for c in range(low, high) if unicodedata.category(chr(c))[0] in "LMNPS" or unicodedata.category(chr(c)) == "Zs"]


def random_titles() -> dict[str, str]:
    """Titles drawn at random (with a fixed seed): Latin-1 text, which T1 fonts set, and any Unicode text."""
    rng = random.Random(2026)
    latin = [c for c in characters(0x20, 0x100) if c not in "'`"]
    anything = characters(0x20, 0x3000) + characters(0x4E00, 0x4E80) + characters(0x1F600, 0x1F650)
    titles = {}
    while len(titles) < 3:
        title = "".join(rng.choice(latin) for _ in range(rng.randint(1, 40)))
        if title.strip() and not any(x in title for x in LIGATURES):
            titles[f"random Latin-1 {len(titles) + 1}"] = title
    for number in range(1, 3):
        titles[f"random Unicode {number}"] = "".join(rng.choice(anything) for _ in range(rng.randint(5, 30)))
    return titles


TITLES = {
    "hostile": HOSTILE_TITLE,
    "markdown hostile": MARKDOWN_HOSTILE,
    "quotes": "it's `q` \"d\" a-b",
    "ligatures": "a--b---c ``q'' ,,d <<e>> !` ?` it's",
    "unicode": "Backprop für alle: σ, Ω, 中文, 😀",
    **random_titles(),
}
SHOWN_AS_TYPED = [key for key in TITLES if not key.startswith(("unicode", "random Unicode"))]


def titled_spec(title: str) -> str:
    """A one-neuron spec with this title (a short document compiles faster; the title is on page 1 either way)."""
    return "title = " + json.dumps(title, ensure_ascii=False) + "\n" + one_neuron("sigmoid", "0.5", "0.1", "0.25", "0.75")


def with_title(title: str):
    return parse_spec(titled_spec(title), "spec.toml", "spec")


@pytest.fixture(scope="module")
def title_pdfs() -> dict:
    return compile_all({key: lambda title=title: Document(with_title(title)).latex() for key, title in TITLES.items()})


def pdf_title(pdf: bytes) -> str:
    """The title as pdftotext reads it from page 1 (-raw keeps the spaces between one-letter words)."""
    text = subprocess.run([require_pdftotext(), "-raw", "-l", "1", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    return " ".join(text.split("This document")[0].split())


@pytest.mark.parametrize("key", list(TITLES))
def test_a_title_compiles_and_prints_as_typed(title_pdfs: dict, key: str) -> None:
    pdf, log = title_pdfs[key]
    assert pdf.startswith(b"%PDF")
    if key in SHOWN_AS_TYPED:
        title = TITLES[key]
        assert unicodedata.normalize("NFKC", pdf_title(pdf)) == unicodedata.normalize("NFKC", " ".join(title.split()))


def test_a_title_that_writes_files_writes_none_through_the_command_line(workdir: Path, capsys) -> None:
    require_pdflatex()
    (workdir / "spec.toml").write_text(titled_spec(TEX_FILE_WRITES), encoding="utf-8")
    for extension in ("tex", "pdf"):
        status, _, err = run_cli(["spec.toml", "--format", "pdf" if extension == "pdf" else "latex", "-o", f"out/doc.{extension}"], capsys)
        assert status == 0, err
    assert sorted(files_in(workdir)) == ["out/doc.pdf", "out/doc.tex", "spec.toml"]  # no .aux, .log, .tmp or pwned*
    assert pdf_title((workdir / "out" / "doc.pdf").read_bytes()) == " ".join(TEX_FILE_WRITES.split())


@pytest.mark.parametrize("name, options", [("mazur", {}), ("minibatch-adam", {"lang": "zh", "style": "matrix"})],
                         ids=["pdflatex", "xelatex-zh"])
def test_the_latex_reads_only_debian_packages_that_ci_installs(name: str, options: dict, tmp_path: Path) -> None:
    """Every file the engine reads comes from a package .ci/run installs (or one it pulls in), so a fresh
    machine compiles what this one does: lmodern, siunitx and ctex's fonts slipped through before."""
    read = debian_packages_read(Document(load_spec(name), Options(**options)).latex(), tmp_path)
    assert "texlive-latex-base" in read and read - packages_ci_installs() == set()
