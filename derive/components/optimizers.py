"""Optimizers, one object each: torch.optim's update rule in both arithmetics, its state, display and twin.

An optimizer updates one parameter at a time: ``step`` takes the parameter, its gradient, the
parameter's own state from the step before (a dict it keeps its buffers in) and the step count,
and returns the new value and the named intermediate values the document shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Mapping

import sympy as sp

from ..text.message import Given, Math, Msg, Plain, Series, msg, owned
from .base import Component, Ops, Registry, Setting

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

    def decayed(self, gradient: Any, old: Any, ops: Ops, h: dict[str, Any]) -> Any:
        """The gradient plus weight decay times the parameter, as torch.optim adds it first."""
        if not getattr(self, "weight_decay", 0):
            return gradient
        return ops.add(gradient, ops.mul(h["weight_decay"], old))

    def torch(self, parameters: list) -> Any:
        """The torch.optim optimizer with these settings."""
        raise NotImplementedError


def _sub(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    return sp.Add(a, sp.Mul(-1, b, evaluate=False), evaluate=False)


def _divided(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    return sp.Mul(a, sp.Pow(b, -1, evaluate=False), evaluate=False)


def _one_minus(x: sp.Expr) -> sp.Expr:
    return sp.Add(1, -x, evaluate=False)


@OPTIMIZERS.add
@dataclass(frozen=True)
class SGD(Optimizer):
    """torch.optim.SGD with momentum and weight decay (dampening 0, no Nesterov)."""

    name: ClassVar[str] = "sgd"
    torch_class = "SGD"
    torch_defaults = {"dampening": 0, "nesterov": False, "maximize": False}
    settings = (
        LR,
        Setting("momentum", Fraction(0), "a number of at least 0", lambda x: x >= 0),
        WEIGHT_DECAY,
    )
    hypers = (Hyper("weight_decay", "weight_decay", "lambda"), Hyper("momentum", "momentum", "mu"))
    states = (State("g", "g"), State("buf", "v"))
    messages: ClassVar[dict[str, str]] = {
        "name": "SGD",
        "intro": "Gradient descent moves every trained parameter against its gradient, with learning rate {lr}.",
        "decay": "Weight decay adds {weight_decay} times the parameter to its gradient first.",
        "momentum": "With momentum {momentum}, torch.optim.SGD keeps a buffer {rule} (g is the gradient); at the "
        "first step it stores the gradient itself.",
        "setting_momentum": "momentum {value}",
        "setting_weight_decay": "weight decay {value}",
    }
    momentum: Fraction = Fraction(0)
    weight_decay: Fraction = Fraction(0)

    def step(self, old: Any, gradient: Any, memory: dict, t: int, ops: Ops, h: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        effective = self.decayed(gradient, old, ops, h)
        direction = effective
        if self.momentum:
            if "buf" in memory:
                # torch.optim.SGD: buf = momentum * buf + (1 - dampening) * g, with dampening 0.
                direction = ops.add(ops.mul(h["momentum"], memory["buf"]), effective)
            memory["buf"] = direction  # the first step stores g itself, as torch does
        return ops.sub(old, ops.mul(h["lr"], direction)), {"g": effective, "buf": direction}

    def shown_states(self) -> tuple[State, ...]:
        wanted = {"g": bool(self.weight_decay), "buf": bool(self.momentum)}
        return tuple(state for state in self.states if wanted[state.key])

    def first_step_rules(self, s: Mapping[str, sp.Expr]) -> list[tuple[str, sp.Expr]]:
        rules = []
        direction = s["gradient"]
        if self.weight_decay:
            rules.append(("g", sp.Add(s["gradient"], sp.Mul(s["weight_decay"], s["param"], evaluate=False), evaluate=False)))
            direction = s["g"]
        if self.momentum:
            rules.append(("buf", direction))
            step = sp.Mul(s["lr"], s["buf"], evaluate=False)
        else:
            step = sp.Mul(s["lr"], direction, evaluate=False)
        rules.append(("new", _sub(s["param"], step)))
        return rules

    def intro(self) -> tuple[Msg, ...]:
        sentences = [owned(self, "intro", lr=Given("lr"))]
        if self.weight_decay:
            sentences.append(owned(self, "decay", weight_decay=Given("weight_decay")))
        if self.momentum:
            v, mu, g = sp.Symbol("v"), sp.Symbol("mu"), sp.Symbol("g")
            rule = sp.Eq(v, sp.Add(sp.Mul(mu, v, evaluate=False), g, evaluate=False), evaluate=False)
            sentences.append(owned(self, "momentum", momentum=Given("momentum"), rule=Math(rule)))
        return tuple(sentences)

    def words(self) -> Msg:
        settings = []
        if self.momentum:
            settings.append(setting_words(self, "momentum"))
        if self.weight_decay:
            settings.append(setting_words(self, "weight_decay"))
        return owned(self, "name") if not settings else _named_with_settings(self, settings)

    def torch(self, parameters: list) -> Any:
        import torch

        return torch.optim.SGD(
            parameters, lr=float(self.lr), momentum=float(self.momentum), weight_decay=float(self.weight_decay)
        )


@OPTIMIZERS.add
@dataclass(frozen=True)
class Adam(Optimizer):
    """torch.optim.Adam, with its bias corrections (no AMSGrad)."""

    name: ClassVar[str] = "adam"
    torch_class = "Adam"
    torch_defaults = {"amsgrad": False, "maximize": False}
    settings = (
        LR,
        WEIGHT_DECAY,
        Setting("betas", (Fraction(9, 10), Fraction(999, 1000)), "a number from 0 up to (not including) 1",
                lambda x: 0 <= x < 1, kind="pair", shape="two numbers [beta1, beta2]"),
        EPS,
    )
    hypers = (
        Hyper("weight_decay", "weight_decay", "lambda"),
        Hyper("beta1", "betas", "beta", "1"),
        Hyper("beta2", "betas", "beta", "2"),
        Hyper("eps", "eps", "epsilon"),
    )
    states = (State("g", "g"), State("m", "m"), State("v", "v"), State("mhat", "m", "hat"), State("vhat", "v", "hat"))
    messages: ClassVar[dict[str, str]] = {
        "name": "Adam",
        "intro": "Adam keeps running means m of the gradient and v of its square, both starting at 0, corrects "
        "their bias towards 0 by dividing by {correction} ({first} at the first step), and steps by their ratio, "
        "as torch.optim.Adam does. Learning rate {lr}.",
        "setting_betas": "betas {first} and {second}",
        "setting_eps": "eps {value}",
        "setting_weight_decay": "weight decay {value}",
    }
    weight_decay: Fraction = Fraction(0)
    betas: tuple[Fraction, Fraction] = (Fraction(9, 10), Fraction(999, 1000))
    eps: Fraction = Fraction(1, 10**8)

    def step(self, old: Any, gradient: Any, memory: dict, t: int, ops: Ops, h: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        effective = self.decayed(gradient, old, ops, h)
        one = ops.convert(1)
        beta1, beta2 = h["betas"]
        m = ops.add(ops.mul(beta1, memory.get("m", ops.convert(0))), ops.mul(ops.sub(one, beta1), effective))
        v = ops.add(
            ops.mul(beta2, memory.get("v", ops.convert(0))),
            ops.mul(ops.sub(one, beta2), ops.mul(effective, effective)),
        )
        memory["m"], memory["v"] = m, v
        m_hat = ops.div(m, ops.sub(one, ops.power(beta1, t)))
        v_hat = ops.div(v, ops.sub(one, ops.power(beta2, t)))
        step = ops.div(ops.mul(h["lr"], m_hat), ops.add(ops.sqrt(v_hat), h["eps"]))
        return ops.sub(old, step), {"g": effective, "m": m, "v": v, "mhat": m_hat, "vhat": v_hat}

    def shown_states(self) -> tuple[State, ...]:
        return tuple(state for state in self.states if state.key != "g" or self.weight_decay)

    def first_step_rules(self, s: Mapping[str, sp.Expr]) -> list[tuple[str, sp.Expr]]:
        rules = []
        direction = s["gradient"]
        if self.weight_decay:
            rules.append(("g", sp.Add(s["gradient"], sp.Mul(s["weight_decay"], s["param"], evaluate=False), evaluate=False)))
            direction = s["g"]
        rules.append(("m", sp.Mul(_one_minus(s["beta1"]), direction, evaluate=False)))
        rules.append(("v", sp.Mul(_one_minus(s["beta2"]), sp.Pow(direction, 2, evaluate=False), evaluate=False)))
        rules.append(("mhat", _divided(s["m"], _one_minus(sp.Pow(s["beta1"], 1, evaluate=False)))))
        rules.append(("vhat", _divided(s["v"], _one_minus(sp.Pow(s["beta2"], 1, evaluate=False)))))
        denominator = sp.Add(sp.sqrt(s["vhat"], evaluate=False), s["eps"], evaluate=False)
        step = sp.Mul(s["lr"], s["mhat"], sp.Pow(denominator, -1, evaluate=False), evaluate=False)
        rules.append(("new", _sub(s["param"], step)))
        return rules

    def intro(self) -> tuple[Msg, ...]:
        beta, t = sp.Symbol("beta"), sp.Symbol("t")
        correction = sp.Add(1, -sp.Pow(beta, t, evaluate=False), evaluate=False)
        return (owned(self, "intro", correction=Math(correction), first=Math(sp.Eq(t, 1, evaluate=False)), lr=Given("lr")),)

    def words(self) -> Msg:
        settings = [
            owned(self, "setting_betas", first=Plain(self.betas[0]), second=Plain(self.betas[1])),
            setting_words(self, "eps", "g"),
        ]
        if self.weight_decay:
            settings.append(setting_words(self, "weight_decay"))
        return _named_with_settings(self, settings)

    def torch(self, parameters: list) -> Any:
        import torch

        return torch.optim.Adam(
            parameters,
            lr=float(self.lr),
            betas=(float(self.betas[0]), float(self.betas[1])),
            eps=float(self.eps),
            weight_decay=float(self.weight_decay),
        )


def _named_with_settings(optimizer: Optimizer, parts: list[Msg]) -> Msg:
    """'Adam (betas 0.9 and 0.999; eps 1e-08)': the name, then each setting's words."""
    return msg("optimizer_setting.named", name=owned(optimizer, "name"), settings=Series(tuple(parts), "semicolon"))


def setting_words(optimizer: Optimizer, key: str, form: str = "decimal") -> Msg:
    """'momentum 0.9': one setting's words (the optimizer's message ``setting_<key>``), its value as plain text."""
    return owned(optimizer, f"setting_{key}", value=Plain(getattr(optimizer, key), form))
