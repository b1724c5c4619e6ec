"""Text made literal for each output language: Markdown specials, LaTeX specials, T1 ligatures, code spans."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # T1 fonts turn -- into a dash, `` '' ,, << >> !` ?` into quotes and inverted marks, and ' ` into
    # curly quotes; these forms print the typed characters.
    "-": "-{}",
    "`": r"\textasciigrave{}",
    "'": r"\textquotesingle{}",
    ",": ",{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}

# Code points pdflatex sets with T1 fonts and utf8 input (measured by compiling each one), beyond ASCII.
TEXT_RANGES = (
    (0xA0, 0xAC), (0xAE, 0x125), (0x128, 0x137), (0x139, 0x13E), (0x141, 0x148), (0x14A, 0x165),
    (0x168, 0x17E), (0x192, 0x192), (0x1C4, 0x1D4), (0x1E2, 0x1E3), (0x1E6, 0x1EB), (0x1F0, 0x1F0),
    (0x1F4, 0x1F5), (0x218, 0x21B), (0x232, 0x233), (0x237, 0x237), (0x2013, 0x2014),
    (0x2018, 0x2019), (0x201C, 0x201D), (0x2022, 0x2022), (0x2026, 0x2026), (0x20AC, 0x20AC),
)
# The CJK characters xelatex sets with ctex: those of Chinese, Japanese and Korean text that the
# Fandol fonts, or WenQuanYi Micro Hei where Fandol lacks them (Hangul, say), have: CJK punctuation,
# kana, bopomofo, Hangul compatibility jamo and syllables, the unified and compatibility ideographs,
# full- and half-width forms. Anything else (rare ideographs, conjoining jamo) stays [U+XXXX], so a
# character no font has shows rather than vanishing.
CJK_RANGES = (
    (0x3000, 0x3003), (0x3005, 0x3017), (0x301D, 0x301F), (0x3041, 0x3094), (0x3099, 0x309E),
    (0x30A1, 0x30F6), (0x30FB, 0x30FE), (0x3105, 0x3129), (0x3131, 0x318E), (0x4E00, 0x9FC3),
    (0xAC00, 0xD7A3), (0xF900, 0xFA2D), (0xFF01, 0xFF5E), (0xFF61, 0xFF9F), (0xFFE0, 0xFFE6),
)
# Greek capitals that look like Latin ones have no LaTeX command of their own.
GREEK_AS_LATIN = {"ALPHA": "A", "BETA": "B", "EPSILON": "E", "ZETA": "Z", "ETA": "H", "IOTA": "I", "KAPPA": "K",
                  "MU": "M", "NU": "N", "OMICRON": "O", "RHO": "P", "TAU": "T", "CHI": "X"}
GREEK_COMMANDS = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
                  "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
                  "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"}


def escape_latex(text: str, cjk: bool = False) -> str:
    """Text that prints exactly as typed in a pdflatex document (and never runs as LaTeX); with ``cjk``,
    in a xelatex document with ctex, where CJK characters print as themselves."""
    return "".join(_character(c, cjk) for c in text)


def is_cjk(c: str) -> bool:
    """True for a character of the CJK blocks that a xelatex document with ctex sets."""
    code = ord(c)
    return any(low <= code <= high for low, high in CJK_RANGES)


@lru_cache(maxsize=1024)  # bounded: a character maps to the same text in every run
def _character(c: str, cjk: bool = False) -> str:
    if cjk and is_cjk(c):
        return c
    if c in SPECIALS:
        return SPECIALS[c]
    code = ord(c)
    if 0x20 <= code < 0x7F:
        return c
    if any(low <= code <= high for low, high in TEXT_RANGES):
        return c
    greek = _greek(c)
    if greek:
        return greek
    if unicodedata.category(c).startswith(("Z", "C")):
        return " "  # spaces and invisible characters: a plain space
    return rf"\texttt{{[U+{code:04X}]}}"


def _greek(c: str) -> str | None:
    name = unicodedata.name(c, "")
    for case, prefix in (("small", "GREEK SMALL LETTER "), ("capital", "GREEK CAPITAL LETTER ")):
        if name.startswith(prefix):
            letter = name[len(prefix):]
            if case == "capital" and letter in GREEK_AS_LATIN:
                return GREEK_AS_LATIN[letter]
            command = letter.lower() if case == "small" else letter.capitalize()
            if letter == "FINAL SIGMA":
                command = "varsigma"
            elif letter == "OMICRON" and case == "small":
                return "o"
            if command in GREEK_COMMANDS or command == "varsigma":
                return rf"\ensuremath{{\{command}}}"
    return None


MARKDOWN_SPECIALS = set("\\`*_{}[]#|<>$~&")


def escape_markdown(text: str) -> str:
    """Text made literal for Markdown (and its math extension)."""
    return "".join("\\" + c if c in MARKDOWN_SPECIALS else c for c in text)


def visible(text: str) -> str:
    """Text with its control and invisible formatting characters written as escapes: a line break as \\n.

    A file name with a newline or a bidirectional override cannot start a new Markdown block or
    reorder what a reader sees; it shows what the name holds.
    """
    return "".join(_visible(c) for c in text)


_NAMED_CONTROLS = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@lru_cache(maxsize=1024)  # bounded: a character maps to the same text in every run
def _visible(c: str) -> str:
    if c in _NAMED_CONTROLS:
        return _NAMED_CONTROLS[c]
    if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"):
        return c
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def markdown_code(text: str) -> str:
    """Literal text as a Markdown code span: backslash escapes do not work there, so fence it instead.

    Control characters become visible escapes first: a line break in a code span could start a
    heading or end the paragraph.
    """
    text = visible(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end of a span that has one at both ends, and a span
    # that starts or ends with a backtick needs a space to keep it apart from the fence.
    spaced = text.startswith(" ") and text.endswith(" ") and text.strip(" ") != ""
    padding = " " if text.startswith("`") or text.endswith("`") or spaced else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def latex_code(text: str, cjk: bool = False) -> str:
    """Literal text in typewriter type for LaTeX, breakable after / _ - . : so long paths fit the line
    (``cjk`` as for escape_latex)."""
    escaped = escape_latex(visible(text), cjk)
    escaped = re.sub(r"(/|\\_|-|\.|:)", lambda match: match.group(1) + r"\allowbreak{}", escaped)
    return r"\texttt{" + escaped + "}"
