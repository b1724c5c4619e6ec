"""The first section: what is derived (shape, loss, optimizer, training) and tables of the parameters and data."""

from __future__ import annotations

from ..text.message import Code, Given, Math, Msg, Series, Text, Value, msg
from ..network import Network
from .facts import Facts
from .graph import Parameter
from .model import Section, Table


def count(noun: str, number: int) -> Msg:
    """'2 inputs': a number with its noun, plural as the language makes it."""
    return msg(f"count.{noun}", count=number)


LISTED_SAMPLES = 100  # the data table stops here (or after the first batch): a CSV of 20,000 rows is no table to read


def network_section(facts: Facts) -> Section:
    """The network's shape, loss, optimizer and training, its parameters and its data."""
    network, graph, ids = facts.network, facts.graph, facts.notation.ids
    widths = network.widths
    shape_args = dict(
        inputs=count("input", widths[0]),
        outputs=count("output_neuron", widths[-1]),
        parameters=count("parameter", network.parameter_count),
        samples=_samples(network),
    )
    if len(widths) > 3:
        shape = msg("network.shape_hidden", widths=Series(tuple(widths[1:-1])), **shape_args)
    elif len(widths) == 3:
        shape = msg("network.shape_one_hidden", hidden=count("neuron", widths[1]), **shape_args)
    else:
        shape = msg("network.shape_single", **shape_args)
    intro = [shape, msg("network.loss", loss=network.loss.words()), _training(facts)]
    if network.data.source:
        intro.append(msg("network.data_file", file=Code(network.data.source)))
    if network.provenance:
        intro.append(_provenance(network.provenance))
    parameter_rows = tuple(
        (Math(p.symbol), _connection(facts, p), Value(ids[p.symbol]), msg("network.trained" if p.trained else "network.frozen"))
        for p in graph.parameters
    )
    suffix = (lambda row: f"@{row + 1}") if network.data.batch_size > 1 else (lambda row: "")
    listed = min(network.data.batch_size, max(LISTED_SAMPLES, len(facts.training.first.batch)))
    data_rows = []
    for row in range(listed):
        for role, symbols in (("network.input", graph.inputs), ("network.target", graph.targets)):
            for symbol in symbols:
                data_rows.append((row + 1, msg(role), Math(symbol), Value(ids[symbol] + suffix(row))))
    tables = (
        Table(tuple(msg(f"header.{key}") for key in ("parameter", "connects", "value", "status")), parameter_rows),
        Table(tuple(msg(f"header.{key}") for key in ("sample", "role", "name", "value")), tuple(data_rows)),
    )
    closing = () if listed == network.data.batch_size else (
        msg("network.samples_not_listed", listed=listed, count=network.data.batch_size, json=Code("--format json")),
    )
    return Section("network", msg("network.title"), tuple(intro), tables=tables, closing=closing, figure=True)


def _samples(network: Network) -> Msg:
    if network.data.batch_size == 1:
        return msg("network.one_sample")
    key = "network.batch" if len(network.batches()) == 1 else "network.samples"
    return msg(key, count=network.data.batch_size)


def _training(facts: Facts) -> Msg:
    network = facts.network
    optimizer = network.train.optimizer.words()
    batches = len(network.batches())
    if batches == 1:
        return msg("network.training", optimizer=optimizer, lr=Given("lr"), steps=count("step", network.updates))
    args = dict(
        optimizer=optimizer,
        lr=Given("lr"),
        size=count("sample", network.train.batch_size),
        per_epoch=count("mini_batch", batches),
        updates=count("update", network.updates),
    )
    if network.train.epochs is not None:
        return msg("network.training_epochs", epochs=count("epoch", network.train.epochs), **args)
    return msg("network.training_batches", **args)


def _provenance(dtypes: tuple[str, ...]) -> Msg:
    if dtypes in (("float32",), ("float64",)):
        return msg(f"network.provenance_{dtypes[0]}")
    return msg("network.provenance_mixed", kinds=Series(tuple(Text(d) for d in dtypes), "and"))


def _connection(facts: Facts, parameter: Parameter) -> Msg:
    layer = facts.graph.layers[parameter.layer]
    slot = parameter.slot
    if slot.kind == "weight":
        source = facts.graph.previous_activations(parameter.layer)[slot.column]
        return msg("network.connects", source=Math(source), target=Math(layer[slot.row].z))
    if slot.row is None:
        return msg("network.bias_shared")
    return msg("network.bias_of", unit=Math(layer[slot.row].z))

