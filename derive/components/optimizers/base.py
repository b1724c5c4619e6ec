"""What every optimizer is: torch.optim's update rule in both arithmetics, its state and display; the registry."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Mapping

import sympy as sp

from ...text.message import Msg, Plain, Series, msg, owned
from ..base import Component, Ops, Registry, Setting

OPTIMIZERS: Registry["Optimizer"] = Registry("optimizer")


LR = Setting("lr", Fraction(1, 2), "a number greater than 0", lambda x: x > 0)
WEIGHT_DECAY = Setting("weight_decay", Fraction(0), "a number of at least 0", lambda x: x >= 0)
EPS = Setting("eps", Fraction(1, 10**8), "a number greater than 0", lambda x: x > 0)


@dataclass(frozen=True)
class Hyper:
    """A setting shown in formulas: its quantity ID, spec key, and the Greek letter it is written as."""

    id: str
    key: str
    letter: str
    index: str = ""


@dataclass(frozen=True)
class State:
    """An intermediate value of the update rule, per parameter: ``m`` is written m_w, ``mhat`` m̂_w."""

    key: str
    letter: str
    accent: str = ""


@dataclass(frozen=True)
class Optimizer(Component):
    """An update rule; every optimizer has a learning rate ``lr``."""

    hypers: ClassVar[tuple[Hyper, ...]] = ()
    states: ClassVar[tuple[State, ...]] = ()
    torch_class: ClassVar[str] = ""  # the name in torch.optim
    torch_defaults: ClassVar[dict[str, Any]] = {}  # torch.optim settings derive follows only at these values
    lr: Fraction = Fraction(1, 2)

    def converted(self, ops: Ops) -> dict[str, Any]:
        """The settings in the arithmetic of ``ops``, converted once per step rather than once per parameter."""
        values: dict[str, Any] = {}
        for setting in self.settings:
            value = getattr(self, setting.key)
            if isinstance(value, tuple):
                values[setting.key] = tuple(ops.convert(item) for item in value)
            elif isinstance(value, Fraction):
                values[setting.key] = ops.convert(value)
            else:
                values[setting.key] = value
        return values

    def step(self, old: Any, gradient: Any, memory: dict, t: int, ops: Ops, h: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The new value and the intermediate values shown (by state key) of step ``t`` (1-based).

        ``memory`` holds this parameter's buffers between steps; the step updates it in place.
        ``h`` is ``converted(ops)``.
        """
        raise NotImplementedError

    def shown_states(self) -> tuple[State, ...]:
        """The intermediate values the first step's derivation shows, in order."""
        return self.states

    def first_step_rules(self, s: Mapping[str, sp.Expr]) -> list[tuple[str, sp.Expr]]:
        """(state key or 'new', formula) of the first step, from symbols ``s``.

        ``s`` holds 'param', 'gradient', 'lr', every state key and every hyper ID.
        """
        raise NotImplementedError

    def intro(self) -> tuple[Msg, ...]:
        """The sentences that open the update section."""
        raise NotImplementedError

    def words(self) -> Msg:
        """The optimizer's name and settings, for the network section."""
        raise NotImplementedError

    def decayed_rule(self, s: Mapping[str, sp.Expr], rules: list[tuple[str, sp.Expr]]) -> sp.Expr:
        """With weight decay, the rule g = gradient + lambda p (added to ``rules``); the gradient the steps use."""
        if not getattr(self, "weight_decay", 0):
            return s["gradient"]
        rules.append(("g", sp.Add(s["gradient"], sp.Mul(s["weight_decay"], s["param"], evaluate=False), evaluate=False)))
        return s["g"]

    def decayed(self, gradient: Any, old: Any, ops: Ops, h: dict[str, Any]) -> Any:
        """The gradient plus weight decay times the parameter, as torch.optim adds it first."""
        decay = h.get("weight_decay")
        return ops.add(gradient, ops.mul(decay, old)) if decay else gradient

    def torch(self, parameters: list) -> Any:
        """The torch.optim optimizer with these settings."""
        raise NotImplementedError


def torch_lerp(start: float, end: float, weight: float) -> float:
    """start + weight (end - start) in float64, with the two formulas PyTorch's CPU kernel uses."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def named_with_settings(optimizer: Optimizer, parts: list[Msg]) -> Msg:
    """'Adam (betas 0.9 and 0.999; eps 1e-08)': the name, then each setting's words."""
    return msg("optimizer_setting.named", name=owned(optimizer, "name"), settings=Series(tuple(parts), "semicolon"))


def setting_words(optimizer: Optimizer, key: str, form: str = "decimal") -> Msg:
    """'momentum 0.9': one setting's words (the optimizer's message ``setting_<key>``), its value as plain text."""
    return owned(optimizer, f"setting_{key}", value=Plain(getattr(optimizer, key), form))
