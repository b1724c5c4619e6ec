"""Every spec in examples/: compiles with pdflatex without overfull lines, renders, matches PyTorch, is in output/.

The examples are found by listing the folder, so a new example is tested as soon as it is added.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

try:
    from ._tools import require_pdflatex, require_torch
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from _tools import require_pdflatex, require_torch

from derive.derivation import build_document
from derive.network import Network
from derive.output import compile_pdf
from derive.render import render_json, render_latex, render_markdown
from derive.spec import load_spec
from derive.training import Training, train

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(path.stem for path in (ROOT / "examples").glob("*.toml"))
RELATIVE = 1e-9
ABSOLUTE = 1e-12



@cache
def example(name: str) -> tuple[Network, Training]:
    """An example loaded by name, as `derive NAME` does (the document then names it, not a path)."""
    network = load_spec(name)
    return network, train(network)


def test_the_issue_examples_are_there() -> None:
    assert {"mazur", "mazur-classic", "xor-tanh", "softmax-classifier", "adam-step"} <= set(EXAMPLES)


def test_examples_load_from_the_file_as_by_name() -> None:
    for name in EXAMPLES:
        from_file = load_spec(str(ROOT / "examples" / f"{name}.toml"))
        assert (from_file.layers, from_file.data, from_file.loss, from_file.train) == (
            example(name)[0].layers, example(name)[0].data, example(name)[0].loss, example(name)[0].train
        )


@pytest.mark.parametrize("style, precision", [("scalar", 9), ("matrix", 9), ("scalar", 4)])
@pytest.mark.parametrize("name", EXAMPLES)
def test_latex_compiles_without_overfull_lines(name: str, style: str, precision: int) -> None:
    require_pdflatex()
    network, training = example(name)
    latex = render_latex(build_document(network, training=training, style=style), precision)
    pdf, log = compile_pdf(latex)
    assert pdf.startswith(b"%PDF")
    overfull = [line for line in log.splitlines() if "Overfull" in line]
    assert not overfull, overfull


@pytest.mark.parametrize("style", ["scalar", "matrix"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_markdown_renders(name: str, style: str) -> None:
    network, training = example(name)
    markdown = render_markdown(build_document(network, training=training, style=style), 9)
    assert markdown.startswith("# ")
    assert "## Summary" in markdown
    assert markdown.count("$$") % 2 == 0
    if network.train.steps > 1:
        assert f"## Training for {network.train.steps} steps" in markdown


def _same(derived, reference, where: str) -> None:
    if reference is None or derived is None:
        assert derived is None and reference is None, f"{where}: {derived!r} != {reference!r}"
    elif isinstance(reference, list):
        assert isinstance(derived, list) and len(derived) == len(reference), where
        for i, (d, r) in enumerate(zip(derived, reference)):
            _same(d, r, f"{where}[{i}]")
    else:
        assert abs(derived - reference) <= RELATIVE * max(abs(derived), abs(reference)) + ABSOLUTE, (
            f"{where}: derive {derived!r} != torch {reference!r}"
        )


@pytest.mark.parametrize("name", EXAMPLES)
def test_json_matches_torch(name: str) -> None:
    require_torch()
    from derive.torch_reference import torch_run

    network, training = example(name)
    derived = json.loads(render_json(network, training))
    reference = torch_run(network)
    assert derived["format"] == "derive-json/1"
    _same(derived["steps"][0]["loss"], reference["steps"][0]["loss"], "steps[0].loss")
    for l, (layer, expected) in enumerate(zip(derived["steps"][0]["layers"], reference["steps"][0]["layers"], strict=True)):
        for key in ("weight", "bias", "z", "a", "grad_weight", "grad_bias"):
            _same(layer[key], expected[key], f"steps[0].layers[{l}].{key}")
    assert len(derived["loss_history"]) == network.train.steps
    _same(derived["loss_history"], reference["loss_history"], "loss_history")
    _same(derived["final"]["loss"], reference["final"]["loss"], "final.loss")
    for l, (layer, expected) in enumerate(zip(derived["final"]["layers"], reference["final"]["layers"], strict=True)):
        _same(layer["weight"], expected["weight"], f"final.layers[{l}].weight")
        _same(layer["bias"], expected["bias"], f"final.layers[{l}].bias")


@pytest.mark.parametrize("name", EXAMPLES)
def test_rendered_markdown_is_in_output(name: str) -> None:
    path = ROOT / "output" / f"{name}.md"
    assert path.is_file(), f"{path} is missing: run pytest --update-golden"
    assert path.read_text(encoding="utf-8").startswith("# ")


def test_latex_of_a_spec_loaded_by_a_long_path_has_no_overfull_lines(tmp_path: Path) -> None:
    require_pdflatex()
    folder = tmp_path / "course-notes" / "week-03-backpropagation"
    folder.mkdir(parents=True)
    path = folder / "mazur.toml"
    path.write_text((ROOT / "examples" / "mazur.toml").read_text(encoding="utf-8"), encoding="utf-8")
    _, log = compile_pdf(render_latex(build_document(load_spec(str(path))), 9))
    assert "Overfull" not in log
