"""The Python API (derive.api): load, derive, Document, from_torch on a live module, and Options' validation.

The command line is a thin layer over these, so a Document renders exactly what the command line writes.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import (
    ROOT, assert_json_matches_torch, load_fixture, parameter_ids, random_network, require_torch, run_cli,
)
from derive.api import Document, derive, from_torch, load
from derive.components import LOSSES, OPTIMIZERS
from derive.errors import DeriveError, SpecError, UsageError
from derive.options import Options


# ---------------------------------------------------------------- load


def test_load_takes_a_name_a_path_a_dict_or_a_network(workdir: Path) -> None:
    by_name = load("mazur")
    (workdir / "net.toml").write_text((ROOT / "examples" / "mazur.toml").read_text())
    by_path = load(workdir / "net.toml")
    assert (by_path.layers, by_path.data, by_path.loss, by_path.train) == (by_name.layers, by_name.data, by_name.loss, by_name.train)
    assert load(str(workdir / "net.toml")).name == "net"
    doc = {"layer": [{"activation": "sigmoid", "weight": [[0.15, 0.2], [0.25, 0.3]], "bias": [0.35, 0.35]},
                     {"activation": "sigmoid", "weight": [[0.4, 0.45], [0.5, 0.55]], "bias": [0.6, 0.6]}],
           "data": {"input": [0.05, 0.1], "target": [0.01, 0.99]}, "loss": {"kind": "half_sse"},
           "train": {"optimizer": "sgd", "lr": 0.5}}
    by_dict = load(doc)
    assert (by_dict.layers, by_dict.data, by_dict.loss, by_dict.train) == (by_name.layers, by_name.data, by_name.loss, by_name.train)
    assert load(by_name) is by_name


def test_load_refuses_what_is_not_a_spec() -> None:
    with pytest.raises(UsageError, match="derive.load: expected a spec path, an example name or a dict, found int"):
        load(3)  # type: ignore[arg-type]
    with pytest.raises(SpecError, match=r"^<dict>: layer\[1\]\.activation: expected one of .* \(did you mean 'sigmoid'\?\)"):
        load({"layer": [{"activation": "sigmod", "weight": [[1]]}], "data": {"input": [1], "target": [1]}})
    with pytest.raises(SpecError, match="did you mean 'mazur'"):
        load("mazurr")


# ---------------------------------------------------------------- derive and Document


def test_a_document_renders_what_the_command_line_writes(capsys) -> None:
    document = derive("mazur-classic", precision=6)
    assert isinstance(document, Document) and document.options == Options(precision=6)
    for kind, method in (("markdown", document.markdown), ("latex", document.latex), ("json", document.json)):
        _, out, _ = run_cli(["mazur-classic", "--precision", "6", "--format", kind, "-o", "-"], capsys)
        assert method() == out
        assert document.render(kind) == out.encode()
    assert document.render() == document.markdown().encode()  # the options' format
    assert document._repr_markdown_() == document.markdown()  # what a notebook shows


def test_a_document_compiles_its_own_latex_to_pdf(monkeypatch) -> None:
    from derive.render import pdf

    compiled = []
    monkeypatch.setattr(pdf, "compile_pdf", lambda latex: (compiled.append(latex) or b"%PDF-stub", ""))
    document = derive("mazur", format="pdf")
    assert document.render() == b"%PDF-stub" and document.pdf() == b"%PDF-stub"
    # the document's own LaTeX, with a stamp of it in the PDF's keywords (test_golden.py reads it back)
    stamp = "\\pdfinfo{/Keywords (" + pdf.source_stamp(document.latex()) + ")}\n"
    assert len(compiled) == 2 and all(latex.replace(stamp, "", 1) == document.latex() != latex for latex in compiled)


def test_document_quantities_are_floats_by_id_with_the_posts_numbers() -> None:
    quantities = derive("mazur").quantities
    assert all(type(value) is float for value in quantities.values())
    assert set(parameter_ids(load("mazur")).values()) <= set(quantities)
    assert f"{quantities['out_h1']:.9f}" == "0.593269992"  # the post's figures
    assert f"{quantities['E']:.9f}" == "0.298371109"
    assert f"{quantities['grad_w5']:.9f}" == "0.082167041"
    assert f"{quantities['new_w5']:.8f}" == "0.35891648"
    indexed = derive("mazur", notation="indexed").quantities
    assert indexed["grad_w2_1_1"] == quantities["grad_w5"] and indexed["b1_2"] == quantities["b_h2"] == 0.35


def test_a_document_that_cannot_be_derived_says_why_in_a_notebook() -> None:
    document = Document(random_network(3, [2, 2, 2, 2]), Options(notation="mazur"))
    with pytest.raises(UsageError, match="--notation indexed"):
        document.markdown()
    assert document._repr_markdown_().startswith("derive: --notation mazur names a network with at most one hidden layer")


def test_render_refuses_an_unknown_format() -> None:
    with pytest.raises(UsageError, match="expected one of markdown, latex, json, pdf, html, found 'docx'"):
        derive("mazur").render("docx")


def test_derive_takes_a_network_and_its_options_are_validated_first() -> None:
    network = load("mazur")
    assert derive(network).network is network
    with pytest.raises(UsageError, match="--style"):
        derive(network, style="tensor")


# ---------------------------------------------------------------- Options


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(format="docx"), "--format: expected one of markdown, latex, json, pdf, html, found 'docx'"),
        (dict(style="tensor"), "--style: expected one of scalar, matrix, graph, found 'tensor'"),
        (dict(notation="greek"), "--notation: expected one of mazur, indexed, found 'greek'"),
        (dict(lang="xx"), "--lang: expected one of en, zh, found 'xx'"),
        (dict(precision=-1), "--precision: expected a whole number from 0 to 30, found -1"),
        (dict(precision=31), "--precision: expected a whole number from 0 to 30, found 31"),
        (dict(precision=2.5), "--precision: expected a whole number from 0 to 30, found 2.5"),
        (dict(precision=True), "--precision: expected a whole number from 0 to 30, found True"),
        (dict(only="w5"), "--only: expected parameter names such as ('w5', 'b_h1'), found 'w5'"),
        (dict(only=("w5", 5)), "--only: expected parameter names"),
        (dict(verify="yes"), "--verify: expected true or false, found 'yes'"),
    ],
)
def test_options_refuse_what_cannot_be_done(options: dict, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        Options(**options)
    assert str(caught.value).startswith(message)


def test_options_are_frozen_and_keep_only_as_a_tuple() -> None:
    options = Options(only=["w5", "b_h1"], precision=0)
    assert options.only == ("w5", "b_h1") and options.precision == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.precision = 4  # type: ignore[misc]
    assert Options() == Options(format="markdown", precision=9, notation=None, only=(), style="scalar", verify=False, lang="en")


# ---------------------------------------------------------------- from_torch on a live module


@pytest.fixture
def seed_module():
    require_torch()
    return load_fixture("seed/seed_net.py", "Net")


def test_from_torch_reads_a_live_module_as_the_seed(seed_module, torch) -> None:
    network = from_torch(seed_module, torch.tensor([[0.05, 0.10]]), torch.tensor([[0.01, 0.99]]), lr=0.5)
    mazur = load("mazur")
    assert (network.layers, network.data, network.loss, network.train) == (mazur.layers, mazur.data, mazur.loss, mazur.train)
    assert (network.name, network.source, network.provenance) == ("Net", "Net", ("float32",))
    assert derive(network).quantities == derive("mazur").quantities
    assert "The starting parameters come from the module's float32 tensors" in derive(network).markdown()


def test_from_torch_takes_torch_optim_and_torch_nn_objects(seed_module, torch) -> None:
    x, y = torch.tensor([[0.05, 0.10], [0.5, -0.2]]), torch.tensor([[0.01, 0.99], [0.3, 0.6]])
    adam = torch.optim.Adam(seed_module.parameters(), lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01)
    network = from_torch(seed_module, x, y, loss=torch.nn.MSELoss(), optimizer=adam, steps=3)
    optimizer = network.train.optimizer
    assert optimizer.name == "adam" and optimizer.lr == Fraction("0.05") and optimizer.betas == (Fraction("0.8"), Fraction("0.99"))
    assert optimizer.eps == Fraction("1e-6") and optimizer.weight_decay == Fraction("0.01")
    assert network.loss.name == "mse" and network.updates == 3
    assert_json_matches_torch(network)
    sgd = from_torch(seed_module, x, y, optimizer="sgd", lr=0.1, momentum=0.9, steps=2)
    assert sgd.train.optimizer.momentum == Fraction("0.9")
    assert_json_matches_torch(sgd)


def test_from_torch_reads_huber_and_rmsprop_objects(seed_module, torch) -> None:
    rmsprop = torch.optim.RMSprop(seed_module.parameters(), lr=0.02, alpha=0.95, momentum=0.3, centered=True)
    network = from_torch(seed_module, torch.tensor([[0.05, 0.10]]), torch.tensor([[0.01, 0.99]]),
                         loss=torch.nn.HuberLoss(delta=0.25), optimizer=rmsprop, steps=2)
    assert network.loss == LOSSES.make("huber", delta=Fraction(1, 4))
    assert network.train.optimizer == OPTIMIZERS.make(
        "rmsprop", lr=Fraction(1, 50), alpha=Fraction(19, 20), momentum=Fraction(3, 10), centered=True)
    assert_json_matches_torch(network)
    by_name = from_torch(seed_module, torch.tensor([[0.05, 0.10]]), torch.tensor([[0.01, 0.99]]), loss="huber", delta=0.5)
    assert by_name.loss == LOSSES.make("huber", delta=Fraction(1, 2))  # a loss setting by keyword goes to the loss


def test_from_torch_class_indices_for_cross_entropy(torch) -> None:
    module = load_fixture("functional_relu.py", "FunctionalRelu")
    network = from_torch(module, torch.tensor([[0.6, 0.3, 0.1], [0.2, 0.9, -0.5]]), torch.tensor([2, 0]),
                         loss="cross_entropy", lr=0.1, title="A classifier")
    assert network.data.targets == (2, 0) and network.title == "A classifier"
    assert_json_matches_torch(network)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda torch, m: dict(optimizer=torch.optim.Adagrad(m.parameters(), lr=0.1)),
         "optimizer Adagrad is not supported; the optimizers are adam, rmsprop, sgd"),
        (lambda torch, m: dict(optimizer=torch.optim.RMSprop(m.parameters(), lr=0.1, maximize=True)),
         "torch.optim.RMSprop with maximize=True is not supported"),
        (lambda torch, m: dict(optimizer=torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, nesterov=True)),
         "torch.optim.SGD with nesterov=True is not supported"),
        (lambda torch, m: dict(loss=torch.nn.MSELoss(reduction="sum")), "MSELoss(reduction='sum') is not supported"),
        (lambda torch, m: dict(loss=torch.nn.L1Loss()), "loss L1Loss is not supported"),
        (lambda torch, m: dict(lr=-1), "<from_torch>: train.lr: expected a number greater than 0"),
    ],
)
def test_from_torch_refuses_what_it_cannot_follow(seed_module, torch, make, message: str) -> None:
    with pytest.raises(DeriveError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        from_torch(seed_module, torch.tensor([[0.05, 0.10]]), torch.tensor([[0.01, 0.99]]), **make(torch, seed_module))


@pytest.mark.parametrize("settings", [{}, {"delta": 0.5}], ids=["plain", "with a setting"])
def test_from_torch_names_an_unknown_loss_like_the_spec_reader(seed_module, torch, settings: dict) -> None:
    """Once a KeyError: the loss name was looked up (for its settings and class indices) before the spec
    reader validated it."""
    with pytest.raises(SpecError, match=r"^<from_torch>: loss\.kind: expected one of bce, cross_entropy, half_sse, huber, "
                                        r"mse, sse, sum, found 'mae' \(did you mean 'mse'\?\)"):
        from_torch(seed_module, torch.tensor([[0.05, 0.10]]), torch.tensor([[0.01, 0.99]]), loss="mae", **settings)


def test_from_torch_refuses_what_is_not_a_module(torch) -> None:
    with pytest.raises(UsageError, match="derive.from_torch: expected an nn.Module, found str"):
        from_torch("Net", [[0.05, 0.1]], [[0.01, 0.99]])
