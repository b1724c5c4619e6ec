"""The numbers as PyTorch prints them: ``str(tensor)`` under torch's default print options, without torch.

derive's own formatter, written from the rules of torch/_tensor_str.py (torch 2.x):

- One format for the whole tensor, chosen from its nonzero finite values: scientific notation
  (``{:.4e}``) when the largest magnitude is over 1000 times the smallest, over 1e8, or the smallest
  under 1e-4; otherwise whole numbers as ``1.`` when every value is one, else ``{:.4f}``.
- Every entry is padded on the left to the widest nonzero finite one (zeros do not count, so
  ``-0.`` can stand wider than the rest).
- A row holds as many entries as fit in 80 columns after its indent; rows of a matrix start one
  column further in than the bracket before them. Over 1000 entries, only the first and last 3 of
  each dimension are shown, with ``...`` between.
- A tensor that is not of the default dtype (float32) ends with ``dtype=torch.float64``, on a new
  line when it would pass column 80.
"""

from __future__ import annotations

import math
import struct
from typing import Any, Mapping

from ..engine.arithmetic import to_float
from ..engine.training import Training
from ..network import Network

PRECISION = 4  # torch.set_printoptions defaults
THRESHOLD = 1000
EDGE_ITEMS = 3
LINE_WIDTH = 80
PREFIX = "tensor("

Nested = Any  # a float, a list of floats, or a list of lists of floats


def as_float32(value: float) -> float:
    """The float32 nearest a float64 (infinity beyond float32's range), as a Python float."""
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def tensor_str(value: Nested, dtype: str = "float32") -> str:
    """``str(torch.tensor(value, dtype=torch.<dtype>))``: a float, a list or a list of lists, 4 decimals."""
    values = _map(as_float32, value) if dtype == "float32" else _map(float, value)
    summarize = len(_flat(values)) > THRESHOLD
    style = _Style(_flat(_summarized(values) if summarize else values))
    indent = len(PREFIX)
    if not isinstance(values, list):
        body = style.format(values)
    elif values and isinstance(values[0], list):
        body = _matrix(values, indent, summarize, style)
    else:
        body = _vector(values, indent, summarize, style)
    suffixes = [] if dtype == "float32" else [f"dtype=torch.{dtype}"]
    return _with_suffixes(PREFIX + body, suffixes, indent)


class _Style:
    """One format for every entry of a tensor, chosen from its nonzero finite values as torch chooses."""

    def __init__(self, values: list[float]) -> None:
        shown = [v for v in values if math.isfinite(v) and v != 0]
        self.whole, self.scientific, self.width = True, False, 1
        if not shown:
            return
        largest, smallest = max(abs(v) for v in shown), min(abs(v) for v in shown)
        self.whole = all(v == math.ceil(v) for v in shown)
        self.scientific = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        if self.scientific:
            self.width = max(len(f"{v:.{PRECISION}e}") for v in shown)
        elif self.whole:
            self.width = max(len(f"{v:.0f}") + 1 for v in shown)  # the "." after a whole number
        else:
            self.width = max(len(f"{v:.{PRECISION}f}") for v in shown)

    def format(self, value: float) -> str:
        """One entry, padded on the left to the tensor's width."""
        if self.scientific:
            text = f"{value:{self.width}.{PRECISION}e}"
        elif self.whole:
            text = f"{value:.0f}" + ("." if math.isfinite(value) else "")
        else:
            text = f"{value:.{PRECISION}f}"
        return text.rjust(self.width)


def _vector(values: list[float], indent: int, summarize: bool, style: _Style) -> str:
    per_line = max(1, math.floor((LINE_WIDTH - indent) / (style.width + 2)))
    if summarize and len(values) > 2 * EDGE_ITEMS:
        entries = [style.format(v) for v in values[:EDGE_ITEMS]] + [" ..."]
        entries += [style.format(v) for v in values[-EDGE_ITEMS:]]
    else:
        entries = [style.format(v) for v in values]
    lines = [", ".join(entries[i : i + per_line]) for i in range(0, len(entries), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _matrix(rows: list[list[float]], indent: int, summarize: bool, style: _Style) -> str:
    if summarize and len(rows) > 2 * EDGE_ITEMS:
        shown = [_vector(r, indent + 1, summarize, style) for r in rows[:EDGE_ITEMS]] + ["..."]
        shown += [_vector(r, indent + 1, summarize, style) for r in rows[-EDGE_ITEMS:]]
    else:
        shown = [_vector(r, indent + 1, summarize, style) for r in rows]
    return "[" + (",\n" + " " * (indent + 1)).join(shown) + "]"


def _summarized(values: Nested) -> Nested:
    """The entries a summarized tensor shows: the first and last EDGE_ITEMS of each dimension."""
    if not isinstance(values, list):
        return values
    kept = values[:EDGE_ITEMS] + values[-EDGE_ITEMS:] if len(values) > 2 * EDGE_ITEMS else values
    return [_summarized(v) for v in kept]


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    # torch counts the last line from one column past its start; kept, so lines break where torch's do.
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > LINE_WIDTH:
            text += ",\n" + " " * indent + suffix
            last_line = indent + len(suffix)
        else:
            text += ", " + suffix
            last_line += len(suffix) + 2
    return text + ")"


def _flat(values: Nested) -> list[float]:
    if isinstance(values, list):
        return [x for item in values for x in _flat(item)]
    return [values]


def _map(function: Any, values: Nested) -> Nested:
    if isinstance(values, list):
        return [_map(function, v) for v in values]
    return function(values)


def listing_dtype(network: Network) -> str:
    """The dtype the listing prints at: float64 for a module whose parameters are all float64, else
    float32, PyTorch's default and what a script like the seed's uses."""
    return "float64" if network.provenance == ("float64",) else "float32"


def layer_names(network: Network) -> tuple[str, ...]:
    """Each layer's name as named_parameters() gives it (linear1, 0, model.2); layer1, layer2 for a spec."""
    if len(network.parameter_names) == len(network.layers):
        return network.parameter_names
    return tuple(f"layer{index}" for index in range(1, len(network.layers) + 1))


LISTING_WORDS = {"output": "output", "loss": "loss", "after": "{name} after optimizer.step()"}


def pytorch_listing(network: Network, training: Training, words: Mapping[str, str] = LISTING_WORDS) -> str:
    """What printing the output, loss, gradients and updated parameters shows, each under a comment naming it
    (``words``: the comments' words in the document's language, as LISTING_WORDS)."""
    step, dtype, names = training.float64, listing_dtype(network), layer_names(network)
    first = step.first
    lines: list[str] = []

    def add(label: str, value: Any) -> None:
        lines.append(f"# {label}")
        lines.append(tensor_str(_floats(value), dtype))

    add(words["output"], [sample.a[-1] for sample in first.samples])
    add(words["loss"], first.loss)
    for name, layer, grad_weight, grad_bias in zip(names, network.layers, first.grad_weights, first.grad_biases):
        add(f"{name}.weight.grad", grad_weight)
        if layer.bias_trained:
            add(f"{name}.bias.grad", grad_bias)
    after = step.after_first
    for name, layer, weight, bias in zip(names, network.layers, after.weights, after.biases):
        add(words["after"].format(name=f"{name}.weight"), weight)
        if layer.bias is not None:
            add(words["after"].format(name=f"{name}.bias"), bias)
    return "\n".join(lines)


def _floats(value: Any) -> Nested:
    if isinstance(value, (list, tuple)):
        return [_floats(v) for v in value]
    return to_float(value)
