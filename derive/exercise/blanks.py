"""Which quantities a sheet leaves blank: groups by kind (--blanks gradients,updates) or quantity IDs (--blanks w5,...)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from ..derivation.model import Derivation
from ..derivation.quantities import Quantities
from ..errors import UsageError

GROUPS: dict[str, tuple[str, ...]] = {
    "forward": ("net", "out", "softmax"),
    "loss": ("term", "cross_entropy", "loss"),
    "deltas": ("delta",),
    "gradients": ("gradient",),
    "updates": ("state", "new"),
    "all": ("net", "out", "softmax", "term", "cross_entropy", "loss", "path", "dE_dout", "slope", "delta",
            "gradient", "state", "new", "after"),
}
DEFAULT_BLANKS = ("gradients", "updates")
ASKABLE = frozenset(GROUPS["all"])  # givens are on the sheet, local derivatives repeat other values, traces are float64


def parse_blanks(text: str | None) -> tuple[str, ...]:
    """The --blanks argument as a tuple of group names and IDs (the default when None)."""
    if text is None:
        return DEFAULT_BLANKS
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    if not chosen:
        raise UsageError("--blanks: expected groups (forward, loss, deltas, gradients, updates, all) or quantity IDs")
    return chosen


def choose_blanks(derivation: Derivation, chosen: Sequence[str]) -> tuple[str, ...]:
    """The IDs the sheet leaves blank, in the order the derivation shows them."""
    quantities = derivation.quantities
    wanted: set[str] = set()
    for name in chosen:
        if name in GROUPS:
            kinds = GROUPS[name]
            wanted.update(key for key, q in quantities.items() if q.kind in kinds)
        else:
            wanted.add(_askable(quantities, name))
    if not wanted:
        raise UsageError(f"--blanks {','.join(chosen)}: this network has no such quantities")
    return tuple(key for key in shown_order(derivation) if key in wanted)


def shown_order(derivation: Derivation) -> list[str]:
    """Every quantity ID, those with a line of the derivation first, in the order of their lines."""
    order: dict[str, None] = {}
    for section in derivation.sections:
        for block in section.blocks:
            for equation in block.equations:
                if equation.quantity is not None:
                    order.setdefault(equation.quantity)
    for key in derivation.quantities:
        order.setdefault(key)
    return list(order)


def _askable(quantities: Quantities, key: str) -> str:
    if key not in quantities:
        groups = list(GROUPS)
        near = difflib.get_close_matches(key, groups + list(quantities), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise UsageError(f"--blanks: no group or quantity named '{key}'{hint}; the groups are {', '.join(groups)}")
    kind = quantities[key].kind
    if kind not in ASKABLE:
        reason = {"parameter": "a given", "setting": "a given", "input": "a given", "target": "a given",
                  "local": "a local derivative, equal to another quantity", "trace": "a value of later training steps"}
        raise UsageError(f"--blanks: '{key}' is {reason.get(kind, kind)}, not a value to work out on the sheet")
    return key
