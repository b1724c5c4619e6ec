"""Files: where ``-o`` writes, and writing so that on any error or signal nothing is created or changed.

- ``-o FILE`` replaces FILE atomically (a temporary file beside it, then a rename) and keeps its mode;
  a read-only FILE is refused.
- A symlink stays a symlink: its target is written (atomically when it is a regular file).
- A device or named pipe is written in place; ``/dev/stdout``, ``/dev/fd/N`` and
  ``/proc/self/fd/N`` are written through the open descriptor, as ``-o -`` is.
- ``-o DIR/`` (a trailing slash) writes ``DIR/<name>.<ext>``; the folder must exist. ``-o DIR``
  without the slash, an existing folder, is refused, so a typo never scatters files.
- The output is never the spec (or module) it was made from, however the path is spelled.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import UsageError

_SIGNALS = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)}


def output_path(given: str | None, name: str, extension: str, sources: Sequence[str] = ()) -> Path:
    """The file ``-o given`` names (default ``output/<name>.<ext>``), refused with a UsageError when
    it is a folder, a missing folder (``DIR/``), a read-only file or one of ``sources``."""
    file_name = f"{name}.{extension}"
    if given is None:
        path = Path("output") / file_name
    elif given == "":
        raise UsageError("-o: expected a file path, a folder ending in / or -, found an empty argument")
    elif given.endswith(("/", os.sep)):
        if not os.path.isdir(given):
            raise UsageError(
                f"-o {given}: no such folder (a trailing / means a folder to write {file_name} into; create it first)"
            )
        path = Path(given) / file_name
    else:
        path = Path(given)
    shown = given if given is not None else str(path)
    try:
        is_dir = path.is_dir()
    except OSError as error:  # a name too long for the file system, say: refused before any work
        raise UsageError(f"-o {shown}: cannot write the output: {reason(error)}") from None
    if is_dir:
        raise UsageError(f"-o {shown}: is a folder; give a file name, or end the path with / to write {path / file_name} there")
    for source in sources:
        if _same_file(path, source):
            raise UsageError(f"-o {shown}: is the input {source} itself; choose another output path")
    if _own_descriptor(str(path)) is None and _read_only(path):
        raise UsageError(f"-o {shown}: the file is read-only; derive leaves it unchanged (choose another path)")
    return path


def _read_only(path: Path) -> bool:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return False  # nothing there yet
    return stat.S_ISREG(info.st_mode) and (not info.st_mode & 0o222 or not os.access(path, os.W_OK))


def _same_file(path: Path, source: str) -> bool:
    try:
        return os.path.samefile(path, source)
    except (OSError, ValueError):  # one of them does not exist: they cannot be the same file
        return False


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never a part."""
    descriptor = _own_descriptor(str(path))
    if descriptor is not None:
        _write_all(descriptor, data)
        return
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        with open(path, "wb", buffering=0) as stream:  # a device or pipe: renaming would replace the node itself
            _write_all(stream.fileno(), data)
        return
    target = Path(os.path.realpath(path))  # a symlink's target is replaced, never the link
    if info is not None:
        mode = stat.S_IMODE(info.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    target.parent.mkdir(parents=True, exist_ok=True)
    with _signals_held():
        # Held signals arrive after the rename or the clean-up: a temporary file is never left behind.
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            try:
                _write_all(handle, data)
                os.fchmod(handle, mode)  # mkstemp creates 0600; keep the replaced file's mode
            finally:
                os.close(handle)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def write_stdout(data: bytes) -> None:
    """Write ``data`` to standard output; a reader that stops early (``| head``) is not an error."""
    stream = getattr(sys.stdout, "buffer", sys.stdout)
    try:
        stream.write(data)
        stream.flush()
    except BrokenPipeError:
        _silence_stdout()
    except OSError as error:
        _silence_stdout()
        raise UsageError(f"-o -: cannot write to standard output: {reason(error)}") from None


def reason(error: OSError) -> str:
    """Why a write failed, in words (a full disk says 'no space left on the device')."""
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    if error.errno == errno.EDQUOT:
        return "no space left in the disk quota"
    if isinstance(error, FileExistsError):
        return "a folder on its path is a file"
    return error.strerror or str(error)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


def _silence_stdout() -> None:
    # The buffered rest would fail again when Python flushes stdout at exit, with a traceback.
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)


_DESCRIPTOR = re.compile(r"/proc/(\d+)(?:/task/\d+)?/fd/(\d+)")


def _own_descriptor(path: str) -> int | None:
    """The descriptor of this process that ``path`` reaches through /dev/fd or /proc/self/fd links.

    Opening such a link again would truncate a file the shell opened for appending (``>>``) and name
    a pipe nothing can be renamed over; writing to the descriptor is what the shell set up.
    """
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links in a row
        head, tail = os.path.split(current)
        head = os.path.realpath(head)  # /dev/fd and /proc/self become /proc/<pid>
        current = os.path.join(head, tail)
        match = _DESCRIPTOR.fullmatch(current)
        if match:
            return int(match.group(2)) if match.group(1) == str(os.getpid()) else None
        if not os.path.islink(current):
            return None
        current = os.path.normpath(os.path.join(head, os.readlink(current)))
    return None


@contextmanager
def _signals_held() -> Iterator[None]:
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def figure_folder(path: Path) -> Path | None:
    """Where a Markdown file's figures go: <name>.figures/ beside the file the path really names (a link's
    target, the file a redirected /dev/stdout writes to); None where it names a device or a pipe, which
    has no folder beside it (/dev/null.figures is no place to write)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None  # a new file (or a link to one)
    if mode is not None and not stat.S_ISREG(mode):
        return None
    real = Path(os.path.realpath(path)) if os.path.islink(path) else path  # as given, unless a link leads on
    return real.parent / f"{real.stem}.figures"
