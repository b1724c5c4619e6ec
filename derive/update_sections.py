"""The optimizer's update (SGD, momentum, weight decay, Adam), the summary, the loss after it and the training trace."""

from __future__ import annotations

import sympy as sp

from .context import Context
from .document import Block, Chart, Equation, Figure, Given, Prose, Section, Table
from .graph import Parameter, Partial
from .numbers import to_float
from .optimizers import Update

PUBLISHED_NOTES = {
    # Figures published in Matt Mazur's "A Step by Step Backpropagation Example" (2015).
    "mazur-classic": (
        "Mazur's post reports 0.291027924 here. That figure was computed from rounded "
        "intermediate values; the exact loss after the update is ",
    ),
}
TRACE_FIRST_STEPS = 5  # the trace lists every one of the first steps, then log-spaced ones


class _UpdateSymbols:
    """Names of the quantities an update rule computes for one parameter."""

    def __init__(self, context: Context, parameter: Parameter):
        name = context.names[parameter.symbol]

        def symbol(tag: str, latex: str) -> sp.Symbol:
            s = sp.Symbol(f"{tag}_{parameter.symbol.name}", real=True)
            context.names[s] = latex
            return s

        self.effective = symbol("g", f"g_{{{name}}}")
        self.buffer = symbol("buf", f"v_{{{name}}}")
        self.first = symbol("m", f"m_{{{name}}}")
        self.second = symbol("v", f"v_{{{name}}}")
        self.first_hat = symbol("mhat", rf"\hat{{m}}_{{{name}}}")
        self.second_hat = symbol("vhat", rf"\hat{{v}}_{{{name}}}")


def _hyper(context: Context, name: str, latex: str, value) -> sp.Symbol:
    symbol = sp.Symbol(f"hyper_{name}", real=True)
    context.names[symbol] = latex
    for values in context.values:
        values[symbol] = value
    return symbol


def update_section(context: Context) -> Section:
    """Every trained parameter's update, derived with the optimizer's rule and numbers."""
    graph = context.graph
    train = context.network.train
    lr = graph.learning_rate
    decay = _hyper(context, "weight_decay", r"\lambda", train.weight_decay)
    beta1 = _hyper(context, "beta1", r"\beta_{1}", train.betas[0])
    beta2 = _hyper(context, "beta2", r"\beta_{2}", train.betas[1])
    eps = _hyper(context, "eps", r"\epsilon", train.eps)
    blocks = []
    equations: list[Equation] = []
    updates = {u.slot: u for u in context.training.updates}
    where = context.batch_index
    for parameter in graph.parameters:
        update = updates.get(context.slots[parameter.symbol])
        if update is None or not context.derived_in_full(parameter):
            continue
        names = _UpdateSymbols(context, parameter)
        gradient = Partial(graph.loss_total, parameter.symbol)
        steps: list[Equation] = []
        direction: sp.Expr = gradient
        values = context.values
        if train.weight_decay:
            rule = sp.Add(gradient, sp.Mul(decay, parameter.symbol, evaluate=False), evaluate=False)
            steps.append(_set(values, names.effective, rule, update.effective_gradient, where))
            direction = names.effective
        if train.optimizer == "adam":
            one_minus_b1 = sp.Add(1, -beta1, evaluate=False)
            one_minus_b2 = sp.Add(1, -beta2, evaluate=False)
            m_rule = sp.Mul(one_minus_b1, direction, evaluate=False)
            v_rule = sp.Mul(one_minus_b2, sp.Pow(direction, 2, evaluate=False), evaluate=False)
            steps.append(_set(values, names.first, m_rule, update.first_moment, where))
            steps.append(_set(values, names.second, v_rule, update.second_moment, where))
            m_hat = sp.Mul(names.first, sp.Pow(sp.Add(1, -sp.Pow(beta1, 1, evaluate=False), evaluate=False), -1, evaluate=False), evaluate=False)
            v_hat = sp.Mul(names.second, sp.Pow(sp.Add(1, -sp.Pow(beta2, 1, evaluate=False), evaluate=False), -1, evaluate=False), evaluate=False)
            steps.append(_set(values, names.first_hat, m_hat, update.first_corrected, where))
            steps.append(_set(values, names.second_hat, v_hat, update.second_corrected, where))
            step = sp.Mul(lr, names.first_hat, sp.Pow(sp.Add(sp.sqrt(names.second_hat, evaluate=False), eps, evaluate=False), -1, evaluate=False), evaluate=False)
        elif train.momentum:
            steps.append(_set(values, names.buffer, direction, update.momentum_buffer, where))
            step = sp.Mul(lr, names.buffer, evaluate=False)
        else:
            step = sp.Mul(lr, direction, evaluate=False)
        rule = sp.Add(parameter.symbol, sp.Mul(-1, step, evaluate=False), evaluate=False)
        steps.append(Equation(context.updated[parameter.symbol], (rule,), rule, update.new, where))
        if len(steps) == 1:
            equations.extend(steps)
        else:
            blocks.append(Block(("Parameter ", parameter.symbol), (), tuple(steps)))
    if equations:
        blocks.insert(0, Block((), (), tuple(equations)))
    frozen = [p for p in graph.parameters if not p.trained]
    closing: Prose = ()
    if frozen:
        closing = ("Frozen parameters keep their values: ",) + _name_list(frozen) + (".",)
    if len(context.focus) < len(graph.parameters):
        closing += (" The other parameters' updates are in the summary table.",)
    return Section("update", "The update", _update_intro(context), tuple(blocks), closing=closing)


def _set(values: tuple, symbol: sp.Symbol, rule: sp.Expr, value, where: int) -> Equation:
    for sample_values in values:
        sample_values[symbol] = value
    return Equation(symbol, (rule,), rule, value, where)


def _update_intro(context: Context) -> Prose:
    train = context.network.train
    lr = Given(context.graph.learning_rate, train.lr)
    if train.optimizer == "adam":
        beta, t = sp.Symbol("beta"), sp.Symbol("t")
        return (
            "Adam keeps running means m of the gradient and v of its square, both starting at 0, corrects "
            "their bias towards 0 by dividing by ",
            sp.Add(1, -sp.Pow(beta, t, evaluate=False), evaluate=False),
            " (",
            Given(t, 1),
            " at the first step), and steps by their ratio, as torch.optim.Adam does. Learning rate ",
            lr,
            ".",
        )
    pieces: Prose = ("Gradient descent moves every trained parameter against its gradient, with learning rate ", lr, ".")
    if train.weight_decay:
        pieces += (" Weight decay adds ", Given(sp.Symbol("lambda"), train.weight_decay), " times the parameter to its gradient first.")
    if train.momentum:
        pieces += (
            " With momentum ",
            Given(sp.Symbol("mu"), train.momentum),
            ", torch.optim.SGD keeps a buffer ",
            sp.Eq(sp.Symbol("v"), sp.Add(sp.Mul(sp.Symbol("mu"), sp.Symbol("v"), evaluate=False), sp.Symbol("g"), evaluate=False), evaluate=False),
            " (g is the gradient); at the first step it stores the gradient itself.",
        )
    return pieces


def _name_list(parameters: list[Parameter]) -> Prose:
    pieces: list = []
    for i, parameter in enumerate(parameters):
        if i:
            pieces.append(", ")
        pieces.append(parameter.symbol)
    return tuple(pieces)


def summary_section(context: Context) -> Section:
    """Before, gradient and after for every parameter."""
    rows = []
    updates = {u.slot: u for u in context.training.updates}
    for parameter in context.graph.parameters:
        update: Update | None = updates.get(context.slots[parameter.symbol])
        if update is None:
            rows.append((parameter.symbol, parameter.value, "frozen", parameter.value))
        else:
            rows.append((parameter.symbol, update.old, update.gradient, update.new))
    return Section(
        "summary",
        "Summary",
        ("Every parameter before the update, its gradient, and its value after the update.",),
        tables=(Table(("Parameter", "Before", "Gradient", "After"), tuple(rows)),),
    )


def after_section(context: Context) -> tuple[Section, tuple[Prose, ...]]:
    """The loss after the first update, computed by a forward pass with the new parameters."""
    before, after = context.training.first.loss, context.training.after_first_loss
    note = PUBLISHED_NOTES.get(context.network.name)
    footnotes = (note + (Figure(after, 10), "."),) if note else ()
    E = context.graph.loss_total
    intro: Prose = (
        "A forward pass with the updated parameters gives the loss ",
        Given(E, after),
        ", down from " if after < before else ", up from ",
        Given(E, before),
        ".",
    )
    return Section("after", "After the update", intro), footnotes


def trace_steps(total: int) -> list[int]:
    """The steps the trace shows: the first few, then about three per decade, then the last."""
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


def trace_section(context: Context) -> Section:
    """The loss during training, the final loss and parameters, and a loss curve."""
    training = context.training
    steps = context.network.train.steps
    history = training.loss_history
    rows = tuple((str(k), _f(history[k - 1])) for k in trace_steps(steps))
    rows += ((f"after step {steps}", _f(training.final_loss)),)
    final = []
    for parameter in context.graph.parameters:
        slot = context.slots[parameter.symbol]
        if slot.kind == "weight":
            value = training.final.weights[slot.layer][slot.row][slot.column]
        else:
            bias = training.final.biases[slot.layer]
            value = bias[slot.row] if slot.row is not None else bias
        final.append((parameter.symbol, _f(value)))
    losses = tuple(history) + (training.final_loss,)
    chart_steps = chart_points(steps + 1)
    chart = Chart(chart_steps, tuple(to_float(losses[k - 1]) for k in chart_steps), log_scale=_spans_decades(losses))
    intro: Prose = (
        f"The first step is derived above in exact arithmetic. The remaining {steps - 1} steps repeat it "
        "in float64, as PyTorch does. Step k's loss is the loss at the parameters step k starts from.",
    )
    return Section(
        "trace",
        f"Training for {steps} steps",
        intro,
        tables=(Table(("Step", "Loss"), rows), Table(("Parameter", f"After {steps} steps"), tuple(final))),
        chart=chart,
    )


CHART_POINTS = 120


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


def _f(value) -> float:
    return to_float(value)


def _spans_decades(values) -> bool:
    positive = [to_float(v) for v in values if to_float(v) > 0]
    return bool(positive) and max(positive) / min(positive) > 100 and all(to_float(v) > 0 for v in values)

