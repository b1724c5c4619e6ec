"""The derivation as a student computes it by hand (--rounding carry): every value rounded and used rounded."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..errors import NotComputable, UsageError
from .model import Derivation, Section
from .quantities import Quantities
from .recompute import Recompute


def carry_derivation(derivation: Derivation, decimals: int, values: Mapping[str, Any] | None = None) -> Derivation:
    """The derivation as a student computes it: each value rounded to ``decimals`` places and used rounded.

    ``values`` are the carried values if already computed. Notes that compare exact values with
    float64 or a published figure are left out: they speak of the exact values, which this
    derivation no longer shows.
    """
    if values is None:
        try:
            values = Recompute(derivation).values(decimals=decimals)
        except NotComputable as error:
            raise UsageError(
                f"--rounding carry: with every value rounded to {decimals} decimals, {error.quantity} "
                f"{error.reason}; a higher --precision keeps the digits it needs"
            ) from None
    quantities = Quantities([dataclasses.replace(q, value=values[q.id]) for q in derivation.quantities.values()])
    sections = tuple(_without_notes(section) for section in derivation.sections)
    return dataclasses.replace(derivation, quantities=quantities, sections=sections, rounding="carry")


def _without_notes(section: Section) -> Section:
    blocks = tuple(
        dataclasses.replace(block, equations=tuple(dataclasses.replace(e, note=None) for e in block.equations))
        for block in section.blocks
    )
    return dataclasses.replace(section, blocks=blocks, notes=())
