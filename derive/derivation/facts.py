"""What every section builder reads: the network, its numbers, symbols, names and quantities. Nothing here changes."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import sympy as sp

from ..engine.training import Training
from ..errors import UsageError
from ..text.message import Msg
from ..network import Network
from .graph import Graph, Parameter
from .model import Equation
from .notation import Notation
from .quantities import Quantities

DETAILED_SAMPLES = 2  # samples of a batch derived line by line; the rest appear in tables


@dataclass(frozen=True)
class Facts:
    """The read-only inputs of the section builders."""

    network: Network
    training: Training
    graph: Graph
    notation: Notation
    quantities: Quantities
    focus: frozenset[sp.Symbol]
    precision: int
    float64_notes: Mapping[str, Msg] = field(default_factory=dict)

    @property
    def batch(self) -> int:
        """The number of samples in the derived (first) batch."""
        return len(self.training.first.batch)

    def detailed_samples(self) -> range:
        """The samples derived line by line."""
        return range(min(self.batch, DETAILED_SAMPLES))

    def loss_symbol(self, sample: int) -> sp.Symbol:
        """E for a single sample, E^(s) (sample s's share of E) in a batch."""
        return self.graph.loss_total if self.batch == 1 else self.graph.sample_losses[sample]

    def derived_in_full(self, parameter: Parameter) -> bool:
        """Whether --only (if given) asks for this parameter's chain."""
        return parameter.symbol in self.focus

    def equation(self, lhs: sp.Basic, forms: Sequence[sp.Basic], numbers: sp.Basic | None, sample: int | None) -> Equation:
        """lhs = forms = numbers = the value of the quantity ``lhs`` stands for in ``sample``."""
        quantity = self.quantities.lookup(lhs, sample)
        key = quantity.id if quantity else None
        return Equation(lhs, tuple(forms), numbers, key, sample, self.float64_notes.get(key))


def focus(notation: Notation, only: Sequence[str]) -> frozenset[sp.Symbol]:
    """The parameters --only names, by ID; every parameter when it names none."""
    by_id = notation.parameter_ids()
    if not only:
        return frozenset(p.symbol for p in by_id.values())
    chosen = set()
    for name in only:
        if name not in by_id:
            near = difflib.get_close_matches(name, list(by_id), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise UsageError(f"--only: no parameter named '{name}'{hint}; the parameters are {', '.join(by_id)}")
        chosen.add(by_id[name].symbol)
    return frozenset(chosen)
