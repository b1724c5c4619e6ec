"""The derivation as one pure function: (network, training, options) -> a frozen Derivation."""

from __future__ import annotations

from typing import Sequence

from ..engine.training import Training
from ..network import Network
from .backward import backward_section, batch_section
from .facts import Facts, focus
from .float64 import notes
from .forward import forward_section, loss_section
from .graph import build_graph
from .matrix import matrix_sections
from .model import Derivation, Section
from .network_section import network_section
from .notation import Notation
from .quantities import build_quantities
from .update import after_section, summary_section, trace_section, update_section


def derive_document(
    network: Network,
    training: Training,
    notation: str | None = None,
    only: Sequence[str] = (),
    style: str = "scalar",
    precision: int = 9,
) -> Derivation:
    """Every section of the derivation of ``network``; ``precision`` decides how large a matrix prints in full."""
    graph = build_graph(network, len(training.first.batch))
    naming = Notation(graph, network.train.optimizer, notation)
    quantities = build_quantities(network, training, graph, naming)
    in_float = build_quantities(network, training, graph, naming, in_float64=True, formulas=False)
    facts = Facts(network, training, graph, naming, quantities, focus(naming, only), precision,
                  notes(quantities, in_float, getattr(network.train.optimizer, "eps", None)))
    sections: list[Section] = [network_section(facts)]
    if style == "matrix":
        forward, backward = matrix_sections(facts)
        sections.extend((forward, loss_section(facts), backward))
    else:
        sections.extend(forward_section(facts, s) for s in facts.detailed_samples())
        sections.append(loss_section(facts))
        sections.extend(backward_section(facts, s) for s in facts.detailed_samples())
        if facts.batch > 1:
            sections.append(batch_section(facts))
    sections.append(update_section(facts))
    sections.append(summary_section(facts))
    sections.append(after_section(facts))
    if network.updates > 1:
        sections.append(trace_section(facts))
    return Derivation(network, training, graph, naming, quantities, tuple(sections))


def quantities_of(network: Network, training: Training, notation: str | None = None) -> dict:
    """Every quantity's value by ID, without building the sections (for JSON)."""
    graph = build_graph(network, len(training.first.batch))
    naming = Notation(graph, network.train.optimizer, notation)
    return build_quantities(network, training, graph, naming, formulas=False).values_by_id()
