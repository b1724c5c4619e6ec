"""derive check: answers marked right, wrong, or right given the student's earlier value (error carried forward).

The students' numbers here are computed by the test itself from Mazur's network in Decimal arithmetic,
with an earlier value perturbed and the later ones worked on from it, as a student would.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from derive.api import Document, load
from derive.exercise.answer_file import parse_written, read_answers
from derive.exercise.check import CARRIED, FEW_DIGITS, RIGHT, WRONG, Checker

D = Decimal
I1, I2, T1, T2, LR = D("0.05"), D("0.10"), D("0.01"), D("0.99"), D("0.5")
W = {1: D("0.15"), 2: D("0.20"), 3: D("0.25"), 4: D("0.30"), 5: D("0.40"), 6: D("0.45"), 7: D("0.50"), 8: D("0.55")}
B = {"h1": D("0.35"), "h2": D("0.35"), "o1": D("0.60"), "o2": D("0.60")}


def sigmoid(z: Decimal) -> Decimal:
    return 1 / (1 + (-z).exp())


CHAIN = ["delta_o1", "grad_w5", "grad_b_o1", "new_w5", "dE_dout_h1", "delta_h1", "grad_w1", "new_w1"]


def mazur(write=lambda key, value: value, change=lambda key, value: value) -> dict[str, Decimal]:
    """Mazur's first step in Decimal as a student works it: ``change`` is their slip at a line, and ``write``
    what they write down there, which the later lines compute on."""
    with localcontext() as context:
        context.prec = 40
        v = {}
        v["out_h1"] = sigmoid(W[1] * I1 + W[2] * I2 + B["h1"])
        v["out_h2"] = sigmoid(W[3] * I1 + W[4] * I2 + B["h2"])
        v["out_o1"] = sigmoid(W[5] * v["out_h1"] + W[6] * v["out_h2"] + B["o1"])
        v["out_o2"] = sigmoid(W[7] * v["out_h1"] + W[8] * v["out_h2"] + B["o2"])
        v["delta_o2"] = (v["out_o2"] - T2) * v["out_o2"] * (1 - v["out_o2"])
        lines = {
            "delta_o1": lambda: (v["out_o1"] - T1) * v["out_o1"] * (1 - v["out_o1"]),
            "grad_w5": lambda: v["delta_o1"] * v["out_h1"],
            "grad_b_o1": lambda: v["delta_o1"],
            "new_w5": lambda: W[5] - LR * v["grad_w5"],
            "dE_dout_h1": lambda: v["delta_o1"] * W[5] + v["delta_o2"] * W[7],
            "delta_h1": lambda: v["dE_dout_h1"] * v["out_h1"] * (1 - v["out_h1"]),
            "grad_w1": lambda: v["delta_h1"] * I1,
            "new_w1": lambda: W[1] - LR * v["grad_w1"],
        }
        for key in CHAIN:
            v[key] = write(key, change(key, lines[key]()))
        return v


def written(value: Decimal, digits: int) -> str:
    """``value`` with ``digits`` significant digits, as a student writes it (scientific below 0.001)."""
    exponent = value.adjusted()
    rounded = value.quantize(D(1).scaleb(exponent - digits + 1), ROUND_HALF_EVEN)
    return f"{rounded:.{digits - 1}e}" if abs(value) < D("0.001") else format(rounded, "f")


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(Document(load("mazur")).derivation, precision=4)


def answers_file(tmp_path: Path, lines: dict[str, str], name: str = "answers.toml", **header: str) -> str:
    text = "".join(f'{key} = "{value}"\n' for key, value in header.items())
    text += "".join(f'"{key}" = {value}\n' for key, value in lines.items())
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def statuses(checker: Checker, path: str) -> dict[str, str]:
    return {mark.id: mark.status for mark in checker.check(read_answers(path), "mazur").marks}


DOWNSTREAM = CHAIN[1:]


def near(text: str, value: Decimal) -> bool:
    """Whether a written number is within a unit in its last place of ``value`` (right, or nearly)."""
    return abs(D(text) - value) <= 2 * parse_written(D(text), "x").half_unit


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    factor=st.sampled_from(["0.5", "0.8", "1.25", "1.5", "2", "-1", "3"]),
    digits=st.integers(min_value=3, max_value=8),
    later=st.lists(st.sampled_from(DOWNSTREAM), min_size=1, max_size=4, unique=True),
    slip=st.sampled_from([None] + DOWNSTREAM),
    include_exact=st.booleans(),
)
def test_perturbed_answer_files_are_marked_right_wrong_or_carried(checker, tmp_path_factory, factor, digits, later,
                                                                  slip, include_exact) -> None:
    """delta_o1 is wrong; the later answers are worked on from it (carried forward), except ``slip``, wrong again."""
    answered = {"delta_o1", *later} | ({slip} if slip else set())
    lines: dict[str, str] = {}

    def write(key: str, value: Decimal) -> Decimal:
        if key not in answered:
            return value
        lines[key] = written(value, digits)
        return D(lines[key])

    def change(key: str, value: Decimal) -> Decimal:
        if key == "delta_o1":
            return value * D(factor)
        return value * D("1.3") + D("0.01") if key == slip else value

    mazur(write, change)
    exact = mazur()
    if include_exact:  # a value no error reaches stays plainly right
        lines["out_o2"] = written(exact["out_o2"], digits)
    found = statuses(checker, answers_file(tmp_path_factory.mktemp("answers"), lines))
    assert found["delta_o1"] == WRONG
    for key in lines:
        if key in ("delta_o1", "out_o2"):
            continue
        if key == slip:
            assert found[key] == WRONG, (key, lines, found)
        elif near(lines[key], exact[key]):  # the slip moved this value by less than its last digit
            assert found[key] in (RIGHT, CARRIED), (key, lines, found)
        else:
            assert found[key] == CARRIED, (key, lines, found)
    if include_exact:
        assert found["out_o2"] == RIGHT


def test_a_bias_gradient_is_the_students_delta_for_the_lines_after_it(checker, tmp_path) -> None:
    """The default sheet asks for gradients, not deltas: a wrong grad_b_o1 (= delta_o1) is the student's delta_o1,
    so grad_w5 and new_w5 worked on from it earn credit; the line shown for grad_b_o1 is the right one."""
    answered = ("grad_b_o1", "grad_w5", "new_w5")
    lines: dict[str, str] = {}

    def write(key: str, value: Decimal) -> Decimal:
        if key in answered:
            lines[key] = written(value, 4)
            return D(lines[key])
        return value

    mazur(write, lambda key, value: value * D("1.5") if key == "delta_o1" else value)
    assert statuses(checker, answers_file(tmp_path, lines)) == {"grad_b_o1": WRONG, "grad_w5": CARRIED, "new_w5": CARRIED}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(digits=st.integers(min_value=2, max_value=12), keys=st.lists(st.sampled_from(DOWNSTREAM + ["delta_o1", "out_o2"]),
                                                                      min_size=1, max_size=6, unique=True))
def test_right_answers_rounded_to_any_digits_are_right(checker, tmp_path_factory, digits, keys) -> None:
    exact = mazur()
    lines = {key: written(exact[key], digits) for key in keys}
    found = statuses(checker, answers_file(tmp_path_factory.mktemp("answers"), lines))
    assert set(found.values()) == {RIGHT}, (lines, found)


def test_one_significant_digit_is_too_few(checker, tmp_path) -> None:
    found = statuses(checker, answers_file(tmp_path, {"grad_w1": "0.0004", "grad_w5": "0.08", "out_h1": "0.59"}))
    assert found == {"grad_w1": FEW_DIGITS, "grad_w5": FEW_DIGITS, "out_h1": RIGHT}


def test_the_digits_written_set_the_precision() -> None:
    assert parse_written(D("0.0820"), "x").half_unit == D("0.00005")
    assert parse_written("4.4e-4", "x").significant == 2
    assert parse_written(1, "x").half_unit == D("0.5")


# ---------------------------------------------------------------- Mazur's published figures as a student's answers

MAZUR_POST = {  # the figures of Mazur's post, which round before computing on (shared, frozen biases)
    "net_h1": "0.3775",
    "out_h1": "0.593269992",
    "out_h2": "0.596884378",
    "out_o1": "0.75136507",
    "out_o2": "0.772928465",
    "E": "0.298371109",
    "dE_dout_o1": "0.74136507",
    "dout_dnet_o1": "0.186815602",
    "grad_w5": "0.082167041",
    "new_w5": "0.35891648",
    "new_w6": "0.408666186",
    "new_w7": "0.511301270",
    "new_w8": "0.561370121",
    "dE_o1_dout_h1": "0.055399425",
    "dE_o2_dout_h1": "-0.019049119",
    "dE_dout_h1": "0.036350306",
    "dout_dnet_h1": "0.241300709",
    "grad_w1": "0.000438568",
    "new_w1": "0.149780716",
    "new_w2": "0.19956143",
    "new_w3": "0.24975114",
    "new_w4": "0.29950229",
    "E_after": "0.291027924",
}


def test_mazurs_figures_are_right_under_carry_rounding_except_the_loss_after(tmp_path, capsys) -> None:
    path = answers_file(tmp_path, MAZUR_POST, student="Mazur's post")
    status, out, err = run_cli(["check", "mazur-classic", path, "--format", "json"], capsys)
    assert status == 3, err
    found = {entry["id"]: entry["status"] for entry in json.loads(out)["answers"]}
    assert found == {key: WRONG if key == "E_after" else RIGHT for key in MAZUR_POST}
    status, out, err = run_cli(["check", "mazur-classic", path], capsys)
    assert "First wrong answer: E_after" in out
    assert "0.29102777" in out  # the loss after the update, from the post's own new weights
    assert "Score: 22 of 23" in out


def test_mazurs_carried_figure_is_flagged_precisely_under_the_exact_convention(tmp_path, capsys) -> None:
    path = answers_file(tmp_path, {"dE_o2_dout_h1": "-0.019049119", "grad_w5": "0.082167041"})
    status, out, _ = run_cli(["check", "mazur-classic", path, "--rounding", "exact"], capsys)
    assert status == 3
    assert "First wrong answer: dE_o2_dout_h1" in out
    assert "delta_o2*w7" in out and "-0.01904911826" in out
    status, out, _ = run_cli(["check", "mazur-classic", path, "--rounding", "carry"], capsys)
    assert status == 0, out


# ---------------------------------------------------------------- the command line


def test_an_all_right_file_exits_0_and_json_reports_every_answer(tmp_path, capsys) -> None:
    exact = mazur()
    path = answers_file(tmp_path, {key: written(exact[key], 5) for key in DOWNSTREAM}, student="Ada")
    status, out, _ = run_cli(["check", "mazur", path, "--format", "json"], capsys)
    assert status == 0
    report = json.loads(out)
    assert report["format"] == "derive-check/1" and report["student"] == "Ada"
    assert report["score"] == {"points": len(DOWNSTREAM), "out_of": len(DOWNSTREAM)}
    assert report["first_wrong"] is None
    assert {entry["status"] for entry in report["answers"]} == {RIGHT}


def test_a_wrong_file_exits_3_and_names_the_first_wrong_answer_with_its_line(tmp_path, capsys) -> None:
    lines: dict[str, str] = {}

    def write(key: str, value: Decimal) -> Decimal:
        if key in ("delta_o1", "grad_w5"):
            lines[key] = written(value, 4)
            return D(lines[key])
        return value

    mazur(write, lambda key, value: value * D("1.5") if key == "delta_o1" else value)
    lines["grad_w1"] = "0.0005"
    status, out, _ = run_cli(["check", "mazur", answers_file(tmp_path, lines)], capsys)
    assert status == 3
    assert "First wrong answer: delta_o1" in out
    assert "delta_o1 = dE_dout_o1*dout_dnet_o1" in out
    assert "right given your earlier value (delta_o1)" in out
    assert "Your answer: " + lines["delta_o1"] in out
    assert "Score: 1 of 3" in out


def test_missing_blanks_count_when_the_sheets_blanks_are_given(tmp_path, capsys) -> None:
    path = answers_file(tmp_path, {"grad_w5": "0.08217"})
    status, out, _ = run_cli(["check", "mazur", path, "--blanks", "gradients"], capsys)
    assert status == 3 and "Score: 1 of 12" in out and "missing" in out


def test_a_tolerance_accepts_more(tmp_path, capsys) -> None:
    path = answers_file(tmp_path, {"grad_w5": "0.0830"})
    assert run_cli(["check", "mazur", path], capsys)[0] == 3
    assert run_cli(["check", "mazur", path, "--tolerance", "0.001"], capsys)[0] == 0


@pytest.mark.parametrize("text, message", [
    ('grad_w9 = 0.1\n', "no quantity 'grad_w9' in this network (did you mean 'grad_w8'?)"),
    ('grad_w5 = "a lot"\n', "grad_w5: expected a number"),
    ('grad_w5 = 0.1\nvariant = "seven"\n', "expected a variant ID"),
    ('grad_w5 = \n', "not a TOML answers file"),
    ('out_h1@1 = 0.5\n', "must be quoted"),
    ('student = "Ada"\n', "no answers"),
])
def test_bad_answer_files_exit_2_with_the_near_miss(tmp_path, capsys, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    status, out, err = run_cli(["check", "mazur", str(path)], capsys)
    assert status == 2 and message in err and out == ""
    assert len(err.splitlines()) == 1


def test_a_variants_answers_are_marked_against_that_variant(workdir, capsys) -> None:
    assert run_cli(["exercise", "--variants", "3", "--seed", "5", "-o", "class"], capsys)[0] == 0
    answers = json.loads(Path("class/answers.json").read_text())["variants"]["5-2"]["answers"]
    lines = {key: entry["shown"] for key, entry in answers.items()}
    path = answers_file(workdir, lines, variant="5-2", student="Bo")
    status, out, _ = run_cli(["check", "mazur", path], capsys)
    assert status == 0, out
    assert "Variant 5-2." in out
    other = answers_file(workdir, lines, "other.toml", variant="5-3")
    assert run_cli(["check", "mazur", other], capsys)[0] == 3
