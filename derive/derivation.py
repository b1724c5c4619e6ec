"""The document model: sections of equations (symbolic form, numbers, value) built from the graph and the passes."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence, Union

import sympy as sp

from . import activations, losses
from .forward_backward import Pass, bias_of
from .graph import Applied, Graph, Parameter, Partial, Unit, build_graph
from .network import Network
from .notation import Names, names_for
from .numbers import Number
from .optimizers import Slot, Update
from .training import Training, train

@dataclass(frozen=True)
class Figure:
    """A number in running text, shown at a fixed number of decimals rather than the document's."""

    value: Number
    decimals: int


@dataclass(frozen=True)
class Given:
    """'name = value' in running text, the value in the document's number format."""

    symbol: sp.Expr
    value: Number


Prose = tuple[Union[str, sp.Expr, Number, Figure, Given], ...]

PUBLISHED_NOTES = {
    # Figures published in Matt Mazur's "A Step by Step Backpropagation Example" (2015).
    "mazur-classic": (
        "Mazur's post reports 0.291027924 here. That figure was computed from rounded "
        "intermediate values; the exact loss after the update is ",
    ),
}


@dataclass(frozen=True)
class Equation:
    """lhs = forms[0] = forms[1] = ... = numbers = value; numbers is printed with values put in."""

    lhs: sp.Expr
    forms: tuple[sp.Expr, ...]
    numbers: sp.Expr | None
    value: Number | None
    sample: int = 0


@dataclass(frozen=True)
class Block:
    """A titled group: a lead paragraph and its equations."""

    title: Prose
    lead: Prose
    equations: tuple[Equation, ...]


@dataclass(frozen=True)
class Table:
    """A table whose cells are text, SymPy expressions (names) or numbers."""

    header: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class Section:
    """A numbered section: an introduction, blocks of equations and tables."""

    key: str
    title: str
    intro: Prose
    blocks: tuple[Block, ...] = ()
    tables: tuple[Table, ...] = ()
    closing: Prose = ()


@dataclass(frozen=True)
class Document:
    """The whole derivation, ready for a renderer."""

    network: Network
    graph: Graph
    names: dict
    values: tuple[dict, ...]
    sections: tuple[Section, ...]
    training: Training
    footnotes: tuple[Prose, ...] = field(default=())


LAYER_WORDS = {0: "input"}


def layer_title(graph: Graph, index: int) -> str:
    """'Hidden layer', 'Hidden layer 2' or 'Output layer'."""
    if index == len(graph.layers) - 1:
        return "Output layer"
    if len(graph.layers) == 2:
        return "Hidden layer"
    return f"Hidden layer {index + 1}"


class _Builder:
    """Builds the sections of a document; one method per section."""

    def __init__(self, network: Network, notation: str | None, training: Training):
        self.network = network
        self.graph = build_graph(network)
        self.naming: Names = names_for(self.graph, notation)
        self.training = training
        self.names: dict = dict(self.naming.latex)
        self.deltas: dict[sp.Symbol, sp.Symbol] = {}
        self.updated: dict[sp.Symbol, sp.Symbol] = {}
        for layer in self.graph.layers:
            for unit in layer:
                symbol = sp.Symbol(f"delta_{unit.layer}_{unit.index}", real=True)
                self.deltas[unit.z] = symbol
                self.names[symbol] = self.naming.delta_latex[unit.z]
        for parameter in self.graph.parameters:
            symbol = sp.Symbol(f"{parameter.symbol.name}_new", real=True)
            self.updated[parameter.symbol] = symbol
            self.names[symbol] = self.naming.updated_latex[parameter.symbol]
        self.unit_labels: dict[sp.Symbol, sp.Symbol] = {}
        for z, label in self.naming.unit_latex.items():
            self.unit_labels[z] = sp.Symbol(f"unit_{z.name}")
            self.names[self.unit_labels[z]] = label
        self.activation_names = {
            name: sp.Symbol(f"act_{name}") for name in activations.ACTIVATIONS
        }
        for name, symbol in self.activation_names.items():
            self.names[symbol] = activations.ACTIVATIONS[name].latex_name
        self.values = tuple(self._sample_values(s) for s in range(network.data.batch_size))

    # values ---------------------------------------------------------------------------------
    def _parameter_value(self, parameter: Parameter) -> Number:
        return parameter.value

    def _gradient(self, parameter: Parameter) -> Number | None:
        first = self.training.first
        slot = Slot(parameter.layer, parameter.kind, parameter.row, parameter.column)
        if slot.kind == "weight":
            return first.grad_weights[slot.layer][slot.row][slot.column]
        bias = first.grad_biases[slot.layer]
        return bias[slot.row] if slot.row is not None else bias

    def _sample_values(self, s: int) -> dict:
        graph, first = self.graph, self.training.first
        sample = first.samples[s]
        values: dict = {graph.learning_rate: self.network.train.lr}
        for parameter in graph.parameters:
            values[parameter.symbol] = parameter.value
            gradient = self._gradient(parameter)
            if gradient is not None:
                values[Partial(graph.loss_total, parameter.symbol)] = gradient
        for update in self.training.updates:
            parameter = self._parameter_at(update.slot)
            values[self.updated[parameter.symbol]] = update.new
        for x, value in zip(graph.inputs, self.network.data.inputs[s]):
            values[x] = value
        if not self.network.data.targets_are_indices:
            for y, value in zip(graph.targets, self.network.data.targets[s]):
                values[y] = value
        for index, layer in enumerate(graph.layers):
            for unit in layer:
                j = unit.index
                values[unit.z] = sample.z[index][j]
                values[unit.a] = sample.a[index][j]
                values[Partial(graph.loss_total, unit.a)] = sample.dE_da[index][j]
                values[Partial(unit.a, unit.z)] = sample.da_dz[index][j]
                values[Partial(graph.loss_total, unit.z)] = sample.delta[index][j]
                values[self.deltas[unit.z]] = sample.delta[index][j]
                for symbol in unit.net.free_symbols:
                    local = sp.diff(unit.net, symbol)
                    values[Partial(unit.z, symbol)] = values.get(local, Fraction(1)) if local != 1 else Fraction(1)
        for j, term in enumerate(graph.loss_terms):
            values[term] = sample.loss_terms[j]
        values[graph.loss_total] = first.loss
        return values

    def _parameter_at(self, slot: Slot) -> Parameter:
        for parameter in self.graph.parameters:
            if (parameter.layer, parameter.kind, parameter.row, parameter.column) == (
                slot.layer,
                slot.kind,
                slot.row,
                slot.column,
            ):
                return parameter
        raise KeyError(slot)

    def equation(self, lhs, forms: Sequence[sp.Expr], numbers: sp.Expr | None, sample: int = 0) -> Equation:
        """An equation whose value is looked up (lhs) in the sample's values."""
        return Equation(lhs, tuple(forms), numbers, self.values[sample].get(lhs), sample)

    # sections -------------------------------------------------------------------------------
    def forward_section(self, sample: int = 0) -> Section:
        graph = self.graph
        blocks = []
        for index, layer in enumerate(graph.layers):
            equations = []
            for unit in layer:
                equations.append(self.equation(unit.z, [unit.net], unit.net, sample))
                equations.append(self._activation_equation(unit, sample))
            blocks.append(Block((layer_title(graph, index),), self._forward_lead(index), tuple(equations)))
        return Section(
            "forward",
            "The forward pass",
            (
                "Each neuron adds up its weighted inputs and its bias (the net input), "
                "then applies its activation function (the output).",
            ),
            tuple(blocks),
        )

    def _forward_lead(self, index: int) -> Prose:
        layer = self.network.layers[index]
        return (f"Activation: {_activation_words(layer.activation, layer.negative_slope)}.",)

    def _activation_equation(self, unit: Unit, sample: int) -> Equation:
        applied = Applied(self.activation_names[unit.activation], unit.z)
        explicit = _display_expression(unit)
        forms = [applied] if unit.activation == "identity" else [applied, explicit]
        return self.equation(unit.a, forms, explicit, sample)

    def loss_section(self, sample: int = 0) -> Section:
        graph = self.graph
        equations = []
        for j, term in enumerate(graph.loss_terms):
            expression = graph.loss_term_expression(j)
            equations.append(self.equation(term, [expression], expression, sample))
        total = self._loss_total_expression()
        equations.append(Equation(graph.loss_total, (total,), total, self.training.first.loss, sample))
        spec = losses.loss(self.network.loss)
        return Section(
            "loss",
            "The loss",
            (f"The loss is {spec.description}: one term per output neuron, then the total.",),
            (Block((), (), tuple(equations)),),
        )

    def _loss_total_expression(self) -> sp.Expr:
        terms = sp.Add(*self.graph.loss_terms, evaluate=False) if len(self.graph.loss_terms) > 1 else self.graph.loss_terms[0]
        scale = self.training.first.loss_scale
        if scale == 1:
            return terms
        return sp.Mul(sp.Rational(scale.numerator, scale.denominator), terms, evaluate=False)

    def backward_section(self, sample: int = 0) -> Section:
        graph = self.graph
        blocks = []
        for index in reversed(range(len(graph.layers))):
            for unit in graph.layers[index]:
                blocks.append(self._unit_block(unit, sample))
            shared = self._shared_bias_block(index, sample)
            if shared is not None:
                blocks.append(shared)
        return Section(
            "backward",
            "The backward pass",
            (
                "The chain rule, from the loss back to every parameter. For each neuron we first find "
                "how the loss changes with its output and with its net input (its error signal ",
                sp.Symbol("delta"),
                "), then multiply by the local derivative of the net input with respect to each "
                "weight and bias. A hidden neuron's output feeds every neuron of the next layer, so "
                "its derivative is a sum over those paths.",
            ),
            tuple(blocks),
        )

    def _unit_block(self, unit: Unit, sample: int) -> Block:
        graph = self.graph
        E = graph.loss_total
        equations: list[Equation] = []
        last = unit.layer == len(graph.layers) - 1
        if last:
            equations.append(self._output_error_equation(unit, sample))
        else:
            following = graph.layers[unit.layer + 1]
            for consumer in following:
                local = Partial(consumer.z, unit.a)
                formula = sp.diff(consumer.net, unit.a)
                equations.append(Equation(local, (formula,), formula, self.values[sample][formula], sample))
            paths = [sp.Mul(Partial(E, c.z), Partial(c.z, unit.a), evaluate=False) for c in following]
            shorthand = [sp.Mul(self.deltas[c.z], sp.diff(c.net, unit.a), evaluate=False) for c in following]
            equations.append(
                self.equation(Partial(E, unit.a), [_sum(paths), _sum(shorthand)], _sum(shorthand), sample)
            )
        derivative = _derivative_display(unit)
        equations.append(self.equation(Partial(unit.a, unit.z), [derivative], derivative, sample))
        chain = sp.Mul(Partial(E, unit.a), Partial(unit.a, unit.z), evaluate=False)
        delta = self.deltas[unit.z]
        equations.append(self.equation(delta, [Partial(E, unit.z), chain], chain, sample))
        for parameter in graph.parameters:
            if parameter.layer == unit.layer and parameter.row == unit.index and parameter.trained:
                equations.extend(self._parameter_equations(parameter, sample))
        title = ("Output neuron " if last else "Hidden neuron ", self._unit_label(unit))
        return Block(title, self._unit_lead(unit), tuple(equations))

    def _unit_label(self, unit: Unit) -> sp.Symbol:
        """The neuron's name in block titles: o_1 in Mazur's notation, its activation otherwise."""
        return self.unit_labels[unit.z]

    def _unit_lead(self, unit: Unit) -> Prose:
        if unit.layer == len(self.graph.layers) - 1:
            return ("The loss depends on this output directly.",)
        return ("This output feeds every neuron of the next layer, so its derivative sums over those paths.",)

    def _output_error_equation(self, unit: Unit, sample: int) -> Equation:
        graph = self.graph
        term = graph.loss_terms[unit.index]
        derivative = sp.diff(graph.loss_term_expression(unit.index), unit.a)
        scale = self.training.first.loss_scale
        if scale == 1:
            forms = [Partial(term, unit.a), derivative]
            numbers = derivative
        else:
            rational = sp.Rational(scale.numerator, scale.denominator)
            forms = [sp.Mul(rational, Partial(term, unit.a), evaluate=False), sp.Mul(rational, derivative, evaluate=False)]
            numbers = forms[-1]
        return self.equation(Partial(graph.loss_total, unit.a), forms, numbers, sample)

    def _parameter_equations(self, parameter: Parameter, sample: int) -> list[Equation]:
        graph = self.graph
        E = graph.loss_total
        unit = graph.parameter_consumers(parameter)[0]
        local = Partial(unit.z, parameter.symbol)
        formula = sp.diff(unit.net, parameter.symbol)
        equations = [Equation(local, (formula,), formula, self._value(formula, sample), sample)]
        chain = sp.Mul(Partial(E, unit.a), Partial(unit.a, unit.z), local, evaluate=False)
        shorthand = sp.Mul(self.deltas[unit.z], formula, evaluate=False) if formula != 1 else self.deltas[unit.z]
        equations.append(
            Equation(Partial(E, parameter.symbol), (chain, shorthand), chain, self._gradient(parameter), sample)
        )
        return equations

    def _shared_bias_block(self, layer: int, sample: int) -> Block | None:
        graph = self.graph
        E = graph.loss_total
        for parameter in graph.parameters:
            if parameter.layer == layer and parameter.kind == "bias" and parameter.row is None and parameter.trained:
                consumers = graph.parameter_consumers(parameter)
                paths = [sp.Mul(Partial(E, c.z), Partial(c.z, parameter.symbol), evaluate=False) for c in consumers]
                shorthand = [self.deltas[c.z] for c in consumers]
                equation = Equation(
                    Partial(E, parameter.symbol),
                    (_sum(paths), _sum(shorthand)),
                    _sum(shorthand),
                    self._gradient(parameter),
                    sample,
                )
                lead = (parameter.symbol, " is shared by every neuron of the layer, so its gradient sums over them:")
                return Block(("Shared bias ", parameter.symbol), lead, (equation,))
        return None

    def _value(self, expression: sp.Expr, sample: int) -> Number:
        if expression == 1:
            return Fraction(1)
        return self.values[sample][expression]

    def update_section(self) -> Section:
        graph = self.graph
        equations = []
        for update in self.training.updates:
            parameter = self._parameter_at(update.slot)
            rule = sp.Add(
                parameter.symbol,
                sp.Mul(-1, graph.learning_rate, Partial(graph.loss_total, parameter.symbol), evaluate=False),
                evaluate=False,
            )
            equations.append(Equation(self.updated[parameter.symbol], (rule,), rule, update.new))
        frozen = [p for p in graph.parameters if not p.trained]
        closing: Prose = ()
        if frozen:
            closing = ("Frozen parameters keep their values: ",) + _name_list(frozen) + (".",)
        return Section(
            "update",
            "The update",
            (
                "Gradient descent moves every trained parameter against its gradient, with learning rate ",
                Given(graph.learning_rate, self.network.train.lr),
                ".",
            ),
            (Block((), (), tuple(equations)),),
            closing=closing,
        )


    def network_section(self) -> Section:
        network, graph = self.network, self.graph
        widths = network.widths
        hidden = ", ".join(str(w) for w in widths[1:-1])
        shape = f"{widths[0]} inputs, " + (f"hidden layers of {hidden} neurons and " if len(widths) > 3 else f"a hidden layer of {hidden} neurons and " if len(widths) == 3 else "") + f"{widths[-1]} output neurons"
        train = network.train
        intro: Prose = (
            f"The network has {shape} ({network.parameter_count} parameters). "
            f"The loss is {losses.loss(network.loss).description}. "
            f"Training uses {train.optimizer.upper()} with learning rate ",
            Given(graph.learning_rate, train.lr),
            f", for {train.steps} step{'s' if train.steps != 1 else ''}.",
        )
        parameter_rows = []
        for parameter in graph.parameters:
            status = "trained" if parameter.trained else "frozen"
            parameter_rows.append((parameter.symbol, self._connection(parameter), parameter.value, status))
        data_rows = []
        for s in range(network.data.batch_size):
            for x, value in zip(graph.inputs, network.data.inputs[s]):
                data_rows.append(("input", x, value))
            for y, value in zip(graph.targets, network.data.targets[s]):
                data_rows.append(("target", y, value))
        tables = (
            Table(("Parameter", "Connects", "Value", "Status"), tuple(parameter_rows)),
            Table(("Role", "Name", "Value"), tuple(data_rows)),
        )
        return Section("network", "The network", intro, tables=tables)

    def _connection(self, parameter: Parameter) -> Prose:
        unit = self.graph.layers[parameter.layer]
        if parameter.kind == "weight":
            source = self.graph.previous_activations(parameter.layer)[parameter.column]
            return (source, " to ", unit[parameter.row].z)
        if parameter.row is None:
            return ("bias of every neuron in the layer",)
        return ("bias of ", unit[parameter.row].z)

    def summary_section(self) -> Section:
        rows = []
        updates = {u.slot: u for u in self.training.updates}
        for parameter in self.graph.parameters:
            slot = Slot(parameter.layer, parameter.kind, parameter.row, parameter.column)
            update = updates.get(slot)
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

    def after_section(self) -> tuple[Section, tuple[Prose, ...]]:
        before, after = self.training.first.loss, self.training.after_first_loss
        closing: Prose = ()
        footnotes: tuple[Prose, ...] = ()
        note = PUBLISHED_NOTES.get(self.network.name)
        if note:
            footnotes = (note + (Figure(after, 10), "."),)
        intro: Prose = (
            "A forward pass with the updated parameters gives the loss ",
            Given(self.graph.loss_total, after),
            ", down from ",
            before,
            ".",
        )
        return Section("after", "After the update", intro, closing=closing), footnotes


def _sum(terms: list[sp.Expr]) -> sp.Expr:
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def _name_list(parameters: Sequence[Parameter]) -> Prose:
    pieces: list = []
    for i, parameter in enumerate(parameters):
        if i:
            pieces.append(", ")
        pieces.append(parameter.symbol)
    return tuple(pieces)


def _activation_words(name: str, slope: Fraction) -> str:
    return {
        "sigmoid": "the logistic sigmoid, 1 / (1 + e^(-net))",
        "tanh": "tanh",
        "relu": "ReLU, max(0, net)",
        "leaky_relu": f"leaky ReLU with negative slope {slope}",
        "identity": "none (identity)",
    }[name]


def _display_expression(unit: Unit) -> sp.Expr:
    """The activation written out in terms of the neuron's net input."""
    z = activations.Z
    if unit.activation == "relu":
        return sp.Max(0, unit.z, evaluate=False)
    if unit.activation == "leaky_relu":
        return sp.Max(sp.Mul(_rational(unit.slope), unit.z, evaluate=False), unit.z, evaluate=False)
    expression = activations.activation(unit.activation).expression
    return expression.xreplace({z: unit.z})


def _derivative_display(unit: Unit) -> sp.Expr:
    """f'(net) in its textbook closed form, written with the neuron's output where usual."""
    display = activations.activation(unit.activation).derivative_display
    return display.xreplace(
        {activations.OUT: unit.a, activations.Z: unit.z, activations.SLOPE: _rational(unit.slope)}
    )


def _rational(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


def build_document(network: Network, notation: str | None = None, training: Training | None = None) -> Document:
    """Derive ``network``: run the passes and lay out every section of the derivation."""
    training = training or train(network)
    builder = _Builder(network, notation, training)
    after, footnotes = builder.after_section()
    sections = (
        builder.network_section(),
        builder.forward_section(),
        builder.loss_section(),
        builder.backward_section(),
        builder.update_section(),
        builder.summary_section(),
        after,
    )
    return Document(network, builder.graph, builder.names, builder.values, sections, training, footnotes)
