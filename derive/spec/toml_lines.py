"""Where things are in TOML text: the line of a key path, and how deeply brackets nest.

tomllib gives line numbers only for syntax errors, so messages about values (``layer[2].weight``)
find their line here with a small scanner that knows TOML's headers, keys, strings and comments.
"""

from __future__ import annotations

import re
from collections.abc import Callable

KeyPath = tuple[str | int, ...]
Locator = Callable[[KeyPath], int | None]

_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEY = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_ARRAY_TABLE_HEADER = re.compile(rf"\s*\[\[\s*({_KEY})\s*\]\]")
_TABLE_HEADER = re.compile(rf"\s*\[\s*({_KEY})\s*\]")
_KEY_VALUE = re.compile(rf"\s*({_KEY})\s*=")
_SIGNIFICANT = re.compile(r"""[#"'\[\]{}.=,]""")  # the only characters that change depth, strings or dots
_MOST_KEY_PARTS = 16  # key paths in messages are short; longer dotted keys need no line


def make_locator(text: str) -> Locator:
    """A function giving the 1-based line of a key path in TOML text, or of its nearest parent.

    The lines are found on the first question, since only a message about a value asks one.
    """
    found: list[dict[KeyPath, int]] = []

    def locate(path: KeyPath) -> int | None:
        if not found:
            found.append(_key_lines(text))
        lines = found[0]
        for end in range(len(path), 0, -1):
            line = lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    return locate


def first_line_deeper_than(text: str, limit: int) -> int | None:
    """The first line where arrays, inline tables or dotted keys nest more than ``limit`` deep.

    tomllib parses nested values recursively, so very deep nesting would exhaust Python's stack,
    and its time grows with the square of a dotted key's length (20,000 parts: 8 s).
    """
    depth, open_string = 0, None
    for number, line in enumerate(text.split("\n"), start=1):
        depth, open_string, deepest = _scan_line(line, depth, open_string)
        if deepest > limit:
            return number
    return None


def _key_lines(text: str) -> dict[KeyPath, int]:
    lines: dict[KeyPath, int] = {}
    array_counts: dict[KeyPath, int] = {}
    table: KeyPath = ()

    def resolve(parts: list[str]) -> KeyPath:
        path: KeyPath = ()
        for part in parts:
            path += (part,)
            if path in array_counts:
                path += (array_counts[path] - 1,)
        return path

    for number, line, at_top in _top_level_lines(text):
        if not at_top:
            continue
        if match := _ARRAY_TABLE_HEADER.match(line):
            parts = _split_key(match.group(1))
            array = resolve(parts[:-1]) + (parts[-1],)
            array_counts[array] = array_counts.get(array, 0) + 1
            table = array + (array_counts[array] - 1,)
            lines.setdefault(array, number)
            lines.setdefault(table, number)
        elif match := _TABLE_HEADER.match(line):
            table = resolve(_split_key(match.group(1)))
            lines.setdefault(table, number)
        elif match := _KEY_VALUE.match(line):
            parts = _split_key(match.group(1))
            for end in range(1, min(len(parts), _MOST_KEY_PARTS) + 1):
                lines.setdefault(table + tuple(parts[:end]), number)
    return lines


def _split_key(key: str) -> list[str]:
    return [part.strip("\"'") for part in re.findall(_KEY_PART, key)]


def _top_level_lines(text: str) -> list[tuple[int, str, bool]]:
    """Each line with its number and whether it starts outside any value (array, string...)."""
    result = []
    depth = 0
    open_string: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        result.append((number, line, depth == 0 and open_string is None))
        depth, open_string, _ = _scan_line(line, depth, open_string)
    return result


def _scan_line(line: str, depth: int, open_string: str | None) -> tuple[int, str | None, int]:
    """Bracket depth, open multi-line string delimiter and deepest depth after reading one line.

    The deepest depth also counts the parts of dotted keys (``a.b.c`` is 3 deep), as the dots
    outside strings with no separator between them (a number has at most one).
    """
    index = 0
    deepest = depth
    dots = 0
    while index < len(line):
        if open_string is not None:
            end = _string_end(line, index, open_string)
            if end is None:
                return depth, open_string, deepest
            index, open_string = end, None
            continue
        found = _SIGNIFICANT.search(line, index)
        if found is None:
            break
        index = found.start()
        char = line[index]
        if char == "#":
            break
        if line.startswith(('"""', "'''"), index):
            open_string, index = line[index : index + 3], index + 3
        elif char in "\"'":
            end = _string_end(line, index + 1, char)
            index = len(line) if end is None else end
        else:
            depth += (char in "[{") - (char in "]}")
            dots = dots + 1 if char == "." else (0 if char in "[]{}=," else dots)
            deepest = max(deepest, depth, depth + dots)
            index += 1
    return depth, open_string, deepest


def _string_end(line: str, index: int, delimiter: str) -> int | None:
    """Index just after the closing delimiter, or None when the string goes on."""
    while index < len(line):
        if line.startswith(delimiter, index):
            return index + len(delimiter)
        index += 2 if line[index] == "\\" and delimiter.startswith('"') else 1
    return None
