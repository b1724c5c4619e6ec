"""-o keeps every promise, and SPEC is a file or an example: symlinks, devices, read-only files, folders,
the spec itself, a full disk, signals during a PDF build, pipes and devices as SPEC, names in documents.

(The default output path, -o -, and bad input in general are tests/test_cli.py's; hypothesis draws -o
paths in tests/test_cli_fuzz.py.)
"""

from __future__ import annotations

import errno
import io
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import derive
from conftest import SEED_SPEC, assert_refused, python_env, require_pdflatex, require_torch, run_cli, run_derive
from derive import files
from derive.cli import main
from derive.render.escape import latex_code, markdown_code

SPEC = SEED_SPEC


def leftovers(folder: Path) -> list[str]:
    """Temporary (.tmp) and hidden files left in a folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.name.startswith("."))


# ---------------------------------------------------------------- symlinks, devices, descriptors


def test_a_symlink_stays_a_symlink_and_its_target_is_replaced(workdir, capsys) -> None:
    (workdir / "real").mkdir()
    target = workdir / "real" / "doc.md"
    target.write_text("old")
    link = workdir / "doc.md"
    link.symlink_to(target)
    status, _, err = run_cli(["mazur", "-o", "doc.md"], capsys)
    assert status == 0, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("# A step-by-step")
    assert leftovers(workdir) == [] and leftovers(workdir / "real") == []
    # the figures sit beside the file the Markdown really is, where its relative links point
    assert "](doc.figures/network.svg)" in target.read_text() and (workdir / "real" / "doc.figures" / "network.svg").is_file()
    assert not (workdir / "doc.figures").exists()


def test_a_dangling_symlink_creates_its_target(workdir, capsys) -> None:
    link = workdir / "doc.md"
    link.symlink_to(workdir / "made.md")
    status, _, err = run_cli(["mazur", "-o", "doc.md"], capsys)
    assert status == 0, err
    assert link.is_symlink() and (workdir / "made.md").read_text().startswith("# A step-by-step")


def test_a_symlink_to_a_device_writes_the_device(workdir, capsys) -> None:
    link = workdir / "null.md"
    link.symlink_to(os.devnull)
    status, _, err = run_cli(["mazur", "-o", "null.md"], capsys)
    assert status == 0, err
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert not (workdir / "null.figures").exists() and not os.path.exists(os.devnull + ".figures")


@pytest.fixture
def dev_stdout():
    """/dev/stdout, checked to be the symlink it should be before and after; repaired if a run replaced it."""
    link = "/dev/stdout"
    if not os.path.islink(link):
        pytest.skip(f"{link} is not a symlink on this machine")
    target = os.readlink(link)
    yield link
    if not os.path.islink(link):  # derive replaced it: put the link back (as root) before failing
        repair = f"/dev/.stdout-repair-{os.getpid()}"
        os.symlink(target, repair)
        os.replace(repair, link)
        pytest.fail(f"derive replaced {link} with a file")


def test_dev_stdout_redirected_to_a_file(workdir, dev_stdout) -> None:
    with open(workdir / "file", "wb") as out:
        result = run_derive(["mazur", "-o", "/dev/stdout"], workdir, stdout=out, stderr=subprocess.PIPE)
    assert result.returncode == 0, result.stderr
    assert (workdir / "file").read_text().startswith("# A step-by-step")
    assert os.path.islink("/dev/stdout")
    assert not os.path.exists("/dev/stdout.figures")  # beside the file it writes to, never in /dev
    assert "](file.figures/network.svg)" in (workdir / "file").read_text() and (workdir / "file.figures").is_dir()


def test_a_link_of_ones_own_to_the_descriptor_is_written_through_it(workdir) -> None:
    (workdir / "out.md").symlink_to("/proc/self/fd/1")
    with open(workdir / "file", "wb") as out:
        result = run_derive(["mazur", "-o", "out.md"], workdir, stdout=out, stderr=subprocess.PIPE)
    assert result.returncode == 0, result.stderr
    assert (workdir / "file").read_text().startswith("# A step-by-step")
    assert os.readlink(workdir / "out.md") == "/proc/self/fd/1"


def test_dev_stdout_appended_to_a_file_keeps_what_was_there(workdir, dev_stdout) -> None:
    (workdir / "log").write_text("before\n")
    with open(workdir / "log", "ab") as out:
        result = run_derive(["mazur", "-o", "/dev/stdout"], workdir, stdout=out, stderr=subprocess.PIPE)
    assert result.returncode == 0, result.stderr
    assert (workdir / "log").read_text().startswith("before\n# A step-by-step")


def test_dev_stdout_into_a_pipe(workdir, dev_stdout) -> None:
    result = run_derive(["mazur", "-o", "/dev/stdout"], workdir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"# A step-by-step")


def test_a_named_pipe_is_written_in_place(workdir) -> None:
    fifo = workdir / "pipe"
    os.mkfifo(fifo)
    process = subprocess.Popen([sys.executable, "-m", "derive", "mazur", "-o", str(fifo)], cwd=workdir, env=python_env(),
                               stderr=subprocess.PIPE)
    # A non-blocking reader: should derive fail before opening the pipe, the test must not wait forever.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    data = b""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                chunk = os.read(reader, 65536)
            except BlockingIOError:
                chunk = None
            if chunk:
                data += chunk
            elif process.poll() is not None and chunk == b"":
                break
            else:
                time.sleep(0.01)
    finally:
        os.close(reader)
    assert process.wait(timeout=60) == 0, process.stderr.read()
    assert data.startswith(b"# A step-by-step") and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert b".figures/" not in data and not (workdir / "pipe.figures").exists()  # a pipe has nothing beside it


# ---------------------------------------------------------------- modes and read-only files


def test_a_read_only_output_is_refused_and_unchanged(workdir, capsys) -> None:
    path = workdir / "doc.md"
    path.write_text("keep me")
    path.chmod(0o444)
    status, _, err = run_cli(["mazur", "-o", "doc.md"], capsys)
    assert_refused(status, err, "doc.md", "read-only")
    assert path.read_text() == "keep me" and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_replaced_file_keeps_its_mode(workdir, capsys) -> None:
    path = workdir / "doc.md"
    path.write_text("old")
    path.chmod(0o640)
    status, _, err = run_cli(["mazur", "-o", "doc.md"], capsys)
    assert status == 0, err
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text().startswith("# A step-by-step")


def test_a_new_file_gets_the_umask_mode(workdir, capsys) -> None:
    old = os.umask(0o027)
    try:
        status, _, err = run_cli(["mazur", "-o", "new.md"], capsys)
    finally:
        os.umask(old)
    assert status == 0, err
    assert stat.S_IMODE((workdir / "new.md").stat().st_mode) == 0o640


# ---------------------------------------------------------------- folders


def test_a_trailing_slash_writes_into_an_existing_folder(workdir, capsys) -> None:
    (workdir / "docs").mkdir()
    status, _, err = run_cli(["mazur-classic", "--format", "latex", "-o", "docs/"], capsys)
    assert status == 0, err
    assert (workdir / "docs" / "mazur-classic.tex").read_text().startswith("\\documentclass")


def test_a_trailing_slash_to_a_missing_folder_is_refused(workdir, capsys) -> None:
    status, _, err = run_cli(["mazur", "-o", "newdir/"], capsys)
    assert_refused(status, err, "-o newdir/", "no such folder")
    assert list(workdir.iterdir()) == []


def test_an_existing_folder_without_slash_is_refused(workdir, capsys) -> None:
    (workdir / "docs").mkdir()
    status, _, err = run_cli(["mazur", "-o", "docs"], capsys)
    assert_refused(status, err, "-o docs", "is a folder", "docs/")
    assert list((workdir / "docs").iterdir()) == []


def test_an_empty_output_argument_is_refused(workdir, capsys) -> None:
    status, _, err = run_cli(["mazur", "-o", ""], capsys)
    assert_refused(status, err, "-o", "empty")


# ---------------------------------------------------------------- never over the spec


@pytest.mark.parametrize("spec, output", [
    ("net.toml", "net.toml"),
    ("net.toml", "./net.toml"),
    ("./net.toml", "sub/../net.toml"),
    ("link.toml", "net.toml"),
    ("net.toml", "link.toml"),
    ("net.toml", "{absolute}"),
    ("net.toml", "hard.toml"),
])
def test_writing_over_the_spec_is_refused(spec, output, workdir, capsys) -> None:
    (workdir / "net.toml").write_text(SPEC)
    (workdir / "sub").mkdir()
    (workdir / "link.toml").symlink_to("net.toml")
    os.link(workdir / "net.toml", workdir / "hard.toml")
    output = output.format(absolute=workdir / "net.toml")
    status, _, err = run_cli([spec, "-o", output], capsys)
    assert_refused(status, err, f"-o {output}", spec)
    assert (workdir / "net.toml").read_text() == SPEC


def test_writing_over_the_torch_module_is_refused(workdir, capsys) -> None:
    require_torch()
    module = workdir / "m.py"
    module.write_text("from torch import nn\nclass Net(nn.Sequential):\n    def __init__(self):\n"
                      "        super().__init__(nn.Linear(2, 1))\n")
    before = module.read_text()
    status, _, err = run_cli(["--from-torch", "m.py:Net", "--input", "1,2", "--target", "1", "-o", "./m.py"], capsys)
    assert_refused(status, err, "-o ./m.py", "m.py")
    assert module.read_text() == before


# ---------------------------------------------------------------- a full disk


def no_space(*_args) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_is_a_clean_refusal(workdir, capsys, monkeypatch) -> None:
    (workdir / "doc.md").write_text("old")
    monkeypatch.setattr(files, "_write_all", no_space)
    status, _, err = run_cli(["mazur", "-o", "doc.md"], capsys)
    assert_refused(status, err, "-o doc.md", "no space left")
    assert (workdir / "doc.md").read_text() == "old" and leftovers(workdir) == []


class FullStream(io.RawIOBase):
    """A stdout whose every write fails as a full disk does."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        no_space()


def test_a_full_disk_on_stdout_is_a_clean_refusal(capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(FullStream())))
    status = main(["mazur", "-o", "-"])
    err = capsys.readouterr().err
    assert_refused(status, err, "-o -", "no space left")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="/dev/full is Linux's")
def test_dev_full_as_output_and_as_stdout(workdir) -> None:
    result = run_derive(["mazur", "-o", "/dev/full"], workdir)
    assert result.returncode == 2 and b"no space left" in result.stderr, result.stderr
    assert not os.path.exists("/dev/full.figures")
    with open("/dev/full", "wb") as full:
        result = run_derive(["mazur", "-o", "-"], workdir, stdout=full, stderr=subprocess.PIPE)
    assert result.returncode == 2, result.stderr
    assert b"no space left" in result.stderr and b"Traceback" not in result.stderr


# ---------------------------------------------------------------- signals


def test_an_interrupted_write_leaves_no_temporary_file(workdir, capsys, monkeypatch) -> None:
    (workdir / "doc.md").write_text("old")

    def interrupted(*_args) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_write_all", interrupted)
    status, _, _ = run_cli(["mazur", "-o", "doc.md"], capsys)
    assert status == 130
    assert (workdir / "doc.md").read_text() == "old" and leftovers(workdir) == []


def big_spec(folder: Path) -> Path:
    """A 4-8-8-2 network: its PDF takes pdflatex long enough to be stopped in the middle."""
    def weights(rows: int, columns: int) -> str:
        return "[" + ", ".join("[" + ", ".join(f"0.{(r * columns + c) % 9 + 1}" for c in range(columns)) + "]"
                               for r in range(rows)) + "]"
    layers = "".join(
        f'[[layer]]\nactivation = "sigmoid"\nweight = {weights(rows, columns)}\nbias = {[0.1] * rows}\n'
        for rows, columns in ((8, 4), (8, 8), (2, 8))
    )
    path = folder / "big.toml"
    path.write_text(layers + "[data]\ninput = [[0.05, 0.10, 0.2, 0.3]]\ntarget = [[0.01, 0.99]]\n")
    return path


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_pdf_build_leaves_nothing_behind(signum, workdir) -> None:
    require_pdflatex()
    spec = big_spec(workdir)
    scratch_home = workdir / "tmp"
    scratch_home.mkdir()
    (workdir / "out").mkdir()
    # TMPDIR makes this run's /tmp/derive-pdf-* folders its own, so other runs cannot confuse the check.
    process = subprocess.Popen(
        [sys.executable, "-m", "derive", str(spec), "--format", "pdf", "-o", "out/big.pdf"],
        cwd=workdir, env=python_env(TMPDIR=str(scratch_home)), stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not list(scratch_home.glob("derive-pdf-*/document.tex")):
        assert process.poll() is None, "derive finished before pdflatex could be interrupted"
        assert time.monotonic() < deadline, "no PDF build started"
        time.sleep(0.005)
    time.sleep(0.2)  # pdflatex is running now
    process.send_signal(signum)
    status = process.wait(timeout=60)
    assert status == 128 + signum, process.stderr.read()
    assert list(scratch_home.iterdir()) == []
    assert list((workdir / "out").iterdir()) == []


# ---------------------------------------------------------------- SPEC is a file or an example


def test_an_empty_spec_is_refused(workdir, capsys) -> None:
    status, out, err = run_cli(["", "-o", "-"], capsys)
    assert_refused(status, err, "SPEC ''", "empty")
    assert out == ""


@pytest.mark.parametrize("make, kind", [
    (lambda folder: str(folder / "dir"), "a folder"),
    (lambda folder: "/dev/zero", "a character device"),
    (lambda folder: "/dev/null", "a character device"),
])
def test_a_spec_that_is_not_a_regular_file_is_refused(make, kind, workdir, capsys) -> None:
    (workdir / "dir").mkdir()
    spec = make(workdir)
    status, _, err = run_cli([spec, "-o", "out.md"], capsys)
    assert_refused(status, err, spec, kind)
    assert not (workdir / "out.md").exists()


def test_a_named_pipe_as_spec_is_refused_without_waiting(workdir) -> None:
    os.mkfifo(workdir / "spec.toml")
    result = run_derive(["spec.toml", "-o", "out.md"], workdir, timeout=60)
    assert result.returncode == 2 and b"spec.toml" in result.stderr and b"named pipe" in result.stderr
    assert not (workdir / "out.md").exists()


def test_the_api_refuses_an_empty_spec() -> None:
    with pytest.raises(derive.SpecError, match="empty"):
        derive.load("")


# ---------------------------------------------------------------- names in documents


@pytest.mark.parametrize("text", ["a\nb", "a\n# heading\n", "x``y", "`a", "a`", " a ", "a\r\nb\tc\x1b[0m", "a\u2028b\u202e"])
def test_a_code_span_cannot_be_broken_out_of(text) -> None:
    span = markdown_code(text)
    assert "\n" not in span and "\r" not in span and "\u2028" not in span and "\u202e" not in span
    fence = len(span) - len(span.lstrip("`"))
    inner = span[fence:-fence]
    assert "`" * fence not in inner
    if inner.startswith(" ") and inner.endswith(" ") and inner.strip(" "):
        inner = inner[1:-1]  # CommonMark strips one space from each end
    assert inner.replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t").replace(
        "\\x1b", "\x1b").replace("\\u2028", "\u2028").replace("\\u202e", "\u202e") == text
    assert "\n" not in latex_code(text)


def test_a_spec_name_with_a_newline_and_backticks_stays_in_its_code_span(workdir, capsys) -> None:
    name = "we``ird\n# Injected heading\n.toml"
    (workdir / name).write_text(SPEC)
    status, out, err = run_cli([name, "-o", "-"], capsys)
    assert status == 0, err
    assert "# Injected heading" not in out.splitlines()
    about = next(line for line in out.splitlines() if line.startswith("This document derives"))
    assert "```we``ird\\n# Injected heading\\n.toml```" in about
    status, latex, err = run_cli([name, "--format", "latex", "-o", "-"], capsys)
    assert status == 0, err
    assert "Injected heading\\textbackslash{}n" in latex.replace("\\allowbreak{}", "")


def test_a_torch_spec_shows_the_name_as_typed_never_an_absolute_path(workdir, capsys, monkeypatch) -> None:
    require_torch()
    (workdir / "models").mkdir()
    (workdir / "models" / "net.py").write_text(
        "import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.hidden = nn.Linear(2, 2)\n        self.out = nn.Linear(2, 1)\n"
        "    def forward(self, x):\n        return torch.sigmoid(self.out(torch.sigmoid(self.hidden(x))))\n")
    spec = '[torch]\nmodule = "models/net.py:Net"\n[data]\ninput = [[0.05, 0.1]]\ntarget = [[0.5]]\n'
    (workdir / "spec.toml").write_text(spec)
    for format in ("markdown", "latex"):
        status, out, err = run_cli(["spec.toml", "--trust-code", "--format", format, "-o", "-"], capsys)
        assert status == 0, err
        assert str(workdir) not in out and "spec" in out
    (workdir / "spec.toml").write_text(spec.replace("net.py", "missing.py"))
    monkeypatch.chdir(workdir.parent)
    status = main([f"{workdir.name}/spec.toml", "--trust-code", "-o", "-"])
    err = capsys.readouterr().err
    assert_refused(status, err, f"{workdir.name}/models/missing.py")
    assert str(workdir) not in err


# ---------------------------------------------------------------- the compiled-template cache


def seed_markdown_with_cache_in(cache: Path, cwd: Path) -> bytes:
    """The seed's Markdown on stdout, from a run whose user cache folder is ``cache``."""
    done = subprocess.run([sys.executable, "-m", "derive", "-o", "-"], cwd=cwd, capture_output=True,
                          env=python_env(XDG_CACHE_HOME=str(cache)))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_compiled_templates_are_kept_and_change_no_document(tmp_path: Path) -> None:
    """A run that fills the cache, one that reads it and one that cannot write it print the same bytes."""
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would go")
    without = seed_markdown_with_cache_in(blocked, tmp_path)
    assert not blocked.is_dir()
    cache = tmp_path / "cache"
    filled, read = (seed_markdown_with_cache_in(cache, tmp_path) for _ in range(2))
    assert list(cache.glob("derive/templates-*/__jinja2_*.cache")), "no compiled template was kept"
    assert filled == read == without


def test_a_template_edited_since_it_was_cached_is_compiled_again(tmp_path: Path) -> None:
    import jinja2

    from derive.render.environment import _QuietBytecodeCache

    folder, kept = tmp_path / "templates", tmp_path / "kept"
    folder.mkdir()
    kept.mkdir()
    for text in ("first {{ x }}", "second {{ x }}"):
        (folder / "t.md.j2").write_text(text)
        fresh = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), bytecode_cache=_QuietBytecodeCache(str(kept)))
        assert fresh.get_template("t.md.j2").render(x=1) == text.replace("{{ x }}", "1")
        assert len(list(kept.iterdir())) == 1
