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

CASES = {
    "mazur gradients": ("mazur", ExerciseOptions()),
    "mazur all, hints": ("mazur", ExerciseOptions(blanks=("all",), hints=True)),
    "mazur all, carry at 3": ("mazur", ExerciseOptions(blanks=("all",), hints=True, rounding="carry", precision=3)),
    "xor-tanh all, hints": ("xor-tanh", ExerciseOptions(blanks=("all",), hints=True)),
    "softmax forward, hints": ("softmax-classifier", ExerciseOptions(blanks=("forward", "loss", "updates"), hints=True)),
    "adam updates, hints": ("adam-step", ExerciseOptions(blanks=("updates",), hints=True, precision=6)),
}


def overfull(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Overfull" in line]


@pytest.mark.parametrize("case", CASES)
def test_a_sheet_and_its_key_compile_without_overfull_lines(case: str) -> None:
    require_pdflatex()
    spec, options = CASES[case]
    exercise = build_exercise(load(spec), options)
    title = escape_latex(exercise.network.title)
    for part in (render.sheet_part(exercise), render.key_part(exercise)):
        pdf, log = compile_pdf(render.latex_article([part], title), runs=1)
        assert pdf.startswith(b"%PDF")
        assert overfull(log) == []


def test_a_class_set_compiles_in_one_run_each(monkeypatch: pytest.MonkeyPatch) -> None:
    require_pdflatex()
    asked = []

    def counted(latex: str, runs: int = 2):
        pdf, log = compile_pdf(latex, runs=runs)
        asked.append((runs, log))
        return pdf, log

    monkeypatch.setattr(render, "compile_pdf", counted)
    exercises = build_exercises(draw_variants(load("mazur"), 2, 3, 4), ExerciseOptions(hints=True))
    title = escape_latex(exercises[0].network.title)
    sheets = render.pdf_article([render.sheet_part(e) for e in exercises], title)
    keys = render.pdf_article([render.key_part(e) for e in exercises], title)
    assert sheets.startswith(b"%PDF") and keys.startswith(b"%PDF")
    assert [runs for runs, _ in asked] == [1, 1]
    for _, log in asked:
        assert "Rerun" not in log and overfull(log) == []
