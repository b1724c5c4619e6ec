"""Sheets and keys compile with pdflatex without overfull lines; a class set's PDFs each take one LaTeX run."""

from __future__ import annotations

import pytest

from conftest import require_pdflatex
from derive.api import load
from derive.exercise import render
from derive.exercise.model import ExerciseOptions, build_exercise, build_exercises
from derive.exercise.variants import draw_variants
from derive.render.escape import escape_latex
from derive.render.pdf import compile_pdf

# The class set asks for every blank with hints and carry rounding at 3 decimals (the longest lines);
# beyond it, a wide softmax layer and Adam's updates at six decimals join its two PDFs, so that the
# whole test costs two pdflatex runs.
CLASS = ExerciseOptions(blanks=("all",), hints=True, rounding="carry", precision=3)
CASES = {
    "softmax forward, hints": ("softmax-classifier", ExerciseOptions(blanks=("forward", "loss", "updates"), hints=True)),
    "adam updates, hints": ("adam-step", ExerciseOptions(blanks=("updates",), hints=True, precision=6)),
}


def overfull(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Overfull" in line]


def test_a_class_set_compiles_in_one_run_each_without_overfull_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    require_pdflatex()
    asked = []

    def counted(latex: str, runs: int = 2):
        pdf, log = compile_pdf(latex, runs=runs)
        asked.append((runs, log))
        return pdf, log

    monkeypatch.setattr(render, "compile_pdf", counted)
    exercises = build_exercises(draw_variants(load("mazur"), 2, 3, CLASS.precision), CLASS)
    exercises += [build_exercise(load(spec), options) for spec, options in CASES.values()]
    title = escape_latex(exercises[0].network.title)
    sheets = render.pdf_article([render.sheet_part(e) for e in exercises], title)
    keys = render.pdf_article([render.key_part(e) for e in exercises], title)
    assert sheets.startswith(b"%PDF") and keys.startswith(b"%PDF")
    assert [runs for runs, _ in asked] == [1, 1]
    for _, log in asked:
        assert "Rerun" not in log and overfull(log) == []
