"""The Jinja environment factory: one per output language, loaded from the package, strict about undefined names."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import jinja2

from ..resources import shipped_folder

# LaTeX is full of braces and percent signs, so its templates use delimiters TeX never writes.
LATEX_DELIMITERS = dict(
    block_start_string="((*",
    block_end_string="*))",
    variable_start_string="(((",
    variable_end_string=")))",
    comment_start_string="((=",
    comment_end_string="=))",
)
DELIMITERS = {"markdown": {}, "latex": LATEX_DELIMITERS, "svg": {}, "html": {}}


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's bytecode cache in a folder of the user's cache; a cache it cannot read or write is no cache."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            pass

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (in $XDG_CACHE_HOME/derive, else ~/.cache/derive), as Python
    keeps bytecode: compiling a document's templates took longer than rendering them. Jinja keys each
    entry by the template's source, so an edited template is compiled again."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        folder = os.path.join(base, "derive", f"templates-{jinja2.__version__}")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        return _QuietBytecodeCache(folder)
    except (OSError, RuntimeError):  # no home folder, or one that may not be written
        return None


@lru_cache(maxsize=4)
def environment(kind: str) -> jinja2.Environment:
    """The environment for the ``markdown``, ``latex``, ``svg`` or ``html`` templates (SVG escapes XML)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(shipped_folder("templates") / kind)),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        autoescape=kind == "svg",  # HTML is escaped piece by piece as the view prints it
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        **DELIMITERS[kind],
    )
