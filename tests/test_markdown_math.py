"""Every formula in the Markdown parses in KaTeX, a real math renderer (as GitHub, Jupyter and Colab render $...$)."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from conftest import EXAMPLES, OUTPUT, TESTS, random_network, require_katex
from derive.api import Document
from derive.options import Options

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
DISPLAY = re.compile(r"\$\$\n(.*?)\n\$\$", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)((?:[^$\\]|\\.)+?)\$")


def formulas(markdown: str) -> list[tuple[str, bool]]:
    """The display and inline formulas of a Markdown document, outside code blocks."""
    text = FENCE.sub("", markdown)
    found = [(body, True) for body in DISPLAY.findall(text)]
    text = DISPLAY.sub("", text)
    found += [(body, False) for body in INLINE.findall(text)]
    return found


def katex_errors(markdown: str) -> list[dict]:
    folder = require_katex()
    checked = formulas(markdown)
    assert checked, "no formulas found"
    done = subprocess.run(
        ["node", str(TESTS / "katex_check.js")], input=json.dumps(checked), capture_output=True, text=True, check=True,
        env=dict(os.environ, NODE_PATH=str(folder / "node_modules")),
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_markdown_in_output_parses(example: str) -> None:
    assert katex_errors((OUTPUT / f"{example}.md").read_text()) == []


@pytest.mark.parametrize("style", ["scalar", "matrix"])
def test_a_deeper_network_with_every_bias_kind_parses(style: str) -> None:
    network = random_network(7, [3, 4, 2, 2], ["per_neuron", "shared", "none"])
    assert katex_errors(Document(network, Options(style=style, precision=6)).markdown()) == []
