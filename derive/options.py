"""The frozen options of one run, as the command line or a caller sets them."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PRECISION = 9
MAX_PRECISION = 30


@dataclass(frozen=True)
class Options:
    """How to derive and render: format, digits, notation, focus, style and verification."""

    format: str = "markdown"
    precision: int = DEFAULT_PRECISION
    notation: str | None = None
    only: tuple[str, ...] = ()
    style: str = "scalar"
    verify: bool = False
