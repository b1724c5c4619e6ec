"""--format moodle: a Moodle XML question bank that parses back into Moodle's structure, one Cloze question per variant."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import require_xmllint, run_cli

CLOZE = re.compile(r"\{1:NUMERICAL:=(-?[0-9.]+):([0-9.]+)\}")


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("moodle")
    from derive.cli import main

    assert main(["exercise", "--variants", "4", "--seed", "3", "--format", "moodle", "-o", str(folder)]) == 0
    return folder / "moodle.xml", json.loads((folder / "answers.json").read_text())


def test_the_bank_has_moodles_structure(bank) -> None:
    path, answers = bank
    quiz = ET.parse(path).getroot()
    assert quiz.tag == "quiz"
    questions = quiz.findall("question")
    assert questions[0].get("type") == "category"
    assert questions[0].find("category/text").text == "$course$/top/derive/mazur-seed-3"
    cloze = questions[1:]
    assert [q.get("type") for q in cloze] == ["cloze"] * 4
    for question, (variant, expected) in zip(cloze, answers["variants"].items()):
        assert variant in question.find("name/text").text
        text = question.find("questiontext")
        assert text.get("format") == "html"
        html = text.find("text").text
        blanks = CLOZE.findall(html)
        assert len(blanks) == len(expected["blanks"])
        for (value, tolerance), key in zip(blanks, expected["blanks"]):
            entry = expected["answers"][key]
            assert float(value) == pytest.approx(entry["value"], rel=1e-12, abs=1e-15)
            assert float(tolerance) == pytest.approx(entry["tolerance"])
        assert question.find("generalfeedback").get("format") == "html"
        assert question.find("generalfeedback/text").text
        assert question.find("penalty").text and question.find("hidden").text == "0"
        assert question.find("idnumber").text == f"mazur-{variant}"


def test_the_question_text_is_well_formed_html_with_the_network_and_data(bank) -> None:
    path, _ = bank
    html = ET.parse(path).getroot().findall("question")[1].find("questiontext/text").text
    body = ET.fromstring(html)  # built with xml.etree: it parses back
    cells = ["".join(cell.itertext()) for cell in body.iter("td")]
    assert r"\(w_{1}\)" in cells  # the parameter table, math for Moodle's MathJax filter
    assert "grad_w5" in cells and any(cell.startswith("{1:NUMERICAL:=") for cell in cells)
    assert "$" not in html


def test_xmllint_finds_the_bank_well_formed(bank) -> None:
    xmllint = require_xmllint()
    path, _ = bank
    done = subprocess.run([xmllint, "--noout", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_hostile_title_is_escaped_where_it_lands(workdir: Path, capsys) -> None:
    title = 'A <b>bold</b> & "quoted" ]]> title {1:NUMERICAL:=1:1}'
    spec = workdir / "hostile.toml"
    text = (Path(__file__).parents[1] / "examples" / "mazur.toml").read_text()
    spec.write_text(re.sub(r"(?m)^title = .*$", f"title = '{title}'", text, count=1))
    status, _, err = run_cli(["exercise", str(spec), "--format", "moodle", "-o", "bank"], capsys)
    assert status == 0, err
    question = ET.parse(workdir / "bank" / "moodle.xml").getroot().findall("question")[1]
    assert question.find("name/text").text == f"{title}: variant hostile"
    assert len(CLOZE.findall(question.find("questiontext/text").text)) == 24
