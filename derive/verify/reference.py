"""PyTorch float64 oracle: run a Network with autograd and torch.optim, report derive-json/1.

This is the reference every derived number is checked against (tests and ``--verify``). It
builds the network from plain tensors rather than ``nn.Linear`` so that the bias variants the
spec allows (per neuron, one shared scalar, none, frozen) are all expressed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..errors import ToolMissingError
from ..network import Layer, Network

try:
    import torch
except ImportError as error:  # pragma: no cover - exercised only without torch
    raise ToolMissingError(
        "PyTorch is needed for this (install it with: pip install 'backprop-derive[torch]')"
    ) from error

FORMAT = "derive-json/1"
DTYPE = torch.float64


@dataclass
class _Params:
    """The torch tensors of one layer; ``bias`` is 1-d (per neuron), 0-d (shared) or None."""

    layer: Layer
    weight: torch.Tensor
    bias: torch.Tensor | None


def torch_run(network: Network) -> dict[str, Any]:
    """Train ``network`` in torch float64 and return every step's numbers as derive-json/1.

    Mini-batches are taken in order, as ``DataLoader(shuffle=False)`` gives them.
    """
    params = [_make_params(layer) for layer in network.layers]
    inputs = _tensor(network.data.inputs)
    targets = _targets(network)
    optimizer = network.train.optimizer.torch(_trained(params))
    batches = network.batches()

    steps: list[dict[str, Any]] = []
    after_first = None
    for step in range(network.updates):
        rows = list(batches[step % len(batches)])
        optimizer.zero_grad()
        zs, activations = _forward(params, inputs[rows])
        loss = network.loss.torch(activations[-1], targets[rows])
        loss.backward()
        steps.append(_step_record(loss, params, zs, activations))
        optimizer.step()
        if step == 0:
            with torch.no_grad():
                after_first = network.loss.torch(_forward(params, inputs[rows])[1][-1], targets[rows]).item()

    with torch.no_grad():
        _, activations = _forward(params, inputs)
        final_loss = network.loss.torch(activations[-1], targets)
    return {
        "format": FORMAT,
        "steps": steps,
        "loss_history": [step["loss"] for step in steps],
        "after_first_loss": after_first,
        "final": {
            "loss": final_loss.item(),
            "layers": [
                {"weight": p.weight.tolist(), "bias": _value(p.bias)} for p in params
            ],
        },
    }


def _tensor(values: Any) -> torch.Tensor:
    # float(Fraction) is correctly rounded, so each entry is the float64 nearest the exact value.
    if isinstance(values, Fraction):
        return torch.tensor(float(values), dtype=DTYPE)
    return torch.tensor([[float(v) for v in row] for row in values], dtype=DTYPE)


def _make_params(layer: Layer) -> _Params:
    weight = _tensor(layer.weight).requires_grad_(True)
    if layer.bias is None:
        bias = None
    elif isinstance(layer.bias, Fraction):
        bias = _tensor(layer.bias)
    else:
        bias = torch.tensor([float(b) for b in layer.bias], dtype=DTYPE)
    if bias is not None:
        bias.requires_grad_(layer.train_bias)
    return _Params(layer, weight, bias)


def _targets(network: Network) -> torch.Tensor:
    if network.data.targets_are_indices:
        return torch.tensor(list(network.data.targets), dtype=torch.long)
    return _tensor(network.data.targets)


def _trained(params: list[_Params]) -> list[torch.Tensor]:
    trained = []
    for p in params:
        trained.append(p.weight)
        if p.bias is not None and p.layer.train_bias:
            trained.append(p.bias)
    return trained


def _forward(
    params: list[_Params], inputs: torch.Tensor
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    zs, activations = [], []
    a = inputs
    for p in params:
        z = a @ p.weight.T
        if p.bias is not None:
            z = z + p.bias  # a 0-d shared bias broadcasts; autograd sums its gradient
        a = p.layer.activation.torch(z)
        zs.append(z)
        activations.append(a)
    return zs, activations


def _step_record(
    loss: torch.Tensor,
    params: list[_Params],
    zs: list[torch.Tensor],
    activations: list[torch.Tensor],
) -> dict[str, Any]:
    layers = []
    for p, z, a in zip(params, zs, activations):
        trained_bias = p.bias is not None and p.layer.train_bias
        layers.append(
            {
                "weight": p.weight.tolist(),
                "bias": _value(p.bias),
                "z": z.tolist(),
                "a": a.tolist(),
                "grad_weight": p.weight.grad.tolist(),
                "grad_bias": _value(p.bias.grad) if trained_bias else None,
            }
        )
    return {"loss": loss.item(), "layers": layers}


def _value(tensor: torch.Tensor | None) -> Any:
    # tolist() of a 0-d tensor is a plain float, which is how a shared bias is written.
    return None if tensor is None else tensor.detach().tolist()
