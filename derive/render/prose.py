"""Messages as text of one output language: the catalogue's words, escaped, with each placeholder printed by kind."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any, Callable

from ..text.catalogue import Catalogue
from ..text.message import Code, Given, Math, Msg, Paragraph, Plain, Series, Text, Value, Versus, msg
from .numbers import distinguishing_decimals, plain_decimal
from .typeset import Typesetter

_FIELDS = string.Formatter()


def dollars(tex: str) -> str:
    """Inline math as Markdown and LaTeX write it."""
    return "$" + tex + "$"


@dataclass(frozen=True)
class Prose:
    """Writes messages for one output format: ``escape`` makes text literal, ``code`` sets code."""

    catalogue: Catalogue
    math: Typesetter
    escape: Callable[[str], str]
    code: Callable[[str], str]
    inline: Callable[[str], str] = dollars  # how inline math is set: HTML wraps it in an element for KaTeX

    def paragraph(self, messages: Paragraph) -> str:
        """The messages as one paragraph, joined as the language joins sentences."""
        return self.catalogue.sentence_separator.join(self.message(m) for m in messages)

    def message(self, message: Msg) -> str:
        """One message with its placeholders filled."""
        arguments = message.arguments
        out = []
        for literal, field, _spec, _conversion in _FIELDS.parse(self.catalogue.template(message)):
            out.append(self.escape(literal))
            if field is not None:
                out.append(self.value(arguments[field]))
        return "".join(out)

    def value(self, value: Any) -> str:
        """One placeholder's value (or a table cell) as text."""
        if isinstance(value, Msg):
            return self.message(value)
        if isinstance(value, Math):
            return self.inline(self.math.symbolic(value.expr))
        if isinstance(value, Given):
            return self.inline(self.math.given(value.quantity, value.symbol))
        if isinstance(value, Value):
            number = self.math.quantities[value.quantity].value if value.quantity is not None else value.number
            return self.inline(self.math.number(number, value.decimals))
        if isinstance(value, Versus):
            decimals = distinguishing_decimals(value.float64, value.exact, self.math.format.precision)
            if decimals is None:
                return self.value(Value(number=value.float64))
            return self.message(msg("float64.versus", float64=Value(number=value.float64, decimals=decimals),
                                    exact=Value(number=value.exact, decimals=decimals)))
        if isinstance(value, Plain):
            return self.escape(plain_decimal(value.number, value.form))
        if isinstance(value, Text):
            return self.escape(value.text)
        if isinstance(value, Code):
            return self.code(value.text)
        if isinstance(value, Series):
            return self.catalogue.text(f"join.{value.joiner}").join(self.value(item) for item in value.items)
        if isinstance(value, (int, str)):
            return self.escape(str(value))
        raise TypeError(f"a message cannot hold {type(value).__name__}")

    def word(self, key: str) -> str:
        """A message without placeholders, as plain text (a chart's label)."""
        return self.catalogue.text(key)
