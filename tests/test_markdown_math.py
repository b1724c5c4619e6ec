"""Every formula in the Markdown output parses in KaTeX, a real math renderer (as GitHub, Jupyter and Colab render $...$)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from derive.derivation import build_document
from derive.render import render_markdown
from derive.spec import builtin_examples, load_spec

from _tools import _missing
from networks import random_network

HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent / "output"
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
DISPLAY = re.compile(r"\$\$\n(.*?)\n\$\$", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)((?:[^$\\]|\\.)+?)\$")


def katex_folder() -> Path:
    """Where `npm install katex` put it: $DERIVE_KATEX, or the folder .ci/run uses."""
    folder = Path(os.environ.get("DERIVE_KATEX", Path.home() / ".cache" / "derive-katex"))
    if shutil.which("node") is None or not (folder / "node_modules" / "katex").is_dir():
        _missing("node with katex (npm install --prefix ~/.cache/derive-katex katex)")
    return folder


def formulas(markdown: str) -> list[tuple[str, bool]]:
    """The display and inline formulas of a Markdown document, outside code blocks."""
    text = FENCE.sub("", markdown)
    found = [(body, True) for body in DISPLAY.findall(text)]
    text = DISPLAY.sub("", text)
    found += [(body, False) for body in INLINE.findall(text)]
    return found


def katex_errors(markdown: str) -> list[dict]:
    folder = katex_folder()
    checked = formulas(markdown)
    assert checked, "no formulas found"
    done = subprocess.run(
        ["node", str(HERE / "katex_check.js")],
        input=json.dumps(checked),
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, NODE_PATH=str(folder / "node_modules")),
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("example", builtin_examples())
def test_output_markdown_parses(example: str) -> None:
    assert katex_errors((OUTPUT / f"{example}.md").read_text()) == []


@pytest.mark.parametrize("style", ["scalar", "matrix"])
def test_random_network_markdown_parses(style: str) -> None:
    network = random_network(7, [3, 4, 2, 2], ["per_neuron", "shared", "none"])
    markdown = render_markdown(build_document(network, style=style), 6)
    assert katex_errors(markdown) == []


def test_hostile_title_stays_text() -> None:
    import dataclasses

    title = r"\input{/etc/passwd} $x$ & #1 ~ ^ {} _ <script>alert(1)</script> | *a* `b`"
    network = dataclasses.replace(load_spec("mazur"), title=title)
    markdown = render_markdown(build_document(network), 4)
    heading = markdown.splitlines()[0]
    assert "<script>" not in heading and "$x$" not in heading
    assert formulas(heading) == []
