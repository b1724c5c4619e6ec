"""torch.optim.Adam, with its bias corrections."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Mapping

import sympy as sp

from ...text.message import Given, Math, Msg, Plain, owned
from ..base import Ops, Setting

from ...expressions import divided, one_minus, subtract
from .base import OPTIMIZERS, torch_lerp, EPS, LR, WEIGHT_DECAY, Hyper, Optimizer, State, named_with_settings, setting_words


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
        if not ops.exact:
            return self._float_step(old, gradient, memory, t, h)
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

    @staticmethod
    def _float_step(old: float, gradient: float, memory: dict, t: int, h: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        """torch.optim.Adam's float64 kernel, operation for operation (lerp, addcmul, addcdiv)."""
        beta1, beta2 = h["betas"]
        g = gradient + h["weight_decay"] * old if h["weight_decay"] else gradient
        m = torch_lerp(memory.get("m", 0.0), g, 1 - beta1)
        v = memory.get("v", 0.0) * beta2 + (1 - beta2) * g * g
        memory["m"], memory["v"] = m, v
        correction1, correction2 = 1 - beta1**t, 1 - beta2**t
        denominator = math.sqrt(v) / correction2**0.5 + h["eps"]
        new = old + -(h["lr"] / correction1) * m / denominator
        return new, {"g": g, "m": m, "v": v, "mhat": m / correction1, "vhat": v / correction2}

    def shown_states(self) -> tuple[State, ...]:
        return tuple(state for state in self.states if state.key != "g" or self.weight_decay)

    def first_step_rules(self, s: Mapping[str, sp.Expr]) -> list[tuple[str, sp.Expr]]:
        rules: list[tuple[str, sp.Expr]] = []
        direction = self.decayed_rule(s, rules)
        rules.append(("m", sp.Mul(one_minus(s["beta1"]), direction, evaluate=False)))
        rules.append(("v", sp.Mul(one_minus(s["beta2"]), sp.Pow(direction, 2, evaluate=False), evaluate=False)))
        rules.append(("mhat", divided(s["m"], one_minus(sp.Pow(s["beta1"], 1, evaluate=False)))))
        rules.append(("vhat", divided(s["v"], one_minus(sp.Pow(s["beta2"], 1, evaluate=False)))))
        denominator = sp.Add(sp.sqrt(s["vhat"], evaluate=False), s["eps"], evaluate=False)
        step = sp.Mul(s["lr"], s["mhat"], sp.Pow(denominator, -1, evaluate=False), evaluate=False)
        rules.append(("new", subtract(s["param"], step)))
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
        return named_with_settings(self, settings)

    def torch(self, parameters: list) -> Any:
        import torch

        return torch.optim.Adam(
            parameters,
            lr=float(self.lr),
            betas=(float(self.betas[0]), float(self.betas[1])),
            eps=float(self.eps),
            weight_decay=float(self.weight_decay),
        )
