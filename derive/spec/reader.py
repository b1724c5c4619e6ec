"""Validate a parsed spec into a Network, asking each component which keys it takes.

Key paths in messages count layers from 1 (``layer[1]`` is the first ``[[layer]]`` table, as in
the notation's superscripts) and index values from 0 (``weight[0][1]`` is PyTorch's ``weight[0][1]``).
"""

from __future__ import annotations

from fractions import Fraction
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from .. import limits
from ..components import ACTIVATIONS, LOSSES, OPTIMIZERS, Registry
from ..network import Data, Layer, Matrix, Network, Published, Train
from .toml_lines import KeyPath, Locator
from .torch_table import torch_layers
from ..components.base import anything
from .values import TOP_LEVEL_KEYS, ValueReader
from .words import (
    MISSING, count, describe, is_index_list, show,
)

LAYER_KEYS = ("activation", "weight", "bias", "train_bias") + ACTIVATIONS.setting_keys()
PUBLISHED_KEYS = ("source", "loss_after", "figures")
DATA_KEYS = ("input", "target", "file", "input_columns", "target_columns")
LOSS_KEYS = ("kind",) + LOSSES.setting_keys()
TRAIN_KEYS = ("optimizer",) + OPTIMIZERS.setting_keys() + ("steps", "batch_size", "epochs")


def network_from_dict(
    doc: dict, source: str, name: str, locate: Locator | None = None, folder: Path | Traversable | None = None,
    trust_code: bool = False,
) -> Network:
    """Validate a parsed spec (numbers as Decimal, int, float or Fraction) into a Network.

    ``locate`` maps a key path of raw indexes, such as ``("layer", 0, "weight", 0, 1)``, to the
    1-based line it was written on, or None. ``folder`` is where the spec's own files are.
    ``trust_code`` lets a [torch] table import (and so run) the module it names.
    """
    return SpecReader(source, locate, folder, trust_code).network(doc, name)


class SpecReader(ValueReader):
    """Walks a parsed spec's tables, asking each component which keys it takes."""

    def __init__(
        self, source: str, locate: Locator | None, folder: Path | Traversable | None, trust_code: bool = False
    ) -> None:
        super().__init__(source, locate, folder)
        self.trust_code = trust_code
        self.parameter_names: tuple[str, ...] = ()  # the Linear layers' names when a module is read

    def network(self, doc: Any, name: str) -> Network:
        doc = self.table(doc, (), TOP_LEVEL_KEYS)
        title = self.title(doc["title"]) if "title" in doc else {}
        layers = self.layers(doc)
        loss = self.loss(doc.get("loss", MISSING))
        data = self.data(doc.get("data", MISSING), layers, loss)
        train = self.train(doc.get("train", MISSING))
        published = self.published(doc["published"]) if "published" in doc else None
        exercise = self.exercise(doc["exercise"], loss) if "exercise" in doc else None
        network = Network(
            layers=layers, data=data, loss=loss, train=train, name=name, source=self.source,
            provenance=self.provenance, parameter_names=self.parameter_names, published=published,
            exercise=exercise, **title
        )
        self.check_training_size(network)
        return network

    # -- components

    def component(self, registry: Registry, name: str, table: dict, path: KeyPath) -> Any:
        """The component ``name`` with the settings the table gives; another component's key is refused."""
        cls = registry[name]
        own = {setting.key: setting for setting in cls.settings}
        values = {}
        for key in registry.setting_keys():
            if key not in table:
                continue
            if key not in own:
                owners = " or ".join(repr(owner) for owner in registry.owners(key))
                family = registry.family
                self.fail(path + (key,), f"{key} only with {family} {owners}", f"it with {family} {name!r}")
            values[key] = self.setting(table[key], path + (key,), own[key])
        return cls(**values)

    # -- layers

    def layers(self, doc: dict) -> tuple[Layer, ...]:
        if "torch" in doc and "layer" in doc:
            self.fail(("torch",), "either a [torch] table or [[layer]] tables", "both")
        if "torch" in doc:
            layers = torch_layers(self, doc["torch"])
        else:
            layers = self.layer_tables(doc.get("layer", MISSING))
        self.check_chain(layers)
        return layers

    def layer_tables(self, value: Any) -> tuple[Layer, ...]:
        path: KeyPath = ("layer",)
        if isinstance(value, dict):
            self.fail(
                path,
                "an array of tables, one [[layer]] per layer",
                "a single table [layer] (write [[layer]], with double brackets)",
            )
        if not isinstance(value, list) or not value:
            self.fail(path, "at least one [[layer]] table", describe(value))
        return tuple(self.layer(item, path + (index,)) for index, item in enumerate(value))

    def layer(self, value: Any, path: KeyPath) -> Layer:
        table = self.table(value, path, LAYER_KEYS)
        name = self.choice(table.get("activation", MISSING), path + ("activation",), ACTIVATIONS.names())
        weight = self.matrix(table.get("weight", MISSING), path + ("weight",), "out x in", allow_flat=False)
        return Layer(
            activation=self.component(ACTIVATIONS, name, table, path),
            weight=weight,
            bias=self.bias(table, path, len(weight)),
            train_bias=self.train_bias(table, path),
        )

    def bias(self, table: dict, path: KeyPath, neurons: int) -> tuple[Fraction, ...] | Fraction | None:
        if "bias" not in table:
            return None
        value, bias_path = table["bias"], path + ("bias",)
        if not isinstance(value, list):
            return self.number(value, bias_path, "a list of numbers (one per neuron) or one shared number")
        bias = self.row(value, bias_path)
        if len(bias) != neurons:
            self.fail(
                bias_path,
                f"{count(neurons, 'number')}, one per neuron (or one number shared by the layer)",
                count(len(bias), "number"),
            )
        return bias

    def train_bias(self, table: dict, path: KeyPath) -> bool:
        if "train_bias" not in table:
            return True
        value, flag_path = table["train_bias"], path + ("train_bias",)
        if not isinstance(value, bool):
            self.fail(flag_path, "true or false", describe(value))
        if "bias" not in table:
            self.fail(flag_path, "a bias key in the same layer", "train_bias without a bias")
        return value

    def check_chain(self, layers: tuple[Layer, ...]) -> None:
        for index in range(1, len(layers)):
            previous, layer = layers[index - 1], layers[index]
            if layer.in_features != previous.out_features:
                self.fail(
                    ("layer", index, "weight"),
                    f"rows of {count(previous.out_features, 'number')} "
                    f"(layer[{index}] has {count(previous.out_features, 'neuron')})",
                    f"rows of {count(layer.in_features, 'number')}",
                )

    # -- data, loss, training

    def data(self, value: Any, layers: tuple[Layer, ...], loss: Any) -> Data:
        path: KeyPath = ("data",)
        if value is MISSING:
            self.fail(path, "a [data] table with input and target", "nothing")
        table = self.table(value, path, DATA_KEYS)
        if "file" in table:
            from .csv_data import read_csv_table

            inputs, targets, source = read_csv_table(self, table, path, layers, loss)
            return Data(inputs=inputs, targets=targets, source=source)
        for key in ("input_columns", "target_columns"):
            if key in table:
                self.fail(path + (key,), f"{key} only with a file key naming a CSV file", "no file key")
        inputs = self.matrix(table.get("input", MISSING), path + ("input",), "batch x in", allow_flat=True)
        self.check_inputs(inputs, path + ("input",), layers)
        if not loss.targets:
            return Data(inputs=inputs, targets=self.no_targets(table, path + ("target",), inputs, layers, loss))
        targets = self.targets(table.get("target", MISSING), path + ("target",), layers, loss)
        self.check_targets(targets, inputs, path + ("target",))
        return Data(inputs=inputs, targets=targets)

    def no_targets(self, table: dict, path: KeyPath, inputs: Matrix, layers: tuple[Layer, ...], loss: Any) -> Matrix:
        """The targets of a loss that reads none (sum): refused if given, zeros that nothing reads otherwise."""
        if path[-1] in table:
            self.fail(path, f"no {path[-1]} (the {loss.name} loss reads none)", describe(table[path[-1]]))
        return tuple((Fraction(0),) * layers[-1].out_features for _ in inputs)

    def check_inputs(self, inputs: Matrix, path: KeyPath, layers: tuple[Layer, ...]) -> None:
        width = layers[0].in_features
        if len(inputs[0]) != width:
            self.fail(
                path,
                f"rows of {count(width, 'number')} (layer[1] takes {count(width, 'input')})",
                f"rows of {count(len(inputs[0]), 'number')}",
            )

    def check_targets(self, targets: Any, inputs: Matrix, path: KeyPath) -> None:
        if len(targets) != len(inputs):
            noun = "class index" if isinstance(targets[0], int) else "row"
            self.fail(path, f"{count(len(inputs), noun)}, one per input row", count(len(targets), noun))

    def targets(self, value: Any, path: KeyPath, layers: tuple[Layer, ...], loss: Any) -> Matrix | tuple[int, ...]:
        outputs = layers[-1].out_features
        if loss.class_indices and is_index_list(value):
            for index, item in enumerate(value):
                if not 0 <= item < outputs:
                    self.fail(path + (index,), f"a class index from 0 to {outputs - 1}", show(item))
            return tuple(value)
        shape = "batch x out, or class indices" if loss.class_indices else "batch x out"
        expected, accept = "a number", anything
        if loss.probabilities:
            expected, accept = "a probability from 0 to 1", lambda x: 0 <= x <= 1
        rows = self.matrix(value, path, shape, allow_flat=True, expected=expected, accept=accept)
        if len(rows[0]) != outputs:
            self.fail(
                path,
                f"rows of {count(outputs, 'number')} (layer[{len(layers)}] has {count(outputs, 'neuron')})",
                f"rows of {count(len(rows[0]), 'number')}",
            )
        return rows

    def loss(self, value: Any) -> Any:
        if value is MISSING:
            return LOSSES.make("half_sse")
        table = self.table(value, ("loss",), LOSS_KEYS)
        name = self.choice(table.get("kind", MISSING), ("loss", "kind"), LOSSES.names())
        return self.component(LOSSES, name, table, ("loss",))

    def train(self, value: Any) -> Train:
        if value is MISSING:
            return Train()
        path: KeyPath = ("train",)
        table = self.table(value, path, TRAIN_KEYS)
        name = "sgd"
        if "optimizer" in table:
            name = self.choice(table["optimizer"], path + ("optimizer",), OPTIMIZERS.names())
        optimizer = self.component(OPTIMIZERS, name, table, path)
        if "steps" in table and "epochs" in table:
            self.fail(path + ("epochs",), "either steps (updates) or epochs (passes over the data)", "both")
        settings: dict[str, Any] = {"optimizer": optimizer}
        for key in ("steps", "batch_size", "epochs"):
            if key in table:
                settings[key] = self.whole(table[key], path + (key,))
        return Train(**settings)

    def check_training_size(self, network: Network) -> None:
        parameters = network.parameter_count
        batches = network.batches()
        problem = limits.samples_problem(parameters, len(batches[0]))
        if problem:
            self.fail(("data", "input"), problem, count(len(batches[0]), "sample"))
        problem = limits.steps_problem(parameters, len(batches[0]), network.updates)
        if problem:
            key = "epochs" if network.train.epochs is not None else "steps"
            self.fail(("train", key), problem, str(getattr(network.train, key)))

    def published(self, value: Any) -> Published:
        path: KeyPath = ("published",)
        table = self.table(value, path, PUBLISHED_KEYS)
        if "source" not in table:
            self.fail(path + ("source",), "source in the [published] table", "nothing")
        source = self.text(table["source"], path + ("source",), "source")
        loss_after = self.number(table["loss_after"], path + ("loss_after",)) if "loss_after" in table else None
        figures: list[tuple[str, Fraction]] = []
        if "figures" in table:
            given = table["figures"]
            if not isinstance(given, dict):
                self.fail(path + ("figures",), "a table of quantity IDs and numbers", describe(given))
            figures = [(str(key), self.number(number, path + ("figures", key))) for key, number in given.items()]
        if loss_after is None and not figures:
            self.fail(path + ("loss_after",), "loss_after in the [published] table (or a figures table)", "nothing")
        return Published(source, loss_after, tuple(figures))

    def exercise(self, value: Any, loss: Any) -> Any:
        """The [exercise] table: the grids a class set's variants are drawn from (derive exercise --variants)."""
        from .exercise_table import read_exercise  # only a spec with an [exercise] table needs it

        return read_exercise(self, value, loss.probabilities)

    def title(self, value: Any) -> dict[str, Any]:
        """A title, or a table of titles by language code (title = { en = "...", zh = "..." })."""
        if not isinstance(value, dict):
            return {"title": self.text(value, ("title",), "title")}
        if not value:
            self.fail(("title",), "a title, or a table of titles by language code", "an empty table")
        titles = {str(code): self.text(text, ("title", code), "title") for code, text in value.items()}
        return {"title": titles.get("en", next(iter(titles.values()))), "titles": tuple(sorted(titles.items()))}
