"""torch.optim's update rules (SGD with momentum and weight decay, Adam), for either arithmetic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from .forward_backward import Arithmetic, Pass, State
from .network import Network


@dataclass(frozen=True)
class Slot:
    """Where one scalar parameter lives: layer, weight or bias, row and column."""

    layer: int
    kind: str
    row: int | None
    column: int | None


def slots(network: Network) -> Iterator[Slot]:
    """Every parameter in PyTorch's order: each layer's weight row by row, then its bias."""
    for index, layer in enumerate(network.layers):
        for j in range(layer.out_features):
            for k in range(layer.in_features):
                yield Slot(index, "weight", j, k)
        if layer.bias_kind == "per_neuron":
            for j in range(layer.out_features):
                yield Slot(index, "bias", j, None)
        elif layer.bias_kind == "shared":
            yield Slot(index, "bias", None, None)


def trained_slots(network: Network) -> list[Slot]:
    """The parameters the optimizer updates (frozen biases excluded)."""
    return [s for s in slots(network) if s.kind == "weight" or network.layers[s.layer].bias_trained]


def read(weights: list, biases: list, slot: Slot):
    """The value at a slot of nested weights and biases (parameters or gradients)."""
    if slot.kind == "weight":
        return weights[slot.layer][slot.row][slot.column]
    bias = biases[slot.layer]
    return bias[slot.row] if slot.row is not None else bias


def write(state: State, slot: Slot, value) -> None:
    """Set a parameter in place."""
    if slot.kind == "weight":
        state.weights[slot.layer][slot.row][slot.column] = value
    elif slot.row is not None:
        state.biases[slot.layer][slot.row] = value
    else:
        state.biases[slot.layer] = value


@dataclass
class OptimizerState:
    """Per-parameter buffers: SGD's momentum buffer, Adam's m and v; and the step count."""

    step: int = 0
    trained: list = field(default_factory=list)  # the trained slots, listed once
    momentum: dict = field(default_factory=dict)
    first_moment: dict = field(default_factory=dict)
    second_moment: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Update:
    """One parameter's update: gradient, the quantities the rule computes, and the new value."""

    slot: Slot
    old: object
    gradient: object
    effective_gradient: object  # gradient + weight_decay * old
    momentum_buffer: object | None
    first_moment: object | None
    second_moment: object | None
    first_corrected: object | None
    second_corrected: object | None
    new: object


def optimizer_step(
    network: Network, state: State, result: Pass, memory: OptimizerState, arithmetic: Arithmetic
) -> list[Update]:
    """Apply one optimizer step in place and describe each parameter's update."""
    train = network.train
    memory.step += 1
    if not memory.trained:
        memory.trained = trained_slots(network)
    hyper = Hyper(*(arithmetic.convert(v) for v in (train.lr, train.momentum, train.weight_decay, *train.betas, train.eps)))
    updates = []
    for slot in memory.trained:
        old = read(state.weights, state.biases, slot)
        gradient = read(result.grad_weights, result.grad_biases, slot)
        effective = gradient
        if train.weight_decay:
            effective = arithmetic.add(gradient, arithmetic.mul(hyper.weight_decay, old))
        if train.optimizer == "adam":
            update = _adam(hyper, slot, old, gradient, effective, memory, arithmetic)
        else:
            update = _sgd(hyper, slot, old, gradient, effective, memory, arithmetic)
        write(state, slot, update.new)
        updates.append(update)
    return updates


@dataclass(frozen=True)
class Hyper:
    """The optimizer's settings converted once per step to the arithmetic in use."""

    lr: object
    momentum: object
    weight_decay: object
    beta1: object
    beta2: object
    eps: object


def _sgd(hyper: Hyper, slot, old, gradient, effective, memory: OptimizerState, arithmetic: Arithmetic) -> Update:
    direction = effective
    buffer = None
    if hyper.momentum:
        if slot in memory.momentum:
            # torch.optim.SGD: buf = momentum * buf + (1 - dampening) * g, with dampening 0.
            buffer = arithmetic.add(arithmetic.mul(hyper.momentum, memory.momentum[slot]), effective)
        else:
            buffer = effective  # the first step stores g itself, as torch does
        memory.momentum[slot] = buffer
        direction = buffer
    new = arithmetic.sub(old, arithmetic.mul(hyper.lr, direction))
    return Update(slot, old, gradient, effective, buffer, None, None, None, None, new)


def _adam(hyper: Hyper, slot, old, gradient, effective, memory: OptimizerState, arithmetic: Arithmetic) -> Update:
    convert = arithmetic.convert
    beta1, beta2 = hyper.beta1, hyper.beta2
    one = convert(1)
    m = memory.first_moment.get(slot, convert(0))
    v = memory.second_moment.get(slot, convert(0))
    m = arithmetic.add(arithmetic.mul(beta1, m), arithmetic.mul(arithmetic.sub(one, beta1), effective))
    v = arithmetic.add(
        arithmetic.mul(beta2, v), arithmetic.mul(arithmetic.sub(one, beta2), arithmetic.mul(effective, effective))
    )
    memory.first_moment[slot] = m
    memory.second_moment[slot] = v
    m_hat = arithmetic.div(m, arithmetic.sub(one, _power(beta1, memory.step, arithmetic)))
    v_hat = arithmetic.div(v, arithmetic.sub(one, _power(beta2, memory.step, arithmetic)))
    step = arithmetic.div(arithmetic.mul(hyper.lr, m_hat), arithmetic.add(arithmetic.sqrt(v_hat), hyper.eps))
    new = arithmetic.sub(old, step)
    return Update(slot, old, gradient, effective, None, m, v, m_hat, v_hat, new)


def _power(base, exponent: int, arithmetic: Arithmetic):
    result = arithmetic.convert(1)
    for _ in range(exponent):
        result = arithmetic.mul(result, base)
    return result
