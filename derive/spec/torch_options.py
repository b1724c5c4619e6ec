"""``--from-torch FILE.py:NAME`` with ``--input``, ``--target``, ``--loss``, ``--lr``, ``--steps``
and ``--optimizer``: a Network whose layers and weights come from a PyTorch module.

The options are turned into a dict in the spec's TOML shape and validated by
``spec.network_from_dict``, so every rule and message is the spec file's; only the names in the
messages change (``data.input[0][1]`` becomes ``--input row 1, value 2``). Option syntax is checked
before torch is imported, so a typo costs no start-up time. This module itself never imports torch
at load time: the default command line imports it (to refuse these options without --from-torch).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..components import LOSSES
from ..errors import SpecError, ToolMissingError, UsageError
from ..network import Layer, Network


TORCH_OPTIONS = ("input", "target", "loss", "lr", "steps", "optimizer")
DEFAULT_LOSS = "half_sse"
DEFAULT_LR = "0.5"
DEFAULT_STEPS = "1"
DEFAULT_OPTIMIZER = "sgd"
INSTALL_HINT = 'pip install "backprop-derive[torch]"'

# An ASCII decimal literal, as a person types one: 0.05, -1, .5, 2e-3. The exponent is bounded
# before Fraction sees it, since Fraction("1e999999999") would build a billion-digit integer.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?(\d+))?")
_INTEGER = re.compile(r"[+-]?\d+")
MAX_EXPONENT = 400
_PLACEHOLDER = "<command line>"


# ---------------------------------------------------------------- the entry point


def network_from_torch_arguments(args: argparse.Namespace) -> Network:
    """The Network that ``--from-torch FILE.py:NAME --input ... --target ...`` describes."""
    target_text = args.from_torch
    if getattr(args, "spec", None):
        raise UsageError(
            f"give either a SPEC ({args.spec}) or --from-torch, not both; a spec file can name a "
            "module itself, in a [torch] table"
        )
    file_name, class_name = split_module_target(target_text)
    loss = _option(args, "loss") or DEFAULT_LOSS
    no_targets = loss in LOSSES and not LOSSES[loss].targets  # the sum loss reads none
    needed = ("input",) if no_targets else ("input", "target")
    missing = [f"--{name}" for name in needed if _option(args, name) is None]
    if missing:
        raise UsageError(
            f"--from-torch needs {' and '.join(missing)}, such as --input 0.05,0.10 "
            "--target 0.01,0.99 (values separated by ',', rows by ';')"
        )
    data: dict[str, Any] = {"input": parse_rows(_option(args, "input"), "--input")}
    if _option(args, "target") is not None:
        data["target"] = parse_targets(_option(args, "target"), loss)
    doc: dict[str, Any] = {
        "data": data,
        "loss": {"kind": loss},
        "train": {
            "optimizer": _option(args, "optimizer") or DEFAULT_OPTIMIZER,
            "lr": parse_number(_option(args, "lr") or DEFAULT_LR, "--lr"),
            "steps": parse_steps(_option(args, "steps") or DEFAULT_STEPS),
        },
    }
    parts = _read_module(file_name, class_name)
    doc["layer"] = [layer_table(layer) for layer in parts.layers]
    name = Path(file_name).stem
    try:
        network = network_from_parts(doc, name)
    except SpecError as error:
        raise SpecError(_option_message(str(error), target_text)) from None
    return dataclasses.replace(network, source=target_text, provenance=parts.dtypes, parameter_names=parts.names)


def reject_torch_options(args: argparse.Namespace) -> None:
    """--input, --target, --loss, --lr, --steps and --optimizer belong to --from-torch.

    A spec (file or built-in) carries its own [data], [loss] and [train]; silently ignoring the
    options would derive something other than what was asked, and overriding the spec would give a
    document whose source no longer describes its numbers.
    """
    given = [f"--{name}" for name in TORCH_OPTIONS if _option(args, name) is not None]
    if given:
        spec = getattr(args, "spec", None) or "mazur"
        raise UsageError(
            f"{', '.join(given)} only go{'es' if len(given) == 1 else ''} with --from-torch "
            f"FILE.py:NAME; the spec {spec} sets its "
            "data, loss and training in its [data], [loss] and [train] tables"
        )


def _option(args: argparse.Namespace, name: str) -> str | None:
    return getattr(args, name, None)


# ---------------------------------------------------------------- option syntax


def split_module_target(text: str) -> tuple[str, str]:
    """``path/to/file.py:Name`` -> (path, name), split on the last colon."""
    file_name, colon, class_name = text.rpartition(":")
    if not colon or not file_name:
        raise UsageError(
            f"--from-torch {text}: expected FILE.py:NAME (a Python file, a colon and the name of "
            "the nn.Module class or instance in it), found no colon"
            if not colon
            else f"--from-torch {text}: expected FILE.py:NAME, found no file before the colon"
        )
    if not class_name.isidentifier():
        found = "nothing" if not class_name else repr(class_name)
        raise UsageError(
            f"--from-torch {text}: expected FILE.py:NAME with NAME a Python name after the last "
            f"colon, found {found}"
        )
    return file_name, class_name


def parse_number(token: str, option: str, where: str = "") -> Fraction:
    """An exact decimal (0.05 is 1/20), refusing nan, inf, fractions and anything else."""
    text = token.strip()
    match = _DECIMAL.fullmatch(text)
    place = f" ({where})" if where else ""
    if match is None:
        found = repr(text) if text else "nothing"
        raise UsageError(f"{option}{place}: expected a decimal number such as 0.05, found {found}")
    exponent = match.group(1)
    if exponent is not None and (len(exponent.lstrip("0")) > 3 or int(exponent) > MAX_EXPONENT):
        raise UsageError(f"{option}{place}: expected a number within float64's range, found {text}")
    return Fraction(text)


def parse_rows(text: str, option: str) -> list[list[Fraction]]:
    """``"0.6,0.3;0.2,0.9"`` -> rows of exact decimals; a single row is one sample."""
    rows = _split_rows(text, option)
    return [
        [
            parse_number(token, option, _place(rows, r, c))
            for c, token in enumerate(row)
        ]
        for r, row in enumerate(rows)
    ]


def parse_targets(text: str, loss: str) -> list[list[Fraction]] | list[int]:
    """Target rows; for a loss that takes class indices, one whole number per row is a class index."""
    rows = _split_rows(text, "--target")
    takes_indices = loss in LOSSES and LOSSES[loss].class_indices
    if takes_indices and all(len(row) == 1 and _INTEGER.fullmatch(row[0].strip()) for row in rows):
        return [int(row[0]) for row in rows]
    return parse_rows(text, "--target")


def parse_steps(text: str) -> int:
    """A whole number of steps (the spec reader checks that it is at least 1)."""
    if not _INTEGER.fullmatch(text.strip()) or len(text.strip()) > 9:
        raise UsageError(f"--steps: expected a whole number such as 1, found {text.strip()!r}")
    return int(text)


def _split_rows(text: str, option: str) -> list[list[str]]:
    if not text.strip():
        raise UsageError(f"{option}: expected values separated by ',' and rows by ';', found nothing")
    rows = [row.split(",") for row in text.strip().rstrip(";").split(";")]
    for r, row in enumerate(rows):
        for c, token in enumerate(row):
            if not token.strip():
                raise UsageError(
                    f"{option} ({_place(rows, r, c)}): expected a number, found nothing "
                    "(values are separated by ',' and rows by ';')"
                )
    return rows


def _place(rows: list[list[str]], r: int, c: int) -> str:
    value = f"value {c + 1}"
    return f"row {r + 1}, {value}" if len(rows) > 1 else value


# ---------------------------------------------------------------- the module


def _read_module(file_name: str, class_name: str) -> Any:
    if importlib.util.find_spec("torch") is None:
        raise ToolMissingError(f"--from-torch needs PyTorch; install it with: {INSTALL_HINT}")
    from .torch_module import read_module_path

    return read_module_path(file_name, class_name)


def layer_table(layer: Layer) -> dict[str, Any]:
    """A Layer as a [[layer]] table of the spec (the inverse of the spec reader)."""
    table: dict[str, Any] = {
        "activation": layer.activation.name,
        "weight": [list(row) for row in layer.weight],
    }
    for key, value in layer.activation.setting_values().items():
        table[key] = list(value) if isinstance(value, tuple) else value
    if layer.bias is not None:
        table["bias"] = layer.bias if isinstance(layer.bias, Fraction) else list(layer.bias)
        if not layer.train_bias:
            table["train_bias"] = False
    return table


# ---------------------------------------------------------------- validation and messages


def network_from_parts(doc: dict, name: str) -> Network:
    """A spec dict from the command line validated as a spec file would be (messages name ``<command line>``)."""
    from .reader import network_from_dict

    return network_from_dict(doc, _PLACEHOLDER, name)


_KEY_TO_OPTION = {
    "data.input": "--input",
    "data.target": "--target",
    "loss.kind": "--loss",
    "train.optimizer": "--optimizer",
    "train.lr": "--lr",
    "train.steps": "--steps",
}


def _option_message(message: str, target_text: str) -> str:
    """The spec reader's ``<command line>: data.input[0][1]: ...`` as ``--input (row 1, value 2): ...``."""
    prefix = _PLACEHOLDER + ": "
    if not message.startswith(prefix):
        return message
    rest = message[len(prefix) :]
    match = re.match(r"([a-z_]+\.[a-z_]+)((?:\[\d+\])*): ", rest)
    if match and match.group(1) in _KEY_TO_OPTION:
        option = _KEY_TO_OPTION[match.group(1)]
        indexes = [int(i) + 1 for i in re.findall(r"\d+", match.group(2))]
        place = ""
        if len(indexes) == 1:
            place = f" (row {indexes[0]})"
        elif len(indexes) == 2:
            place = f" (row {indexes[0]}, value {indexes[1]})"
        return f"{option}{place}: {rest[match.end():]}"
    return f"--from-torch {target_text}: {rest}"
