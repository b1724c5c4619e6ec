"""Fuzzing the real entry point, derive.cli.main.

Hypothesis mutates the seed spec (drops, duplicates and retypes keys, perturbs shapes, injects
hostile strings), generates random TOML text and bytes, draws magnitudes from 1e-300 to 1e300 into
every number, -o paths (symlinks, folders, a trailing slash, the spec itself by any spelling) and
[torch] tables (trusted or not, with paths in and out of the spec's folder). Whatever comes in, the
result is a correct document (exit 0, the file written) or a clean refusal (exit 2, a short message,
no traceback, no file), within a time bound per example. Exit 1 is an internal error: a bug.
"""

from __future__ import annotations

import json
import math
import os
import stat
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from derive import cli

from conftest import SEED_SPEC as BASE, assert_markdown_literal, assert_refused, edit, json_numbers, run_cli
from derive.components import ACTIVATIONS, LOSSES

FUZZ = settings(
    max_examples=60,
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
    figures = output.with_suffix(".figures").name  # a Markdown file's SVG figures, which it links
    leftovers = [name for name in os.listdir(workdir) if name not in ("spec.toml", output.name, figures)]
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
        assert all(math.isfinite(v) for v in json_numbers(payload)), "NaN or infinity in JSON"
    elif format == "latex":
        assert data.startswith(b"\\documentclass") and data.rstrip().endswith(b"\\end{document}"), data[:80]
    else:
        assert data.startswith(b"# "), data[:80]


def run_spec(workdir: Path, capsys, text: str | bytes, format: str) -> tuple[int, str]:
    spec = workdir / "spec.toml"
    spec.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    output = workdir / {"json": "out.json", "latex": "out.tex"}.get(format, "out.md")
    status = cli.main(["spec.toml", "--format", format, "-o", output.name])
    err = capsys.readouterr().err
    check_outcome(workdir, status, err, output, format)
    event(f"exit {status}")
    return status, err


@FUZZ
@given(mutated_spec())
def test_mutated_specs_give_json_or_a_clean_refusal(workdir: Path, capsys, text: str) -> None:
    run_spec(workdir, capsys, text, "json")


@settings(FUZZ, max_examples=40)
@given(mutated_spec())
def test_mutated_specs_give_markdown_or_a_clean_refusal(workdir: Path, capsys, text: str) -> None:
    run_spec(workdir, capsys, text, "markdown")


@settings(FUZZ, max_examples=30)
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


# ---------------------------------------------------------------- magnitudes from 1e-300 to 1e300

RENDER_SECONDS = 10.0  # each render of a magnitude example: a document, or a refusal, within this
MAGNITUDES = st.builds(lambda sign, digit, exponent: f"{sign}{digit}e{exponent}",
                       st.sampled_from(["", "-"]), st.integers(1, 9), st.integers(-300, 300))
PROBABILITIES = st.builds(lambda digit, exponent: f"{digit}e-{exponent}", st.integers(1, 9), st.integers(1, 300))


@st.composite
def magnitude_specs(draw) -> str:
    """The seed's shape (2-2-2) with every weight, bias, input and target a magnitude from 1e-300 to 1e300."""
    loss = draw(st.sampled_from(LOSSES.names()))
    hidden = draw(st.sampled_from(ACTIVATIONS.names()))
    output = "sigmoid" if loss == "bce" else draw(st.sampled_from(ACTIVATIONS.names()))
    numbers = st.lists(MAGNITUDES, min_size=2, max_size=2).map(lambda pair: f"[{pair[0]}, {pair[1]}]")
    if loss in ("bce", "cross_entropy"):
        target = draw(st.lists(PROBABILITIES, min_size=2, max_size=2).map(lambda pair: f"[{pair[0]}, {pair[1]}]"))
    else:
        target = draw(numbers)
    return edit(
        ('activation = "sigmoid"\nweight = [[0.15, 0.20], [0.25, 0.30]]',
         f'activation = "{hidden}"\nweight = [{draw(numbers)}, {draw(numbers)}]'),
        ("bias = [0.35, 0.35]", f"bias = {draw(numbers)}"),
        ('activation = "sigmoid"\nweight = [[0.40, 0.45], [0.50, 0.55]]',
         f'activation = "{output}"\nweight = [{draw(numbers)}, {draw(numbers)}]'),
        ("bias = [0.60, 0.60]", f"bias = {draw(numbers)}"),
        ("input = [[0.05, 0.10]]", f"input = [{draw(numbers)}]"),
        ("target = [[0.01, 0.99]]", f"target = [{target}]"),
        ('kind = "half_sse"', f'kind = "{loss}"'),
    )


@settings(FUZZ, max_examples=15)
@given(magnitude_specs())
def test_magnitudes_from_1e_minus_300_to_1e300_give_a_document_or_a_refusal_in_time(workdir: Path, capsys, text: str) -> None:
    for format in ("json", "markdown", "latex"):
        start = time.perf_counter()
        status, _ = run_spec(workdir, capsys, text, format)
        assert time.perf_counter() - start <= RENDER_SECONDS, f"{format} took over {RENDER_SECONDS} s"


# ---------------------------------------------------------------- -o paths

OUTPUT_SECONDS = 5.0
# (what -o names, how the test makes it): where the output lands, or None where derive must refuse
OUTPUTS = {
    "new file": ("out.md", None),
    "existing file": ("old.md", None),
    "nested in a new folder": ("new/deeper/out.md", None),
    "symlink to a file": ("link.md", None),
    "dangling symlink": ("dangling.md", None),
    "folder with a trailing slash": ("docs/", None),
    "missing folder with a trailing slash": ("missing/", "refused"),
    "folder without the slash": ("docs", "refused"),
    "symlink to a folder, with the slash": ("docs-link/", None),
    "read-only file": ("read-only.md", "refused"),
    "the spec": ("spec.toml", "refused"),
    "the spec, spelt ./": ("./spec.toml", "refused"),
    "the spec, through ..": ("docs/../spec.toml", "refused"),
    "the spec, absolute": ("{absolute}", "refused"),
    "a symlink to the spec": ("spec-link.toml", "refused"),
    "a hard link to the spec": ("spec-hard.toml", "refused"),
    "empty": ("", "refused"),
    "a file as a folder": ("old.md/x.md", "refused"),
    "a name too long": ("x" * 300 + ".md", "refused"),
}


def output_folder(folder: Path) -> None:
    """A folder with every kind of thing -o may name."""
    (folder / "spec.toml").write_text(BASE)
    (folder / "old.md").write_text("old\n")
    (folder / "real.md").write_text("real\n")
    (folder / "link.md").symlink_to("real.md")
    (folder / "dangling.md").symlink_to("made.md")
    (folder / "docs").mkdir()
    (folder / "docs-link").symlink_to("docs")
    (folder / "read-only.md").write_text("keep\n")
    (folder / "read-only.md").chmod(0o444)
    (folder / "spec-link.toml").symlink_to("spec.toml")
    os.link(folder / "spec.toml", folder / "spec-hard.toml")


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under the folder: a symlink's target, a file's bytes and mode, a folder as such."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = ("link", os.readlink(path))
        elif path.is_dir():
            found[name] = ("folder",)
        else:
            found[name] = ("file", path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return found


def written_file(folder: Path, given: str, extension: str) -> str:
    """Where -o GIVEN must write: a folder's spec.EXT, a symlink's target, else the path itself."""
    path = folder / given / f"spec.{extension}" if given.endswith("/") else folder / given
    return str(Path(os.path.realpath(path)).relative_to(folder.resolve()))


@settings(FUZZ, max_examples=40)
@given(st.sampled_from(sorted(OUTPUTS)), st.sampled_from(["markdown", "json", "latex"]), st.sampled_from(["spec.toml", "./spec.toml"]))
def test_o_writes_where_it_promises_or_refuses_and_changes_nothing(tmp_path_factory, capsys, monkeypatch, kind: str,
                                                                  format: str, spec: str) -> None:
    folder = tmp_path_factory.mktemp("output")
    output_folder(folder)
    monkeypatch.chdir(folder)
    given, refused = OUTPUTS[kind]
    given = given.format(absolute=folder / "spec.toml")
    before = snapshot(folder)
    start = time.perf_counter()
    status, out, err = run_cli([spec, "--format", format, "-o", given], capsys)
    assert time.perf_counter() - start <= OUTPUT_SECONDS
    after = snapshot(folder)
    assert after["spec.toml"] == before["spec.toml"]  # never written over, whatever the spelling
    if refused:
        assert_refused(status, err, "-o")
        assert after == before, f"{kind}: a refusal changed the folder"
        return
    assert status == 0, err
    target = written_file(folder, given, {"markdown": "md", "json": "json", "latex": "tex"}[format])
    changed = {name for name in after if after[name] != before.get(name)} | (set(before) - set(after))
    made_folders = {name for name in changed if after.get(name) == ("folder",)}
    figures = {name for name in changed if format == "markdown" and ".figures" in name}  # the SVGs it links
    assert changed - made_folders - figures == {target}, f"{kind}: changed {changed}, expected only {target}"
    assert all(after[name] == before[name] for name in before if before[name][0] == "link")  # links stay links
    text = (folder / target).read_text()
    assert text.startswith("{" if format == "json" else ("# " if format == "markdown" else "\\documentclass"))
    assert not [name for name in after if name.endswith(".tmp")]


# ---------------------------------------------------------------- [torch] tables

TORCH_SECONDS = 5.0
MODULE = """\
import pathlib
pathlib.Path(__file__).with_name("imported.marker").write_text("ran")
raise SystemExit("this module must never be imported here")
"""
INSIDE = ["net.py", "models/net.py", "models/../net.py", "./net.py"]
OUTSIDE = ["../net.py", "models/../../net.py", "{absolute}", "outside-link/net.py", "models/link.py", "../home/../net.py"]
CLASSES = ["Net", "net", "Missing", "_x"]


@st.composite
def torch_specs(draw) -> tuple[str, str]:
    """A [torch] table naming a module path (inside the spec's folder or leading out of it), and which it is."""
    where = draw(st.sampled_from(["inside", "outside"]))
    path = draw(st.sampled_from(INSIDE if where == "inside" else OUTSIDE))
    table = f'[torch]\nmodule = "{path}:{draw(st.sampled_from(CLASSES))}"\n'
    rest = draw(st.sampled_from(["[data]\ninput = [[0.05, 0.10]]\ntarget = [[0.01, 0.99]]\n", ""]))
    extra = draw(st.sampled_from(["", '[loss]\nkind = "mse"\n', "[train]\nlr = 0.1\n"]))
    return table + rest + extra, where


def torch_folder(root: Path) -> Path:
    """home/ holding the spec, a module inside it (also under models/), and one outside; every module
    leaves a marker file when imported, which none may be."""
    home = root / "home"
    (home / "models").mkdir(parents=True)
    for module in (home / "net.py", home / "models" / "net.py", root / "net.py"):
        module.write_text(MODULE)
    (home / "models" / "link.py").symlink_to(root / "net.py")
    (home / "outside-link").symlink_to(root)
    return home


def markers(root: Path) -> list[Path]:
    return sorted(root.rglob("imported.marker"))


@settings(FUZZ, max_examples=30)
@given(torch_specs(), st.booleans())
def test_a_torch_table_runs_nothing_untrusted_and_nothing_outside_the_folder_trusted(tmp_path_factory, capsys, monkeypatch,
                                                                                    drawn, trusted: bool) -> None:
    """Untrusted, a [torch] table is refused before anything is imported (nothing new in sys.modules);
    trusted, a module path that leads out of the spec's folder is refused too."""
    text, where = drawn
    root = tmp_path_factory.mktemp("torch")
    home = torch_folder(root)
    (home / "spec.toml").write_text(text.replace("{absolute}", str(root / "net.py")))
    monkeypatch.chdir(home)
    cli.main(["mazur", "--format", "json", "-o", "warm.json"])  # derive's own lazy imports, before the count
    os.remove("warm.json")
    capsys.readouterr()
    modules = set(sys.modules)
    start = time.perf_counter()
    status, out, err = run_cli(["spec.toml", "-o", "out.md"] + (["--trust-code"] if trusted else []), capsys)
    assert time.perf_counter() - start <= TORCH_SECONDS
    assert not (home / "out.md").exists()
    if trusted and where == "inside":  # the module runs (and stops with SystemExit): refused, naming the failure
        assert_refused(status, err, "importing the file failed: SystemExit")
        return
    assert markers(root) == [], "a module was imported"
    if trusted:
        assert_refused(status, err, "torch.module", "spec's folder")
    else:
        assert set(sys.modules) == modules, set(sys.modules) - modules
        assert_refused(status, err, "spec.toml:2: torch.module", "--trust-code")
