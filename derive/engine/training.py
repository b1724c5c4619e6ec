"""Training: the first step in exact/50-digit arithmetic (the one the document derives), the rest in float64."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from ..network import Network
from .arithmetic import FLOAT64, Exact, to_float
from .parameters import Slot, read, trained_slots, write
from .passes import Feed, Pass, State, run_pass
from .twin import Twin

PLAIN = frozenset({Fraction, int, float, str, bool, type(None), Slot})  # values that hold no twin


@dataclass(frozen=True)
class Update:
    """One parameter's first update: before, gradient, after, and the rule's intermediate values by key."""

    slot: Slot
    old: Any
    gradient: Any
    new: Any
    shown: dict[str, Any]


@dataclass(frozen=True)
class FirstStep:
    """The first step in one arithmetic: the pass over the first batch, every update, and the loss after it."""

    first: Pass
    updates: list[Update]
    after_first: State
    after_first_loss: Any


@dataclass(frozen=True)
class Training:
    """Everything computed for a network: the derived first step and the trace of the rest.

    The first step is computed twice: exactly (the fields below, which the document derives) and
    in float64 as PyTorch computes it (``float64``), and training goes on from the float64 one.
    ``loss_history[k]`` is the loss of step k+1's batch at the parameters it starts from;
    ``final_loss`` is the loss of every sample at the parameters after the last step.
    """

    start: State
    first: Pass
    updates: list[Update]
    after_first: State
    after_first_loss: Any
    loss_history: list[float]
    final: State
    final_loss: float
    batches: tuple[tuple[int, ...], ...]
    epoch_losses: list[float]
    float64: FirstStep


def train(network: Network) -> Training:
    """Run every optimizer step of ``network``, deriving the first one exactly and in float64."""
    batches = network.batches()
    start = State.of(network.layers)
    slots = trained_slots(network)
    exact = Exact()
    derived, _, _ = _first_step(network, exact, start, batches[0], slots)
    derived = _settled(derived, exact, {})
    in_float, state, memories = _first_step(network, FLOAT64, start.converted(to_float), batches[0], slots)
    loss_history = [to_float(derived.first.loss)]
    total = network.updates
    feed = Feed.of(network, FLOAT64)
    settings = network.train.optimizer.converted(FLOAT64)
    for step in range(2, total + 1):
        result = run_pass(network, state, FLOAT64, batches[(step - 1) % len(batches)], feed=feed)
        loss_history.append(result.loss)
        _step(network, state, result, slots, memories, step, FLOAT64, settings)
    if total == 1 and len(batches) == 1:
        final_loss = to_float(derived.after_first_loss)
    else:
        final_loss = run_pass(network, state, FLOAT64, range(network.data.batch_size), backward=False, feed=feed).loss
    epochs = _epoch_losses(network, batches, loss_history)
    return Training(
        start, derived.first, derived.updates, derived.after_first, derived.after_first_loss,
        loss_history, state, final_loss, batches, epochs, in_float,
    )


def _first_step(network: Network, ops: Any, start: State, batch: tuple[int, ...], slots: list[Slot]):
    """Step 1 in the arithmetic of ``ops``; also the state after it and the optimizer's buffers."""
    state = start.copy()
    memories: list[dict] = [{} for _ in slots]
    feed = Feed.of(network, ops)
    first = run_pass(network, state, ops, batch, feed=feed)
    updates = _step(network, state, first, slots, memories, 1, ops, describe=True)
    after_loss = run_pass(network, state, ops, batch, backward=False, feed=feed).loss
    return FirstStep(first, updates, state.copy(), ops.settle(after_loss) if ops.exact else after_loss), state, memories


def _settled(value: Any, ops: Exact, settled: dict[int, Any]) -> Any:
    """A finished exact result with every twin in it settled (lists, dicts and dataclasses walked).

    ``settled`` maps each twin met so far (by id, while the result keeps it alive) to its settled
    value: a twin the step holds several times (a gradient, and the update that used it) is settled
    once. A plain value (a number, a Slot) is kept without a call, and so is a dataclass none of whose
    fields changes.
    """
    kind = type(value)
    if kind is Twin:
        found = settled.get(id(value))
        if found is None:
            found = settled[id(value)] = ops.settle(value)
        return found
    if kind is list:
        return [item if type(item) in PLAIN else _settled(item, ops, settled) for item in value]
    if kind is dict:
        return {key: item if type(item) in PLAIN else _settled(item, ops, settled) for key, item in value.items()}
    if hasattr(kind, "__dataclass_fields__"):
        changed = {}
        for name in kind.__dataclass_fields__:
            field = getattr(value, name)
            new = field if type(field) in PLAIN else _settled(field, ops, settled)
            if new is not field:
                changed[name] = new
        return replace(value, **changed) if changed else value
    return value


def _epoch_losses(network: Network, batches: tuple[tuple[int, ...], ...], history: list[float]) -> list[float]:
    """Each epoch's loss: the loss of all the samples it saw, each at the parameters of its own update.

    A batch's loss carries its own mean (or sum), so it is weighted by the whole data's factor over
    the batch's: for a summed loss the epoch's loss is the sum of its batches', for a mean the
    mean weighted by batch size, and either compares with the loss of every sample at the end.
    """
    outputs = network.layers[-1].out_features
    whole = network.loss.scale(network.data.batch_size, outputs)
    weights = [to_float(whole / network.loss.scale(len(batch), outputs)) for batch in batches]
    epochs = []
    for start in range(0, len(history), len(batches)):
        losses = history[start:start + len(batches)]
        epochs.append(sum(loss * weight for loss, weight in zip(losses, weights)))
    return epochs


def _step(
    network: Network, state: State, result: Pass, slots: list[Slot], memories: list[dict], t: int, ops: Any,
    settings: dict | None = None, describe: bool = False,
) -> list[Update]:
    """Apply optimizer step ``t`` to every trained parameter in place; describe each update of the derived step."""
    optimizer = network.train.optimizer
    settings = settings or optimizer.converted(ops)
    updates = []
    for slot, memory in zip(slots, memories):
        old = read(state.weights, state.biases, slot)
        gradient = read(result.grad_weights, result.grad_biases, slot)
        new, shown = optimizer.step(old, gradient, memory, t, ops, settings)
        write(state.weights, state.biases, slot, new)
        if describe:  # only the first step is described
            updates.append(Update(slot, old, gradient, new, shown))
    return updates
