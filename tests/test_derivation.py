"""derive.derivation: the graph, the quantities by ID (design.md's contract), and the sections built from them.

Every value a derivation shows is checked against PyTorch float64 (and the matrix form against the
matrix algebra it states, computed here with numpy); the IDs are written out here from design.md's
"Quantity IDs" table, not asked of derive.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings

from conftest import (
    assert_json_matches_torch, close, default_scheme, derive_payload, first_batch, make_train, net_id, out_id, parameter_ids, random_network, random_networks,
    require_numpy, require_torch, sample_suffix, slot_value, trained_beside_torch, trained_slots, with_data, with_loss,
    with_train,
)
from derive.api import Document, load
from derive.derivation import derive_document, quantities_of
from derive.derivation.graph import build_graph
from derive.derivation.nodes import MatrixOp, MatrixShape, Partial, Transposed
from derive.engine.arithmetic import to_float
from derive.engine.training import train
from derive.errors import UsageError
from derive.network import Network
from derive.options import Options
from derive.render.numbers import format_number
from derive.render.printer import latex_number


def derivation_of(network: Network, **options):
    return derive_document(network, train(network), **options)


def equations(derivation, key_prefix: str = ""):
    for section in derivation.sections:
        if section.key.startswith(key_prefix):
            for block in section.blocks:
                for equation in block.equations:
                    yield section, equation


# ---------------------------------------------------------------- the graph


def test_the_graph_has_every_parameter_and_the_nets_local_derivatives() -> None:
    network = random_network(3, [3, 4, 2], ["shared", "frozen"])
    graph = build_graph(network)
    slots = [(p.slot.layer, p.slot.kind, p.slot.row, p.slot.column) for p in graph.parameters]
    assert sorted(slots, key=repr) == sorted(parameter_ids(network), key=repr)
    weights = [slot for slot in slots if slot[1] == "weight"]
    assert weights == [slot for slot in parameter_ids(network) if slot[1] == "weight"]  # row-major, layer by layer
    assert [p.trained for p in graph.parameters] == [slot in trained_slots(network) for slot in slots]
    assert [len(layer) for layer in graph.layers] == [4, 2]
    shared = next(p for p in graph.parameters if p.slot.kind == "bias" and p.slot.row is None)
    assert graph.consumers(shared) == graph.layers[0]  # a shared bias feeds every neuron of its layer
    for unit in graph.units():
        for symbol in unit.net.free_symbols:
            assert graph.local_derivative(unit.net, symbol) == sp.diff(unit.net, symbol)
        assert unit.out_expression == network.layers[unit.layer].activation.expression(unit.z)


# ---------------------------------------------------------------- quantity IDs (design.md)


ID_CASES = {
    "mazur (per-neuron biases)": (lambda: load("mazur"), None),
    "mazur-classic (shared biases)": (lambda: load("mazur-classic"), None),
    "mazur, indexed": (lambda: load("mazur"), "indexed"),
    "three layers, every bias kind": (lambda: random_network(5, [2, 3, 2, 2], ["shared", "none", "frozen"]), None),
    "one layer": (lambda: random_network(4, [2, 2]), None),
    "xor-tanh (a batch of 4)": (lambda: load("xor-tanh"), None),
}


@pytest.mark.parametrize("case", sorted(ID_CASES))
def test_quantity_ids_follow_the_contract_and_their_values_are_pytorchs(case: str) -> None:
    make, notation = ID_CASES[case]
    network = make()
    quantities = quantities_of(network, train(network), notation)
    scheme = notation or default_scheme(network)
    ids = parameter_ids(network, scheme)
    assert all(key.isascii() and " " not in key for key in quantities)  # usable as TOML keys
    for slot, key in ids.items():
        assert key in quantities
        assert ("grad_" + key in quantities) == ("new_" + key in quantities) == (slot in trained_slots(network))
    for row in first_batch(network):
        for l, layer in enumerate(network.layers):
            for j in range(layer.out_features):
                assert net_id(network, l, j, scheme) + sample_suffix(network, row) in quantities
                assert out_id(network, l, j, scheme) + sample_suffix(network, row) in quantities
    assert {"E", "E_after", "lr"} <= set(quantities)
    if network.data.batch_size > 1:
        assert "out_h1@2" in quantities and "out_h1" not in quantities
    assert_json_matches_torch(network, derive_payload(network, notation=notation), notation=notation)


def test_the_seed_ids_are_the_posts_names() -> None:
    ids = parameter_ids(load("mazur"))
    assert list(ids.values()) == ["w1", "w2", "w3", "w4", "b_h1", "b_h2", "w5", "w6", "w7", "w8", "b_o1", "b_o2"]
    assert list(parameter_ids(load("mazur-classic")).values()) == ["w1", "w2", "w3", "w4", "b1", "w5", "w6", "w7", "w8", "b2"]
    assert set(quantities_of(load("mazur"), train(load("mazur")))) >= set(ids.values())
    assert parameter_ids(load("mazur"), "indexed")[(1, "weight", 0, 1)] == "w2_1_2"
    quantities = quantities_of(load("mazur"), train(load("mazur")))
    for key in ("i1", "target_o1", "net_h1", "out_o2", "E_o1", "E", "delta_o1", "dE_dout_h1", "grad_w5", "new_w5", "E_after"):
        assert key in quantities, key
    indexed = quantities_of(load("mazur"), train(load("mazur")), "indexed")
    for key in ("x1", "y1", "z1_2", "a2_1", "E_1", "delta2_1", "dE_da1_2", "grad_w2_1_2", "new_b1_2"):
        assert key in indexed, key


# ---------------------------------------------------------------- --only and the notation


def gradient_lhs(derivation) -> set:
    graph = derivation.graph
    symbols = {p.symbol for p in graph.parameters}
    return {
        equation.lhs.denominator
        for section, equation in equations(derivation, "backward")
        if isinstance(equation.lhs, Partial) and equation.lhs.numerator == graph.loss_total and equation.lhs.denominator in symbols
    }


def batch_gradient_table(derivation):
    """The batch section's table of gradients: a row per trained parameter, its sum last."""
    return next(s for s in derivation.sections if s.key == "batch").tables[0]


@pytest.mark.parametrize(
    "name, only, notation",
    [("mazur", ("w5", "b_h1"), None), ("mazur", ("w1",), None), ("mazur", ("w2_1_2", "b1_1"), "indexed"),
     ("mazur-classic", ("w8",), None), ("xor-tanh", ("w6", "b_h1"), None)],
)
def test_only_derives_the_chosen_parameters_and_lists_all_in_the_summary(name: str, only, notation) -> None:
    network = load(name)
    training = train(network)
    derivation = derive_document(network, training, notation, only=only)
    full = derive_document(network, training, notation)
    by_id = {key: slot for slot, key in parameter_ids(network, notation or default_scheme(network)).items()}
    chosen = {p.symbol for p in derivation.graph.parameters if (p.slot.layer, p.slot.kind, p.slot.row, p.slot.column)
              in {by_id[key] for key in only}}
    derived = gradient_lhs(derivation) if network.data.batch_size == 1 else {
        row[0].expr for row in batch_gradient_table(derivation).rows}
    assert derived == chosen
    updates = {e.lhs for _, e in equations(derivation, "update") if e.quantity and e.quantity.startswith("new_")}
    assert updates == {derivation.graph.updated[symbol] for symbol in chosen}
    summary = next(s for s in derivation.sections if s.key == "summary")
    assert len(summary.tables[0].rows) == len(derivation.graph.parameters)
    assert derivation.quantities.values_by_id() == full.quantities.values_by_id()  # the same numbers either way
    markdown = Document(network, Options(notation=notation, only=only)).markdown()
    assert len(markdown) < len(Document(network, Options(notation=notation)).markdown())


def test_only_an_unknown_id_is_a_usage_error_with_the_near_miss() -> None:
    with pytest.raises(UsageError, match=r"--only: no parameter named 'b_h3' \(did you mean 'b_h2'\?\); the parameters are w1, w2, b_h1"):
        derivation_of(load("mazur"), only=("b_h3",))
    with pytest.raises(UsageError, match="no parameter named 'b1'"):  # per-neuron biases are b_h1 ... in Mazur notation
        derivation_of(load("mazur"), only=("b1",))


@pytest.mark.parametrize(
    "make, notation, input_name, weight_name",
    [
        (lambda: load("mazur"), None, "i_{1}", "w_{5}"),
        (lambda: load("mazur"), "mazur", "i_{1}", "w_{5}"),
        (lambda: load("mazur"), "indexed", "x_{1}", "w^{(2)}_{11}"),
        (lambda: random_network(3, [2, 2, 2, 2]), None, "x_{1}", "w^{(2)}_{11}"),
        (lambda: random_network(3, [2, 2]), None, "i_{1}", "w_{1}"),
    ],
)
def test_the_notation_by_default_and_by_choice(make, notation, input_name: str, weight_name: str) -> None:
    markdown = Document(make(), Options(notation=notation)).markdown()
    assert input_name in markdown and weight_name in markdown


def test_mazur_notation_refuses_deep_networks() -> None:
    with pytest.raises(UsageError, match="--notation indexed"):
        derivation_of(random_network(3, [2, 2, 2, 2]), notation="mazur")


# ---------------------------------------------------------------- every derived value against PyTorch


def expected_values(derivation, reference: dict):
    """Every lhs a scalar derivation may derive, mapped to PyTorch's number as a function of the equation's sample."""
    graph = derivation.graph
    steps = reference["steps"]
    first = steps[0]["layers"]
    after = steps[1]["layers"] if len(steps) > 1 else reference["final"]["layers"]
    expected = {graph.loss_total: lambda s: steps[0]["loss"]}
    for unit in graph.units():
        expected[unit.z] = lambda s, l=unit.layer, j=unit.index: first[l]["z"][s][j]
        expected[unit.a] = lambda s, l=unit.layer, j=unit.index: first[l]["a"][s][j]
    for parameter in graph.parameters:
        if parameter.trained:
            slot = (parameter.slot.layer, parameter.slot.kind, parameter.slot.row, parameter.slot.column)
            gradient, updated = slot_value(first, slot, "grad_"), slot_value(after, slot)
            expected[Partial(graph.loss_total, parameter.symbol)] = lambda s, v=gradient: v
            expected[graph.updated[parameter.symbol]] = lambda s, v=updated: v
    return expected


def check_against_torch(derivation, reference: dict) -> int:
    """Compare every mapped equation's value with PyTorch's; return how many were compared."""
    expected = expected_values(derivation, reference)
    compared = 0
    for section, equation in equations(derivation):
        if equation.quantity is None or equation.lhs not in expected:
            continue
        value = to_float(derivation.quantities[equation.quantity].value)
        theirs = expected[equation.lhs](equation.scope)
        assert close(value, theirs), f"section {section.key}: {equation.lhs} = {value!r}, torch {theirs!r}"
        compared += 1
    if any(section.key == "batch" for section in derivation.sections):  # the batch gradients are a table's last column
        for row in batch_gradient_table(derivation).rows:
            value = to_float(derivation.quantities[row[-1].quantity].value)
            theirs = expected[Partial(derivation.graph.loss_total, row[0].expr)](None)
            assert close(value, theirs), f"batch gradient {row[0].expr} = {value!r}, torch {theirs!r}"
            compared += 1
    return compared


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(random_networks(max_depth=3, max_width=3, max_batch=3, max_steps=3))
def test_every_derived_value_of_random_networks_equals_torch(network: Network) -> None:
    require_torch()
    training, reference = trained_beside_torch(network)
    derivation = derive_document(network, training)
    compared = check_against_torch(derivation, reference)
    # every neuron of the detailed samples (z and a), the loss, every trained parameter's gradient and update
    detailed = min(len(training.first.batch), 2)
    trained = sum(1 for p in derivation.graph.parameters if p.trained)
    assert compared >= 2 * sum(network.widths[1:]) * detailed + 2 * trained + 1


# ---------------------------------------------------------------- mini-batches


def batch_network(batch: int) -> Network:
    inputs = [[Fraction(s + 1, 10), Fraction(-s, 7)] for s in range(batch)]
    targets = [[Fraction(s % 3, 3), Fraction(1, 2)] for s in range(batch)]
    return with_loss(with_data(random_network(21, [2, 2, 2]), inputs, targets), "mse")


@pytest.mark.parametrize("batch", [1, 3, 7])
def test_a_batch_derives_the_first_samples_then_sums_every_samples_share(batch: int) -> None:
    network = batch_network(batch)
    training = train(network)
    derivation = derive_document(network, training)
    keys = [section.key for section in derivation.sections]
    detailed = min(batch, 2)
    assert [k for k in keys if k.startswith("forward-")] == [f"forward-{s}" for s in range(detailed)]
    assert [k for k in keys if k.startswith("backward-")] == [f"backward-{s}" for s in range(detailed)]
    assert ("batch" in keys) == (batch > 1)
    require_torch()
    from derive.verify.reference import torch_run

    reference = torch_run(network)
    assert check_against_torch(derivation, reference) > 0
    if batch == 1:
        return
    quantities = derivation.quantities
    ids = parameter_ids(network)
    section = derivation.sections[keys.index("batch")]
    table = batch_gradient_table(derivation)
    assert sorted(row[-1].quantity for row in table.rows) == sorted("grad_" + ids[slot] for slot in trained_slots(network))
    if batch <= 4:  # a few samples: each share is a column before the sum
        gradient = table.rows[0][-1].quantity
        assert [cell.quantity for cell in table.rows[0][1:-1]] == [f"{gradient}@{s + 1}" for s in range(batch)]
    for slot in trained_slots(network):
        # the batch gradient is the sum of the samples' shares, for every sample, derived in full or not
        shares = [to_float(quantities[f"grad_{ids[slot]}@{s + 1}"].value) for s in range(batch)]
        assert close(sum(shares), slot_value(reference["steps"][0]["layers"], slot, "grad_"))
    rest = section.tables[1:]
    assert bool(rest) == (batch > detailed)
    if rest:  # one row per neuron of every sample not derived in full, samples in order
        units = sum(network.widths[1:])
        assert [row[0] for row in rest[0].rows] == [s + 1 for s in range(detailed, batch) for _ in range(units)]
        for row in rest[0].rows:
            sample, z_id = row[0], row[2].quantity
            assert z_id.endswith(f"@{sample}")
    markdown = Document(network).markdown()
    assert "## The batch gradient" in markdown
    assert f"## The forward pass, sample {detailed}" in markdown and f"## The forward pass, sample {detailed + 1}" not in markdown


# ---------------------------------------------------------------- the matrix form


def matrix_of(expr, quantities):
    """The numbers a matrix-form expression stands for, computed with numpy (None where a matrix is only a shape)."""
    np = require_numpy()
    if isinstance(expr, MatrixShape):
        return None
    if isinstance(expr, sp.MatrixBase):
        return np.array([[to_float(quantities[entry.quantity].value) for entry in row] for row in expr.tolist()])
    if isinstance(expr, Transposed):
        inner = matrix_of(expr.args[0], quantities)
        return None if inner is None else inner.T
    parts = [matrix_of(e, quantities) for e in (expr.operands if isinstance(expr, MatrixOp) else expr.args)]
    if any(part is None for part in parts):
        return None
    if isinstance(expr, sp.Add):
        return sum(parts[1:], parts[0])  # a bias column broadcasts over the batch
    if expr.operation == "hadamard":
        return parts[0] * parts[1]
    result = parts[0]
    for part in parts[1:]:
        result = result @ part
    return result


MATRIX_NETWORKS = {
    "mazur": lambda: load("mazur"),
    "mazur-classic": lambda: load("mazur-classic"),
    "xor-tanh (batch 4)": lambda: load("xor-tanh"),
    "softmax-classifier": lambda: load("softmax-classifier"),
    "shared trained bias, 3 layers": lambda: with_data(random_network(5, [2, 3, 2, 2], ["shared", "none", "frozen"]),
                                                       [[0.5, -0.2], [0.3, 0.7]], [[0.1, 0.9], [0.5, 0]]),
}


@pytest.mark.parametrize("name", sorted(MATRIX_NETWORKS))
def test_the_matrix_form_states_true_matrix_equations_over_the_scalar_chains_quantities(name: str) -> None:
    network = MATRIX_NETWORKS[name]()
    training = train(network)
    matrix = derive_document(network, training, style="matrix")
    scalar = derive_document(network, training)
    keys = [section.key for section in matrix.sections]
    assert "matrix-forward" in keys and "matrix-backward" in keys
    assert not any(key.startswith(("forward-", "backward-")) for key in keys)
    quantities = matrix.quantities
    np = require_numpy()
    checked = 0
    for section in matrix.sections:
        if not section.key.startswith("matrix"):
            continue
        for block in section.blocks:
            rows = block.equations
            for equation, result in zip(rows, rows[1:]):
                # "lhs = formula = numbers" followed by "lhs = the resulting matrix"
                if equation.numbers is None or result.forms or result.lhs != equation.lhs:
                    continue
                computed, shown = matrix_of(equation.numbers, quantities), matrix_of(result.numbers, quantities)
                if computed is None or shown is None:
                    continue
                assert computed.shape == shown.shape
                assert np.allclose(computed, shown, rtol=1e-12, atol=1e-15), (section.key, equation.lhs)
                checked += 1
    assert checked >= 2 * len(network.layers)  # Z = W A + b per layer, delta and dE/dW per layer
    # the matrices are laid out units x samples, over the same quantities as the scalar chains
    z1 = next(e for _, e in equations(matrix, "matrix-forward") if not e.forms)
    if isinstance(z1.numbers, sp.MatrixBase):
        scheme = default_scheme(network)
        for j, row in enumerate(z1.numbers.tolist()):
            for s, entry in enumerate(row):
                assert entry.quantity == net_id(network, 0, j, scheme) + sample_suffix(network, s)
    assert matrix.quantities.values_by_id() == scalar.quantities.values_by_id()
    # the rendered numbers agree: every gradient printed in the scalar summary is printed in the matrix form
    scalar_text = Document(network).markdown()
    matrix_text = Document(network, Options(style="matrix")).markdown()
    for slot in trained_slots(network):
        printed = latex_number(format_number(quantities["grad_" + parameter_ids(network)[slot]].value, 9))
        assert printed in scalar_text and printed in matrix_text, (slot, printed)


# ---------------------------------------------------------------- the update, derived with the optimizer's rule


UPDATE_TRAINS = {
    "sgd": make_train("sgd", lr="0.5"),
    "sgd, weight decay": make_train("sgd", lr="0.5", weight_decay="0.01"),
    "sgd, momentum": make_train("sgd", steps=3, lr="0.5", momentum="0.9"),
    "sgd, momentum and weight decay": make_train("sgd", steps=3, lr="0.5", momentum="0.9", weight_decay="0.01"),
    "adam": make_train("adam", steps=3, lr="0.1"),
    "adam, betas, eps, weight decay": make_train("adam", steps=3, lr="0.05", betas=("0.8", "0.99"), eps="0.000001",
                                                 weight_decay="0.1"),
}


@pytest.mark.parametrize("name", sorted(UPDATE_TRAINS))
def test_the_first_update_is_derived_with_the_optimizers_intermediate_values(name: str) -> None:
    network = dataclasses.replace(load("mazur"), train=UPDATE_TRAINS[name])
    optimizer = network.train.optimizer
    require_torch()
    from derive.verify.reference import torch_run

    reference = torch_run(network)
    derivation = derivation_of(network)
    quantities = derivation.quantities
    after = reference["steps"][1]["layers"] if network.updates > 1 else reference["final"]["layers"]
    beta1, beta2 = (float(b) for b in getattr(optimizer, "betas", (0, 0)))
    decay = float(optimizer.weight_decay)
    shown = {e.quantity for _, e in equations(derivation, "update")}
    for slot, key in parameter_ids(network).items():
        gradient = slot_value(reference["steps"][0]["layers"], slot, "grad_")
        effective = gradient + decay * float(slot_value(reference["steps"][0]["layers"], slot))
        expected = {"new": slot_value(after, slot)}
        if decay:
            expected["g"] = effective
        if optimizer.name == "adam":
            m, v = (1 - beta1) * effective, (1 - beta2) * effective**2
            expected.update(m=m, v=v, mhat=m / (1 - beta1), vhat=v / (1 - beta2))
        elif optimizer.momentum:
            expected["buf"] = effective  # torch.optim.SGD stores the gradient itself at the first step
        for state, value in expected.items():
            assert f"{state}_{key}" in shown, (state, key)
            assert close(to_float(quantities[f"{state}_{key}"].value), value), (state, key)
    markdown = Document(network).markdown()
    if optimizer.name == "adam":
        for fragment in (r"\hat{m}_{p}", r"\hat{v}_{p}", "m_{w_{1}} &", "v_{w_{1}} &", r"\beta_{1}", r"\epsilon"):
            assert fragment in markdown, fragment
    elif optimizer.momentum:  # the rule once in symbols, then each parameter's buffer
        assert r"p^{+} &= p - \eta \cdot v_{p}" in markdown and "v_{w_{1}} &" in markdown
    if decay:
        assert r"\lambda" in markdown


RMSPROP_VARIANTS = [{}, {"momentum": 0.9}, {"centered": True}, {"weight_decay": 0.01},
                    {"centered": True, "momentum": 0.5, "weight_decay": 0.01, "alpha": 0.8, "eps": 1e-6}]


@pytest.mark.parametrize("settings", RMSPROP_VARIANTS, ids=lambda s: ",".join(s) or "plain")
def test_rmsprops_shown_states_are_torch_optims_buffers_after_the_first_step(settings: dict) -> None:
    """v, the centred average g-bar and the momentum buffer of a parameter equal torch.optim.RMSprop's state."""
    torch = require_torch()
    network = load({
        "layer": [{"activation": "sigmoid", "weight": [[0.15, 0.2], [0.25, 0.3]], "bias": [0.35, 0.35]},
                  {"activation": "sigmoid", "weight": [[0.4, 0.45], [0.5, 0.55]], "bias": 0.6}],
        "data": {"input": [[0.05, 0.1], [0.5, -0.2]], "target": [[0.01, 0.99], [0.7, 0.1]]},
        "train": {"optimizer": "rmsprop", "lr": 0.01, "steps": 1, **settings},
    })
    quantities = Document(network).quantities
    double = torch.float64
    hidden = torch.tensor([[0.15, 0.2], [0.25, 0.3]], dtype=double, requires_grad=True)
    bias_hidden = torch.tensor([0.35, 0.35], dtype=double, requires_grad=True)
    weight = torch.tensor([[0.4, 0.45], [0.5, 0.55]], dtype=double, requires_grad=True)
    bias_out = torch.tensor(0.6, dtype=double, requires_grad=True)
    optimizer = torch.optim.RMSprop([hidden, bias_hidden, weight, bias_out], lr=0.01, **settings)
    x = torch.tensor([[0.05, 0.1], [0.5, -0.2]], dtype=double)
    y = torch.tensor([[0.01, 0.99], [0.7, 0.1]], dtype=double)
    output = torch.sigmoid(torch.sigmoid(x @ hidden.T + bias_hidden) @ weight.T + bias_out)
    (((output - y) ** 2).sum() / 2).backward()
    optimizer.step()
    state = optimizer.state[weight]
    assert close(quantities["v_w5"], state["square_avg"][0][0].item(), 1e-12)
    if settings.get("centered"):
        assert close(quantities["gavg_w5"], state["grad_avg"][0][0].item(), 1e-12)
    if settings.get("momentum"):
        assert close(quantities["buf_w5"], state["momentum_buffer"][0][0].item(), 1e-12)
    assert close(quantities["new_w5"], weight[0][0].item(), 1e-12) and close(quantities["new_b1"], bias_out.item(), 1e-12)


# ---------------------------------------------------------------- the loss: softmax cross-entropy, and the trace


@pytest.mark.parametrize("targets", [[2, 0], [[0.25, 0.25, 0.5], [1, 0, 0]]], ids=["indices", "probabilities"])
def test_cross_entropy_derives_the_softmax_jacobian_and_pytorchs_output_gradient(targets) -> None:
    torch = require_torch()
    network = with_train(with_loss(load("softmax-classifier"), "cross_entropy", targets), steps=3)
    derivation = derivation_of(network)
    titles = [block.title for section in derivation.sections for block in section.blocks]
    assert any(title and title[0].key == "loss.softmax_title" for title in titles)
    markdown = Document(network).markdown()
    assert r"\frac{\partial p_{k}}{\partial \mathit{out}_{j}} &= p_{k} \cdot \left(\delta_{j k} - p_{j}\right)" in markdown
    assert r"= p_{j} - y_{j}" in markdown
    reference = assert_json_matches_torch(network)
    # dE/d(out_oj) of each sample, against autograd through nn.CrossEntropyLoss on PyTorch's own logits
    logits = torch.tensor(reference["steps"][0]["layers"][-1]["a"], dtype=torch.float64, requires_grad=True)
    target = torch.tensor(targets) if isinstance(targets[0], int) else torch.tensor(targets, dtype=torch.float64)
    torch.nn.CrossEntropyLoss()(logits, target).backward()
    for s, row in enumerate(logits.grad.tolist()):
        for j, gradient in enumerate(row):
            assert close(to_float(derivation.quantities[f"dE_dout_o{j + 1}@{s + 1}"].value), gradient)


def test_a_long_run_ends_with_a_trace_of_log_spaced_steps_and_a_loss_curve() -> None:
    network = with_train(load("mazur"), steps=1000)
    derivation = derivation_of(network)
    trace = next(section for section in derivation.sections if section.key == "trace")
    shown = [row[0] for row in trace.tables[0].rows[:-1]]
    assert shown[:5] == [1, 2, 3, 4, 5] and {10, 100, 1000} <= set(shown)
    assert shown == sorted(shown) and len(shown) < 20
    assert trace.chart.steps[0] == 1 and trace.chart.steps[-1] == 1001 and len(trace.chart.steps) <= 130
    history = train(network).loss_history
    for step, loss in zip(trace.chart.steps, trace.chart.losses):
        if step <= 1000:
            assert loss == to_float(history[step - 1])
    assert "pgfplots" in Document(network).latex()
