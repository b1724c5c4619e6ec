"""output/ holds the rendered examples; these tests fail when any of them is stale."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from derive.options import Options
from derive.output import source_stamp, write_atomic
from derive.pipeline import render
from derive.spec import builtin_examples, load_spec

from _tools import require_pdflatex, require_torch

OUTPUT = Path(__file__).resolve().parent.parent / "output"
TEXT_OUTPUTS = [
    (example, kind, extension)
    for example in builtin_examples()
    for kind, extension in (("markdown", "md"), ("latex", "tex"))
]
PDF_OUTPUTS = ["mazur"]


@pytest.mark.parametrize("example, kind, extension", TEXT_OUTPUTS)
def test_text_output_is_current(example: str, kind: str, extension: str, update_golden: bool) -> None:
    expected = render(load_spec(example), Options(format=kind))
    path = OUTPUT / f"{example}.{extension}"
    if update_golden:
        write_atomic(path, expected)
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    assert path.read_bytes() == expected, f"{path} is stale: run pytest --update-golden"


@pytest.mark.parametrize("example", PDF_OUTPUTS)
def test_pdf_output_is_current(example: str, update_golden: bool) -> None:
    latex = render(load_spec(example), Options(format="latex")).decode()
    path = OUTPUT / f"{example}.pdf"
    if update_golden:
        require_pdflatex()
        write_atomic(path, render(load_spec(example), Options(format="pdf")))
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    stamps = re.findall(rb"derive-latex-sha256:[0-9a-f]{64}", path.read_bytes())
    assert stamps == [source_stamp(latex).encode()], f"{path} was built from other LaTeX: run pytest --update-golden"


# The seed script derived from its own source with --verify. It is read from the byte-for-byte copy
# in tests/fixtures/seed (test_torch_cli checks it against shared/seed), from inside that folder,
# so the document names `seed_net.py:Net` wherever the repository is checked out.
SEED_FOLDER = Path(__file__).resolve().parent / "fixtures" / "seed"
VERIFIED_SEED = OUTPUT / "seed_net-verified.md"


def test_verified_seed_output_is_current(update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    require_torch()
    from derive.torch_cli import network_from_torch_arguments

    monkeypatch.chdir(SEED_FOLDER)
    args = argparse.Namespace(
        spec=None, from_torch="seed_net.py:Net", input="0.05,0.10", target="0.01,0.99",
        loss="half_sse", lr="0.5", steps=None, optimizer=None,
    )
    expected = render(network_from_torch_arguments(args), Options(format="markdown", verify=True))
    if update_golden:
        write_atomic(VERIFIED_SEED, expected)
    assert VERIFIED_SEED.exists(), f"{VERIFIED_SEED} is missing: run pytest --update-golden"
    stale = f"{VERIFIED_SEED} is stale: run pytest --update-golden"
    assert _without_float64_noise(VERIFIED_SEED.read_bytes()) == _without_float64_noise(expected), stale


def _without_float64_noise(text: bytes) -> bytes:
    """The document with the verification's differences (derive minus PyTorch) masked.

    PyTorch's last bits depend on the CPU's kernels (FMA, vector width), so the differences, shown
    to two significant digits, may change from one machine to another; --verify itself checks them.
    """
    head, title, rest = text.partition(b"\n## Verification against PyTorch\n")
    table, end, tail = rest.partition(b"\n## ")
    table = re.sub(rb"largest relative difference is \$[^$]*\$", b"largest relative difference is ...", table)
    table = re.sub(rb"\| \$[^$|]*\$ \|$", b"| ... |", table, flags=re.MULTILINE)
    return head + title + table + end + tail



def test_a_render_does_not_depend_on_earlier_renders_in_the_process() -> None:
    """Caches (number formats, derivatives) must not leak one document's values into another.

    Every example is rendered here after all the others, and compared with a fresh process.
    """
    import subprocess
    import sys

    in_process = {name: render(load_spec(name), Options()) for name in builtin_examples()}
    for name in builtin_examples():
        fresh = subprocess.run([sys.executable, "-m", "derive", name, "-o", "-"], capture_output=True, check=True).stdout
        assert in_process[name] == fresh, name


def test_the_number_cache_keeps_exact_and_rounded_values_apart() -> None:
    """Fraction(1, 2) == mpf(0.5) in Python, but one is exact (0.5) and the other rounded (0.500000000)."""
    import mpmath
    from fractions import Fraction

    from derive.formatting import format_number

    assert format_number(mpmath.mpf(0.5), 9).mantissa == "0.500000000"
    assert format_number(Fraction(1, 2), 9).mantissa == "0.5"
    assert format_number(Fraction(1, 2), 9).exact and not format_number(mpmath.mpf(0.5), 9).exact
