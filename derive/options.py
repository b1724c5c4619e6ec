"""The frozen, validated options of one run, as the command line or a caller sets them."""

from __future__ import annotations

from dataclasses import dataclass

from .engine.rounding import ROUNDINGS
from .errors import UsageError
from .text.catalogue import languages

DEFAULT_PRECISION = 9
MAX_PRECISION = 30
FORMATS = ("markdown", "latex", "json", "pdf", "html")
EXTENSIONS = {"markdown": "md", "latex": "tex", "json": "json", "pdf": "pdf", "html": "html"}
STYLES = ("scalar", "matrix", "graph")
NOTATIONS = ("mazur", "indexed")


@dataclass(frozen=True)
class Options:
    """How to derive and render: format, digits, notation, focus, style, verification, language, rounding and KaTeX's source."""

    format: str = "markdown"
    precision: int = DEFAULT_PRECISION
    notation: str | None = None
    only: tuple[str, ...] = ()
    style: str = "scalar"
    verify: bool = False
    lang: str = "en"
    rounding: str = "exact"  # "carry": every shown value rounded to ``precision`` decimals and used rounded
    katex: str | None = None  # HTML: a local KaTeX folder instead of the CDN

    def __post_init__(self) -> None:
        _one_of("format", self.format, FORMATS)
        _one_of("rounding", self.rounding, ROUNDINGS)
        _one_of("style", self.style, STYLES)
        _one_of("lang", self.lang, languages())
        if self.notation is not None:
            _one_of("notation", self.notation, NOTATIONS)
        if type(self.precision) is not int or not 0 <= self.precision <= MAX_PRECISION:
            raise UsageError(f"--precision: expected a whole number from 0 to {MAX_PRECISION}, found {self.precision!r}")
        if isinstance(self.only, str) or not all(isinstance(name, str) for name in self.only):
            raise UsageError(f"--only: expected parameter names such as ('w5', 'b_h1'), found {self.only!r}")
        object.__setattr__(self, "only", tuple(self.only))
        if not isinstance(self.verify, bool):
            raise UsageError(f"--verify: expected true or false, found {self.verify!r}")
        if self.verify and self.rounding == "carry":
            raise UsageError("--verify compares the exact values with PyTorch's; use it without --rounding carry")


def _one_of(option: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UsageError(f"--{option}: expected one of {', '.join(choices)}, found {value!r}")
