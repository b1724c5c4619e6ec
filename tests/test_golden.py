"""output/ holds the rendered examples; these tests fail when any of them is stale.

``python -m pytest tests/test_golden.py --update-golden`` regenerates them on purpose, through the
same Python API a user calls (derive.api.Document).
"""

from __future__ import annotations

import argparse
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import (
    EXAMPLES, FIXTURES, OUTPUT, check_golden, check_pdf_golden, rendered, require_pdflatex, require_torch, run_python, wide_spec,
)
from derive.api import Document, derive, load
from derive.files import write_atomic
from derive.options import Options

TEXT_OUTPUTS = [(example, kind, extension) for example in EXAMPLES for kind, extension in (("markdown", "md"), ("latex", "tex"))]
PDF_OUTPUTS = ["mazur"]


@pytest.mark.parametrize("example, kind, extension", TEXT_OUTPUTS)
def test_text_output_is_current(example: str, kind: str, extension: str, update_golden: bool) -> None:
    """What `derive EXAMPLE` writes: the Markdown links its SVG figures, written beside it in EXAMPLE.figures/."""
    if kind == "latex":
        check_golden(OUTPUT / f"{example}.tex", rendered(example, kind).encode(), update_golden)
        return
    from conftest import example_document

    document = example_document(example, "scalar")
    check_golden(OUTPUT / f"{example}.md", document.markdown(figures=f"{example}.figures").encode(), update_golden)
    for name, svg in document.figures().items():
        check_golden(OUTPUT / f"{example}.figures" / name, svg.encode(), update_golden)


def test_the_default_run_writes_the_golden_mazur_and_its_figure(tmp_path: Path) -> None:
    """`python -m derive`, the README's first command, writes output/mazur.md and its figure as they are here."""
    run = run_python("from derive.cli import main; raise SystemExit(main([]))", tmp_path)
    assert run.returncode == 0, run.stderr
    for written in (tmp_path / "output").rglob("*"):
        if written.is_file():
            assert written.read_bytes() == (OUTPUT / written.relative_to(tmp_path / "output")).read_bytes(), written


@pytest.mark.parametrize("example", PDF_OUTPUTS)
def test_pdf_output_was_compiled_from_the_current_latex(example: str, update_golden: bool) -> None:
    check_pdf_golden(OUTPUT / f"{example}.pdf", Document(load(example), Options(format="pdf")), update_golden,
                     require_pdflatex)


# The seed script derived from its own source with --verify. It is read from the byte-for-byte copy
# in tests/fixtures/seed (test_torch_module.py checks it against shared/seed), from inside that
# folder, so the document names `seed_net.py:Net` wherever the repository is checked out.
VERIFIED_SEED = OUTPUT / "seed_net-verified.md"


def test_verified_seed_output_is_current(update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    require_torch()
    from derive.spec.torch_options import network_from_torch_arguments

    monkeypatch.chdir(FIXTURES / "seed")
    args = argparse.Namespace(spec=None, from_torch="seed_net.py:Net", input="0.05,0.10", target="0.01,0.99",
                              loss="half_sse", lr="0.5", steps=None, optimizer=None)
    expected = Document(network_from_torch_arguments(args), Options(verify=True)).render()
    if update_golden:
        write_atomic(VERIFIED_SEED, expected)
    assert VERIFIED_SEED.exists(), f"{VERIFIED_SEED} is missing: run pytest --update-golden"
    stale = f"{VERIFIED_SEED} is stale: run pytest --update-golden"
    assert without_float64_noise(VERIFIED_SEED.read_bytes()) == without_float64_noise(expected), stale


def without_float64_noise(text: bytes) -> bytes:
    """The document with the verification's differences (derive minus PyTorch) masked.

    PyTorch's last bits depend on the CPU's kernels (FMA, vector width), so the differences, shown
    to two significant digits, may change from one machine to another; --verify itself checks them.
    """
    head, title, rest = text.partition(b"\n## Verification against PyTorch\n")
    table, end, tail = rest.partition(b"\n## ")
    table = re.sub(rb"largest relative difference is \$[^$]*\$", b"largest relative difference is ...", table)
    table = re.sub(rb"\| \$[^$|]*\$ \|$", b"| ... |", table, flags=re.MULTILINE)
    return head + title + table + end + tail


def test_a_render_does_not_depend_on_earlier_renders_in_the_process(tmp_path: Path) -> None:
    """Caches (number formats, derivatives, catalogues) must not leak one document's values into another.

    Every example is rendered here, after all the others and whatever ran before, and compared with
    fresh processes that render them in the opposite order (two processes, half the examples each).
    """
    (tmp_path / "wide.toml").write_text(wide_spec(100))  # a wide network first: it once changed GELU's brackets
    derive(str(tmp_path / "wide.toml"), only=("w1", "w7", "b_h3")).markdown()
    for name in EXAMPLES:
        derive(name, style="matrix", notation="indexed").markdown()
    in_process = {name: rendered(name) for name in EXAMPLES}
    halves = [list(reversed(EXAMPLES))[0::2], list(reversed(EXAMPLES))[1::2]]
    code = "import json, sys\nfrom derive.api import derive\nprint(json.dumps({n: derive(n).markdown() for n in %r}))"
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda names: run_python(code % (names,), tmp_path), halves))
    fresh = {}
    for run in runs:
        assert run.returncode == 0, run.stderr
        fresh.update(json.loads(run.stdout))
    assert sorted(fresh) == sorted(EXAMPLES)
    for name in EXAMPLES:
        assert in_process[name] == fresh[name], name


# The web outputs of issue 13: the graph view's Markdown with its SVG figures beside it (as the
# command line writes them), and HTML pages (KaTeX from the CDN, as by default).
GRAPH_OUTPUTS = ["cs231n-neuron", "micrograd-neuron", "mazur"]
HTML_OUTPUTS = [("mazur", "scalar"), ("cs231n-neuron", "graph")]


@pytest.mark.parametrize("example", GRAPH_OUTPUTS)
def test_graph_view_and_its_figures_are_current(example: str, update_golden: bool) -> None:
    from conftest import example_document

    document = example_document(example, "graph")
    stem = f"{example}-graph"
    check_golden(OUTPUT / f"{stem}.md", document.markdown(figures=f"{stem}.figures").encode(), update_golden)
    for name, svg in document.figures().items():
        check_golden(OUTPUT / f"{stem}.figures" / name, svg.encode(), update_golden)


@pytest.mark.parametrize("example, style", HTML_OUTPUTS)
def test_html_pages_are_current(example: str, style: str, update_golden: bool) -> None:
    from conftest import example_document

    suffix = "" if style == "scalar" else f"-{style}"
    check_golden(OUTPUT / f"{example}{suffix}.html", example_document(example, style).html().encode(), update_golden)
