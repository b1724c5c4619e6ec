"""Hostile and broken input through the real command line (issue 5).

- Every user-caused error exits 2 with one to three lines on stderr and no traceback, naming the
  file, the key path and the line, what was expected and what was found, and the near miss.
- Nothing is lost: no output file is created, an existing one keeps its bytes, and no temporary
  or pdflatex auxiliary file is left in the output folder.
- Nothing is executed: a hostile title prints literally in LaTeX, the PDF and Markdown.
- Networks too large to derive readably are refused with advice.

The bulk runs in-process through ``derive.cli.main`` (fast); a representative subset runs as
``python -m derive`` subprocesses, which is what a user types.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from derive import cli, limits
from derive.latex_text import SPECIALS as LATEX_SPECIALS
from derive.render import MARKDOWN_SPECIALS, escape_latex, escape_markdown

from _tools import require_pdflatex
from networks import SEED_SPEC

BASE = SEED_SPEC

CE = ('kind = "half_sse"', 'kind = "cross_entropy"')
BCE = ('kind = "half_sse"', 'kind = "bce"')
ADAM = ('optimizer = "sgd"', 'optimizer = "adam"')


def edit(*replacements: tuple[str, str], text: str = BASE) -> str:
    """BASE with each ``old`` (which must occur once) replaced by ``new``."""
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """``derive ARGV`` in-process: exit status, stdout, stderr."""
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_refused(status: int, err: str, *parts: str) -> None:
    """Exit 2, one to three lines on stderr, no traceback, and every part in the message."""
    assert status == 2, err
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 3, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.startswith("derive: "), err
    for part in parts:
        assert part in err, f"{part!r} not in {err!r}"


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), hidden ones included."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    """An empty current directory, so that messages name files as the user typed them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------- bad specs, every kind
#
# (id, spec text, key path, line or None, fragments the message must contain besides
# "expected" and "found"). The message must read "spec.toml[:line]: key.path: expected ...".

BAD_SPECS = [
    # unknown keys, with the near miss
    ("wieght", edit(("weight = [[0.15", "wieght = [[0.15")), "layer[1].wieght", 5,
     ["(did you mean 'weight'?)"]),
    ("titel", edit(('title = "t"', 'titel = "t"')), "titel", 1, ["(did you mean 'title'?)"]),
    ("trian-table", edit(("[train]", "[trian]")), "trian", 20, ["(did you mean 'train'?)"]),
    ("targets", edit(("target = ", "targets = ")), "data.targets", 15, ["(did you mean 'target'?)"]),
    ("knd", edit(("kind = ", "knd = ")), "loss.knd", 18, ["(did you mean 'kind'?)"]),
    ("lr-typo", edit(("lr = 0.5", "learning_rate = 0.5")), "train.learning_rate", 22, ["one of the keys"]),
    ("bais-second-layer", edit(("bias = [0.60, 0.60]", "bais = [0.60, 0.60]")), "layer[2].bais", 11,
     ["(did you mean 'bias'?)"]),
    # unknown choices, with the near miss
    ("sigmod", edit(('"sigmoid"\nweight = [[0.40', '"sigmod"\nweight = [[0.40')),
     "layer[2].activation", 9, ["(did you mean 'sigmoid'?)", "'sigmod'"]),
    ("Tanh", edit(('"sigmoid"\nweight = [[0.15', '"Tanh"\nweight = [[0.15')),
     "layer[1].activation", 4, ["(did you mean 'tanh'?)"]),
    ("relu6", edit(('"sigmoid"\nweight = [[0.15', '"relu6"\nweight = [[0.15')),
     "layer[1].activation", 4, ["one of sigmoid, tanh, relu, leaky_relu, identity"]),
    ("half_see", edit(('"half_sse"', '"half_see"')), "loss.kind", 18, ["(did you mean 'half_sse'?)"]),
    ("crossentropy", edit(('"half_sse"', '"crossentropy"')), "loss.kind", 18,
     ["(did you mean 'cross_entropy'?)"]),
    ("adma", edit(('"sgd"', '"adma"')), "train.optimizer", 21, ["(did you mean 'adam'?)"]),
    ("SGD", edit(('"sgd"', '"SGD"')), "train.optimizer", 21, ["(did you mean 'sgd'?)"]),
    # missing sections and keys
    ("no-data", edit(("[data]\ninput = [[0.05, 0.10]]\ntarget = [[0.01, 0.99]]\n", "")), "data", None,
     ["a [data] table", "found nothing"]),
    ("no-layers", "[data]\ninput = [1]\ntarget = [1]\n", "layer", None, ["[[layer]]", "found nothing"]),
    ("no-weight", edit(("weight = [[0.15, 0.20], [0.25, 0.30]]\n", "")), "layer[1].weight", 3,
     ["found nothing"]),
    ("no-activation", edit(('activation = "sigmoid"\nweight = [[0.15', "weight = [[0.15")),
     "layer[1].activation", 3, ["found nothing"]),
    ("no-target", edit(("target = [[0.01, 0.99]]\n", "")), "data.target", 13, ["found nothing"]),
    ("single-layer-table", "[layer]\nactivation = \"relu\"\nweight = [[1]]\n[data]\ninput = [1]\ntarget = [1]\n",
     "layer", 1, ["[[layer]]"]),
    # strings and booleans where numbers belong
    ("weight-string", edit(("[[0.15,", '[["0.15",')), "layer[1].weight[0][0]", 5, ["'0.15' (a string)"]),
    ("weight-bool", edit(("[0.25, 0.30]", "[true, 0.30]")), "layer[1].weight[1][0]", 5,
     ["true (a boolean)"]),
    ("bias-string", edit(("bias = [0.35, 0.35]", 'bias = "0.35"')), "layer[1].bias", 6, ["(a string)"]),
    ("bias-bool", edit(("bias = [0.35, 0.35]", "bias = false")), "layer[1].bias", 6, ["(a boolean)"]),
    ("input-string", edit(("input = [[0.05, 0.10]]", 'input = "0.05, 0.10"')), "data.input", 14,
     ["(a string)"]),
    ("target-bools", edit(("[[0.01, 0.99]]", "[[false, true]]")), "data.target[0][0]", 15,
     ["(a boolean)"]),
    ("lr-string", edit(("lr = 0.5", 'lr = "0.5"')), "train.lr", 22, ["'0.5' (a string)"]),
    ("lr-bool", edit(("lr = 0.5", "lr = true")), "train.lr", 22, ["(a boolean)"]),
    ("steps-string", edit(("steps = 1", 'steps = "1"')), "train.steps", 23, ["(a string)"]),
    ("steps-bool", edit(("steps = 1", "steps = true")), "train.steps", 23, ["(a boolean)"]),
    ("momentum-date", edit(("steps = 1", "steps = 1\nmomentum = 1979-05-27")), "train.momentum", 24,
     ["1979-05-27"]),
    ("title-number", edit(('title = "t"', "title = 3")), "title", 1, ["expected a string"]),
    # empty layer lists and shapes
    ("layer-empty", 'layer = []\n[data]\ninput = [1]\ntarget = [1]\n', "layer", 1, ["found []"]),
    ("weight-empty", edit(("[[0.15, 0.20], [0.25, 0.30]]", "[]")), "layer[1].weight", 5, ["found []"]),
    ("weight-empty-rows", edit(("[[0.15, 0.20], [0.25, 0.30]]", "[[], []]")), "layer[1].weight[0]", 5,
     ["found []"]),
    ("weight-ragged", edit(("[0.25, 0.30]]", "[0.25]]")), "layer[1].weight[1]", 5, ["1 number"]),
    ("weight-flat", edit(("[[0.15, 0.20], [0.25, 0.30]]", "[0.15, 0.20]")), "layer[1].weight", 5,
     ["[[...]]"]),
    ("chain", edit(("[[0.40, 0.45], [0.50, 0.55]]", "[[0.4, 0.4, 0.4], [0.5, 0.5, 0.5]]")),
     "layer[2].weight", 10, ["rows of 2 numbers", "layer[1] has 2 neurons", "rows of 3 numbers"]),
    ("bias-count", edit(("bias = [0.60, 0.60]", "bias = [0.60, 0.60, 0.60]")), "layer[2].bias", 11,
     ["2 numbers", "3 numbers"]),
    # inputs and targets that do not fit the network
    ("input-width", edit(("[[0.05, 0.10]]", "[[0.05, 0.10, 0.2]]")), "data.input", 14,
     ["layer[1] takes 2 inputs", "rows of 3 numbers"]),
    ("input-narrow", edit(("[[0.05, 0.10]]", "[0.05]")), "data.input", 14, ["rows of 1 number"]),
    ("target-width", edit(("[[0.01, 0.99]]", "[[0.01]]")), "data.target", 15, ["layer[2] has 2 neurons"]),
    ("target-rows", edit(("[[0.01, 0.99]]", "[[0.01, 0.99], [0.5, 0.5]]")), "data.target", 15,
     ["1 row, one per input row", "2 rows"]),
    # NaN and infinity anywhere
    ("weight-nan", edit(("0.30]]", "nan]]")), "layer[1].weight[1][1]", 5, ["finite", "nan"]),
    ("bias-inf", edit(("[0.35, 0.35]", "[0.35, -inf]")), "layer[1].bias[1]", 6, ["-inf"]),
    ("shared-bias-nan", edit(("bias = [0.60, 0.60]", "bias = +nan")), "layer[2].bias", 11, ["nan"]),
    ("input-nan", edit(("[[0.05, 0.10]]", "[[nan, 0.10]]")), "data.input[0][0]", 14, ["finite"]),
    ("target-inf", edit(("[[0.01, 0.99]]", "[[0.01, inf]]")), "data.target[0][1]", 15, ["inf"]),
    ("lr-inf", edit(("lr = 0.5", "lr = inf")), "train.lr", 22, ["finite", "inf"]),
    ("momentum-nan", edit(("steps = 1", "steps = 1\nmomentum = nan")), "train.momentum", 24, ["nan"]),
    ("slope-nan", edit(('"sigmoid"\nweight = [[0.15', '"leaky_relu"\nnegative_slope = nan\nweight = [[0.15')),
     "layer[1].negative_slope", 5, ["nan"]),
    ("betas-inf", edit(ADAM, ("steps = 1", "steps = 1\nbetas = [0.9, inf]")), "train.betas[1]", 24, ["inf"]),
    ("eps-nan", edit(ADAM, ("steps = 1", "steps = 1\neps = nan")), "train.eps", 24, ["nan"]),
    ("weight-overflow", edit(("0.30]]", "1e400]]")), "layer[1].weight[1][1]", 5, ["float64"]),
    # learning rate and steps
    ("lr-zero", edit(("lr = 0.5", "lr = 0")), "train.lr", 22, ["greater than 0", "found 0"]),
    ("lr-minus-zero", edit(("lr = 0.5", "lr = -0.0")), "train.lr", 22, ["greater than 0"]),
    ("lr-negative", edit(("lr = 0.5", "lr = -0.1")), "train.lr", 22, ["found -0.1"]),
    ("steps-zero", edit(("steps = 1", "steps = 0")), "train.steps", 23, ["at least 1", "found 0"]),
    ("steps-negative", edit(("steps = 1", "steps = -3")), "train.steps", 23, ["found -3"]),
    ("steps-fraction", edit(("steps = 1", "steps = 1.5")), "train.steps", 23, ["whole number"]),
    ("steps-huge", edit(("steps = 1", "steps = 1_000_000_000_000")), "train.steps", 23,
     [f"at most {limits.MAX_STEPS:,} steps"]),
    # loss-specific targets
    ("bce-above-one", edit(BCE, ("0.99]]", "1.5]]")), "data.target[0][1]", 15,
     ["a probability from 0 to 1", "found 1.5"]),
    ("bce-negative", edit(BCE, ("[[0.01,", "[[-0.1,")), "data.target[0][0]", 15, ["found -0.1"]),
    ("ce-index-too-big", edit(CE, ("[[0.01, 0.99]]", "[2]")), "data.target[0]", 15,
     ["a class index from 0 to 1", "found 2"]),
    ("ce-index-negative", edit(CE, ("[[0.01, 0.99]]", "[-1]")), "data.target[0]", 15, ["found -1"]),
    ("ce-probability-above-one", edit(CE, ("[[0.01, 0.99]]", "[[0.5, 1.5]]")), "data.target[0][1]", 15,
     ["probability"]),
    # option combinations
    ("betas-with-sgd", edit(("steps = 1", "steps = 1\nbetas = [0.9, 0.99]")), "train.betas", 24,
     ["adam only"]),
    ("momentum-with-adam", edit(ADAM, ("steps = 1", "steps = 1\nmomentum = 0.9")), "train.momentum", 24,
     ["sgd only"]),
    # title
    ("title-control", edit(('title = "t"', 'title = "a\\u001b[31mred"')), "title", 1,
     ["'\\x1b'", "U+001B"]),
    ("title-newline", edit(('title = "t"', 'title = """line one\nline two"""')), "title", 1,
     ["one-line", "'\\n'"]),
    ("title-bidi", edit(('title = "t"', 'title = "abc\\u202Edef"')), "title", 1, ["U+202E"]),
    ("title-long", edit(('title = "t"', f'title = "{"x" * 5000}"')), "title", 1,
     [f"at most {limits.MAX_TITLE_CHARACTERS} characters"]),
]


@pytest.mark.parametrize(
    ("text", "key_path", "line", "fragments"),
    [case[1:] for case in BAD_SPECS],
    ids=[case[0] for case in BAD_SPECS],
)
def test_bad_spec_exits_2_naming_file_key_line_expected_found(
    workdir: Path, capsys, text: str, key_path: str, line: int | None, fragments: list[str]
) -> None:
    (workdir / "spec.toml").write_text(text, encoding="utf-8")
    status, out, err = run(["spec.toml", "-o", "out.md"], capsys)
    where = "spec.toml" if line is None else f"spec.toml:{line}"
    assert_refused(status, err, f"derive: {where}: {key_path}: expected ", "found", *fragments)
    assert out == ""
    assert sorted(os.listdir(workdir)) == ["spec.toml"]  # no output, no temporary file


# ---------------------------------------------------------------- files that are not specs

FILE_PROBLEMS = [
    # (id, how to make it in the folder, spec argument, fragments)
    ("missing", lambda d: None, "nope.toml", ["nope.toml: expected a spec file", "found no such file"]),
    ("near-builtin", lambda d: None, "mazr", ["(did you mean 'mazur'?)"]),
    ("directory", lambda d: (d / "specs").mkdir(), "specs", ["specs: expected a TOML spec file, found a directory"]),
    ("random-bytes", lambda d: (d / "g.toml").write_bytes(bytes(range(256)) * 4), "g.toml",
     ["g.toml:", "not UTF-8"]),
    ("png", lambda d: (d / "g.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "g.toml",
     ["g.toml:1: expected a TOML spec file (UTF-8 text), found the byte 0x89"]),
    ("nul-bytes", lambda d: (d / "g.toml").write_bytes(b"title = 't'\n\x00\x00\x00\x00"), "g.toml",
     ["g.toml:2:", "NUL byte"]),
    ("utf16", lambda d: (d / "g.toml").write_bytes('title = "t"\n'.encode("utf-16")), "g.toml",
     ["g.toml:1:", "UTF-8"]),
    ("empty", lambda d: (d / "g.toml").write_text(""), "g.toml", ["g.toml: layer: expected"]),
    ("python-file", lambda d: (d / "g.toml").write_text("import os\nos.system('echo pwned')\n"), "g.toml",
     ["g.toml:1: TOML syntax error"]),
    ("json-file", lambda d: (d / "g.toml").write_text('{"layer": []}\n'), "g.toml",
     ["g.toml:1: TOML syntax error"]),
    ("deep-nesting", lambda d: (d / "g.toml").write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n"),
     "g.toml", ["g.toml:1: expected arrays, tables and dotted keys nested at most"]),
    ("deep-dotted-key", lambda d: (d / "g.toml").write_text("title" + ".a" * 20_000 + " = 1\n"), "g.toml",
     ["g.toml:1: expected arrays, tables and dotted keys nested at most"]),
    ("deep-dotted-key-in-inline-table", lambda d: (d / "g.toml").write_text("x = {" + "a." * 20_000 + "b = 1}\n"),
     "g.toml", ["g.toml:1: expected arrays, tables and dotted keys nested at most"]),
    ("dotted-key-in-title", lambda d: (d / "g.toml").write_text("title.a.b = 1\n"), "g.toml",
     ["g.toml:1: title: expected a string, found {a = {b = 1}} (a table)"]),
]

TOML_SYNTAX = [
    ("unterminated-string", edit(('title = "t"', 'title = "t')), 1),
    ("bad-number", edit(("lr = 0.5", "lr = 0.5.5")), 22),
    ("duplicate-key", edit(("lr = 0.5", "lr = 0.5\nlr = 0.1")), 23),
    ("missing-bracket", edit(("[data]", "[data")), 13),
    ("missing-equals", edit(("lr = 0.5", "lr 0.5")), 22),
    ("unclosed-array", edit(("input = [[0.05, 0.10]]", "input = [[0.05, 0.10]")), 15),
    ("duplicate-table", BASE + "\n[data]\n", 25),
    ("bare-word", edit(('kind = "half_sse"', "kind = half_sse")), 18),
]


@pytest.mark.parametrize(("make", "spec", "fragments"), [c[1:] for c in FILE_PROBLEMS], ids=[c[0] for c in FILE_PROBLEMS])
def test_a_file_that_is_not_a_spec_exits_2(workdir: Path, capsys, make, spec: str, fragments: list[str]) -> None:
    make(workdir)
    before = files_in(workdir)
    status, _, err = run([spec, "-o", "out.md"], capsys)
    assert_refused(status, err, *fragments)
    assert files_in(workdir) == before


@pytest.mark.parametrize(("text", "line"), [c[1:] for c in TOML_SYNTAX], ids=[c[0] for c in TOML_SYNTAX])
def test_a_toml_syntax_error_names_its_line(workdir: Path, capsys, text: str, line: int) -> None:
    (workdir / "spec.toml").write_text(text, encoding="utf-8")
    status, _, err = run(["spec.toml", "-o", "out.md"], capsys)
    assert_refused(status, err, f"derive: spec.toml:{line}: TOML syntax error: ")
    assert sorted(os.listdir(workdir)) == ["spec.toml"]


def test_a_spec_larger_than_the_limit_is_refused_without_reading_it_all(workdir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_SPEC_BYTES", 1000)
    (workdir / "big.toml").write_text(BASE + "# padding\n" * 200)
    status, _, err = run(["big.toml", "-o", "out.md"], capsys)
    assert_refused(status, err, "big.toml: expected a TOML spec file of at most")


# ---------------------------------------------------------------- bad command lines

BAD_ARGUMENTS = [
    (["--precision", "abc"], ["--precision", "invalid int value: 'abc'"]),
    (["--precision", "2.5"], ["--precision", "'2.5'"]),
    (["--precision", "-1"], ["--precision: expected a whole number from 0 to 30, found -1"]),
    (["--precision", "31"], ["--precision: expected a whole number from 0 to 30, found 31"]),
    (["--format", "docx"], ["--format", "invalid choice: 'docx'"]),
    (["--format", "PDF"], ["invalid choice: 'PDF'"]),
    (["--style", "tensor"], ["--style", "invalid choice"]),
    (["--notation", "greek"], ["--notation", "invalid choice"]),
    (["--bogus"], ["unrecognized arguments: --bogus"]),
    (["mazur", "extra"], ["unrecognized arguments: extra"]),
    (["--only", "w99"], ["--only", "w99"]),
    (["-o", "."], ["is a folder"]),
    (["-o", "out.md/x.md"], ["cannot write the output"]),
    (["-o", "x" * 300 + ".md"], ["cannot write the output"]),
]


@pytest.mark.parametrize(("argv", "fragments"), BAD_ARGUMENTS, ids=[" ".join(a)[:30] for a, _ in BAD_ARGUMENTS])
def test_bad_arguments_exit_2_in_one_line(workdir: Path, capsys, argv: list[str], fragments: list[str]) -> None:
    (workdir / "out.md").write_bytes(b"precious")
    before = files_in(workdir)
    status, out, err = run(argv, capsys)
    assert_refused(status, err, *fragments)
    assert "usage:" not in err
    assert files_in(workdir) == before
    assert not (workdir / "output").exists()


TORCH_ARGUMENTS = [
    (["--from-torch", "nope.py:Net", "--input", "0.05,0.10", "--target", "0.01,0.99"], ["nope.py"]),
    (["--from-torch", "model.py:Nope", "--input", "0.05,0.10", "--target", "0.01,0.99"], ["Nope"]),
    (["--from-torch", "model.py", "--input", "0.05,0.10", "--target", "0.01,0.99"], ["FILE.py:NAME"]),
    (["--from-torch", "model.py:Net"], ["--input and --target"]),
    (["--from-torch", "model.py:Net", "--input", "0.05;;x", "--target", "0.01,0.99"], ["--input"]),
    (["--from-torch", "model.py:Net", "--input", "0.05,0.10", "--target", "0.01,nan"], ["--target"]),
    (["--from-torch", "model.py:Net", "--input", "0.05,0.10", "--target", "0.01,0.99", "--lr", "-1"], ["--lr"]),
    (["--from-torch", "model.py:Net", "--input", "0.05,0.10", "--target", "0.01,0.99", "--steps", "0"], ["--steps"]),
    (["--from-torch", "model.py:Net", "--input", "0.05,0.10", "--target", "0.01,0.99", "--loss", "mea"], ["--loss"]),
]

TORCH_MODEL = """\
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 2)
        self.output = nn.Linear(2, 2)

    def forward(self, x):
        return self.output(self.hidden(x).sigmoid()).sigmoid()
"""


@pytest.mark.parametrize(("argv", "fragments"), TORCH_ARGUMENTS, ids=[" ".join(a[1:])[:40] for a, _ in TORCH_ARGUMENTS])
def test_bad_torch_arguments_exit_2(workdir: Path, capsys, argv: list[str], fragments: list[str]) -> None:
    pytest.importorskip("torch")
    (workdir / "model.py").write_text(TORCH_MODEL)
    before = files_in(workdir)
    status, _, err = run(argv + ["-o", "out.md"], capsys)
    assert_refused(status, err, *fragments)
    assert files_in(workdir) == before


# ---------------------------------------------------------------- through python -m derive

SUBPROCESS_CASES = [
    ("missing", None, ["nope.toml"], ["found no such file"]),
    ("binary", b"\xff\xfe\x00garbage", ["spec.toml"], ["spec.toml:1:", "not UTF-8"]),
    ("wieght", edit(("weight = [[0.15", "wieght = [[0.15")).encode(), ["spec.toml"],
     ["spec.toml:5: layer[1].wieght: expected", "(did you mean 'weight'?)"]),
    ("nan", edit(("0.30]]", "nan]]")).encode(), ["spec.toml"], ["spec.toml:5: layer[1].weight[1][1]"]),
    ("chain", edit(("[[0.40, 0.45], [0.50, 0.55]]", "[[0.4], [0.5]]")).encode(), ["spec.toml"],
     ["spec.toml:10: layer[2].weight: expected rows of 2 numbers"]),
    ("precision", None, ["--precision", "x"], ["--precision"]),
    ("toml-syntax", b"[[layer]\n", ["spec.toml"], ["spec.toml:1: TOML syntax error"]),
    ("deep", b"x = " + b"[" * 50_000 + b"\n", ["spec.toml"], ["spec.toml:1: expected arrays, tables and dotted keys"]),
]


@pytest.mark.parametrize(("content", "argv", "fragments"), [c[1:] for c in SUBPROCESS_CASES], ids=[c[0] for c in SUBPROCESS_CASES])
def test_python_m_derive_refuses_cleanly(tmp_path: Path, content: bytes | None, argv: list[str], fragments: list[str]) -> None:
    if content is not None:
        (tmp_path / "spec.toml").write_bytes(content)
    before = files_in(tmp_path)
    completed = subprocess.run(
        [sys.executable, "-m", "derive", *argv], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert_refused(completed.returncode, completed.stderr, *fragments)
    assert completed.stdout == ""
    assert files_in(tmp_path) == before  # in particular, no output/ folder


# ---------------------------------------------------------------- nothing lost

BAD = edit(("weight = [[0.15", "wieght = [[0.15"))


@pytest.mark.parametrize("format", ["markdown", "latex", "json", "pdf"])
def test_an_existing_output_file_keeps_its_bytes_on_error(workdir: Path, capsys, format: str) -> None:
    (workdir / "bad.toml").write_text(BAD)
    (workdir / "out").mkdir()
    (workdir / "out" / "result").write_bytes(b"\x00precious bytes\n")
    before = files_in(workdir)
    status, _, err = run(["bad.toml", "--format", format, "-o", "out/result"], capsys)
    assert_refused(status, err, "layer[1].wieght")
    assert files_in(workdir) == before


@pytest.mark.parametrize(("format", "extension"), [("markdown", "md"), ("latex", "tex"), ("json", "json")])
def test_the_default_output_path_is_untouched_on_error(workdir: Path, capsys, format: str, extension: str) -> None:
    (workdir / "bad.toml").write_text(BAD)
    status, _, err = run(["bad.toml", "--format", format], capsys)
    assert_refused(status, err)
    assert not (workdir / "output").exists()  # not even the folder
    (workdir / "output").mkdir()
    (workdir / "output" / f"bad.{extension}").write_bytes(b"an earlier good result")
    before = files_in(workdir)
    status, _, err = run(["bad.toml", "--format", format], capsys)
    assert_refused(status, err)
    assert files_in(workdir) == before


def test_a_good_run_replaces_the_file_and_leaves_no_temporary(workdir: Path, capsys) -> None:
    (workdir / "output").mkdir()
    (workdir / "output" / "mazur.md").write_bytes(b"old")
    status, _, err = run([], capsys)
    assert status == 0, err
    assert sorted(os.listdir(workdir / "output")) == ["mazur.md"]
    assert (workdir / "output" / "mazur.md").read_bytes().startswith(b"# ")


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(workdir: Path, capsys, monkeypatch) -> None:
    (workdir / "out.md").write_bytes(b"old")

    def refuse(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    status, _, err = run(["-o", "out.md"], capsys)
    assert_refused(status, err, "-o out.md: cannot write the output: No space left on device")
    assert files_in(workdir) == {"out.md": b"old"}


def test_a_crash_while_rendering_writes_nothing(workdir: Path, capsys, monkeypatch) -> None:
    from derive import render

    def broken(*args, **kwargs):
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(render, "render_markdown", broken)
    (workdir / "out.md").write_bytes(b"old")
    status, _, err = run(["-o", "out.md"], capsys)
    assert status == 1
    assert "internal error: RuntimeError: renderer bug" in err and "Traceback" not in err
    assert files_in(workdir) == {"out.md": b"old"}


def fake_tools(folder: Path, pdflatex: str | None) -> str:
    """A PATH holding only a fake ``pdflatex`` script (or none)."""
    folder.mkdir()
    if pdflatex is not None:
        script = folder / "pdflatex"
        script.write_text("#!/bin/sh\n" + pdflatex)
        script.chmod(0o755)
    return str(folder)


PDFLATEX_FAILURES = [
    # (id, script, exit status, message fragments)
    ("exits-1-with-aux-files",
     'touch document.aux document.log missfont.log "$PWD/../stray.tmp" 2>/dev/null\n'
     "echo '! LaTeX Error: File tikz.sty not found.' > document.log\nexit 1\n",
     1, ["pdflatex failed (exit status 1): ! LaTeX Error: File tikz.sty not found."]),
    ("exits-1-silently", "exit 1\n", 1, ["pdflatex failed (exit status 1)"]),
    ("crashes-without-log", 'echo "pdflatex: fatal: cannot find format file" >&2\nexit 3\n', 1,
     ["pdflatex failed (exit status 3): pdflatex: fatal: cannot find format file"]),
    ("succeeds-without-pdf", "touch document.log\nexit 0\n", 1, ["pdflatex failed (exit status 0)"]),
]


@pytest.mark.parametrize(("script", "status", "fragments"), [c[1:] for c in PDFLATEX_FAILURES], ids=[c[0] for c in PDFLATEX_FAILURES])
def test_a_failing_pdflatex_leaves_no_stray_files(workdir: Path, capsys, monkeypatch, script: str, status: int, fragments: list[str]) -> None:
    monkeypatch.setenv("PATH", fake_tools(workdir / "bin", script))
    (workdir / "out").mkdir()
    (workdir / "out" / "doc.pdf").write_bytes(b"%PDF old")
    before = files_in(workdir / "out")
    exit_status, _, err = run(["--format", "pdf", "-o", "out/doc.pdf"], capsys)
    assert exit_status == status, err
    assert err.startswith("derive: ") and len(err.strip().splitlines()) <= 3 and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    assert files_in(workdir / "out") == before
    assert sorted(os.listdir(workdir)) == ["bin", "out"]  # nothing in the current directory either


def test_a_missing_pdflatex_exits_2_with_an_install_hint(workdir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("PATH", fake_tools(workdir / "bin", None))
    status, _, err = run(["--format", "pdf"], capsys)
    assert_refused(status, err, "pdflatex was not found", "apt-get install texlive-latex-base", "--format latex")
    assert sorted(os.listdir(workdir)) == ["bin"]


def test_a_pdflatex_that_cannot_run_exits_2(workdir: Path, capsys, monkeypatch) -> None:
    folder = workdir / "bin"
    folder.mkdir()
    (folder / "pdflatex").write_text("not a program")
    (folder / "pdflatex").chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    status, _, err = run(["--format", "pdf"], capsys)
    assert_refused(status, err, "pdflatex", "could not be run")
    assert sorted(os.listdir(workdir)) == ["bin"]


# ---------------------------------------------------------------- nothing executed

HOSTILE_TITLE = r"\input{/etc/passwd} \write18{rm -rf ~} 100% $x$ & #1 ~ ^ {} _"
MARKDOWN_HOSTILE = "<script>alert(1)</script> [link](javascript:x) | table | *bold* `code` $$x$$ ![i](x) &amp; <b>"
TEX_FILE_WRITES = r"\immediate\openout5=pwned.tex \immediate\write5{x}\immediate\closeout5 \immediate\write18{touch pwned}"


def spec_with_title(folder: Path, title: str) -> str:
    """A spec file holding ``title`` (as a TOML literal string where possible)."""
    quoted = "'" + title + "'" if "'" not in title and "\n" not in title else '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    (folder / "spec.toml").write_text(edit(('title = "t"', f"title = {quoted}")), encoding="utf-8")
    return "spec.toml"


def markdown_unescape(text: str) -> str:
    """What a CommonMark renderer shows for backslash escapes: the escaped punctuation itself."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def assert_markdown_literal(escaped: str, original: str) -> None:
    """Every Markdown special character is escaped, and unescaping gives the text back."""
    assert markdown_unescape(escaped) == original
    bare = re.sub(r"\\[!-/:-@\[-`{-~]", "", escaped)  # drop each escaped pair
    assert not set(bare) & MARKDOWN_SPECIALS, bare


LATEX_ESCAPES = sorted(LATEX_SPECIALS.items(), key=lambda item: -len(item[1]))


def latex_unescape(text: str) -> str:
    """Undo escape_latex, refusing any backslash or special character it would not write."""
    out, index = [], 0
    while index < len(text):
        for char, escaped in LATEX_ESCAPES:
            if text.startswith(escaped, index):
                out.append(char)
                index += len(escaped)
                break
        else:
            assert text[index] not in "\\{}$&%#_~^", f"unescaped {text[index]!r} in {text!r}"
            out.append(text[index])
            index += 1
    return "".join(out)


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        from _tools import _missing

        _missing("pdftotext")
    # -raw keeps the spaces the default layout analysis drops between one-letter words
    return subprocess.run(["pdftotext", "-raw", "-l", "1", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def pdf_title(pdf: bytes) -> str:
    return " ".join(pdf_text(pdf).split("This document")[0].split())


@pytest.mark.parametrize("title", [HOSTILE_TITLE, TEX_FILE_WRITES], ids=["issue-title", "file-writes"])
def test_a_hostile_title_prints_literally_in_the_pdf(workdir: Path, capsys, title: str) -> None:
    require_pdflatex()
    spec = spec_with_title(workdir, title)
    status, _, err = run([spec, "--format", "latex", "-o", "out/doc.tex"], capsys)
    assert status == 0, err
    latex = (workdir / "out" / "doc.tex").read_text()
    assert "\\title{" + escape_latex(title) + "}" in latex
    assert latex_unescape(escape_latex(title)) == title
    status, _, err = run([spec, "--format", "pdf", "-o", "out/doc.pdf"], capsys)
    assert status == 0, err
    assert sorted(os.listdir(workdir / "out")) == ["doc.pdf", "doc.tex"]  # no .aux, .log or .tmp
    assert not list(workdir.rglob("pwned*"))
    assert pdf_title((workdir / "out" / "doc.pdf").read_bytes()) == " ".join(title.split())


@pytest.mark.parametrize("title", [HOSTILE_TITLE, MARKDOWN_HOSTILE, TEX_FILE_WRITES, "# not a heading", "1. not a list"])
def test_a_hostile_title_is_escaped_in_markdown(workdir: Path, capsys, title: str) -> None:
    spec = spec_with_title(workdir, title)
    status, out, err = run([spec, "-o", "-"], capsys)
    assert status == 0, err
    heading = out.splitlines()[0]
    assert heading.startswith("# ")
    assert_markdown_literal(heading[2:], title)
    assert not re.search(r"(?<!\\)<(script|b>)|(?<!\\)\]\(javascript", out)


@pytest.mark.parametrize("title", [MARKDOWN_HOSTILE, "it's `q` \"d\" a-b"])
def test_markdown_hostile_title_prints_literally_in_the_pdf(workdir: Path, capsys, title: str) -> None:
    require_pdflatex()
    spec = spec_with_title(workdir, title)
    status, _, err = run([spec, "--format", "pdf", "-o", "doc.pdf"], capsys)
    assert status == 0, err
    shown = pdf_title((workdir / "doc.pdf").read_bytes())
    assert shown == " ".join(title.split())


def test_latex_ligatures_print_literally(workdir: Path, capsys) -> None:
    require_pdflatex()
    title = "a--b---c ``q'' ,,d <<e>> !` ?` it's"
    spec = spec_with_title(workdir, title)
    status, _, err = run([spec, "--format", "pdf", "-o", "doc.pdf"], capsys)
    assert status == 0, err
    assert pdf_title((workdir / "doc.pdf").read_bytes()) == title


def test_any_unicode_title_compiles(workdir: Path, capsys) -> None:
    require_pdflatex()
    spec = spec_with_title(workdir, "Backprop für alle: σ, Ω, 中文, 😀")
    status, _, err = run([spec, "--format", "pdf", "-o", "doc.pdf"], capsys)
    assert status == 0, err


PRINTABLE = st.characters(categories=("L", "M", "N", "P", "S", "Zs"))
LATIN = st.characters(min_codepoint=0x20, max_codepoint=0xFF, categories=("L", "N", "P", "S", "Zs"))
LIGATURES = ("--", "``", "''", ",,", "<<", ">>", "!`", "?`", "'", "`")


@settings(max_examples=500, deadline=None)
@given(st.text(PRINTABLE, max_size=60))
def test_escape_markdown_round_trips_and_leaves_nothing_special(title: str) -> None:
    assert_markdown_literal(escape_markdown(title), title)


@settings(max_examples=500, deadline=None)
@given(st.text(LATIN, max_size=60))
def test_escape_latex_round_trips_and_leaves_nothing_special(title: str) -> None:
    assert latex_unescape(escape_latex(title)) == title


@settings(max_examples=500, deadline=None)
@given(st.text(PRINTABLE, max_size=60))
def test_escape_latex_writes_only_what_pdflatex_can_set(title: str) -> None:
    """Characters pdflatex cannot set become a Greek letter in math or a visible [U+XXXX], never raw input."""
    from derive.latex_text import TEXT_RANGES

    escaped = escape_latex(title)
    for char in escaped:
        code = ord(char)
        assert 0x20 <= code < 0x7F or any(low <= code <= high for low, high in TEXT_RANGES), repr(char)
    commands = set(re.findall(r"\\([A-Za-z]+)", escaped))
    allowed = {"textbackslash", "textasciitilde", "textasciicircum", "textasciigrave", "textquotesingle",
               "textless", "textgreater", "texttt", "ensuremath"}
    greek = {name for name in commands if name.lower().rstrip("s") in {
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
        "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "varsigma"}}
    assert commands - allowed - greek == set(), commands


@settings(
    max_examples=4, deadline=None, derandomize=True, phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(st.text(LATIN, min_size=1, max_size=40).filter(lambda t: t.strip() and not any(x in t for x in LIGATURES)))
def test_random_latin_titles_compile_and_print_literally(workdir: Path, capsys, title: str) -> None:
    """Random titles of Latin-1 characters (pdflatex's T1 encoding covers them) print as typed."""
    require_pdflatex()
    spec = spec_with_title(workdir, title)
    status, _, err = run([spec, "--format", "pdf", "-o", "doc.pdf"], capsys)
    assert status == 0, err
    shown = pdf_title((workdir / "doc.pdf").read_bytes())
    assert unicodedata.normalize("NFKC", shown) == unicodedata.normalize("NFKC", " ".join(title.split()))


@settings(
    max_examples=3, deadline=None, derandomize=True, phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(PRINTABLE, min_size=5, max_size=30))
def test_random_unicode_titles_compile(workdir: Path, capsys, title: str) -> None:
    require_pdflatex()
    spec = spec_with_title(workdir, title)
    status, _, err = run([spec, "--format", "pdf", "-o", "doc.pdf"], capsys)
    assert status == 0, err


# ---------------------------------------------------------------- size limits


def wide_spec(hidden: int, inputs: int = 2, outputs: int = 2) -> str:
    """An inputs-hidden-outputs sigmoid network with small decimal weights."""

    def matrix(rows: int, columns: int) -> str:
        return "[" + ", ".join("[" + ", ".join(f"0.{(r * 7 + c * 3) % 90 + 10}" for c in range(columns)) + "]" for r in range(rows)) + "]"

    return f"""\
[[layer]]
activation = "sigmoid"
weight = {matrix(hidden, inputs)}
bias = {matrix(1, hidden)[1:-1]}

[[layer]]
activation = "sigmoid"
weight = {matrix(outputs, hidden)}

[data]
input = [{", ".join(["0.5"] * inputs)}]
target = [{", ".join(["0.25"] * outputs)}]
"""


def test_a_network_too_large_to_derive_in_full_is_refused_with_advice(workdir: Path, capsys) -> None:
    (workdir / "wide.toml").write_text(wide_spec(250))  # 500 + 250 + 500 = 1,250 parameters
    for format in ("markdown", "latex", "pdf"):
        status, _, err = run(["wide.toml", "--format", format], capsys)
        assert_refused(status, err, "wide.toml", "1,250 parameters", f"at most {limits.MAX_DERIVED_PARAMETERS:,}",
                       "--only", "--style matrix", "--format json")
    assert sorted(os.listdir(workdir)) == ["wide.toml"]
    status, _, err = run(["wide.toml", "--format", "json"], capsys)
    assert status == 0, err


def test_the_limit_is_on_parameters_derived_in_full(workdir: Path, capsys) -> None:
    (workdir / "wide.toml").write_text(wide_spec(100))
    names = ",".join(f"w{i}" for i in range(1, limits.MAX_DERIVED_PARAMETERS + 2))
    status, _, err = run(["wide.toml", "--only", names, "-o", "out.md"], capsys)
    assert_refused(status, err, f"--only names {limits.MAX_DERIVED_PARAMETERS + 1:,} parameters")
    status, _, err = run(["wide.toml", "--only", "w1,w7", "-o", "out.md"], capsys)
    assert status == 0, err


def test_even_only_and_matrix_have_a_ceiling(workdir: Path, capsys) -> None:
    (workdir / "huge.toml").write_text(wide_spec(500))  # 2,500 parameters
    for extra in (["--only", "w1"], ["--style", "matrix"]):
        status, _, err = run(["huge.toml", *extra, "-o", "out.md"], capsys)
        assert_refused(status, err, "2,500 parameters", f"at most {limits.MAX_DOCUMENT_PARAMETERS:,}", "--format json")
    assert sorted(os.listdir(workdir)) == ["huge.toml"]


def test_training_too_long_for_the_network_names_train_steps(workdir: Path, capsys) -> None:
    (workdir / "wide.toml").write_text(wide_spec(100) + "\n[train]\nsteps = 50000\n")
    status, _, err = run(["wide.toml", "--format", "json", "-o", "out.json"], capsys)
    assert_refused(status, err, "wide.toml:15: train.steps: expected at most", "for 500 parameters and 1 sample ", "found 50000")


def test_a_batch_too_large_for_the_exact_step_names_data_input(workdir: Path, capsys) -> None:
    spec = wide_spec(100)
    spec = spec.replace("input = [0.5, 0.5]", "input = [" + ", ".join(["[0.5, 0.5]"] * 2001) + "]")
    spec = spec.replace("target = [0.25, 0.25]", "target = [" + ", ".join(["[0.25, 0.25]"] * 2001) + "]")
    (workdir / "batch.toml").write_text(spec)
    status, _, err = run(["batch.toml", "--format", "json", "-o", "out.json"], capsys)
    assert_refused(status, err, "batch.toml:11: data.input: expected at most", "found 2001 samples")
