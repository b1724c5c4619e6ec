"""derive-json/1: the first step in full, the loss history, the final state, and every quantity by ID."""

from __future__ import annotations

import json
from typing import Any, Mapping

from ..engine.arithmetic import to_float
from ..engine.training import Training
from ..network import Network


def json_payload(network: Network, training: Training, quantities: Mapping[str, Any]) -> dict[str, Any]:
    """The derive-json/1 document as a dict (numbers as the float64 nearest each exact value)."""
    first = training.first
    layers = []
    for index, layer in enumerate(network.layers):
        layers.append(
            {
                "weight": _floats(training.start.weights[index]),
                "bias": _floats(training.start.biases[index]),
                "z": [_floats(sample.z[index]) for sample in first.samples],
                "a": [_floats(sample.a[index]) for sample in first.samples],
                "grad_weight": _floats(first.grad_weights[index]),
                "grad_bias": _floats(first.grad_biases[index]) if layer.bias_trained else None,
            }
        )
    final_layers = [
        {"weight": _floats(training.final.weights[i]), "bias": _floats(training.final.biases[i])}
        for i in range(len(network.layers))
    ]
    payload: dict[str, Any] = {
        "format": "derive-json/1",
        "steps": [{"loss": to_float(first.loss), "layers": layers}],
        "loss_history": [to_float(v) for v in training.loss_history],
        "final": {"loss": to_float(training.final_loss), "layers": final_layers},
    }
    batches = training.batches
    if len(batches) > 1:
        payload["batches"] = [[row for row in batch] for batch in batches]
        payload["epoch_loss"] = training.epoch_losses
    payload["quantities"] = {key: to_float(value) for key, value in quantities.items()}
    return payload


def render_json(network: Network, training: Training, quantities: Mapping[str, Any]) -> str:
    """The derive-json/1 text."""
    return json.dumps(json_payload(network, training, quantities), indent=2) + "\n"


def _floats(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return to_float(value)
