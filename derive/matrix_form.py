"""The same step in matrix form: Z = W A + b, A = f(Z), delta recursions and outer products, with numeric matrices."""

from __future__ import annotations

from itertools import count

import sympy as sp

from .context import Context
from .document import Block, Equation, Prose, Section

NUMERIC_ROWS_UP_TO = 6  # taller matrices give only their shape
NUMERIC_LINE_CHARACTERS = 60  # a matrix row (columns x digits) must fit one printed line

_fresh = count()


class MatrixOp(sp.Expr):
    """Operands joined by an operator symbol (matrix product, Hadamard product), kept in order for display."""

    is_commutative = False

    def __new__(cls, operator: str, *operands: sp.Expr) -> "MatrixOp":
        return sp.Expr.__new__(cls, sp.Symbol(operator), *operands)

    @property
    def operator(self) -> str:
        """The LaTeX operator between operands ('' for a plain matrix product)."""
        return self.args[0].name

    @property
    def operands(self) -> tuple[sp.Expr, ...]:
        """The operands, in order."""
        return self.args[1:]


class _Matrices:
    """Named matrices of one layer, and numeric matrices whose entries print as numbers."""

    def __init__(self, context: Context, precision: int):
        self.context = context
        self.precision = precision
        self.values = context.values[context.batch_index]

    def name(self, latex: str) -> sp.Symbol:
        symbol = sp.Symbol(f"matrix_{next(_fresh)}", real=True)
        self.context.names[symbol] = latex
        return symbol

    def numeric(self, rows: list[list]) -> sp.Expr:
        """A matrix of numbers, or its shape when it is too large to print."""
        height, width = len(rows), len(rows[0])
        if height > NUMERIC_ROWS_UP_TO or width * (self.precision + 6) > NUMERIC_LINE_CHARACTERS:
            return self.name(rf"\left[{height} \times {width} \text{{ matrix}}\right]")
        entries = []
        for row in rows:
            symbols = []
            for value in row:
                symbol = sp.Symbol(f"entry_{next(_fresh)}", real=True)
                for sample_values in self.context.values:
                    sample_values[symbol] = value
                symbols.append(symbol)
            entries.append(symbols)
        return sp.ImmutableMatrix(entries)


def _columns(per_sample: list[list]) -> list[list]:
    """Per-sample vectors laid side by side as the columns of a matrix (units x samples)."""
    return [list(row) for row in zip(*per_sample)]


def _shape_note(*items: tuple[str, int, int]) -> Prose:
    return ("Shapes: " + "; ".join(f"{name} is {rows} x {cols}" for name, rows, cols in items) + ".",)


def matrix_sections(context: Context, precision: int) -> tuple[Section, Section]:
    """The forward pass and the backward pass in matrix form, batch as columns."""
    return _forward(context, precision), _backward(context, precision)


def _forward(context: Context, precision: int) -> Section:
    m = _Matrices(context, precision)
    network = context.network
    first = context.training.first
    batch = context.batch
    blocks = []
    previous_latex = "X"
    previous_values = _columns([list(sample) for sample in network.data.inputs])
    for index, layer in enumerate(network.layers):
        l = index + 1
        W, A_prev, Z, A = m.name(f"W^{{({l})}}"), m.name(previous_latex), m.name(f"Z^{{({l})}}"), m.name(f"A^{{({l})}}")
        weight = m.numeric([list(row) for row in first_weights(context, index)])
        z_values = _columns([sample.z[index] for sample in first.samples])
        a_values = _columns([sample.a[index] for sample in first.samples])
        product = MatrixOp("", W, A_prev)
        numbers = MatrixOp("", weight, m.numeric(previous_values))
        forms = [product]
        if layer.bias is not None:
            b = m.name(f"b^{{({l})}}")
            forms = [sp.Add(product, b, evaluate=False)]
            bias_rows = [[v] for v in layer.bias] if layer.bias_kind == "per_neuron" else [[layer.bias]] * layer.out_features
            numbers = sp.Add(numbers, m.numeric(bias_rows), evaluate=False)
        equations = (
            Equation(Z, tuple(forms), numbers, None, context.batch_index),
            Equation(Z, (), m.numeric(z_values), None, context.batch_index),
            Equation(A, (sp.Function(f"f_{l}")(Z),), None, None, context.batch_index),
            Equation(A, (), m.numeric(a_values), None, context.batch_index),
        )
        lead = _shape_note(
            (f"W({l})", layer.out_features, layer.in_features),
            (previous_latex.replace("^{(", "(").replace(")}", ")"), layer.in_features, batch),
            (f"Z({l}) and A({l})", layer.out_features, batch),
        )
        if layer.bias is not None:
            lead += (" The bias is added to every column (every sample).",)
        blocks.append(Block((f"Layer {l}",), lead, equations))
        previous_latex = f"A^{{({l})}}"
        previous_values = a_values
    intro: Prose = (
        f"The whole batch at once: column s of each matrix belongs to sample s ({batch} "
        f"sample{'s' if batch != 1 else ''}). The numbers are the same as in the scalar derivation.",
    )
    return Section("matrix-forward", "The forward pass in matrix form", intro, tuple(blocks))


def first_weights(context: Context, index: int) -> list[list]:
    """The weights of a layer before the update."""
    return context.training.start.weights[index]


def _backward(context: Context, precision: int) -> Section:
    m = _Matrices(context, precision)
    network = context.network
    first = context.training.first
    count_layers = len(network.layers)
    blocks = []
    for index in reversed(range(count_layers)):
        l = index + 1
        layer = network.layers[index]
        delta = m.name(rf"\delta^{{({l})}}")
        derivative = m.name(f"f_{{{l}}}'(Z^{{({l})}})")
        d_values = _columns([sample.da_dz[index] for sample in first.samples])
        delta_values = _columns([sample.delta[index] for sample in first.samples])
        if index == count_layers - 1:
            gradient = m.name(r"\nabla_{A^{(" + str(l) + r")}} E")
            upstream_values = _columns([sample.dE_da[index] for sample in first.samples])
            form = MatrixOp(r"\odot", gradient, derivative)
            numbers = MatrixOp(r"\odot", m.numeric(upstream_values), m.numeric(d_values))
        else:
            W_next = m.name(f"\\left(W^{{({l + 1})}}\\right)^{{\\top}}")
            delta_next = m.name(rf"\delta^{{({l + 1})}}")
            transposed = [list(col) for col in zip(*first_weights(context, index + 1))]
            next_values = _columns([sample.delta[index + 1] for sample in first.samples])
            form = MatrixOp(r"\odot", MatrixOp("", W_next, delta_next), derivative)
            numbers = MatrixOp(r"\odot", MatrixOp("", m.numeric(transposed), m.numeric(next_values)), m.numeric(d_values))
        previous_values = (
            _columns([list(s) for s in network.data.inputs]) if index == 0 else _columns([s.a[index - 1] for s in first.samples])
        )
        grad_w = m.name(rf"\frac{{\partial E}}{{\partial W^{{({l})}}}}")
        transposed_previous = m.name("X^{\\top}" if index == 0 else f"\\left(A^{{({l - 1})}}\\right)^{{\\top}}")
        equations = [
            Equation(delta, (form,), numbers, None, context.batch_index),
            Equation(delta, (), m.numeric(delta_values), None, context.batch_index),
            Equation(grad_w, (MatrixOp("", delta, transposed_previous),), MatrixOp("", m.numeric(delta_values), m.numeric([list(r) for r in zip(*previous_values)])), None, context.batch_index),
            Equation(grad_w, (), m.numeric(first.grad_weights[index]), None, context.batch_index),
        ]
        if layer.bias_trained:
            grad_b = m.name(rf"\frac{{\partial E}}{{\partial b^{{({l})}}}}")
            ones = m.name(r"\mathbf{1}")
            bias_grad = first.grad_biases[index]
            bias_rows = [[v] for v in bias_grad] if isinstance(bias_grad, list) else [[bias_grad]]
            summed = MatrixOp("", delta, ones)
            if layer.bias_kind == "shared":
                summed = MatrixOp("", m.name(r"\mathbf{1}^{\top}"), delta, ones)
            equations.append(Equation(grad_b, (summed,), None, None, context.batch_index))
            equations.append(Equation(grad_b, (), m.numeric(bias_rows), None, context.batch_index))
        lead: Prose = (
            "The error signal of the output layer is the gradient of the loss with respect to the outputs "
            "times the activation's derivative, entry by entry."
            if index == count_layers - 1
            else "The next layer's error signals flow back through its transposed weights, times this layer's "
            "activation derivative, entry by entry.",
        )
        lead += (
            " The weight gradient is the error signal times the transposed inputs of the layer; the product "
            "sums over the samples (the columns).",
        )
        if layer.bias_trained:
            lead += (" The bias gradient sums the error signals over the samples" + (" and the neurons (a shared bias)." if layer.bias_kind == "shared" else "."),)
        blocks.append(Block((f"Layer {l}",), lead, tuple(equations)))
    m = _Matrices(context, precision)
    delta_L, delta_l, delta_next = m.name(r"\delta^{(L)}"), m.name(r"\delta^{(l)}"), m.name(r"\delta^{(l+1)}")
    rules = (
        sp.Eq(delta_L, MatrixOp(r"\odot", m.name(r"\nabla_{A^{(L)}} E"), m.name("f_{L}'(Z^{(L)})")), evaluate=False),
        sp.Eq(delta_l, MatrixOp(r"\odot", MatrixOp("", m.name(r"\left(W^{(l+1)}\right)^{\top}"), delta_next), m.name("f_{l}'(Z^{(l)})")), evaluate=False),
        sp.Eq(m.name(r"\frac{\partial E}{\partial W^{(l)}}"), MatrixOp("", delta_l, m.name(r"\left(A^{(l-1)}\right)^{\top}")), evaluate=False),
        sp.Eq(m.name(r"\frac{\partial E}{\partial b^{(l)}}"), MatrixOp("", delta_l, m.name(r"\mathbf{1}")), evaluate=False),
    )
    intro: Prose = (
        "The same chain rule with whole layers at once: for the output layer L, ",
        rules[0],
        "; for the others, ",
        rules[1],
        "; then ",
        rules[2],
        " and ",
        rules[3],
        ". Here ",
        m.name(r"\odot"),
        " is the entry-by-entry (Hadamard) product and ",
        m.name(r"\mathbf{1}"),
        " a column of ones.",
    )
    return Section("matrix-backward", "The backward pass in matrix form", intro, tuple(blocks))
