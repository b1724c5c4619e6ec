"""The message catalogues: one TOML file per language, each read once per run.

The catalogues shipped with derive sit beside this module. ``DERIVE_CATALOGUE_PATH`` (folders
separated like PATH) adds languages from elsewhere, or replaces a shipped one: a folder that holds
``fr.toml`` makes ``--lang fr`` work with no change to derive's code.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from .message import Msg

PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
PATH_VARIABLE = "DERIVE_CATALOGUE_PATH"
LATEX_ENGINES = ("pdflatex", "xelatex")
MATH_WORDS = ("matrix", "for", "otherwise")  # the words the printer sets inside formulas (\text{...})


def _folders() -> tuple[Traversable, ...]:
    """Where catalogues are looked for, the first folder winning: the path variable's, then derive's own."""
    extra = tuple(Path(folder) for folder in os.environ.get(PATH_VARIABLE, "").split(os.pathsep) if folder)
    return extra + (files(__package__),)


def _catalogue_files() -> dict[str, Traversable]:
    """Each language's catalogue file, by language code."""
    found: dict[str, Traversable] = {}
    for folder in reversed(_folders()):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.name.endswith(".toml") and not entry.name.startswith("."):
                found[entry.name[:-5]] = entry
    return found


def languages() -> tuple[str, ...]:
    """The languages a catalogue exists for, such as ('en', 'zh')."""
    return tuple(sorted(_catalogue_files()))


class Catalogue:
    """One language's messages by key, its plural rule, separators and PDF engine."""

    def __init__(self, language: str, document: dict[str, Any]) -> None:
        self.language = language
        meta = document.get("meta", {})
        self.plural = meta.get("plural", "one-other")
        self.sentence_separator = meta.get("sentence_separator", " ")
        self.latex_engine = meta.get("latex_engine", "pdflatex")
        if self.latex_engine not in LATEX_ENGINES:
            raise ValueError(f"{language}.toml: meta.latex_engine must be one of {', '.join(LATEX_ENGINES)}")
        # ctex's scheme when the document is set with xelatex: "chinese" for a Chinese layout, "plain"
        # keeps the Western one (an English document that only quotes CJK text)
        self.latex_scheme = meta.get("latex_scheme", "plain")
        self.messages: dict[str, Any] = {}
        _flatten(document, "", self.messages)

    def template(self, message: Msg) -> str:
        """The text of a message, in the plural form its ``count`` asks for."""
        entry = self.messages.get(message.key, message.default)
        if entry is None:
            raise KeyError(f"the {self.language} catalogue has no message {message.key!r}")
        if isinstance(entry, dict):
            count = message.arguments.get("count")
            form = "one" if self.plural == "one-other" and count == 1 else "other"
            return entry.get(form, entry["other"])
        return entry

    def text(self, key: str) -> str:
        """A message without placeholders, such as a separator."""
        return self.messages[key]

    def math_words(self) -> dict[str, str]:
        """The words a formula sets as text (a matrix's shape, a piecewise function's cases)."""
        return {word: self.text(f"document.{word}") for word in MATH_WORDS}


def _flatten(table: dict[str, Any], prefix: str, into: dict[str, Any]) -> None:
    for key, value in table.items():
        if key == "meta" and not prefix:
            continue
        name = prefix + key
        if isinstance(value, dict) and "other" in value and set(value) <= set(PLURAL_FORMS):
            into[name] = value
        elif isinstance(value, dict):
            _flatten(value, name + ".", into)
        else:
            into[name] = value


def catalogue(language: str) -> Catalogue:
    """The catalogue of ``language``, from the first folder that has it (each file read once)."""
    found = _catalogue_files().get(language)
    if found is None:
        raise KeyError(f"no catalogue for language {language!r}")
    return _read(found)


@lru_cache(maxsize=8)
def _read(file: Traversable) -> Catalogue:
    return Catalogue(file.name[:-5], tomllib.loads(file.read_text(encoding="utf-8")))
