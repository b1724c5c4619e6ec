"""-o keeps every promise, and SPEC is a file or an example: symlinks, devices, read-only files, folders,
the spec itself, a full disk, signals during a PDF build, pipes and devices as SPEC, names in documents."""

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
from derive import files
from derive.cli import main
from derive.render.escape import latex_code, markdown_code
from _tools import require_pdflatex, require_torch

REPO = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
SPEC = (REPO / "examples" / "mazur.toml").read_text(encoding="utf-8")


def derive_cli(*argv: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    """derive as a user runs it, in its own process."""
    return subprocess.run([sys.executable, "-m", "derive", *argv], cwd=cwd, env=kwargs.pop("env", ENV),
                          capture_output=kwargs.pop("capture_output", True), timeout=kwargs.pop("timeout", 120), **kwargs)


def run(argv: list[str], capsys, cwd: Path, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_refused(status: int, err: str, *words: str) -> None:
    assert status == 2, err
    assert "Traceback" not in err and err.count("\n") <= 2, err
    for word in words:
        assert word in err, err


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.name.startswith("."))


# ---------------------------------------------------------------- symlinks, devices, descriptors


def test_a_symlink_stays_a_symlink_and_its_target_is_replaced(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "doc.md"
    target.write_text("old")
    link = tmp_path / "doc.md"
    link.symlink_to(target)
    status, _, err = run(["mazur", "-o", "doc.md"], capsys, tmp_path, monkeypatch)
    assert status == 0, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("# A step-by-step")
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "real") == []


def test_a_dangling_symlink_creates_its_target(tmp_path, capsys, monkeypatch) -> None:
    link = tmp_path / "doc.md"
    link.symlink_to(tmp_path / "made.md")
    status, _, err = run(["mazur", "-o", "doc.md"], capsys, tmp_path, monkeypatch)
    assert status == 0, err
    assert link.is_symlink() and (tmp_path / "made.md").read_text().startswith("# A step-by-step")


def test_a_symlink_to_a_device_writes_the_device(tmp_path, capsys, monkeypatch) -> None:
    link = tmp_path / "null.md"
    link.symlink_to(os.devnull)
    status, _, err = run(["mazur", "-o", "null.md"], capsys, tmp_path, monkeypatch)
    assert status == 0, err
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


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


def test_dev_stdout_redirected_to_a_file(tmp_path, dev_stdout) -> None:
    with open(tmp_path / "file", "wb") as out:
        result = derive_cli("mazur", "-o", "/dev/stdout", cwd=tmp_path, stdout=out, stderr=subprocess.PIPE,
                            capture_output=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "file").read_text().startswith("# A step-by-step")
    assert os.path.islink("/dev/stdout")


def test_a_link_of_ones_own_to_the_descriptor_is_written_through_it(tmp_path) -> None:
    (tmp_path / "out.md").symlink_to("/proc/self/fd/1")
    with open(tmp_path / "file", "wb") as out:
        result = derive_cli("mazur", "-o", "out.md", cwd=tmp_path, stdout=out, stderr=subprocess.PIPE,
                            capture_output=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "file").read_text().startswith("# A step-by-step")
    assert os.readlink(tmp_path / "out.md") == "/proc/self/fd/1"


def test_dev_stdout_appended_to_a_file_keeps_what_was_there(tmp_path, dev_stdout) -> None:
    (tmp_path / "log").write_text("before\n")
    with open(tmp_path / "log", "ab") as out:
        result = derive_cli("mazur", "-o", "/dev/stdout", cwd=tmp_path, stdout=out, stderr=subprocess.PIPE,
                            capture_output=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "log").read_text().startswith("before\n# A step-by-step")


def test_dev_stdout_into_a_pipe(tmp_path, dev_stdout) -> None:
    result = derive_cli("mazur", "-o", "/dev/stdout", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"# A step-by-step")


def test_a_named_pipe_is_written_in_place(tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    process = subprocess.Popen([sys.executable, "-m", "derive", "mazur", "-o", str(fifo)], cwd=tmp_path, env=ENV,
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


# ---------------------------------------------------------------- modes and read-only files


def test_a_read_only_output_is_refused_and_unchanged(tmp_path, capsys, monkeypatch) -> None:
    path = tmp_path / "doc.md"
    path.write_text("keep me")
    path.chmod(0o444)
    status, _, err = run(["mazur", "-o", "doc.md"], capsys, tmp_path, monkeypatch)
    assert_refused(status, err, "doc.md", "read-only")
    assert path.read_text() == "keep me" and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_replaced_file_keeps_its_mode(tmp_path, capsys, monkeypatch) -> None:
    path = tmp_path / "doc.md"
    path.write_text("old")
    path.chmod(0o640)
    status, _, err = run(["mazur", "-o", "doc.md"], capsys, tmp_path, monkeypatch)
    assert status == 0, err
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text().startswith("# A step-by-step")


def test_a_new_file_gets_the_umask_mode(tmp_path, capsys, monkeypatch) -> None:
    old = os.umask(0o027)
    try:
        status, _, err = run(["mazur", "-o", "new.md"], capsys, tmp_path, monkeypatch)
    finally:
        os.umask(old)
    assert status == 0, err
    assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o640


# ---------------------------------------------------------------- folders


def test_a_trailing_slash_writes_into_an_existing_folder(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "docs").mkdir()
    status, _, err = run(["mazur-classic", "--format", "latex", "-o", "docs/"], capsys, tmp_path, monkeypatch)
    assert status == 0, err
    assert (tmp_path / "docs" / "mazur-classic.tex").read_text().startswith("\\documentclass")


def test_a_trailing_slash_to_a_missing_folder_is_refused(tmp_path, capsys, monkeypatch) -> None:
    status, _, err = run(["mazur", "-o", "newdir/"], capsys, tmp_path, monkeypatch)
    assert_refused(status, err, "-o newdir/", "no such folder")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_without_slash_is_refused(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "docs").mkdir()
    status, _, err = run(["mazur", "-o", "docs"], capsys, tmp_path, monkeypatch)
    assert_refused(status, err, "-o docs", "is a folder", "docs/")
    assert list((tmp_path / "docs").iterdir()) == []


def test_an_empty_output_argument_is_refused(tmp_path, capsys, monkeypatch) -> None:
    status, _, err = run(["mazur", "-o", ""], capsys, tmp_path, monkeypatch)
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
def test_writing_over_the_spec_is_refused(spec, output, tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "net.toml").write_text(SPEC)
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.toml").symlink_to("net.toml")
    os.link(tmp_path / "net.toml", tmp_path / "hard.toml")
    output = output.format(absolute=tmp_path / "net.toml")
    status, _, err = run([spec, "-o", output], capsys, tmp_path, monkeypatch)
    assert_refused(status, err, f"-o {output}", spec)
    assert (tmp_path / "net.toml").read_text() == SPEC


def test_writing_over_the_torch_module_is_refused(tmp_path, capsys, monkeypatch) -> None:
    require_torch()
    module = tmp_path / "m.py"
    module.write_text("from torch import nn\nclass Net(nn.Sequential):\n    def __init__(self):\n"
                      "        super().__init__(nn.Linear(2, 1))\n")
    before = module.read_text()
    status, _, err = run(["--from-torch", "m.py:Net", "--input", "1,2", "--target", "1", "-o", "./m.py"],
                         capsys, tmp_path, monkeypatch)
    assert_refused(status, err, "-o ./m.py", "m.py")
    assert module.read_text() == before


# ---------------------------------------------------------------- a full disk


def no_space(*_args) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_is_a_clean_refusal(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "doc.md").write_text("old")
    monkeypatch.setattr(files, "_write_all", no_space)
    status, _, err = run(["mazur", "-o", "doc.md"], capsys, tmp_path, monkeypatch)
    assert_refused(status, err, "-o doc.md", "no space left")
    assert (tmp_path / "doc.md").read_text() == "old" and leftovers(tmp_path) == []


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
def test_dev_full_as_output_and_as_stdout(tmp_path) -> None:
    result = derive_cli("mazur", "-o", "/dev/full", cwd=tmp_path)
    assert result.returncode == 2 and b"no space left" in result.stderr, result.stderr
    with open("/dev/full", "wb") as full:
        result = derive_cli("mazur", "-o", "-", cwd=tmp_path, stdout=full, stderr=subprocess.PIPE,
                            capture_output=False)
    assert result.returncode == 2, result.stderr
    assert b"no space left" in result.stderr and b"Traceback" not in result.stderr


# ---------------------------------------------------------------- signals


def test_an_interrupted_write_leaves_no_temporary_file(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "doc.md").write_text("old")

    def interrupted(*_args) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_write_all", interrupted)
    status, _, _ = run(["mazur", "-o", "doc.md"], capsys, tmp_path, monkeypatch)
    assert status == 130
    assert (tmp_path / "doc.md").read_text() == "old" and leftovers(tmp_path) == []


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
def test_a_signal_during_a_pdf_build_leaves_nothing_behind(signum, tmp_path) -> None:
    require_pdflatex()
    spec = big_spec(tmp_path)
    scratch_home = tmp_path / "tmp"
    scratch_home.mkdir()
    (tmp_path / "out").mkdir()
    # TMPDIR makes this run's /tmp/derive-pdf-* folders its own, so other runs cannot confuse the check.
    process = subprocess.Popen(
        [sys.executable, "-m", "derive", str(spec), "--format", "pdf", "-o", "out/big.pdf"],
        cwd=tmp_path, env=dict(ENV, TMPDIR=str(scratch_home)), stderr=subprocess.PIPE,
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
    assert list((tmp_path / "out").iterdir()) == []


# ---------------------------------------------------------------- SPEC is a file or an example


def test_an_empty_spec_is_refused(tmp_path, capsys, monkeypatch) -> None:
    status, out, err = run(["", "-o", "-"], capsys, tmp_path, monkeypatch)
    assert_refused(status, err, "SPEC ''", "empty")
    assert out == ""


@pytest.mark.parametrize("make, kind", [
    (lambda folder: str(folder / "dir"), "a folder"),
    (lambda folder: "/dev/zero", "a character device"),
    (lambda folder: "/dev/null", "a character device"),
])
def test_a_spec_that_is_not_a_regular_file_is_refused(make, kind, tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "dir").mkdir()
    spec = make(tmp_path)
    status, _, err = run([spec, "-o", "out.md"], capsys, tmp_path, monkeypatch)
    assert_refused(status, err, spec, kind)
    assert not (tmp_path / "out.md").exists()


def test_a_named_pipe_as_spec_is_refused_without_waiting(tmp_path) -> None:
    os.mkfifo(tmp_path / "spec.toml")
    result = derive_cli("spec.toml", "-o", "out.md", cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and b"spec.toml" in result.stderr and b"named pipe" in result.stderr
    assert not (tmp_path / "out.md").exists()


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


def test_a_spec_name_with_a_newline_and_backticks_stays_in_its_code_span(tmp_path, capsys, monkeypatch) -> None:
    name = "we``ird\n# Injected heading\n.toml"
    (tmp_path / name).write_text(SPEC)
    status, out, err = run([name, "-o", "-"], capsys, tmp_path, monkeypatch)
    assert status == 0, err
    assert "# Injected heading" not in out.splitlines()
    about = next(line for line in out.splitlines() if line.startswith("This document derives"))
    assert "```we``ird\\n# Injected heading\\n.toml```" in about
    status, latex, err = run([name, "--format", "latex", "-o", "-"], capsys, tmp_path, monkeypatch)
    assert status == 0, err
    assert "Injected heading\\textbackslash{}n" in latex.replace("\\allowbreak{}", "")


def test_a_torch_spec_shows_the_name_as_typed_never_an_absolute_path(tmp_path, capsys, monkeypatch) -> None:
    require_torch()
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.py").write_text(
        "import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.hidden = nn.Linear(2, 2)\n        self.out = nn.Linear(2, 1)\n"
        "    def forward(self, x):\n        return torch.sigmoid(self.out(torch.sigmoid(self.hidden(x))))\n")
    spec = '[torch]\nmodule = "models/net.py:Net"\n[data]\ninput = [[0.05, 0.1]]\ntarget = [[0.5]]\n'
    (tmp_path / "spec.toml").write_text(spec)
    for format in ("markdown", "latex"):
        status, out, err = run(["spec.toml", "--trust-code", "--format", format, "-o", "-"], capsys, tmp_path, monkeypatch)
        assert status == 0, err
        assert str(tmp_path) not in out and "spec" in out
    (tmp_path / "spec.toml").write_text(spec.replace("net.py", "missing.py"))
    monkeypatch.chdir(tmp_path.parent)
    status = main([f"{tmp_path.name}/spec.toml", "--trust-code", "-o", "-"])
    err = capsys.readouterr().err
    assert_refused(status, err, f"{tmp_path.name}/models/missing.py")
    assert str(tmp_path) not in err
