"""Small networks for tests, built directly as Network objects."""

from __future__ import annotations

import random
from fractions import Fraction

from derive.network import Data, Layer, Network, Train


def random_network(
    seed: int,
    widths: list[int],
    bias_kinds: list[str] | None = None,
    activation: str = "sigmoid",
    title: str = "A random network",
) -> Network:
    """A sigmoid network with decimal weights in [-1, 1] (two decimals) and one sample."""
    rng = random.Random(seed)

    def decimal() -> Fraction:
        return Fraction(rng.randint(-100, 100), 100)

    layers = []
    bias_kinds = bias_kinds or ["per_neuron"] * (len(widths) - 1)
    for fan_in, fan_out, kind in zip(widths, widths[1:], bias_kinds):
        weight = tuple(tuple(decimal() for _ in range(fan_in)) for _ in range(fan_out))
        bias: object = None
        train_bias = True
        if kind in ("per_neuron", "frozen"):
            bias = tuple(decimal() for _ in range(fan_out))
            train_bias = kind != "frozen"
        elif kind in ("shared", "shared_frozen"):
            bias = decimal()
            train_bias = kind == "shared"
        layers.append(Layer(activation, weight, bias, train_bias))
    inputs = (tuple(decimal() for _ in range(widths[0])),)
    targets = (tuple(Fraction(rng.randint(0, 100), 100) for _ in range(widths[-1])),)
    return Network(tuple(layers), Data(inputs, targets), "half_sse", Train(lr=Fraction(1, 2)), title, f"random{seed}", f"random{seed}")


# The seed network as a spec, written out so that the bad specs of the tests differ from it in one
# place only; their line numbers refer to this text (the title is line 1).
SEED_SPEC = """\
title = "t"

[[layer]]
activation = "sigmoid"
weight = [[0.15, 0.20], [0.25, 0.30]]
bias = [0.35, 0.35]

[[layer]]
activation = "sigmoid"
weight = [[0.40, 0.45], [0.50, 0.55]]
bias = [0.60, 0.60]

[data]
input = [[0.05, 0.10]]
target = [[0.01, 0.99]]

[loss]
kind = "half_sse"

[train]
optimizer = "sgd"
lr = 0.5
steps = 1
"""
