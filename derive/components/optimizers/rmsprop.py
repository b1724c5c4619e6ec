"""torch.optim.RMSprop: a running mean of the squared gradient, optionally centred, with momentum and weight decay."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Mapping

import sympy as sp

from ...text.message import Given, Msg, owned
from ..base import Ops, Setting
from ...expressions import divided, one_minus, subtract
from .base import EPS, LR, OPTIMIZERS, WEIGHT_DECAY, Hyper, Optimizer, State, named_with_settings, setting_words, torch_lerp


@OPTIMIZERS.add
@dataclass(frozen=True)
class RMSprop(Optimizer):
    """v = alpha v + (1 - alpha) g^2; the step is lr g / (sqrt(v) + eps), or through a momentum buffer."""

    name: ClassVar[str] = "rmsprop"
    torch_class = "RMSprop"
    torch_defaults = {"maximize": False}
    settings = (
        LR,
        Setting("alpha", Fraction(99, 100), "a number from 0 to 1", lambda x: 0 <= x <= 1),
        EPS,
        WEIGHT_DECAY,
        Setting("momentum", Fraction(0), "a number of at least 0", lambda x: x >= 0),
        Setting("centered", False, "true or false", kind="flag"),
    )
    hypers = (
        Hyper("alpha", "alpha", "alpha"),
        Hyper("eps", "eps", "epsilon"),
        Hyper("weight_decay", "weight_decay", "lambda"),
        Hyper("momentum", "momentum", "mu"),
    )
    states = (State("g", "g"), State("v", "v"), State("gavg", "g", "bar"), State("vc", "v", "tilde"), State("buf", "b"))
    messages: ClassVar[dict[str, str]] = {
        "name": "RMSprop",
        "intro": "RMSprop keeps a running mean v of the squared gradient, starting at 0 and updated with smoothing "
        "constant {alpha}, and divides each step by its square root plus {eps}, as torch.optim.RMSprop does. "
        "Learning rate {lr}.",
        "decay": "Weight decay adds {weight_decay} times the parameter to its gradient first.",
        "centered": "It is centred: it also keeps a running mean of the gradient, and divides by the square root of "
        "v minus that mean squared.",
        "momentum": "With momentum {momentum}, each step goes into a buffer b (starting at 0) that decays by the "
        "momentum, and the parameter moves by the learning rate times b.",
        "setting_alpha": "alpha {value}",
        "setting_eps": "eps {value}",
        "setting_momentum": "momentum {value}",
        "setting_weight_decay": "weight decay {value}",
        "setting_centered": "centred",
    }
    alpha: Fraction = Fraction(99, 100)
    eps: Fraction = Fraction(1, 10**8)
    weight_decay: Fraction = Fraction(0)
    momentum: Fraction = Fraction(0)
    centered: bool = False

    def step(self, old: Any, gradient: Any, memory: dict, t: int, ops: Ops, h: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        if not ops.exact:
            return self._float_step(old, gradient, memory, h)
        g = self.decayed(gradient, old, ops, h)
        alpha = h["alpha"]
        rest = ops.sub(ops.convert(1), alpha)
        v = ops.add(ops.mul(alpha, memory.get("v", ops.zero)), ops.mul(rest, ops.mul(g, g)))
        memory["v"] = v
        shown = {"g": g, "v": v}
        spread = v
        if self.centered:
            average = ops.add(ops.mul(alpha, memory.get("gavg", ops.zero)), ops.mul(rest, g))
            memory["gavg"] = average
            spread = ops.sub(v, ops.mul(average, average))
            shown.update(gavg=average, vc=spread)
        ratio = ops.div(g, ops.add(ops.sqrt(spread), h["eps"]))
        if h["momentum"]:
            ratio = ops.add(ops.mul(h["momentum"], memory.get("buf", ops.zero)), ratio)
            memory["buf"] = ratio
            shown["buf"] = ratio
        return ops.sub(old, ops.mul(h["lr"], ratio)), shown

    def _float_step(self, old: float, gradient: float, memory: dict, h: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        """torch.optim.RMSprop's float64 kernel, operation for operation (addcmul, lerp, addcdiv)."""
        alpha = h["alpha"]
        g = gradient + h["weight_decay"] * old if h["weight_decay"] else gradient
        v = memory.get("v", 0.0) * alpha + (1 - alpha) * g * g
        memory["v"] = v
        shown = {"g": g, "v": v}
        spread = v
        if self.centered:
            average = torch_lerp(memory.get("gavg", 0.0), g, 1 - alpha)
            memory["gavg"] = average
            spread = v + -1 * average * average
            shown.update(gavg=average, vc=spread)
        denominator = math.sqrt(spread) + h["eps"]
        if h["momentum"]:
            buffer = memory.get("buf", 0.0) * h["momentum"] + g / denominator
            memory["buf"] = buffer
            shown["buf"] = buffer
            return old + -h["lr"] * buffer, shown
        return old + -h["lr"] * g / denominator, shown

    def shown_states(self) -> tuple[State, ...]:
        wanted = {"g": bool(self.weight_decay), "v": True, "gavg": self.centered, "vc": self.centered,
                  "buf": bool(self.momentum)}
        return tuple(state for state in self.states if wanted[state.key])

    def first_step_rules(self, s: Mapping[str, sp.Expr]) -> list[tuple[str, sp.Expr]]:
        rules: list[tuple[str, sp.Expr]] = []
        g = self.decayed_rule(s, rules)
        rules.append(("v", sp.Mul(one_minus(s["alpha"]), sp.Pow(g, 2, evaluate=False), evaluate=False)))
        spread = s["v"]
        if self.centered:
            rules.append(("gavg", sp.Mul(one_minus(s["alpha"]), g, evaluate=False)))
            rules.append(("vc", subtract(s["v"], sp.Pow(s["gavg"], 2, evaluate=False))))
            spread = s["vc"]
        ratio = divided(g, sp.Add(sp.sqrt(spread, evaluate=False), s["eps"], evaluate=False))
        if self.momentum:
            rules.append(("buf", ratio))
            ratio = s["buf"]
        rules.append(("new", subtract(s["param"], sp.Mul(s["lr"], ratio, evaluate=False))))
        return rules

    def intro(self) -> tuple[Msg, ...]:
        sentences = [owned(self, "intro", alpha=Given("alpha"), eps=Given("eps"), lr=Given("lr"))]
        if self.weight_decay:
            sentences.append(owned(self, "decay", weight_decay=Given("weight_decay")))
        if self.centered:
            sentences.append(owned(self, "centered"))
        if self.momentum:
            sentences.append(owned(self, "momentum", momentum=Given("momentum")))
        return tuple(sentences)

    def words(self) -> Msg:
        settings = [setting_words(self, "alpha"), setting_words(self, "eps", "g")]
        if self.momentum:
            settings.append(setting_words(self, "momentum"))
        if self.centered:
            settings.append(owned(self, "setting_centered"))
        if self.weight_decay:
            settings.append(setting_words(self, "weight_decay"))
        return named_with_settings(self, settings)

    def torch(self, parameters: list) -> Any:
        import torch

        return torch.optim.RMSprop(
            parameters, lr=float(self.lr), alpha=float(self.alpha), eps=float(self.eps),
            weight_decay=float(self.weight_decay), momentum=float(self.momentum), centered=self.centered,
        )
