"""derive exercise: every blank of every sheet has its answer in the key and in answers.json, the answers agree
with PyTorch float64, and no blank's value shows anywhere on the sheet."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest

from conftest import net_id, out_id, parameter_ids, require_torch, torch_loss, unit_label
from derive.api import load
from derive.exercise.answers import answers_json
from derive.exercise.model import ExerciseOptions, build_exercise
from derive.exercise.render import key_markdown, sheet_markdown
from derive.exercise.variants import draw_variant
from derive.network import Network
from derive.render.numbers import format_number

SETS = [  # (spec, variant index or None, blanks)
    ("mazur", None, ("gradients", "updates")),
    ("mazur", None, ("all",)),
    ("mazur", 1, ("all",)),
    ("mazur", 2, ("forward", "deltas")),
    ("mazur-classic", None, ("all",)),
    ("mazur-classic", 3, ("loss", "gradients")),
    ("xor-tanh", 1, ("all",)),
    ("softmax-classifier", 1, ("gradients", "updates")),
]


def exercise_of(spec: str, index: int | None, blanks: tuple[str, ...], hints: bool = False, **options):
    network = load(spec)
    variant = None if index is None else draw_variant(network, 11, index, options.get("precision", 4))
    if variant is not None:
        network = variant.network
    return build_exercise(network, ExerciseOptions(blanks=blanks, hints=hints, **options), variant)


@pytest.fixture(scope="module", params=SETS, ids=[f"{s}-{i}-{'+'.join(b)}" for s, i, b in SETS])
def made(request):
    spec, index, blanks = request.param
    exercise = exercise_of(spec, index, blanks)
    return exercise, sheet_markdown(exercise), key_markdown(exercise), json.loads(answers_json(exercise))


def test_every_blank_has_a_box_and_an_answer_in_the_key_and_in_answers_json(made) -> None:
    exercise, sheet, key, answers = made
    assert exercise.blanks
    assert answers["blanks"] == list(exercise.blanks)
    for blank in exercise.blanks:
        tag = r"\texttt{" + blank.replace("_", r"\_") + "}"
        assert tag in sheet, f"{blank}: no box on the sheet"
        assert f"| `{blank}` |" in sheet and f"| `{blank}` |" in key, f"{blank}: not in the answers tables"
        entry = answers["answers"][blank]
        shown = format_number(exercise.answers[blank].value, exercise.options.precision)
        assert entry["shown"] == shown.plain()
        assert entry["tolerance"] > 0
        row = next(line for line in key.splitlines() if line.startswith(f"| `{blank}` |"))
        assert shown.mantissa in row


def test_the_key_boxes_the_answers_it_derives_line_by_line(made) -> None:
    exercise, _, key, _ = made
    lines = {e.quantity for s in exercise.derivation.sections for b in s.blocks for e in b.equations}
    boxed = re.findall(r"\\boxed\{([^}]*)\}", key)
    for blank in exercise.blanks:
        if blank in lines:
            shown = format_number(exercise.answers[blank].value, exercise.options.precision)
            assert any(shown.mantissa in box for box in boxed), f"{blank}: not boxed in the key"


def test_no_blank_value_shows_on_the_sheet(made) -> None:
    """The sheet shows no rounded value at all, and none of a blank's digits (three or more significant ones)."""
    exercise, sheet, _, _ = made
    assert r"\approx" not in sheet
    for blank in exercise.blanks:
        for precision in (exercise.options.precision, 9):
            digits = format_number(exercise.exact.quantities[blank].value, precision).mantissa.lstrip("-")
            if len(digits.replace(".", "").lstrip("0")) >= 3:
                assert digits not in sheet, f"{blank}'s value {digits} shows on the sheet"
    for word in ("PyTorch", "Summary", "After the update"):
        assert word not in sheet


def test_with_hints_the_sheet_keeps_the_formulas_and_still_no_value() -> None:
    exercise = exercise_of("mazur", 4, ("all",), hints=True)
    sheet = sheet_markdown(exercise)
    assert r"\delta_{o1} \cdot \mathit{out}_{h1} = \boxed" in sheet
    assert r"\approx" not in sheet
    plain = sheet_markdown(exercise_of("mazur", 4, ("all",)))
    assert r"\delta_{o1} \cdot \mathit{out}_{h1}" not in plain


# ---------------------------------------------------------------- PyTorch float64 as the oracle


ACTIVATIONS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "identity": None}


def torch_values(network: Network) -> dict[str, float]:
    """net, out, dE/dout and delta of every neuron, E, every gradient, every parameter after one SGD step and the
    loss after it, by the contract's IDs, from PyTorch float64 autograd (first batch, plain SGD's first step)."""
    torch = require_torch()
    scheme = "mazur" if len(network.layers) <= 2 else "indexed"
    ids = parameter_ids(network, scheme)
    rows = range(len(network.batches()[0]))
    suffix = (lambda s: f"@{s + 1}") if network.data.batch_size > 1 else (lambda s: "")
    x = torch.tensor([[float(v) for v in network.data.inputs[s]] for s in rows], dtype=torch.float64)
    if network.data.targets_are_indices:
        y = torch.tensor([network.data.targets[s] for s in rows])
    else:
        y = torch.tensor([[float(v) for v in network.data.targets[s]] for s in rows], dtype=torch.float64)
    weights, biases = [], []
    for layer in network.layers:
        weights.append(torch.tensor([[float(v) for v in row] for row in layer.weight], dtype=torch.float64, requires_grad=True))
        bias = layer.bias
        biases.append(None if bias is None else torch.tensor(
            [float(v) for v in bias] if isinstance(bias, tuple) else float(bias), dtype=torch.float64,
            requires_grad=layer.train_bias))

    def forward(ws, bs, keep=False):
        a, zs, outs = x, [], []
        for layer, w, b in zip(network.layers, ws, bs):
            z = a @ w.T + (b if b is not None else 0)
            name = ACTIVATIONS[layer.activation.name]
            a = getattr(torch, name)(z) if name else z
            if keep:
                z.retain_grad()
                a.retain_grad()
            zs.append(z)
            outs.append(a)
        return zs, outs, torch_loss(network.loss.name, a, y)

    zs, outs, loss = forward(weights, biases, keep=True)
    loss.backward(retain_graph=True)
    for tensor in zs + outs:
        tensor.grad = tensor.grad.clone()  # kept apart from the slopes' own backward pass below
    upstream = [(z.grad, a.grad) for z, a in zip(zs, outs)]
    slopes = [torch.autograd.grad(a.sum(), z, retain_graph=True)[0] for a, z in zip(outs, zs)]
    for (z_grad, a_grad), z, a in zip(upstream, zs, outs):
        z.grad, a.grad = z_grad, a_grad
    values = {"E": loss.item()}
    incoming = [x] + outs[:-1]
    for l, layer in enumerate(network.layers):
        for j in range(layer.out_features):
            label = unit_label(network, l, j, scheme)
            delta = f"delta_{label}" if scheme == "mazur" else f"delta{label}"
            slope = f"dout_dnet_{label}" if scheme == "mazur" else f"da_dz{label}"
            for s in rows:
                values[net_id(network, l, j, scheme) + suffix(s)] = zs[l][s, j].item()
                values[out_id(network, l, j, scheme) + suffix(s)] = outs[l][s, j].item()
                values["dE_d" + out_id(network, l, j, scheme) + suffix(s)] = outs[l].grad[s, j].item()
                values[delta + suffix(s)] = zs[l].grad[s, j].item()
                values[slope + suffix(s)] = slopes[l][s, j].item()
                if l + 1 < len(network.layers):  # each path of a hidden output: delta_k w_kj
                    for k in range(network.layers[l + 1].out_features):
                        via = unit_label(network, l + 1, k, scheme)
                        path = (f"dE_{via}_dout_{label}" if scheme == "mazur"  # Mazur's dE_o1/dout_h1
                                else f"dE_d{out_id(network, l, j, scheme)}_via_{via}") + suffix(s)
                        values[path] = (zs[l + 1].grad[s, k] * weights[l + 1][k, j]).item()
    if network.data.batch_size > 1:  # each sample's share of a gradient: its delta times what the parameter multiplies
        for (l, kind, j, k), key in ids.items():
            for s in rows:
                deltas = zs[l].grad[s]
                share = deltas.sum() if j is None else deltas[j] * (incoming[l][s, k] if kind == "weight" else 1)
                values[f"grad_{key}{suffix(s)}"] = float(share.detach())
    lr = float(network.train.optimizer.lr)
    new_weights, new_biases = [], []
    for (l, kind, j, k), key in ids.items():
        tensor = weights[l] if kind == "weight" else biases[l]
        if tensor.grad is None:
            continue
        gradient = tensor.grad[j, k] if kind == "weight" else (tensor.grad if j is None else tensor.grad[j])
        value = tensor[j, k] if kind == "weight" else (tensor if j is None else tensor[j])
        values["grad_" + key] = gradient.item()
        values["buf_" + key] = gradient.item()  # momentum's buffer at the first step is the gradient
        values["new_" + key] = (value - lr * gradient).item()
    with torch.no_grad():
        for w in weights:
            new_weights.append(w - lr * w.grad)
        for b in biases:
            new_biases.append(None if b is None else (b - lr * b.grad if b.grad is not None else b))
        values["E_after"] = forward(new_weights, new_biases)[2].item()
    return values


def test_the_answers_agree_with_pytorch_float64(made) -> None:
    exercise, _, _, answers = made
    reference = torch_values(exercise.network)
    compared = 0
    for blank, entry in answers["answers"].items():
        if blank in reference:
            assert entry["exact"] == pytest.approx(reference[blank], rel=1e-9, abs=1e-12), blank
            compared += 1
            if exercise.options.rounding == "exact":
                assert entry["value"] == entry["exact"]
    kinds = {exercise.exact.quantities[b].kind for b in exercise.blanks if b not in reference}
    assert kinds <= {"term", "loss", "softmax", "cross_entropy"}, f"blanks of kinds {kinds} not compared"


def test_the_tolerance_accepts_the_exact_and_the_carried_value() -> None:
    exercise = exercise_of("mazur", 5, ("all",))
    for answer in exercise.answers.values():
        exact = Fraction(answer.exact) if isinstance(answer.exact, Fraction) else Fraction(str(answer.exact))
        assert abs(answer.carry - exact) <= answer.tolerance
        assert answer.tolerance >= Fraction(1, 2 * 10**4)
