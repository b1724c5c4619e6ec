"""Read a PyTorch nn.Module into derive's layers (``--from-torch FILE.py:NAME``).

The module is traced with torch.fx, never parsed as source, so whatever ``forward`` really does
is what gets checked: a plain chain of ``nn.Linear`` layers, each followed by at most one of the
supported activations. Weights are read as the short decimals a person would have written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn

from ..components import ACTIVATIONS, Activation
from ..errors import SpecError, ToolMissingError
from ..network import Layer
from .torch_file import load_module, module_output_to_stderr, one_line, shortest_decimal, tensor_decimals

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
    "derive supports Linear layers with "
    + ", ".join(ACTIVATIONS.names()[:-1])
    + f" or {ACTIVATIONS.names()[-1]} activations"
)


def _by_torch_name(kind: str) -> dict[Any, type[Activation]]:
    """The activations keyed by the PyTorch class, function or method name they match."""
    found: dict[Any, type[Activation]] = {}
    for cls in ACTIVATIONS:
        if kind == "modules":
            for name in cls.torch_modules:
                found[getattr(nn, name)] = cls
        elif kind == "functions":
            for name in cls.torch_functions:
                for home in (torch, F):
                    if hasattr(home, name):
                        found[getattr(home, name)] = cls
        else:
            for name in cls.torch_methods:
                found[name] = cls
    return found


_ACTIVATION_MODULES = _by_torch_name("modules")
_ACTIVATION_FUNCTIONS = _by_torch_name("functions")
_ACTIVATION_METHODS = _by_torch_name("methods")

_HINTS = {
    "add": " (a residual connection?)",
    "iadd": " (a residual connection?)",
    "cat": " (branches joined together?)",
    "dropout": " (dropout is random while training; remove it for the derivation)",
    "softmax": " (the cross_entropy loss applies softmax itself; end with a Linear layer)",
    "log_softmax": " (the cross_entropy loss applies softmax itself; end with a Linear layer)",
}


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
    activation: Activation | None = None
    activation_node: str = ""


class ModuleParts(NamedTuple):
    """What derive reads from a module: its layers, the dtypes of its parameters, each Linear's qualified name."""

    layers: tuple[Layer, ...]
    dtypes: tuple[str, ...]
    names: tuple[str, ...]  # as named_parameters() spells them without ".weight": linear1, 0, model.2


def layers_from_module(module: nn.Module, origin: str | None = None) -> tuple[Layer, ...]:
    """Trace ``module`` with torch.fx and return its chain of Linear layers and activations."""
    return read_module(module, origin).layers


def read_module(module: nn.Module, origin: str | None = None) -> ModuleParts:
    """The layers, parameter dtypes and Linear names of ``module``, traced with torch.fx."""
    origin = origin or type(module).__name__
    try:
        with module_output_to_stderr():  # forward() runs while tracing
            graph = _LinearAsLeaf().trace(module)
    except Exception as error:
        raise SpecError(
            f"{origin}: torch.fx cannot trace forward(): {one_line(error)}; derive reads the "
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
        elif not step.trivial:  # an identity in the chain changes nothing
            pending = _attach_activation(pending, step, node, origin)

    _check_output(nodes[-1], current, origin)
    if pending is None:
        raise SpecError(f"{origin}: no nn.Linear layer found; {SUPPORTED}")
    finished.append(pending)
    _check_widths(finished, origin)
    layers = tuple(_finish(layer, origin) for layer in finished)
    dtypes = tuple(sorted({str(p.dtype).removeprefix("torch.") for p in module.parameters()}))
    return ModuleParts(layers, dtypes, tuple(layer.name for layer in finished))


def _single_input(nodes: list[fx.Node], origin: str) -> fx.Node:
    inputs = [node for node in nodes if node.op == "placeholder"]
    if len(inputs) != 1:
        raise SpecError(
            f"{origin}: forward() takes {len(inputs)} inputs; derive needs exactly one (the batch)"
        )
    return inputs[0]


def _classify(node: fx.Node, root: nn.Module, origin: str) -> nn.Linear | Activation:
    """The Linear module of a node, or the activation it applies, with its settings."""
    if node.op == "call_module":
        sub = root.get_submodule(str(node.target))
        if isinstance(sub, nn.Linear) and type(sub).forward is nn.Linear.forward:
            return sub
        cls = _ACTIVATION_MODULES.get(type(sub))
        if cls is not None:
            return _activation(cls, {key: getattr(sub, key) for key in cls.torch_arguments}, node, origin)
        _unsupported(node, f"{node.target} ({type(sub).__name__})", type(sub).__name__, origin)
    if node.op == "call_function":
        cls = _ACTIVATION_FUNCTIONS.get(node.target)
        if cls is not None:
            return _activation(cls, _call_arguments(cls, node), node, origin)
        name = getattr(node.target, "__name__", str(node.target))
        _unsupported(node, name, name, origin)
    if node.op == "call_method":
        cls = _ACTIVATION_METHODS.get(str(node.target))
        if cls is not None:
            return _activation(cls, _call_arguments(cls, node), node, origin)
        _unsupported(node, str(node.target), str(node.target), origin)
    if node.op == "get_attr":
        raise SpecError(
            f"{origin}: `self.{node.target}` is used directly at node {node.name} (a parameter "
            f"outside nn.Linear?); {SUPPORTED}"
        )
    _unsupported(node, str(node.target), str(node.target), origin)


def _call_arguments(cls: type[Activation], node: fx.Node) -> dict[str, Any]:
    """The settings a functional call passes: positional after the input, then by keyword."""
    given = dict(zip(cls.torch_arguments, node.args[1:]))
    given.update({key: value for key, value in node.kwargs.items() if key in cls.torch_arguments})
    return given


def _activation(cls: type[Activation], given: dict[str, Any], node: fx.Node, origin: str) -> Activation:
    """The activation with the settings the module wrote; a setting computed at run time is refused."""
    settings = {}
    for setting in cls.settings:
        if setting.key not in given:
            continue
        value = given[setting.key]
        if setting.kind == "choice" and isinstance(value, str) and value in setting.choices:
            settings[setting.key] = value
        elif setting.kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            settings[setting.key] = shortest_decimal(float(value), dtype_is_float32=False)
        else:
            raise SpecError(
                f"{origin}: the {setting.key} of {cls.name} at node {node.name} must be "
                + ("one of " + ", ".join(setting.choices) if setting.kind == "choice" else "a number")
                + " written in the module"
            )
    return cls(**settings)


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


def _attach_activation(pending: _PendingLayer | None, activation: Activation, node: fx.Node, origin: str) -> _PendingLayer:
    kind = activation.name
    if pending is None:
        raise SpecError(
            f"{origin}: activation `{kind}` at node {node.name} comes before any Linear layer; "
            "derive needs the network to start with nn.Linear"
        )
    if pending.activation is not None:
        raise SpecError(
            f"{origin}: two activations in a row: `{kind}` at node {node.name} follows "
            f"`{pending.activation.name}` at node {pending.activation_node}; derive allows one "
            "activation after each Linear layer"
        )
    pending.activation = activation
    pending.activation_node = node.name
    return pending


def _finish(pending: _PendingLayer, origin: str) -> Layer:
    linear = pending.linear
    where = f"{origin}: `{pending.name}`"
    if not linear.weight.requires_grad:
        raise SpecError(f"{where} has a frozen weight; derive trains every weight")
    weight = tensor_decimals(linear.weight, f"{where}.weight")
    bias = None
    train_bias = True
    if linear.bias is not None:
        bias = tensor_decimals(linear.bias, f"{where}.bias")
        train_bias = linear.bias.requires_grad
    return Layer(
        activation=pending.activation or ACTIVATIONS.make("identity"),
        weight=weight,
        bias=bias,
        train_bias=train_bias,
    )


def _check_widths(layers: list[_PendingLayer], origin: str) -> None:
    for before, after in zip(layers, layers[1:]):
        if after.linear.in_features != before.linear.out_features:
            raise SpecError(
                f"{origin}: `{after.name}` takes {after.linear.in_features} inputs but "
                f"`{before.name}` before it gives {before.linear.out_features} outputs"
            )


def read_module_path(path: str, class_name: str, shown: str | None = None) -> ModuleParts:
    """The layers, dtypes and Linear names of ``class_name()`` from the Python file at ``path``.

    ``shown`` is the path as messages name it (as the user wrote it), by default ``path``.
    """
    module = load_module(path, class_name, shown)
    return read_module(module, origin=f"{shown or path}:{class_name}")


__all__ = ["ModuleParts", "layers_from_module", "read_module", "read_module_path"]
