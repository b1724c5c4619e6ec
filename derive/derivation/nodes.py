"""Small SymPy nodes the derivation writes and the printer prints by name: partials, applied activations, matrix forms."""

from __future__ import annotations

import sympy as sp


def _tag(name: str | sp.Symbol) -> sp.Symbol:
    """A node's name as the symbol it stores; given that symbol back, node.func(*node.args) rebuilds the node."""
    return name if isinstance(name, sp.Symbol) else sp.Symbol(name)


class Partial(sp.Expr):
    """The partial derivative d(numerator)/d(denominator), kept unevaluated for display."""

    is_commutative = True

    def __new__(cls, numerator: sp.Expr, denominator: sp.Expr) -> "Partial":
        return sp.Expr.__new__(cls, numerator, denominator)

    @property
    def numerator(self) -> sp.Expr:
        """What is differentiated."""
        return self.args[0]

    @property
    def denominator(self) -> sp.Expr:
        """What it is differentiated with respect to."""
        return self.args[1]


class Applied(sp.Expr):
    """An activation applied to a node, printed by the activation's name, such as sigma(net_h1)."""

    is_commutative = True

    def __new__(cls, activation: str, argument: sp.Expr) -> "Applied":
        return sp.Expr.__new__(cls, _tag(activation), argument)

    @property
    def activation(self) -> str:
        """The registered name of the activation."""
        return self.args[0].name


class QuantityRef(sp.Expr):
    """A quantity's value inside a formula, by ID, printed as its number (a matrix entry)."""

    is_commutative = True

    def __new__(cls, quantity: str) -> "QuantityRef":
        return sp.Expr.__new__(cls, _tag(quantity))

    @property
    def quantity(self) -> str:
        """The quantity's ID."""
        return self.args[0].name


class MatrixOp(sp.Expr):
    """Operands joined by a matrix operation (``product`` or ``hadamard``), kept in order for display."""

    is_commutative = False

    def __new__(cls, operation: str, *operands: sp.Expr) -> "MatrixOp":
        return sp.Expr.__new__(cls, _tag(operation), *operands)

    @property
    def operation(self) -> str:
        """``product`` or ``hadamard``."""
        return self.args[0].name

    @property
    def operands(self) -> tuple[sp.Expr, ...]:
        """The operands, in order."""
        return self.args[1:]


class Transposed(sp.Expr):
    """A matrix transposed."""

    is_commutative = False

    def __new__(cls, matrix: sp.Expr) -> "Transposed":
        return sp.Expr.__new__(cls, matrix)


class Gradient(sp.Expr):
    """The gradient of ``of`` with respect to the matrix ``wrt``."""

    def __new__(cls, of: sp.Expr, wrt: sp.Expr) -> "Gradient":
        return sp.Expr.__new__(cls, of, wrt)


class LayerSlope(sp.Expr):
    """f'(Z), entry by entry: ``function`` names an activation (sigma'), or a layer (f_l') in a general rule."""

    def __new__(cls, function: str, argument: sp.Expr) -> "LayerSlope":
        return sp.Expr.__new__(cls, _tag(function), argument)


class Entries(sp.Expr):
    """A matrix given by its entry in row j, column s (the entry's formula in A_js, Y_js)."""

    def __new__(cls, entry: sp.Expr) -> "Entries":
        return sp.Expr.__new__(cls, entry)


class Dimensions(sp.Expr):
    """A matrix's size, rows x columns, as prose mentions it."""

    def __new__(cls, rows: int, columns: int) -> "Dimensions":
        return sp.Expr.__new__(cls, sp.Integer(rows), sp.Integer(columns))


class MatrixShape(sp.Expr):
    """A matrix too large to print, written by its shape."""

    def __new__(cls, rows: int, columns: int) -> "MatrixShape":
        return sp.Expr.__new__(cls, sp.Integer(rows), sp.Integer(columns))


class Operator(sp.Expr):
    """An operation's sign on its own, as prose mentions it (the Hadamard product)."""

    def __new__(cls, operation: str) -> "Operator":
        return sp.Expr.__new__(cls, _tag(operation))
