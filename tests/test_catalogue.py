"""derive.text: the message catalogues. Every message the code asks for exists, with the placeholders it fills,
and every language has every key of the English catalogue with the same placeholders.

(A missing message in a path the documents of the other tests never take would otherwise only show as a
KeyError in a user's hands.)
"""

from __future__ import annotations

import ast
import string

import pytest

from conftest import ROOT
from derive.components import ACTIVATIONS, LOSSES, OPTIMIZERS
from derive.text.catalogue import catalogue, languages
from derive.text.message import Msg

SOURCES = sorted((ROOT / "derive").rglob("*.py"))


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def templates(entry) -> list[str]:
    """A message's text, or each of its plural forms."""
    return list(entry.values()) if isinstance(entry, dict) else [entry]


def literal_messages() -> list[tuple[str, set[str] | None, str]]:
    """Every msg("key", name=...) call in derive's source with a literal key: (key, argument names, where);
    the names are None where the call passes **arguments."""
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "msg"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                names = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
                found.append((node.args[0].value, names, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


CALLS = literal_messages()


def test_the_code_asks_for_messages() -> None:
    assert len(CALLS) > 50  # the scan finds the calls (a refactor that renames msg would otherwise pass silently)


@pytest.mark.parametrize("key, names, where", CALLS, ids=[f"{key}@{where}" for key, _, where in CALLS])
def test_every_message_the_code_asks_for_exists_with_the_placeholders_it_fills(key: str, names: set, where: str) -> None:
    entry = catalogue("en").messages.get(key)
    assert entry is not None, f"{where}: no message {key!r} in en.toml"
    for text in templates(entry):
        if names is not None:
            assert placeholders(text) <= names, f"{where}: {key!r} needs {placeholders(text) - names}"


@pytest.mark.parametrize("family", [ACTIVATIONS, LOSSES, OPTIMIZERS], ids=["activations", "losses", "optimizers"])
def test_components_own_their_words(family) -> None:
    for cls in family:
        assert "words" in cls.messages or "name" in cls.messages, cls.name
        for name, text in cls.messages.items():
            assert Msg(cls.message_key(name), (), text).default == text
            assert catalogue("en").template(Msg(cls.message_key(name), (), text)) == text


@pytest.mark.parametrize("language", languages())
def test_every_language_has_every_english_key_with_the_same_placeholders(language: str) -> None:
    english, other = catalogue("en").messages, catalogue(language).messages
    assert set(english) <= set(other)
    for key, entry in english.items():
        expected = set().union(*(placeholders(text) for text in templates(entry)))
        for text in templates(other[key]):
            assert placeholders(text) <= expected, (language, key)
