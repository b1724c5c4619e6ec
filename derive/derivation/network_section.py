"""The first section: what is derived (shape, loss, optimizer, training) and tables of the parameters and data."""

from __future__ import annotations

from ..text.message import Code, Given, Math, Msg, Series, Text, Value, msg
from ..network import Network
from .facts import Facts
from .graph import Parameter
from .model import NUMBER, TEXT, Section, Table


def count(noun: str, number: int) -> Msg:
    """'2 inputs': a number with its noun, plural as the language makes it."""
    return msg(f"count.{noun}", count=number)


LISTED_SAMPLES = 100  # the data table stops here (or after the first batch): a CSV of 20,000 rows is no table to read
# More inputs and targets than this, on at most TURNED_SAMPLES samples, read better down the page (a
# row per quantity, a column per sample) than across it: 16 inputs of one sample make a long thin row.
TURNED_ABOVE = 8
TURNED_SAMPLES = 4


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
    listed = min(network.data.batch_size, max(LISTED_SAMPLES, len(facts.training.first.batch)))
    tables = (
        Table(tuple(msg(f"header.{key}") for key in ("parameter", "connects", "value", "status")), parameter_rows,
              (TEXT, TEXT, NUMBER, TEXT)),
        _data_table(facts, listed),
    )
    closing = () if listed == network.data.batch_size else (
        msg("network.samples_not_listed", listed=listed, count=network.data.batch_size, json=Code("--format json")),
    )
    return Section("network", msg("network.title"), tuple(intro), tables=tables, closing=closing, figure=True)


def _data_table(facts: Facts, listed: int) -> Table:
    """The inputs and targets: a row per sample and a column per quantity, or turned when that row is long."""
    graph, ids = facts.graph, facts.notation.ids
    symbols = graph.inputs + (graph.targets if facts.network.loss.targets else ())
    suffix = (lambda row: f"@{row + 1}") if facts.network.data.batch_size > 1 else (lambda row: "")
    if len(symbols) > TURNED_ABOVE and listed <= TURNED_SAMPLES:
        if listed == 1:
            header: tuple = (msg("header.name"), msg("header.value"))
        else:
            header = (msg("header.name"),) + tuple(msg("header.sample_number", sample=row + 1) for row in range(listed))
        rows = tuple((Math(symbol),) + tuple(Value(ids[symbol] + suffix(row)) for row in range(listed)) for symbol in symbols)
        return Table(header, rows, (TEXT,) + (NUMBER,) * listed)
    header = (msg("header.sample"),) + tuple(Math(symbol) for symbol in symbols)
    rows = tuple((row + 1,) + tuple(Value(ids[symbol] + suffix(row)) for symbol in symbols) for row in range(listed))
    return Table(header, rows, (NUMBER,) * (1 + len(symbols)))


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

