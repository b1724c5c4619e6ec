"""Read a spec (a TOML file, a built-in example or an already parsed dict) into a Network.

Every problem a user can cause becomes a SpecError of the form
``{source}:{line}: {key path}: expected {what}, found {what was found}``.
Key paths count layers from 1 (``layer[1]`` is the first ``[[layer]]`` table, as in the
notation's superscripts) and index values from 0 (``weight[0][1]`` is PyTorch's ``weight[0][1]``).
"""

from __future__ import annotations

import decimal
import difflib
import math
import re
import tomllib
import unicodedata
from collections.abc import Callable, Sequence
from fractions import Fraction
from importlib.resources.abc import Traversable
from pathlib import Path

from .shipped import shipped_folder
from typing import Any, NoReturn

from derive import limits
from derive.errors import SpecError
from derive.network import ACTIVATIONS, LOSSES, OPTIMIZERS, Data, Layer, Matrix, Network, Train
from derive.toml_lines import KeyPath, Locator, first_line_deeper_than, make_locator

__all__ = [
    "builtin_examples", "format_key_path", "get_suggestion", "load_spec", "make_locator",
    "network_from_dict", "parse_spec",
]

TOP_LEVEL_KEYS = ("title", "layer", "torch", "data", "loss", "train")
LAYER_KEYS = ("activation", "negative_slope", "weight", "bias", "train_bias")
TORCH_KEYS = ("module",)
DATA_KEYS = ("input", "target")
LOSS_KEYS = ("kind",)
TRAIN_KEYS = ("optimizer", "lr", "momentum", "weight_decay", "betas", "eps", "steps")
OPTIMIZER_ONLY_KEYS = {"sgd": ("momentum",), "adam": ("betas", "eps")}
PROBABILITY_LOSSES = ("bce", "cross_entropy")
SHOW_LIMIT = 40


class _Missing:
    """The value of a key that is absent."""


MISSING: Any = _Missing()


# ---------------------------------------------------------------- loading files and built-ins


def load_spec(spec: str) -> Network:
    """Load a spec file by path, or a built-in example by name; a path that exists wins."""
    path = Path(spec)
    builtins = builtin_examples()
    if _exists(path, spec) and not (path.is_dir() and spec in builtins):
        return parse_spec(_read_text(path, spec), source=spec, name=path.stem)
    if spec in builtins:
        return parse_spec(_builtin_text(spec), source=spec, name=spec)
    raise SpecError(_not_found_message(spec, builtins))


def builtin_examples() -> list[str]:
    """Names of the built-in example specs, sorted."""
    folder = _examples_folder()
    if not folder.is_dir():
        return []
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    )


def _examples_folder() -> Traversable:
    return shipped_folder("examples")


def _builtin_text(name: str) -> str:
    return _examples_folder().joinpath(f"{name}.toml").read_text(encoding="utf-8")


def _exists(path: Path, spec: str) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError) as error:
        raise SpecError(f"{spec}: cannot use this as a spec path: {error}") from None


def _read_text(path: Path, spec: str) -> str:
    if path.is_dir():
        raise SpecError(f"{spec}: expected a TOML spec file, found a directory")
    try:
        with path.open("rb") as stream:
            data = stream.read(limits.MAX_SPEC_BYTES + 1)
    except OSError as error:
        raise SpecError(f"{spec}: cannot read the spec file: {error.strerror or error}") from None
    if len(data) > limits.MAX_SPEC_BYTES:
        raise SpecError(
            f"{spec}: expected a TOML spec file of at most {limits.MAX_SPEC_BYTES // 2**20} MiB, "
            "found a larger one"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SpecError(
            f"{spec}:{line}: expected a TOML spec file (UTF-8 text), "
            f"found the byte 0x{data[error.start]:02x}, so this is not UTF-8 text"
        ) from None
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        raise SpecError(
            f"{spec}:{line}: expected a TOML spec file (text), found a NUL byte, so this is binary data"
        )
    return text


def _not_found_message(spec: str, builtins: list[str]) -> str:
    known = ", ".join(builtins) or "none installed"
    candidates = get_suggestion(spec, builtins) or get_suggestion(Path(spec).stem, builtins)
    return (
        f"{spec}: expected a spec file or a built-in example ({known}), "
        f"found no such file or example{candidates}"
    )


# ---------------------------------------------------------------- parsing TOML text


def parse_spec(text: str, source: str, name: str) -> Network:
    """Parse TOML text (numbers kept as the decimals written) and validate it into a Network."""
    deep = first_line_deeper_than(text, limits.MAX_NESTING)
    if deep is not None:
        raise SpecError(
            f"{source}:{deep}: expected arrays, tables and dotted keys nested at most "
            f"{limits.MAX_NESTING} deep, found deeper nesting"
        )
    try:
        doc = tomllib.loads(text, parse_float=decimal.Decimal)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(_syntax_error_message(source, str(error))) from None
    except ValueError as error:
        # tomllib lets int()'s digit limit escape as a plain ValueError, with no line.
        raise SpecError(f"{source}: TOML error: {str(error).split(';')[0]}") from None
    except RecursionError:
        raise SpecError(f"{source}: TOML error: values nested too deeply") from None
    return network_from_dict(doc, source, name, locate=make_locator(text))


def _syntax_error_message(source: str, message: str) -> str:
    located = re.fullmatch(r"(?s)(.*) \(at line (\d+), column (\d+)\)", message)
    if located:
        what, line, column = located.groups()
        return f"{source}:{line}: TOML syntax error: {what} (column {column})"
    at_end = re.fullmatch(r"(?s)(.*) \(at end of document\)", message)
    if at_end:
        return f"{source}: TOML syntax error: {at_end.group(1)} at the end of the file"
    return f"{source}: TOML syntax error: {message}"


# ---------------------------------------------------------------- validating the document


def network_from_dict(
    doc: dict, source: str, name: str, locate: Locator | None = None
) -> Network:
    """Validate a parsed spec (numbers as Decimal, int, float or Fraction) into a Network.

    ``locate`` maps a key path of raw indexes, such as ``("layer", 0, "weight", 0, 1)``, to the
    1-based line it was written on, or None.
    """
    return _Reader(source, locate).network(doc, name)


class _Reader:
    """Walks a parsed spec, converting values and raising SpecError at the first problem."""

    def __init__(self, source: str, locate: Locator | None) -> None:
        self.source = source
        self.locate = locate
        self.provenance = ""  # set when the layers come from a PyTorch module

    def network(self, doc: Any, name: str) -> Network:
        doc = self.table(doc, (), TOP_LEVEL_KEYS)
        title = {"title": self.title(doc["title"])} if "title" in doc else {}
        layers = self.layers(doc)
        loss = self.loss(doc.get("loss", MISSING))
        data = self.data(doc.get("data", MISSING), layers, loss)
        train = self.train(doc.get("train", MISSING))
        self.check_training_size(layers, data, train)
        return Network(
            layers=layers, data=data, loss=loss, train=train, name=name, source=self.source,
            provenance=self.provenance, **title
        )

    # -- errors

    def where(self, path: KeyPath) -> str:
        line = self.locate(path) if self.locate and path else None
        return f"{self.source}:{line}" if line else self.source

    def fail(self, path: KeyPath, expected: str, found: str, suggestion: str = "") -> NoReturn:
        subject = f"{format_key_path(path)}: " if path else ""
        raise SpecError(
            f"{self.where(path)}: {subject}expected {expected}, found {found}{suggestion}"
        )

    # -- generic shapes

    def table(self, value: Any, path: KeyPath, allowed: Sequence[str]) -> dict:
        if not isinstance(value, dict):
            self.fail(path, "a table", describe(value))
        for key in value:
            if key not in allowed:
                self.fail(
                    path + (key,),
                    _keys_phrase(allowed),
                    f"the unknown key {key!r}",
                    get_suggestion(str(key), allowed) or _misplaced_hint(key, path),
                )
        return value

    def choice(self, value: Any, path: KeyPath, choices: Sequence[str]) -> str:
        expected = f"one of {', '.join(choices)}"
        if not isinstance(value, str):
            self.fail(path, expected, describe(value))
        if value not in choices:
            self.fail(path, expected, show(value), get_suggestion(value, choices))
        return value

    def number(
        self,
        value: Any,
        path: KeyPath,
        expected: str = "a number",
        accept: Callable[[Fraction], bool] = lambda _: True,
    ) -> Fraction:
        if isinstance(value, bool) or not isinstance(
            value, (int, float, decimal.Decimal, Fraction)
        ):
            self.fail(path, expected, describe(value))
        if not _is_finite(value):
            self.fail(path, f"{expected} (a finite one)", show(value))
        if not _fits_float64(value):
            self.fail(path, f"{expected} within float64's range (1e-308 to 1e308)", show(value))
        exact = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
        if not accept(exact):
            self.fail(path, expected, show(value))
        return exact

    def row(
        self,
        value: Any,
        path: KeyPath,
        expected: str = "a number",
        accept: Callable[[Fraction], bool] = lambda _: True,
    ) -> tuple[Fraction, ...]:
        if not isinstance(value, list) or not value:
            self.fail(path, "a non-empty list of numbers", describe(value))
        return tuple(
            self.number(item, path + (index,), expected, accept) for index, item in enumerate(value)
        )

    def matrix(
        self,
        value: Any,
        path: KeyPath,
        shape: str,
        allow_flat: bool,
        expected: str = "a number",
        accept: Callable[[Fraction], bool] = lambda _: True,
    ) -> Matrix:
        if not isinstance(value, list) or not value:
            self.fail(path, f"a non-empty list of rows ({shape})", describe(value))
        if not any(isinstance(item, list) for item in value):
            if allow_flat:
                return (self.row(value, path, expected, accept),)
            self.fail(
                path,
                f"a list of rows ({shape}); one row is written [[...]]",
                f"the flat list {show(value)}",
            )
        rows = []
        for index, item in enumerate(value):
            if not isinstance(item, list):
                self.fail(path + (index,), "a row (a list of numbers)", describe(item))
            rows.append(self.row(item, path + (index,), expected, accept))
        width = len(rows[0])
        for index, row in enumerate(rows):
            if len(row) != width:
                self.fail(
                    path + (index,),
                    f"{_count(width, 'number')}, like the first row",
                    _count(len(row), "number"),
                )
        return tuple(rows)

    # -- layers

    def layers(self, doc: dict) -> tuple[Layer, ...]:
        if "torch" in doc and "layer" in doc:
            self.fail(("torch",), "either a [torch] table or [[layer]] tables", "both")
        if "torch" in doc:
            layers = self.torch_layers(doc["torch"])
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
        activation = self.choice(
            table.get("activation", MISSING), path + ("activation",), ACTIVATIONS
        )
        weight = self.matrix(
            table.get("weight", MISSING), path + ("weight",), "out x in", allow_flat=False
        )
        return Layer(
            activation=activation,
            weight=weight,
            bias=self.bias(table, path, len(weight)),
            train_bias=self.train_bias(table, path),
            **self.negative_slope(table, path, activation),
        )

    def negative_slope(self, table: dict, path: KeyPath, activation: str) -> dict:
        if "negative_slope" not in table:
            return {}
        slope_path = path + ("negative_slope",)
        if activation != "leaky_relu":
            self.fail(
                slope_path,
                "negative_slope only with activation 'leaky_relu'",
                f"it with activation {activation!r}",
            )
        return {"negative_slope": self.number(table["negative_slope"], slope_path)}

    def bias(
        self, table: dict, path: KeyPath, neurons: int
    ) -> tuple[Fraction, ...] | Fraction | None:
        if "bias" not in table:
            return None
        value, bias_path = table["bias"], path + ("bias",)
        if not isinstance(value, list):
            return self.number(
                value, bias_path, "a list of numbers (one per neuron) or one shared number"
            )
        bias = self.row(value, bias_path)
        if len(bias) != neurons:
            self.fail(
                bias_path,
                f"{_count(neurons, 'number')}, one per neuron (or one number shared by the layer)",
                _count(len(bias), "number"),
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

    def torch_layers(self, value: Any) -> tuple[Layer, ...]:
        table = self.table(value, ("torch",), TORCH_KEYS)
        path: KeyPath = ("torch", "module")
        module = table.get("module", MISSING)
        file_name, _, class_name = module.rpartition(":") if isinstance(module, str) else ("",) * 3
        if not file_name or not class_name.isidentifier():
            self.fail(
                path, "'FILE.py:NAME' (a Python file and the module's class name)", describe(module)
            )
        module_file = (Path(self.source).parent / file_name).resolve()
        context = f"{self.where(path)}: torch.module"
        try:
            from derive.from_torch import read_module_path
        except ImportError as error:
            raise SpecError(f"{context}: cannot load PyTorch modules here ({error})") from None
        try:
            layers, self.provenance = read_module_path(str(module_file), class_name)
        except SpecError as error:
            raise SpecError(f"{context}: {error}") from None
        return tuple(layers)

    def check_chain(self, layers: tuple[Layer, ...]) -> None:
        for index in range(1, len(layers)):
            previous, layer = layers[index - 1], layers[index]
            if layer.in_features != previous.out_features:
                self.fail(
                    ("layer", index, "weight"),
                    f"rows of {_count(previous.out_features, 'number')} "
                    f"(layer[{index}] has {_count(previous.out_features, 'neuron')})",
                    f"rows of {_count(layer.in_features, 'number')}",
                )

    # -- data, loss, training

    def data(self, value: Any, layers: tuple[Layer, ...], loss: str) -> Data:
        path: KeyPath = ("data",)
        if value is MISSING:
            self.fail(path, "a [data] table with input and target", "nothing")
        table = self.table(value, path, DATA_KEYS)
        inputs = self.matrix(
            table.get("input", MISSING), path + ("input",), "batch x in", allow_flat=True
        )
        width = layers[0].in_features
        if len(inputs[0]) != width:
            self.fail(
                path + ("input",),
                f"rows of {_count(width, 'number')} (layer[1] takes {_count(width, 'input')})",
                f"rows of {_count(len(inputs[0]), 'number')}",
            )
        targets = self.targets(table.get("target", MISSING), path + ("target",), layers, loss)
        if len(targets) != len(inputs):
            noun = "class index" if isinstance(targets[0], int) else "row"
            self.fail(
                path + ("target",),
                f"{_count(len(inputs), noun)}, one per input row",
                _count(len(targets), noun),
            )
        return Data(inputs=inputs, targets=targets)

    def targets(
        self, value: Any, path: KeyPath, layers: tuple[Layer, ...], loss: str
    ) -> Matrix | tuple[int, ...]:
        outputs = layers[-1].out_features
        if loss == "cross_entropy" and _is_index_list(value):
            for index, item in enumerate(value):
                if not 0 <= item < outputs:
                    self.fail(path + (index,), f"a class index from 0 to {outputs - 1}", show(item))
            return tuple(value)
        shape = "batch x out, or class indices" if loss == "cross_entropy" else "batch x out"
        expected, accept = "a number", lambda _: True
        if loss in PROBABILITY_LOSSES:
            expected, accept = "a probability from 0 to 1", lambda x: 0 <= x <= 1
        rows = self.matrix(value, path, shape, allow_flat=True, expected=expected, accept=accept)
        if len(rows[0]) != outputs:
            self.fail(
                path,
                f"rows of {_count(outputs, 'number')} "
                f"(layer[{len(layers)}] has {_count(outputs, 'neuron')})",
                f"rows of {_count(len(rows[0]), 'number')}",
            )
        return rows

    def loss(self, value: Any) -> str:
        if value is MISSING:
            return "half_sse"
        table = self.table(value, ("loss",), LOSS_KEYS)
        return self.choice(table.get("kind", MISSING), ("loss", "kind"), LOSSES)

    def train(self, value: Any) -> Train:
        if value is MISSING:
            return Train()
        path: KeyPath = ("train",)
        table = self.table(value, path, TRAIN_KEYS)
        optimizer = "sgd"
        if "optimizer" in table:
            optimizer = self.choice(table["optimizer"], path + ("optimizer",), OPTIMIZERS)
        self.reject_other_optimizer_keys(table, path, optimizer)
        settings: dict[str, Any] = {"optimizer": optimizer}
        limits = {
            "lr": ("a number greater than 0", lambda x: x > 0),
            "momentum": ("a number of at least 0", lambda x: x >= 0),
            "weight_decay": ("a number of at least 0", lambda x: x >= 0),
            "eps": ("a number greater than 0", lambda x: x > 0),
        }
        for key, (expected, accept) in limits.items():
            if key in table:
                settings[key] = self.number(table[key], path + (key,), expected, accept)
        if "betas" in table:
            settings["betas"] = self.betas(table["betas"], path + ("betas",))
        if "steps" in table:
            settings["steps"] = self.steps(table["steps"], path + ("steps",))
        return Train(**settings)

    def check_training_size(self, layers: tuple[Layer, ...], data: Data, train: Train) -> None:
        parameters = Network(layers, data).parameter_count
        problem = limits.samples_problem(parameters, data.batch_size)
        if problem:
            self.fail(("data", "input"), problem, _count(data.batch_size, "sample"))
        problem = limits.steps_problem(parameters, data.batch_size, train.steps)
        if problem:
            self.fail(("train", "steps"), problem, str(train.steps))

    def reject_other_optimizer_keys(self, table: dict, path: KeyPath, optimizer: str) -> None:
        for other, keys in OPTIMIZER_ONLY_KEYS.items():
            for key in keys:
                if other != optimizer and key in table:
                    self.fail(
                        path + (key,),
                        f"no {key} with optimizer {optimizer!r} ({other} only)",
                        show(table[key]),
                    )

    def betas(self, value: Any, path: KeyPath) -> tuple[Fraction, Fraction]:
        if not isinstance(value, list) or len(value) != 2:
            self.fail(path, "two numbers [beta1, beta2]", describe(value))
        first, second = (
            self.number(item, path + (index,), "a number from 0 up to (not including) 1",
                        lambda x: 0 <= x < 1)
            for index, item in enumerate(value)
        )
        return first, second

    def steps(self, value: Any, path: KeyPath) -> int:
        if type(value) is not int or value < 1:
            self.fail(path, "a whole number of at least 1", describe(value))
        return value

    def title(self, value: Any) -> str:
        path: KeyPath = ("title",)
        if not isinstance(value, str):
            self.fail(path, "a string", describe(value))
        if len(value) > limits.MAX_TITLE_CHARACTERS:
            self.fail(
                path,
                f"a title of at most {limits.MAX_TITLE_CHARACTERS} characters",
                f"{len(value)} characters",
            )
        for index, char in enumerate(value):
            if _invisible(char):
                self.fail(
                    path,
                    "a one-line title of visible characters (it is printed literally)",
                    f"the control or invisible character {char!r} (U+{ord(char):04X}) "
                    f"at position {index + 1}",
                )
        return value


# ---------------------------------------------------------------- small helpers


def format_key_path(path: KeyPath) -> str:
    """``("layer", 0, "weight", 0, 1)`` -> ``layer[1].weight[0][1]`` (layers count from 1)."""
    text = ""
    for position, part in enumerate(path):
        if isinstance(part, int):
            shown = part + 1 if position == 1 and path[0] == "layer" else part
            text += f"[{shown}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def get_suggestion(word: str, choices: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    matches = difflib.get_close_matches(word, choices, n=1) or difflib.get_close_matches(
        word.lower(), choices, n=1
    )
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def show(value: Any) -> str:
    """A short TOML-like rendering of a value for messages."""
    text = _render(value, SHOW_LIMIT + 1)
    return text if len(text) <= SHOW_LIMIT else text[: SHOW_LIMIT - 3] + "..."


def describe(value: Any) -> str:
    """``show(value)`` plus its kind where the kind is the likely mistake."""
    if value is MISSING:
        return "nothing"
    kinds = {bool: "a boolean", str: "a string", dict: "a table", list: "a list"}
    kind = kinds.get(type(value))
    return f"{show(value)} ({kind})" if kind else show(value)


def _render(value: Any, budget: int) -> str:
    """The rendering of ``value``, cut off once it is ``budget`` characters long."""
    if budget <= 0:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value[:budget])[:budget]
    if isinstance(value, decimal.Decimal):
        return _render_decimal(value)[:budget]
    if isinstance(value, int) and abs(value).bit_length() > 4 * budget:
        return f"{'-' if value < 0 else ''}a {len(str(abs(value)))}-digit integer"[:budget]
    if isinstance(value, (list, dict)):
        items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        text = opening
        for position, (key, item) in enumerate(items):
            if len(text) >= budget:
                break
            text += (", " if position else "") + (f"{key} = " if key is not None else "")
            text += _render(item, budget - len(text))
        return (text + closing)[: max(budget, 2)]
    return str(value)[:budget]


def _render_decimal(value: decimal.Decimal) -> str:
    if value.is_nan():
        return "nan"
    if value.is_infinite():
        return "-inf" if value < 0 else "inf"
    return str(value)


def _invisible(char: str) -> bool:
    """Control, format (bidirectional overrides, zero-width), private-use and line-break characters."""
    return unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")


def _is_finite(value: int | float | decimal.Decimal | Fraction) -> bool:
    if isinstance(value, decimal.Decimal):
        return value.is_finite()
    return not isinstance(value, float) or math.isfinite(value)


def _fits_float64(value: int | float | decimal.Decimal | Fraction) -> bool:
    """False for magnitudes that float64 (PyTorch) turns into inf or 0, and that would make
    huge exact rationals."""
    if value == 0 or isinstance(value, float):
        return True
    try:
        magnitude = float(abs(value))
    except OverflowError:
        return False
    return 0 < magnitude < math.inf


def _keys_phrase(allowed: Sequence[str]) -> str:
    return f"the key {allowed[0]}" if len(allowed) == 1 else f"one of the keys {', '.join(allowed)}"


def _misplaced_hint(key: Any, path: KeyPath) -> str:
    # TOML puts every key after a [table] header into that table, a common slip for top-level keys.
    if path and key in TOP_LEVEL_KEYS:
        return f" ({key!r} belongs at the top level, before the first [table] header)"
    return ""


def _is_index_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(type(item) is int for item in value)


def _count(number: int, noun: str) -> str:
    plural = "class indices" if noun == "class index" else f"{noun}s"
    return f"{number} {noun if number == 1 else plural}"
