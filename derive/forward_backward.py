"""Numeric forward and backward passes, written once for two arithmetics: exact/50-digit and float64."""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Callable, Sequence

import mpmath
import sympy as sp

from . import activations, losses, numbers
from .errors import DeriveError
from .network import Layer, Network


@dataclass(frozen=True)
class Arithmetic:
    """The operations a pass needs: exact-then-mpmath for the derivation, floats for long runs."""

    add: Callable
    sub: Callable
    mul: Callable
    div: Callable
    sqrt: Callable
    convert: Callable
    module: str  # lambdify module for activations and loss terms
    zero: object


EXACT = Arithmetic(
    numbers.add, numbers.sub, numbers.mul, numbers.div, numbers.sqrt, lambda value: value, "mpmath", Fraction(0)
)
FLOAT64 = Arithmetic(
    operator.add, operator.sub, operator.mul, operator.truediv, math.sqrt, numbers.to_float, "math", 0.0
)


def _safe_exp(x: float) -> float:
    """math.exp that overflows to infinity instead of raising, so 1/(1 + e^800) is 0.0 as in PyTorch."""
    return math.exp(x) if x < 709.0 else math.inf


@cache
def activation_function(name: str, module: str) -> Callable:
    """f(z, slope) for an arithmetic's lambdify module."""
    modules = [{"exp": _safe_exp}, "math"] if module == "math" else module
    return sp.lambdify((activations.Z, activations.SLOPE), activations.ACTIVATIONS[name].expression, modules)


@cache
def activation_slope(name: str, module: str) -> Callable:
    """f'(z, a, slope): SymPy's diff in exact arithmetic; in float64 the closed form in a = f(z).

    The closed form (a(1 - a), 1 - a^2, ...) cannot overflow where e^(-z) would; tests check that
    it equals the diff.
    """
    arguments = (activations.Z, activations.OUT, activations.SLOPE)
    if module == "math":
        return sp.lambdify(arguments, activations.ACTIVATIONS[name].derivative_display, "math")
    return sp.lambdify(arguments, activations.exact_derivative(name), module)


@dataclass
class State:
    """Parameter values by layer: weight rows, and a bias list, a shared scalar or None."""

    weights: list[list[list]]
    biases: list

    def copy(self) -> "State":
        """An independent copy (the numbers themselves are immutable, so only the lists are copied)."""
        weights = [[list(row) for row in layer] for layer in self.weights]
        return State(weights, [list(b) if isinstance(b, list) else b for b in self.biases])

    @classmethod
    def of(cls, network_layers: Sequence[Layer], convert: Callable) -> "State":
        """The starting parameters of a network, converted for an arithmetic."""
        weights = [[[convert(v) for v in row] for row in layer.weight] for layer in network_layers]
        biases = []
        for layer in network_layers:
            if layer.bias_kind == "per_neuron":
                biases.append([convert(v) for v in layer.bias])
            elif layer.bias_kind == "shared":
                biases.append(convert(layer.bias))
            else:
                biases.append(None)
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


@dataclass
class Pass:
    """A full pass over the batch: per-sample values, the loss and the gradients."""

    samples: list[SamplePass]
    loss: object
    loss_scale: object
    grad_weights: list[list[list]]
    grad_biases: list


def bias_of(state: State, layer: int, unit: int):
    """The bias a unit adds: its own, the layer's shared one, or None."""
    bias = state.biases[layer]
    if isinstance(bias, list):
        return bias[unit]
    return bias


def forward(network: Network, state: State, sample_input: Sequence, arithmetic: Arithmetic) -> SamplePass:
    """Forward pass of one sample: z = W a + b, then a = f(z), layer by layer."""
    result = SamplePass()
    previous = [arithmetic.convert(v) for v in sample_input]
    for index, layer in enumerate(network.layers):
        f = activation_function(layer.activation, arithmetic.module)
        slope = arithmetic.convert(layer.negative_slope)
        zs, outs = [], []
        for j, row in enumerate(state.weights[index]):
            z = arithmetic.zero
            for w, a in zip(row, previous):
                z = arithmetic.add(z, arithmetic.mul(w, a))
            bias = bias_of(state, index, j)
            if bias is not None:
                z = arithmetic.add(z, bias)
            zs.append(z)
            outs.append(_apply(f, layer.activation, z, slope, arithmetic))
        result.z.append(zs)
        result.a.append(outs)
        previous = outs
    return result


PIECEWISE_LINEAR = ("relu", "leaky_relu", "identity")


def _apply(f: Callable, name: str, z, slope, arithmetic: Arithmetic):
    """f(z), keeping exact values exact where the activation is piecewise linear."""
    if arithmetic is EXACT and numbers.is_exact(z) and name in PIECEWISE_LINEAR:
        if name == "identity" or z > 0:
            return z
        return Fraction(0) if name == "relu" else numbers.mul(slope, z)
    return _call(f, arithmetic, z, slope)


def loss_scale(network: Network) -> Fraction:
    """The factor in front of the summed loss terms: 1, 1/(batch * outputs) for mean losses, 1/batch for cross-entropy."""
    batch = network.data.batch_size
    if network.loss == "cross_entropy":
        return Fraction(1, batch)
    if losses.LOSSES[network.loss].mean:
        return Fraction(1, batch * network.layers[-1].out_features)
    return Fraction(1)


def target_row(network: Network, sample: int) -> list:
    """The targets of one sample as numbers; a class index becomes its one-hot row."""
    target = network.data.targets[sample]
    if isinstance(target, int):
        return [Fraction(int(k == target)) for k in range(network.layers[-1].out_features)]
    return list(target)


def run_pass(network: Network, state: State, arithmetic: Arithmetic, backward: bool = True) -> Pass:
    """Forward and backward over the whole batch, with the gradients of every parameter.

    With ``backward=False`` only the forward pass and the loss are computed (no gradients).
    """
    scale = arithmetic.convert(loss_scale(network))
    samples = []
    loss = arithmetic.zero
    for s, sample_input in enumerate(network.data.inputs):
        sample = forward(network, state, sample_input, arithmetic)
        targets = [arithmetic.convert(t) for t in target_row(network, s)]
        if network.loss == "cross_entropy":
            _softmax_cross_entropy(sample, targets, scale, arithmetic)
        else:
            if network.loss == "bce":
                _check_probabilities(network, sample.a[-1], s)
            _elementwise_loss(network.loss, sample, targets, scale, arithmetic)
        for value in sample.loss_terms:
            loss = arithmetic.add(loss, arithmetic.mul(scale, value))
        if backward:
            _backward(network, state, sample, arithmetic)
        samples.append(sample)
    if not backward:
        return Pass(samples, loss, scale, [], [])
    grad_weights, grad_biases = _gradients(network, samples, arithmetic)
    return Pass(samples, loss, scale, grad_weights, grad_biases)


def _check_probabilities(network: Network, outputs: list, sample: int) -> None:
    """nn.BCELoss refuses outputs outside [0, 1]; so does derive, at any step."""
    for j, a in enumerate(outputs):
        if not 0 <= a <= 1:
            raise DeriveError(
                f"{network.source or network.name}: the bce loss needs outputs from 0 to 1, as nn.BCELoss "
                f"does, but output {j + 1} of sample {sample + 1} is {float(a):.6g}; use a sigmoid output layer"
            )


def _elementwise_loss(name: str, sample: SamplePass, targets: list, scale, arithmetic: Arithmetic) -> None:
    term = losses.numeric_term(name, arithmetic.module)
    slope = losses.numeric_term_derivative(name, arithmetic.module)
    outputs = sample.a[-1]
    sample.loss_terms = [_call(term, arithmetic, a, t) for a, t in zip(outputs, targets)]
    sample.output_gradient = [arithmetic.mul(scale, _call(slope, arithmetic, a, t)) for a, t in zip(outputs, targets)]


def _softmax_cross_entropy(sample: SamplePass, targets: list, scale, arithmetic: Arithmetic) -> None:
    """p = softmax(a); the loss term is -sum y_k log p_k; dE/da_j = scale (p_j sum_k y_k - y_j)."""
    outputs = [numbers.to_mpf(a) if arithmetic is EXACT else a for a in sample.a[-1]]
    exp, log = (mpmath.exp, mpmath.log) if arithmetic is EXACT else (math.exp, math.log)
    largest = max(outputs)  # shifting by the largest output keeps exp from overflowing
    shifted = [exp(a - largest) for a in outputs]
    total = sum(shifted)
    sample.softmax = [e / total for e in shifted]
    log_total = log(total)
    log_p = [a - largest - log_total for a in outputs]
    sample.loss_terms = [arithmetic.mul(arithmetic.convert(-1), arithmetic.mul(y, lp)) for y, lp in zip(targets, log_p)]
    target_sum = numbers.total(targets) if arithmetic is EXACT else sum(targets)
    sample.output_gradient = [
        arithmetic.mul(scale, arithmetic.sub(arithmetic.mul(p, target_sum), y)) for p, y in zip(sample.softmax, targets)
    ]


def _call(function: Callable, arithmetic: Arithmetic, *arguments):
    """Call a lambdified function, handing mpmath floats to the exact arithmetic's functions."""
    if arithmetic is EXACT:
        return function(*(numbers.to_mpf(value) for value in arguments))
    return function(*arguments)


def _backward(network: Network, state: State, sample: SamplePass, arithmetic: Arithmetic) -> None:
    count = len(network.layers)
    sample.dE_da = [None] * count
    sample.da_dz = [None] * count
    sample.delta = [None] * count
    for index in reversed(range(count)):
        layer = network.layers[index]
        fprime = activation_slope(layer.activation, arithmetic.module)
        slope = arithmetic.convert(layer.negative_slope)
        if index == count - 1:
            dE_da = list(sample.output_gradient)
        else:
            following = sample.delta[index + 1]
            weights = state.weights[index + 1]
            dE_da = []
            for k in range(layer.out_features):
                value = arithmetic.zero
                for m, delta in enumerate(following):
                    value = arithmetic.add(value, arithmetic.mul(delta, weights[m][k]))
                dE_da.append(value)
        da_dz = [
            _derivative_value(fprime, layer.activation, z, a, slope, arithmetic)
            for z, a in zip(sample.z[index], sample.a[index])
        ]
        sample.dE_da[index] = dE_da
        sample.da_dz[index] = da_dz
        sample.delta[index] = [arithmetic.mul(g, d) for g, d in zip(dE_da, da_dz)]


def _derivative_value(fprime: Callable, name: str, z, a, slope, arithmetic: Arithmetic):
    """f'(z); piecewise-linear activations take PyTorch's value at z = 0 (the left branch: 0 or slope)."""
    if name in PIECEWISE_LINEAR:
        if name == "identity" or z > 0:
            return arithmetic.convert(Fraction(1))
        return arithmetic.convert(Fraction(0)) if name == "relu" else slope
    return _call(fprime, arithmetic, z, a, slope)


def _gradients(network: Network, samples: list[SamplePass], arithmetic: Arithmetic):
    grad_weights, grad_biases = [], []
    for index, layer in enumerate(network.layers):
        rows = []
        for j in range(layer.out_features):
            row = []
            for k in range(layer.in_features):
                value = arithmetic.zero
                for sample, sample_input in zip(samples, network.data.inputs):
                    incoming = sample.a[index - 1][k] if index > 0 else arithmetic.convert(sample_input[k])
                    value = arithmetic.add(value, arithmetic.mul(sample.delta[index][j], incoming))
                row.append(value)
            rows.append(row)
        grad_weights.append(rows)
        per_unit = []
        for j in range(layer.out_features):
            value = arithmetic.zero
            for sample in samples:
                value = arithmetic.add(value, sample.delta[index][j])
            per_unit.append(value)
        if layer.bias_kind == "per_neuron":
            grad_biases.append(per_unit)
        elif layer.bias_kind == "shared":
            value = arithmetic.zero
            for unit_gradient in per_unit:
                value = arithmetic.add(value, unit_gradient)
            grad_biases.append(value)
        else:
            grad_biases.append(None)
    return grad_weights, grad_biases
