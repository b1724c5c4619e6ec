"""Numeric forward and backward passes over a batch, written once for both arithmetics."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

from ..errors import DeriveError
from ..network import Layer, Network


@dataclass
class State:
    """Parameter values by layer: weight rows, and a bias list, a shared scalar or None."""

    weights: list[list[list]]
    biases: list

    def copy(self) -> "State":
        """An independent copy (the numbers themselves are immutable, so only the lists are copied)."""
        weights = [[list(row) for row in layer] for layer in self.weights]
        return State(weights, [list(b) if isinstance(b, list) else b for b in self.biases])

    def converted(self, convert: Any) -> "State":
        """A copy with every number passed through ``convert``."""
        weights = [[[convert(v) for v in row] for row in layer] for layer in self.weights]
        biases = [
            [convert(v) for v in bias] if isinstance(bias, list) else (None if bias is None else convert(bias))
            for bias in self.biases
        ]
        return State(weights, biases)

    @classmethod
    def of(cls, layers: Sequence[Layer]) -> "State":
        """The starting parameters of a network, exactly as written."""
        weights = [[list(row) for row in layer.weight] for layer in layers]
        biases = []
        for layer in layers:
            if layer.bias_kind == "per_neuron":
                biases.append(list(layer.bias))
            else:
                biases.append(layer.bias)
        return cls(weights, biases)


@dataclass
class SamplePass:
    """One sample's values: z and a per layer, loss terms, and the backward quantities."""

    z: list[list] = field(default_factory=list)
    a: list[list] = field(default_factory=list)
    loss_terms: list = field(default_factory=list)
    dE_da: list[list] = field(default_factory=list)
    da_dz: list[list] = field(default_factory=list)
    delta: list[list] = field(default_factory=list)
    output_gradient: list = field(default_factory=list)  # dE/da of the last layer, scale included
    softmax: list = field(default_factory=list)  # cross-entropy only
    shared_bias_share: dict = field(default_factory=dict)  # layer -> this sample's dE/db of its shared bias


@dataclass
class Pass:
    """A full pass over a batch: per-sample values, the loss and the gradients."""

    batch: tuple[int, ...]  # the indices of the batch's samples in the data
    samples: list[SamplePass]
    loss: object
    loss_scale: object
    grad_weights: list[list[list]]
    grad_biases: list


@dataclass(frozen=True)
class Feed:
    """The data as one arithmetic holds it, converted once: inputs, target rows, the loss's factor by batch size."""

    inputs: list[list]
    targets: list[list]
    scales: dict[int, Any]

    @classmethod
    def of(cls, network: Network, ops: Any) -> "Feed":
        """Every sample's inputs and targets, and the factor of each batch size the run uses."""
        outputs = network.layers[-1].out_features
        sizes = {len(batch) for batch in network.batches()} | {network.data.batch_size}
        return cls(
            [[ops.convert(v) for v in row] for row in network.data.inputs],
            [[ops.convert(t) for t in target_row(network, s)] for s in range(network.data.batch_size)],
            {size: ops.convert(network.loss.scale(size, outputs)) for size in sizes},
        )


def bias_of(state: State, layer: int, unit: int) -> Any:
    """The bias a unit adds: its own, the layer's shared one, or None."""
    bias = state.biases[layer]
    if isinstance(bias, list):
        return bias[unit]
    return bias


def forward(network: Network, state: State, sample_input: Sequence, ops: Any) -> SamplePass:
    """Forward pass of one sample (its inputs already in the arithmetic of ``ops``): z = W a + b, then a = f(z)."""
    result = SamplePass()
    previous = sample_input
    for index, layer in enumerate(network.layers):
        activation = layer.activation
        zs, outs = [], []
        for j, row in enumerate(state.weights[index]):
            z = ops.dot(row, previous)
            bias = bias_of(state, index, j)
            if bias is not None:
                z = ops.add(z, bias)
            zs.append(z)
            outs.append(activation.value(z, ops))
        result.z.append(zs)
        result.a.append(outs)
        previous = outs
    return result


def target_row(network: Network, sample: int) -> list:
    """The targets of one sample as numbers; a class index becomes its one-hot row."""
    target = network.data.targets[sample]
    if isinstance(target, int):
        return [Fraction(int(k == target)) for k in range(network.layers[-1].out_features)]
    return list(target)


def run_pass(
    network: Network, state: State, ops: Any, batch: Sequence[int], backward: bool = True, feed: Feed | None = None
) -> Pass:
    """Forward and backward over the samples ``batch``, with the gradients of every parameter.

    With ``backward=False`` only the forward pass and the loss are computed (no gradients). ``feed``
    is the data already converted for ``ops`` (a run that makes many passes converts it once).
    """
    feed = feed or Feed.of(network, ops)
    loss_function = network.loss
    scale = feed.scales[len(batch)]
    samples = []
    loss = ops.zero
    for s in batch:
        sample = forward(network, state, feed.inputs[s], ops)
        bad = loss_function.check_outputs(sample.a[-1])
        if bad is not None:
            raise DeriveError(
                f"{network.source or network.name}: the {loss_function.name} loss needs outputs from 0 to 1, as "
                f"nn.{loss_function.torch_module} does, but output {bad + 1} of sample {s + 1} is {float(sample.a[-1][bad]):.6g}; "
                "use a sigmoid output layer"
            )
        computed = loss_function.sample(sample.a[-1], feed.targets[s], scale, ops)
        sample.loss_terms, sample.output_gradient, sample.softmax = computed.terms, computed.output_gradient, computed.softmax
        for value in sample.loss_terms:
            loss = ops.add(loss, ops.mul(scale, value))
        if backward:
            _backward(network, state, sample, ops)
        samples.append(sample)
    batch = tuple(batch)
    if not backward:
        return Pass(batch, samples, loss, scale, [], [])
    grad_weights, grad_biases = _gradients(network, [feed.inputs[s] for s in batch], samples, ops)
    return Pass(batch, samples, loss, scale, grad_weights, grad_biases)


def _backward(network: Network, state: State, sample: SamplePass, ops: Any) -> None:
    count = len(network.layers)
    sample.dE_da = [None] * count
    sample.da_dz = [None] * count
    sample.delta = [None] * count
    for index in reversed(range(count)):
        layer = network.layers[index]
        if index == count - 1:
            dE_da = list(sample.output_gradient)
        else:
            following = sample.delta[index + 1]
            weights = state.weights[index + 1]
            dE_da = [ops.dot(following, [row[k] for row in weights]) for k in range(layer.out_features)]
        da_dz = [layer.activation.slope(z, a, ops) for z, a in zip(sample.z[index], sample.a[index])]
        sample.dE_da[index] = dE_da
        sample.da_dz[index] = da_dz
        sample.delta[index] = [ops.mul(g, d) for g, d in zip(dE_da, da_dz)]
        if layer.bias_kind == "shared":  # summed here, in twins, so a share that cancels is exactly 0
            sample.shared_bias_share[index] = ops.total(sample.delta[index])


def _gradients(network: Network, inputs: list[list], samples: list[SamplePass], ops: Any):
    grad_weights, grad_biases = [], []
    for index, layer in enumerate(network.layers):
        if index == 0:
            incoming = inputs
        else:
            incoming = [sample.a[index - 1] for sample in samples]
        deltas = [sample.delta[index] for sample in samples]
        rows = []
        for j in range(layer.out_features):
            unit_deltas = [delta[j] for delta in deltas]
            rows.append([ops.dot(unit_deltas, [a[k] for a in incoming]) for k in range(layer.in_features)])
        grad_weights.append(rows)
        per_unit = [ops.total(delta[j] for delta in deltas) for j in range(layer.out_features)]
        if layer.bias_kind == "per_neuron":
            grad_biases.append(per_unit)
        elif layer.bias_kind == "shared":
            grad_biases.append(ops.total(per_unit))
        else:
            grad_biases.append(None)
    return grad_weights, grad_biases
