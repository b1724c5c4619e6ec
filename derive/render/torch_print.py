"""The numbers as PyTorch prints them (4 decimals, its rules for scientific notation), for comparison with a script."""

from __future__ import annotations

import math
from ..engine.arithmetic import to_float
from ..engine.training import Training
from ..network import Network

TORCH_PRECISION = 4


def _scalars(value) -> list[float]:
    if isinstance(value, list):
        return [x for item in value for x in _scalars(item)]
    return [value]


def format_tensor(value, indent: int = 0) -> str:
    """A nested list of floats as ``tensor([...])`` the way PyTorch's default print options show it."""
    flat = _scalars(value)
    nonzero = [abs(x) for x in flat if x != 0 and math.isfinite(x)]
    integral = all(x == math.floor(x) for x in flat if math.isfinite(x))
    if integral:
        text = {x: f"{x:.0f}." for x in flat}
    elif nonzero and (max(nonzero) / min(nonzero) > 1000 or max(nonzero) > 1e8 or min(nonzero) < 1e-4):
        text = {x: f"{x:.{TORCH_PRECISION}e}" for x in flat}
    else:
        text = {x: f"{x:.{TORCH_PRECISION}f}" for x in flat}
    width = max(len(t) for t in text.values())

    def lay(item, depth: int) -> str:
        if not isinstance(item, list):
            return text[item].rjust(width)
        inner = [lay(x, depth + 1) for x in item]
        if item and isinstance(item[0], list):
            separator = ",\n" + " " * (indent + len("tensor(") + depth + 1)
            return "[" + separator.join(inner) + "]"
        return "[" + ", ".join(inner) + "]"

    return f"tensor({lay(value, 0)})"


def pytorch_listing(network: Network, training: Training) -> str:
    """What printing the outputs, loss, gradients and updated parameters in PyTorch would show."""
    first = training.first
    lines = []

    def add(label: str, value) -> None:
        lines.append(label + format_tensor(_floats(value), indent=len(label)))

    add("output = ", [sample.a[-1] for sample in first.samples])
    lines.append(f"loss = tensor({to_float(first.loss):.{TORCH_PRECISION}f})")
    for index, layer in enumerate(network.layers):
        add(f"layer{index + 1}.weight.grad = ", first.grad_weights[index])
        if layer.bias_trained:
            add(f"layer{index + 1}.bias.grad = ", first.grad_biases[index])
    lines.append("# after optimizer.step():")
    for index, layer in enumerate(network.layers):
        add(f"layer{index + 1}.weight = ", training.after_first.weights[index])
        if layer.bias is not None:
            add(f"layer{index + 1}.bias = ", training.after_first.biases[index])
    return "\n".join(lines)


def _floats(value):
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return to_float(value)
