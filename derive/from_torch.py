"""Read a PyTorch nn.Module into derive's layers (``--from-torch FILE.py:NAME``).

The module is traced with torch.fx, never parsed as source, so whatever ``forward`` really does
is what gets checked: a plain chain of ``nn.Linear`` layers, each followed by at most one of the
supported activations. Weights are read as the short decimals a person would have written.
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
import itertools
import math
import os
import struct
import sys
from dataclasses import dataclass
from fractions import Fraction
from types import ModuleType
from typing import Any, NoReturn

from derive.errors import SpecError, ToolMissingError
from derive.network import Layer

try:
    import torch
    import torch.fx as fx
    import torch.nn.functional as F
    from torch import nn
except ImportError as error:  # pragma: no cover - exercised only without torch
    raise ToolMissingError(
        "PyTorch is needed to read a module (install it with: pip install 'backprop-derive[torch]')"
    ) from error

SUPPORTED = (
    "derive supports Linear layers with sigmoid, tanh, relu, leaky_relu or identity activations"
)
DEFAULT_NEGATIVE_SLOPE = 0.01

_ACTIVATION_MODULES: dict[type, str] = {
    nn.Sigmoid: "sigmoid",
    nn.Tanh: "tanh",
    nn.ReLU: "relu",
    nn.LeakyReLU: "leaky_relu",
    nn.Identity: "identity",
}
_ACTIVATION_FUNCTIONS: dict[Any, str] = {
    torch.sigmoid: "sigmoid",
    torch.tanh: "tanh",
    torch.relu: "relu",
    F.relu: "relu",
    F.leaky_relu: "leaky_relu",
    F.sigmoid: "sigmoid",
    F.tanh: "tanh",
}
_ACTIVATION_METHODS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu"}

_HINTS = {
    "add": " (a residual connection?)",
    "iadd": " (a residual connection?)",
    "cat": " (branches joined together?)",
    "dropout": " (dropout is random while training; remove it for the derivation)",
    "softmax": " (the cross_entropy loss applies softmax itself; end with a Linear layer)",
    "log_softmax": " (the cross_entropy loss applies softmax itself; end with a Linear layer)",
}

_module_names = itertools.count()


# --- numbers ---------------------------------------------------------------------------------


def shortest_decimal(value: float, dtype_is_float32: bool) -> Fraction:
    """The shortest decimal that reads back as ``value`` (in float32 or float64), as a Fraction."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    if not dtype_is_float32:
        return Fraction(repr(float(value)))
    value = _to_float32(value)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if _reads_back_as_float32(Fraction(text), value):
            return Fraction(text)
    return Fraction(value)  # unreachable: 9 significant digits always round-trip a float32


def _to_float32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def _reads_back_as_float32(decimal: Fraction, value: float) -> bool:
    # Decide exactly, with rationals: going decimal -> float64 -> float32 can round twice.
    if value == 0:
        return decimal == 0
    magnitude, sign = abs(value), (1 if value > 0 else -1)
    bits = struct.unpack("<I", struct.pack("<f", magnitude))[0]
    below = Fraction(struct.unpack("<f", struct.pack("<I", bits - 1))[0])
    above = (
        Fraction(2**128)  # the rounding boundary past the largest float32
        if bits + 1 == 0x7F800000
        else Fraction(struct.unpack("<f", struct.pack("<I", bits + 1))[0])
    )
    exact = Fraction(magnitude)
    low, high = (below + exact) / 2, (exact + above) / 2
    target = decimal * sign
    if low < target < high:
        return True
    ties_to_even = bits % 2 == 0
    return ties_to_even and target in (low, high)


# --- loading a file --------------------------------------------------------------------------


def layers_from_module_path(path: str, class_name: str) -> tuple[Layer, ...]:
    """Import the Python file at ``path``, build ``class_name()`` and read its layers."""
    return read_module_path(path, class_name)[0]


def read_module_path(path: str, class_name: str) -> tuple[tuple[Layer, ...], str]:
    """The layers of ``class_name()`` from the file at ``path``, and a sentence saying where the numbers came from."""
    file_module = _import_file(path)
    module = _instantiate(file_module, path, class_name)
    layers = layers_from_module(module, origin=f"{path}:{class_name}")
    dtypes = sorted({str(p.dtype).removeprefix("torch.") for p in module.parameters()})
    return layers, provenance_sentence(dtypes)


def provenance_sentence(dtypes: list[str]) -> str:
    """Where the starting parameters came from, for the document's network section."""
    if dtypes == ["float32"] or dtypes == ["float64"]:
        kind = dtypes[0]
        example = " (0.15 rather than 0.150000006)" if kind == "float32" else ""
        return (
            f"The starting parameters come from the module's {kind} tensors, each shown as the "
            f"shortest decimal that rounds to the same {kind}{example}; the derivation takes "
            "these decimals as exact."
        )
    kinds = " and ".join(dtypes) or "no"
    return (
        f"The starting parameters come from the module's {kinds} tensors, each shown as the "
        "shortest decimal that reads back as the same value (float32 values as float32, others "
        "as float64); the derivation takes these decimals as exact."
    )




def _import_file(path: str) -> ModuleType:
    if not os.path.exists(path):
        raise SpecError(f"{path}: no such file")
    if os.path.isdir(path):
        raise SpecError(f"{path}: is a folder; expected a Python file (.py)")
    if not path.endswith(".py"):
        raise SpecError(f"{path}: expected a Python file ending in .py")

    # A unique name keeps the file's `if __name__ == "__main__":` block from running.
    name = f"_derive_from_torch_{next(_module_names)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SpecError(f"{path}: cannot be imported as a Python module")
    file_module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.modules[name] = file_module
    sys.path.insert(0, folder)  # so the file can import its siblings
    try:
        spec.loader.exec_module(file_module)
    except (Exception, SystemExit) as error:
        del sys.modules[name]
        raise SpecError(f"{path}: importing the file failed: {_one_line(error)}") from error
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return file_module


def _instantiate(file_module: ModuleType, path: str, class_name: str) -> nn.Module:
    origin = f"{path}:{class_name}"
    if not hasattr(file_module, class_name):
        raise SpecError(f"{path}: no class `{class_name}`{_suggestion(file_module, class_name)}")
    found = getattr(file_module, class_name)
    if isinstance(found, nn.Module):
        return found  # an instance defined at module level is used as it is
    if not (isinstance(found, type) and issubclass(found, nn.Module)):
        kind = type(found).__name__
        raise SpecError(f"{origin}: `{class_name}` is a {kind}, not an nn.Module class")
    needed = _required_parameters(found)
    if needed:
        raise SpecError(
            f"{origin}: the constructor needs arguments ({', '.join(needed)}); "
            "derive creates the module with none, so give them default values"
        )
    try:
        return found()
    except Exception as error:
        raise SpecError(f"{origin}: creating {class_name}() failed: {_one_line(error)}") from error


def _required_parameters(cls: type) -> list[str]:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return []
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [
        p.name
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty and p.kind not in variadic
    ]


def _suggestion(file_module: ModuleType, wanted: str) -> str:
    candidates = [
        name
        for name, value in vars(file_module).items()
        if isinstance(value, nn.Module)
        or (
            isinstance(value, type)
            and issubclass(value, nn.Module)
            and value.__module__ == file_module.__name__
        )
    ]
    close = difflib.get_close_matches(wanted, candidates, n=3)
    if close:
        return "; did you mean " + " or ".join(f"`{name}`" for name in close) + "?"
    if candidates:
        return "; the file defines " + ", ".join(f"`{name}`" for name in sorted(candidates))
    return "; the file defines no nn.Module class"


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


# --- reading the traced graph ----------------------------------------------------------------


class _LinearAsLeaf(fx.Tracer):
    """Keeps every stock nn.Linear (also subclasses that do not override forward) as one node."""

    def is_leaf_module(self, module: nn.Module, qualified_name: str) -> bool:
        if isinstance(module, nn.Linear) and type(module).forward is nn.Linear.forward:
            return True
        return super().is_leaf_module(module, qualified_name)


@dataclass
class _PendingLayer:
    """A Linear that has been read, waiting for the activation that may follow it."""

    linear: nn.Linear
    name: str
    activation: str | None = None
    activation_node: str = ""
    negative_slope: float = DEFAULT_NEGATIVE_SLOPE


def layers_from_module(module: nn.Module, origin: str | None = None) -> tuple[Layer, ...]:
    """Trace ``module`` with torch.fx and return its chain of Linear layers and activations."""
    origin = origin or type(module).__name__
    try:
        graph = _LinearAsLeaf().trace(module)
    except Exception as error:
        raise SpecError(
            f"{origin}: torch.fx cannot trace forward(): {_one_line(error)}; derive reads the "
            "network by tracing, so forward must not branch on tensor values"
        ) from error

    nodes = list(graph.nodes)
    current = _single_input(nodes, origin)
    pending: _PendingLayer | None = None
    finished: list[_PendingLayer] = []
    used_linears: set[int] = set()
    for node in nodes:
        if node.op in ("placeholder", "output"):
            continue
        step = _classify(node, module, origin)
        _check_fed_by(node, current, origin)
        current = node
        if isinstance(step, nn.Linear):
            if id(step) in used_linears:
                raise SpecError(
                    f"{origin}: `{node.target}` is used twice (at node {node.name}); "
                    "derive needs each Linear layer once, with its own weights"
                )
            used_linears.add(id(step))
            if pending is not None:
                finished.append(pending)
            pending = _PendingLayer(step, str(node.target))
        elif step != ("identity", None):
            pending = _attach_activation(pending, step, node, origin)

    _check_output(nodes[-1], current, origin)
    if pending is None:
        raise SpecError(f"{origin}: no nn.Linear layer found; {SUPPORTED}")
    finished.append(pending)
    _check_widths(finished, origin)
    return tuple(_finish(layer, origin) for layer in finished)


def _single_input(nodes: list[fx.Node], origin: str) -> fx.Node:
    inputs = [node for node in nodes if node.op == "placeholder"]
    if len(inputs) != 1:
        raise SpecError(
            f"{origin}: forward() takes {len(inputs)} inputs; derive needs exactly one (the batch)"
        )
    return inputs[0]


def _classify(node: fx.Node, root: nn.Module, origin: str) -> nn.Linear | tuple[str, Any]:
    """The Linear module of a node, or its activation as (kind, negative slope node or value)."""
    if node.op == "call_module":
        sub = root.get_submodule(str(node.target))
        if isinstance(sub, nn.Linear) and type(sub).forward is nn.Linear.forward:
            return sub
        kind = _ACTIVATION_MODULES.get(type(sub))
        if kind is not None:
            slope = sub.negative_slope if kind == "leaky_relu" else None
            return (kind, slope)
        _unsupported(node, f"{node.target} ({type(sub).__name__})", type(sub).__name__, origin)
    if node.op == "call_function":
        kind = _ACTIVATION_FUNCTIONS.get(node.target)
        if kind is not None:
            slope = _leaky_slope(node) if kind == "leaky_relu" else None
            return (kind, slope)
        name = getattr(node.target, "__name__", str(node.target))
        _unsupported(node, name, name, origin)
    if node.op == "call_method":
        kind = _ACTIVATION_METHODS.get(str(node.target))
        if kind is not None:
            return (kind, None)
        _unsupported(node, str(node.target), str(node.target), origin)
    if node.op == "get_attr":
        raise SpecError(
            f"{origin}: `self.{node.target}` is used directly at node {node.name} (a parameter "
            f"outside nn.Linear?); {SUPPORTED}"
        )
    _unsupported(node, str(node.target), str(node.target), origin)


def _leaky_slope(node: fx.Node) -> Any:
    if len(node.args) > 1:
        return node.args[1]
    return node.kwargs.get("negative_slope", DEFAULT_NEGATIVE_SLOPE)


def _unsupported(node: fx.Node, what: str, hint_key: str, origin: str) -> NoReturn:
    key = hint_key.lower()
    hint = _HINTS.get(key, "")
    if not hint and key.startswith("dropout"):
        hint = _HINTS["dropout"]
    raise SpecError(
        f"{origin}: unsupported operation `{what}` at node {node.name}{hint}; {SUPPORTED}"
    )


def _check_fed_by(node: fx.Node, current: fx.Node, origin: str) -> None:
    inputs = node.all_input_nodes
    if not node.args or node.args[0] is not current or inputs != [current]:
        raise SpecError(
            f"{origin}: `{_describe(node)}` at node {node.name} does not take just the output of "
            f"the operation before it ({current.name}); derive needs a plain chain of layers"
        )


def _check_output(output: fx.Node, current: fx.Node, origin: str) -> None:
    returned = output.args[0] if output.args else None
    if returned is not current:
        raise SpecError(
            f"{origin}: forward() must return the output of its last operation ({current.name}) "
            "as a single tensor"
        )


def _describe(node: fx.Node) -> str:
    return getattr(node.target, "__name__", str(node.target))


def _attach_activation(
    pending: _PendingLayer | None, step: tuple[str, Any], node: fx.Node, origin: str
) -> _PendingLayer:
    kind, slope = step
    if pending is None:
        raise SpecError(
            f"{origin}: activation `{kind}` at node {node.name} comes before any Linear layer; "
            "derive needs the network to start with nn.Linear"
        )
    if pending.activation is not None:
        raise SpecError(
            f"{origin}: two activations in a row: `{kind}` at node {node.name} follows "
            f"`{pending.activation}` at node {pending.activation_node}; derive allows one "
            "activation after each Linear layer"
        )
    pending.activation = kind
    pending.activation_node = node.name
    if slope is not None:
        if not isinstance(slope, (int, float)):
            raise SpecError(
                f"{origin}: the negative_slope of leaky_relu at node {node.name} must be a "
                "number written in the module"
            )
        pending.negative_slope = float(slope)
    return pending


def _finish(pending: _PendingLayer, origin: str) -> Layer:
    linear = pending.linear
    where = f"{origin}: `{pending.name}`"
    if not linear.weight.requires_grad:
        raise SpecError(f"{where} has a frozen weight; derive trains every weight")
    weight = _decimals(linear.weight, f"{where}.weight")
    bias = None
    train_bias = True
    if linear.bias is not None:
        bias = _decimals(linear.bias, f"{where}.bias")
        train_bias = linear.bias.requires_grad
    return Layer(
        activation=pending.activation or "identity",
        weight=weight,
        bias=bias,
        train_bias=train_bias,
        negative_slope=shortest_decimal(pending.negative_slope, dtype_is_float32=False),
    )


def _decimals(tensor: torch.Tensor, where: str) -> Any:
    """A 1-d or 2-d tensor as nested tuples of Fractions, each the shortest decimal."""
    values = tensor.detach().cpu()
    is_float32 = values.dtype == torch.float32
    if values.dtype not in (torch.float32, torch.float64):
        values = values.to(torch.float64)  # exact for float16 and bfloat16
    try:
        if values.dim() == 1:
            return tuple(shortest_decimal(v, is_float32) for v in values.tolist())
        return tuple(
            tuple(shortest_decimal(v, is_float32) for v in row) for row in values.tolist()
        )
    except ValueError as error:
        raise SpecError(f"{where} holds a value that is not a finite number") from error


def _check_widths(layers: list[_PendingLayer], origin: str) -> None:
    for before, after in zip(layers, layers[1:]):
        if after.linear.in_features != before.linear.out_features:
            raise SpecError(
                f"{origin}: `{after.name}` takes {after.linear.in_features} inputs but "
                f"`{before.name}` before it gives {before.linear.out_features} outputs"
            )


__all__ = ["layers_from_module", "layers_from_module_path", "shortest_decimal"]
