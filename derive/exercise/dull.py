"""The rules that reject a dull variant, judged on its first step: exactly, or in float64 where that is clear.

float64 settles a rule only when its value lies farther than ``MARGIN`` from the rule's threshold,
far beyond float64's error on hand-sized numbers, so it always agrees with the exact arithmetic and
every machine still draws the same variants; a value near a threshold is judged exactly.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache, lru_cache
from typing import Any, Callable

import mpmath

from ..components.activations.base import Activation, PiecewiseLinear
from ..engine.arithmetic import FLOAT64, Exact
from ..engine.parameters import read, trained_slots
from ..engine.passes import Pass, State, run_pass, target_row
from ..engine.rounding import to_fraction
from ..network import Network

SATURATED_SIGMOID = 4  # |net| beyond which a sigmoid counts as saturated, as the rule states
# A smooth activation is saturated where its slope is below the sigmoid's at |net| = 4 relative to its peak
# (7 % of it): |net| > 4 for the sigmoid, about 2 for tanh. Kinked activations are judged by the dead-unit rule.
# Computed in Fractions and mpmath, never libm, so that every machine draws the same variants.
SATURATION = to_fraction(mpmath.mp.mpf(4) / (mpmath.mp.exp(SATURATED_SIGMOID) * (1 + mpmath.mp.exp(-SATURATED_SIGMOID)) ** 2))
OUTPUT_GAP = Fraction(1, 20)  # an output this close to its target leaves its error signal too small to work with
SIGNIFICANT_DIGITS = 2  # every gradient must show this many digits at the sheet's precision
MARGIN = 1e-9  # float64 decides a rule only this far (relative, at least absolute) from its threshold


class Borderline(Exception):
    """A float64 value too near a rule's threshold to decide the rule."""


def is_dull(network: Network, precision: int) -> bool:
    """Whether the network breaks a rule: in float64 when every rule is clear, else exactly."""
    try:
        return bool(_reasons(network, precision, _float_pass(network), float, _below_clearly))
    except Borderline:
        return bool(dull_reasons(network, precision))


def dull_reasons(network: Network, precision: int) -> list[str]:
    """The rules a network breaks in exact arithmetic (empty when it makes a good exercise):

    - ``dead``: a neuron whose slope is 0 for every sample (a ReLU never switched on), or whose net
      input sits exactly on a kink (or a softplus threshold), where PyTorch's convention decides;
    - ``saturated``: a smooth activation whose slope is below 7 % of its peak (a sigmoid past |net| > 4;
      piecewise-linear ones are judged by the dead-unit rule);
    - ``output_at_target``: an output within 0.05 of its target;
    - ``small_gradient``: a gradient that would not show two significant digits at ``precision``
      decimal places (all-zero gradients included).
    """
    ops = _exact()
    step = run_pass(network, State.of(network.layers), ops, network.batches()[0])
    return _reasons(network, precision, step, lambda value: to_fraction(ops.settle(value)), _below)


Compare = Callable[[Any, Any], bool]


def _reasons(network: Network, precision: int, step: Pass, number: Callable[[Any], Any], below: Compare) -> list[str]:
    """The rules broken by ``step``, its values read by ``number`` and compared with ``below``."""
    reasons = []
    if _dead(network, step, number):
        reasons.append("dead")
    if _saturated(network, step, number, below):
        reasons.append("saturated")
    if _at_target(network, step, number, below):
        reasons.append("output_at_target")
    smallest = Fraction(1, 10 ** (precision - SIGNIFICANT_DIGITS + 1))
    for slot in trained_slots(network):
        if below(abs(number(read(step.grad_weights, step.grad_biases, slot))), smallest):
            reasons.append("small_gradient")
            break
    return reasons


def _below(value: Fraction, threshold: Fraction) -> bool:
    return value < threshold


def _below_clearly(value: float, threshold: Fraction) -> bool:
    """value < threshold, raising Borderline when float64 cannot tell."""
    limit = float(threshold)
    if abs(value - limit) <= MARGIN * max(abs(limit), 1.0):
        raise Borderline
    return value < limit


@cache
def _exact() -> Exact:
    return Exact()  # one arithmetic for every draw: its contexts take longer to make than a pass to run


def _float_pass(network: Network) -> Pass:
    """The first step in float64, for activations whose rules float64 can judge (else Borderline)."""
    for layer in network.layers:
        activation = layer.activation
        if not isinstance(activation, PiecewiseLinear) and type(activation).note is not Activation.note:
            raise Borderline  # a threshold float64 cannot place (softplus): judged exactly
    step = run_pass(network, State.of(network.layers).converted(float), FLOAT64, network.batches()[0])
    for index, layer in enumerate(network.layers):
        if isinstance(layer.activation, PiecewiseLinear):
            for sample in step.samples:
                if any(abs(z) <= MARGIN for z in sample.z[index]):
                    raise Borderline  # on or near the kink at 0
    return step


def _dead(network: Network, step: Pass, number: Callable[[Any], Any]) -> bool:
    for index, layer in enumerate(network.layers):
        for j in range(layer.out_features):
            if all(number(sample.da_dz[index][j]) == 0 for sample in step.samples):
                return True
            if any(layer.activation.note(sample.z[index][j]) is not None for sample in step.samples):
                return True  # on a kink (or a threshold) the sheet would need PyTorch's convention
    return False


def _saturated(network: Network, step: Pass, number: Callable[[Any], Any], below: Compare) -> bool:
    for index, layer in enumerate(network.layers):
        activation = layer.activation
        if isinstance(activation, PiecewiseLinear):
            continue
        floor = SATURATION * _peak_slope(activation)
        for sample in step.samples:
            if any(below(abs(number(slope)), floor) for slope in sample.da_dz[index]):
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


def _at_target(network: Network, step: Pass, number: Callable[[Any], Any], below: Compare) -> bool:
    for sample, row in zip(step.samples, step.batch):
        outputs = sample.softmax or sample.a[-1]
        for output, target in zip(outputs, target_row(network, row)):
            if below(abs(number(output) - target), OUTPUT_GAP):
                return True
    return False
