"""output/ holds the rendered examples; these tests fail when any of them is stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from derive.options import Options
from derive.output import source_stamp, write_atomic
from derive.pipeline import render
from derive.spec import load_spec

from _tools import require_pdflatex

OUTPUT = Path(__file__).resolve().parent.parent / "output"
TEXT_OUTPUTS = [
    ("mazur", "markdown", "md"),
    ("mazur", "latex", "tex"),
    ("mazur-classic", "markdown", "md"),
    ("mazur-classic", "latex", "tex"),
]
PDF_OUTPUTS = ["mazur"]


@pytest.mark.parametrize("example, kind, extension", TEXT_OUTPUTS)
def test_text_output_is_current(example: str, kind: str, extension: str, update_golden: bool) -> None:
    expected = render(load_spec(example), Options(format=kind))
    path = OUTPUT / f"{example}.{extension}"
    if update_golden:
        write_atomic(path, expected)
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    assert path.read_bytes() == expected, f"{path} is stale: run pytest --update-golden"


@pytest.mark.parametrize("example", PDF_OUTPUTS)
def test_pdf_output_is_current(example: str, update_golden: bool) -> None:
    latex = render(load_spec(example), Options(format="latex")).decode()
    path = OUTPUT / f"{example}.pdf"
    if update_golden:
        require_pdflatex()
        write_atomic(path, render(load_spec(example), Options(format="pdf")))
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    stamps = re.findall(rb"derive-latex-sha256:[0-9a-f]{64}", path.read_bytes())
    assert stamps == [source_stamp(latex).encode()], f"{path} was built from other LaTeX: run pytest --update-golden"
