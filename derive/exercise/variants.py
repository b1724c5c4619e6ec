"""Seeded variants of a network: the same architecture, loss and optimizer with new hand-friendly numbers.

Variant k of seed S (ID ``S-k``) is drawn by ``random.Random("S-k")``, which seeds from the string's
SHA-512 on every platform and Python version, and redrawn from the same stream until it is not
dull. So a variant depends only on the spec, S and k: ``--variant 7-3`` is the third sheet of
``--seed 7`` however many were drawn, on any machine.
"""

from __future__ import annotations

import dataclasses
import random
from functools import lru_cache
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath

from ..components.activations.base import PiecewiseLinear
from ..engine.arithmetic import Exact
from ..engine.passes import Pass, State, run_pass, target_row
from ..engine.parameters import read, trained_slots
from ..engine.rounding import to_fraction
from ..errors import UsageError
from ..network import Data, Network
from .settings import ExerciseSettings, default_targets

MOST_ATTEMPTS = 2000  # draws per variant before the grids are declared too narrow
SATURATED_SIGMOID = 4  # |net| beyond which a sigmoid counts as saturated, as the rule states
# A smooth activation is saturated where its slope is below the sigmoid's at |net| = 4 relative to its peak
# (7 % of it): |net| > 4 for the sigmoid, about 2 for tanh. Kinked activations are judged by the dead-unit rule.
# Computed in Fractions and mpmath, never libm, so that every machine draws the same variants.
SATURATION = to_fraction(mpmath.mp.mpf(4) / (mpmath.mp.exp(SATURATED_SIGMOID) * (1 + mpmath.mp.exp(-SATURATED_SIGMOID)) ** 2))
OUTPUT_GAP = Fraction(1, 20)  # an output this close to its target leaves its error signal too small to work with
SIGNIFICANT_DIGITS = 2  # every gradient must show this many digits at the sheet's precision
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
    targets = _target_grid(network, settings)
    ops = Exact()  # one arithmetic for every draw: its contexts take longer to make than a pass to run
    for draw in range(1, MOST_ATTEMPTS + 1):
        candidate = _candidate(network, generator, settings, targets)
        if not dull_reasons(candidate, precision, ops):
            return Variant(variant_id(seed, index), seed, index, candidate, draw)
    raise UsageError(
        f"{network.source or network.name}: no variant of seed {seed} passed the rules in {MOST_ATTEMPTS} draws "
        "(see derive exercise --help); widen the [exercise] table's weight_range, input_values or target_values"
    )


def draw_variants(network: Network, seed: int, count: int, precision: int) -> list[Variant]:
    """Variants 1 to ``count`` of ``seed``."""
    return [draw_variant(network, seed, index, precision) for index in range(1, count + 1)]


def _target_grid(network: Network, settings: ExerciseSettings) -> tuple[Fraction, ...]:
    if settings.target_values is not None:
        return settings.target_values
    last = network.layers[-1].activation
    within_unit = 0 <= last.float_value(-50.0) and last.float_value(50.0) <= 1  # a sigmoid's outputs
    return default_targets(network.loss.probabilities or within_unit)


def _candidate(network: Network, generator: random.Random, settings: ExerciseSettings,
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


def dull_reasons(network: Network, precision: int, ops: Exact | None = None) -> list[str]:
    """The rules a network breaks (empty when it makes a good exercise), judged on its exact first step:

    - ``dead``: a neuron whose slope is 0 for every sample (a ReLU never switched on), or whose net
      input sits exactly on a kink (or a softplus threshold), where PyTorch's convention decides;
    - ``saturated``: a smooth activation whose slope is below 7 % of its peak (a sigmoid past |net| > 4;
      piecewise-linear ones are judged by the dead-unit rule);
    - ``output_at_target``: an output within 0.05 of its target;
    - ``small_gradient``: a gradient that would not show two significant digits at ``precision``
      decimal places (all-zero gradients included).
    """
    ops = ops or Exact()
    step = run_pass(network, State.of(network.layers), ops, network.batches()[0])

    def exact(value: Any) -> Fraction:
        return to_fraction(ops.settle(value))

    reasons = []
    if _dead(network, step):
        reasons.append("dead")
    if _saturated(network, step, exact):
        reasons.append("saturated")
    if _at_target(network, step, exact):
        reasons.append("output_at_target")
    smallest = Fraction(1, 10 ** (precision - SIGNIFICANT_DIGITS + 1))
    for slot in trained_slots(network):
        if abs(exact(read(step.grad_weights, step.grad_biases, slot))) < smallest:
            reasons.append("small_gradient")
            break
    return reasons


def _dead(network: Network, step: Pass) -> bool:
    for index, layer in enumerate(network.layers):
        for j in range(layer.out_features):
            slopes = [sample.da_dz[index][j] for sample in step.samples]
            if all(slope == 0 for slope in slopes):
                return True
            if any(layer.activation.note(sample.z[index][j]) is not None for sample in step.samples):
                return True  # on a kink (or a threshold) the sheet would need PyTorch's convention
    return False


def _saturated(network: Network, step: Pass, exact: Any) -> bool:
    for index, layer in enumerate(network.layers):
        activation = layer.activation
        if isinstance(activation, PiecewiseLinear):
            continue
        floor = SATURATION * _peak_slope(activation)
        for sample in step.samples:
            if any(abs(exact(slope)) < floor for slope in sample.da_dz[index]):
                return True
    return False


@lru_cache(maxsize=32)
def _peak_slope(activation: Any) -> Fraction:
    """The activation's largest slope for net inputs from -2 to 2, where hand-friendly ones lie."""
    ops = Exact()
    slopes = []
    for step in range(-8, 9):
        z = Fraction(step, 4)
        slopes.append(abs(to_fraction(ops.settle(activation.slope(z, activation.value(z, ops), ops)))))
    return max(slopes)


def _at_target(network: Network, step: Pass, exact: Any) -> bool:
    for sample, row in zip(step.samples, step.batch):
        outputs = sample.softmax or sample.a[-1]
        for output, target in zip(outputs, target_row(network, row)):
            if abs(exact(output) - target) < OUTPUT_GAP:
                return True
    return False
