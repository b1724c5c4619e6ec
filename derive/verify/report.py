"""The document's verification section: derive's values beside PyTorch's, and where exact and float64 part ways."""

from __future__ import annotations

from fractions import Fraction

from ..derivation.float64 import Difference, differences
from ..derivation.model import Derivation, Section, Table
from ..derivation.quantities import Quantity
from ..derivation.values import values_by_id
from ..network import Network
from ..text.message import Math, Msg, Value, msg
from .compare import Check, Report, verify


def verification_section(derivation: Derivation) -> Section:
    """The document's verification section; raises VerificationError when a value disagrees."""
    network, training = derivation.network, derivation.training
    report = verify(network, training, derivation.notation)
    rows = tuple(
        (_row_label(derivation, check), Value(number=check.ours), Value(number=check.theirs),
         Value(number=check.difference, decimals=1))
        for check in report.checks
    )
    header = tuple(msg(f"verify.header_{key}") for key in ("quantity", "derive", "pytorch", "difference"))
    tables = [Table(header, rows)]
    intro = [_intro(network, report)]
    parted = exact_and_float64(derivation)
    if parted:
        intro.append(msg("verify.exact_intro", count=len(parted)))
        header = tuple(msg(f"verify.header_{key}") for key in ("quantity", "exact", "float64", "root"))
        tables.append(Table(header, tuple(
            (_symbol_label(derivation, d.quantity), Value(d.quantity.id), Value(number=d.float64), Math(d.root.symbol))
            for d in parted
        )))
    return Section("verification", msg("verify.title"), tuple(intro), tables=tuple(tables))


def exact_and_float64(derivation: Derivation) -> list[Difference]:
    """The values of the first step on which the exact derivation and float64 part ways, where a line's note says so."""
    in_float = values_by_id(derivation.network, derivation.training, derivation.notation.id_of, in_float64=True)
    found = differences(derivation.quantities, in_float)
    noted = {equation.quantity for section in derivation.sections for block in section.blocks
             for equation in block.equations if equation.note is not None}
    return [difference for difference in found.values()
            if difference.quantity.id in noted or difference.quantity.id == "E_after"]


def _symbol_label(derivation: Derivation, quantity: Quantity) -> Msg | Math:
    if quantity.id == "E_after":
        return msg("verify.after_update", name=Math(derivation.graph.loss_total))
    if quantity.sample is not None and len(derivation.training.first.batch) > 1:
        return msg("verify.sample", name=Math(quantity.symbol), sample=quantity.sample + 1)
    return Math(quantity.symbol)


def _row_label(derivation: Derivation, check: Check) -> Msg | Math:
    """How the table names a checked value: its symbol, with the sample or the step it belongs to."""
    quantities, E = derivation.quantities, Math(derivation.graph.loss_total)
    if check.step is not None:
        return msg("verify.after_step", name=E, step=check.step)
    if check.quantity == "E_after":
        return msg("verify.after_update" if derivation.network.updates == 1 else "verify.after_step", name=E, step=1)
    if check.quantity == "E_final":
        return msg("verify.after_step", name=E, step=derivation.network.updates)
    if check.quantity.startswith("final_"):
        symbol = quantities[check.quantity.removeprefix("final_")].symbol
        return msg("verify.after_step", name=Math(symbol), step=derivation.network.updates)
    _, _, sample = check.quantity.partition("@")
    symbol = Math(quantities[check.quantity].symbol)
    if sample and len(derivation.training.first.batch) > 1:
        return msg("verify.sample", name=symbol, sample=int(sample))
    return symbol


def _intro(network: Network, report: Report) -> Msg:
    optimizer = network.train.optimizer
    later = "verify.intro_steps" if network.updates > 1 else "verify.intro_one_step"
    return msg(
        later,
        optimizer=optimizer.torch_class,
        steps=msg("count.step", count=network.updates),
        relative=Value(number=Fraction(1, 10**12), decimals=0),
        absolute=Value(number=Fraction(1, 10**15), decimals=0),
        later=Value(number=Fraction(1, 10**9), decimals=0),
        floor=Value(number=Fraction(1, 10**3), decimals=0),
        checked=len(report.checks),
        largest=Value(number=Fraction(report.max_relative), decimals=1),
    )
