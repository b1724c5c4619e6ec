"""The PDF: the LaTeX compiled with pdflatex (xelatex for CJK text) in a scratch folder, reproducibly."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..derivation.model import Derivation
from ..errors import RenderError, ToolMissingError
from .latex import latex_text, latex_view

PDFLATEX_RUNS = 3  # at most: a run after the first only when the log asks for it (longtable widths)


SOURCE_STAMP = "derive-latex-sha256:"


def source_stamp(latex: str) -> str:
    """The stamp a PDF carries of the LaTeX it was compiled from, so stale PDFs can be detected."""
    return SOURCE_STAMP + hashlib.sha256(latex.encode()).hexdigest()


def render_pdf(derivation: Derivation, precision: int, language: str = "en") -> bytes:
    """The derivation's LaTeX article compiled, carrying a stamp of the LaTeX it came from."""
    view = latex_view(derivation, precision, language)
    return compile_pdf(latex_text(view, source_stamp(latex_text(view))))[0]


XELATEX = re.compile(r"\\usepackage(\[[^]]*\])?\{ctex\}")
INSTALL = {
    "pdflatex": "texlive-latex-base texlive-latex-recommended texlive-pictures",
    "xelatex": "texlive-xetex texlive-lang-chinese",
}
MISSING_CHARACTER = re.compile(r"^Missing character: There is no .*? \(U\+([0-9A-F]+)\)", re.MULTILINE)


def engine_of(latex: str) -> str:
    """The engine a LaTeX source of derive's asks for: xelatex where it loads ctex (CJK text), else pdflatex."""
    return "xelatex" if XELATEX.search(latex) else "pdflatex"


def compile_pdf(latex: str, runs: int = PDFLATEX_RUNS) -> tuple[bytes, str]:
    """Run pdflatex, or xelatex for a source that loads ctex (no shell escape either way), ``runs`` times
    in a scratch folder; return the PDF and the log.

    The PDF is reproducible: fixed dates and ID (SOURCE_DATE_EPOCH).
    """
    engine = engine_of(latex)
    program = shutil.which(engine)
    if program is None:
        raise ToolMissingError(
            f"{engine} was not found; install TeX Live (Debian: apt-get install {INSTALL[engine]}) "
            "or use --format latex"
        )
    with tempfile.TemporaryDirectory(prefix="derive-pdf-") as scratch:
        source = Path(scratch) / "document.tex"
        source.write_text(latex, encoding="utf-8")
        environment = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
        for _ in range(runs):
            try:
                completed = subprocess.run(
                    [program, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", source.name],
                    cwd=scratch,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    env=environment,
                    timeout=600,
                )
            except subprocess.TimeoutExpired:
                raise RenderError(f"{engine} did not finish within 600 s; use --format latex") from None
            except OSError as error:
                raise ToolMissingError(
                    f"{engine} ({program}) could not be run: {error.strerror or error}; "
                    "reinstall TeX Live or use --format latex"
                ) from None
            log_path = Path(scratch) / "document.log"
            log = log_path.read_text(encoding="latin-1", errors="replace") if log_path.exists() else ""
            if completed.returncode != 0 or "Rerun" not in log:
                break
        if completed.returncode != 0 or not (Path(scratch) / "document.pdf").exists():
            errors = [line for line in log.splitlines() if line.startswith("!")][:3]
            if not errors:  # no log: the engine itself failed; its last words say why
                said = (completed.stderr or completed.stdout).decode(errors="replace").strip().splitlines()
                errors = said[-1:]
            raise RenderError(
                f"{engine} failed (exit status {completed.returncode}): "
                + ("; ".join(errors) or "no message")
                + "; use --format latex to get the source"
            )
        unset = dict.fromkeys(f"{chr(int(code, 16))} (U+{code})" for code in MISSING_CHARACTER.findall(log))
        if unset:  # xelatex leaves a gap where no font has a character: refuse rather than drop the text
            raise RenderError(
                f"no installed font has {', '.join(list(unset)[:5])}; install fonts-wqy-microhei "
                "(Debian), which xelatex uses for CJK characters that the Fandol fonts lack"
            )
        return (Path(scratch) / "document.pdf").read_bytes(), log
