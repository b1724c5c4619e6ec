"""Tests of derive.spec: built-ins, exact numbers, line numbers, one clean error per bad spec."""

from __future__ import annotations

from pathlib import Path

import copy
import decimal
import sys
import types
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.errors import SpecError
from derive.network import Layer, Network, Train
from derive.spec import (
    builtin_examples,
    format_key_path,
    load_spec,
    make_locator,
    network_from_dict,
    parse_spec,
)
from networks import SEED_SPEC

F = Fraction

BASE = SEED_SPEC

SECOND_LAYER = """\
[[layer]]
activation = "sigmoid"
weight = [[0.40, 0.45], [0.50, 0.55]]
bias = [0.60, 0.60]
"""


def edit(*replacements: tuple[str, str], text: str = BASE) -> str:
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def parse(text: str) -> Network:
    return parse_spec(text, source="test.toml", name="test")


def error_of(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        parse(text)
    return str(caught.value)


# ---------------------------------------------------------------- good specs


def test_builtin_examples_are_listed() -> None:
    shipped = sorted(path.stem for path in (Path(__file__).resolve().parent.parent / "examples").glob("*.toml"))
    assert builtin_examples() == shipped
    assert {"mazur", "mazur-classic"} <= set(shipped)


def test_mazur_reads_decimals_exactly() -> None:
    network = load_spec("mazur")
    first, second = network.layers
    assert first.weight == ((F(3, 20), F(1, 5)), (F(1, 4), F(3, 10)))
    assert first.weight[0][0] == Fraction(3, 20)
    assert first.bias == (F(7, 20), F(7, 20))
    assert first.bias_trained
    assert second.weight == ((F(2, 5), F(9, 20)), (F(1, 2), F(11, 20)))
    assert second.bias == (F(3, 5), F(3, 5))
    assert network.data.inputs == ((F(1, 20), F(1, 10)),)
    assert network.data.targets == ((F(1, 100), F(99, 100)),)
    assert (network.loss, network.train) == ("half_sse", Train(lr=F(1, 2), steps=1))
    assert (network.name, network.source) == ("mazur", "mazur")
    assert network.title == "A step-by-step backpropagation example"


def test_mazur_classic_has_shared_frozen_biases() -> None:
    network = load_spec("mazur-classic")
    assert [layer.bias for layer in network.layers] == [F(7, 20), F(3, 5)]
    assert [layer.bias_kind for layer in network.layers] == ["shared", "shared"]
    assert not any(layer.train_bias or layer.bias_trained for layer in network.layers)
    assert network.name == "mazur-classic"


def test_a_flat_list_is_one_sample() -> None:
    flat = parse(edit(("[[0.05, 0.10]]", "[0.05, 0.10]"), ("[[0.01, 0.99]]", "[0.01, 0.99]")))
    assert flat.data == parse(BASE).data


@pytest.mark.parametrize(
    ("replacements", "check"),
    [
        ((("steps = 1", "steps = 1\neps = 1e-8"), ('"sgd"', '"adam"')),
         lambda n: n.train.eps == F(1, 10**8) and n.train.optimizer == "adam"),
        ((("steps = 1", "steps = 3\nmomentum = 0.9\nweight_decay = 0.01"),),
         lambda n: n.train
         == Train(lr=F(1, 2), momentum=F(9, 10), weight_decay=F(1, 100), steps=3)),
        ((('[loss]\nkind = "half_sse"\n', ""),
          ('[train]\noptimizer = "sgd"\nlr = 0.5\nsteps = 1\n', "")),
         lambda n: n.loss == "half_sse" and n.train == Train()),
        ((("bias = [0.35, 0.35]\n", ""),), lambda n: n.layers[0].bias is None),
        ((("bias = [0.35, 0.35]", "bias = 1"),), lambda n: n.layers[0].bias == F(1)),
        ((('"sigmoid"\nweight = [[0.15', '"leaky_relu"\nweight = [[0.15'),),
         lambda n: n.layers[0].negative_slope == F(1, 100)),
        ((('activation = "sigmoid"\nweight = [[0.15',
           'activation = "leaky_relu"\nnegative_slope = 0.2\nweight = [[0.15'),),
         lambda n: n.layers[0].negative_slope == F(1, 5)),
        ((('kind = "half_sse"', 'kind = "cross_entropy"'), ("[[0.01, 0.99]]", "[1]")),
         lambda n: n.data.targets == (1,) and n.data.targets_are_indices),
        ((('kind = "half_sse"', 'kind = "cross_entropy"'), ("[[0.01, 0.99]]", "[[0.25, 0.75]]")),
         lambda n: n.data.targets == ((F(1, 4), F(3, 4)),)),
        ((('kind = "half_sse"', 'kind = "mse"'), ("[[0.01, 0.99]]", "[0, 1]")),
         lambda n: n.data.targets == ((F(0), F(1)),)),
        ((("input = [[0.05, 0.10]]", "input = [[0.05, 0.10], [1, 2]]"),
          ("target = [[0.01, 0.99]]", "target = [[0.01, 0.99], [0, 1]]")),
         lambda n: n.data.batch_size == 2 and n.data.inputs[1] == (F(1), F(2))),
        ((('title = "t"', "title = 'x \\\\ y $ %'"),), lambda n: n.title == "x \\\\ y $ %"),
    ],
    ids=["adam-eps", "sgd-momentum", "defaults", "no-bias", "shared-int-bias", "leaky-default",
         "leaky-slope", "ce-indices", "ce-probabilities", "mse-int-row", "batch", "literal-title"],
)
def test_good_specs(replacements: tuple[tuple[str, str], ...], check) -> None:
    assert check(parse(edit(*replacements)))


def test_network_from_dict_takes_floats_and_fractions() -> None:
    doc = {
        "layer": [{"activation": "identity", "weight": [[0.15, F(1, 3)]], "bias": 0.1}],
        "data": {"input": [1, 2], "target": [F(1, 2)]},
    }
    network = network_from_dict(doc, source="<torch>", name="net")
    assert network.layers[0].weight == ((F(3, 20), F(1, 3)),)
    assert network.layers[0].bias == F(1, 10)
    assert network.data.inputs == ((F(1), F(2)),)


# ---------------------------------------------------------------- bad specs

ONE_LAYER = edit((SECOND_LAYER + "\n", ""))

TORCH_SPEC = """\
[torch]
module = "models/net.py:Net"

[data]
input = [[1, 2]]
target = [[0.5]]
"""


BAD_SPECS = [
    # (id, text, key path, line or None, also in the message)
    ("activation-typo", edit(('"sigmoid"\nweight = [[0.4', '"sigmod"\nweight = [[0.4')),
     "layer[2].activation", 9, "(did you mean 'sigmoid'?)"),
    ("activation-case", edit(('"sigmoid"\nweight = [[0.4', '"Sigmoid"\nweight = [[0.4')),
     "layer[2].activation", 9, "(did you mean 'sigmoid'?)"),
    ("activation-missing", edit(('activation = "sigmoid"\nweight = [[0.15', "weight = [[0.15")),
     "layer[1].activation", 3, "found nothing"),
    ("activation-not-string", edit(('"sigmoid"\nweight = [[0.15', '1\nweight = [[0.15')),
     "layer[1].activation", 4, "found 1"),
    ("layer-key-typo", edit(("weight = [[0.15", "wieght = [[0.15")),
     "layer[1].wieght", 5, "(did you mean 'weight'?)"),
    ("top-key-typo", edit(('title = "t"', 'titel = "t"')), "titel", 1, "(did you mean 'title'?)"),
    ("title-not-string", edit(('title = "t"', "title = 3")), "title", 1, "expected a string"),
    ("loss-typo", edit(('"half_sse"', '"half_see"')), "loss.kind", 18,
     "(did you mean 'half_sse'?)"),
    ("loss-kind-missing", edit(('kind = "half_sse"', "")), "loss.kind", 17, "found nothing"),
    ("loss-not-table",
     edit(('title = "t"', 'title = "t"\nloss = "mse"'), ('[loss]\nkind = "half_sse"\n', "")),
     "loss", 2, "expected a table, found 'mse' (a string)"),
    ("key-in-wrong-table", edit(('[loss]\nkind = "half_sse"', 'loss = "mse"')),
     "data.loss", 17, "'loss' belongs at the top level"),
    ("optimizer-typo", edit(('"sgd"', '"adma"')), "train.optimizer", 21, "(did you mean 'adam'?)"),
    ("weight-ragged", edit(("[0.25, 0.30]]", "[0.25]]")), "layer[1].weight[1]", 5, "1 number"),
    ("weight-flat", edit(("[[0.15, 0.20], [0.25, 0.30]]", "[0.15, 0.20]")),
     "layer[1].weight", 5, "[[...]]"),
    ("weight-empty", edit(("[[0.15, 0.20], [0.25, 0.30]]", "[]")), "layer[1].weight", 5,
     "found []"),
    ("weight-empty-row", edit(("[0.25, 0.30]]", "[]]")), "layer[1].weight[1]", 5, "found []"),
    ("weight-missing", edit(("weight = [[0.15, 0.20], [0.25, 0.30]]\n", "")),
     "layer[1].weight", 3, "found nothing"),
    ("weight-string", edit(("[[0.15,", '[["0.15",')), "layer[1].weight[0][0]", 5, "(a string)"),
    ("weight-bool", edit(("[0.25, 0.30]", "[true, 0.30]")), "layer[1].weight[1][0]", 5,
     "found true (a boolean)"),
    ("weight-nan", edit(("0.30]]", "nan]]")), "layer[1].weight[1][1]", 5, "finite"),
    ("weight-huge", edit(("0.30]]", "1e999]]")), "layer[1].weight[1][1]", 5, "float64"),
    ("weight-tiny", edit(("0.30]]", "1e-999999999]]")), "layer[1].weight[1][1]", 5, "float64"),
    ("weight-huge-int", edit(("0.30]]", f"{10**400}]]")), "layer[1].weight[1][1]", 5, "float64"),
    ("weight-chain", edit(("[[0.40, 0.45], [0.50, 0.55]]", "[[0.4, 0.4, 0.4], [0.5, 0.5, 0.5]]")),
     "layer[2].weight", 10, "layer[1] has 2 neurons"),
    ("bias-inf", edit(("[0.35, 0.35]", "[0.35, -inf]")), "layer[1].bias[1]", 6, "found -inf"),
    ("bias-count", edit(("[0.35, 0.35]", "[0.35]")), "layer[1].bias", 6, "found 1 number"),
    ("bias-string", edit(("[0.35, 0.35]", '"0.35"')), "layer[1].bias", 6, "'0.35' (a string)"),
    ("bias-nested", edit(("[0.35, 0.35]", "[[0.35, 0.35]]")), "layer[1].bias[0]", 6, "(a list)"),
    ("slope-not-leaky", edit(("[0.35, 0.35]", "[0.35, 0.35]\nnegative_slope = 0.1")),
     "layer[1].negative_slope", 7, "leaky_relu"),
    ("train-bias-without-bias", edit(("bias = [0.35, 0.35]", "train_bias = false")),
     "layer[1].train_bias", 6, "without a bias"),
    ("train-bias-not-bool", edit(("[0.35, 0.35]", '[0.35, 0.35]\ntrain_bias = "no"')),
     "layer[1].train_bias", 7, "expected true or false"),
    ("single-layer-table", edit(("[[layer]]", "[layer]"), text=ONE_LAYER),
     "layer", 3, "[[layer]]"),
    ("layer-not-table", 'layer = [1]\n[data]\ninput = [1]\ntarget = [1]\n',
     "layer[1]", 1, "expected a table, found 1"),
    ("layer-empty", 'layer = []\n[data]\ninput = [1]\ntarget = [1]\n', "layer", 1, "found []"),
    ("layer-missing", "[data]\ninput = [1]\ntarget = [1]\n", "layer", None, "found nothing"),
    ("inline-layer-typo", 'layer = [{activation = "sigmod", weight = [[1.0]]}]\n',
     "layer[1].activation", 1, "(did you mean 'sigmoid'?)"),
    ("data-missing", edit(("[data]\ninput = [[0.05, 0.10]]\ntarget = [[0.01, 0.99]]\n", "")),
     "data", None, "found nothing"),
    ("input-missing", edit(("input = [[0.05, 0.10]]\n", "")), "data.input", 13, "found nothing"),
    ("target-missing", edit(("target = [[0.01, 0.99]]\n", "")), "data.target", 13, "found nothing"),
    ("input-width", edit(("[[0.05, 0.10]]", "[[0.05, 0.10, 0.2]]")), "data.input", 14,
     "layer[1] takes 2 inputs"),
    ("input-mixed", edit(("[[0.05, 0.10]]", "[[0.05, 0.10], 0.2]")), "data.input[1]", 14,
     "expected a row"),
    ("target-width", edit(("[[0.01, 0.99]]", "[[0.01]]")), "data.target", 15,
     "layer[2] has 2 neurons"),
    ("target-rows", edit(("[[0.05, 0.10]]", "[[0.05, 0.10], [0.1, 0.2]]")), "data.target", 15,
     "expected 2 rows"),
    ("data-key-typo", edit(("target = ", "targets = ")), "data.targets", 15,
     "(did you mean 'target'?)"),
    ("bce-range", edit(('"half_sse"', '"bce"'), ("0.99]]", "1.5]]")), "data.target[0][1]", 15,
     "probability from 0 to 1"),
    ("ce-index-range", edit(('"half_sse"', '"cross_entropy"'), ("[[0.01, 0.99]]", "[2]")),
     "data.target[0]", 15, "class index from 0 to 1"),
    ("ce-negative-index", edit(('"half_sse"', '"cross_entropy"'), ("[[0.01, 0.99]]", "[-1]")),
     "data.target[0]", 15, "found -1"),
    ("ce-index-count", edit(('"half_sse"', '"cross_entropy"'), ("[[0.01, 0.99]]", "[0, 1]")),
     "data.target", 15, "expected 1 class index"),
    ("ce-probability-range",
     edit(('"half_sse"', '"cross_entropy"'), ("[[0.01, 0.99]]", "[[-0.5, 1.5]]")),
     "data.target[0][0]", 15, "probability"),
    ("mse-string-target", edit(('"half_sse"', '"mse"'), ("[[0.01, 0.99]]", '["a", "b"]')),
     "data.target[0]", 15, "(a string)"),
    ("lr-zero", edit(("lr = 0.5", "lr = 0")), "train.lr", 22, "greater than 0"),
    ("lr-negative", edit(("lr = 0.5", "lr = -0.1")), "train.lr", 22, "found -0.1"),
    ("lr-string", edit(("lr = 0.5", 'lr = "0.5"')), "train.lr", 22, "(a string)"),
    ("steps-float", edit(("steps = 1", "steps = 1.0")), "train.steps", 23, "found 1.0"),
    ("steps-zero", edit(("steps = 1", "steps = 0")), "train.steps", 23, "at least 1"),
    ("steps-bool", edit(("steps = 1", "steps = true")), "train.steps", 23, "(a boolean)"),
    ("train-key-typo", edit(("steps = 1", "stpes = 1")), "train.stpes", 23,
     "(did you mean 'steps'?)"),
    ("momentum-negative", edit(("steps = 1", "steps = 1\nmomentum = -1")), "train.momentum", 24,
     "at least 0"),
    ("weight-decay-negative", edit(("steps = 1", "steps = 1\nweight_decay = -1")),
     "train.weight_decay", 24, "at least 0"),
    ("momentum-with-adam", edit(('"sgd"', '"adam"'), ("steps = 1", "steps = 1\nmomentum = 0.9")),
     "train.momentum", 24, "with optimizer 'adam' (sgd only)"),
    ("betas-with-sgd", edit(("steps = 1", "steps = 1\nbetas = [0.9, 0.99]")), "train.betas", 24,
     "adam only"),
    ("betas-range", edit(('"sgd"', '"adam"'), ("steps = 1", "steps = 1\nbetas = [0.9, 1.0]")),
     "train.betas[1]", 24, "not including"),
    ("betas-one-number", edit(('"sgd"', '"adam"'), ("steps = 1", "steps = 1\nbetas = 0.9")),
     "train.betas", 24, "two numbers"),
    ("eps-zero", edit(('"sgd"', '"adam"'), ("steps = 1", "steps = 1\neps = 0.0")), "train.eps", 24,
     "greater than 0"),
    ("torch-and-layers", BASE + '\n[torch]\nmodule = "net.py:Net"\n', "torch", 25, "found both"),
    ("torch-bad-module", edit(('"models/net.py:Net"', '"net.py"'), text=TORCH_SPEC),
     "torch.module", 2, "FILE.py:NAME"),
    ("torch-key-typo", edit(("module =", "modul ="), text=TORCH_SPEC),
     "torch.modul", 2, "(did you mean 'module'?)"),
]


@pytest.mark.parametrize(
    ("text", "key_path", "line", "detail"),
    [case[1:] for case in BAD_SPECS],
    ids=[case[0] for case in BAD_SPECS],
)
def test_bad_specs(text: str, key_path: str, line: int | None, detail: str) -> None:
    message = error_of(text)
    where = "test.toml" if line is None else f"test.toml:{line}"
    assert message.startswith(f"{where}: {key_path}: expected "), message
    assert detail in message, message
    assert len(message.splitlines()) <= 3


@pytest.mark.parametrize(
    ("text", "line", "detail"),
    [
        (edit(("lr = 0.5", "lr = 0.5.5")), 22, "TOML syntax error"),
        (edit(("lr = 0.5", "lr = 0.5\nlr = 0.1")), 23, "TOML syntax error"),
        ('title = "unterminated\n', 1, "TOML syntax error"),
        (edit(("steps = 1", "steps = 1" + "0" * 5000)), None, "TOML error"),
    ],
    ids=["bad-number", "duplicate-key", "unterminated-string", "too-many-digits"],
)
def test_toml_errors(text: str, line: int | None, detail: str) -> None:
    message = error_of(text)
    where = "test.toml" if line is None else f"test.toml:{line}"
    assert message.startswith(f"{where}: {detail}"), message


def test_a_parsed_dict_without_a_locator_has_no_line() -> None:
    with pytest.raises(SpecError, match=r"^<torch>: data: expected a \[data\] table"):
        network_from_dict({"layer": [{"activation": "relu", "weight": [[1]]}]}, "<torch>", "n")


def test_a_document_that_is_not_a_table() -> None:
    with pytest.raises(SpecError, match=r"^<torch>: expected a table, found \[1\]"):
        network_from_dict([1], "<torch>", "n")  # type: ignore[arg-type]


def test_long_values_are_shortened() -> None:
    message = error_of(edit(("lr = 0.5", "lr = [" + ", ".join(["0.5"] * 50) + "]")))
    assert "..." in message and len(message) < 200


# ---------------------------------------------------------------- key paths and line numbers


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("layer", 0, "weight", 0, 1), "layer[1].weight[0][1]"),
        (("layer", 2), "layer[3]"),
        (("data", "target", 0), "data.target[0]"),
        (("train", "lr"), "train.lr"),
    ],
)
def test_format_key_path(path: tuple, text: str) -> None:
    assert format_key_path(path) == text


LOCATOR_TEXT = """\
# comment [data]
[[layer]]
weight = [
  [1],
  [2],
]
note = '''
x = 1
[train]
'''
[[layer]]
"quoted key" = 1
a.b = 2
inline = { c = 3 }
[train]
lr = 0.5  # [loss]
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("layer",), 2),
        (("layer", 0), 2),
        (("layer", 0, "weight"), 3),
        (("layer", 0, "weight", 1, 0), 3),
        (("layer", 0, "x"), 2),
        (("layer", 1), 11),
        (("layer", 1, "quoted key"), 12),
        (("layer", 1, "a", "b"), 13),
        (("layer", 1, "inline", "c"), 14),
        (("train",), 15),
        (("train", "lr"), 16),
        (("train", "steps"), 15),
        (("data",), None),
        (("loss",), None),
    ],
)
def test_locator(path: tuple, line: int | None) -> None:
    assert make_locator(LOCATOR_TEXT)(path) == line


# ---------------------------------------------------------------- files and names


def test_a_path_is_named_after_its_stem(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_net.toml").write_text(BASE)
    network = load_spec("my_net.toml")
    assert (network.name, network.source, network.title) == ("my_net", "my_net.toml", "t")


def test_a_path_wins_over_a_builtin_name(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mazur").write_text(edit(('title = "t"', 'title = "local"')))
    assert load_spec("mazur").title == "local"


def test_a_directory_named_like_a_builtin_does_not_hide_it(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mazur").mkdir()
    assert load_spec("mazur").source == "mazur"


@pytest.mark.parametrize(
    ("make", "spec", "pattern"),
    [
        (lambda d: None, "mazurr",
         r"^mazurr: .*no such file or example \(did you mean 'mazur'\?\)$"),
        (lambda d: None, "missing.toml",
         r"^missing.toml: expected a spec file .*found no such file"),
        (lambda d: (d / "folder").mkdir(), "folder",
         r"^folder: expected a TOML spec file, found a directory"),
        (lambda d: (d / "bin.toml").write_bytes(b"title = 1\n\xff\xfe\x00"), "bin.toml",
         r"^bin.toml:2: expected a TOML spec file \(UTF-8 text\), found the byte 0xff"),
        (lambda d: (d / "empty.toml").write_text(""), "empty.toml",
         r"^empty.toml: layer: expected"),
        (lambda d: (d / "bom.toml").write_bytes(b"\xef\xbb\xbftitle = 1\n"), "bom.toml",
         r"^bom.toml:1: title: expected a string"),
    ],
    ids=["near-builtin", "missing-file", "directory", "not-utf8", "empty", "bom"],
)
def test_file_problems(tmp_path, monkeypatch, make, spec: str, pattern: str) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path)
    with pytest.raises(SpecError, match=pattern):
        load_spec(spec)


# ---------------------------------------------------------------- [torch] wiring

def fake_importer(monkeypatch, layers_from_module_path) -> None:
    """Stand in for the PyTorch reader: layers from the given function, a fixed provenance sentence."""
    fake = types.ModuleType("derive.from_torch")
    fake.read_module_path = lambda path, name: (layers_from_module_path(path, name), "Read from a fake module.")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "derive.from_torch", fake)


def test_torch_module_is_resolved_next_to_the_spec(tmp_path, monkeypatch) -> None:
    calls = []
    layer = Layer(activation="identity", weight=((F(1), F(2)),), bias=None)

    def layers_from_module_path(path: str, class_name: str) -> tuple[Layer, ...]:
        calls.append((path, class_name))
        return (layer,)

    fake_importer(monkeypatch, layers_from_module_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "t.toml").write_text(TORCH_SPEC)
    network = load_spec("specs/t.toml")
    assert network.layers == (layer,)
    assert calls == [(str(tmp_path / "specs" / "models" / "net.py"), "Net")]


def test_torch_importer_errors_name_the_spec_line(monkeypatch) -> None:
    def layers_from_module_path(path: str, class_name: str) -> tuple[Layer, ...]:
        raise SpecError(f"{path}: no such file")

    fake_importer(monkeypatch, layers_from_module_path)
    pattern = r"^test.toml:2: torch.module: /\S*/models/net.py: no such file$"
    with pytest.raises(SpecError, match=pattern):
        parse(TORCH_SPEC)


def test_torch_layers_must_fit_the_data(monkeypatch) -> None:
    wide = Layer(activation="identity", weight=((F(1), F(2), F(3)),), bias=None)
    fake_importer(monkeypatch, lambda path, class_name: (wide,))
    with pytest.raises(SpecError, match=r"^test.toml:5: data.input: expected rows of 3 numbers"):
        parse(TORCH_SPEC)


def test_torch_importer_that_is_missing_is_a_spec_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "derive.from_torch", types.ModuleType("derive.from_torch"))
    with pytest.raises(SpecError, match=r"^test.toml:2: torch.module: cannot load PyTorch modules"):
        parse(TORCH_SPEC)


# ---------------------------------------------------------------- fuzz: only SpecError escapes

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.fractions(max_denominator=10),
    st.text(max_size=8),
    st.sampled_from(["sigmoid", "relu", "leaky_relu", "cross_entropy", "bce", "adam"]),
    st.lists(st.integers(min_value=-1, max_value=2), max_size=3),
    st.lists(st.lists(st.decimals(allow_nan=False, places=2), max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _leaf_paths(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_paths(item, path + (key,))
    elif isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        for index, item in enumerate(value):
            yield from _leaf_paths(item, path + (index,))
    yield path


MAZUR_DOC = {
    "layer": [
        {"activation": "sigmoid", "weight": [[decimal.Decimal("0.15"), 0.2], [0.25, 0.3]],
         "bias": [0.35, 0.35]},
        {"activation": "sigmoid", "weight": [[0.4, 0.45], [0.5, 0.55]], "bias": 0.6,
         "train_bias": False},
    ],
    "data": {"input": [[0.05, 0.1]], "target": [[0.01, 0.99]]},
    "loss": {"kind": "half_sse"},
    "train": {"optimizer": "sgd", "lr": 0.5, "steps": 1},
}
MAZUR_PATHS = [path for path in _leaf_paths(MAZUR_DOC) if path]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(MAZUR_PATHS), ODD_VALUES, st.booleans()), max_size=3)
)
def test_odd_values_give_a_network_or_a_spec_error(changes) -> None:
    doc = copy.deepcopy(MAZUR_DOC)
    for path, value, delete in changes:
        parent = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            if delete and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    try:
        network = network_from_dict(doc, "fuzz", "fuzz")
    except SpecError as error:
        assert str(error).startswith("fuzz: ")
    else:
        assert isinstance(network, Network)
