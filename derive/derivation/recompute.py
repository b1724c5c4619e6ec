"""Quantities recomputed from their formulas: by hand with rounding (--rounding carry), or from a student's values.

Every derived quantity carries a SymPy formula over other quantities' symbols (grad_w5 = delta_o1 .
out_h1). ``Recompute`` evaluates those formulas in dependency order over values it is given: the
exact ones, a student's own numbers for the quantities they answered (error carried forward), each
result rounded to N decimals as a student with a calculator does (the carry convention), or both.
Rationals stay exact; exp, log, tanh, erf and roots are computed at 60 digits in a private mpmath context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from ..engine.rounding import carried
from ..errors import NotComputable
from ..expressions import total
from .model import Derivation
from .quantities import Quantities, Quantity

DIGITS = 60
FLOAT64_LIMIT = 2**1024  # past the largest float64: the run has diverged, as PyTorch's would overflow
GIVEN_KINDS = ("parameter", "setting", "input", "target")  # data of the exercise: never rounded, never recomputed
FORWARD_KINDS = ("net", "out", "softmax", "cross_entropy", "term", "loss")


class Unevaluable(ValueError):
    """A formula holds a node the evaluator does not know."""


class Recompute:
    """The formulas of one derivation's quantities, evaluated over chosen values."""

    def __init__(self, derivation: Derivation) -> None:
        self.quantities: Quantities = derivation.quantities
        self.graph = derivation.graph
        self.mp = mpmath.MPContext()
        self.mp.dps = DIGITS
        self._formulas = _softmax_formulas(derivation)
        self._references: dict[str, tuple[str, ...]] = {}
        batch = derivation.training.first.batch
        # A batch-level value of a one-sample batch (a gradient with batch_size = 1 of ten samples)
        # is written in that sample's symbols.
        self._only_sample = batch[0] if len(batch) == 1 else None

    def lookup(self, expr: sp.Basic, sample: int | None) -> Quantity | None:
        """The quantity ``expr`` stands for in a formula of ``sample`` (None: the batch), if any."""
        found = self.quantities.lookup(expr, sample)
        if found is None and sample is None and self._only_sample is not None:
            found = self.quantities.lookup(expr, self._only_sample)
        return found

    # -- what a quantity is computed from

    def formula(self, quantity: Quantity) -> sp.Basic | None:
        """The quantity's formula (cross-entropy's softmax, L and terms get theirs here)."""
        if quantity.formula is not None:
            return quantity.formula
        return self._formulas.get(quantity.id)

    def references(self, key: str) -> tuple[str, ...]:
        """The IDs of the quantities ``key``'s formula refers to, in the order they are written."""
        found = self._references.get(key)
        if found is None:
            quantity = self.quantities[key]
            formula = self.formula(quantity)
            ids: dict[str, None] = {}
            if formula is not None:
                self._collect(formula, quantity.sample, ids)
            elif quantity.kind == "after":
                ids.update((self._new_id(p.symbol), None) for p in self.graph.parameters if self._new_id(p.symbol))
            found = self._references[key] = tuple(ids)
        return found

    def upstream(self, key: str) -> set[str]:
        """Every quantity ``key`` depends on, directly or through others."""
        seen: set[str] = set()
        stack = list(self.references(key))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.references(current))
        return seen

    def _collect(self, expr: sp.Basic, sample: int | None, into: dict[str, None]) -> None:
        found = self.lookup(expr, sample)
        if found is not None:
            into.setdefault(found.id)
            return
        for arg in expr.args:
            self._collect(arg, sample, into)

    def _new_id(self, symbol: sp.Symbol) -> str | None:
        updated = self.lookup(self.graph.updated[symbol], None)
        return updated.id if updated is not None else None

    # -- values

    def values(
        self, overrides: Mapping[str, Any] | None = None, decimals: int | None = None, wanted: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """Every quantity (or those ``wanted`` and what they need) recomputed over ``overrides``.

        An overridden quantity takes the value given; a given (parameter, input, target, setting)
        keeps its own; every other one is its formula evaluated over the values found so far,
        rounded to ``decimals`` places when that is not None (a value already that short stays exact).
        The loss after the update is a forward pass with the parameters' new values.
        """
        return _Run(self, dict(overrides or {}), decimals).all(wanted if wanted is not None else self.quantities)

    # -- evaluation of one formula

    def evaluate(self, expr: sp.Basic, value_of: Callable[[sp.Basic], Any]) -> Any:
        """``expr`` evaluated; ``value_of`` gives a quantity's value for a node, or None for any other node."""
        found = value_of(expr)
        if found is not None:
            return found
        mp = self.mp
        if isinstance(expr, sp.Rational):
            return Fraction(int(expr.p), int(expr.q))
        if isinstance(expr, sp.Float):
            return mp.mpf(str(expr))
        if expr is sp.pi:
            return mp.pi
        if expr is sp.E:
            return mp.e
        if isinstance(expr, sp.Add):
            return self._fold(expr, value_of, lambda a, b: a + b)
        if isinstance(expr, sp.Mul):
            return self._fold(expr, value_of, lambda a, b: a * b)
        if isinstance(expr, sp.Pow):
            return self._power(self.evaluate(expr.base, value_of), self.evaluate(expr.exp, value_of))
        if isinstance(expr, sp.Piecewise):
            for piece, condition in expr.args:
                if self._holds(condition, value_of):
                    return self.evaluate(piece, value_of)
            raise Unevaluable(f"no piece of {expr} holds")
        if isinstance(expr, (sp.Max, sp.Min)):
            values = self._alike([self.evaluate(arg, value_of) for arg in expr.args])
            return max(values) if isinstance(expr, sp.Max) else min(values)
        if isinstance(expr, sp.Abs):
            return abs(self.evaluate(expr.args[0], value_of))
        if isinstance(expr, sp.sign):
            value = self.evaluate(expr.args[0], value_of)
            return Fraction((value > 0) - (value < 0))
        functions = {sp.exp: mp.exp, sp.log: mp.log, sp.tanh: mp.tanh, sp.erf: mp.erf, sp.sqrt: mp.sqrt}
        if expr.func in functions:
            return functions[expr.func](self._mpf(self.evaluate(expr.args[0], value_of)))
        raise Unevaluable(f"cannot evaluate {type(expr).__name__}: {expr}")

    def _fold(self, expr: sp.Basic, value_of: Callable, operation: Callable[[Any, Any], Any]) -> Any:
        result = None
        for arg in expr.args:
            value = self.evaluate(arg, value_of)
            if result is None:
                result = value
            elif isinstance(result, Fraction) and isinstance(value, Fraction):
                result = operation(result, value)
            else:
                result = operation(self._mpf(result), self._mpf(value))
        return result

    def _power(self, base: Any, exponent: Any) -> Any:
        if isinstance(base, Fraction) and isinstance(exponent, Fraction) and exponent.denominator == 1:
            if base == 0 and exponent < 0:
                raise ZeroDivisionError("0 to a negative power")
            return base ** int(exponent)
        if exponent == Fraction(1, 2):
            return self.mp.sqrt(self._mpf(base))
        return self.mp.power(self._mpf(base), self._mpf(exponent))

    def _holds(self, condition: Any, value_of: Callable) -> bool:
        if condition is sp.true or condition is True:
            return True
        if condition is sp.false or condition is False:
            return False
        if isinstance(condition, sp.core.relational.Relational):
            left, right = self._alike([self.evaluate(condition.lhs, value_of), self.evaluate(condition.rhs, value_of)])
            return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right,
                    "==": left == right, "!=": left != right}[condition.rel_op]
        raise Unevaluable(f"cannot decide {condition}")

    def _alike(self, values: list[Any]) -> list[Any]:
        """Values to compare: Fractions exactly among themselves, else all as 60-digit floats."""
        if all(isinstance(value, Fraction) for value in values):
            return values
        return [self._mpf(value) for value in values]

    def _mpf(self, value: Any) -> Any:
        if isinstance(value, Fraction):
            return self.mp.mpf(value.numerator) / value.denominator
        return self.mp.mpf(value)


class _Run:
    """One recomputation: values found so far, by ID."""

    def __init__(self, recompute: Recompute, overrides: dict[str, Any], decimals: int | None) -> None:
        self.recompute = recompute
        self.overrides = overrides
        self.decimals = decimals
        self.found: dict[str, Any] = {}

    def all(self, keys: Iterable[str]) -> dict[str, Any]:
        for key in keys:
            self.value(key)
        return self.found

    def value(self, key: str) -> Any:
        found = self.found.get(key)
        if found is not None:
            return found
        # Depth first, but by an explicit stack: a deep network's chains would pass Python's recursion limit.
        stack = [key]
        while stack:
            current = stack[-1]
            if current in self.found:
                stack.pop()
                continue
            missing = [ref for ref in self._needs(current) if ref not in self.found]
            if missing:
                stack.extend(missing)
                continue
            self.found[current] = self._compute(current)
            stack.pop()
        return self.found[key]

    def _needs(self, key: str) -> tuple[str, ...]:
        if key in self.overrides or self.recompute.quantities[key].kind in GIVEN_KINDS:
            return ()
        return self.recompute.references(key)

    def _compute(self, key: str) -> Any:
        if key in self.overrides:
            return self.overrides[key]
        recompute = self.recompute
        quantity = recompute.quantities[key]
        formula = recompute.formula(quantity)
        if quantity.kind in GIVEN_KINDS or (formula is None and quantity.kind != "after"):
            return quantity.value
        if formula is None:
            return self._after()
        alone = recompute.lookup(formula, quantity.sample)
        if alone is not None:  # the formula is another quantity (dnet_o1_dw5 = out_h1): already as carried
            return self.found[alone.id]

        def value_of(node: sp.Basic) -> Any:
            referred = recompute.lookup(node, quantity.sample)
            return None if referred is None else self.found[referred.id]

        try:
            value = recompute.evaluate(formula, value_of)
        except ZeroDivisionError:
            raise NotComputable(key, "divides by zero") from None
        if not (isinstance(value, Fraction) or recompute.mp.isfinite(value)) or abs(value) >= FLOAT64_LIMIT:
            raise NotComputable(key, "has no finite value within float64's range")
        return value if self.decimals is None else carried(value, self.decimals)

    def _after(self) -> Any:
        """The loss after the update: the forward pass again, with each trained parameter's new value."""
        recompute = self.recompute
        overrides = {}
        for parameter in recompute.graph.parameters:
            new_id = recompute._new_id(parameter.symbol)
            if new_id is not None:
                overrides[recompute.lookup(parameter.symbol, None).id] = self.found[new_id]
        after = _Run(recompute, overrides, self.decimals)
        return after.value("E")


def _softmax_formulas(derivation: Derivation) -> dict[str, sp.Basic]:
    """Formulas for the values cross-entropy's quantities give without one: p_j, L and the terms -y_j log p_j."""
    graph, quantities = derivation.graph, derivation.quantities
    if not derivation.network.loss.uses_softmax:
        return {}
    formulas: dict[str, sp.Basic] = {}
    outputs = [unit.a for unit in graph.outputs]
    denominator = total([sp.exp(a) for a in outputs])
    for quantity in quantities.values():
        if quantity.formula is not None or quantity.sample is None:
            continue
        if quantity.kind == "softmax":
            j = graph.softmax.index(quantity.symbol)
            formulas[quantity.id] = sp.Mul(sp.exp(outputs[j]), sp.Pow(denominator, -1, evaluate=False), evaluate=False)
        elif quantity.kind == "term":
            j = graph.loss_terms.index(quantity.symbol)
            formulas[quantity.id] = sp.Mul(-1, graph.targets[j], sp.log(graph.softmax[j]), evaluate=False)
        elif quantity.kind == "cross_entropy":
            formulas[quantity.id] = total(list(graph.loss_terms))
    return formulas
