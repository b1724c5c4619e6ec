"""The Jinja environment factory: one per output language, loaded from the package, strict about undefined names."""

from __future__ import annotations

from functools import lru_cache

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
    """Jinja's bytecode cache in its own private temporary folder; a cache it cannot read or write is no cache."""

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
    """Compiled templates kept between runs, as Python keeps bytecode: compiling a document's templates
    takes longer than rendering them. Jinja keys each entry by the template's source, so an edit recompiles."""
    try:
        return _QuietBytecodeCache()
    except (OSError, RuntimeError):  # Jinja found no private folder it may use
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
