"""--rounding carry: every shown value rounded to --precision decimals and used rounded, as by hand.

The hand computation here is the test's own: Python's Decimal, rounding half away from zero after
every line, exactly as a student with a calculator writes each value down and computes on with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest

from conftest import assert_refused, python_env, run_cli
from derive.api import Document, load
from derive.engine.rounding import Carried, Rounded
from derive.options import Options


def by_hand(places: int) -> dict[str, Decimal]:
    """Mazur's network (PyTorch's per-neuron biases), one SGD step, each line rounded to ``places`` decimals."""
    with localcontext() as context:
        context.prec = 50

        def r(value: Decimal) -> Decimal:
            return value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)

        def sigmoid(z: Decimal) -> Decimal:
            return 1 / (1 + (-z).exp())

        D = Decimal
        i1, i2, t1, t2, lr = D("0.05"), D("0.10"), D("0.01"), D("0.99"), D("0.5")
        w = {1: D("0.15"), 2: D("0.20"), 3: D("0.25"), 4: D("0.30"), 5: D("0.40"), 6: D("0.45"), 7: D("0.50"), 8: D("0.55")}
        b = {"h1": D("0.35"), "h2": D("0.35"), "o1": D("0.60"), "o2": D("0.60")}

        def forward(w: dict, b: dict) -> dict[str, Decimal]:
            v: dict[str, Decimal] = {}
            v["net_h1"] = r(w[1] * i1 + w[2] * i2 + b["h1"])
            v["out_h1"] = r(sigmoid(v["net_h1"]))
            v["net_h2"] = r(w[3] * i1 + w[4] * i2 + b["h2"])
            v["out_h2"] = r(sigmoid(v["net_h2"]))
            v["net_o1"] = r(w[5] * v["out_h1"] + w[6] * v["out_h2"] + b["o1"])
            v["out_o1"] = r(sigmoid(v["net_o1"]))
            v["net_o2"] = r(w[7] * v["out_h1"] + w[8] * v["out_h2"] + b["o2"])
            v["out_o2"] = r(sigmoid(v["net_o2"]))
            v["E_o1"] = r((t1 - v["out_o1"]) ** 2 / 2)
            v["E_o2"] = r((t2 - v["out_o2"]) ** 2 / 2)
            v["E"] = r(v["E_o1"] + v["E_o2"])
            return v

        v = forward(w, b)
        for o, t in (("o1", t1), ("o2", t2)):
            v[f"dE_dout_{o}"] = r(v[f"out_{o}"] - t)
            v[f"dout_dnet_{o}"] = r(v[f"out_{o}"] * (1 - v[f"out_{o}"]))
            v[f"delta_{o}"] = r(v[f"dE_dout_{o}"] * v[f"dout_dnet_{o}"])
        for h, (via_o1, via_o2) in (("h1", (5, 7)), ("h2", (6, 8))):
            v[f"dE_o1_dout_{h}"] = r(v["delta_o1"] * w[via_o1])
            v[f"dE_o2_dout_{h}"] = r(v["delta_o2"] * w[via_o2])
            v[f"dE_dout_{h}"] = r(v[f"dE_o1_dout_{h}"] + v[f"dE_o2_dout_{h}"])
            v[f"dout_dnet_{h}"] = r(v[f"out_{h}"] * (1 - v[f"out_{h}"]))
            v[f"delta_{h}"] = r(v[f"dE_dout_{h}"] * v[f"dout_dnet_{h}"])
        inputs = {1: ("h1", i1), 2: ("h1", i2), 3: ("h2", i1), 4: ("h2", i2),
                  5: ("o1", v["out_h1"]), 6: ("o1", v["out_h2"]), 7: ("o2", v["out_h1"]), 8: ("o2", v["out_h2"])}
        new_w, new_b = {}, {}
        for k, (unit, source) in inputs.items():
            v[f"grad_w{k}"] = r(v[f"delta_{unit}"] * source)
            new_w[k] = v[f"new_w{k}"] = r(w[k] - lr * v[f"grad_w{k}"])
        for unit in b:
            v[f"grad_b_{unit}"] = v[f"delta_{unit}"]
            new_b[unit] = v[f"new_b_{unit}"] = r(b[unit] - lr * v[f"grad_b_{unit}"])
        v["E_after"] = forward(new_w, new_b)["E"]
        return v


@pytest.fixture(scope="module")
def carried() -> Document:
    return Document(load("mazur"), Options(precision=3, rounding="carry"))


def test_carry_at_3_decimals_reproduces_the_hand_computation_line_by_line(carried: Document) -> None:
    hand = by_hand(3)
    quantities = carried.derivation.quantities
    assert len(hand) > 50
    for key, value in hand.items():
        assert Fraction(quantities[key].value) == Fraction(value), f"{key}: derive {quantities[key].value}, by hand {value}"


def test_each_line_shows_the_rounded_numbers_it_computes_with(carried: Document) -> None:
    markdown = carried.markdown()
    hand = by_hand(3)
    assert r"\frac{1}{1 + e^{- 0.378}}" in markdown  # net_h1 = 0.3775 is carried on as 0.378
    assert r"\approx 0.593" in markdown  # out_h1 = sigma(0.378)
    assert r"0.15 - 0.5 \cdot 0.000 = 0.150" in markdown  # a gradient that rounds to 0 leaves w1 where it was
    for key in ("out_o1", "E", "delta_o1", "delta_h1", "grad_w5", "new_w5", "E_after"):
        assert format(hand[key], "f") in markdown, key
    assert "rounded to 3 decimal places (a half away from zero) and used rounded" in markdown


def test_a_carried_value_is_marked_rounded_only_where_rounding_changed_it(carried: Document) -> None:
    quantities = carried.derivation.quantities
    assert isinstance(quantities["out_h1"].value, Rounded)
    assert isinstance(quantities["dE_dout_h1"].value, Carried) and not isinstance(quantities["dE_dout_h1"].value, Rounded)
    assert type(quantities["w1"].value) is Fraction  # a given is never rounded


def test_the_default_stays_exact() -> None:
    exact = Document(load("mazur"), Options(precision=3))
    assert not any(isinstance(q.value, Carried) for q in exact.derivation.quantities.values())
    assert exact.quantities["grad_w5"] == pytest.approx(0.08216704056423078, rel=1e-15)
    assert "computed from unrounded values" in exact.markdown()


def test_mazurs_published_figure_is_the_value_carried_at_9_decimals() -> None:
    """The post's dE_o2/dout_h1 = -0.019049119 comes from delta_o2 rounded to -0.038098237 times w7 = 0.5."""
    document = Document(load("mazur-classic"), Options(precision=9, rounding="carry"))
    assert document.derivation.quantities["dE_o2_dout_h1"].value == Fraction("-0.019049119")
    exact = Document(load("mazur-classic"), Options(precision=9))
    assert round(exact.quantities["dE_o2_dout_h1"], 9) == -0.019049118


def test_the_command_line_takes_rounding_carry(capsys) -> None:
    status, out, err = run_cli(["--rounding", "carry", "--precision", "3", "-o", "-"], capsys)
    assert status == 0, err
    assert r"\approx 0.593" in out
    status, _, err = run_cli(["--rounding", "carry", "--verify", "-o", "-"], capsys)
    assert status == 2 and "--verify" in err
    status, _, err = run_cli(["--rounding", "sloppy", "-o", "-"], capsys)
    assert status == 2


def test_json_under_carry_gives_the_carried_quantities(capsys) -> None:
    import json

    status, out, _ = run_cli(["--rounding", "carry", "--precision", "3", "--format", "json", "-o", "-"], capsys)
    payload = json.loads(out)
    assert payload["rounding"] == {"convention": "carry", "decimals": 3}
    assert payload["quantities"]["out_h1"] == 0.593


@pytest.mark.parametrize("format_", ["markdown", "json"])
def test_a_value_that_rounds_to_where_the_next_formula_has_no_value_is_refused(format_, tmp_path, capsys) -> None:
    """Under BCE the saturated output 1 - 9.4e-14 rounds to 1 at 9 decimals, and -ln(1 - out) has no
    finite value there: the command says so (exit 2, nothing written) instead of failing inside."""
    output = tmp_path / "out.txt"
    status, _, err = run_cli(["float64-bce-saturation", "--rounding", "carry", "--format", format_, "-o", str(output)], capsys)
    assert_refused(status, err, "--rounding carry", "9 decimals", "E_o1", "--precision")
    assert not output.exists()
    status, _, err = run_cli(["float64-bce-saturation", "--rounding", "carry", "--precision", "15", "-o", str(output)], capsys)
    assert status == 0, err


DIVERGING_UNDER_CARRY = """\
[[layer]]
activation = "relu"
weight = [[0.5, 0.0, 0.1], [0.0, 0.0, 0.9], [0.0, -0.5, 0.34], [0.0, 0.37, -0.63]]
[[layer]]
activation = "sigmoid"
weight = [[-0.5, -0.6, -0.4, 0.4]]
[data]
input = [[0.4, 0.0, -0.05], [0.33, -0.23, -0.2], [0.0, 0.9, 0.49]]
target = [[0.48], [0.18], [0.87]]
[train]
optimizer = "rmsprop"
lr = 0.05
weight_decay = 0.01
"""


def test_a_carried_value_far_below_the_last_decimal_rounds_to_zero_without_exhausting_memory(tmp_path) -> None:
    """At 4 decimals RMSprop's v rounds to 0, the step divides by eps alone and a net input after it
    reaches about -10^12: its sigmoid, e^-(10^12) near 0, once took every byte of memory to round."""
    import resource

    spec = tmp_path / "spec.toml"
    spec.write_text(DIVERGING_UNDER_CARRY)

    def two_gigabytes() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))

    done = subprocess.run([sys.executable, "-m", "derive", str(spec), "--rounding", "carry", "--precision", "4",
                           "--format", "json", "-o", "-"], capture_output=True, text=True, env=python_env(),
                          preexec_fn=two_gigabytes, timeout=120)
    assert done.returncode == 0, done.stderr
    quantities = json.loads(done.stdout)["quantities"]
    carried = {key: value for key, value in quantities.items() if key.startswith(("grad_", "new_", "E"))}
    assert "E_after" in carried and len(carried) > 20
    for key, value in carried.items():  # each as a student writes it down: on the grid of 4 decimals
        assert (Fraction(str(value)) * 10**4).denominator == 1, (key, value)
