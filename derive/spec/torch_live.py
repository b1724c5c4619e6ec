"""``derive.from_torch(module, input, target, ...)``: a Network from a live nn.Module, for notebooks.

The module is read as ``--from-torch`` reads a file's module; the tensors and settings become a
spec dict, validated by the spec reader, so every rule and message is the spec file's.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from ..components import LOSSES, OPTIMIZERS
from ..errors import SpecError, UsageError
from ..network import Network
from .torch_file import shortest_decimal
from .torch_module import read_module
from .torch_options import layer_table, network_from_parts

SOURCE = "<from_torch>"


def network_from_module(
    module: Any, input: Any, target: Any, *, loss: Any, optimizer: Any, lr: Any, steps: int,
    title: str | None, settings: dict[str, Any],
) -> Network:
    """The Network of a live module, its data, and a loss and optimizer given by name or as PyTorch objects."""
    import torch

    if not isinstance(module, torch.nn.Module):
        raise UsageError(f"derive.from_torch: expected an nn.Module, found {type(module).__name__}")
    parts = read_module(module, origin=type(module).__name__)
    layers = parts.layers
    loss_table = _loss_table(loss)
    train_table = _optimizer_table(optimizer)
    # An unknown loss name is left to the spec reader, which refuses it with the near miss.
    loss_class = LOSSES[loss_table["kind"]] if loss_table["kind"] in LOSSES else None
    for key, value in settings.items():
        owner = loss_table if loss_class is not None and key in loss_class.setting_keys() else train_table
        owner[key] = _plain(value)
    if lr is not None:
        train_table["lr"] = _plain(lr)
    train_table.setdefault("lr", Fraction(1, 2))
    train_table["steps"] = steps
    doc: dict[str, Any] = {
        "layer": [layer_table(layer) for layer in layers],
        "data": {"input": _values(input)},
        "loss": loss_table,
        "train": train_table,
    }
    if target is not None:  # None: a loss that reads no targets (sum)
        doc["data"]["target"] = _values(target, indices=loss_class is not None and loss_class.class_indices)
    if title is not None:
        doc["title"] = title
    try:
        network = network_from_parts(doc, type(module).__name__)
    except SpecError as error:
        raise SpecError(str(error).replace("<command line>", SOURCE)) from None
    from dataclasses import replace

    return replace(network, source=type(module).__name__, provenance=parts.dtypes, parameter_names=parts.names)


def _loss_table(loss: Any) -> dict[str, Any]:
    if isinstance(loss, str):
        return {"kind": loss}
    for cls in LOSSES:
        if cls.torch_module and type(loss).__name__ == cls.torch_module:
            if getattr(loss, "reduction", "mean") != "mean":
                raise UsageError(f"derive.from_torch: {type(loss).__name__}(reduction={loss.reduction!r}) is not supported; use reduction='mean'")
            table: dict[str, Any] = {"kind": cls.name}
            for setting in cls.settings:
                table[setting.key] = _plain(getattr(loss, setting.key))
            return table
    raise UsageError(f"derive.from_torch: loss {type(loss).__name__} is not supported; the losses are {', '.join(LOSSES.names())}")


def _optimizer_table(optimizer: Any) -> dict[str, Any]:
    if isinstance(optimizer, str):
        return {"optimizer": optimizer}
    for cls in OPTIMIZERS:
        if type(optimizer).__name__ == cls.torch_class:
            group = optimizer.param_groups[0] if optimizer.param_groups else optimizer.defaults
            for key, expected in cls.torch_defaults.items():
                if group.get(key, expected) != expected:
                    raise UsageError(
                        f"derive.from_torch: torch.optim.{cls.torch_class} with {key}={group[key]!r} is not supported "
                        f"(derive follows {key}={expected!r})"
                    )
            table: dict[str, Any] = {"optimizer": cls.name}
            for setting in cls.settings:
                if setting.key in group:
                    table[setting.key] = _plain(group[setting.key])
            return table
    raise UsageError(
        f"derive.from_torch: optimizer {type(optimizer).__name__} is not supported; the optimizers are {', '.join(OPTIMIZERS.names())}"
    )


def _plain(value: Any) -> Any:
    """A setting from PyTorch as the spec reader takes it: floats as their shortest decimals."""
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float) and math.isfinite(value):
        return shortest_decimal(value, dtype_is_float32=False)
    if hasattr(value, "item"):  # a 0-d tensor
        return _plain(value.item())
    return value


def _values(data: Any, indices: bool = False) -> Any:
    """Tensor or nested lists as nested lists of decimals; a 1-d integer tensor of class indices stays integers."""
    import torch

    if isinstance(data, torch.Tensor):
        if indices and data.dtype in (torch.int64, torch.int32) and data.dim() == 1:
            return [int(v) for v in data.tolist()]
        float32 = data.dtype == torch.float32
        values = data.detach().cpu().to(torch.float64).tolist()
        return _decimals(values, float32)
    return _decimals(data, False)


def _decimals(values: Any, float32: bool) -> Any:
    if isinstance(values, list):
        return [_decimals(v, float32) for v in values]
    if isinstance(values, float) and math.isfinite(values):
        return shortest_decimal(values, float32)
    return values
