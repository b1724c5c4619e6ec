"""Everything the test modules share: one place for each helper.

- the ``--update-golden`` option;
- tool guards: a test that needs an absent tool (torch, pdflatex, pdftotext, node with KaTeX, the
  xelatex and its fonts) skips locally and fails when CI=true;
- the PyTorch oracle comparison ``assert_json_matches_torch`` and the tolerance it uses;
- the quantity IDs of design.md, written out here from the contract (not asked of derive);
- network builders, the seed spec as text, and the hypothesis strategies of random networks;
- the command line, in this process and as ``python -m derive``.

Test modules import what they need with ``from conftest import ...`` (pytest puts tests/ on
sys.path). Nothing here imports torch until a test asks for it.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import importlib
import importlib.util
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator, NoReturn

import pytest
import mpmath
from hypothesis import strategies as st

from derive.components import ACTIVATIONS, LOSSES, OPTIMIZERS
from derive.components.activations.base import PiecewiseLinear
from derive.network import Data, Layer, Network, Train

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
OUTPUT = ROOT / "output"

EXAMPLES = sorted(path.stem for path in (ROOT / "examples").glob("*.toml"))
CI = os.environ.get("CI") == "true"


# ---------------------------------------------------------------- pytest options


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the rendered examples in output/ instead of checking them",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to regenerate output/."""
    return bool(request.config.getoption("--update-golden"))


# ---------------------------------------------------------------- tool guards


def missing(what: str) -> NoReturn:
    """Skip (locally) or fail (CI=true, where every tool is installed) for a missing tool."""
    if CI:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not installed", allow_module_level=True)


def require_torch() -> ModuleType:
    """The torch module; skips the test without it (fails when CI=true)."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        missing("torch")


def require_numpy() -> ModuleType:
    """The numpy module (a test dependency: torch warns without it); skips without it (fails when CI=true)."""
    try:
        return importlib.import_module("numpy")
    except ImportError:
        missing("numpy")


def require_program(name: str) -> str:
    """The path of a program on PATH; skips the test without it (fails when CI=true)."""
    path = shutil.which(name)
    if path is None:
        missing(name)
    return path


def check_golden(path: Path, expected: bytes, update_golden: bool) -> None:
    """A file of output/ equals a fresh render (with --update-golden: becomes it)."""
    from derive.files import write_atomic

    if update_golden:
        write_atomic(path, expected)
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    assert path.read_bytes() == expected, f"{path} is stale: run pytest --update-golden"


def check_pdf_golden(path: Path, document: Any, update_golden: bool, require_engine: Any) -> None:
    """A PDF of output/ was compiled from ``document``'s current LaTeX (with --update-golden: is compiled again).

    Its bytes depend on the TeX installation, so it carries a stamp of its LaTeX source instead."""
    from derive.files import write_atomic
    from derive.render.pdf import source_stamp

    if update_golden:
        require_engine()
        write_atomic(path, document.render())
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    stamps = re.findall(rb"derive-latex-sha256:[0-9a-f]{64}", path.read_bytes())
    assert stamps == [source_stamp(document.latex()).encode()], f"{path} was built from other LaTeX: run pytest --update-golden"


def require_pdflatex() -> str:
    """The path of pdflatex; skips the test without it (fails when CI=true)."""
    return require_program("pdflatex")


def require_xelatex() -> str:
    """The path of xelatex (texlive-xetex), which sets Chinese documents and CJK text."""
    return require_program("xelatex")


def require_cjk_fallback_font() -> None:
    """WenQuanYi Micro Hei (fonts-wqy-microhei), which sets the Hangul that the Fandol fonts lack."""
    listed = subprocess.run(["fc-list", "WenQuanYi Micro Hei"], capture_output=True, text=True) if shutil.which("fc-list") else None
    if listed is None or not listed.stdout.strip():
        missing("the font WenQuanYi Micro Hei (fonts-wqy-microhei)")


def require_pdfinfo() -> str:
    """The path of pdfinfo (poppler-utils), which counts a PDF's pages."""
    return require_program("pdfinfo")


def require_pdftotext() -> str:
    """The path of pdftotext (poppler-utils), which reads a PDF's text back."""
    return require_program("pdftotext")


def require_xmllint() -> str:
    """The path of xmllint (libxml2-utils), which checks that an XML file is well-formed."""
    return require_program("xmllint")


def require_katex() -> Path:
    """The folder where `npm install katex` put KaTeX: $DERIVE_KATEX, or the one .ci/run uses."""
    folder = Path(os.environ.get("DERIVE_KATEX", Path.home() / ".cache" / "derive-katex"))
    if shutil.which("node") is None or not (folder / "node_modules" / "katex").is_dir():
        missing("node with katex (npm install --prefix ~/.cache/derive-katex katex)")
    return folder


def require_browser() -> tuple[str, str]:
    """Debian's chromium and chromium-driver (for Selenium), and the selenium package; skips without them."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None or importlib.util.find_spec("selenium") is None:
        missing("chromium, chromium-driver and selenium")
    return browser, driver


SHARED_SEED = ROOT.parent / "shared" / "seed" / "seed_net.py"


@pytest.fixture
def torch() -> ModuleType:
    """Tests that run PyTorch in this process take this fixture."""
    return require_torch()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory, so that messages name files as the user typed them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------- quantity IDs (design.md, "Quantity IDs")


def default_scheme(network: Network) -> str:
    """Mazur-style names for at most one hidden layer, layer-indexed names otherwise."""
    return "mazur" if len(network.layers) <= 2 else "indexed"


def unit_label(network: Network, layer: int, unit: int, scheme: str) -> str:
    """h1, o2 (Mazur) or 1_2 (layer, unit; both from 1)."""
    if scheme == "mazur":
        prefix = ("h", "o")[layer] if len(network.layers) == 2 else "o"
        return f"{prefix}{unit + 1}"
    return f"{layer + 1}_{unit + 1}"


def net_id(network: Network, layer: int, unit: int, scheme: str) -> str:
    """net_h1, or z1_2."""
    label = unit_label(network, layer, unit, scheme)
    return f"net_{label}" if scheme == "mazur" else f"z{label}"


def out_id(network: Network, layer: int, unit: int, scheme: str) -> str:
    """out_h1, or a1_2."""
    label = unit_label(network, layer, unit, scheme)
    return f"out_{label}" if scheme == "mazur" else f"a{label}"


Slot = tuple  # (layer, "weight" | "bias", row or None, column or None), PyTorch's order


def parameter_ids(network: Network, scheme: str | None = None) -> dict[Slot, str]:
    """Every parameter's ID by its place: w5, b_h1, b1 (Mazur) or w2_1_3, b1_2, b1 (indexed)."""
    scheme = scheme or default_scheme(network)
    ids: dict[Slot, str] = {}
    weights = shared = 0
    for l, layer in enumerate(network.layers):
        for j, row in enumerate(layer.weight):
            for k in range(len(row)):
                weights += 1
                ids[(l, "weight", j, k)] = f"w{weights}" if scheme == "mazur" else f"w{l + 1}_{j + 1}_{k + 1}"
        if layer.bias_kind == "per_neuron":
            for j in range(layer.out_features):
                label = unit_label(network, l, j, scheme)
                ids[(l, "bias", j, None)] = f"b_{label}" if scheme == "mazur" else f"b{label}"
        elif layer.bias_kind == "shared":
            shared += 1
            ids[(l, "bias", None, None)] = f"b{shared}" if scheme == "mazur" else f"b{l + 1}"
    return ids


def slot_value(layers: list[dict], slot: Slot, prefix: str = "") -> Any:
    """A parameter (or with prefix 'grad_' its gradient) in derive-json/1 layer records."""
    l, kind, j, k = slot
    value = layers[l][prefix + kind]
    if j is not None:
        value = value[j]
    if k is not None:
        value = value[k]
    return value


def sample_suffix(network: Network, row: int) -> str:
    """'@k' for data row k (from 1) when the data has more than one row."""
    return f"@{row + 1}" if network.data.batch_size > 1 else ""


def first_batch(network: Network) -> range:
    """The data rows of the first (derived) mini-batch, as DataLoader(shuffle=False) takes them."""
    size = network.train.batch_size or network.data.batch_size
    return range(min(size, network.data.batch_size))


def trained_slots(network: Network) -> list[Slot]:
    return [slot for slot in parameter_ids(network) if slot[1] == "weight" or network.layers[slot[0]].train_bias]


# ---------------------------------------------------------------- the PyTorch oracle

RELATIVE = 1e-9  # the project's tolerance against PyTorch float64
ABSOLUTE = 1e-12  # near zero


def close(derived: float, reference: float, rel: float = RELATIVE, abs_: float = ABSOLUTE) -> bool:
    """Equal within the relative tolerance, or the absolute one near zero."""
    return abs(derived - reference) <= rel * max(abs(derived), abs(reference)) + abs_


def assert_same(derived: Any, reference: Any, where: str = "", rel: float = RELATIVE, abs_: float = ABSOLUTE) -> None:
    """Nested lists of numbers (or None) equal entry by entry within the tolerance."""
    if reference is None or derived is None:
        assert derived is None and reference is None, f"{where}: {derived!r} != {reference!r}"
    elif isinstance(reference, list):
        assert isinstance(derived, list) and len(derived) == len(reference), f"{where}: {derived!r} != {reference!r}"
        for i, (d, r) in enumerate(zip(derived, reference)):
            assert_same(d, r, f"{where}[{i}]", rel, abs_)
    else:
        assert isinstance(derived, (int, float)) and not isinstance(derived, bool), f"{where}: {derived!r}"
        assert math.isfinite(derived), f"{where}: {derived!r}"
        assert close(derived, reference, rel, abs_), f"{where}: derive {derived!r} != torch {reference!r}"


def derive_payload(network: Network, training: Any = None, notation: str | None = None) -> dict:
    """derive's derive-json/1 document of ``network`` (with its quantities), as a dict."""
    from derive.derivation import quantities_of
    from derive.engine.training import train
    from derive.render.json import json_payload

    training = training or train(network)
    return json.loads(json.dumps(json_payload(network, training, quantities_of(network, training, notation))))


def float64_training(training: Any) -> Any:
    """The Training with derive's float64 first step (``training.float64``, PyTorch's arithmetic) in place
    of the exact one: what --verify compares with PyTorch. Where the two part ways (float64-* examples)
    the exact values are right and PyTorch's differ; the float64 pass must still be PyTorch's."""
    in_float = training.float64
    single = len(training.loss_history) == 1 and len(training.batches) == 1
    return dataclasses.replace(
        training, first=in_float.first, updates=in_float.updates, after_first=in_float.after_first,
        after_first_loss=in_float.after_first_loss, loss_history=[in_float.first.loss] + list(training.loss_history[1:]),
        final_loss=in_float.after_first_loss if single else training.final_loss,
    )


def assert_json_matches_torch(
    network: Network,
    ours: Any = None,
    *,
    reference: dict | None = None,
    notation: str | None = None,
    rel: float = RELATIVE,
    abs_: float = ABSOLUTE,
) -> dict:
    """derive's JSON equals PyTorch float64 (derive.verify.reference.torch_run) number for number.

    ``ours`` is derive's derive-json/1 dict, or a Training, or None (train here). Compared: every
    value of the first step (parameters, z, a, gradients, loss), the loss history, the final
    parameters and loss, and the quantities the JSON names by ID (net and out of every neuron of the
    first batch, E, every gradient, every parameter after the first update, E_after). Returns the
    reference, for further checks.
    """
    require_torch()
    from derive.verify.reference import torch_run

    if ours is None or not isinstance(ours, dict):
        ours = derive_payload(network, ours, notation)
    reference = reference or torch_run(network)
    assert ours["format"] == reference["format"] == "derive-json/1"
    assert len(ours["loss_history"]) == network.updates
    first, expected = ours["steps"][0], reference["steps"][0]
    assert_same(first["loss"], expected["loss"], "steps[0].loss", rel, abs_)
    assert len(first["layers"]) == len(expected["layers"]) == len(network.layers)
    for l, (layer, torch_layer) in enumerate(zip(first["layers"], expected["layers"])):
        for key in ("weight", "bias", "z", "a", "grad_weight", "grad_bias"):
            assert_same(layer[key], torch_layer[key], f"steps[0].layers[{l}].{key}", rel, abs_)
    assert_same(ours["loss_history"], reference["loss_history"], "loss_history", rel, abs_)
    assert_same(ours["final"]["loss"], reference["final"]["loss"], "final.loss", rel, abs_)
    for l, (layer, torch_layer) in enumerate(zip(ours["final"]["layers"], reference["final"]["layers"], strict=True)):
        for key in ("weight", "bias"):
            assert_same(layer[key], torch_layer[key], f"final.layers[{l}].{key}", rel, abs_)
    quantities = ours.get("quantities")
    if quantities is not None:
        for key, value in torch_quantities(network, reference, notation).items():
            assert key in quantities, f"quantities: no {key}"
            assert_same(quantities[key], value, f"quantities.{key}", rel, abs_)
    return reference


def torch_quantities(network: Network, reference: dict, notation: str | None = None) -> dict[str, float]:
    """PyTorch's value of every quantity of the first step it reports, by design.md's ID: net and out of
    every neuron of the first batch, E, every gradient, every parameter after the first update, E_after."""
    scheme = notation or default_scheme(network)
    ids = parameter_ids(network, scheme)
    expected = reference["steps"][0]
    after = reference["steps"][1]["layers"] if network.updates > 1 else reference["final"]["layers"]
    values = {"E": expected["loss"], "E_after": reference["after_first_loss"]}
    for s, row in enumerate(first_batch(network)):
        suffix = sample_suffix(network, row)
        for l, layer in enumerate(network.layers):
            for j in range(layer.out_features):
                values[net_id(network, l, j, scheme) + suffix] = expected["layers"][l]["z"][s][j]
                values[out_id(network, l, j, scheme) + suffix] = expected["layers"][l]["a"][s][j]
    for slot in trained_slots(network):
        values["grad_" + ids[slot]] = slot_value(expected["layers"], slot, "grad_")
        values["new_" + ids[slot]] = slot_value(after, slot)
    return values


def comparable_with_float64(network: Network, training, reference: dict) -> bool:
    """False where float64 rounding alone changes the result, so that exact arithmetic and float64 cannot agree:

    - training that diverges (a loss beyond 1e100 or infinite);
    - a net input at a switch of its activation (ReLU's kink at 0, softplus's threshold) within 1e-9 of
      it, where float64 may land on the other side (exact arithmetic takes the true side, rightly);
    - Adam or RMSprop steps on a gradient that is float64 noise (below 1e-9, where the exact one may be
      0): they divide the gradient by its own root mean square, so noise of 1e-20 moves the parameter by
      about lr * 1e-12 per step, which a parameter at 0 cannot absorb in the absolute tolerance.
    """
    losses = reference["loss_history"] + [reference["final"]["loss"], training.final_loss] + list(training.loss_history)
    if not all(math.isfinite(loss) and abs(loss) < 1e100 for loss in losses):
        return False  # diverging training, which the command line refuses (tests/test_cli.py)
    if network.train.optimizer.name in ("adam", "rmsprop"):
        for step in reference["steps"]:
            for layer in step["layers"]:
                for gradient in _flat(layer["grad_weight"]) + _flat(layer["grad_bias"]):
                    if 0 < abs(gradient) < 1e-9:
                        return False
    for index, layer in enumerate(network.layers):
        switch = switch_point(layer.activation)
        if switch is None:
            continue
        for s, sample in enumerate(training.first.samples):
            for exact, rounded in zip(sample.z[index], reference["steps"][0]["layers"][index]["z"][s]):
                if (to_mp(exact) > to_mp(switch)) != (rounded > switch):
                    return False
                if exact != switch and abs(float(exact) - float(switch)) < 1e-9:
                    return False
        for step in reference["steps"][1:]:  # later steps run in float64 on both sides, rounded differently
            for row in step["layers"][index]["z"]:
                if any(0 < abs(z - float(switch)) < 1e-9 for z in row):
                    return False
    return True


def trained_beside_torch(network: Network) -> tuple[Any, dict]:
    """derive's Training of a (random) network and PyTorch's run of it, for comparing them; hypothesis
    drops the example where training diverges or float64 rounding alone decides (comparable_with_float64)."""
    from hypothesis import assume

    from derive.engine.training import train
    from derive.verify.reference import torch_run

    try:
        training = train(network)
    except OverflowError:  # diverging training: derive.api refuses it cleanly (tests/test_cli.py)
        assume(False)
    reference = torch_run(network)
    assume(comparable_with_float64(network, training, reference))
    return training, reference


def json_numbers(payload: Any) -> Iterator[float]:
    """Every number of a JSON document (booleans are no numbers)."""
    if isinstance(payload, dict):
        for value in payload.values():
            yield from json_numbers(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from json_numbers(value)
    elif isinstance(payload, (int, float)) and not isinstance(payload, bool):
        yield payload


def switch_point(activation: Any) -> Fraction | None:
    """The net input where an activation switches from one formula to another: ReLU's kink at 0,
    softplus's threshold / beta; None for a smooth one."""
    if has_kink(activation):
        return Fraction(0)
    if activation.name == "softplus":
        return activation.threshold / activation.beta
    return None


def has_kink(activation: Any) -> bool:
    """Whether an activation is piecewise linear with a kink at 0 (relu, leaky_relu), where a net input's
    sign decides the slope."""
    return isinstance(activation, PiecewiseLinear)


def _flat(value: Any) -> list:
    if isinstance(value, list):
        return [x for item in value for x in _flat(item)]
    return [] if value is None else [value]


def torch_loss(kind: str, output: Any, targets: Any, delta: float = 1.0) -> Any:
    """A loss written directly with torch (the test's own oracle, not derive's loss objects)."""
    import torch

    if kind == "sum":
        return output.sum()
    if kind == "half_sse":
        return ((output - targets) ** 2).sum() / 2
    if kind == "sse":
        return ((output - targets) ** 2).sum()
    if kind == "mse":
        return torch.nn.MSELoss()(output, targets)
    if kind == "bce":
        return torch.nn.BCELoss()(output, targets)
    if kind == "huber":
        return torch.nn.HuberLoss(delta=delta)(output, targets)
    assert kind == "cross_entropy", kind
    return torch.nn.CrossEntropyLoss()(output, targets)


def load_fixture(file: str, name: str) -> Any:
    """A module of tests/fixtures built by plain Python, independent of derive (a fresh copy each time)."""
    torch = require_torch()
    spec = importlib.util.spec_from_file_location(f"fixture_{file[:-3]}", FIXTURES / file)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(FIXTURES))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(FIXTURES))
    found = getattr(module, name)
    return copy.deepcopy(found) if isinstance(found, torch.nn.Module) else found()


# ---------------------------------------------------------------- building networks

F = Fraction


def exact(value: Any) -> Fraction:
    """A number as the decimal it was written as: 0.1 is 1/10 (as the spec reader reads it), not the binary float."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def to_mp(value: Any) -> mpmath.mpf:
    """Any number derive or an oracle gives (Fraction, int, derive's twin, an mpf of any context, a SymPy
    number, a float) as an mpf of mpmath's global context, at its current precision."""
    if isinstance(value, (Fraction, int)):
        value = Fraction(value)
        return mpmath.mpf(value.numerator) / value.denominator
    if hasattr(value, "hi"):  # derive's twin (engine/twin.py): its 120-digit copy
        value = value.hi
    if hasattr(value, "_mpf_"):
        return +mpmath.mpf(value._mpf_)
    if hasattr(value, "is_Number"):  # SymPy
        return mpmath.mpf(str(value.evalf(mpmath.mp.dps + 10)))
    return mpmath.mpf(value)


def fractions(values: Any) -> Any:
    """Numbers (or decimal strings) in nested lists as nested tuples of exact Fractions."""
    if isinstance(values, (list, tuple)):
        return tuple(fractions(v) for v in values)
    return exact(values)


def make_layer(activation: str, weight: Any, bias: Any = None, train_bias: bool = True, **settings: Any) -> Layer:
    """A Layer from an activation's name and plain numbers; a list bias is per neuron, a number shared."""
    return Layer(
        activation=ACTIVATIONS.make(activation, **{k: exact(v) for k, v in settings.items()}),
        weight=fractions(weight),
        bias=None if bias is None else fractions(bias),
        train_bias=train_bias,
    )


def make_train(optimizer: str = "sgd", steps: int = 1, batch_size: int | None = None, epochs: int | None = None,
               **settings: Any) -> Train:
    """Train with an optimizer by name; settings (lr, momentum, betas...) as numbers or Fractions."""
    settings = {k: fractions(v) for k, v in settings.items()}
    return Train(OPTIMIZERS.make(optimizer, **settings), steps, batch_size, epochs)


def make_network(layers: Any, inputs: Any, targets: Any, loss: str = "half_sse", train: Train | None = None,
                 title: str = "A test network", name: str = "net") -> Network:
    """A Network from layers and plain rows; integer targets are class indices."""
    if targets and all(isinstance(t, int) and not isinstance(t, bool) for t in targets):
        target_rows: Any = tuple(targets)
    else:
        target_rows = fractions(targets)
    return Network(
        tuple(layers), Data(fractions(inputs), target_rows), LOSSES.make(loss), train or make_train(),
        title, name, name,
    )


def with_train(network: Network, optimizer: str | None = None, steps: int | None = None, **settings: Any) -> Network:
    """The network with another optimizer or its settings changed (steps, lr, momentum, ...)."""
    current = network.train
    name = optimizer or current.optimizer.name
    values = current.optimizer.setting_values() if name == current.optimizer.name else {}
    values.update({k: fractions(v) for k, v in settings.items()})
    train = dataclasses.replace(current, optimizer=OPTIMIZERS.make(name, **values),
                                steps=current.steps if steps is None else steps)
    return dataclasses.replace(network, train=train)


def with_activation(network: Network, activation: str, layers: Any = None, **settings: Any) -> Network:
    """The network with the activation of every layer (or of the layers listed) replaced."""
    chosen = range(len(network.layers)) if layers is None else layers
    replaced = tuple(
        dataclasses.replace(layer, activation=ACTIVATIONS.make(activation, **{k: exact(v) for k, v in settings.items()}))
        if index in chosen else layer
        for index, layer in enumerate(network.layers)
    )
    return dataclasses.replace(network, layers=replaced)


def with_loss(network: Network, loss: str, targets: Any = None) -> Network:
    """The network with another loss (and targets)."""
    data = network.data if targets is None else dataclasses.replace(
        network.data, targets=tuple(targets) if isinstance(targets[0], int) else fractions(targets))
    return dataclasses.replace(network, loss=LOSSES.make(loss), data=data)


def with_data(network: Network, inputs: Any, targets: Any) -> Network:
    """The network trained on other rows."""
    target_rows = tuple(targets) if isinstance(targets[0], int) else fractions(targets)
    return dataclasses.replace(network, data=Data(fractions(inputs), target_rows))


def random_network(seed: int, widths: list[int], bias_kinds: list[str] | None = None, activation: str = "sigmoid",
                   title: str = "A random network") -> Network:
    """A network with two-decimal weights in [-1, 1] and one sample; bias kinds per layer:
    per_neuron, frozen, shared, shared_frozen or none."""
    rng = random.Random(seed)

    def decimal() -> Fraction:
        return Fraction(rng.randint(-100, 100), 100)

    layers = []
    for fan_in, fan_out, kind in zip(widths, widths[1:], bias_kinds or ["per_neuron"] * (len(widths) - 1)):
        weight = tuple(tuple(decimal() for _ in range(fan_in)) for _ in range(fan_out))
        bias: Any = None
        if kind in ("per_neuron", "frozen"):
            bias = tuple(decimal() for _ in range(fan_out))
        elif kind in ("shared", "shared_frozen"):
            bias = decimal()
        layers.append(Layer(ACTIVATIONS.make(activation), weight, bias, kind in ("per_neuron", "shared", "none")))
    inputs = (tuple(decimal() for _ in range(widths[0])),)
    targets = (tuple(Fraction(rng.randint(0, 100), 100) for _ in range(widths[-1])),)
    return Network(tuple(layers), Data(inputs, targets), LOSSES.make("half_sse"), make_train(lr="0.5"),
                   title, f"random{seed}", f"random{seed}")


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


def edit(*replacements: tuple[str, str], text: str = SEED_SPEC) -> str:
    """The text with each ``old`` (which must occur once) replaced by ``new``."""
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def seed_with_batch(samples: int) -> str:
    """The seed spec (SEED_SPEC) trained on ``samples`` rows of two-decimal inputs and targets."""
    inputs = ", ".join(f"[0.{s % 90 + 10}, -0.{s * 7 % 90 + 10}]" for s in range(samples))
    targets = ", ".join(f"[0.{s * 3 % 90 + 10}, 0.{s * 11 % 90 + 10}]" for s in range(samples))
    return edit(("input = [[0.05, 0.10]]", f"input = [{inputs}]"), ("target = [[0.01, 0.99]]", f"target = [{targets}]"))


def one_neuron(activation: str, weight: Any, bias: Any, x: Any, target: Any, loss: str = "half_sse",
               steps: int = 1, lr: str = "0.5") -> str:
    """A one-input, one-neuron spec with net input weight * x + bias."""
    return f"""\
[[layer]]
activation = "{activation}"
weight = [[{weight}]]
bias = [{bias}]

[data]
input = [[{x}]]
target = [[{target}]]

[loss]
kind = "{loss}"

[train]
lr = {lr}
steps = {steps}
"""


def wide_spec(hidden: int, inputs: int = 2, outputs: int = 2) -> str:
    """An inputs-hidden-outputs sigmoid network with small decimal weights (hidden biases only)."""

    def matrix(rows: int, columns: int) -> str:
        return "[" + ", ".join("[" + ", ".join(f"0.{(r * 7 + c * 3) % 90 + 10}" for c in range(columns)) + "]"
                               for r in range(rows)) + "]"

    return f"""\
[[layer]]
activation = "sigmoid"
weight = {matrix(hidden, inputs)}
bias = {matrix(1, hidden)[1:-1]}

[[layer]]
activation = "sigmoid"
weight = {matrix(outputs, hidden)}

[data]
input = [{", ".join(["0.5"] * inputs)}]
target = [{", ".join(["0.25"] * outputs)}]
"""


# ---------------------------------------------------------------- hypothesis strategies

BIAS_STYLES = ("per_neuron", "shared", "frozen", "shared_frozen", "none")
LOSS_KINDS = tuple(LOSSES.names())
SMOOTH = ("sigmoid", "tanh", "identity")


def decimals(low: int = -100, high: int = 100) -> st.SearchStrategy[Fraction]:
    """Two-decimal numbers in [low/100, high/100], as exact Fractions."""
    return st.integers(low, high).map(lambda n: Fraction(n, 100))


@st.composite
def random_layers(draw: Any, widths: list[int], loss: str, activations: tuple[str, ...] = tuple(ACTIVATIONS.names())) -> tuple[Layer, ...]:
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
        last = index == len(widths) - 2
        if last and loss == "bce":
            name = "sigmoid"  # nn.BCELoss needs outputs in [0, 1]
        elif last and loss == "cross_entropy":
            # usually identity logits, as with nn.CrossEntropyLoss, but any activation is allowed
            name = draw(st.sampled_from(("identity", "identity", "identity") + activations))
        else:
            name = draw(st.sampled_from(activations))
        settings: dict[str, Any] = {}
        if name == "leaky_relu":
            settings["negative_slope"] = draw(st.integers(1, 50).map(lambda n: Fraction(n, 100)))
        elif name == "gelu":
            settings["approximate"] = draw(st.sampled_from(("none", "tanh")))
        elif name == "softplus":
            settings["beta"] = draw(st.sampled_from((Fraction(1), Fraction(2), Fraction(1, 2))))
            settings["threshold"] = draw(st.sampled_from((Fraction(20), Fraction(1), Fraction(3, 2))))
        weight = tuple(tuple(draw(decimals()) for _ in range(fan_in)) for _ in range(fan_out))
        style = draw(st.sampled_from(BIAS_STYLES))
        bias: Any = None
        if style in ("per_neuron", "frozen"):
            bias = tuple(draw(decimals()) for _ in range(fan_out))
        elif style in ("shared", "shared_frozen"):
            bias = draw(decimals())
        layers.append(Layer(ACTIVATIONS.make(name, **settings), weight, bias, style not in ("frozen", "shared_frozen")))
    return tuple(layers)


@st.composite
def random_targets(draw: Any, loss: str, batch: int, outputs: int) -> Any:
    if loss == "cross_entropy":
        if draw(st.booleans()):
            return tuple(draw(st.integers(0, outputs - 1)) for _ in range(batch))
        rows = []
        for _ in range(batch):
            weights = [draw(st.integers(0, 4)) for _ in range(outputs)]
            if not any(weights):
                weights[0] = 1
            rows.append(tuple(Fraction(w, sum(weights)) for w in weights))
        return tuple(rows)
    low = 0 if loss == "bce" else -100
    return tuple(tuple(draw(decimals(low, 100)) for _ in range(outputs)) for _ in range(batch))


@st.composite
def random_losses(draw: Any, loss: str) -> Any:
    """The loss ``loss`` with its settings drawn (Huber's delta)."""
    if loss == "huber":
        return LOSSES.make("huber", delta=draw(st.sampled_from((Fraction(1), Fraction(1, 4), Fraction(2)))))
    return LOSSES.make(loss)


@st.composite
def random_trains(draw: Any, max_steps: int = 4, batch: int = 1) -> Train:
    """SGD (momentum, weight decay), Adam (betas, eps, weight decay) or RMSprop (alpha, eps, momentum,
    centered, weight decay), several steps, maybe mini-batches."""
    decay = draw(st.sampled_from((Fraction(0), Fraction(0), Fraction(1, 100), Fraction(1, 10))))
    kind = draw(st.sampled_from(("sgd", "adam", "rmsprop")))
    if kind == "rmsprop":
        optimizer = OPTIMIZERS.make(
            "rmsprop",
            lr=draw(st.integers(1, 20).map(lambda n: Fraction(n, 1000))),
            alpha=draw(st.sampled_from((Fraction(99, 100), Fraction(9, 10), Fraction(1, 2)))),
            eps=draw(st.sampled_from((Fraction(1, 10**8), Fraction(1, 10**6)))),
            momentum=draw(st.sampled_from((Fraction(0), Fraction(1, 2), Fraction(9, 10)))),
            centered=draw(st.booleans()),
            weight_decay=decay,
        )
    elif kind == "sgd":
        optimizer = OPTIMIZERS.make(
            "sgd",
            lr=draw(st.integers(1, 100).map(lambda n: Fraction(n, 100))),
            momentum=draw(st.sampled_from((Fraction(0), Fraction(1, 2), Fraction(9, 10), Fraction(99, 100)))),
            weight_decay=decay,
        )
    else:
        optimizer = OPTIMIZERS.make(
            "adam",
            lr=draw(st.integers(1, 20).map(lambda n: Fraction(n, 100))),
            betas=(draw(st.integers(50, 99).map(lambda n: Fraction(n, 100))),
                   draw(st.integers(900, 999).map(lambda n: Fraction(n, 1000)))),
            eps=draw(st.sampled_from((Fraction(1, 10**8), Fraction(1, 10**6), Fraction(1, 10**4)))),
            weight_decay=decay,
        )
    batch_size = draw(st.one_of(st.none(), st.integers(1, batch))) if batch > 1 else None
    if batch_size is not None and draw(st.booleans()):
        return Train(optimizer, batch_size=batch_size, epochs=draw(st.integers(1, 2)))
    return Train(optimizer, steps=draw(st.integers(1, max_steps)), batch_size=batch_size)


@st.composite
def random_networks(draw: Any, max_depth: int = 3, max_width: int = 3, max_batch: int = 4, max_steps: int = 4,
                    activations: tuple[str, ...] = tuple(ACTIVATIONS.names()), losses: tuple[str, ...] = LOSS_KINDS,
                    optimizers: bool = True) -> Network:
    """Feed-forward networks of every kind the spec allows: activations, losses, bias styles, batches, optimizers."""
    loss = draw(st.sampled_from(losses))
    depth = draw(st.integers(1, max_depth))
    widths = [draw(st.integers(1, max_width)) for _ in range(depth + 1)]
    if loss == "cross_entropy":
        widths[-1] = draw(st.integers(2, max(2, max_width)))
    batch = draw(st.integers(1, max_batch))
    layers = draw(random_layers(widths, loss, activations))
    inputs = tuple(tuple(draw(decimals()) for _ in range(widths[0])) for _ in range(batch))
    targets = draw(random_targets(loss, batch, widths[-1]))
    train = draw(random_trains(max_steps, batch)) if optimizers else make_train(lr=draw(st.sampled_from(["0.5", "0.1", "1.5"])))
    return Network(layers, Data(inputs, targets), draw(random_losses(loss)), train, "A random network", "random", "random")


# ---------------------------------------------------------------- the examples, rendered once per session


@functools.cache
def example_document(name: str, style: str = "scalar", precision: int = 9) -> Any:
    """A built-in example's Document (derive.api), built once per test session: the golden files, the
    renderers' checks, KaTeX, pdflatex and the arithmetic of every line all read the same renders."""
    from derive.api import Document, load
    from derive.options import Options

    return Document(load(name), Options(style=style, precision=precision))


@functools.cache
def rendered(name: str, format: str = "markdown", style: str = "scalar", precision: int = 9) -> str:
    """A built-in example as Markdown or LaTeX (what ``derive NAME --format FORMAT`` writes), rendered once."""
    document = example_document(name, style, precision)
    return document.markdown() if format == "markdown" else document.latex()


# ---------------------------------------------------------------- the command line


def run_cli(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    """derive's main(argv) in this process: exit status, stdout, stderr."""
    from derive.cli import main

    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def cli_json(argv: list[str], capsys: pytest.CaptureFixture) -> dict:
    """The derive-json/1 document that main(argv) prints with --format json -o -."""
    status, out, err = run_cli(argv + ["--format", "json", "-o", "-"], capsys)
    assert status == 0, err
    return json.loads(out)


def python_env(**extra: str) -> dict[str, str]:
    """The environment of a test subprocess: this checkout's derive first (derive/resources.py then reads this
    checkout's templates/ and examples/), DERIVE_DEBUG unset."""
    env = dict(os.environ, **extra)
    env.pop("DERIVE_DEBUG", None)  # it turns internal errors into tracebacks
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return env


def run_derive(args: list[str], cwd: Path, hash_seed: str = "0", text: bool = False, timeout: int = 300,
               **streams: Any) -> subprocess.CompletedProcess:
    """``python -m derive ARGS`` in ``cwd``, as a user runs it; stdout and stderr are captured unless
    ``streams`` gives them (``stdout=open_file``)."""
    capture = {"capture_output": True} if not streams else streams
    return subprocess.run(
        [sys.executable, "-m", "derive", *args], cwd=cwd, env=python_env(PYTHONHASHSEED=hash_seed),
        text=text, timeout=timeout, **capture,
    )


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -c CODE`` in ``cwd`` with this checkout's derive."""
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=python_env(), capture_output=True, text=True,
                          timeout=120)


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), hidden ones included."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_refused(status: int, err: str, *parts: str) -> None:
    """Exit 2, one to three lines on stderr starting 'derive: ', no traceback, and every part in the message."""
    assert status == 2, err
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 3, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.startswith("derive: "), err
    for part in parts:
        assert part in err, f"{part!r} not in {err!r}"


def markdown_unescape(text: str) -> str:
    """What a CommonMark renderer shows for backslash escapes: the escaped punctuation itself."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def assert_markdown_literal(escaped: str, original: str) -> None:
    """Every Markdown special character is escaped, and unescaping gives the text back."""
    from derive.render import escape

    assert markdown_unescape(escaped) == original
    bare = re.sub(r"\\[!-/:-@\[-`{-~]", "", escaped)  # drop each escaped pair
    assert not set(bare) & escape.MARKDOWN_SPECIALS, bare


def section(markdown: str, title: str) -> str:
    """The text of one '## title' section of a Markdown document."""
    return markdown.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


# ---------------------------------------------------------------- the Debian packages a LaTeX source reads


def debian_packages_read(latex: str, folder: Path) -> set[str]:
    """The Debian packages of every file the TeX engine reads for ``latex`` (its -recorder list, by dpkg -S)."""
    from derive.render.pdf import engine_of

    engine = engine_of(latex)
    program = shutil.which(engine)
    if program is None or shutil.which("dpkg") is None:
        missing(f"{engine} and dpkg")
    (folder / "document.tex").write_text(latex, encoding="utf-8")
    subprocess.run([program, "-recorder", "-interaction=nonstopmode", "-no-shell-escape", "document.tex"],
                   cwd=folder, capture_output=True, timeout=600)
    read = {line.split(" ", 1)[1] for line in (folder / "document.fls").read_text(errors="replace").splitlines()
            if line.startswith("INPUT /usr/")}
    found = subprocess.run(["dpkg", "-S", *sorted(read)], capture_output=True, text=True).stdout
    packages = {line.split(":", 1)[0] for line in found.splitlines() if ": /" in line}
    return {package for entry in packages for package in entry.split(", ")} - {"diversion by dash from"}


def packages_ci_installs() -> set[str]:
    """The Debian packages on .ci/run's apt-get install lines, and what they depend on as installed here."""
    text = (ROOT / ".ci" / "run").read_text()
    named = set()
    for command in re.findall(r"apt-get install((?:[^\n\\]|\\\n)*)", text):  # lines joined by a backslash
        named.update(word for word in command.replace("\\\n", " ").split() if not word.startswith("-"))
    depends = subprocess.run(["apt-cache", "depends", "--recurse", "--installed", "--no-recommends", "--no-suggests",
                              "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *sorted(named)],
                             capture_output=True, text=True).stdout
    return named | {line.strip() for line in depends.splitlines() if line and not line.startswith(" ")}
