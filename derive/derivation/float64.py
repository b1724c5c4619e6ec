"""Where the exact derivation and float64 (PyTorch's arithmetic) part ways, value by value, and why.

The first step is computed twice: exactly, and in float64 operation for operation as PyTorch does.
A shown value whose two results differ by more than RELATIVE of the larger gets a note at its
line: PyTorch's value, and the cause. The cause is found where the difference starts: a value
whose own inputs agree in both arithmetics is a root (a net input that is not exact in binary, an
exact zero that float64 leaves as rounding, a closed form that keeps few digits near its limit);
every value computed from a root says which one.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterator, Mapping

import sympy as sp

from ..engine.arithmetic import to_float
from ..text.message import Math, Msg, Plain, Value, Versus, msg
from .quantities import Quantities, Quantity

RELATIVE = 1e-9


@dataclass(frozen=True)
class Difference:
    """One value on which exact arithmetic and float64 disagree, and the value the difference starts at."""

    quantity: Quantity
    float64: Any
    root: Quantity


def differs(exact: Any, in_float: Any) -> bool:
    """Whether two results disagree by more than RELATIVE of the larger."""
    a, b = to_float(exact), to_float(in_float)
    return abs(a - b) > RELATIVE * max(abs(a), abs(b))


def differences(exact: Quantities, in_float: Mapping[str, Any]) -> dict[str, Difference]:
    """Every quantity of the first step that float64 (values by ID) gives otherwise, with where the difference starts."""
    found: dict[str, Difference] = {}
    place = _places(exact)
    for key, quantity in exact.items():
        other = in_float.get(key)
        if other is None or not differs(quantity.value, other):
            continue
        sources = _references(quantity, exact)
        if quantity.kind == "after":  # the loss after the update is computed from every updated parameter
            sources = (exact[key] for key, difference in found.items() if difference.quantity.kind == "new")
        upstream = [found[source.id].root for source in sources if source.id in found]
        found[key] = Difference(quantity, _as_written(other), min(upstream, key=place) if upstream else quantity)
    return found


def _as_written(value: Any) -> Any:
    """A float64 result that is a whole number as an exact one, so it prints as 1, not 1.000000000."""
    return Fraction(value) if isinstance(value, float) and value.is_integer() else value


def _places(quantities: Quantities) -> Callable[[Quantity], int]:
    """A sort key: a quantity's place in the document's order."""
    places = {key: place for place, key in enumerate(quantities)}
    return lambda quantity: places[quantity.id]


def _references(quantity: Quantity, exact: Quantities) -> Iterator[Quantity]:
    """The quantities a formula is written in: whole subexpressions that stand for a value (dE/dw too)."""
    if quantity.formula is None:
        return
    scope = exact.scope(quantity.sample)
    pending = [quantity.formula]
    while pending:
        node = pending.pop()
        source = scope.get(node)
        if source is not None and source is not quantity:
            yield source
        elif isinstance(node, sp.Basic):
            pending.extend(node.args)


def note(difference: Difference, exact: Quantities, in_float: Mapping[str, Any], eps: Any) -> Msg:
    """The note at a value's line: PyTorch's float64 value, and why it differs."""
    quantity, root = difference.quantity, difference.root
    gets = msg("float64.gets", value=Versus(difference.float64, quantity.value))
    if quantity.kind == "new" and eps is not None:
        gradient = "grad_" + quantity.id.removeprefix("new_")
        if exact[gradient].value == 0 and to_float(in_float[gradient]) != 0:
            return msg("float64.tiny_eps", gets=gets, leftover=Value(number=in_float[gradient]),
                       eps=Plain(eps, "g"))
    if root is not quantity:
        if quantity.kind == "slope" and root.kind == "net" and root.value == 0:
            return msg("float64.kink", gets=gets, root=Math(root.symbol))
        return msg("float64.follows", gets=gets, root=Math(root.symbol))
    if quantity.value == 0:
        return msg("float64.rounding_leftover", value=Value(number=difference.float64))
    reason = {"slope": "saturation", "term": "loss_term", "net": "binary"}.get(quantity.kind, "cancels")
    return msg(f"float64.{reason}", gets=gets)


def notes(exact: Quantities, in_float: Mapping[str, Any], eps: Any = None) -> dict[str, Msg]:
    """The note of every shown value of the first step that float64 gives otherwise, by quantity ID.

    ``eps`` is the optimizer's eps when its step divides by the gradient's size (Adam, RMSprop).
    """
    return {key: note(difference, exact, in_float, eps)
            for key, difference in differences(exact, in_float).items() if difference.root.symbol is not None}
