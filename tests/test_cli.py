"""The command line as a user runs it (design.md, "Contract: command line" and "Bad input").

- ``python -m derive`` in a fresh folder: the default output path, printed on stderr; ``-o -``; the
  four formats; byte-identical output from run to run and across hash seeds;
- exit status 2 with one to three lines on stderr (never a traceback) for every user-caused error,
  1 for an internal error; no output file created or changed on any error, no temporary file left;
- documents too large to read are refused with advice; numbers that overflow are refused.

Most cases run in this process through derive.cli.main (fast); the ones marked as such run as
``python -m derive`` subprocesses, two at a time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import (
    SEED_SPEC, assert_json_matches_torch, assert_refused, edit, files_in, make_layer, make_network, make_train,
    one_neuron, require_pdflatex, run_cli, run_derive, seed_with_batch, wide_spec,
)
from derive import limits
from derive.api import Document
from derive.options import Options
from derive.spec import parse_spec

EXTENSIONS = {"markdown": "md", "latex": "tex", "json": "json", "pdf": "pdf"}


def in_parallel(jobs: list) -> list:
    """Run independent subprocess jobs two at a time (two cores)."""
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda job: job(), jobs))


# ---------------------------------------------------------------- successful runs, as python -m derive

# A spec that exercises what could make output depend on the process: a Unicode title, Adam's state,
# several steps (sets, dicts and hash-seeded orders must not leak into the bytes).
DETERMINISM_SPEC = 'title = "Ünïcode & {sets} ordered"\n' + edit(
    ('title = "t"\n', ""), ('activation = "sigmoid"\nweight = [[0.15', 'activation = "tanh"\nweight = [[0.15'),
    ('optimizer = "sgd"', 'optimizer = "adam"'), ("lr = 0.5", "lr = 0.1"), ("steps = 1", "steps = 3"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """python -m derive with no argument at all in a fresh folder, and each format of a spec file under two hash seeds."""
    kinds = [kind for kind in EXTENSIONS if kind != "pdf" or require_pdflatex()]
    home = tmp_path_factory.mktemp("default")
    jobs, keys = [lambda: (home, run_derive([], home))], [("markdown", "default")]
    for kind in kinds:
        args = [] if kind == "markdown" else ["--format", kind]  # markdown is the default
        for seed in ("1", "random"):
            folder = tmp_path_factory.mktemp(f"spec-{kind}-{seed}")
            (folder / "net.toml").write_text(DETERMINISM_SPEC, encoding="utf-8")
            jobs.append(lambda args=args, folder=folder, seed=seed: (folder, run_derive(["net.toml", *args], folder, seed)))
            keys.append((kind, seed))
    return dict(zip(keys, in_parallel(jobs)))


def the_output(folder: Path, result, name: str) -> bytes:
    """The file a successful run wrote, ``name`` (and a Markdown file's SVG figures in <name>.figures/), each
    named on stderr; nothing on stdout, nothing else written."""
    stderr = result.stderr.decode() if isinstance(result.stderr, bytes) else result.stderr
    assert result.returncode == 0, stderr
    written = [file for file in files_in(folder) if file != "net.toml"]  # no temporary file left behind
    figures = [file for file in written if file.startswith(name.rpartition(".")[0] + ".figures/")]
    assert bool(figures) == name.endswith(".md") and sorted(written) == sorted([name] + figures)
    assert sorted(stderr.splitlines()) == sorted(f"derive: wrote {file}" for file in [name] + figures)
    assert not result.stdout
    return (folder / name).read_bytes()


def without_figures(markdown: bytes) -> bytes:
    """Markdown as ``-o -`` writes it: a file's links to its SVG figures taken out."""
    return re.sub(rb"\n\n!\[[^\]]*\]\([^)]*\.figures/[^)]*\)", b"", markdown)


def test_the_default_run_writes_output_mazur_md_and_names_it_on_stderr(runs) -> None:
    text = the_output(*runs[("markdown", "default")], "output/mazur.md").decode("utf-8")
    assert text.startswith("# A step-by-step backpropagation example")
    assert "0.298371109" in text  # the post's E_total


def in_process(argv: list[str], capsys) -> subprocess.CompletedProcess:
    """derive.cli.main(argv), reported as a finished process."""
    status, out, err = run_cli(argv, capsys)
    return subprocess.CompletedProcess(argv, status, out, err)


def test_format_latex_writes_a_tex_article(workdir: Path, capsys) -> None:
    text = the_output(workdir, in_process(["--format", "latex"], capsys), "output/mazur.tex").decode("utf-8")
    assert text.lstrip().startswith("\\documentclass")
    assert "\\begin{document}" in text and text.rstrip().endswith("\\end{document}")


def test_format_json_writes_derive_json(workdir: Path, capsys) -> None:
    document = json.loads(the_output(workdir, in_process(["--format", "json"], capsys), "output/mazur.json"))
    assert document["format"] == "derive-json/1"
    assert f"{document['steps'][0]['loss']:.9f}" == "0.298371109"


def test_format_pdf_writes_a_pdf(runs) -> None:
    require_pdflatex()
    assert the_output(*runs[("pdf", "1")], "output/net.pdf").startswith(b"%PDF")


@pytest.mark.parametrize("kind", list(EXTENSIONS))
def test_output_is_byte_identical_across_processes_and_hash_seeds(runs, kind: str) -> None:
    if kind == "pdf":
        require_pdflatex()
    outputs = []
    for seed in ("1", "random"):
        folder, result = runs[(kind, seed)]
        assert result.returncode == 0, result.stderr.decode()
        outputs.append((folder / "output" / f"net.{EXTENSIONS[kind]}").read_bytes())
    assert outputs[0] == outputs[1]
    if kind != "pdf":  # and a third hash seed: this process's
        network = parse_spec(DETERMINISM_SPEC, source="net.toml", name="net")
        document = Document(network, Options(format=kind))
        expected = document.markdown(figures="net.figures").encode() if kind == "markdown" else document.render()
        assert expected == outputs[0]


def test_dash_o_dash_writes_to_stdout_and_creates_no_file(runs, workdir: Path, capsys) -> None:
    status, out, err = run_cli(["-o", "-"], capsys)
    assert status == 0 and err == ""
    assert out.encode() == without_figures(the_output(*runs[("markdown", "default")], "output/mazur.md"))
    assert files_in(workdir) == {}


@pytest.mark.parametrize("precision", ["0", "30"])
def test_the_precision_bounds_are_accepted(precision: str, capsys) -> None:
    status, out, err = run_cli(["--precision", precision, "-o", "-"], capsys)
    assert status == 0, err
    assert out.startswith("# ")


def test_help_shows_examples(workdir: Path, capsys) -> None:
    status, out, _ = run_cli(["--help"], capsys)
    assert status == 0 and "examples:" in out and "--only" in out
    assert files_in(workdir) == {}


def test_only_and_notation_on_the_command_line(capsys) -> None:
    status, out, err = run_cli(["mazur", "--only", "w5,b_h1", "-o", "-"], capsys)
    assert status == 0, err
    assert r"\frac{\partial E_{\mathit{total}}}{\partial w_{5}}" in out
    assert r"\frac{\partial E_{\mathit{total}}}{\partial b_{h1}}" in out
    assert r"\frac{\partial E_{\mathit{total}}}{\partial w_{6}}" not in out
    status, _, err = run_cli(["mazur", "--only", "w5,x7", "-o", "-"], capsys)
    assert_refused(status, err, "--only: no parameter named 'x7'")
    status, out, err = run_cli(["--notation", "indexed", "-o", "-"], capsys)
    assert status == 0, err
    assert "w^{(2)}_{11}" in out and "z^{(1)}_{1}" in out and r"\mathit{net}_{h1}" not in out


USER_TOML = """\
title = "My own network"

[[layer]]
activation = "sigmoid"
weight = [[0.10, -0.20], [0.30, 0.40], [-0.05, 0.15]]
bias = [0.5, -0.1, 0.0]

[[layer]]
activation = "sigmoid"
weight = [[-0.60, 0.70, 0.25], [0.80, 0.25, -0.35]]
bias = 0.05

[data]
input = [[0.3, 0.9]]
target = [[0.2, 0.6]]

[loss]
kind = "half_sse"

[train]
optimizer = "sgd"
lr = 0.25
steps = 1
"""


def test_a_users_spec_file_to_json_matches_torch(workdir: Path, capsys) -> None:
    """The network is built here too, directly, so that the spec reader is checked along with the numbers."""
    (workdir / "my_net.toml").write_text(USER_TOML, encoding="utf-8")
    status, _, err = run_cli(["my_net.toml", "--format", "json", "-o", "my.json"], capsys)
    assert status == 0 and "my.json" in err, err
    assert sorted(files_in(workdir)) == ["my.json", "my_net.toml"]
    ours = json.loads((workdir / "my.json").read_text(encoding="utf-8"))
    network = make_network(
        [make_layer("sigmoid", [["0.10", "-0.20"], ["0.30", "0.40"], ["-0.05", "0.15"]], ["0.5", "-0.1", "0"]),
         make_layer("sigmoid", [["-0.60", "0.70", "0.25"], ["0.80", "0.25", "-0.35"]], "0.05")],
        [["0.3", "0.9"]], [["0.2", "0.6"]], train=make_train(lr="0.25"))
    assert_json_matches_torch(network, ours)
    assert ours["steps"][0]["layers"][1]["bias"] == 0.05  # a shared bias stays one number
    assert ours["steps"][0]["layers"][1]["grad_bias"] is not None


# ---------------------------------------------------------------- bad input: exit 2, one message, no file

BAD_SPECS = {
    "bad_key.toml": edit(('bias = [0.35, 0.35]\n', 'bias = [0.35, 0.35]\ncolour = "red"\n')),
    "bad_activation.toml": SEED_SPEC.replace('activation = "sigmoid"', 'activation = "sigmod"', 1),
}
ERRORS = {
    # name: (arguments, words stderr must contain), run as python -m derive
    "missing spec file": (["nosuch.toml"], ["nosuch.toml", "found no such file"]),
    "unknown key": (["bad_key.toml"], ["bad_key.toml:7: layer[1].colour", "colour"]),
    "bad activation": (["bad_activation.toml"], ["bad_activation.toml:4: layer[1].activation", "sigmod",
                                                 "(did you mean 'sigmoid'?)"]),
    "bad activation with -o": (["bad_activation.toml", "-o", "keep.md"], ["sigmoid"]),
    "precision -1": (["--precision", "-1"], ["--precision: expected a whole number from 0 to 30, found -1"]),
    "unknown format": (["--format", "docx"], ["invalid choice: 'docx'"]),
    "binary spec": (["binary.toml"], ["binary.toml:1:", "not UTF-8"]),
    "deep nesting": (["deep.toml"], ["deep.toml:1: expected arrays, tables and dotted keys"]),
}
FILES = {**BAD_SPECS, "binary.toml": b"\xff\xfe\x00garbage", "deep.toml": b"x = " + b"[" * 50_000 + b"\n"}
# Files that a wrong implementation could overwrite: each default output path the cases name.
EXISTING = {
    "keep.md": b"keep me\n",
    **{f"output/{stem}.{ext}": f"old {stem}.{ext}\n".encode()
       for stem in ("mazur", "nosuch", "bad_key", "bad_activation") for ext in ("md", "tex", "json")},
}


@pytest.fixture(scope="module")
def error_runs(tmp_path_factory) -> dict:
    """Each bad-input case as python -m derive, in a folder full of outputs a wrong implementation could overwrite."""
    jobs = []
    for name, (args, _) in ERRORS.items():
        folder = tmp_path_factory.mktemp("error")
        for file, content in {**FILES, **EXISTING}.items():
            (folder / file).parent.mkdir(exist_ok=True)
            (folder / file).write_bytes(content if isinstance(content, bytes) else content.encode())
        before = files_in(folder)
        jobs.append(lambda args=args, folder=folder, before=before: (before, folder, run_derive(args, folder, text=True)))
    return {name: (before, files_in(folder), result) for name, (before, folder, result) in zip(ERRORS, in_parallel(jobs))}


@pytest.mark.parametrize("name", list(ERRORS))
def test_python_m_derive_refuses_bad_input_with_one_message_and_touches_no_file(error_runs, name: str) -> None:
    before, after, result = error_runs[name]
    assert_refused(result.returncode, result.stderr, *ERRORS[name][1])
    assert "usage:" not in result.stderr and result.stdout == ""
    assert after == before  # nothing created, nothing changed: keep.md and every old output keep their bytes


BAD_ARGUMENTS = [
    (["--precision", "abc"], ["--precision", "invalid int value: 'abc'"]),
    (["--precision", "2.5"], ["--precision", "'2.5'"]),
    (["--precision", "31"], ["--precision: expected a whole number from 0 to 30, found 31"]),
    (["--format", "PDF"], ["invalid choice: 'PDF'"]),
    (["--style", "tensor"], ["--style", "invalid choice"]),
    (["--notation", "greek"], ["--notation", "invalid choice"]),
    (["--bogus"], ["unrecognized arguments: --bogus"]),
    (["mazur", "extra"], ["unrecognized arguments: extra"]),
    (["--only", "w99"], ["--only: no parameter named 'w99'"]),
    (["--only", "b1"], ["--only: no parameter named 'b1'"]),  # per-neuron biases are b_h1 ... in Mazur notation
    (["mazur-classic", "--only", "b_h1"], ["--only: no parameter named 'b_h1'"]),  # and shared ones b1, b2
    (["-o", "."], ["is a folder"]),
    (["-o", "out.md/x.md"], ["cannot write the output"]),
    (["-o", "x" * 300 + ".md"], ["cannot write the output"]),
    (["mazurr"], ["(did you mean 'mazur'?)"]),
]


@pytest.mark.parametrize(("argv", "fragments"), BAD_ARGUMENTS, ids=[" ".join(a)[:30] for a, _ in BAD_ARGUMENTS])
def test_bad_arguments_exit_2_in_one_line_and_touch_no_file(workdir: Path, capsys, argv: list, fragments: list) -> None:
    (workdir / "out.md").write_bytes(b"precious")
    before = files_in(workdir)
    status, _, err = run_cli(argv, capsys)
    assert_refused(status, err, *fragments)
    assert "usage:" not in err
    assert files_in(workdir) == before


BAD = edit(("weight = [[0.15", "wieght = [[0.15"))


@pytest.mark.parametrize("format", ["markdown", "latex", "json", "pdf"])
def test_an_existing_output_file_keeps_its_bytes_on_error(workdir: Path, capsys, format: str) -> None:
    (workdir / "bad.toml").write_text(BAD)
    (workdir / "out").mkdir()
    (workdir / "out" / "result").write_bytes(b"\x00precious bytes\n")
    before = files_in(workdir)
    status, _, err = run_cli(["bad.toml", "--format", format, "-o", "out/result"], capsys)
    assert_refused(status, err, "bad.toml:5: layer[1].wieght: expected", "(did you mean 'weight'?)")
    assert files_in(workdir) == before


@pytest.mark.parametrize(("format", "extension"), [("markdown", "md"), ("latex", "tex"), ("json", "json")])
def test_the_default_output_path_is_untouched_on_error(workdir: Path, capsys, format: str, extension: str) -> None:
    (workdir / "bad.toml").write_text(BAD)
    status, _, err = run_cli(["bad.toml", "--format", format], capsys)
    assert_refused(status, err)
    assert not (workdir / "output").exists()  # not even the folder
    (workdir / "output").mkdir()
    (workdir / "output" / f"bad.{extension}").write_bytes(b"an earlier good result")
    before = files_in(workdir)
    status, _, err = run_cli(["bad.toml", "--format", format], capsys)
    assert_refused(status, err)
    assert files_in(workdir) == before


def test_a_good_run_replaces_the_file_and_leaves_no_temporary(workdir: Path, capsys) -> None:
    (workdir / "output").mkdir()
    (workdir / "output" / "mazur.md").write_bytes(b"old")
    status, _, err = run_cli([], capsys)
    assert status == 0, err
    assert sorted(os.listdir(workdir / "output")) == ["mazur.figures", "mazur.md"]
    assert (workdir / "output" / "mazur.md").read_bytes().startswith(b"# ")


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(workdir: Path, capsys, monkeypatch) -> None:
    (workdir / "out.md").write_bytes(b"old")

    def refuse(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    status, _, err = run_cli(["-o", "out.md"], capsys)
    assert_refused(status, err, "-o out.md: cannot write the output: no space left on the device")
    assert files_in(workdir) == {"out.md": b"old"}


def test_a_crash_while_rendering_is_an_internal_error_that_writes_nothing(workdir: Path, capsys, monkeypatch) -> None:
    import derive.render.markdown

    def broken(*args, **kwargs):
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(derive.render.markdown, "render_markdown", broken)
    (workdir / "out.md").write_bytes(b"old")
    status, _, err = run_cli(["-o", "out.md"], capsys)
    assert status == 1
    assert "internal error: RuntimeError: renderer bug" in err and "Traceback" not in err
    assert files_in(workdir) == {"out.md": b"old"}


# ---------------------------------------------------------------- pdflatex failing, missing or broken


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
def test_a_failing_pdflatex_leaves_no_stray_files(workdir: Path, capsys, monkeypatch, script: str, status: int,
                                                  fragments: list) -> None:
    monkeypatch.setenv("PATH", fake_tools(workdir / "bin", script))
    (workdir / "out").mkdir()
    (workdir / "out" / "doc.pdf").write_bytes(b"%PDF old")
    before = files_in(workdir / "out")
    exit_status, _, err = run_cli(["--format", "pdf", "-o", "out/doc.pdf"], capsys)
    assert exit_status == status, err
    assert err.startswith("derive: ") and len(err.strip().splitlines()) <= 3 and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    assert files_in(workdir / "out") == before
    assert sorted(os.listdir(workdir)) == ["bin", "out"]  # nothing in the current directory either


def test_a_missing_pdflatex_exits_2_with_an_install_hint(workdir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("PATH", fake_tools(workdir / "bin", None))
    status, _, err = run_cli(["--format", "pdf"], capsys)
    assert_refused(status, err, "pdflatex was not found", "apt-get install texlive-latex-base", "--format latex")
    assert sorted(os.listdir(workdir)) == ["bin"]


def test_a_pdflatex_that_cannot_run_exits_2(workdir: Path, capsys, monkeypatch) -> None:
    folder = workdir / "bin"
    folder.mkdir()
    (folder / "pdflatex").write_text("not a program")
    (folder / "pdflatex").chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    status, _, err = run_cli(["--format", "pdf"], capsys)
    assert_refused(status, err, "pdflatex", "could not be run")
    assert sorted(os.listdir(workdir)) == ["bin"]


# ---------------------------------------------------------------- size limits and overflow


def test_a_network_too_large_to_derive_in_full_is_refused_with_advice(workdir: Path, capsys) -> None:
    (workdir / "wide.toml").write_text(wide_spec(250))  # 500 + 250 + 500 = 1,250 parameters
    for format in ("markdown", "latex", "pdf"):
        status, _, err = run_cli(["wide.toml", "--format", format], capsys)
        assert_refused(status, err, "wide.toml", "1,250 parameters", f"at most {limits.MAX_DERIVED_PARAMETERS:,}",
                       "--only", "--style matrix", "--format json")
    assert sorted(os.listdir(workdir)) == ["wide.toml"]
    status, _, err = run_cli(["wide.toml", "--format", "json"], capsys)
    assert status == 0, err


def test_the_limit_is_on_parameters_derived_in_full(workdir: Path, capsys) -> None:
    (workdir / "wide.toml").write_text(wide_spec(100))
    names = ",".join(f"w{i}" for i in range(1, limits.MAX_DERIVED_PARAMETERS + 2))
    status, _, err = run_cli(["wide.toml", "--only", names, "-o", "out.md"], capsys)
    assert_refused(status, err, f"--only names {limits.MAX_DERIVED_PARAMETERS + 1:,} parameters")
    status, _, err = run_cli(["wide.toml", "--only", "w1,w7,b_h3", "-o", "out.md"], capsys)
    assert status == 0, err


def test_a_batch_just_above_the_limit_is_refused_at_once(workdir: Path, capsys) -> None:
    """The seed's 12 parameters take a first batch of MAX_DOCUMENT_SAMPLE_WORK // 12 samples in a document (its
    PDF compiles: tests/test_latex.py); one sample more is refused before any work, in well under a second."""
    samples = limits.MAX_DOCUMENT_SAMPLE_WORK // 12 + 1
    (workdir / "batch.toml").write_text(seed_with_batch(samples))
    for format in ("markdown", "latex", "pdf"):
        start = time.perf_counter()
        status, _, err = run_cli(["batch.toml", "--format", format, "-o", "out"], capsys)
        assert time.perf_counter() - start < 1.0
        assert_refused(status, err, f"the first batch has {samples:,} samples for 12 parameters",
                       f"at most {limits.MAX_DOCUMENT_SAMPLE_WORK:,} parameter-samples", "train.batch_size", "--format json")
    assert sorted(os.listdir(workdir)) == ["batch.toml"]


def test_even_only_and_matrix_have_a_ceiling(workdir: Path, capsys) -> None:
    (workdir / "huge.toml").write_text(wide_spec(500))  # 2,500 parameters
    for extra in (["--only", "w1"], ["--style", "matrix"]):
        status, _, err = run_cli(["huge.toml", *extra, "-o", "out.md"], capsys)
        assert_refused(status, err, "2,500 parameters", f"at most {limits.MAX_DOCUMENT_PARAMETERS:,}", "--format json")
    assert sorted(os.listdir(workdir)) == ["huge.toml"]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (one_neuron("identity", "1e300", 0, "1e300", "0.5", loss="mse"), ["the numbers overflow float64", "train.lr"]),
        (one_neuron("identity", "1", 0, "1", "0.5", loss="mse", steps=40, lr="1e200"), ["overflow", "train.lr"]),
        (one_neuron("identity", "2", "0", 1, "0.5", loss="bce"), ["bce loss needs outputs from 0 to 1", "nn.BCELoss",
                                                                    "use a sigmoid output layer"]),
    ],
    ids=["huge-product", "diverging-training", "bce-outside-0-1"],
)
def test_numbers_that_overflow_or_do_not_fit_the_loss_are_refused(workdir: Path, capsys, text: str, fragments: list) -> None:
    (workdir / "big.toml").write_text(text)
    status, _, err = run_cli(["big.toml", "--format", "json", "-o", "out.json"], capsys)
    assert_refused(status, err, *fragments)
    assert not (workdir / "out.json").exists()


def test_a_huge_net_input_is_printed_or_refused_cleanly(workdir: Path, capsys) -> None:
    # sigmoid(-3e6) is about 10^-1300000: printed in scientific notation, never as 0 or a traceback
    (workdir / "huge.toml").write_text(one_neuron("sigmoid", 3000, 0, 1000, "0.5"))
    status, _, err = run_cli(["huge.toml", "-o", "out.md"], capsys)
    assert status in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err
