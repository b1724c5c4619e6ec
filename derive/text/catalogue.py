"""The message catalogues: one TOML file per language beside this module, each read once per run."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib.resources import files
from typing import Any

from .message import Msg

PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")


def languages() -> tuple[str, ...]:
    """The languages a catalogue exists for, such as ('en',)."""
    return tuple(sorted(entry.name[:-5] for entry in files(__package__).iterdir() if entry.name.endswith(".toml")))


class Catalogue:
    """One language's messages by key, its plural rule, separators and PDF engine."""

    def __init__(self, language: str, document: dict[str, Any]) -> None:
        self.language = language
        meta = document.get("meta", {})
        self.plural = meta.get("plural", "one-other")
        self.sentence_separator = meta.get("sentence_separator", " ")
        self.latex_engine = meta.get("latex_engine", "pdflatex")
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


@lru_cache(maxsize=8)
def catalogue(language: str) -> Catalogue:
    """The catalogue of ``language`` (read once; eight at most are kept)."""
    text = files(__package__).joinpath(f"{language}.toml").read_text(encoding="utf-8")
    return Catalogue(language, tomllib.loads(text))
