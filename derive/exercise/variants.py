"""Seeded variants of a network: the same architecture, loss and optimizer with new hand-friendly numbers.

Variant k of seed S (ID ``S-k``) is drawn by ``random.Random("S-k")``, which seeds from the string's
SHA-512 on every platform and Python version, and redrawn from the same stream until it is not
dull. So a variant depends only on the spec, S and k: ``--variant 7-3`` is the third sheet of
``--seed 7`` however many were drawn, on any machine.
"""

from __future__ import annotations

import dataclasses
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..errors import UsageError
from ..network import Data, Network
from .dull import is_dull
from ..spec.exercise_table import ExerciseSettings, default_targets

MOST_ATTEMPTS = 2000  # draws per variant before the grids are declared too narrow
VARIANT_ID = re.compile(r"^(\d+)-(\d+)$")


@dataclass(frozen=True)
class Variant:
    """One drawn network with its ID ``seed-index`` and how many draws it took."""

    id: str
    seed: int
    index: int
    network: Network
    draws: int


def variant_id(seed: int, index: int) -> str:
    """The ID of variant ``index`` (from 1) of ``seed``: '7-3'."""
    return f"{seed}-{index}"


def parse_variant_id(text: str, option: str = "--variant") -> tuple[int, int]:
    """(seed, index) from an ID such as '7-3'; a malformed one is a UsageError."""
    match = VARIANT_ID.match(str(text).strip())
    if match is None or int(match.group(2)) < 1:
        raise UsageError(f"{option}: expected a variant ID SEED-K such as 7-3 (K from 1), found {text!r}")
    return int(match.group(1)), int(match.group(2))


def settings_of(network: Network) -> ExerciseSettings:
    """The spec's [exercise] table, or the defaults."""
    return network.exercise or ExerciseSettings()


def draw_variant(network: Network, seed: int, index: int, precision: int) -> Variant:
    """Variant ``index`` of ``seed``: numbers redrawn until none of the dull rules holds."""
    settings = settings_of(network)
    generator = random.Random(variant_id(seed, index))
    targets = target_grid(network, settings)
    for draw in range(1, MOST_ATTEMPTS + 1):
        candidate = redrawn(network, generator, settings, targets)
        if not is_dull(candidate, precision):
            return Variant(variant_id(seed, index), seed, index, candidate, draw)
    raise UsageError(
        f"{network.source or network.name}: no variant of seed {seed} passed the rules in {MOST_ATTEMPTS} draws "
        "(see derive exercise --help); widen the [exercise] table's weight_range, input_values or target_values"
    )


def draw_variants(network: Network, seed: int, count: int, precision: int) -> list[Variant]:
    """Variants 1 to ``count`` of ``seed``."""
    return [draw_variant(network, seed, index, precision) for index in range(1, count + 1)]


def target_grid(network: Network, settings: ExerciseSettings) -> tuple[Fraction, ...]:
    """The targets to draw from: the [exercise] table's, else a grid suited to the output layer."""
    if settings.target_values is not None:
        return settings.target_values
    last = network.layers[-1].activation
    within_unit = 0 <= last.float_value(-50.0) and last.float_value(50.0) <= 1  # a sigmoid's outputs
    return default_targets(network.loss.probabilities or within_unit)


def redrawn(network: Network, generator: random.Random, settings: ExerciseSettings,
               targets: tuple[Fraction, ...]) -> Network:
    """The network with every weight, bias, input, target and the learning rate drawn anew, in a fixed order."""
    grid = settings.weight_grid()
    layers = []
    for layer in network.layers:
        weight = tuple(tuple(generator.choice(grid) for _ in row) for row in layer.weight)
        if layer.bias_kind == "per_neuron":
            bias: Any = tuple(generator.choice(grid) for _ in layer.bias)
        elif layer.bias_kind == "shared":
            bias = generator.choice(grid)
        else:
            bias = None
        layers.append(dataclasses.replace(layer, weight=weight, bias=bias))
    data = network.data
    inputs = tuple(tuple(generator.choice(settings.input_values) for _ in row) for row in data.inputs)
    if data.targets_are_indices:
        outputs = network.layers[-1].out_features
        drawn: Any = tuple(generator.randrange(outputs) for _ in data.targets)
    else:
        drawn = tuple(tuple(generator.choice(targets) for _ in row) for row in data.targets)
    optimizer = dataclasses.replace(network.train.optimizer, lr=generator.choice(settings.lr_values))
    return dataclasses.replace(
        network,
        layers=tuple(layers),
        data=Data(inputs=inputs, targets=drawn),
        train=dataclasses.replace(network.train, optimizer=optimizer),
        published=None,
        provenance=(),
    )
