"""``--verify``: run the same network in PyTorch float64 and compare every number derive reports.

Compared: every forward value (z and a) and the loss of the derived step, every gradient, every
trained parameter after the first update, the loss after it, and for longer runs the loss history,
the final parameters and the final loss. derive's numbers are the Training's own: exact or
50-digit for the derived step, float64 for the later ones.

A value passes when |derive - PyTorch| <= 1e-9 * max(|derive|, |PyTorch|), or <= 1e-12 for values
below 1e-3 in magnitude. Together that is one test, on the *relative difference*
``|derive - PyTorch| / max(|derive|, |PyTorch|, 1e-3)``, which must be at most 1e-9.
torch is imported only here, and only when --verify asks for it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from . import numbers
from .errors import ToolMissingError, VerificationError
from .formatting import format_number
from .graph import Parameter, Partial, build_graph
from .network import Network
from .notation import names_for
from .numbers import Number
from .optimizers import Slot, read
from .training import Training

try:
    from .document import Figure, Prose, Section, Table
except ImportError:  # the document model before it had a module of its own
    from .derivation import Figure, Prose, Section, Table  # type: ignore[no-redef]

RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-12
FLOOR = ABSOLUTE_TOLERANCE / RELATIVE_TOLERANCE  # below this magnitude the absolute bound applies
INSTALL_HINT = 'pip install "backprop-derive[torch]"'
SHOWN_FAILURES = 3


@dataclass(frozen=True)
class Check:
    """One compared value: how the document names it, how a message names it, both numbers."""

    quantity: Prose
    label: str
    ours: Number | float
    theirs: float

    @property
    def difference(self) -> Number:
        """derive minus PyTorch, exactly (or at 50 digits when derive's value is an mpf)."""
        if isinstance(self.ours, mpmath.mpf) or not _finite(self.ours, self.theirs):
            return self.ours - mpmath.mpf(self.theirs)
        return Fraction(self.ours) - Fraction(self.theirs)

    @property
    def relative(self) -> float:
        """|difference| / max(|derive|, |PyTorch|, 1e-3)."""
        if not _finite(self.ours, self.theirs):
            return math.inf
        scale = max(abs(numbers.to_float(self.ours)), abs(self.theirs), FLOOR)
        return abs(numbers.to_float(self.difference)) / scale

    @property
    def passed(self) -> bool:
        """Within the tolerance (NaN or infinity never is)."""
        return self.relative <= RELATIVE_TOLERANCE


@dataclass(frozen=True)
class Report:
    """Every check of one run, and the PyTorch version that made the reference."""

    checks: tuple[Check, ...]
    torch_version: str

    @property
    def max_relative(self) -> float:
        """The largest relative difference over every check."""
        return max((check.relative for check in self.checks), default=0.0)

    @property
    def max_absolute(self) -> float:
        """The largest |derive - PyTorch| over every check."""
        return max((abs(numbers.to_float(c.difference)) for c in self.checks), default=0.0)


# ---------------------------------------------------------------- the public functions


def verification_section(
    network: Network, training: Training, notation: str | None = None
) -> Section:
    """The document's verification section; raises VerificationError when a value disagrees."""
    report = verify(network, training, notation)
    rows = tuple(
        (check.quantity, check.ours, check.theirs, (Figure(check.difference, 1),))
        for check in report.checks
    )
    return Section(
        "verification",
        "Verification against PyTorch",
        _intro(network, report),
        tables=(Table(("Quantity", "derive", "PyTorch", "Difference"), rows),),
    )


def add_verification_to_json(text: str, network: Network, training: Training) -> str:
    """The derive-json/1 text with a ``verification`` key (extra keys are allowed)."""
    report = verify(network, training)
    payload = json.loads(text)
    payload["verification"] = {
        "checked": len(report.checks),
        "max_relative_difference": report.max_relative,
        "max_absolute_difference": report.max_absolute,
        "tolerance": {"relative": RELATIVE_TOLERANCE, "absolute": ABSOLUTE_TOLERANCE},
        "reference": f"PyTorch {report.torch_version}, float64",
    }
    return json.dumps(payload, indent=2) + "\n"


def verify(network: Network, training: Training, notation: str | None = None) -> Report:
    """Run PyTorch on ``network`` and compare; raise VerificationError when a value disagrees."""
    try:
        import torch
    except ImportError:
        raise ToolMissingError(f"--verify needs PyTorch; install it with: {INSTALL_HINT}") from None
    from .torch_reference import torch_run

    reference = torch_run(network)
    report = Report(tuple(_checks(network, training, reference, notation)), torch.__version__)
    failures = [check for check in report.checks if not check.passed]
    if failures:
        raise VerificationError(_failure_message(failures))
    return report


# ---------------------------------------------------------------- what is compared


def _checks(
    network: Network, training: Training, reference: dict[str, Any], notation: str | None
) -> list[Check]:
    graph = build_graph(network)
    plain = names_for(graph, notation).plain
    E = graph.loss_total
    first, step = training.first, reference["steps"][0]
    steps = network.train.steps
    batch = network.data.batch_size
    checks: list[Check] = []

    for index, units in enumerate(graph.layers):
        record = step["layers"][index]
        for s in range(batch):
            suffix = f", sample {s + 1}" if batch > 1 else ""
            for unit in units:
                j = unit.index
                for symbol, key in ((unit.z, "z"), (unit.a, "a")):
                    ours = getattr(first.samples[s], key)[index][j]
                    label = f"{plain[symbol]}{suffix} (layer[{index + 1}].{key}[{s}][{j}])"
                    checks.append(Check((symbol, suffix), label, ours, record[key][s][j]))
    checks.append(Check((E,), f"the loss {plain[E]}", first.loss, step["loss"]))

    trained = [p for p in graph.parameters if p.trained]
    for parameter in trained:
        slot = _slot(parameter)
        checks.append(
            Check(
                (Partial(E, parameter.symbol),),
                f"the gradient d{plain[E]}/d{plain[parameter.symbol]} ({_key(slot, 'grad_')})",
                read(first.grad_weights, first.grad_biases, slot),
                _reference_value(step["layers"], slot, "grad_"),
            )
        )

    after = reference["steps"][1]["layers"] if steps > 1 else reference["final"]["layers"]
    for parameter in trained:
        slot = _slot(parameter)
        updated = sp.Symbol(f"{parameter.symbol.name}_new", real=True)
        checks.append(
            Check(
                (updated,),
                f"{plain[parameter.symbol]} after step 1 ({_key(slot)})",
                read(training.after_first.weights, training.after_first.biases, slot),
                _reference_value(after, slot),
            )
        )
    after_loss = reference["loss_history"][1] if steps > 1 else reference["final"]["loss"]
    words = " after the update" if steps == 1 else " after step 1"
    checks.append(Check((E, words), f"the loss {plain[E]}{words}", training.after_first_loss, after_loss))
    if steps == 1:
        return checks

    for k in range(2, steps):
        words = f" after step {k}"
        checks.append(
            Check((E, words), f"the loss {plain[E]}{words} (loss_history[{k}])",
                  training.loss_history[k], reference["loss_history"][k])
        )
    words = f" after step {steps}"
    for parameter in trained:
        slot = _slot(parameter)
        checks.append(
            Check(
                (parameter.symbol, words),
                f"{plain[parameter.symbol]}{words} ({_key(slot)})",
                read(training.final.weights, training.final.biases, slot),
                _reference_value(reference["final"]["layers"], slot),
            )
        )
    checks.append(
        Check((E, words), f"the loss {plain[E]}{words}", training.final_loss, reference["final"]["loss"])
    )
    return checks


def _slot(parameter: Parameter) -> Slot:
    return Slot(parameter.layer, parameter.kind, parameter.row, parameter.column)


def _key(slot: Slot, prefix: str = "") -> str:
    """``layer[2].grad_weight[0][1]``: layers count from 1, as in spec messages."""
    where = f"layer[{slot.layer + 1}].{prefix}{slot.kind}"
    if slot.row is not None:
        where += f"[{slot.row}]"
    if slot.column is not None:
        where += f"[{slot.column}]"
    return where


def _reference_value(layers: list[dict], slot: Slot, prefix: str = "") -> float:
    record = layers[slot.layer]
    if slot.kind == "weight":
        return record[f"{prefix}weight"][slot.row][slot.column]
    bias = record[f"{prefix}bias"]
    return bias[slot.row] if slot.row is not None else bias


# ---------------------------------------------------------------- text


def _intro(network: Network, report: Report) -> Prose:
    optimizer = {"sgd": "SGD", "adam": "Adam"}.get(network.train.optimizer, network.train.optimizer)
    steps = network.train.steps
    later = (
        ", then the loss history, the final parameters and the final loss (derive computes the "
        "steps after the first in float64, as PyTorch does)"
        if steps > 1
        else ""
    )
    return (
        "PyTorch ran the same network in float64: the forward pass, the loss, autograd's "
        f"gradients and torch.optim.{optimizer} for {steps} step{'s' if steps != 1 else ''}. "
        "The table compares every forward value, the loss, every gradient, every trained "
        f"parameter after the first update and the loss after it{later}. The difference is "
        "derive's value minus PyTorch's; a value passes when the difference is at most ",
        Figure(Fraction(1, 10**9), 0),
        " times the larger of the two in magnitude (at most ",
        Figure(Fraction(1, 10**12), 0),
        " for values below ",
        Figure(Fraction(1, 10**3), 0),
        f"). All {len(report.checks)} values pass; the largest relative difference is ",
        Figure(Fraction(report.max_relative), 1),
        ".",
    )


def _finite(*values: Number | float) -> bool:
    return all(mpmath.isfinite(numbers.to_mpf(v)) for v in values)


def _failure_message(failures: list[Check]) -> str:
    lines = [
        f"{check.label}: derive {_plain(check.ours)}, PyTorch {check.theirs!r} "
        f"(relative difference {check.relative:.1e})"
        for check in failures[:SHOWN_FAILURES]
    ]
    more = len(failures) - SHOWN_FAILURES
    if more > 0:
        lines.append(f"... and {more} more value{'s' if more != 1 else ''}")
    count = len(failures)
    return (
        f"--verify: derive and PyTorch disagree on {count} value{'s' if count != 1 else ''} "
        f"(tolerance: relative difference {RELATIVE_TOLERANCE:g}); no file was written:\n  "
        + "\n  ".join(lines)
    )


def _plain(value: Number | float) -> str:
    if isinstance(value, float):
        return repr(value)
    return format_number(value, 17).plain()
