"""``--verify``: run the same network in PyTorch float64 and compare every number derive computes in float64.

derive computes the first step twice, exactly and in float64, and trains on in float64. Compared
with PyTorch, by quantity ID: every forward value of the derived batch (``net_h1@2``), the loss
``E``, every gradient (``grad_w5``), every trained parameter after the first update (``new_w5``)
and the loss after it (``E_after``), all from derive's float64 step; for longer runs also the loss
history, the final parameters and the final loss. Where the exact derivation and float64 part
ways, the section lists those values apart: they are no failure (see derivation/float64.py).

A value of the first step passes when |derive - PyTorch| <= 1e-12 * max(|derive|, |PyTorch|), or
<= 1e-15 for values below 1e-3 in magnitude: one test on
``|derive - PyTorch| / max(|derive|, |PyTorch|, 1e-3) <= 1e-12``. The values of later steps pass at
1e-9: two float64 implementations (derive's, PyTorch's vectorised kernels) differ in their last
bits, and training carries such differences from step to step. torch is imported only here, and
only when --verify asks for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import mpmath

from ..engine.arithmetic import Exact, is_mpf, to_float
from ..engine.parameters import Slot, read
from ..engine.training import Training
from ..errors import ToolMissingError, VerificationError
from ..network import Network

if TYPE_CHECKING:
    from ..derivation.notation import Notation

RELATIVE_TOLERANCE = 1e-12
ABSOLUTE_TOLERANCE = 1e-15
LATER_TOLERANCE = 1e-9  # relative, for the steps after the first
FLOOR = ABSOLUTE_TOLERANCE / RELATIVE_TOLERANCE  # below this magnitude the absolute bound applies
INSTALL_HINT = 'pip install "backprop-derive[torch]"'
SHOWN_FAILURES = 3


@dataclass(frozen=True)
class Check:
    """One compared value: its quantity ID (or a label), where PyTorch keeps it, and both numbers."""

    quantity: str
    where: str
    ours: Any
    theirs: float
    step: int | None = None  # a later step's loss, which is no quantity of the document
    tolerance: float = RELATIVE_TOLERANCE

    @property
    def label(self) -> str:
        """How a message names the value."""
        return f"{self.quantity} ({self.where})" if self.where else self.quantity

    @property
    def difference(self) -> Any:
        """derive minus PyTorch, exactly (or at 50 digits when derive's value is an mpf)."""
        if is_mpf(self.ours) or not _finite(self.ours, self.theirs):
            ops = Exact()
            return ops.settle(ops.mpf(self.ours) - ops.mpf(self.theirs))
        return Fraction(self.ours) - Fraction(self.theirs)

    @property
    def relative(self) -> float:
        """|difference| / max(|derive|, |PyTorch|, 1e-3)."""
        if not _finite(self.ours, self.theirs):
            return math.inf
        scale = max(abs(to_float(self.ours)), abs(self.theirs), FLOOR)
        return abs(to_float(self.difference)) / scale

    @property
    def passed(self) -> bool:
        """Within the tolerance (NaN or infinity never is)."""
        return self.relative <= self.tolerance


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
        return max((abs(to_float(c.difference)) for c in self.checks), default=0.0)


def verify(network: Network, training: Training, notation: Notation | None = None) -> Report:
    """Run PyTorch on ``network`` and compare, naming values as ``notation`` does (a document's, else the
    network's own); raise VerificationError when one disagrees."""
    try:
        import torch
    except ImportError:
        raise ToolMissingError(f"--verify needs PyTorch; install it with: {INSTALL_HINT}") from None
    from .reference import torch_run

    reference = torch_run(network)
    report = Report(tuple(_checks(network, training, reference, notation)), torch.__version__)
    failures = [check for check in report.checks if not check.passed]
    if failures:
        raise VerificationError(_failure_message(failures))
    return report


def verification_summary(network: Network, training: Training) -> dict[str, Any]:
    """The JSON ``verification`` key: how many values were checked and the largest differences."""
    report = verify(network, training)
    return {
        "checked": len(report.checks),
        "max_relative_difference": report.max_relative,
        "max_absolute_difference": report.max_absolute,
        "tolerance": {"relative": RELATIVE_TOLERANCE, "absolute": ABSOLUTE_TOLERANCE},
        "reference": f"PyTorch {report.torch_version}, float64",
    }



# ---------------------------------------------------------------- what is compared


def _checks(network: Network, training: Training, reference: dict[str, Any],
            notation: Notation | None) -> list[Check]:
    in_float = training.float64
    first, step = in_float.first, reference["steps"][0]
    updates = network.updates
    rows = network.data.batch_size
    suffix = (lambda row: f"@{row + 1}") if rows > 1 else (lambda row: "")
    names, trained = _ids_by_slot(network, training, notation)
    checks: list[Check] = []
    for index, layer in enumerate(network.layers):
        record = step["layers"][index]
        for s, row in enumerate(first.batch):
            for j in range(layer.out_features):
                for key, kind in (("z", "net"), ("a", "out")):
                    quantity = names[(kind, index, j)] + suffix(row)
                    ours = getattr(first.samples[s], key)[index][j]
                    checks.append(Check(quantity, f"layer[{index + 1}].{key}[{s}][{j}]", ours, record[key][s][j]))
    checks.append(Check("E", "", first.loss, step["loss"]))
    for slot in trained:
        key = names[("param", slot)]
        checks.append(Check("grad_" + key, _key(slot, "grad_"), read(first.grad_weights, first.grad_biases, slot),
                            _reference_value(step["layers"], slot, "grad_")))
    after = reference["steps"][1]["layers"] if updates > 1 else reference["final"]["layers"]
    for slot in trained:
        key = names[("param", slot)]
        checks.append(Check("new_" + key, _key(slot), read(in_float.after_first.weights, in_float.after_first.biases, slot),
                            _reference_value(after, slot)))
    checks.append(Check("E_after", "", in_float.after_first_loss, reference["after_first_loss"]))
    if updates == 1:
        return checks
    for k in range(2, updates):
        checks.append(Check(f"E_step{k + 1}", f"loss_history[{k}]", training.loss_history[k], reference["loss_history"][k],
                            k, LATER_TOLERANCE))
    for slot in trained:
        key = names[("param", slot)]
        checks.append(Check("final_" + key, _key(slot), read(training.final.weights, training.final.biases, slot),
                            _reference_value(reference["final"]["layers"], slot), tolerance=LATER_TOLERANCE))
    checks.append(Check("E_final", "", training.final_loss, reference["final"]["loss"], tolerance=LATER_TOLERANCE))
    return checks


def _ids_by_slot(network: Network, training: Training, notation: Notation | None) -> tuple[dict, list[Slot]]:
    """The IDs, in ``notation`` (a document's, whose graph is built already; else the network's own), of every
    unit's net and out and of every parameter, by place; the trained slots in the document's order."""
    if notation is None:
        from ..derivation.graph import build_graph
        from ..derivation.notation import Notation

        notation = Notation(build_graph(network, len(training.first.batch)), network.train.optimizer)
    graph = notation.graph
    names: dict = {}
    for layer in graph.layers:
        for unit in layer:
            names[("net", unit.layer, unit.index)] = notation.ids[unit.z]
            names[("out", unit.layer, unit.index)] = notation.ids[unit.a]
    for parameter in graph.parameters:
        names[("param", parameter.slot)] = notation.ids[parameter.symbol]
    return names, [p.slot for p in graph.parameters if p.trained]


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



def _finite(*values: Any) -> bool:
    return all(isinstance(v, Fraction) or mpmath.isfinite(v) for v in values)


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
        f"(tolerance: relative difference {RELATIVE_TOLERANCE:g} for the first step, {LATER_TOLERANCE:g} after it); "
        "no file was written:\n  "
        + "\n  ".join(lines)
    )


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Fraction):
        return repr(float(value)) if value.denominator != 1 else str(value)
