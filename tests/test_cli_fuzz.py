"""Fuzzing the real entry point, derive.cli.main.

Hypothesis mutates the seed spec (drops, duplicates and retypes keys, perturbs shapes, injects
hostile strings) and generates random TOML text and bytes. Whatever comes in, the result is a
correct document (exit 0, the file written) or a clean refusal (exit 2, a short message, no
traceback, no file). Exit 1 is an internal error: a bug.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from derive import cli

from conftest import SEED_SPEC as BASE, assert_markdown_literal

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

LINES = BASE.splitlines()
KEY_LINES = [index for index, line in enumerate(LINES) if " = " in line]

HOSTILE = [
    r"'\input{/etc/passwd} \write18{rm -rf ~} 100% $x$ & #1 ~ ^ {} _'",
    '"<script>alert(1)</script> [x](javascript:x) | *b* `c` $$"',
    '"\\u0000\\u001b[2J"',
    '"\\u202e\\u200b"',
    "'''multi\nline'''",
    '"' + "x" * 600 + '"',
    '"中文 😀 σ"',
    "'--<<>>``'",
]
VALUES = HOSTILE + [
    '"0.5"', "true", "false", "nan", "-inf", "+inf", "1e400", "1e-400", "-0.0", "0", "-1", "1.5",
    "123456789012345678901234567890", "[]", "[[]]", "[[1, 2, 3]]", "[1, [2]]", "[0.5, 0.5]",
    "[[0.5], [0.5]]", '{ a = 1 }', "1979-05-27", "07:32:00", '["sigmoid"]', '"sigmoid"', '"relu"',
    '"identity"', '"tanh"', '"leaky_relu"', '"bce"', '"cross_entropy"', '"mse"', '"adam"', '"sgd"',
    "[0, 1]", "[2]", "[-1]", "0.9", "1e-8", "1000",
]
KEYS = ["activation", "weight", "bias", "train_bias", "negative_slope", "input", "target", "kind",
        "optimizer", "lr", "steps", "momentum", "betas", "eps", "weight_decay", "title", "wieght",
        "layer", "data", "loss", "train", "torch", "module", "x", "batch_size", "epochs", "file", "published"]
EXTRA_LINES = ["[[layer]]", "[data]", "[loss]", "[train]", "[extra]", "[torch]", "[layer]",
               'activation = "relu"', "weight = [[1.0, 2.0]]", "bias = 0.1", "train_bias = false",
               'module = "nope.py:Net"', "negative_slope = 0.2", "steps = 3", 'optimizer = "adam"',
               "betas = [0.9, 0.99]", "momentum = 0.9", "]", "[[", "= 1", "key = ", "# comment",
               "batch_size = 2", "epochs = 2", '[published]', 'source = "x"', "loss_after = 0.3", 'file = "d.csv"']


def matrix_literal(rows: int, columns: int, value: str) -> str:
    return "[" + ", ".join("[" + ", ".join([value] * columns) + "]" for _ in range(rows)) + "]"


@st.composite
def mutated_spec(draw) -> str:
    """The seed spec with one to four random edits."""
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["drop", "duplicate", "retype", "rename", "shape", "insert"]))
        key_lines = [i for i, line in enumerate(lines) if " = " in line]
        if operation == "drop" and lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
        elif operation == "duplicate" and lines:
            index = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[index])
        elif operation == "retype" and key_lines:
            index = draw(st.sampled_from(key_lines))
            lines[index] = lines[index].split(" = ")[0] + " = " + draw(st.sampled_from(VALUES))
        elif operation == "rename" and key_lines:
            index = draw(st.sampled_from(key_lines))
            lines[index] = draw(st.sampled_from(KEYS)) + " = " + lines[index].split(" = ", 1)[1]
        elif operation == "shape" and key_lines:
            index = draw(st.sampled_from(key_lines))
            shape = matrix_literal(draw(st.integers(0, 3)), draw(st.integers(0, 3)),
                                   draw(st.sampled_from(["0.5", "-2", "1e3", "0", "1"])))
            lines[index] = lines[index].split(" = ")[0] + " = " + shape
        elif operation == "insert":
            line = draw(st.sampled_from(EXTRA_LINES + [f"{k} = {v}" for k in ("title", "x") for v in HOSTILE]))
            lines.insert(draw(st.integers(0, len(lines))), line)
    return "\n".join(lines) + "\n"


TOML_ALPHABET = st.sampled_from(list("[]{}=.,\"'#\n \t_-+:0123456789eEinfatruls") + ["layer", "data", "weight", "nan"])


def check_outcome(workdir: Path, status: int, err: str, output: Path, format: str) -> None:
    """A correct document (exit 0, file written) or a clean refusal (exit 2, nothing written)."""
    assert status != 1, f"internal error (a bug): {err}"
    assert status in (0, 2), (status, err)
    assert "Traceback" not in err
    leftovers = [name for name in os.listdir(workdir) if name not in ("spec.toml", output.name)]
    assert not leftovers, leftovers  # no temporary or auxiliary files
    if status == 2:
        lines = err.strip().splitlines()
        assert err.startswith("derive: ") and 1 <= len(lines) <= 3, err
        assert not output.exists()
        return
    data = output.read_bytes()
    output.unlink()
    if format == "json":
        payload = json.loads(data)  # Python's json accepts NaN; the contract does not
        assert payload["format"] == "derive-json/1"
        assert all(math.isfinite(v) for v in _numbers(payload)), "NaN or infinity in JSON"
    else:
        assert data.startswith(b"# "), data[:80]


def _numbers(payload):
    if isinstance(payload, dict):
        for value in payload.values():
            yield from _numbers(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from _numbers(value)
    elif isinstance(payload, (int, float)) and not isinstance(payload, bool):
        yield payload


def run_spec(workdir: Path, capsys, text: str | bytes, format: str) -> tuple[int, str]:
    spec = workdir / "spec.toml"
    spec.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    output = workdir / ("out.json" if format == "json" else "out.md")
    status = cli.main(["spec.toml", "--format", format, "-o", output.name])
    err = capsys.readouterr().err
    check_outcome(workdir, status, err, output, format)
    event(f"exit {status}")
    return status, err


@FUZZ
@given(mutated_spec())
def test_mutated_specs_give_json_or_a_clean_refusal(workdir: Path, capsys, text: str) -> None:
    run_spec(workdir, capsys, text, "json")


@settings(FUZZ, max_examples=60)
@given(mutated_spec())
def test_mutated_specs_give_markdown_or_a_clean_refusal(workdir: Path, capsys, text: str) -> None:
    run_spec(workdir, capsys, text, "markdown")


@settings(FUZZ, max_examples=60)
@given(st.sampled_from(HOSTILE + ['"ok"']), st.sampled_from(["title", "x"]))
def test_hostile_strings_anywhere_are_escaped_or_refused(workdir: Path, capsys, value: str, key: str) -> None:
    text = BASE.replace('title = "t"', f"{key} = {value}")
    status, err = run_spec(workdir, capsys, text, "markdown")
    if status == 0 and key == "title":
        spec = (workdir / "spec.toml").read_text()
        import tomllib

        title = tomllib.loads(spec)["title"]
        cli.main(["spec.toml", "-o", "-"])
        heading = capsys.readouterr().out.splitlines()[0]
        assert_markdown_literal(heading[2:], title)


@FUZZ
@given(st.lists(TOML_ALPHABET, max_size=80).map("".join))
def test_random_toml_text_is_refused_cleanly_or_works(workdir: Path, capsys, text: str) -> None:
    run_spec(workdir, capsys, text, "json")


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_are_refused_cleanly(workdir: Path, capsys, data: bytes) -> None:
    status, _ = run_spec(workdir, capsys, data, "json")
    assert status == 2


@FUZZ
@given(
    st.lists(st.sampled_from(["--precision", "--format", "--only", "--style", "--notation", "-o", "-f",
                              "--verify", "x", "-1", "31", "4", "json", "latex", "w1,w99", "matrix", "mazur",
                              "nope", "--lr", "--from-torch", ":", ""]), max_size=5)
)
def test_random_command_lines_are_refused_cleanly_or_work(workdir: Path, capsys, argv: list[str]) -> None:
    if "--verify" in argv or "-o" not in argv:
        argv = [a for a in argv if a != "--verify"] + ["-o", "out.x"]
    status = cli.main(argv)
    err = capsys.readouterr().err
    assert status in (0, 2), err
    assert "Traceback" not in err
    if status == 2:
        assert err.startswith("derive: ") and len(err.strip().splitlines()) <= 3, err
