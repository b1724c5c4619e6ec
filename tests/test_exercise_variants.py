"""Seeded variants: hand-friendly numbers from the [exercise] grids, never dull, the same on every run and machine."""

from __future__ import annotations

import math
import random
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import files_in, run_cli, run_derive
from derive.api import load
from derive.exercise.dull import dull_reasons, is_dull
from derive.exercise.variants import redrawn, target_grid, draw_variant, draw_variants, settings_of
from derive.network import Network

PRECISION = 4


def forward_backward(network: Network) -> tuple[list, list, list]:
    """z and a of every layer, and every trained parameter's gradient, in plain float64 (the test's own
    sigmoid network with half the sum of squared errors, one sample), independent of derive's engine."""
    x = [float(v) for v in network.data.inputs[0]]
    zs, outs = [], [x]
    for layer in network.layers:
        z = [sum(float(w) * a for w, a in zip(row, outs[-1])) + float(layer.bias[j]) for j, row in enumerate(layer.weight)]
        zs.append(z)
        outs.append([1 / (1 + math.exp(-v)) for v in z])
    target = [float(t) for t in network.data.targets[0]]
    delta = [(a - t) * a * (1 - a) for a, t in zip(outs[-1], target)]
    gradients = []
    for l in reversed(range(len(network.layers))):
        layer = network.layers[l]
        gradients += [d * a for d in delta for a in outs[l]] + list(delta)
        if l:
            delta = [sum(delta[k] * float(layer.weight[k][j]) for k in range(len(delta))) * a * (1 - a)
                     for j, a in enumerate(outs[l])]
    return zs, outs[1:], gradients


def test_a_thousand_seeds_give_no_dull_variant() -> None:
    """No saturated sigmoid (|net| <= 4), no output within 0.05 of its target, every gradient at least 0.001."""
    network = load("mazur")
    margin = 1e-12
    for seed in range(1000):
        variant = draw_variant(network, seed, 1, PRECISION).network
        zs, outs, gradients = forward_backward(variant)
        assert all(abs(z) <= 4 + margin for layer in zs for z in layer), seed
        assert all(abs(a - float(t)) >= 0.05 - margin for a, t in zip(outs[-1], variant.data.targets[0])), seed
        assert all(abs(g) >= 0.001 - margin for g in gradients), seed


def test_relu_variants_have_no_dead_neuron_and_no_kink() -> None:
    network = load("softmax-classifier")
    for seed in range(60):
        variant = draw_variant(network, seed, 1, PRECISION).network
        hidden = variant.layers[0]
        for j, row in enumerate(hidden.weight):
            nets = [sum(w * x for w, x in zip(row, sample)) + hidden.bias[j] for sample in variant.data.inputs]
            assert any(net > 0 for net in nets), (seed, j)
            assert all(net != 0 for net in nets), (seed, j)


def test_a_variant_keeps_the_architecture_and_draws_from_the_grids(tmp_path: Path) -> None:
    spec = tmp_path / "course.toml"
    spec.write_text(
        (Path(__file__).parents[1] / "examples" / "mazur.toml").read_text()
        + '\n[exercise]\nweight_range = [-0.5, 0.5]\ndecimals = 2\ninput_values = [0.1, 0.2]\n'
        'target_values = [0.2, 0.8]\nlr_values = [0.25]\n'
    )
    network = load(str(spec))
    for variant in draw_variants(network, 3, 10, PRECISION):
        drawn = variant.network
        assert drawn.widths == network.widths and drawn.loss == network.loss
        for layer in drawn.layers:
            for value in [w for row in layer.weight for w in row] + list(layer.bias):
                assert Fraction(-1, 2) <= value <= Fraction(1, 2) and value != 0 and (value * 100).denominator == 1
        assert set(drawn.data.inputs[0]) <= {Fraction(1, 10), Fraction(1, 5)}
        assert set(drawn.data.targets[0]) <= {Fraction(1, 5), Fraction(4, 5)}
        assert drawn.train.optimizer.lr == Fraction(1, 4)


def test_variant_k_is_the_same_whatever_the_number_drawn() -> None:
    network = load("mazur")
    assert draw_variants(network, 9, 6, PRECISION)[4].network == draw_variant(network, 9, 5, PRECISION).network
    assert draw_variant(network, 9, 5, PRECISION).network != draw_variant(network, 10, 5, PRECISION).network


def test_the_same_seed_gives_byte_identical_sets_in_other_processes(workdir: Path, capsys) -> None:
    """A set made by `python -m derive` under another hash seed equals the one made here, and `--variant 7-4`
    regenerates its fourth sheet and key byte for byte."""
    first = run_derive(["exercise", "--variants", "5", "--seed", "7", "-o", "a"], workdir, hash_seed="4242")
    assert first.returncode == 0, first.stderr
    assert run_cli(["exercise", "--variants", "5", "--seed", "7", "-o", "b"], capsys)[0] == 0
    assert files_in(workdir / "a") == files_in(workdir / "b")
    assert len(files_in(workdir / "a")) == 3 * 5 + 2  # five folders of sheet, key, answers; answers.json; overview.md
    assert run_cli(["exercise", "--variant", "7-4", "-o", "one"], capsys)[0] == 0
    for name in ("sheet.md", "key.md", "answers.json"):
        assert (workdir / "one" / name).read_bytes() == (workdir / "a" / "7-4" / name).read_bytes()


def test_float64_judges_the_rules_as_the_exact_arithmetic_does() -> None:
    """The fast path decides only clear cases: it never disagrees with the exact rules (tanh, ReLU and softmax)."""
    for name in ("xor-tanh", "softmax-classifier"):
        network = load(name)
        settings = settings_of(network)
        generator = random.Random(name)
        for _ in range(60):
            candidate = redrawn(network, generator, settings, target_grid(network, settings))
            assert is_dull(candidate, PRECISION) == bool(dull_reasons(candidate, PRECISION))


def test_the_sheet_carries_its_variant_id_and_the_rules(workdir: Path, capsys) -> None:
    assert run_cli(["exercise", "--variant", "12-3", "-o", "v"], capsys)[0] == 0
    sheet = (workdir / "v" / "sheet.md").read_text()
    assert "Variant 12-3." in sheet
    assert "drawn at random (seed 12)" in sheet and "no neuron is dead" in sheet and "saturated" in sheet
    assert "within 0.05 of its target" in sheet and "at least 0.001" in sheet


@pytest.mark.parametrize("table, message", [
    ("decimals = 7", "exercise.decimals: expected a whole number from 0 to 3, found 7"),
    ("weight_range = [1, -1]", "exercise.weight_range: expected a low number below a high one"),
    ("weight_range = [0.01, 0.04]", "exercise.weight_range: expected a range holding a nonzero number"),
    ("lr_values = [0.5, -1]", "exercise.lr_values[1]: expected a number greater than 0"),
    ("input_value = [1]", "did you mean 'input_values'?"),
])
def test_a_bad_exercise_table_is_refused_with_its_line(tmp_path: Path, capsys, table: str, message: str) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text((Path(__file__).parents[1] / "examples" / "mazur.toml").read_text() + f"\n[exercise]\n{table}\n")
    status, _, err = run_cli(["exercise", str(spec), "--variants", "2", "-o", str(tmp_path / "out")], capsys)
    assert status == 2 and message in err and "bad.toml:" in err, err
    assert not (tmp_path / "out").exists()
