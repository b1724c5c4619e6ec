"""derive exercise on the command line: the files it writes, its refusals, and the examples in output/ kept current."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import OUTPUT, require_katex, run_cli
from derive.api import load
from derive.exercise.model import ExerciseOptions, build_exercise, build_exercises
from derive.exercise.output import class_files, sheet_files
from derive.exercise.variants import draw_variants
from derive.files import write_atomic

CLASS_SEED, CLASS_SIZE = 2024, 5
GOLDEN = {
    "mazur-exercise": lambda: sheet_files(build_exercise(load("mazur"), ExerciseOptions()), "markdown"),
    "mazur-class": lambda: class_files(
        build_exercises(draw_variants(load("mazur"), CLASS_SEED, CLASS_SIZE, 4), ExerciseOptions()), "markdown", CLASS_SEED),
}


@pytest.mark.parametrize("folder", GOLDEN)
def test_the_exercise_examples_in_output_are_current(folder: str, update_golden: bool) -> None:
    """output/mazur-exercise is `derive exercise`; output/mazur-class is `derive exercise --variants 5 --seed 2024
    -o output/mazur-class` (regenerate both with pytest --update-golden)."""
    files = GOLDEN[folder]()
    for name, data in files.items():
        path = OUTPUT / folder / name
        if update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
        assert path.exists(), f"{path} is missing: run pytest --update-golden"
        assert path.read_bytes() == data, f"{path} is stale: run pytest --update-golden"
    on_disk = {str(p.relative_to(OUTPUT / folder)) for p in (OUTPUT / folder).rglob("*") if p.is_file()}
    assert on_disk == set(files)


def test_the_default_writes_sheet_key_and_answers_to_output(workdir: Path, capsys) -> None:
    status, _, err = run_cli(["exercise"], capsys)
    assert status == 0, err
    folder = workdir / "output" / "mazur-exercise"
    assert sorted(p.name for p in folder.iterdir()) == ["answers.json", "key.md", "sheet.md"]
    assert "output/mazur-exercise" in err
    answers = json.loads((folder / "answers.json").read_text())
    assert answers["format"] == "derive-exercise-answers/1" and len(answers["blanks"]) == 24


@pytest.mark.parametrize("kind, names", [
    ("latex", ["answers.json", "key.tex", "sheet.tex"]),
    ("json", ["answers.json", "key.json", "sheet.json"]),
    ("moodle", ["answers.json", "moodle.xml"]),
])
def test_each_format_writes_its_files(workdir: Path, capsys, kind: str, names: list[str]) -> None:
    status, _, err = run_cli(["exercise", "--format", kind, "-o", "set"], capsys)
    assert status == 0, err
    assert sorted(p.name for p in (workdir / "set").iterdir()) == names


def test_the_json_sheet_holds_the_givens_and_no_answer(workdir: Path, capsys) -> None:
    assert run_cli(["exercise", "--format", "json", "-o", "set", "--blanks", "deltas"], capsys)[0] == 0
    sheet = json.loads((workdir / "set" / "sheet.json").read_text())
    key = json.loads((workdir / "set" / "key.json").read_text())
    assert sheet["givens"]["w5"] == "0.4" and [b["id"] for b in sheet["blanks"]] == ["delta_o1", "delta_o2", "delta_h1", "delta_h2"]
    assert "answers" not in sheet and set(key["answers"]) == {"delta_o1", "delta_o2", "delta_h1", "delta_h2"}


@pytest.mark.parametrize("argv, message", [
    (["--blanks", "gradient"], "did you mean 'gradients'?"),
    (["--blanks", "grad_w9"], "did you mean 'grad_w8'?"),
    (["--blanks", "w5"], "'w5' is a given"),
    (["--variants", "3", "--variant", "1-2"], "give one of them"),
    (["--variant", "seven"], "--variant: expected a variant ID"),
    (["--variants", "0"], "--variants: expected a number from 1"),
    (["--precision", "0"], "--precision"),
    (["--lang", "xx"], "--lang"),
    (["nosuchspec"], "nosuchspec"),
])
def test_bad_arguments_exit_2_in_one_line_and_write_nothing(workdir: Path, capsys, argv: list[str], message: str) -> None:
    status, _, err = run_cli(["exercise", *argv, "-o", "set"], capsys)
    assert status == 2 and message in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (workdir / "set").exists()


def test_the_document_command_is_unchanged(capsys) -> None:
    status, out, _ = run_cli(["mazur", "-o", "-"], capsys)
    assert status == 0 and out.startswith("# A step-by-step backpropagation example")
    assert run_cli(["exercise", "--help"], capsys)[0] == 0
    assert run_cli(["check", "--help"], capsys)[0] == 0


def test_the_markdown_sheets_and_keys_parse_in_katex() -> None:
    """The golden sheet and key, and a sheet and key with every blank, hints and carry rounding (one node run)."""
    require_katex()
    from test_markdown_math import katex_errors
    from derive.exercise.render import key_markdown, sheet_markdown

    exercise = build_exercise(load("mazur"), ExerciseOptions(blanks=("all",), hints=True, rounding="carry"))
    texts = [(OUTPUT / "mazur-exercise" / name).read_text() for name in ("sheet.md", "key.md")]
    assert katex_errors("\n\n".join(texts + [sheet_markdown(exercise), key_markdown(exercise)])) == []


def test_the_readme_walkthrough_marks_adas_file_as_it_says(workdir: Path, capsys) -> None:
    """The README's course.toml and ada.toml, made as its commands make them, give the report it shows."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    walkthrough = readme[readme.index("## Exercises: a lecturer's walkthrough"):readme.index("## Python API")]
    course, ada = re.findall(r"<<'TOML'\n(.*?)TOML\n", walkthrough, re.S)
    (workdir / "course.toml").write_text((OUTPUT.parent / "examples" / "mazur.toml").read_text() + course)
    (workdir / "ada.toml").write_text(ada)
    status, out, err = run_cli(["check", "course.toml", "ada.toml"], capsys)
    assert status == 3, err
    shown = re.search(r"```\n(  grad_w5 .*?)```", walkthrough, re.S)[1]
    for line in shown.splitlines():
        assert line.strip() == "..." or line in out, line
