"""The scalar derivation: network, forward pass, loss, backward chains and batch reduction, as document sections."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from . import activations, losses
from .context import Context
from .formatting import exact_decimal
from .document import Block, Document, Equation, Given, Prose, Section, Table
from .graph import local_derivative, Applied, Parameter, Partial, Unit
from .network import Network
from .options import DEFAULT_PRECISION
from .numbers import total as sum_of
from .training import Training, train

REDUCTION_TERMS_SHOWN = 6  # a batch gradient lists its per-sample terms up to this batch size


def layer_title(context: Context, index: int) -> str:
    """'Hidden layer', 'Hidden layer 2' or 'Output layer'."""
    count = len(context.graph.layers)
    if index == count - 1:
        return "Output layer"
    return "Hidden layer" if count == 2 else f"Hidden layer {index + 1}"


def sample_suffix(context: Context, sample: int) -> str:
    """', sample 2' in a batch, nothing for a single sample."""
    return f", sample {sample + 1}" if context.batch > 1 else ""


def _sum(terms: list[sp.Expr]) -> sp.Expr:
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def _product(*factors: sp.Expr) -> sp.Expr:
    kept = [f for f in factors if f != 1]
    if not kept:
        return sp.Integer(1)
    return sp.Mul(*kept, evaluate=False) if len(kept) > 1 else kept[0]


def _rational(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


def _scaled(scale: Fraction, expr: sp.Expr) -> sp.Expr:
    return expr if scale == 1 else sp.Mul(_rational(scale), expr, evaluate=False)


# the network ------------------------------------------------------------------------------------
def network_section(context: Context) -> Section:
    """What is derived: shape, loss, optimizer, and tables of the parameters and the data."""
    network, graph = context.network, context.graph
    widths = network.widths
    hidden = ", ".join(str(w) for w in widths[1:-1])
    if len(widths) > 3:
        middle = f"hidden layers of {hidden} neurons and "
    elif len(widths) == 3:
        middle = f"a hidden layer of {_count(widths[1], 'neuron')} and "
    else:
        middle = ""
    train_spec = network.train
    batch = f"a batch of {context.batch} samples" if context.batch > 1 else "one sample"
    intro: Prose = (
        f"The network has {_count(widths[0], 'input')}, {middle}{_count(widths[-1], 'output neuron')} "
        f"({network.parameter_count} parameters), and is trained on {batch}. "
        f"The loss is {losses.loss(network.loss).description}. "
        f"Training uses {_optimizer_words(network)} with learning rate ",
        Given(graph.learning_rate, train_spec.lr),
        f", for {_count(train_spec.steps, 'step')}.",
    ) + ((" " + network.provenance,) if network.provenance else ())
    parameter_rows = tuple(
        (p.symbol, _connection(context, p), p.value, "trained" if p.trained else "frozen") for p in graph.parameters
    )
    data_rows = []
    for s in range(context.batch):
        values = context.values[s]
        for role, symbols in (("input", graph.inputs), ("target", graph.targets)):
            for symbol in symbols:
                data_rows.append((str(s + 1), role, symbol, values[symbol]))
    tables = (
        Table(("Parameter", "Connects", "Value", "Status"), parameter_rows),
        Table(("Sample", "Role", "Name", "Value"), tuple(data_rows)),
    )
    return Section("network", "The network", intro, tables=tables)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _decimal(value: Fraction) -> str:
    return exact_decimal(value, 30) or f"{float(value):g}"


def _optimizer_words(network: Network) -> str:
    train_spec = network.train
    settings = []
    if train_spec.optimizer == "adam":
        settings.append(f"betas {_decimal(train_spec.betas[0])} and {_decimal(train_spec.betas[1])}")
        settings.append(f"eps {float(train_spec.eps):g}")
    elif train_spec.momentum:
        settings.append(f"momentum {_decimal(train_spec.momentum)}")
    if train_spec.weight_decay:
        settings.append(f"weight decay {_decimal(train_spec.weight_decay)}")
    name = "Adam" if train_spec.optimizer == "adam" else "SGD"
    return f"{name} ({'; '.join(settings)})" if settings else name


def _connection(context: Context, parameter: Parameter) -> Prose:
    layer = context.graph.layers[parameter.layer]
    if parameter.kind == "weight":
        source = context.graph.previous_activations(parameter.layer)[parameter.column]
        return (source, " to ", layer[parameter.row].z)
    if parameter.row is None:
        return ("bias of every neuron in the layer",)
    return ("bias of ", layer[parameter.row].z)


# the forward pass -------------------------------------------------------------------------------
def forward_section(context: Context, sample: int) -> Section:
    """net then out for every neuron of one sample."""
    blocks = []
    for index, layer in enumerate(context.graph.layers):
        equations = []
        for unit in layer:
            equations.append(_equation(context, unit.z, [unit.net], unit.net, sample))
            equations.append(_activation_equation(context, unit, sample))
        lead = _activation_lead(context, layer[0])
        blocks.append(Block((layer_title(context, index),), lead, tuple(equations)))
    return Section(
        f"forward-{sample}",
        "The forward pass" + sample_suffix(context, sample),
        (
            "Each neuron adds up its weighted inputs and its bias (the net input), "
            "then applies its activation function (the output).",
        ),
        tuple(blocks),
    )


def _equation(context: Context, lhs: sp.Expr, forms, numbers: sp.Expr | None, sample: int) -> Equation:
    return Equation(lhs, tuple(forms), numbers, context.values[sample].get(lhs), sample)


def _activation_equation(context: Context, unit: Unit, sample: int) -> Equation:
    applied = Applied(context.activation_names[unit.activation], unit.z)
    explicit = _display_expression(unit)
    forms = [applied] if unit.activation == "identity" else [applied, explicit]
    return _equation(context, unit.a, forms, explicit, sample)


ACTIVATION_WORDS = {
    "sigmoid": "the logistic sigmoid",
    "tanh": "the hyperbolic tangent",
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
}


def _activation_lead(context: Context, unit: Unit) -> Prose:
    """'Activation: the logistic sigmoid, sigma(net) = 1/(1 + e^-net).', written with a generic net input."""
    if unit.activation == "identity":
        return ("Activation: none (the identity); each output equals its net input.",)
    generic = context_symbol(context, "activation_input", r"\mathit{net}" if context.naming.scheme == "mazur" else "z")
    applied = Applied(context.activation_names[unit.activation], generic)
    formula = sp.Eq(applied, _display_expression(unit).xreplace({unit.z: generic}), evaluate=False)
    return (f"Activation: {ACTIVATION_WORDS[unit.activation]}, ", formula, ".")


def _display_expression(unit: Unit) -> sp.Expr:
    """The activation written out in terms of the neuron's net input."""
    if unit.activation == "relu":
        return sp.Max(0, unit.z, evaluate=False)
    if unit.activation == "leaky_relu" and unit.slope <= 1:
        return sp.Max(sp.Mul(_rational(unit.slope), unit.z, evaluate=False), unit.z, evaluate=False)
    return unit.out_expression


def _derivative_display(unit: Unit) -> sp.Expr:
    """f'(net) in its textbook closed form, written with the neuron's output where usual."""
    display = activations.activation(unit.activation).derivative_display
    return display.xreplace(
        {activations.OUT: unit.a, activations.Z: unit.z, activations.SLOPE: _rational(unit.slope)}
    )


# the loss ---------------------------------------------------------------------------------------
def loss_section(context: Context) -> Section:
    """The loss of each detailed sample, term by term, then the total over the batch."""
    blocks = [_sample_loss_block(context, s) for s in context.detailed_samples()]
    tables: tuple[Table, ...] = ()
    graph = context.graph
    if context.batch > 1:
        shares = [context.sample_losses[s] for s in range(context.batch)]
        numbers = _sum(shares) if context.batch <= REDUCTION_TERMS_SHOWN else None
        total = Equation(graph.loss_total, (_sum(shares),), numbers, context.training.first.loss, context.batch_index)
        blocks.append(Block(("The batch",), ("The loss of the batch adds up the samples' shares.",), (total,)))
        rest = range(len(context.detailed_samples()), context.batch)
        if len(rest):
            rows = tuple((str(s + 1), context.values[s][context.sample_losses[s]]) for s in rest)
            tables = (Table(("Sample", "Share of the loss"), rows),)
    if context.network.loss == "cross_entropy":
        blocks.append(_softmax_jacobian_block(context))
    spec = losses.loss(context.network.loss)
    return Section("loss", "The loss", (f"The loss is {spec.description}.",), tuple(blocks), tables)


def _sample_loss_block(context: Context, sample: int) -> Block:
    graph = context.graph
    scale = context.training.first.loss_scale
    E = context.loss_symbol(sample)
    equations = []
    if context.network.loss == "cross_entropy":
        outputs = [unit.a for unit in graph.outputs]
        denominator = _sum([sp.exp(a) for a in outputs])
        for j, p in enumerate(context.softmax):
            softmax = sp.Mul(sp.exp(outputs[j]), sp.Pow(denominator, -1, evaluate=False), evaluate=False)
            equations.append(_equation(context, p, [softmax], softmax, sample))
        terms = [sp.Mul(y, sp.log(p), evaluate=False) for y, p in zip(graph.targets, context.softmax)]
        cross_entropy = sp.Mul(-1, _sum(terms), evaluate=False)
        name = "L" if context.batch == 1 else f"L^{{({sample + 1})}}"
        L = context_symbol(context, f"cross_entropy_{sample}", name)
        value = sum_of(context.training.first.samples[sample].loss_terms)
        equations.append(Equation(L, (cross_entropy,), cross_entropy, value, sample))
        context.values[sample][L] = value
        share = _scaled(scale, L)
        equations.append(_equation(context, E, [share], share, sample))
    else:
        for j, term in enumerate(graph.loss_terms):
            expression = graph.loss_term_expression(j)
            equations.append(_equation(context, term, [expression], expression, sample))
        total = _scaled(scale, _sum(list(graph.loss_terms)))
        equations.append(_equation(context, E, [total], total, sample))
    title = (f"Sample {sample + 1}",) if context.batch > 1 else ()
    lead = _bce_clamp_note(context, sample)
    return Block(title, lead, tuple(equations))


def _bce_clamp_note(context: Context, sample: int) -> Prose:
    if context.network.loss != "bce":
        return ()
    outputs = context.training.first.samples[sample].a[-1]
    if any(losses.bce_is_clamped(a, None) for a in outputs):
        return (
            "An output is exactly 0 or 1 (or within 1e-12 of it): nn.BCELoss clamps each log at -100 and "
            "divides its gradient by max(a(1 - a), 1e-12), and so does this derivation.",
        )
    return ()


def _softmax_jacobian_block(context: Context) -> Block:
    """Why dE/da_j = p_j - y_j: the softmax Jacobian, once, symbolically."""
    j, k = sp.symbols("j k", integer=True, positive=True)
    K = sp.Symbol("K", integer=True, positive=True)
    names = context.names
    output_name = "a^{(L)}" if context.naming.scheme == "indexed" else r"\mathit{out}"
    p_k, p_j, y_k, y_j, a_j = (
        context_symbol(context, "p_k", "p_{k}"),
        context_symbol(context, "p_j", "p_{j}"),
        context_symbol(context, "y_k", "y_{k}"),
        context_symbol(context, "y_j", "y_{j}"),
        context_symbol(context, "a_j", f"{output_name}_{{j}}"),
    )
    names.setdefault(j, "j")
    E = context_symbol(context, "E_one", "E")
    jacobian = Equation(Partial(p_k, a_j), (sp.Mul(p_k, sp.Add(sp.KroneckerDelta(k, j), -p_j, evaluate=False), evaluate=False),), None, None)
    chain = sp.Sum(sp.Mul(Partial(E, p_k), Partial(p_k, a_j), evaluate=False), (k, 1, K))
    substituted = sp.Sum(
        sp.Mul(sp.Mul(-1, y_k, sp.Pow(p_k, -1, evaluate=False), evaluate=False), p_k, sp.Add(sp.KroneckerDelta(k, j), -p_j, evaluate=False), evaluate=False),
        (k, 1, K),
    )
    collected = sp.Add(sp.Mul(p_j, sp.Sum(y_k, (k, 1, K)), evaluate=False), -y_j, evaluate=False)
    gradient = Equation(Partial(E, a_j), (chain, substituted, collected, sp.Add(p_j, -y_j, evaluate=False)), None, None)
    loss_of_one = sp.Eq(E, -sp.Sum(sp.Mul(y_k, sp.log(p_k), evaluate=False), (k, 1, K)), evaluate=False)
    softmax_k = sp.Eq(p_k, sp.exp(context_symbol(context, "a_k", f"{output_name}_{{k}}")) / sp.Symbol("S"), evaluate=False)
    context.names[sp.Symbol("S")] = r"\sum_{m=1}^{K} e^{" + output_name + "_{m}}"
    lead = (
        "For one sample, ",
        loss_of_one,
        " with ",
        softmax_k,
        ". The softmax Jacobian and the chain rule give the simple gradient below; the last step uses that "
        "the targets of a sample add up to 1. The batch mean multiplies it by 1/(batch size).",
    )
    return Block(("Softmax and cross-entropy",), lead, (jacobian, gradient))


def context_symbol(context: Context, name: str, latex: str) -> sp.Symbol:
    """A display-only symbol with a fixed LaTeX name."""
    symbol = sp.Symbol(f"display_{name}", real=True)
    context.names[symbol] = latex
    return symbol


# the backward pass ------------------------------------------------------------------------------
def backward_section(context: Context, sample: int) -> Section:
    """Output layer first: each neuron's error signal, then every parameter's chain, for one sample."""
    graph = context.graph
    needed = _needed_layers(context)
    blocks = []
    for index in reversed(range(len(graph.layers))):
        if index < needed:
            continue
        for unit in graph.layers[index]:
            blocks.append(_unit_block(context, unit, sample))
        shared = _shared_bias_block(context, index, sample)
        if shared is not None:
            blocks.append(shared)
    intro: Prose = (
        "The chain rule, from the loss back to every parameter. For each neuron we first find how the "
        "loss changes with its output and with its net input (its error signal ",
        sp.Symbol("delta"),
        "), then multiply by the local derivative of the net input with respect to each weight and bias. "
        "A hidden neuron's output feeds every neuron of the next layer, so its derivative is a sum over "
        "those paths.",
    )
    if context.batch > 1:
        intro += (
            f" Every quantity in this section belongs to sample {sample + 1}; ",
            context.loss_symbol(sample),
            " is that sample's share of the loss.",
        )
    return Section(f"backward-{sample}", "The backward pass" + sample_suffix(context, sample), intro, tuple(blocks))


def _needed_layers(context: Context) -> int:
    """The first layer whose neurons must be derived for the parameters in focus."""
    layers = [p.layer for p in context.graph.parameters if context.derived_in_full(p)]
    return min(layers) if layers else len(context.graph.layers)


def _unit_block(context: Context, unit: Unit, sample: int) -> Block:
    graph = context.graph
    E = context.loss_symbol(sample)
    equations: list[Equation] = []
    last = unit.layer == len(graph.layers) - 1
    if last:
        equations.append(_output_error_equation(context, unit, sample))
    else:
        following = graph.layers[unit.layer + 1]
        for consumer in following:
            formula = local_derivative(consumer.net, unit.a)
            equations.append(_equation(context, Partial(consumer.z, unit.a), [formula], formula, sample))
        paths = [sp.Mul(Partial(E, c.z), Partial(c.z, unit.a), evaluate=False) for c in following]
        shorthand = [_product(context.deltas[c.z], local_derivative(c.net, unit.a)) for c in following]
        equations.append(_equation(context, Partial(E, unit.a), [_sum(paths), _sum(shorthand)], _sum(shorthand), sample))
    derivative = _derivative_display(unit)
    equations.append(_equation(context, Partial(unit.a, unit.z), [derivative], derivative, sample))
    chain = sp.Mul(Partial(E, unit.a), Partial(unit.a, unit.z), evaluate=False)
    equations.append(_equation(context, context.deltas[unit.z], [Partial(E, unit.z), chain], chain, sample))
    for parameter in graph.parameters:
        if parameter.layer == unit.layer and parameter.row == unit.index and parameter.trained:
            if context.derived_in_full(parameter):
                equations.extend(_parameter_equations(context, parameter, sample))
    title = ("Output neuron " if last else "Hidden neuron ", context.unit_labels[unit.z])
    lead: Prose = (
        ("The loss depends on this output directly.",)
        if last
        else ("This output feeds every neuron of the next layer, so its derivative sums over those paths.",)
    )
    return Block(title, lead + _zero_kink_note(context, unit, sample), tuple(equations))


def _zero_kink_note(context: Context, unit: Unit, sample: int) -> Prose:
    if unit.activation in ("relu", "leaky_relu") and context.values[sample][unit.z] == 0:
        slope = "0" if unit.activation == "relu" else "the negative slope"
        return (
            f" Its net input is exactly 0, where the derivative is undefined; PyTorch uses {slope} there, "
            "and so does this derivation.",
        )
    return ()


def _output_error_equation(context: Context, unit: Unit, sample: int) -> Equation:
    graph = context.graph
    E = context.loss_symbol(sample)
    scale = context.training.first.loss_scale
    if context.network.loss == "cross_entropy":
        p, y = context.softmax[unit.index], graph.targets[unit.index]
        formula = _scaled(scale, sp.Add(p, -y, evaluate=False))
        return _equation(context, Partial(E, unit.a), [formula], formula, sample)
    term = graph.loss_terms[unit.index]
    derivative = sp.diff(graph.loss_term_expression(unit.index), unit.a)
    forms = [_scaled(scale, Partial(term, unit.a)), _scaled(scale, derivative)]
    return _equation(context, Partial(E, unit.a), forms, forms[-1], sample)


def _parameter_equations(context: Context, parameter: Parameter, sample: int) -> list[Equation]:
    E = context.loss_symbol(sample)
    unit = context.graph.parameter_consumers(parameter)[0]
    local = Partial(unit.z, parameter.symbol)
    formula = local_derivative(unit.net, parameter.symbol)
    equations = [_equation(context, local, [formula], formula, sample)]
    chain = sp.Mul(Partial(E, unit.a), Partial(unit.a, unit.z), local, evaluate=False)
    shorthand = _product(context.deltas[unit.z], formula)
    equations.append(_equation(context, Partial(E, parameter.symbol), [chain, shorthand], chain, sample))
    return equations


def _shared_bias_block(context: Context, layer: int, sample: int) -> Block | None:
    graph = context.graph
    E = context.loss_symbol(sample)
    for parameter in graph.parameters:
        if parameter.layer == layer and parameter.kind == "bias" and parameter.row is None:
            if not parameter.trained or not context.derived_in_full(parameter):
                return None
            consumers = graph.parameter_consumers(parameter)
            paths = [sp.Mul(Partial(E, c.z), Partial(c.z, parameter.symbol), evaluate=False) for c in consumers]
            shorthand = _sum([context.deltas[c.z] for c in consumers])
            equation = _equation(context, Partial(E, parameter.symbol), [_sum(paths), shorthand], shorthand, sample)
            lead = (parameter.symbol, " is shared by every neuron of the layer, so its gradient sums over them:")
            return Block(("Shared bias ", parameter.symbol), lead, (equation,))
    return None


# the batch --------------------------------------------------------------------------------------
def batch_section(context: Context) -> Section:
    """Each parameter's gradient as the sum of the samples' shares; tables for the samples not derived."""
    graph = context.graph
    equations = []
    for parameter in graph.parameters:
        if not parameter.trained or not context.derived_in_full(parameter):
            continue
        shares = [Partial(context.sample_losses[s], parameter.symbol) for s in range(context.batch)]
        numbers = _sum(shares) if context.batch <= REDUCTION_TERMS_SHOWN else None
        equations.append(
            Equation(Partial(graph.loss_total, parameter.symbol), (_sum(shares),), numbers, context.gradient(parameter), context.batch_index)
        )
    scale = context.training.first.loss_scale
    reduction = "mean" if scale != 1 else "sum"
    intro: Prose = (
        f"The loss is a {reduction} over the samples, and each sample's share already carries the factor "
        "in front of the loss, so the batch gradient is the plain sum of the samples' gradients.",
    )
    tables: tuple[Table, ...] = ()
    rest = range(len(context.detailed_samples()), context.batch)
    if len(rest):
        rows = tuple(
            (str(s + 1), context.unit_labels[u.z], context.values[s][u.z], context.values[s][u.a], context.values[s][context.deltas[u.z]])
            for s in rest
            for u in context.units()
        )
        tables = (Table(("Sample", "Neuron", "Net input", "Output", "Error signal"), rows),)
        which = f"Sample {rest.start + 1} follows" if len(rest) == 1 else f"Samples {rest.start + 1} to {context.batch} follow"
        intro += (
            f" {which} the same steps as the samples derived above; the table gives each neuron's net "
            "input, output and error signal there.",
        )
    return Section("batch", "The batch gradient", intro, (Block((), (), tuple(equations)),), tables)


def build_document(
    network: Network,
    notation: str | None = None,
    training: Training | None = None,
    only: tuple[str, ...] = (),
    style: str = "scalar",
    precision: int = DEFAULT_PRECISION,
) -> Document:
    """Derive ``network``: run the passes and lay out every section of the derivation.

    ``precision`` only decides how large a numeric matrix the matrix form prints entry by entry.
    """
    from .matrix_form import matrix_sections
    from .update_sections import after_section, summary_section, trace_section, update_section

    training = training or train(network)
    context = Context(network, training, notation, only)
    sections: list[Section] = [network_section(context)]
    if style == "matrix":
        forward, backward = matrix_sections(context, precision)
        sections.extend((forward, loss_section(context), backward))
    else:
        sections.extend(forward_section(context, s) for s in context.detailed_samples())
        sections.append(loss_section(context))
        sections.extend(backward_section(context, s) for s in context.detailed_samples())
        if context.batch > 1:
            sections.append(batch_section(context))
    sections.append(update_section(context))
    sections.append(summary_section(context))
    after, footnotes = after_section(context)
    sections.append(after)
    if network.train.steps > 1:
        sections.append(trace_section(context))
    return Document(network, context.graph, context.names, context.values, tuple(sections), training, footnotes)
