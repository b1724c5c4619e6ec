"""The optimizer's update, the summary, the loss after the update and the training trace, as document sections."""

from __future__ import annotations

from ..engine.arithmetic import Exact, to_float
from ..text.message import Given, Math, Msg, Plain, Series, Text, Value, msg
from .facts import Facts
from .model import Block, Chart, Equation, Section, Table
from .nodes import Partial
from .notation import Marked, Name
from .quantities import trace_steps
from .tabulate import update_symbols

CHART_POINTS = 120


def update_section(facts: Facts) -> Section:
    """Every trained parameter's update, derived with the optimizer's rule and numbers."""
    graph, notation, quantities = facts.graph, facts.notation, facts.quantities
    optimizer = facts.network.train.optimizer
    equations: list[Equation] = []  # one display: each parameter's steps in turn, named by their symbols
    for parameter in graph.parameters:
        new_id = notation.updated_id(parameter)
        if new_id not in quantities or not facts.derived_in_full(parameter):
            continue
        symbols = update_symbols(graph, parameter, optimizer)
        for key, rule in optimizer.first_step_rules(symbols):
            # The rule stands in symbols just above, so each line puts this parameter's numbers into it.
            equations.append(facts.equation(symbols[key], [], rule, None))
    blocks = [_rule_block(facts), Block((), (), tuple(equations))] if equations else []
    closing: list[Msg] = []
    frozen = [p for p in graph.parameters if not p.trained]
    if frozen:
        closing.append(msg("update.frozen", parameters=Series(tuple(Math(p.symbol) for p in frozen))))
    if len(facts.focus) < len(graph.parameters):
        closing.append(msg("update.others"))
    return Section("update", msg("update.title"), optimizer.intro(), tuple(blocks), closing=tuple(closing))


def _rule_block(facts: Facts) -> Block:
    """The optimizer's first step in symbols, once, for a trained parameter p."""
    notation, graph = facts.notation, facts.graph
    optimizer = facts.network.train.optimizer
    p = notation.display("p")
    written = notation.names[p]
    symbols = {
        "param": p,
        "gradient": Partial(notation.display("E_total"), p),
        "lr": graph.learning_rate,
        "new": notation.matrix_display("p_new", Marked(written, "plus")),
        **{state.key: notation.matrix_display(f"p_{state.key}", Name(state.letter, written, accent=state.accent))
           for state in optimizer.shown_states()},
        **graph.hypers,
    }
    rules = tuple(Equation(symbols[key], (rule,), None, None, None) for key, rule in optimizer.first_step_rules(symbols))
    return Block((), (msg("update.rule", parameter=Math(p)),), rules)


def summary_section(facts: Facts) -> Section:
    """Before, gradient and after for every parameter."""
    rows = []
    ids, notation = facts.notation.ids, facts.notation
    for parameter in facts.graph.parameters:
        before = Value(ids[parameter.symbol])
        if notation.updated_id(parameter) in facts.quantities:
            rows.append((Math(parameter.symbol), before, Value(notation.gradient_id(parameter)), Value(notation.updated_id(parameter))))
        else:
            rows.append((Math(parameter.symbol), before, msg("summary.frozen"), before))
    header = tuple(msg(f"header.{key}") for key in ("parameter", "before", "gradient", "after"))
    return Section("summary", msg("summary.title"), (msg("summary.intro"),), tables=(Table(header, tuple(rows)),))


def after_section(facts: Facts) -> Section:
    """The loss after the first update, computed by a forward pass with the new parameters."""
    before, after = facts.training.first.loss, facts.training.after_first_loss
    E = facts.graph.loss_total
    change = Exact().sub(after, before)  # exactly 0 when the update changes nothing
    key = "after.down" if change < 0 else ("after.up" if change > 0 else "after.same")
    intro = (msg(key, after=Given("E_after", E), before=Given("E")),)
    notes: tuple = ()
    published = facts.network.published
    if published is not None and published.loss_after is not None:
        note = msg("after.published", source=Text(published.source), published=Plain(published.loss_after),
                   exact=Value("E_after", decimals=10))
        notes = (note,)
    if "E_after" in facts.float64_notes:  # where float64 (PyTorch) gets another loss after the update
        notes += (facts.float64_notes["E_after"],)
    return Section("after", msg("after.title"), intro, notes=notes)


def trace_section(facts: Facts) -> Section:
    """The loss during training, the final loss and parameters, and a loss curve."""
    if len(facts.training.batches) > 1:
        return _epoch_trace(facts)
    training = facts.training
    steps = facts.network.updates
    history = training.loss_history
    rows: tuple = tuple((k, Value(f"E_step{k}")) for k in trace_steps(steps))
    rows += ((msg("trace.after_step", step=steps), Value("E_final")),)
    final = tuple((Math(p.symbol), Value("final_" + facts.notation.ids[p.symbol])) for p in facts.graph.parameters)
    losses = tuple(history) + (training.final_loss,)
    chart_steps = chart_points(steps + 1)
    chart = Chart(chart_steps, tuple(to_float(losses[k - 1]) for k in chart_steps), log_scale=_spans_decades(losses))
    tables = (
        Table((msg("header.step"), msg("header.loss")), rows),
        Table((msg("header.parameter"), msg("trace.after_steps", steps=steps)), final),
    )
    title = msg("trace.title", steps=steps)
    return Section("trace", title, (msg("trace.intro", rest=steps - 1),), tables=tables, chart=chart)


def _epoch_trace(facts: Facts) -> Section:
    """Training on mini-batches: the loss per epoch, then the loss of every sample and the parameters at the end."""
    training, network = facts.training, facts.network
    epochs = training.epoch_losses
    rows: tuple = tuple((k, Value(f"E_epoch{k}")) for k in trace_steps(len(epochs)))
    rows += ((msg("trace.all_samples"), Value("E_final")),)
    final = tuple((Math(p.symbol), Value("final_" + facts.notation.ids[p.symbol])) for p in facts.graph.parameters)
    updates = network.updates
    chart_epochs = chart_points(len(epochs))
    chart = Chart(chart_epochs, tuple(epochs[k - 1] for k in chart_epochs), log_scale=_spans_decades(tuple(epochs)), unit="epoch")
    tables = (
        Table((msg("header.epoch"), msg("header.loss")), rows),
        Table((msg("header.parameter"), msg("trace.after_updates", updates=msg("count.update", count=updates))), final),
    )
    intro = (msg("trace.intro_batches", rest=msg("count.update", count=updates - 1), batches=msg("count.mini_batch", count=len(training.batches))),)
    title = msg("trace.title_batches", epochs=msg("count.epoch", count=len(epochs)), updates=msg("count.update", count=updates))
    return Section("trace", title, intro, tables=tables, chart=chart)


def chart_points(count: int) -> tuple[int, ...]:
    """At most about CHART_POINTS step numbers from 1 to count, dense at the start, log-spaced after."""
    if count <= CHART_POINTS:
        return tuple(range(1, count + 1))
    chosen = {1, count}
    ratio = count ** (1 / CHART_POINTS)
    position = 1.0
    while position < count:
        chosen.add(int(round(position)))
        position *= ratio
    return tuple(sorted(chosen))


def _spans_decades(values: tuple) -> bool:
    positive = [to_float(v) for v in values if to_float(v) > 0]
    return bool(positive) and max(positive) / min(positive) > 100 and all(to_float(v) > 0 for v in values)
