"""The LaTeX compiles with pdflatex -no-shell-escape: no errors, no overfull lines, user text printed literally."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest

from derive.derivation import build_document
from derive.output import compile_pdf
from derive.render import render_latex
from derive.spec import load_spec

from _tools import require_pdflatex
from networks import random_network

HOSTILE_TITLE = r"\input{/etc/passwd} \write18{rm -rf ~} 100% $x$ & #1 ~ ^ {} _"


def compile_and_check(network, precision: int) -> bytes:
    require_pdflatex()
    pdf, log = compile_pdf(render_latex(build_document(network), precision))
    assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line]
    assert pdf.startswith(b"%PDF")
    return pdf


@pytest.mark.parametrize("example", ["mazur", "mazur-classic"])
@pytest.mark.parametrize("precision", [4, 9])
def test_examples_compile(example: str, precision: int) -> None:
    compile_and_check(load_spec(example), precision)


@pytest.mark.parametrize(
    "seed, widths, biases",
    [
        (1, [1, 1], ["per_neuron"]),
        (2, [3, 4, 4, 1], ["per_neuron", "shared", "none"]),
        (3, [4, 4, 4, 4], ["frozen", "shared_frozen", "per_neuron"]),
        (4, [2, 3, 2], ["shared", "per_neuron"]),
    ],
)
def test_random_networks_compile(seed: int, widths: list[int], biases: list[str]) -> None:
    compile_and_check(random_network(seed, widths, biases), 9)


def test_wide_precision_compiles() -> None:
    compile_and_check(random_network(5, [4, 4, 4], ["per_neuron", "per_neuron"]), 15)


def test_hostile_title_prints_literally() -> None:
    network = dataclasses.replace(load_spec("mazur"), title=HOSTILE_TITLE)
    pdf = compile_and_check(network, 4)
    if shutil.which("pdftotext") is None:
        from _tools import _missing

        _missing("pdftotext")
    text = subprocess.run(["pdftotext", "-l", "1", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    title = text.split("This document")[0]
    assert " ".join(title.split()) == HOSTILE_TITLE
