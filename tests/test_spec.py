"""derive.spec: built-in examples, exact decimals, CSV data, [published], and one clean error per bad spec.

Every problem a user can cause becomes a SpecError of the form
``{source}:{line}: {key path}: expected {what}, found {what was found}`` with the near miss.
(What the command line does with such an error, exit 2 and no file written, is tests/test_cli.py's.)
"""

from __future__ import annotations

import copy
import decimal
import sys
import types
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, ROOT, SEED_SPEC, edit, make_layer, wide_spec
from derive import limits
from derive.components import LOSSES, OPTIMIZERS
from derive.errors import SpecError
from derive.network import Network, Published, Train
from derive.spec import builtin_examples, load_spec, network_from_dict, parse_spec
from derive.spec.reader import DATA_KEYS, LAYER_KEYS, TOP_LEVEL_KEYS, TRAIN_KEYS
from derive.spec.toml_lines import make_locator
from derive.spec.words import describe, format_key_path, get_suggestion, show

F = Fraction
CE = ('kind = "half_sse"', 'kind = "cross_entropy"')
BCE = ('kind = "half_sse"', 'kind = "bce"')
ADAM = ('optimizer = "sgd"', 'optimizer = "adam"')
SECOND_LAYER = """\
[[layer]]
activation = "sigmoid"
weight = [[0.40, 0.45], [0.50, 0.55]]
bias = [0.60, 0.60]
"""


def parse(text: str) -> Network:
    return parse_spec(text, source="spec.toml", name="spec")


def error_of(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        parse(text)
    return str(caught.value)


# ---------------------------------------------------------------- good specs and the built-in examples


def test_builtin_examples_are_the_files_in_examples() -> None:
    assert builtin_examples() == EXAMPLES
    assert {"mazur", "mazur-classic", "xor-tanh", "softmax-classifier", "adam-step"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_an_example_loads_the_same_from_its_file_as_by_name(name: str) -> None:
    by_name = load_spec(name)
    from_file = load_spec(str(ROOT / "examples" / f"{name}.toml"))
    assert (from_file.layers, from_file.data, from_file.loss, from_file.train, from_file.published) == (
        by_name.layers, by_name.data, by_name.loss, by_name.train, by_name.published)
    assert (by_name.name, by_name.source) == (name, name)  # a built-in is named, not given as a path


def test_mazur_reads_decimals_exactly() -> None:
    network = load_spec("mazur")
    first, second = network.layers
    assert first.weight == ((F(3, 20), F(1, 5)), (F(1, 4), F(3, 10)))
    assert first.bias == (F(7, 20), F(7, 20)) and first.bias_trained
    assert second.weight == ((F(2, 5), F(9, 20)), (F(1, 2), F(11, 20)))
    assert second.bias == (F(3, 5), F(3, 5))
    assert [layer.activation.name for layer in network.layers] == ["sigmoid", "sigmoid"]
    assert network.data.inputs == ((F(1, 20), F(1, 10)),)
    assert network.data.targets == ((F(1, 100), F(99, 100)),)
    assert network.loss == LOSSES.make("half_sse")
    assert network.train == Train(OPTIMIZERS.make("sgd", lr=F(1, 2)), steps=1)
    assert network.title == "A step-by-step backpropagation example"
    assert network.published is None


def test_mazur_classic_has_shared_frozen_biases_and_the_posts_figure() -> None:
    network = load_spec("mazur-classic")
    assert [layer.bias for layer in network.layers] == [F(7, 20), F(3, 5)]
    assert [layer.bias_kind for layer in network.layers] == ["shared", "shared"]
    assert not any(layer.train_bias or layer.bias_trained for layer in network.layers)
    assert network.published == Published("Mazur's post", F("0.291027924"), (("dE_o2_dout_h1", F("-0.019049119")),))


GOOD_SPECS = [
    ("adam-eps", (("steps = 1", "steps = 1\neps = 1e-8"), ADAM),
     lambda n: n.train.optimizer == OPTIMIZERS.make("adam", lr=F(1, 2), eps=F(1, 10**8))),
    ("sgd-momentum", (("steps = 1", "steps = 3\nmomentum = 0.9\nweight_decay = 0.01"),),
     lambda n: n.train == Train(OPTIMIZERS.make("sgd", lr=F(1, 2), momentum=F(9, 10), weight_decay=F(1, 100)), steps=3)),
    ("adam-betas", (ADAM, ("steps = 1", "steps = 1\nbetas = [0.8, 0.99]")),
     lambda n: n.train.optimizer.betas == (F(4, 5), F(99, 100))),
    ("defaults", (('[loss]\nkind = "half_sse"\n', ""), ('[train]\noptimizer = "sgd"\nlr = 0.5\nsteps = 1\n', "")),
     lambda n: n.loss == LOSSES.make("half_sse") and n.train == Train()),
    ("no-bias", (("bias = [0.35, 0.35]\n", ""),), lambda n: n.layers[0].bias is None and n.layers[0].bias_kind == "none"),
    ("shared-int-bias", (("bias = [0.35, 0.35]", "bias = 1"),), lambda n: n.layers[0].bias == F(1)),
    ("frozen-bias", (("bias = [0.35, 0.35]", "bias = [0.35, 0.35]\ntrain_bias = false"),),
     lambda n: not n.layers[0].bias_trained and n.layers[1].bias_trained),
    ("leaky-default", (('"sigmoid"\nweight = [[0.15', '"leaky_relu"\nweight = [[0.15'),),
     lambda n: n.layers[0].activation.negative_slope == F(1, 100)),
    ("leaky-slope", (('activation = "sigmoid"\nweight = [[0.15', 'activation = "leaky_relu"\nnegative_slope = 0.2\nweight = [[0.15'),),
     lambda n: n.layers[0].activation == make_layer("leaky_relu", [[1]], negative_slope="0.2").activation),
    ("ce-indices", (CE, ("[[0.01, 0.99]]", "[1]")), lambda n: n.data.targets == (1,) and n.data.targets_are_indices),
    ("ce-probabilities", (CE, ("[[0.01, 0.99]]", "[[0.25, 0.75]]")), lambda n: n.data.targets == ((F(1, 4), F(3, 4)),)),
    ("mse-int-row", (('kind = "half_sse"', 'kind = "mse"'), ("[[0.01, 0.99]]", "[0, 1]")),
     lambda n: n.data.targets == ((F(0), F(1)),)),
    ("batch", (("input = [[0.05, 0.10]]", "input = [[0.05, 0.10], [1, 2]]"),
               ("target = [[0.01, 0.99]]", "target = [[0.01, 0.99], [0, 1]]")),
     lambda n: n.data.batch_size == 2 and n.data.inputs[1] == (F(1), F(2)) and n.batches() == ((0, 1),)),
    ("mini-batches-and-epochs", (("input = [[0.05, 0.10]]", "input = [[0.05, 0.10], [1, 2], [3, 4]]"),
                                 ("target = [[0.01, 0.99]]", "target = [[0.01, 0.99], [0, 1], [1, 0]]"),
                                 ("steps = 1", "batch_size = 2\nepochs = 4")),
     lambda n: n.batches() == ((0, 1), (2,)) and n.updates == 8 and n.train.epochs == 4),
    ("mini-batches-and-steps", (("input = [[0.05, 0.10]]", "input = [[0.05, 0.10], [1, 2], [3, 4]]"),
                                ("target = [[0.01, 0.99]]", "target = [[0.01, 0.99], [0, 1], [1, 0]]"),
                                ("steps = 1", "steps = 5\nbatch_size = 1")),
     lambda n: n.batches() == ((0,), (1,), (2,)) and n.updates == 5),
    ("literal-title", (('title = "t"', "title = 'x \\\\ y $ %'"),), lambda n: n.title == "x \\\\ y $ %"),
    ("published", (("steps = 1\n", 'steps = 1\n\n[published]\nsource = "a book"\nloss_after = 0.25\n'),),
     lambda n: n.published == Published("a book", F(1, 4))),
]


@pytest.mark.parametrize(("replacements", "check"), [case[1:] for case in GOOD_SPECS], ids=[case[0] for case in GOOD_SPECS])
def test_good_specs(replacements: tuple[tuple[str, str], ...], check) -> None:
    assert check(parse(edit(*replacements)))


def test_a_flat_list_is_one_sample() -> None:
    flat = parse(edit(("[[0.05, 0.10]]", "[0.05, 0.10]"), ("[[0.01, 0.99]]", "[0.01, 0.99]")))
    assert flat.data == parse(SEED_SPEC).data


def test_network_from_dict_takes_floats_and_fractions() -> None:
    doc = {
        "layer": [{"activation": "identity", "weight": [[0.15, F(1, 3)]], "bias": 0.1}],
        "data": {"input": [1, 2], "target": [F(1, 2)]},
    }
    network = network_from_dict(doc, source="<torch>", name="net")
    assert network.layers[0].weight == ((F(3, 20), F(1, 3)),)  # 0.15 as written, not as the binary float
    assert network.layers[0].bias == F(1, 10)
    assert network.data.inputs == ((F(1), F(2)),)


def test_every_component_setting_is_a_spec_key() -> None:
    assert "negative_slope" in LAYER_KEYS
    assert {"optimizer", "lr", "momentum", "weight_decay", "betas", "eps", "steps", "batch_size", "epochs"} <= set(TRAIN_KEYS)
    assert {"input", "target", "file", "input_columns", "target_columns"} == set(DATA_KEYS)
    assert {"title", "layer", "torch", "data", "loss", "train", "published", "exercise"} == set(TOP_LEVEL_KEYS)


# ---------------------------------------------------------------- bad specs, every kind
#
# (id, spec text, key path, line or None, fragments the message must contain besides "expected" and
# "found"). The message must read "spec.toml[:line]: key.path: expected ...".

ONE_LAYER = edit((SECOND_LAYER + "\n", ""))
TORCH_SPEC = """\
[torch]
module = "models/net.py:Net"

[data]
input = [[1, 2]]
target = [[0.5]]
"""

BAD_SPECS = [
    # unknown keys and tables, with the near miss
    ("wieght", edit(("weight = [[0.15", "wieght = [[0.15")), "layer[1].wieght", 5, ["(did you mean 'weight'?)"]),
    ("titel", edit(('title = "t"', 'titel = "t"')), "titel", 1, ["(did you mean 'title'?)"]),
    ("trian-table", edit(("[train]", "[trian]")), "trian", 20, ["(did you mean 'train'?)"]),
    ("targets", edit(("target = ", "targets = ")), "data.targets", 15, ["(did you mean 'target'?)"]),
    ("knd", edit(("kind = ", "knd = ")), "loss.knd", 18, ["(did you mean 'kind'?)"]),
    ("lr-typo", edit(("lr = 0.5", "learning_rate = 0.5")), "train.learning_rate", 22, ["one of the keys"]),
    ("stpes", edit(("steps = 1", "stpes = 1")), "train.stpes", 23, ["(did you mean 'steps'?)"]),
    ("bais-second-layer", edit(("bias = [0.60, 0.60]", "bais = [0.60, 0.60]")), "layer[2].bais", 11,
     ["(did you mean 'bias'?)"]),
    ("key-in-wrong-table", edit(('[loss]\nkind = "half_sse"', 'loss = "mse"')), "data.loss", 17,
     ["'loss' belongs at the top level"]),
    # unknown choices, with the near miss
    ("sigmod", edit(('"sigmoid"\nweight = [[0.40', '"sigmod"\nweight = [[0.40')), "layer[2].activation", 9,
     ["(did you mean 'sigmoid'?)", "'sigmod'"]),
    ("Tanh", edit(('"sigmoid"\nweight = [[0.15', '"Tanh"\nweight = [[0.15')), "layer[1].activation", 4,
     ["(did you mean 'tanh'?)"]),
    ("relu6", edit(('"sigmoid"\nweight = [[0.15', '"relu6"\nweight = [[0.15')), "layer[1].activation", 4,
     ["one of gelu, identity, leaky_relu, relu, sigmoid, softplus, tanh"]),
    ("activation-not-string", edit(('"sigmoid"\nweight = [[0.15', '1\nweight = [[0.15')), "layer[1].activation", 4,
     ["found 1"]),
    ("half_see", edit(('"half_sse"', '"half_see"')), "loss.kind", 18, ["(did you mean 'half_sse'?)"]),
    ("crossentropy", edit(('"half_sse"', '"crossentropy"')), "loss.kind", 18, ["(did you mean 'cross_entropy'?)"]),
    ("adma", edit(('"sgd"', '"adma"')), "train.optimizer", 21, ["(did you mean 'adam'?)"]),
    ("SGD", edit(('"sgd"', '"SGD"')), "train.optimizer", 21, ["(did you mean 'sgd'?)"]),
    ("inline-layer-typo", 'layer = [{activation = "sigmod", weight = [[1.0]]}]\n', "layer[1].activation", 1,
     ["(did you mean 'sigmoid'?)"]),
    # missing sections and keys
    ("no-data", edit(("[data]\ninput = [[0.05, 0.10]]\ntarget = [[0.01, 0.99]]\n", "")), "data", None,
     ["a [data] table", "found nothing"]),
    ("no-layers", "[data]\ninput = [1]\ntarget = [1]\n", "layer", None, ["[[layer]]", "found nothing"]),
    ("no-weight", edit(("weight = [[0.15, 0.20], [0.25, 0.30]]\n", "")), "layer[1].weight", 3, ["found nothing"]),
    ("no-activation", edit(('activation = "sigmoid"\nweight = [[0.15', "weight = [[0.15")), "layer[1].activation", 3,
     ["found nothing"]),
    ("no-input", edit(("input = [[0.05, 0.10]]\n", "")), "data.input", 13, ["found nothing"]),
    ("no-target", edit(("target = [[0.01, 0.99]]\n", "")), "data.target", 13, ["found nothing"]),
    ("no-loss-kind", edit(('kind = "half_sse"', "")), "loss.kind", 17, ["found nothing"]),
    ("loss-not-table", edit(('title = "t"', 'title = "t"\nloss = "mse"'), ('[loss]\nkind = "half_sse"\n', "")),
     "loss", 2, ["expected a table, found 'mse' (a string)"]),
    ("single-layer-table", edit(("[[layer]]", "[layer]"), text=ONE_LAYER), "layer", 3, ["[[layer]]"]),
    ("layer-not-table", 'layer = [1]\n[data]\ninput = [1]\ntarget = [1]\n', "layer[1]", 1, ["expected a table, found 1"]),
    ("layer-empty", 'layer = []\n[data]\ninput = [1]\ntarget = [1]\n', "layer", 1, ["found []"]),
    # strings, booleans, dates and lists where numbers belong
    ("weight-string", edit(("[[0.15,", '[["0.15",')), "layer[1].weight[0][0]", 5, ["'0.15' (a string)"]),
    ("weight-bool", edit(("[0.25, 0.30]", "[true, 0.30]")), "layer[1].weight[1][0]", 5, ["true (a boolean)"]),
    ("bias-string", edit(("bias = [0.35, 0.35]", 'bias = "0.35"')), "layer[1].bias", 6, ["'0.35' (a string)"]),
    ("bias-bool", edit(("bias = [0.35, 0.35]", "bias = false")), "layer[1].bias", 6, ["(a boolean)"]),
    ("bias-nested", edit(("[0.35, 0.35]", "[[0.35, 0.35]]")), "layer[1].bias[0]", 6, ["(a list)"]),
    ("input-string", edit(("input = [[0.05, 0.10]]", 'input = "0.05, 0.10"')), "data.input", 14, ["(a string)"]),
    ("target-bools", edit(("[[0.01, 0.99]]", "[[false, true]]")), "data.target[0][0]", 15, ["(a boolean)"]),
    ("mse-string-target", edit(('"half_sse"', '"mse"'), ("[[0.01, 0.99]]", '["a", "b"]')), "data.target[0]", 15,
     ["(a string)"]),
    ("lr-string", edit(("lr = 0.5", 'lr = "0.5"')), "train.lr", 22, ["'0.5' (a string)"]),
    ("lr-bool", edit(("lr = 0.5", "lr = true")), "train.lr", 22, ["(a boolean)"]),
    ("steps-string", edit(("steps = 1", 'steps = "1"')), "train.steps", 23, ["(a string)"]),
    ("steps-bool", edit(("steps = 1", "steps = true")), "train.steps", 23, ["(a boolean)"]),
    ("momentum-date", edit(("steps = 1", "steps = 1\nmomentum = 1979-05-27")), "train.momentum", 24, ["1979-05-27"]),
    ("title-number", edit(('title = "t"', "title = 3")), "title", 1, ["expected a string"]),
    ("train-bias-not-bool", edit(("[0.35, 0.35]", '[0.35, 0.35]\ntrain_bias = "no"')), "layer[1].train_bias", 7,
     ["expected true or false"]),
    # shapes
    ("weight-empty", edit(("[[0.15, 0.20], [0.25, 0.30]]", "[]")), "layer[1].weight", 5, ["found []"]),
    ("weight-empty-rows", edit(("[[0.15, 0.20], [0.25, 0.30]]", "[[], []]")), "layer[1].weight[0]", 5, ["found []"]),
    ("weight-ragged", edit(("[0.25, 0.30]]", "[0.25]]")), "layer[1].weight[1]", 5, ["1 number"]),
    ("weight-flat", edit(("[[0.15, 0.20], [0.25, 0.30]]", "[0.15, 0.20]")), "layer[1].weight", 5, ["[[...]]"]),
    ("chain", edit(("[[0.40, 0.45], [0.50, 0.55]]", "[[0.4, 0.4, 0.4], [0.5, 0.5, 0.5]]")), "layer[2].weight", 10,
     ["rows of 2 numbers", "layer[1] has 2 neurons", "rows of 3 numbers"]),
    ("bias-count", edit(("bias = [0.60, 0.60]", "bias = [0.60, 0.60, 0.60]")), "layer[2].bias", 11,
     ["2 numbers", "3 numbers"]),
    ("train-bias-without-bias", edit(("bias = [0.35, 0.35]", "train_bias = false")), "layer[1].train_bias", 6,
     ["without a bias"]),
    # inputs and targets that do not fit the network
    ("input-width", edit(("[[0.05, 0.10]]", "[[0.05, 0.10, 0.2]]")), "data.input", 14,
     ["layer[1] takes 2 inputs", "rows of 3 numbers"]),
    ("input-narrow", edit(("[[0.05, 0.10]]", "[0.05]")), "data.input", 14, ["rows of 1 number"]),
    ("input-mixed", edit(("[[0.05, 0.10]]", "[[0.05, 0.10], 0.2]")), "data.input[1]", 14, ["expected a row"]),
    ("target-width", edit(("[[0.01, 0.99]]", "[[0.01]]")), "data.target", 15, ["layer[2] has 2 neurons"]),
    ("target-rows", edit(("[[0.01, 0.99]]", "[[0.01, 0.99], [0.5, 0.5]]")), "data.target", 15,
     ["1 row, one per input row", "2 rows"]),
    # NaN, infinity and numbers beyond float64
    ("weight-nan", edit(("0.30]]", "nan]]")), "layer[1].weight[1][1]", 5, ["finite", "nan"]),
    ("weight-overflow", edit(("0.30]]", "1e400]]")), "layer[1].weight[1][1]", 5, ["float64"]),
    ("weight-tiny", edit(("0.30]]", "1e-999999999]]")), "layer[1].weight[1][1]", 5, ["float64"]),
    ("weight-huge-int", edit(("0.30]]", f"{10**400}]]")), "layer[1].weight[1][1]", 5, ["float64"]),
    ("bias-inf", edit(("[0.35, 0.35]", "[0.35, -inf]")), "layer[1].bias[1]", 6, ["-inf"]),
    ("shared-bias-nan", edit(("bias = [0.60, 0.60]", "bias = +nan")), "layer[2].bias", 11, ["nan"]),
    ("input-nan", edit(("[[0.05, 0.10]]", "[[nan, 0.10]]")), "data.input[0][0]", 14, ["finite"]),
    ("target-inf", edit(("[[0.01, 0.99]]", "[[0.01, inf]]")), "data.target[0][1]", 15, ["inf"]),
    ("lr-inf", edit(("lr = 0.5", "lr = inf")), "train.lr", 22, ["finite", "inf"]),
    ("momentum-nan", edit(("steps = 1", "steps = 1\nmomentum = nan")), "train.momentum", 24, ["nan"]),
    ("slope-nan", edit(('"sigmoid"\nweight = [[0.15', '"leaky_relu"\nnegative_slope = nan\nweight = [[0.15')),
     "layer[1].negative_slope", 5, ["nan"]),
    ("betas-inf", edit(ADAM, ("steps = 1", "steps = 1\nbetas = [0.9, inf]")), "train.betas[1]", 24, ["inf"]),
    ("eps-nan", edit(ADAM, ("steps = 1", "steps = 1\neps = nan")), "train.eps", 24, ["nan"]),
    # settings out of range
    ("lr-zero", edit(("lr = 0.5", "lr = 0")), "train.lr", 22, ["greater than 0", "found 0"]),
    ("lr-minus-zero", edit(("lr = 0.5", "lr = -0.0")), "train.lr", 22, ["greater than 0"]),
    ("lr-negative", edit(("lr = 0.5", "lr = -0.1")), "train.lr", 22, ["found -0.1"]),
    ("momentum-negative", edit(("steps = 1", "steps = 1\nmomentum = -1")), "train.momentum", 24, ["at least 0"]),
    ("weight-decay-negative", edit(("steps = 1", "steps = 1\nweight_decay = -1")), "train.weight_decay", 24,
     ["at least 0"]),
    ("betas-range", edit(ADAM, ("steps = 1", "steps = 1\nbetas = [0.9, 1.0]")), "train.betas[1]", 24, ["not including"]),
    ("betas-one-number", edit(ADAM, ("steps = 1", "steps = 1\nbetas = 0.9")), "train.betas", 24, ["two numbers"]),
    ("eps-zero", edit(ADAM, ("steps = 1", "steps = 1\neps = 0.0")), "train.eps", 24, ["greater than 0"]),
    ("steps-zero", edit(("steps = 1", "steps = 0")), "train.steps", 23, ["at least 1", "found 0"]),
    ("steps-negative", edit(("steps = 1", "steps = -3")), "train.steps", 23, ["found -3"]),
    ("steps-fraction", edit(("steps = 1", "steps = 1.5")), "train.steps", 23, ["whole number"]),
    ("steps-float", edit(("steps = 1", "steps = 1.0")), "train.steps", 23, ["found 1.0"]),
    ("steps-huge", edit(("steps = 1", "steps = 1_000_000_000_000")), "train.steps", 23,
     [f"at most {limits.MAX_STEPS:,} steps"]),
    ("batch-size-zero", edit(("steps = 1", "batch_size = 0")), "train.batch_size", 23, ["at least 1", "found 0"]),
    ("epochs-bool", edit(("steps = 1", "epochs = true")), "train.epochs", 23, ["(a boolean)"]),
    ("steps-and-epochs", edit(("steps = 1", "steps = 1\nepochs = 2")), "train.epochs", 24,
     ["expected either steps (updates) or epochs (passes over the data), found both"]),
    # a component's setting with another component
    ("slope-with-sigmoid", edit(("[0.35, 0.35]", "[0.35, 0.35]\nnegative_slope = 0.1")), "layer[1].negative_slope", 7,
     ["expected negative_slope only with activation 'leaky_relu', found it with activation 'sigmoid'"]),
    ("momentum-with-adam", edit(ADAM, ("steps = 1", "steps = 1\nmomentum = 0.9")), "train.momentum", 24,
     ["expected momentum only with optimizer 'rmsprop' or 'sgd', found it with optimizer 'adam'"]),
    ("betas-with-sgd", edit(("steps = 1", "steps = 1\nbetas = [0.9, 0.99]")), "train.betas", 24,
     ["expected betas only with optimizer 'adam', found it with optimizer 'sgd'"]),
    # the settings of the components added since (GELU, softplus, Huber, RMSprop)
    ("gelu-approximate", edit(('"sigmoid"\nweight = [[0.15', '"gelu"\napproximate = "fast"\nweight = [[0.15')),
     "layer[1].approximate", 5, ["expected one of none, tanh, found 'fast'"]),
    ("softplus-beta-zero", edit(('"sigmoid"\nweight = [[0.15', '"softplus"\nbeta = 0\nweight = [[0.15')),
     "layer[1].beta", 5, ["expected a number greater than 0, found 0"]),
    ("huber-delta-negative", edit(('kind = "half_sse"', 'kind = "huber"\ndelta = -1')), "loss.delta", 19,
     ["greater than 0", "found -1"]),
    ("rmsprop-centered-string", edit(('"sgd"', '"rmsprop"'), ("steps = 1", 'steps = 1\ncentered = "yes"')),
     "train.centered", 24, ["expected true or false, found 'yes' (a string)"]),
    ("rmsprop-alpha-above-one", edit(('"sgd"', '"rmsprop"'), ("steps = 1", "steps = 1\nalpha = 1.5")),
     "train.alpha", 24, ["from 0 to 1", "found 1.5"]),
    # loss-specific targets
    ("bce-above-one", edit(BCE, ("0.99]]", "1.5]]")), "data.target[0][1]", 15, ["a probability from 0 to 1", "found 1.5"]),
    ("bce-negative", edit(BCE, ("[[0.01,", "[[-0.1,")), "data.target[0][0]", 15, ["found -0.1"]),
    ("ce-index-too-big", edit(CE, ("[[0.01, 0.99]]", "[2]")), "data.target[0]", 15, ["a class index from 0 to 1", "found 2"]),
    ("ce-index-negative", edit(CE, ("[[0.01, 0.99]]", "[-1]")), "data.target[0]", 15, ["found -1"]),
    ("ce-index-count", edit(CE, ("[[0.01, 0.99]]", "[0, 1]")), "data.target", 15, ["expected 1 class index"]),
    ("ce-probability-above-one", edit(CE, ("[[0.01, 0.99]]", "[[0.5, 1.5]]")), "data.target[0][1]", 15, ["probability"]),
    # [data] from a file, [published], [torch]
    ("input-and-file", edit(("[data]\n", '[data]\nfile = "d.csv"\n')), "data.input", 15, ["either input rows or a file"]),
    ("columns-without-file", edit(("[data]\n", '[data]\ninput_columns = ["x"]\n')), "data.input_columns", 14,
     ["a file key naming a CSV file", "no file key"]),
    ("published-without-figure", edit(("steps = 1\n", 'steps = 1\n\n[published]\nsource = "x"\n')),
     "published.loss_after", 25, ["loss_after in the [published] table (or a figures table)", "found nothing"]),
    ("title-empty-table", edit(('title = "t"', "title = {}")),
     "title", 1, ["a title, or a table of titles by language code", "found an empty table"]),
    ("title-language-not-text", edit(('title = "t"', 'title = { en = "x", zh = 5 }')), "title.zh", 1,
     ["expected a string, found 5"]),
    ("published-key-typo", edit(("steps = 1\n", 'steps = 1\n\n[published]\nsource = "x"\nloss_afte = 0.3\n')),
     "published.loss_afte", 27, ["(did you mean 'loss_after'?)"]),
    ("torch-and-layers", SEED_SPEC + '\n[torch]\nmodule = "net.py:Net"\n', "torch", 25, ["found both"]),
    ("torch-bad-module", edit(('"models/net.py:Net"', '"net.py"'), text=TORCH_SPEC), "torch.module", 2, ["FILE.py:NAME"]),
    ("torch-key-typo", edit(("module =", "modul ="), text=TORCH_SPEC), "torch.modul", 2, ["(did you mean 'module'?)"]),
    # the title is printed literally, on one line
    ("title-control", edit(('title = "t"', 'title = "a\\u001b[31mred"')), "title", 1, ["'\\x1b'", "U+001B"]),
    ("title-newline", edit(('title = "t"', 'title = """line one\nline two"""')), "title", 1, ["one-line", "'\\n'"]),
    ("title-bidi", edit(('title = "t"', 'title = "abc\\u202Edef"')), "title", 1, ["U+202E"]),
    ("title-long", edit(('title = "t"', f'title = "{"x" * 5000}"')), "title", 1,
     [f"at most {limits.MAX_TITLE_CHARACTERS} characters"]),
]


@pytest.mark.parametrize(("text", "key_path", "line", "fragments"), [case[1:] for case in BAD_SPECS],
                         ids=[case[0] for case in BAD_SPECS])
def test_a_bad_spec_names_file_line_key_expected_and_found(text: str, key_path: str, line: int | None,
                                                          fragments: list[str]) -> None:
    message = error_of(text)
    where = "spec.toml" if line is None else f"spec.toml:{line}"
    assert message.startswith(f"{where}: {key_path}: expected "), message
    assert "found" in message
    for fragment in fragments:
        assert fragment in message, message
    assert len(message.splitlines()) <= 3


TOML_SYNTAX = [
    ("unterminated-string", edit(('title = "t"', 'title = "t')), 1),
    ("bad-number", edit(("lr = 0.5", "lr = 0.5.5")), 22),
    ("duplicate-key", edit(("lr = 0.5", "lr = 0.5\nlr = 0.1")), 23),
    ("missing-bracket", edit(("[data]", "[data")), 13),
    ("missing-equals", edit(("lr = 0.5", "lr 0.5")), 22),
    ("unclosed-array", edit(("input = [[0.05, 0.10]]", "input = [[0.05, 0.10]")), 15),
    ("duplicate-table", SEED_SPEC + "\n[data]\n", 25),
    ("bare-word", edit(('kind = "half_sse"', "kind = half_sse")), 18),
]


@pytest.mark.parametrize(("text", "line"), [c[1:] for c in TOML_SYNTAX], ids=[c[0] for c in TOML_SYNTAX])
def test_a_toml_syntax_error_names_its_line(text: str, line: int) -> None:
    assert error_of(text).startswith(f"spec.toml:{line}: TOML syntax error: ")


def test_too_many_digits_is_a_toml_error_without_a_traceback() -> None:
    assert error_of(edit(("steps = 1", "steps = 1" + "0" * 5000))).startswith("spec.toml: TOML error")


def test_a_parsed_dict_without_a_locator_has_no_line() -> None:
    with pytest.raises(SpecError, match=r"^<torch>: data: expected a \[data\] table"):
        network_from_dict({"layer": [{"activation": "relu", "weight": [[1]]}]}, "<torch>", "n")


def test_a_document_that_is_not_a_table() -> None:
    with pytest.raises(SpecError, match=r"^<torch>: expected a table, found \[1\]"):
        network_from_dict([1], "<torch>", "n")  # type: ignore[arg-type]


def test_long_values_are_shortened() -> None:
    message = error_of(edit(("lr = 0.5", "lr = [" + ", ".join(["0.5"] * 50) + "]")))
    assert "..." in message and len(message) < 200


def test_a_batch_too_large_for_the_exact_step_names_data_input() -> None:
    spec = wide_spec(100).replace("input = [0.5, 0.5]", "input = [" + ", ".join(["[0.5, 0.5]"] * 2001) + "]")
    spec = spec.replace("target = [0.25, 0.25]", "target = [" + ", ".join(["[0.25, 0.25]"] * 2001) + "]")
    message = error_of(spec)
    assert message.startswith("spec.toml:11: data.input: expected at most") and "found 2001 samples" in message


def test_training_too_long_for_the_network_names_train_steps() -> None:
    message = error_of(wide_spec(100) + "\n[train]\nsteps = 50000\n")
    assert message.startswith("spec.toml:15: train.steps: expected at most")
    assert "for 500 parameters and 1 sample " in message and "found 50000" in message


# ---------------------------------------------------------------- key paths, values and near misses in messages


@pytest.mark.parametrize(
    ("path", "text"),
    [(("layer", 0, "weight", 0, 1), "layer[1].weight[0][1]"), (("layer", 2), "layer[3]"),
     (("data", "target", 0), "data.target[0]"), (("train", "lr"), "train.lr")],
)
def test_format_key_path_counts_layers_from_one_and_indexes_from_zero(path: tuple, text: str) -> None:
    assert format_key_path(path) == text


def test_near_misses_and_shown_values() -> None:
    assert get_suggestion("sigmod", ["sigmoid", "tanh"]) == " (did you mean 'sigmoid'?)"
    assert get_suggestion("SGD", ["sgd", "adam"]) == " (did you mean 'sgd'?)"
    assert get_suggestion("zzzz", ["sgd", "adam"]) == ""
    assert show(decimal.Decimal("0.10")) == "0.10" and show(True) == "true" and show([1, [2]]) == "[1, [2]]"
    assert describe("x") == "'x' (a string)" and describe({"a": 1}) == "{a = 1} (a table)"
    assert len(show(list(range(100)))) <= 40 and show(list(range(100))).endswith("...")
    assert show(10**1000).endswith("a 1001-digit integer")


@pytest.mark.parametrize("value, shown", [(10**5000, "a 5001-digit integer"), (-(10**5000), "-a 5001-digit integer"),
                                          (F(1, 10**5000), "a fraction of a 1-digit integer")],
                         ids=["integer", "negative", "fraction"])
def test_a_number_too_long_to_print_is_a_spec_error_too(value, shown: str) -> None:
    """Once a ValueError: the message printed the number with str(), which Python refuses beyond 4,300 digits."""
    doc = {"layer": [{"activation": "sigmoid", "weight": [[value]]}], "data": {"input": [1], "target": [1]}}
    with pytest.raises(SpecError, match=r"^<dict>: layer\[1\]\.weight\[0\]\[0\]: expected a number within float64's range") as caught:
        network_from_dict(doc, "<dict>", "network")
    assert shown in str(caught.value) and len(str(caught.value)) < 300


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
    [(("layer",), 2), (("layer", 0), 2), (("layer", 0, "weight"), 3), (("layer", 0, "weight", 1, 0), 3),
     (("layer", 0, "x"), 2), (("layer", 1), 11), (("layer", 1, "quoted key"), 12), (("layer", 1, "a", "b"), 13),
     (("layer", 1, "inline", "c"), 14), (("train",), 15), (("train", "lr"), 16), (("train", "steps"), 15),
     (("data",), None), (("loss",), None)],
)
def test_locator(path: tuple, line: int | None) -> None:
    assert make_locator(LOCATOR_TEXT)(path) == line


# ---------------------------------------------------------------- files and names


def test_a_path_is_named_after_its_stem(workdir: Path) -> None:
    (workdir / "my_net.toml").write_text(SEED_SPEC)
    network = load_spec("my_net.toml")
    assert (network.name, network.source, network.title) == ("my_net", "my_net.toml", "t")


def test_a_path_wins_over_a_builtin_name(workdir: Path) -> None:
    (workdir / "mazur").write_text(edit(('title = "t"', 'title = "local"')))
    assert load_spec("mazur").title == "local"


def test_a_directory_named_like_a_builtin_does_not_hide_it(workdir: Path) -> None:
    (workdir / "mazur").mkdir()
    assert load_spec("mazur").source == "mazur"


FILE_PROBLEMS = [
    # (id, how to make it in the folder, spec argument, message pattern)
    ("missing", lambda d: None, "nope.toml", r"^nope.toml: expected a spec file .*found no such file"),
    ("near-builtin", lambda d: None, "mazurr", r"^mazurr: .*no such file or example \(did you mean 'mazur'\?\)$"),
    ("directory", lambda d: (d / "specs").mkdir(), "specs", r"^specs: expected a TOML spec file \(a regular file\), found a folder"),
    ("random-bytes", lambda d: (d / "g.toml").write_bytes(bytes(range(256)) * 4), "g.toml", r"^g.toml:\d+: .*not UTF-8"),
    ("png", lambda d: (d / "g.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "g.toml",
     r"^g.toml:1: expected a TOML spec file \(UTF-8 text\), found the byte 0x89"),
    ("not-utf8", lambda d: (d / "g.toml").write_bytes(b"title = 1\n\xff\xfe\x00"), "g.toml",
     r"^g.toml:2: expected a TOML spec file \(UTF-8 text\), found the byte 0xff"),
    ("nul-bytes", lambda d: (d / "g.toml").write_bytes(b"title = 't'\n\x00\x00\x00\x00"), "g.toml", r"^g.toml:2: .*NUL byte"),
    ("utf16", lambda d: (d / "g.toml").write_bytes('title = "t"\n'.encode("utf-16")), "g.toml", r"^g.toml:1: .*UTF-8"),
    ("empty", lambda d: (d / "g.toml").write_text(""), "g.toml", r"^g.toml: layer: expected"),
    ("bom", lambda d: (d / "g.toml").write_bytes(b"\xef\xbb\xbftitle = 1\n"), "g.toml", r"^g.toml:1: title: expected a string"),
    ("python-file", lambda d: (d / "g.toml").write_text("import os\nos.system('echo pwned')\n"), "g.toml",
     r"^g.toml:1: TOML syntax error"),
    ("json-file", lambda d: (d / "g.toml").write_text('{"layer": []}\n'), "g.toml", r"^g.toml:1: TOML syntax error"),
    ("deep-nesting", lambda d: (d / "g.toml").write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n"), "g.toml",
     r"^g.toml:1: expected arrays, tables and dotted keys nested at most"),
    ("deep-dotted-key", lambda d: (d / "g.toml").write_text("title" + ".a" * 20_000 + " = 1\n"), "g.toml",
     r"^g.toml:1: expected arrays, tables and dotted keys nested at most"),
    ("deep-dotted-key-in-inline-table", lambda d: (d / "g.toml").write_text("x = {" + "a." * 20_000 + "b = 1}\n"),
     "g.toml", r"^g.toml:1: expected arrays, tables and dotted keys nested at most"),
    ("dotted-key-in-title", lambda d: (d / "g.toml").write_text("title.a.b = 1\n"), "g.toml",
     r"^g.toml:1: title.a: expected a string, found \{b = 1\} \(a table\)"),
]


@pytest.mark.parametrize(("make", "spec", "pattern"), [c[1:] for c in FILE_PROBLEMS], ids=[c[0] for c in FILE_PROBLEMS])
def test_a_file_that_is_not_a_spec(workdir: Path, make, spec: str, pattern: str) -> None:
    make(workdir)
    with pytest.raises(SpecError, match=pattern) as caught:
        load_spec(spec)
    assert len(str(caught.value).splitlines()) <= 3


def test_a_spec_larger_than_the_limit_is_refused_without_reading_it_all(workdir: Path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_SPEC_BYTES", 1000)
    (workdir / "big.toml").write_text(SEED_SPEC + "# padding\n" * 200)
    with pytest.raises(SpecError, match="^big.toml: expected a TOML spec file of at most"):
        load_spec("big.toml")


# ---------------------------------------------------------------- [data] from a CSV file

CSV_SPEC = """\
[[layer]]
activation = "sigmoid"
weight = [[0.15, 0.20], [0.25, 0.30]]

[data]
file = "data/points.csv"
input_columns = ["x1", "x2"]
target_columns = [3, "t2"]
"""
CSV_TEXT = "x1,x2,label,t1,t2\n0.05,0.10,a,0.01,0.99\n\n-1,2e-3,b,.5,0\n"


def test_csv_data_is_read_as_written_decimals(workdir: Path) -> None:
    (workdir / "data").mkdir()
    (workdir / "data" / "points.csv").write_text(CSV_TEXT)
    (workdir / "spec.toml").write_text(CSV_SPEC)
    network = load_spec("spec.toml")
    assert network.data.inputs == ((F(1, 20), F(1, 10)), (F(-1), F(1, 500)))
    assert network.data.targets == ((F(1, 100), F(99, 100)), (F(1, 2), F(0)))
    assert network.data.source == "data/points.csv"


def test_csv_class_indices_for_cross_entropy(workdir: Path) -> None:
    (workdir / "d.csv").write_text("a,b,class\n1,2,1\n3,4,0\n")
    spec = CSV_SPEC.replace("data/points.csv", "d.csv").replace('["x1", "x2"]', '["a", "b"]').replace('[3, "t2"]', '["class"]')
    (workdir / "spec.toml").write_text(spec + '\n[loss]\nkind = "cross_entropy"\n')
    assert load_spec("spec.toml").data.targets == (1, 0)


CSV_PROBLEMS = [
    # (id, csv text or None for no file, spec replacement, message pattern)
    ("no-file", None, None, r"^spec.toml:6: data.file: expected an existing CSV file, found no file"),
    ("absolute", CSV_TEXT, ('"data/points.csv"', '"/etc/passwd"'), r"^spec.toml:6: data.file: expected a file in the spec's folder"),
    ("dot-dot", CSV_TEXT, ('"data/points.csv"', '"../points.csv"'), r"^spec.toml:6: data.file: expected a file in the spec's folder"),
    ("unknown-column", CSV_TEXT, ('"x2"]', '"x3"]'), r"^spec.toml:7: data.input_columns\[1\]: expected a column of data/points.csv: one of 'x1'"),
    ("column-number", CSV_TEXT, ("[3, ", "[7, "), r"^spec.toml:8: data.target_columns\[0\]: expected .* a number from 0 to 4"),
    ("not-a-number", "x1,x2,label,t1,t2\n0.05,abc,a,0.01,0.99\n", None,
     r"^data/points.csv:2: column 'x2': expected a decimal number such as 0.05, found 'abc'"),
    ("short-row", "x1,x2,label,t1,t2\n0.05,0.1,a\n", None, r"^data/points.csv:2: column 't1': expected a number, found nothing"),
    ("header-only", "x1,x2,label,t1,t2\n", None, r"^data/points.csv: expected a header row and at least one row of numbers"),
    ("too-few-targets", CSV_TEXT, ('[3, "t2"]', "[3]"), r"^spec.toml:8: data.target_columns: expected 2 columns \(layer\[1\] has 2 neurons\)"),
    ("huge-exponent", "x1,x2,label,t1,t2\n1e999999999,0.1,a,0.01,0.99\n", None, r"^data/points.csv:2: column 'x1': expected a decimal"),
]


@pytest.mark.parametrize(("csv", "replacement", "pattern"), [c[1:] for c in CSV_PROBLEMS], ids=[c[0] for c in CSV_PROBLEMS])
def test_csv_problems_name_the_file_line_and_column(workdir: Path, csv: str | None, replacement, pattern: str) -> None:
    if csv is not None:
        (workdir / "data").mkdir()
        (workdir / "data" / "points.csv").write_text(csv)
    (workdir / "spec.toml").write_text(CSV_SPEC.replace(*replacement) if replacement else CSV_SPEC)
    with pytest.raises(SpecError, match=pattern):
        load_spec("spec.toml")


def test_csv_probabilities_must_be_probabilities_for_bce(workdir: Path) -> None:
    (workdir / "data").mkdir()
    (workdir / "data" / "points.csv").write_text(CSV_TEXT.replace(",0.99", ",1.5"))
    (workdir / "spec.toml").write_text(CSV_SPEC + '\n[loss]\nkind = "bce"\n')
    with pytest.raises(SpecError, match=r"^data/points.csv:2: column 't2': expected a probability from 0 to 1, found 1.5"):
        load_spec("spec.toml")


# ---------------------------------------------------------------- [torch] wiring (the PyTorch reader itself: test_torch_module.py)


def fake_reader(monkeypatch, read) -> None:
    """Stand in for the PyTorch reader derive.spec.torch_module: layers from ``read(path, name)``."""
    fake = types.ModuleType("derive.spec.torch_module")
    fake.read_module_path = lambda path, name, shown=None: types.SimpleNamespace(  # type: ignore[attr-defined]
        layers=read(path, name), dtypes=("float32",), names=("fc",))  # torch_module.ModuleParts, without torch
    monkeypatch.setitem(sys.modules, "derive.spec.torch_module", fake)


def parse_trusted(text: str) -> Network:
    return parse_spec(text, source="spec.toml", name="spec", trust_code=True)


def test_a_torch_module_is_resolved_next_to_the_spec(workdir: Path, monkeypatch) -> None:
    calls = []
    layer = make_layer("identity", [[1, 2]])

    def read(path: str, class_name: str):
        calls.append((path, class_name))
        return (layer,)

    fake_reader(monkeypatch, read)
    (workdir / "specs").mkdir()
    (workdir / "specs" / "t.toml").write_text(TORCH_SPEC)
    network = load_spec("specs/t.toml", trust_code=True)
    assert network.layers == (layer,) and network.provenance == ("float32",) and network.parameter_names == ("fc",)
    assert calls == [(str(workdir / "specs" / "models" / "net.py"), "Net")]


def test_torch_reader_errors_name_the_spec_line(monkeypatch) -> None:
    def read(path: str, class_name: str):
        raise SpecError(f"{path}: no such file")

    fake_reader(monkeypatch, read)
    with pytest.raises(SpecError, match=r"^spec.toml:2: torch.module: /\S*/models/net.py: no such file$"):
        parse_trusted(TORCH_SPEC)


def test_torch_layers_must_fit_the_data(monkeypatch) -> None:
    fake_reader(monkeypatch, lambda path, class_name: (make_layer("identity", [[1, 2, 3]]),))
    with pytest.raises(SpecError, match=r"^spec.toml:5: data.input: expected rows of 3 numbers"):
        parse_trusted(TORCH_SPEC)


def test_a_torch_reader_that_cannot_load_is_a_spec_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "derive.spec.torch_module", None)  # as if torch were not installed
    with pytest.raises(SpecError, match=r"^spec.toml:2: torch.module: cannot load PyTorch modules"):
        parse_trusted(TORCH_SPEC)


# ---------------------------------------------------------------- fuzz: only SpecError escapes

ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-3, max_value=3), st.integers(),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True, allow_infinity=True),
    st.fractions(max_denominator=10), st.text(max_size=8),
    st.sampled_from(["sigmoid", "relu", "leaky_relu", "cross_entropy", "bce", "adam", "sgd", "x.csv"]),
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
        {"activation": "sigmoid", "weight": [[decimal.Decimal("0.15"), 0.2], [0.25, 0.3]], "bias": [0.35, 0.35]},
        {"activation": "sigmoid", "weight": [[0.4, 0.45], [0.5, 0.55]], "bias": 0.6, "train_bias": False},
    ],
    "data": {"input": [[0.05, 0.1]], "target": [[0.01, 0.99]]},
    "loss": {"kind": "half_sse"},
    "train": {"optimizer": "sgd", "lr": 0.5, "steps": 1, "momentum": 0.5, "batch_size": 1},
    "published": {"source": "x", "loss_after": 0.25},
}
MAZUR_PATHS = [path for path in _leaf_paths(MAZUR_DOC) if path] + [("train", "epochs"), ("data", "file"),
                                                                    ("layer", 0, "negative_slope"), ("train", "betas")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(MAZUR_PATHS), ODD_VALUES, st.booleans()), max_size=3))
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
        assert str(error).startswith(("fuzz: ", "x.csv"))
    else:
        assert isinstance(network, Network)


def test_a_title_may_come_in_several_languages_and_english_is_the_default() -> None:
    network = parse_spec(edit(('title = "t"', 'title = { zh = "反向传播", en = "Backpropagation" }')), "t.toml", "t")
    assert network.title == "Backpropagation" and network.titles == (("en", "Backpropagation"), ("zh", "反向传播"))
    only_zh = parse_spec(edit(('title = "t"', 'title = { zh = "反向传播" }')), "t.toml", "t")
    assert only_zh.title == "反向传播"
