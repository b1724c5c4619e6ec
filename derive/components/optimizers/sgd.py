"""torch.optim.SGD: momentum and weight decay."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Mapping

import sympy as sp

from ...text.message import Given, Math, Msg, owned
from ..base import Ops, Setting

from ...expressions import subtract
from .base import OPTIMIZERS, LR, WEIGHT_DECAY, Hyper, Optimizer, State, named_with_settings, setting_words


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
        if h["momentum"]:
            if "buf" in memory:
                # torch.optim.SGD: buf = momentum * buf + (1 - dampening) * g, with dampening 0.
                direction = ops.add(ops.mul(h["momentum"], memory["buf"]), effective)
            memory["buf"] = direction  # the first step stores g itself, as torch does
        return ops.sub(old, ops.mul(h["lr"], direction)), {"g": effective, "buf": direction}

    def shown_states(self) -> tuple[State, ...]:
        wanted = {"g": bool(self.weight_decay), "buf": bool(self.momentum)}
        return tuple(state for state in self.states if wanted[state.key])

    def first_step_rules(self, s: Mapping[str, sp.Expr]) -> list[tuple[str, sp.Expr]]:
        rules: list[tuple[str, sp.Expr]] = []
        direction = self.decayed_rule(s, rules)
        if self.momentum:
            rules.append(("buf", direction))
            step = sp.Mul(s["lr"], s["buf"], evaluate=False)
        else:
            step = sp.Mul(s["lr"], direction, evaluate=False)
        rules.append(("new", subtract(s["param"], step)))
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
        return owned(self, "name") if not settings else named_with_settings(self, settings)

    def torch(self, parameters: list) -> Any:
        import torch

        return torch.optim.SGD(
            parameters, lr=float(self.lr), momentum=float(self.momentum), weight_decay=float(self.weight_decay)
        )
