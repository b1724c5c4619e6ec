"""Training: the first step in exact/50-digit arithmetic (the one the document derives), the rest in float64."""

from __future__ import annotations

from dataclasses import dataclass

from . import numbers
from .forward_backward import EXACT, FLOAT64, Pass, State, run_pass
from .network import Network
from .optimizers import OptimizerState, Update, optimizer_step


@dataclass
class Training:
    """Everything computed for a network: the derived first step and the trace of the rest."""

    start: State
    first: Pass
    updates: list[Update]
    after_first: State
    after_first_loss: object
    loss_history: list[float]
    final: State
    final_loss: float


def train(network: Network) -> Training:
    """Run ``network.train.steps`` optimizer steps, deriving the first one exactly."""
    start = State.of(network.layers, EXACT.convert)
    state = start.copy()
    first = run_pass(network, state, EXACT)
    memory = OptimizerState()
    updates = optimizer_step(network, state, first, memory, EXACT)
    after_first = state.copy()
    after_first_loss = run_pass(network, after_first, EXACT, backward=False).loss
    loss_history = [numbers.to_float(first.loss)]
    state = _to_float(state)
    memory.momentum = {k: numbers.to_float(v) for k, v in memory.momentum.items()}
    memory.first_moment = {k: numbers.to_float(v) for k, v in memory.first_moment.items()}
    memory.second_moment = {k: numbers.to_float(v) for k, v in memory.second_moment.items()}
    for _ in range(network.train.steps - 1):
        result = run_pass(network, state, FLOAT64)
        loss_history.append(result.loss)
        optimizer_step(network, state, result, memory, FLOAT64)
    if network.train.steps == 1:
        final_loss = numbers.to_float(after_first_loss)
    else:
        final_loss = run_pass(network, state, FLOAT64, backward=False).loss
    return Training(start, first, updates, after_first, after_first_loss, loss_history, state, final_loss)


def _to_float(state: State) -> State:
    weights = [[[numbers.to_float(v) for v in row] for row in layer] for layer in state.weights]
    biases = []
    for bias in state.biases:
        if isinstance(bias, list):
            biases.append([numbers.to_float(v) for v in bias])
        else:
            biases.append(None if bias is None else numbers.to_float(bias))
    return State(weights, biases)
