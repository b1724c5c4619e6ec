"""The engine's numbers (derive.engine: exact first step, float64 training) against oracles that share no code with it.

- SymPy's ``diff`` of the fully composed loss, written out here from the Network (not by derive's
  graph), evaluated from exact rationals; derive's chain rule over its graph (tests/chain_rule.py)
  must give the same expressions;
- central finite differences of a forward pass written here in 50-digit mpmath;
- PyTorch float64 autograd and torch.optim, through derive.verify.reference.torch_run
  (``assert_json_matches_torch``) and through plain ``nn.Linear`` layers written here;
- the seed script's printed numbers and the blog post's published figures.
"""

from __future__ import annotations

import dataclasses
import json
import math
import operator
import random
import re
import struct
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import mpmath as mp
import pytest
import sympy as sp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chain_rule import compose, graph_values, loss_expression, symbolic_gradients
from conftest import (
    EXAMPLES, SMOOTH, assert_json_matches_torch, assert_same, close, comparable_with_float64, decimals, first_batch,
    float64_training, make_layer, make_network, make_train, one_neuron, random_network, random_networks, rendered, require_torch,
    to_mp, trained_beside_torch, with_activation, with_data, with_loss, with_train,
)
from derive.api import Document, load
from derive.components import ACTIVATIONS, LOSSES
from derive.derivation.graph import build_graph
from derive.engine.arithmetic import to_float
from derive.engine.parameters import Slot, read
from derive.engine.training import train
from derive.network import Data, Layer, Network
from derive.options import Options
from derive.render.numbers import format_number
from derive.spec import parse_spec

Key = tuple  # (layer, "weight" | "bias", row or None, column or None), as derive's Slot


# ---------------------------------------------------------------- reading a Network, independently


def rational(value: Fraction | int) -> sp.Rational:
    value = Fraction(value)
    return sp.Rational(value.numerator, value.denominator)


def parameter_keys(network: Network) -> list[Key]:
    keys: list[Key] = []
    for l, layer in enumerate(network.layers):
        for j, row in enumerate(layer.weight):
            keys += [(l, "weight", j, k) for k in range(len(row))]
        if layer.bias_kind == "per_neuron":
            keys += [(l, "bias", j, None) for j in range(layer.out_features)]
        elif layer.bias_kind == "shared":
            keys.append((l, "bias", None, None))
    return keys


def parameter_value(network: Network, key: Key) -> Fraction:
    l, kind, j, k = key
    layer = network.layers[l]
    if kind == "weight":
        return layer.weight[j][k]
    return layer.bias if j is None else layer.bias[j]


def target_row(network: Network, row: int) -> list[Fraction]:
    target = network.data.targets[row]
    if isinstance(target, int):
        return [Fraction(int(k == target)) for k in range(network.layers[-1].out_features)]
    return list(target)


def derive_gradient(first, key: Key):
    """The gradient of ``key`` in derive's numeric pass (``train(network).first``)."""
    return read(first.grad_weights, first.grad_biases, Slot(*key))


def is_trained(network: Network, key: Key) -> bool:
    return key[1] == "weight" or network.layers[key[0]].train_bias


def key_of(parameter) -> Key:
    slot = parameter.slot
    return (slot.layer, slot.kind, slot.row, slot.column)


def scale_of(network: Network, batch: int) -> sp.Rational:
    """The factor in front of the summed loss terms, as PyTorch's reductions have it."""
    outputs = network.layers[-1].out_features
    return {"mse": sp.Rational(1, batch * outputs), "bce": sp.Rational(1, batch * outputs),
            "huber": sp.Rational(1, batch * outputs), "cross_entropy": sp.Rational(1, batch)}.get(network.loss.name, sp.Integer(1))


# ---------------------------------------------------------------- oracle 1: SymPy diff of the composed loss


GELU_TANH_KAPPA = sp.Rational(44715, 10**6)  # nn.GELU(approximate="tanh"): 0.044715, as its documentation writes it


def sympy_activation(activation, z: sp.Expr) -> sp.Expr:
    """The activation as PyTorch's documentation defines it, written here (not asked of derive)."""
    name = activation.name
    if name == "sigmoid":
        return 1 / (1 + sp.exp(-z))
    if name == "tanh":
        return sp.tanh(z)
    if name in ("relu", "leaky_relu"):
        return sp.Piecewise((z, z > 0), (rational(getattr(activation, "negative_slope", 0)) * z, True))
    if name == "gelu":
        if activation.approximate == "tanh":
            return z / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (z + GELU_TANH_KAPPA * z**3)))
        return z / 2 * (1 + sp.erf(z / sp.sqrt(2)))
    if name == "softplus":
        beta, threshold = rational(activation.beta), rational(activation.threshold)
        return sp.Piecewise((z, beta * z > threshold), (sp.log(1 + sp.exp(beta * z)) / beta, True))
    assert name == "identity", name
    return z


def parameter_symbols(network: Network) -> dict[Key, sp.Symbol]:
    return {key: sp.Symbol("p_" + "_".join(map(str, key)), real=True) for key in parameter_keys(network)}


def composed_outputs(network: Network, row: int, symbols: dict[Key, sp.Symbol]) -> list[sp.Expr]:
    """The output layer's activations for one data row, written out from the inputs, every parameter a symbol."""
    a = [rational(v) for v in network.data.inputs[row]]
    for l, layer in enumerate(network.layers):
        outputs = []
        for j, weights in enumerate(layer.weight):
            z = sp.Add(*(symbols[(l, "weight", j, k)] * a[k] for k in range(len(weights))))
            if layer.bias_kind == "per_neuron":
                z += symbols[(l, "bias", j, None)]
            elif layer.bias_kind == "shared":
                z += symbols[(l, "bias", None, None)]
            outputs.append(sympy_activation(layer.activation, z))
        a = outputs
    return a


def composed_loss(network: Network) -> tuple[sp.Expr, dict[Key, sp.Symbol]]:
    """The first batch's loss written out from the inputs to the loss, every parameter a symbol."""
    symbols = parameter_symbols(network)
    rows = first_batch(network)
    loss_name = network.loss.name
    total = sp.Integer(0)
    for row in rows:
        a = composed_outputs(network, row, symbols)
        targets = [rational(t) for t in target_row(network, row)]
        if loss_name == "cross_entropy":
            normaliser = sp.Add(*(sp.exp(o) for o in a))
            total += sp.Add(*(-t * sp.log(sp.exp(o) / normaliser) for o, t in zip(a, targets)))
        elif loss_name == "bce":
            total += sp.Add(*(-(t * sp.log(o) + (1 - t) * sp.log(1 - o)) for o, t in zip(a, targets)))
        elif loss_name == "sum":  # y.sum(): the outputs themselves
            total += sp.Add(*a)
        elif loss_name == "huber":
            delta = rational(network.loss.delta)
            total += sp.Add(*(sp.Piecewise(((o - t) ** 2 / 2, sp.Abs(o - t) < delta), (delta * (sp.Abs(o - t) - delta / 2), True))
                              for o, t in zip(a, targets)))
        else:
            total += sp.Add(*((o - t) ** 2 for o, t in zip(a, targets)))
    factor = {"half_sse": sp.Rational(1, 2)}.get(loss_name, scale_of(network, len(rows)))
    return factor * total, symbols


def oracle_values(network: Network, symbols: dict[Key, sp.Symbol]) -> dict[sp.Symbol, sp.Rational]:
    return {symbol: rational(parameter_value(network, key)) for key, symbol in symbols.items()}


def evaluate(expr: sp.Expr, values: dict[sp.Symbol, sp.Rational], dps: int = 80) -> mp.mpf:
    """expr at exact rational values, each shared subexpression once: rationals exactly, the rest in ``dps``-digit mpmath.

    SymPy's evalf walks a composed expression as a tree, which takes minutes for three layers of
    four units; the same numbers on the expression's DAG take milliseconds.
    test_dag_evaluator_agrees_with_evalf ties the two together. Rational parts stay Fractions, so
    a condition (a kink at 0, a threshold, Huber's delta) is decided on the true value, never on
    binary rounding (0.1 + 0.2 - 0.3 is 0).
    """
    memo: dict[sp.Basic, Fraction | mp.mpf] = {}
    functions = {sp.exp: mp.exp, sp.log: mp.log, sp.tanh: mp.tanh, sp.erf: mp.erf, sp.cosh: mp.cosh}

    def real(v: Fraction | mp.mpf) -> mp.mpf:
        return mp.mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else v

    with mp.workdps(dps):

        def value(e: sp.Basic) -> Fraction | mp.mpf:
            if e in memo:
                return memo[e]
            if e.is_Symbol:
                result = Fraction(int(values[e].p), int(values[e].q))
            elif e.is_Rational:
                result = Fraction(int(e.p), int(e.q))
            elif e is sp.pi:
                result = +mp.pi
            elif e.is_Add or e.is_Mul:
                parts = [value(arg) for arg in e.args]
                if all(isinstance(part, Fraction) for part in parts):
                    result = sum(parts, Fraction(0)) if e.is_Add else math.prod(parts)
                else:
                    result = mp.fsum(map(real, parts)) if e.is_Add else mp.fprod(map(real, parts))
            elif e.is_Pow and e.exp.is_Integer:
                base = value(e.base)
                result = base ** int(e.exp)
            elif e.is_Pow:
                result = real(value(e.base)) ** real(value(e.exp))
            elif type(e) in functions:
                result = functions[type(e)](real(value(e.args[0])))
            elif isinstance(e, sp.Abs):
                result = abs(value(e.args[0]))
            elif isinstance(e, sp.sign):
                inner = value(e.args[0])
                result = Fraction((inner > 0) - (inner < 0))
            elif isinstance(e, sp.Piecewise):
                result = next(value(piece) for piece, condition in e.args if holds(condition))
            else:
                raise TypeError(f"cannot evaluate {type(e).__name__}: {e}")
            memo[e] = result
            return result

        def holds(condition: sp.Basic) -> bool:
            if condition is sp.true:
                return True
            if isinstance(condition, (sp.And, sp.Or)):
                results = [holds(c) for c in condition.args]
                return all(results) if isinstance(condition, sp.And) else any(results)
            compare = {sp.StrictGreaterThan: operator.gt, sp.StrictLessThan: operator.lt,
                       sp.GreaterThan: operator.ge, sp.LessThan: operator.le}.get(type(condition))
            if compare is None:
                raise TypeError(f"cannot decide {condition}")
            lhs, rhs = value(condition.lhs), value(condition.rhs)
            if isinstance(lhs, Fraction) and isinstance(rhs, Fraction):
                return compare(lhs, rhs)
            return compare(real(lhs), real(rhs))

        return +real(value(expr))


def exact_at_60(expr: sp.Expr, values: dict) -> sp.Float:
    """SymPy's own evaluation: rationals put in exactly, then evalf to 60 digits."""
    result = expr.xreplace(values).evalf(60)
    assert result.is_Number, f"symbols left after substitution: {result.free_symbols}"
    return result


BCE_EPSILON = struct.unpack("f", struct.pack("f", 1e-12))[0]  # nn.BCELoss's gradient clamp, a float32 1e-12


def assert_chain_rule_matches_diff(network: Network, keys: list[Key] | None = None, exact: bool = False) -> None:
    """Three ways to dE/dp agree: SymPy's diff of the composed loss (the oracle), the chain rule over
    derive's graph (local derivatives only), and the engine's exact numbers.

    Where nn.BCELoss clamps its gradient (an output within 1e-12 of 0 or 1) the engine follows PyTorch's
    clamp, which is no derivative: there only the chain rule is compared with diff (the clamp itself is
    test_bce_saturated_in_float64_follows_the_exact_values's).
    """
    loss, symbols = composed_loss(network)
    values = oracle_values(network, symbols)
    rows = list(first_batch(network))
    graph = build_graph(network, len(rows))
    assert sorted(map(key_of, graph.parameters), key=repr) == sorted(symbols, key=repr)
    scale = scale_of(network, len(rows))
    gradients = symbolic_gradients(graph, network, scale)
    sample_values = [graph_values(graph, network, row) for row in rows]
    first = train(network).first
    clamped = network.loss.name == "bce" and any(
        to_mp(a) * (1 - to_mp(a)) < BCE_EPSILON for sample in first.samples for a in sample.a[-1])
    by_key = {key_of(p): p for p in graph.parameters}
    at = exact_at_60 if exact else evaluate
    tolerance = sp.Float("1e-50", 60) if exact else mp.mpf("1e-50")

    with mp.workdps(80):  # sums of 80-digit values stay at 80 digits
        oracle_loss = at(loss, values)
        derived_loss = compose(loss_expression(graph, network, scale), graph)
        assert abs(sum(at(derived_loss, v) for v in sample_values) - oracle_loss) < tolerance
        assert abs(to_mp(oracle_loss) - to_mp(first.loss)) < mp.mpf("1e-40")
        for key in symbols if keys is None else keys:
            parameter = by_key[key]
            oracle = at(sp.diff(loss, symbols[key]), values)
            composed = compose(gradients[parameter.symbol], graph)
            chained = sum(at(composed, v) for v in sample_values)
            assert abs(chained - oracle) < tolerance, f"{key}: chain rule {chained}, diff {oracle}"
            if is_trained(network, key) and not clamped:
                numeric = derive_gradient(first, key)
                assert abs(to_mp(oracle) - to_mp(numeric)) < mp.mpf("1e-40"), f"{key}: engine {numeric}, diff {oracle}"


@pytest.mark.parametrize("name", ["mazur", "mazur-classic"])
def test_chain_rule_equals_diff_of_composed_loss_evaluated_by_sympy(name: str) -> None:
    assert_chain_rule_matches_diff(load(name), exact=True)


@pytest.mark.parametrize("name", sorted(set(EXAMPLES) - {"mazur", "mazur-classic"}))
def test_chain_rule_equals_diff_of_composed_loss_for_the_other_examples(name: str) -> None:
    assert_chain_rule_matches_diff(load(name))


def test_oracle_loss_is_the_published_seed_loss() -> None:
    # Guards the oracle itself: the post and the seed script give E_total = 0.298371109.
    network = load("mazur")
    loss, symbols = composed_loss(network)
    value = exact_at_60(loss, oracle_values(network, symbols))
    assert f"{Decimal(str(value)):.9f}" == "0.298371109"


def test_dag_evaluator_agrees_with_evalf() -> None:
    network = with_activation(load("mazur"), "tanh", layers=[0])
    loss, symbols = composed_loss(with_loss(network, "bce"))
    values = oracle_values(network, symbols)
    for symbol in symbols.values():
        derivative = sp.diff(loss, symbol)
        with mp.workdps(80):
            assert abs(evaluate(derivative, values) - to_mp(exact_at_60(derivative, values))) < mp.mpf("1e-55")


TWO_SAMPLES = (((0.3, -0.7), (-0.5, 0.9)), ((0.1, 0.9), (1, 0.25)))
CHAIN_RULE_CASES = {
    # (activations, loss, bias kinds): batch 2, widths 2-3-2 or 2-2-2-2
    "mse, tanh then sigmoid": (["tanh", "sigmoid"], "mse", ["per_neuron", "per_neuron"]),
    "sse, leaky_relu then identity": (["leaky_relu", "identity"], "sse", ["per_neuron", "shared"]),
    "bce, tanh then sigmoid": (["tanh", "sigmoid"], "bce", ["shared", "frozen"]),
    "half_sse, relu, sigmoid, sigmoid": (["relu", "sigmoid", "sigmoid"], "half_sse", ["per_neuron", "none", "shared_frozen"]),
}


@pytest.mark.parametrize("case", sorted(CHAIN_RULE_CASES))
def test_chain_rule_equals_diff_of_composed_loss_for_other_activations_and_losses(case: str) -> None:
    kinds, loss, biases = CHAIN_RULE_CASES[case]
    network = random_network(13, [2, 3, 2] if len(kinds) == 2 else [2, 2, 2, 2], biases)
    for index, kind in enumerate(kinds):
        network = with_activation(network, kind, layers=[index], **({"negative_slope": "0.2"} if kind == "leaky_relu" else {}))
    network = with_loss(with_data(network, *TWO_SAMPLES), loss)
    assert_chain_rule_matches_diff(network)


ORACLE_RUNS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ORACLE_RUNS
@given(network=random_networks(max_depth=3, max_width=3, max_batch=2, activations=SMOOTH, optimizers=False), data=st.data())
def test_chain_rule_equals_diff_of_composed_loss_for_random_networks(network: Network, data) -> None:
    keys = parameter_keys(network)
    if len(keys) > 8:
        # diff of a deep composed loss costs about a second per first-layer weight: check the
        # deepest weight and up to three others drawn at random.
        keys = [keys[0]] + data.draw(st.lists(st.sampled_from(keys[1:]), min_size=1, max_size=3, unique=True))
    assert_chain_rule_matches_diff(network, keys)


# ---------------------------------------------------------------- oracle 2: central finite differences


def mp_activation(activation, z: mp.mpf) -> mp.mpf:
    """The activation in mpmath, from PyTorch's documented definitions."""
    name = activation.name
    if name == "sigmoid":
        return 1 / (1 + mp.exp(-z))
    if name == "tanh":
        return mp.tanh(z)
    if name in ("relu", "leaky_relu"):
        return z if z > 0 else to_mp(getattr(activation, "negative_slope", 0)) * z
    if name == "gelu":
        if activation.approximate == "tanh":
            return z / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (z + to_mp(Fraction(44715, 10**6)) * z**3)))
        return z / 2 * (1 + mp.erf(z / mp.sqrt(2)))
    if name == "softplus":
        beta = to_mp(activation.beta)
        return z if beta * z > to_mp(activation.threshold) else mp.log(1 + mp.exp(beta * z)) / beta
    return z


def mp_forward(network: Network, overrides: dict[Key, mp.mpf] | None = None):
    """z and a per layer (first sample) and the first batch's loss, in the current mpmath precision."""
    overrides = overrides or {}

    def p(key: Key) -> mp.mpf:
        return overrides[key] if key in overrides else to_mp(parameter_value(network, key))

    rows = first_batch(network)
    total = mp.mpf(0)
    first = None
    for row in rows:
        a = [to_mp(v) for v in network.data.inputs[row]]
        zs, activations = [], []
        for l, layer in enumerate(network.layers):
            z = []
            for j, weights in enumerate(layer.weight):
                net = mp.fsum(p((l, "weight", j, k)) * a[k] for k in range(len(weights)))
                if layer.bias_kind == "per_neuron":
                    net += p((l, "bias", j, None))
                elif layer.bias_kind == "shared":
                    net += p((l, "bias", None, None))
                z.append(net)
            a = [mp_activation(layer.activation, v) for v in z]
            zs.append(z)
            activations.append(a)
        first = first or (zs, activations)
        targets = [to_mp(t) for t in target_row(network, row)]
        if network.loss.name == "cross_entropy":
            log_norm = mp.log(mp.fsum(mp.exp(o) for o in a))
            total += mp.fsum(-t * (o - log_norm) for o, t in zip(a, targets))
        elif network.loss.name == "bce":
            total += mp.fsum(-(t * mp.log(o) + (1 - t) * mp.log(1 - o)) for o, t in zip(a, targets))
        elif network.loss.name == "sum":  # y.sum(): the outputs themselves
            total += mp.fsum(a)
        elif network.loss.name == "huber":
            delta = to_mp(network.loss.delta)
            total += mp.fsum((o - t) ** 2 / 2 if abs(o - t) < delta else delta * (abs(o - t) - delta / 2)
                             for o, t in zip(a, targets))
        else:
            total += mp.fsum((o - t) ** 2 for o, t in zip(a, targets))
    factor = mp.mpf(1) / 2 if network.loss.name == "half_sse" else to_mp(Fraction(str(scale_of(network, len(rows)))))
    return first[0], first[1], factor * total


def assert_matches_finite_differences(network: Network) -> None:
    first = train(network).first
    with mp.workdps(50):
        zs, activations, loss = mp_forward(network)
        assert abs(to_mp(first.loss) - loss) < mp.mpf("1e-45")
        for l in range(len(network.layers)):
            for j in range(network.layers[l].out_features):
                assert abs(to_mp(first.samples[0].z[l][j]) - zs[l][j]) < mp.mpf("1e-45")
                assert abs(to_mp(first.samples[0].a[l][j]) - activations[l][j]) < mp.mpf("1e-45")
        h = mp.mpf(10) ** -15
        for key in parameter_keys(network):
            if not is_trained(network, key):
                continue
            centre = to_mp(parameter_value(network, key))
            central = (mp_forward(network, {key: centre + h})[2] - mp_forward(network, {key: centre - h})[2]) / (2 * h)
            numeric = derive_gradient(first, key)
            assert abs(to_mp(numeric) - central) < mp.mpf("1e-20"), (key, numeric, central)


# A central difference is no derivative where the loss has a corner: float64-relu-kink has a net input
# of exactly 0 on ReLU's kink (PyTorch takes the slope there as 0: test_the_derivative_at_a_kink_...),
# and float64-bce-saturation's output is so close to 1 that nn.BCELoss clamps its gradient
# (test_bce_saturated_in_float64_follows_the_exact_values).
SMOOTH_EXAMPLES = [name for name in EXAMPLES if name not in ("float64-relu-kink", "float64-bce-saturation")]


@pytest.mark.parametrize("name", SMOOTH_EXAMPLES)
def test_gradients_match_central_finite_differences(name: str) -> None:
    assert_matches_finite_differences(load(name))


@settings(max_examples=25, deadline=None)
@given(network=random_networks(max_depth=3, max_width=4, max_batch=3, activations=SMOOTH, optimizers=False))
def test_gradients_match_central_finite_differences_for_random_networks(network: Network) -> None:
    assert_matches_finite_differences(network)


# ---------------------------------------------------------------- oracle 3: PyTorch float64


def document_json(network: Network) -> dict:
    """The JSON a user gets (derive --format json), through the Python API."""
    return json.loads(Document(network, Options(format="json")).json())


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_matches_torch(name: str) -> None:
    """derive's float64 first step is PyTorch's in every example; its exact values are too, except in the
    float64-* examples, built so that the exact values and float64 part ways (tests/test_float64.py)."""
    network = load(name)
    training = train(network)
    assert_json_matches_torch(network, float64_training(training), rel=1e-12)
    if not name.startswith("float64-"):
        assert_json_matches_torch(network, document_json(network), rel=1e-12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(random_networks())
def test_every_json_value_of_random_networks_equals_torch(network: Network) -> None:
    """Random activations, losses, bias styles, batches, mini-batches and epochs, SGD and Adam.

    Compared at 1e-12 relative (--verify's tolerance for the first step; it allows 1e-9 after it):
    derive's float64 steps follow PyTorch's operation for operation.
    """
    require_torch()
    training, reference = trained_beside_torch(network)
    assert_json_matches_torch(network, training, reference=reference, rel=1e-12)


FIXED_NETWORK_TRAINS = {
    "sgd": make_train("sgd", steps=3, lr="0.2", momentum="0.9", weight_decay="0.01"),
    "adam": make_train("adam", steps=3, lr="0.05", weight_decay="0.01"),
    "sgd, mini-batches of 2 for 2 epochs": make_train("sgd", batch_size=2, epochs=2, lr="0.2", momentum="0.5"),
}


@pytest.mark.parametrize("train_name", sorted(FIXED_NETWORK_TRAINS))
@pytest.mark.parametrize("loss", ["half_sse", "sse", "mse", "bce", "cross_entropy"])
def test_a_fixed_network_of_each_loss_and_optimizer_matches_torch(loss: str, train_name: str) -> None:
    """A deterministic anchor for the random tests: 2-3-2 (or 2-3-3), leaky ReLU then another activation, batch 3."""
    outputs = 3 if loss == "cross_entropy" else 2
    last = {"bce": "sigmoid", "cross_entropy": "identity"}.get(loss, "tanh")
    layers = [
        make_layer("leaky_relu", [[0.3, -0.2], [0.5, 0.7], [-0.4, 0.1]], [0.1, -0.2, 0.05], negative_slope="0.1"),
        # a shared output bias would do for the other losses, but under softmax its gradient is exactly 0 (the
        # softmax ignores a shift), which Adam turns into noise in float64: a bias per output neuron
        make_layer(last, [[0.2, -0.3, 0.5], [-0.4, 0.1, 0.3], [0.6, -0.2, -0.1]][:outputs],
                   [0.25, -0.1, 0.05][:outputs] if loss == "cross_entropy" else "0.25"),
    ]
    inputs = [[0.5, -0.25], [0.9, 0.3], [-0.7, 0.2]]
    targets = {
        "cross_entropy": [2, 0, 1],
        "bce": [[1, 0], [0.3, 0.7], [0, 1]],
    }.get(loss, [[0.1, -0.5], [0.3, 0.7], [0, 1]])
    network = make_network(layers, inputs, targets, loss, FIXED_NETWORK_TRAINS[train_name])
    training = train(network)
    from derive.verify.reference import torch_run

    reference = torch_run(network)
    assert comparable_with_float64(network, training, reference)
    assert_json_matches_torch(network, training, reference=reference, rel=1e-12)


ACTIVATION_SETTINGS = {"leaky_relu": {"negative_slope": "0.2"}, "softplus": {"beta": 3, "threshold": 2}}


@pytest.mark.parametrize("activation", ACTIVATIONS.names())
def test_each_activation_in_both_layers_matches_torch(activation: str) -> None:
    network = with_activation(random_network(7, [2, 3, 2]), activation, **ACTIVATION_SETTINGS.get(activation, {}))
    assert_json_matches_torch(with_train(network, steps=3, lr="0.2"))


SEED_LAYERS = [{"activation": "sigmoid", "weight": [[0.15, 0.2], [0.25, 0.3]], "bias": [0.35, 0.35]},
               {"activation": "sigmoid", "weight": [[0.4, 0.45], [0.5, 0.55]], "bias": 0.6}]
SEED_BATCH = {"input": [[0.05, 0.1], [0.5, -0.2]], "target": [[0.01, 0.99], [0.7, 0.1]]}


def rmsprop_spec(**settings) -> dict:
    """The seed (a shared output bias) on two samples, trained by RMSprop for 25 steps."""
    return {"layer": SEED_LAYERS, "data": SEED_BATCH, "train": {"optimizer": "rmsprop", "lr": 0.01, "steps": 25, **settings}}


def gelu_spec(approximate: str) -> dict:
    return {
        "layer": [
            {"activation": "gelu", "approximate": approximate, "weight": [[0.5, -0.4], [0.3, 0.8]], "bias": [0.1, -0.2]},
            {"activation": "gelu", "approximate": approximate, "weight": [[0.7, -0.6]], "bias": [0.05]},
        ],
        "data": {"input": [[1.0, 0.5], [-0.5, 1.5]], "target": [[0.8], [-0.2]]},
        "loss": {"kind": "mse"},
        "train": {"lr": 0.1, "steps": 3},
    }


COMPONENT_SPECS = {
    "gelu, exact erf form": gelu_spec("none"),
    "gelu, tanh approximation": gelu_spec("tanh"),
    "softplus past its threshold, adam": {
        "layer": [
            {"activation": "softplus", "beta": 3, "threshold": 2, "weight": [[0.5, -0.4], [0.9, 0.8]], "bias": [0.1, -0.2]},
            {"activation": "softplus", "weight": [[0.7, -0.6]], "bias": [0.05]},
        ],
        "data": {"input": [[1.0, 0.5], [-0.5, 1.5]], "target": [[0.8], [-0.2]]},
        "loss": {"kind": "mse"},
        "train": {"optimizer": "adam", "lr": 0.05, "steps": 4},
    },
    "huber on both parts, a batch, sgd with momentum": {
        "layer": [{"activation": "sigmoid", "weight": [[0.5, -0.4], [0.9, 0.8]], "bias": [0.1, -0.2]},
                  {"activation": "identity", "weight": [[2.0, -1.5]], "bias": [0.3]}],
        "data": {"input": [[1.0, 0.5], [-0.5, 1.5], [0.2, 0.2]], "target": [[3.0], [-0.2], [0.9]]},
        "loss": {"kind": "huber", "delta": 0.75},
        "train": {"optimizer": "sgd", "lr": 0.3, "momentum": 0.5, "steps": 6},
    },
    "rmsprop": rmsprop_spec(),
    "rmsprop, momentum": rmsprop_spec(momentum=0.9),
    "rmsprop, centered": rmsprop_spec(centered=True),
    "rmsprop, weight decay": rmsprop_spec(weight_decay=0.01),
    "rmsprop, every setting": rmsprop_spec(centered=True, momentum=0.5, weight_decay=0.01, alpha=0.8, eps=1e-6),
}


@pytest.mark.parametrize("case", list(COMPONENT_SPECS))
def test_a_network_of_each_added_component_matches_torch_step_by_step(case: str) -> None:
    """GELU, softplus, Huber and RMSprop over several steps: every value of the first step, each step's loss,
    the final parameters and loss, against torch.nn.functional and torch.optim in float64."""
    assert_json_matches_torch(load(COMPONENT_SPECS[case]), rel=1e-12)


def independent_torch(network: Network) -> dict:
    """One SGD step with nn.Linear layers in float64, written without derive.verify.reference.

    Per-neuron trained biases are nn.Linear's own; a shared frozen bias is a constant added to a
    bias-free nn.Linear. Returns derive-json/1 fields plus the tensors, for printing.
    """
    torch = require_torch()
    nn = torch.nn
    assert network.loss.name == "half_sse" and network.train.optimizer.name == "sgd" and network.updates == 1
    double = torch.float64
    linears, constants = [], []
    for layer in network.layers:
        per_neuron = layer.bias_kind == "per_neuron" and layer.train_bias
        assert per_neuron or (layer.bias_kind == "shared" and not layer.train_bias)
        linear = nn.Linear(layer.in_features, layer.out_features, bias=per_neuron, dtype=double)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[float(v) for v in row] for row in layer.weight], dtype=double))
            if per_neuron:
                linear.bias.copy_(torch.tensor([float(b) for b in layer.bias], dtype=double))
        linears.append(linear)
        constants.append(None if per_neuron else torch.tensor(float(layer.bias), dtype=double))
    inputs = torch.tensor([[float(v) for v in row] for row in network.data.inputs], dtype=double)
    targets = torch.tensor([[float(v) for v in row] for row in network.data.targets], dtype=double)

    def forward():
        zs, activations, x = [], [], inputs
        for linear, constant in zip(linears, constants):
            z = linear(x) if constant is None else linear(x) + constant
            x = torch.sigmoid(z)
            zs.append(z)
            activations.append(x)
        return zs, activations, torch.sum((x - targets) ** 2) / 2

    def bias(linear, constant):
        return linear.bias.tolist() if constant is None else constant.item()

    optimizer = torch.optim.SGD([p for linear in linears for p in linear.parameters()], lr=float(network.train.optimizer.lr))
    optimizer.zero_grad()
    zs, activations, loss = forward()
    loss.backward()
    before = [
        {
            "weight": linear.weight.tolist(),
            "bias": bias(linear, constant),
            "z": z.tolist(),
            "a": a.tolist(),
            "grad_weight": linear.weight.grad.tolist(),
            "grad_bias": linear.bias.grad.tolist() if constant is None else None,
        }
        for linear, constant, z, a in zip(linears, constants, zs, activations)
    ]
    grads = [linear.weight.grad.clone() for linear in linears]
    optimizer.step()
    with torch.no_grad():
        _, _, after_loss = forward()
    return {
        "steps": [{"loss": loss.item(), "layers": before}],
        "final": {
            "loss": after_loss.item(),
            "layers": [{"weight": linear.weight.tolist(), "bias": bias(linear, constant)} for linear, constant in zip(linears, constants)],
        },
        "tensors": {
            "output": activations[-1].detach(),
            "loss": loss.detach(),
            "grads": grads,
            "weights": [linear.weight.detach().clone() for linear in linears],
            "biases": [None if constant is not None else linear.bias.detach().clone() for linear, constant in zip(linears, constants)],
        },
    }


def assert_close_tree(ours, theirs, path: str = "") -> None:
    """Same shape everywhere and every number within 1e-12 (relative and absolute)."""
    if isinstance(theirs, dict):
        for key in theirs:
            assert_close_tree(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{path}: {ours!r} vs {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close_tree(a, b, f"{path}[{i}]")
    elif theirs is None:
        assert ours is None, f"{path}: {ours!r}, expected null"
    else:
        assert close(ours, theirs, 1e-12, 1e-12), f"{path}: {ours!r} vs {theirs!r}"


@pytest.mark.parametrize("name", ["mazur", "mazur-classic"])
def test_json_matches_an_independent_nn_linear_run(name: str) -> None:
    network = load(name)
    theirs = independent_torch(network)
    ours = document_json(network)
    assert_close_tree(ours["steps"][0], theirs["steps"][0], "steps[0]")
    assert_close_tree(ours["final"], theirs["final"], "final")
    assert close(ours["quantities"]["E_after"], theirs["final"]["loss"], 1e-12, 0)


def torch_sgd_run(network: Network) -> dict:
    """Plain SGD on sigmoid layers with the half sum of squares, written here in torch float64 without
    derive.verify.reference, and without its per-step records: the loss of every step, the final
    parameters and the final loss."""
    torch = require_torch()
    assert network.loss.name == "half_sse" and network.train.optimizer.name == "sgd" and not network.train.optimizer.momentum
    double = torch.float64
    layers, trained = [], []
    for layer in network.layers:
        assert layer.activation.name == "sigmoid"
        weight = torch.tensor([[float(v) for v in row] for row in layer.weight], dtype=double, requires_grad=True)
        bias = None
        if layer.bias is not None:
            bias = torch.tensor(float(layer.bias) if layer.bias_kind == "shared" else [float(b) for b in layer.bias], dtype=double)
            bias.requires_grad_(layer.train_bias)
        layers.append((weight, bias))
        trained += [weight] + ([bias] if bias is not None and layer.train_bias else [])
    inputs = torch.tensor([[float(v) for v in row] for row in network.data.inputs], dtype=double)
    targets = torch.tensor([[float(v) for v in row] for row in network.data.targets], dtype=double)

    def loss():
        a = inputs
        for weight, bias in layers:
            a = torch.sigmoid(a @ weight.T + (bias if bias is not None else 0))
        return ((a - targets) ** 2).sum() / 2

    optimizer = torch.optim.SGD(trained, lr=float(network.train.optimizer.lr))
    history = []
    for _ in range(network.updates):
        optimizer.zero_grad()
        value = loss()
        value.backward()
        history.append(value.item())
        optimizer.step()
    with torch.no_grad():
        final = loss().item()
    return {"loss_history": history, "loss": final,
            "layers": [{"weight": w.tolist(), "bias": None if b is None else b.tolist()} for w, b in layers]}


@pytest.mark.parametrize("name, steps", [("mazur", 10000), ("mazur-classic", 1000)])
def test_long_sgd_runs_match_torch(name: str, steps: int) -> None:
    """The check of a long float64 run against PyTorch: every step's loss, the final parameters and loss (one
    10,000-step run; the classic's shared, frozen biases over 1,000)."""
    network = with_train(load(name), steps=steps)
    training = train(network)
    theirs = torch_sgd_run(network)
    assert len(training.loss_history) == steps
    assert_same([to_float(v) for v in training.loss_history], theirs["loss_history"], "loss_history")
    assert_same(to_float(training.final_loss), theirs["loss"], "final loss")
    for l, layer in enumerate(theirs["layers"]):
        assert_same([[to_float(v) for v in row] for row in training.final.weights[l]], layer["weight"], f"layer {l} weight")
        bias = training.final.biases[l]
        assert_same([to_float(v) for v in bias] if isinstance(bias, list) else to_float(bias), layer["bias"], f"layer {l} bias")
    assert theirs["loss"] < training.loss_history[0] / 10  # it did learn


def test_epochs_over_mini_batches_match_torch_and_report_each_epoch() -> None:
    """[train] batch_size and epochs: mini-batches in the data's order, as DataLoader(shuffle=False) gives them."""
    network = with_data(load("xor-tanh"), [[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.5]], [[0], [1], [1], [0], [0.5]])
    network = dataclasses.replace(network, train=make_train("sgd", batch_size=2, epochs=3, lr="0.5", momentum="0.9"))
    assert network.updates == 9  # 3 mini-batches (2, 2, 1) per epoch
    payload = json.loads(Document(network, Options(format="json")).json())
    reference = assert_json_matches_torch(network, payload)
    assert payload["batches"] == [[0, 1], [2, 3], [4]]
    history = reference["loss_history"]
    assert len(payload["epoch_loss"]) == 3
    for epoch, mean in enumerate(payload["epoch_loss"]):
        # design.md: a mean loss weighs each batch's mean by its size (2, 2 and 1 samples here)
        batches = history[3 * epoch:3 * epoch + 3]
        assert close(mean, sum(loss * size for loss, size in zip(batches, (2, 2, 1))) / 5)


# ---------------------------------------------------------------- mini-batches and epochs against a DataLoader loop


def minibatch_spec(batch_size: int, loss: str = "half_sse", optimizer: str = "sgd", **train) -> dict:
    """A 2-2-2 sigmoid network on seven samples (two classes), in mini-batches of ``batch_size``."""
    return {
        "layer": [
            {"activation": "sigmoid", "weight": [[0.2, -0.3], [0.4, 0.1]], "bias": [0.1, -0.1]},
            {"activation": "sigmoid", "weight": [[0.5, -0.4], [-0.3, 0.6]], "bias": [0.05, -0.05]},
        ],
        "data": {
            "input": [[0.5, 1.2], [1.0, 0.4], [1.5, 1.8], [3.0, 1.0], [2.6, 0.3], [3.4, 1.6], [0.8, 0.9]],
            "target": [[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1], [1, 0]],
        },
        "loss": {"kind": loss},
        "train": {"optimizer": optimizer, "lr": 0.5, "batch_size": batch_size, **train},
    }


def dataloader_run(spec: dict, epochs: int | None = None, steps: int | None = None):
    """The same network trained by a plain PyTorch loop over DataLoader(shuffle=False), in float64."""
    torch = require_torch()
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 2), torch.nn.Sigmoid()).double()
    with torch.no_grad():
        for linear, layer in zip((model[0], model[2]), spec["layer"]):
            linear.weight.copy_(torch.tensor(layer["weight"], dtype=torch.float64))
            linear.bias.copy_(torch.tensor(layer["bias"], dtype=torch.float64))
    x = torch.tensor(spec["data"]["input"], dtype=torch.float64)
    y = torch.tensor(spec["data"]["target"], dtype=torch.float64)
    loader = DataLoader(TensorDataset(x, y), batch_size=spec["train"]["batch_size"], shuffle=False)
    loss_of = {"half_sse": lambda o, t: 0.5 * ((o - t) ** 2).sum(), "mse": torch.nn.functional.mse_loss}[spec["loss"]["kind"]]
    settings = {key: value for key, value in spec["train"].items() if key not in ("optimizer", "batch_size", "epochs", "steps")}
    optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[spec["train"]["optimizer"]](model.parameters(), **settings)
    history = []
    while True:
        for xb, yb in loader:
            if steps is not None and len(history) == steps:
                break
            optimizer.zero_grad()
            loss = loss_of(model(xb), yb)
            loss.backward()
            optimizer.step()
            history.append(loss.item())
        if (epochs is not None and len(history) == epochs * len(loader)) or (steps is not None and len(history) == steps):
            break
    with torch.no_grad():
        final = loss_of(model(x), y).item()
    weights = [model[0].weight.tolist(), model[2].weight.tolist()]
    return history, final, weights


@pytest.mark.parametrize(
    "batch_size, loss, optimizer, extra",
    [(1, "half_sse", "sgd", {}), (3, "mse", "adam", {"betas": [0.9, 0.99]}), (2, "half_sse", "sgd", {"momentum": 0.9})],
)
def test_mini_batches_in_order_match_a_dataloader_loop(batch_size: int, loss: str, optimizer: str, extra: dict) -> None:
    spec = minibatch_spec(batch_size, loss, optimizer, epochs=4, **extra)
    training = train(load(spec))
    history, final, weights = dataloader_run(spec, epochs=4)
    assert training.loss_history == pytest.approx(history, rel=1e-12)
    assert training.final_loss == pytest.approx(final, rel=1e-12)
    for ours, theirs in zip(training.final.weights, weights):
        assert [v for row in ours for v in row] == pytest.approx([v for row in theirs for v in row], rel=1e-12)


def test_steps_count_updates_and_wrap_around_the_batches() -> None:
    spec = minibatch_spec(3, steps=8)  # 7 samples: batches of 3, 3 and 1, so step 4 starts the second epoch
    training = train(load(spec))
    history, final, _ = dataloader_run(spec, steps=8)
    assert len(training.loss_history) == 8
    assert training.loss_history == pytest.approx(history, rel=1e-12)
    assert training.final_loss == pytest.approx(final, rel=1e-12)


def test_the_epoch_loss_is_the_loss_of_the_epochs_outputs() -> None:
    """A summed loss sums its batches; a mean weighs each batch's mean by its size (3, 3 and 1 samples here)."""
    summed = train(load(minibatch_spec(3, epochs=2)))
    assert summed.epoch_losses[0] == pytest.approx(sum(summed.loss_history[:3]), rel=1e-15)
    mean = train(load(minibatch_spec(3, "mse", epochs=2)))
    assert mean.epoch_losses[1] == pytest.approx(sum(l * n for l, n in zip(mean.loss_history[3:], (3, 3, 1))) / 7, rel=1e-15)


# Jason Brownlee's "How to Code a Neural Network with Backpropagation In Python (from scratch)",
# Machine Learning Mastery (2016): a 2-2-2 sigmoid network, weights from random.seed(1), trained
# online on its ten rows for 20 epochs at learning rate 0.5. Its dataset, cited as published:
TUTORIAL_DATA = [
    (2.7810836, 2.550537003, 0), (1.465489372, 2.362125076, 0), (3.396561688, 4.400293529, 0),
    (1.38807019, 1.850220317, 0), (3.06407232, 3.005305973, 0), (7.627531214, 2.759262235, 1),
    (5.332441248, 2.088626775, 1), (6.922596716, 1.77106367, 1), (8.675418651, -0.242068655, 1),
    (7.673756466, 3.508563011, 1),
]


def tutorial_weights() -> list:
    """The tutorial's starting network, drawn as it draws it: random.seed(1), then random() per weight and bias."""
    rng = random.Random(1)
    return [[[rng.random() for _ in range(3)] for _ in range(2)] for _ in range(2)]


def tutorial_run():
    """The tutorial's own procedure: per row, forward, squared error summed, backward, update in place."""
    network = tutorial_weights()  # neuron: w..., bias
    errors = []
    for _ in range(20):
        total = 0.0
        for *row, label in TUTORIAL_DATA:
            outputs = [list(row)]
            for layer in network:
                inputs = outputs[-1]
                outputs.append([1 / (1 + math.exp(-(w[-1] + sum(wi * x for wi, x in zip(w, inputs))))) for w in layer])
            expected = [1.0 if k == label else 0.0 for k in range(2)]
            total += sum((e - o) ** 2 for e, o in zip(expected, outputs[-1]))
            deltas = [[(o - e) * o * (1 - o) for o, e in zip(outputs[-1], expected)]]
            hidden = outputs[1]
            deltas.insert(0, [sum(network[1][k][j] * deltas[0][k] for k in range(2)) * a * (1 - a) for j, a in enumerate(hidden)])
            for layer, layer_deltas, inputs in zip(network, deltas, outputs):
                for w, delta in zip(layer, layer_deltas):
                    for i, x in enumerate(inputs):
                        w[i] -= 0.5 * delta * x
                    w[-1] -= 0.5 * delta
        errors.append(total)
    return network, errors


def test_the_classic_tutorials_online_run_is_reproduced() -> None:
    start = tutorial_weights()
    spec = {
        "layer": [{"activation": "sigmoid", "weight": [w[:2] for w in layer], "bias": [w[2] for w in layer]} for layer in start],
        "data": {"input": [list(row[:2]) for row in TUTORIAL_DATA], "target": [[1 - row[2], row[2]] for row in TUTORIAL_DATA]},
        "loss": {"kind": "half_sse"},
        "train": {"lr": 0.5, "batch_size": 1, "epochs": 20},
    }
    training = train(load(spec))
    network, errors = tutorial_run()
    # The tutorial prints the sum over the rows of the squared errors: twice the summed half_sse.
    assert [2 * loss for loss in training.epoch_losses] == pytest.approx(errors, rel=1e-12)
    for ours, layer in zip(training.final.weights, network):
        assert [v for row in ours for v in row] == pytest.approx([v for w in layer for v in w[:2]], rel=1e-12)
    for ours, layer in zip(training.final.biases, network):
        assert ours == pytest.approx([w[2] for w in layer], rel=1e-12)


def test_a_parsed_spec_with_every_optimizer_setting_reaches_the_engine() -> None:
    spec = """
title = "adam"
[[layer]]
activation = "tanh"
weight = [[0.15, 0.20], [0.25, 0.30]]
bias = 0.35
[[layer]]
activation = "sigmoid"
weight = [[0.40, 0.45]]
[data]
input = [[0.05, 0.10], [0.5, -0.2]]
target = [[0.01], [0.99]]
[loss]
kind = "bce"
[train]
optimizer = "adam"
lr = 0.05
betas = [0.8, 0.99]
eps = 1e-6
weight_decay = 0.01
steps = 4
"""
    network = parse_spec(spec, "inline.toml", "inline")
    assert network.train.optimizer.betas == (Fraction(4, 5), Fraction(99, 100)) and network.train.optimizer.eps == Fraction(1, 10**6)
    assert_json_matches_torch(network, document_json(network))


# ---------------------------------------------------------------- exact means exact: what cancels is exactly 0


def exactly(expr: sp.Expr) -> sp.Expr:
    """A closed expression's exact value: each Piecewise condition decided on the simplified difference of its
    sides (exactly 0 where it cancels, never rounding noise), a zero proved by simplify, else 60 digits."""

    def decide(piecewise: sp.Piecewise) -> sp.Expr:
        for piece, condition in piecewise.args:
            if condition == sp.true:
                return piece
            difference = sp.simplify(condition.lhs - condition.rhs)
            side = 0 if difference == 0 else sp.sign(sp.N(difference, 60))
            if condition.func(side, 0) == sp.true:
                return piece
        raise AssertionError(f"no piece of {piecewise} holds")

    expr = expr.replace(lambda e: isinstance(e, sp.Piecewise), decide)
    value = sp.N(expr, 60)
    if abs(value) < sp.Float("1e-40"):  # zero, or tiny: simplify says which
        proved = sp.simplify(expr)
        if proved == 0:
            return sp.Integer(0)
    return value


@st.composite
def cancelling_networks(draw) -> Network:
    """Mirrored 1-2-2 (or 1-2-1) networks whose exact values cancel, which 50-digit arithmetic alone would leave as noise.

    The hidden layer (sigmoid or tanh) computes f(u) and f(-u), u = w x + b. Then
    - a net input of c (1 - sigma(u) - sigma(-u)) or c (tanh(u) + tanh(-u)): exactly 0, fed to ReLU or leaky ReLU
      (whose kink must decide on the true 0), sigmoid, tanh or identity;
    - c2 (f(u) - f(-u)) beside it, so a shared hidden bias's gradient c2 (f'(u) - f'(-u)) cancels exactly;
    - or an output of sigma(u) + sigma(-u) (1 + tanh(u) + tanh(-u)), exactly 1, under BCE, where nn.BCELoss clamps.
    """
    hidden = draw(st.sampled_from(("sigmoid", "tanh")))
    nonzero = st.tuples(st.integers(1, 100), st.sampled_from((1, -1))).map(lambda pair: Fraction(pair[0] * pair[1], 100))
    w, x, c, c2 = draw(nonzero), draw(nonzero), draw(nonzero), draw(nonzero)
    if draw(st.booleans()):
        bias: Any = Fraction(0)  # shared: u and -u
    else:
        b = draw(decimals())
        bias = (b, -b)
    first = Layer(ACTIVATIONS.make(hidden), ((w,), (-w,)), bias, True)
    if draw(st.booleans()):  # BCE at an output of exactly 1
        second = Layer(ACTIVATIONS.make("identity"), ((Fraction(1), Fraction(1)),), (Fraction(int(hidden == "tanh")),), True)
        target = draw(st.one_of(st.sampled_from((Fraction(1), Fraction(0))), decimals(0, 100)))
        # a tiny step: the clamped gradient is (1 - y) / 1e-12, and a larger one would push the output below 0
        return Network((first, second), Data(((x,),), ((target,),)), LOSSES.make("bce"), make_train(lr=Fraction(1, 10**20)),
                       "BCE at exactly 1", "cancel", "cancel")
    output = draw(st.sampled_from(("relu", "leaky_relu", "sigmoid", "tanh", "identity")))
    settings = {"negative_slope": draw(st.integers(1, 50).map(lambda n: Fraction(n, 100)))} if output == "leaky_relu" else {}
    zero = ((-c, -c), c) if hidden == "sigmoid" else ((c, c), Fraction(0))
    second = Layer(ACTIVATIONS.make(output, **settings), (zero[0], (c2, -c2)), (zero[1], draw(decimals())), True)
    targets = ((draw(decimals()), draw(decimals())),)
    return Network((first, second), Data(((x,),), targets), LOSSES.make(draw(st.sampled_from(("half_sse", "mse")))),
                   make_train(lr=Fraction(1, 10)), f"a net input of exactly 0 into {output}", "cancel", "cancel")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cancelling_networks())
def test_exact_cancellations_are_exactly_zero_and_every_gradient_is_sympys(network: Network) -> None:
    """Every gradient equals SymPy's diff of the composed loss at the exact values (with nn.BCELoss's clamped
    slope (o - y) / max(o (1 - o), 1e-12) at an output of exactly 1), and what is exactly 0 there is
    Fraction(0) in derive and prints as 0, never as 1e-51."""
    training = train(network)
    symbols = parameter_symbols(network)
    values = oracle_values(network, symbols)
    sample = training.first.samples[0]
    if network.loss.name == "bce":
        (output,) = composed_outputs(network, 0, symbols)
        o = sp.simplify(output.xreplace(values))
        assert o == 1 and sample.a[-1][0] == 1  # exactly 1, not 1 - 1e-51
        y = rational(network.data.targets[0][0])
        slope = (o - y) / sp.Max(o * (1 - o), rational(Fraction(BCE_EPSILON)))  # nn.BCELoss's gradient, a mean of one
        gradients = {key: slope * sp.diff(output, symbol) for key, symbol in symbols.items()}
    else:
        loss, _ = composed_loss(network)
        assert sample.z[-1][0] == 0 and isinstance(sample.z[-1][0], Fraction)  # the net input that cancels
        assert exactly(loss.xreplace(values)) == 0 or abs(to_mp(training.first.loss) - to_mp(exactly(loss.xreplace(values)))) < mp.mpf(10) ** -40
        gradients = {key: sp.diff(loss, symbol) for key, symbol in symbols.items()}
    zeros = 0
    for key, gradient in gradients.items():
        oracle = exactly(gradient.xreplace(values))
        ours = derive_gradient(training.first, key)
        if oracle == 0:
            zeros += 1
            assert ours == 0 and isinstance(ours, Fraction), f"{key}: {ours!r} where SymPy gives exactly 0"
            assert format_number(ours, 9).plain() == "0"
        else:
            with mp.workdps(60):
                assert abs(to_mp(ours) - to_mp(oracle)) <= abs(to_mp(oracle)) * mp.mpf(10) ** -40, (key, ours, oracle)
    event(f"{network.title}: {'some' if zeros else 'no'} exact zeros")


# ---------------------------------------------------------------- at the edges: saturation, kinks, clamps

SATURATED = [(activation, z) for activation in ("sigmoid", "tanh") for z in (50, -50, 800, -800)]


def edge(text: str) -> Network:
    return parse_spec(text, source="edge.toml", name="edge")


@pytest.mark.parametrize(("activation", "z"), SATURATED, ids=[f"{a}({z})" for a, z in SATURATED])
def test_a_saturated_neuron_matches_torch_float64(activation: str, z: int) -> None:
    """Where float64 rounds sigmoid(50) to 1 PyTorch's gradient is 0; derive's true one is within float64's absolute accuracy."""
    network = edge(one_neuron(activation, z, 0, 1, "0.5", steps=3))
    assert_json_matches_torch(network, document_json(network), abs_=1e-15)


def two_layers(activation: str, scale: int, steps: int = 3) -> str:
    """A 2-2-1 network whose first layer's net inputs are about +-scale."""
    return f"""\
[[layer]]
activation = "{activation}"
weight = [[{scale}, 0.5], [-{scale}, 0.25]]
bias = [0.1, -0.1]

[[layer]]
activation = "sigmoid"
weight = [[0.3, -0.2]]
bias = [0.05]

[data]
input = [[1, 0.5]]
target = [[0.75]]

[train]
lr = 0.5
steps = {steps}
"""


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("scale", [50, 800])
def test_a_saturated_hidden_layer_matches_torch_float64(activation: str, scale: int) -> None:
    network = edge(two_layers(activation, scale))
    assert_json_matches_torch(network, document_json(network), abs_=1e-15)


def exact_gradient(activation: str, z: int, target: str) -> mp.mpf:
    """dE/dw for E = (f(z) - t)^2 / 2 with input 1, at 120 digits."""
    with mp.workdps(120):
        z = mp.mpf(z)
        if activation == "sigmoid":
            out = 1 / (1 + mp.exp(-z))
            slope = mp.exp(-z) / (1 + mp.exp(-z)) ** 2
        else:
            out = mp.tanh(z)
            slope = 1 / mp.cosh(z) ** 2
        return (out - mp.mpf(target)) * slope


@pytest.mark.parametrize(("activation", "z"), [("sigmoid", 50), ("sigmoid", -50), ("sigmoid", 700),
                                               ("tanh", 50), ("tanh", -50), ("tanh", 100), ("tanh", -100)])
def test_a_saturated_gradient_is_the_exact_value_not_float64s_zero(activation: str, z: int) -> None:
    """float64 rounds sigmoid(50) to 1, so PyTorch's gradient is 0; the true one is 9.6e-23 (and
    1 - tanh^2 cancels to 0 beyond |z| of about 19, cosh^-2 does not)."""
    gradient = document_json(edge(one_neuron(activation, z, 0, 1, "0.5")))["steps"][0]["layers"][0]["grad_weight"][0][0]
    exact = float(exact_gradient(activation, z, "0.5"))
    assert gradient != 0.0
    assert close(gradient, exact, 1e-12, 0), (gradient, exact)


def test_adam_on_an_exactly_zero_gradient_keeps_the_parameter_where_float64_noise_moves_it() -> None:
    """0.1 + 0.2 is exactly 0.3, so the gradient is 0 and Adam's first step is 0. In float64 it is 5.6e-17,
    and Adam divides by its own size: PyTorch moves the weight by lr * g / (|g| + eps), about 5.6e-10.
    This is why the random comparisons leave out Adam on gradients of float64 noise (comparable_with_float64)."""
    network = make_network([make_layer("identity", [[0.1]], [0.2])], [[1]], [[0.3]], train=make_train("adam", lr="0.1"))
    training = train(network)
    assert training.first.grad_weights[0][0][0] == 0
    assert abs(to_mp(training.after_first.weights[0][0][0]) - mp.mpf("0.1")) < mp.mpf(10) ** -45  # Adam computes in 50 digits
    require_torch()
    from derive.verify.reference import torch_run

    reference = torch_run(network)
    moved = 0.1 - reference["final"]["layers"][0]["weight"][0][0]
    assert 1e-10 < moved < 1e-9 and not comparable_with_float64(network, training, reference)


def kinked_network(activation: str, steps: int) -> Network:
    """2-2-1: the first hidden neuron's net input is exactly 0 (0.5 * 0.5 - 1 * 0.25, also exact in float64)."""
    hidden = make_layer(activation, [[0.5, -1], [0.2, 0.3]], [0, 0.1], **({"negative_slope": "0.1"} if activation == "leaky_relu" else {}))
    output = make_layer("sigmoid", [[0.6, -0.4]], [0.2])
    return make_network([hidden, output], [[0.5, 0.25]], [[0.1]], train=make_train(steps=steps, lr="0.5"), name="kink")


@pytest.mark.parametrize("activation, slope", [("relu", Fraction(0)), ("leaky_relu", Fraction(1, 10))])
def test_the_derivative_at_a_kink_is_pytorchs_and_the_document_says_so(activation: str, slope: Fraction) -> None:
    network = kinked_network(activation, steps=3)
    training = train(network)
    sample = training.first.samples[0]
    assert sample.z[0][0] == 0
    assert sample.da_dz[0][0] == slope and sample.da_dz[0][1] == 1
    assert_json_matches_torch(network, training)
    markdown = Document(network).markdown()
    assert markdown.count("exactly 0") == 1  # only where it applies: the second neuron's net input is positive
    assert ("the negative slope" in markdown) == (activation == "leaky_relu")


def test_no_kink_note_away_from_zero() -> None:
    assert "exactly 0" not in Document(load("softmax-classifier")).markdown()


def bce_network(activation: str, weight: int, target: Fraction) -> Network:
    """One input of 1, one output neuron with net input ``weight``."""
    return make_network([make_layer(activation, [[weight]], [0])], [[1]], [[target]], "bce", make_train(lr="0.1"))


def torch_bce(output: float, target: float) -> tuple[float, float]:
    """nn.BCELoss and its gradient with respect to the output, straight from PyTorch."""
    torch = require_torch()
    a = torch.tensor([[output]], dtype=torch.float64, requires_grad=True)
    loss = torch.nn.BCELoss()(a, torch.tensor([[target]], dtype=torch.float64))
    loss.backward()
    return loss.item(), a.grad.item()


BCE_EDGES = [
    # (activation, net input, target): outputs exactly 0 or 1, or 1 to within 1e-300
    ("relu", -1, Fraction(3, 10)),  # output 0: log 0 is clamped at -100; ReLU stops the gradient
    ("relu", -1, Fraction(1)),
    ("relu", -1, Fraction(0)),
    ("relu", 1, Fraction(1)),  # output 1 with target 1: loss 0, gradient 0
    ("identity", 0, Fraction(0)),
    ("sigmoid", 800, Fraction(3, 10)),  # 1 - sigmoid(800) = e^-800: the log is clamped at -100 in any arithmetic
    ("sigmoid", -800, Fraction(3, 10)),
    ("sigmoid", 800, Fraction(1)),
]


@pytest.mark.parametrize("activation, z, target", BCE_EDGES)
def test_bce_at_outputs_zero_or_one_matches_nn_bceloss_and_says_so(activation: str, z: int, target: Fraction) -> None:
    network = bce_network(activation, z, target)
    training = train(network)
    loss, _ = torch_bce(to_float(training.first.samples[0].a[0][0]), float(target))
    assert close(to_float(training.first.loss), loss)
    assert_json_matches_torch(network, training)
    assert "clamps each log at -100" in Document(network).markdown()


@pytest.mark.parametrize("target", [Fraction(3, 10), Fraction(0)])
def test_bce_gradient_at_output_exactly_one_uses_torchs_float32_epsilon(target: Fraction) -> None:
    network = bce_network("relu", 1, target)  # output exactly 1, ReLU passes the gradient on
    training = train(network)
    _, gradient = torch_bce(1.0, float(target))
    assert close(to_float(training.first.samples[0].dE_da[0][0]), gradient)
    assert_json_matches_torch(network, training)


@pytest.mark.parametrize("z", [40, 50])
def test_bce_saturated_in_float64_follows_the_exact_values(z: int) -> None:
    """sigmoid(40) is exactly 1.0 in float64 but not in exact arithmetic, and derive computes exactly.

    derive applies nn.BCELoss's formulas (log clamped at -100, gradient denominator clamped at
    max(a(1 - a), 1e-12 as a float32)) to the exact output a = 1 - 4.2e-18: the loss is
    -log(1 - a) = log(1 + e^z), where PyTorch's float64 gets 100. The README documents this; --verify reports it.
    """
    training = train(bce_network("sigmoid", z, Fraction(0)))
    with mp.workdps(120):
        a = 1 / (1 + mp.exp(-z))
        # 1 - a cancels about z / 2.3 of the engine's 50 digits, so some 30 are left
        assert abs(to_mp(training.first.loss) - mp.log(1 + mp.exp(z))) < mp.mpf(10) ** -30
        epsilon = mp.mpf(BCE_EPSILON)
        slope = a / max(a * (1 - a), epsilon)
        assert abs(to_mp(training.first.samples[0].dE_da[0][0]) - slope) < mp.mpf(10) ** -25


def test_bce_without_clamp_has_no_clamp_note() -> None:
    network = bce_network("sigmoid", 1, Fraction(3, 10))
    assert "clamps each log" not in Document(network).markdown()
    assert_json_matches_torch(network)


# ---------------------------------------------------------------- published figures


def fixed(value, decimals: int) -> str:
    """A value rounded half-even to ``decimals`` places, from its 50-digit expansion."""
    exact = Decimal(mp.nstr(to_mp(value), 45, min_fixed=-mp.inf, max_fixed=mp.inf))
    return format(exact.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN), "f")


def classic_quantities(network: Network) -> dict[str, mp.mpf]:
    """The blog post's intermediate values, computed here by hand from the 2-2-2 network."""
    loss, symbols = composed_loss(network)
    values = oracle_values(network, symbols)
    with mp.workdps(50):
        lr = to_mp(network.train.optimizer.lr)
        (_, _), (hidden, output), total = mp_forward(network)
        targets = [to_mp(t) for t in network.data.targets[0]]
        w2 = [[to_mp(v) for v in row] for row in network.layers[1].weight]
        delta_o = [(o - t) * o * (1 - o) for o, t in zip(output, targets)]
        quantities = {
            "out_h1": hidden[0], "out_h2": hidden[1], "out_o1": output[0], "out_o2": output[1], "E_total": total,
            "dout_o1/dnet_o1": output[0] * (1 - output[0]),
            "delta_o1": delta_o[0],
            "dE/dout_h1": delta_o[0] * w2[0][0] + delta_o[1] * w2[1][0],
            "dout_h1/dnet_h1": hidden[0] * (1 - hidden[0]),
        }
        # w1..w8 in PyTorch row-major order, layer by layer; the post's biases are frozen.
        updated = {}
        for number, key in enumerate([key for key in parameter_keys(network) if key[1] == "weight"], start=1):
            gradient = to_mp(exact_at_60(sp.diff(loss, symbols[key]), values))
            updated[key] = to_mp(parameter_value(network, key)) - lr * gradient
            quantities[f"dE/dw{number}"] = gradient
            quantities[f"w{number}+"] = updated[key]
        quantities["E_total after"] = mp_forward(network, updated)[2]
    return quantities


# The blog post's figures (Mazur, "A Step by Step Backpropagation Example"), with the quantity each
# one is. The first ten are quoted in the brief; the rest are recomputed here before being trusted.
PUBLISHED = [
    ("0.593269992", "out_h1"), ("0.75136507", "out_o1"), ("0.298371109", "E_total"),
    ("0.186815602", "dout_o1/dnet_o1"), ("0.082167041", "dE/dw5"), ("0.35891648", "w5+"),
    ("0.036350306", "dE/dout_h1"), ("0.241300709", "dout_h1/dnet_h1"), ("0.000438568", "dE/dw1"),
    ("0.149780716", "w1+"), ("0.596884378", "out_h2"), ("0.772928465", "out_o2"), ("0.138498562", "delta_o1"),
    ("0.408666186", "w6+"), ("0.511301270", "w7+"), ("0.561370121", "w8+"), ("0.199561432", "w2+"),
    ("0.249751144", "w3+"), ("0.299502287", "w4+"),
]


@pytest.fixture(scope="module")
def classic_markdown() -> str:
    return rendered("mazur-classic")


@pytest.fixture(scope="module")
def classic_values() -> dict[str, mp.mpf]:
    return classic_quantities(load("mazur-classic"))


@pytest.mark.parametrize("figure, quantity", PUBLISHED)
def test_published_figure_is_right_and_in_the_classic_markdown(figure: str, quantity: str, classic_values: dict,
                                                               classic_markdown: str) -> None:
    decimals = len(figure.split(".")[1])
    assert fixed(classic_values[quantity], decimals) == figure, f"{quantity} is not {figure}"
    assert figure in classic_markdown, f"{quantity} = {figure} is not shown"


def test_classic_loss_after_update_is_the_exact_one_and_the_posts_is_quoted_as_the_posts(classic_values, classic_markdown) -> None:
    exact = fixed(classic_values["E_total after"], 10)
    assert exact in classic_markdown
    assert fixed(classic_values["E_total after"], 9) in classic_markdown  # at the document's precision
    # The post's 0.291027924 (from rounded intermediates) is quoted, but only as the post's, beside the exact one.
    quoted = [line for line in classic_markdown.splitlines() if "0.291027924" in line]
    assert quoted
    for line in quoted:
        assert re.search(r"post|report|published|Mazur", line, re.IGNORECASE), line
        assert exact in line or fixed(classic_values["E_total after"], 9) in line, line


def torch_print(tensor) -> str:
    """PyTorch's own default print of a tensor, without the dtype note, whitespace collapsed."""
    text = re.sub(r",\s*dtype=torch\.float64", "", str(tensor.detach()))
    return " ".join(text.split())


# What the seed script prints at PyTorch's default 4 decimals (run: python seed_net.py).
SEED_PRINTS = {
    "layer1.weight.grad": "tensor([[0.0004, 0.0009], [0.0005, 0.0010]])",
    "layer2.weight.grad": "tensor([[ 0.0822, 0.0827], [-0.0226, -0.0227]])",
    "layer1.weight": "tensor([[0.1498, 0.1996], [0.2498, 0.2995]])",
    "layer1.bias": "tensor([0.3456, 0.3450])",
    "layer2.weight": "tensor([[0.3589, 0.4087], [0.5113, 0.5614]])",
    "layer2.bias": "tensor([0.5308, 0.6190])",
    "output": "tensor([[0.7514, 0.7729]])",
    "loss": "tensor(0.2984)",
}


def test_seed_script_prints_appear_in_the_default_markdown() -> None:
    network = load("mazur")
    run = independent_torch(network)["tensors"]
    computed = {
        "output": torch_print(run["output"]),
        "loss": torch_print(run["loss"]),
        "layer1.weight.grad": torch_print(run["grads"][0]),
        "layer2.weight.grad": torch_print(run["grads"][1]),
        "layer1.weight": torch_print(run["weights"][0]),
        "layer1.bias": torch_print(run["biases"][0]),
        "layer2.weight": torch_print(run["weights"][1]),
        "layer2.bias": torch_print(run["biases"][1]),
    }
    assert computed == SEED_PRINTS  # the independent run reproduces what the seed script prints
    markdown = " ".join(Document(network).markdown().split())
    for label, printed in computed.items():
        # the listing names each tensor in a comment above it, as a script's print statements would
        comment = label if label in ("output", "loss") or label.endswith(".grad") else f"{label} after optimizer.step()"
        assert f"# {comment} {printed}" in markdown, f"# {comment} {printed} is not in the markdown"
