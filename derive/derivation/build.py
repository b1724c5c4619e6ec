"""The derivation as one pure function: (network, training, options) -> a frozen Derivation."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any, Sequence

from ..engine.training import Training
from ..errors import SpecError
from ..text.message import Msg, Plain, Text, Value, msg
from ..network import Network
from .backward import backward_section, batch_section
from .facts import Facts, focus
from .float64 import notes
from .forward import forward_section, loss_section
from .graph import Graph, build_graph
from .ids import Ids
from .model import Derivation, Section
from .network_section import network_section
from .notation import Notation
from .quantities import Quantities
from .tabulate import build_quantities
from .update import after_section, summary_section, trace_section, update_section
from .values import values_by_id

if TYPE_CHECKING:
    from .circuit import Circuit


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
    in_float = values_by_id(network, training, naming.id_of, in_float64=True)
    line_notes = notes(quantities, in_float, getattr(network.train.optimizer, "eps", None))
    line_notes.update(published_notes(network, quantities, in_own_notation(network, training, naming, quantities)))
    chosen = focus(naming, only)
    circuit = None
    if style == "graph":
        circuit = _circuit(graph, naming, quantities, chosen if only else frozenset(), len(training.first.batch))
        quantities = Quantities(list(quantities.values()) + list(circuit.items))
    facts = Facts(network, training, graph, naming, quantities, chosen, precision, line_notes)
    sections: list[Section] = [network_section(facts)]
    if circuit is not None:
        from .circuit_section import graph_backward_section, graph_forward_section  # only the graph view needs them

        sections.extend((graph_forward_section(facts, circuit), loss_section(facts), graph_backward_section(facts, circuit)))
    elif style == "matrix":
        from .matrix import matrix_loss_section, matrix_sections  # only the matrix form needs it

        forward, backward = matrix_sections(facts)
        sections.extend((forward, matrix_loss_section(facts), backward))
    else:
        sections.extend(forward_section(facts, s) for s in facts.detailed_samples())
        sections.append(loss_section(facts))
        sections.extend(backward_section(facts, s) for s in facts.detailed_samples())
        if facts.batch > 1:
            sections.append(batch_section(facts))
    if style == "matrix":
        from .matrix import matrix_update_section

        sections.append(matrix_update_section(facts))
    else:
        sections.append(update_section(facts))
    sections.append(summary_section(facts))
    sections.append(after_section(facts))
    if network.updates > 1:
        sections.append(trace_section(facts))
    return Derivation(network, training, graph, naming, quantities, tuple(sections), circuit.names if circuit else None)


def _circuit(graph: Graph, naming: Notation, quantities: Quantities, chosen: frozenset, batch: int) -> "Circuit":
    """The gates of the first sample; --only's first parameter picks where a large network's path starts."""
    from .circuit import build_circuit

    start = next((unit for p in graph.parameters if p.symbol in chosen for unit in graph.consumers(p)), None)
    loss = graph.loss_total if batch == 1 else graph.sample_losses[0]
    return build_circuit(graph, naming, quantities, loss, start)


def in_own_notation(network: Network, training: Training, naming: Notation, quantities: Quantities) -> dict[str, str]:
    """Each quantity ID in the network's default notation, which a [published] table uses, to its ID in ``naming``."""
    if network.published is None or not network.published.figures:
        return {}
    default = Ids.of(network)
    if default.scheme == naming.scheme:
        return {key: key for key in quantities}
    # the same quantities in the same order, named by the other notation
    return dict(zip(values_by_id(network, training, default), quantities))


def published_notes(network: Network, quantities: Quantities, own: dict[str, str]) -> dict[str, Msg]:
    """A note at each line whose figure the spec's [published] table gives, with the source and its figure."""
    published = network.published
    if published is None:
        return {}
    found = {}
    for key, figure in published.figures:
        if key not in own:
            near = difflib.get_close_matches(key, list(own), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise SpecError(f"{network.source or network.name}: published.figures: no quantity {key!r}{hint}")
        found[own[key]] = msg("published.figure", source=Text(published.source), published=Plain(figure),
                              exact=Value(own[key], decimals=10))
    return found


def quantities_of(network: Network, training: Training, notation: str | None = None) -> dict[str, Any]:
    """Every quantity's value by ID, without the graph, the formulas or the sections (for JSON)."""
    return values_by_id(network, training, Ids.of(network, notation))
