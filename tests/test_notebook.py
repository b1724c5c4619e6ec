"""examples/tour.ipynb (a spec, a live module, the graph view, an exercise) runs in a real kernel, and a Document displays itself."""

from __future__ import annotations

import importlib.util
import os

import pytest

from conftest import CI, ROOT, require_torch
from derive.api import derive


def _require_jupyter() -> None:
    if any(importlib.util.find_spec(name) is None for name in ("nbclient", "nbformat", "ipykernel")):
        if CI:
            pytest.fail("nbclient, nbformat and ipykernel are required in CI")
        pytest.skip("nbclient, nbformat or ipykernel is not installed")


def test_a_document_shows_itself_in_every_notebook_format() -> None:
    document = derive("micrograd-neuron", style="graph")
    assert document._repr_markdown_().startswith("# micrograd")
    assert document._repr_latex_().startswith("\\documentclass")
    page = document._repr_html_()
    assert "<!DOCTYPE" not in page and "<svg" in page and page.count("<figure>") == 2
    assert "$$\\begin{aligned}" in page  # the notebook's MathJax typesets it


def test_the_tour_runs_in_a_kernel_and_shows_the_published_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    _require_jupyter()
    require_torch()
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    notebook = nbformat.read(ROOT / "examples" / "tour.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [cell.outputs for cell in notebook.cells if cell.cell_type == "code"]
    assert not [o for cell in outputs for o in cell if o.output_type == "error"]
    spec_view = outputs[0][0]["data"]
    assert "CS231n" in spec_view["text/html"] and "<svg" in spec_view["text/html"]
    assert "text/markdown" in spec_view
    assert outputs[1][0]["data"]["text/plain"] == "{'grad_w1': -0.2, 'grad_w2': -0.39, 'grad_b_o1': 0.2}"
    assert outputs[2][0]["data"]["text/plain"] == "(0.7071, 1.0)"
    graph_view = outputs[3][0]["data"]["text/html"]
    assert graph_view.count("<svg") == 2 and "multiply swaps" in graph_view
    printed = outputs[4][0]["text"]
    assert "0.393223866" in printed and "-0.589835800" in printed  # CS231n's dx = [0.39, -0.59]
    sheet = outputs[5][-1]["data"]["text/markdown"]
    assert "micrograd" in sheet
    answers = outputs[6][0]["data"]["text/plain"]
    assert "out_o1" in answers and "grad_w1" in answers and "0.7071" in answers
