"""Every value a document shows, as a quantity with a stable ID, its symbol, its formula and its value.

IDs follow the contract in design.md (``net_h1``, ``delta_o1``, ``grad_w5``, ``new_w5``, ``E``);
a value that belongs to one sample of a batch carries ``@k`` (``out_h1@2``). The table is built
once, from the training's numbers, before any section; sections refer to quantities by symbol or ID.
values.py gives every ID and value in order (all JSON needs); tabulate.py adds symbols and formulas.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

TRACE_FIRST_STEPS = 5  # the trace lists every one of the first steps, then log-spaced ones


KINDS = (
    "parameter", "setting", "input", "target", "net", "out", "term", "softmax", "cross_entropy", "loss",
    "path", "dE_dout", "slope", "delta", "local", "gradient", "state", "new", "after", "trace", "gate",
)


@dataclass(frozen=True)
class Quantity:
    """One value: its ID, its symbol in formulas, the formula that gives it, its sample and its kind.

    ``kind`` (one of KINDS) says what the value is: a net input, an error signal, a gradient...;
    exercises choose blanks by kind and the float64 comparison explains differences by it.
    """

    id: str
    value: Any
    symbol: sp.Basic | None = None
    formula: sp.Basic | None = None
    sample: int | None = None
    kind: str = "parameter"


class Quantities(Mapping[str, Quantity]):
    """The quantities of a document by ID, and per-sample views keyed by symbol for the printer.

    A quantity's ``sample`` is its row of the data (0-based), or None when it belongs to no sample.
    """

    def __init__(self, items: list[Quantity]) -> None:
        self._by_id: dict[str, Quantity] = {}
        for quantity in items:
            if quantity.id in self._by_id:
                raise ValueError(f"two quantities have the ID {quantity.id!r}")
            self._by_id[quantity.id] = quantity
        self._scopes: dict[int | None, dict[sp.Basic, Quantity]] = {}

    def __getitem__(self, key: str) -> Quantity:
        return self._by_id[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def values_by_id(self) -> dict[str, Any]:
        """Every ID with its value."""
        return {key: quantity.value for key, quantity in self._by_id.items()}

    def scope(self, sample: int | None) -> dict[sp.Basic, Quantity]:
        """The quantities a formula of sample ``sample`` refers to, keyed by symbol.

        ``None`` is the batch as a whole: every quantity that is not per sample, and the per-sample
        quantities whose symbol names its sample (a sample's share E^(s) of the loss).
        """
        if not self._scopes:
            self._index_scopes()
        found = self._scopes.get(sample)
        if found is None:
            found = self._scopes[sample] = dict(self._shared)
            found.update(self._per_sample.get(sample, {}))
        return found

    def _index_scopes(self) -> None:
        """Sort the quantities by sample once, so each sample's scope costs its own size, not the document's."""
        shared: dict[sp.Basic, Quantity] = {}
        per_sample: dict[int, dict[sp.Basic, Quantity]] = {}
        batch: dict[sp.Basic, Quantity] = {}
        seen: dict[sp.Basic, int] = {}
        for quantity in self._by_id.values():
            if quantity.symbol is None:
                continue
            seen[quantity.symbol] = seen.get(quantity.symbol, 0) + 1
            if quantity.sample is None:
                shared[quantity.symbol] = quantity
            else:
                per_sample.setdefault(quantity.sample, {})[quantity.symbol] = quantity
        for quantity in self._by_id.values():
            if quantity.symbol is not None and (quantity.sample is None or seen[quantity.symbol] == 1):
                batch[quantity.symbol] = quantity
        self._shared, self._per_sample = shared, per_sample
        self._scopes[None] = batch

    def lookup(self, symbol: sp.Basic, sample: int | None) -> Quantity | None:
        """The quantity ``symbol`` stands for in sample ``sample`` (None: the batch), if any."""
        return self.scope(sample).get(symbol)


def trace_steps(total: int) -> list[int]:
    """The steps a trace shows: the first few, then about three per decade, then the last."""
    chosen = list(range(1, min(total, TRACE_FIRST_STEPS) + 1))
    decade = 10
    while decade < total:
        for multiple in (1, 2, 5):
            step = multiple * decade
            if TRACE_FIRST_STEPS < step < total:
                chosen.append(step)
        decade *= 10
    if total not in chosen:
        chosen.append(total)
    return chosen
