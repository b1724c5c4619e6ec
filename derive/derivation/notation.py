"""Names: quantity IDs (ASCII, usable as TOML keys) and display names, Mazur-style or layer-indexed.

One ``Notation`` object answers both for every symbol of a graph; the printer and the figure ask it.
The IDs themselves come from ids.py, which needs no graph.
A display name is data (``Name``), not LaTeX: the printer decides how it is typeset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import sympy as sp

from ..components import Optimizer
from .graph import Graph, Parameter, Unit
from .ids import Ids


@dataclass(frozen=True)
class Name:
    """A symbol's written form: base (a letter, a Greek letter's name, or a word), superscript, then subscript.

    ``style`` is ``plain``, ``word`` (a multi-letter name in italics, like net), ``bold`` or
    ``function`` (an upright function name); ``accent`` is ``hat``, ``bar``, ``tilde`` or empty.
    """

    base: str
    sub: Union[str, "Name", None] = None
    sup: str | None = None
    style: str = "plain"
    accent: str = ""


@dataclass(frozen=True)
class Marked:
    """A name with a mark after it: ``plus`` (after the update), ``transpose``, or ``sample`` (index)."""

    inner: Union[Name, "Marked"]
    mark: str
    index: int | str | None = None


Written = Union[Name, Marked]


class Notation:
    """IDs and display names of every symbol of a graph under one naming scheme."""

    def __init__(self, graph: Graph, optimizer: Optimizer, scheme: str | None = None) -> None:
        widths = (len(graph.inputs),) + tuple(len(layer) for layer in graph.layers)
        shared = [p.layer for p in graph.parameters if p.slot.kind == "bias" and p.slot.row is None]
        self.id_of = Ids(widths, shared, scheme)
        self.scheme = self.id_of.scheme
        self.graph = graph
        self.optimizer = optimizer
        self.mazur = self.id_of.mazur
        self._prefixes = self.id_of.prefixes
        wide = max(widths) >= 10
        self._separator = "," if wide else ""
        self.ids: dict[sp.Symbol, str] = {}
        self.names: dict[sp.Basic, Written] = {}
        self._name_everything()
        self._name_display_symbols(len(graph.layers))

    # -- units

    def label(self, unit: Unit) -> str:
        """The unit's short label: h1, o2 (Mazur) or 1_2 (layer, unit)."""
        return self.id_of.label(unit.layer, unit.index)

    def unit_name(self, unit: Unit) -> Written:
        """How a heading names a neuron: h_1 (Mazur) or its output a^(l)_j."""
        if self.mazur:
            return Name(self._prefixes[unit.layer], str(unit.index + 1))
        return self.names[unit.a]

    def column_name(self, column: int, index: int, columns: int) -> Written:
        """A node of the network figure: i_1, h_1, o_1 (Mazur) or x_1, a^(l)_j."""
        if not self.mazur:
            symbol = self.graph.inputs[index] if column == 0 else self.graph.layers[column - 1][index].a
            return self.names[symbol]
        letter = "i" if column == 0 else ("o" if column == columns - 1 else "h")
        return Name(letter, str(index + 1))

    # -- IDs of derived quantities (see ids.py)

    def delta_id(self, unit: Unit) -> str:
        """delta_o1, or delta2_1."""
        return self.id_of.delta(unit.layer, unit.index)

    def dE_dout_id(self, unit: Unit) -> str:
        """dE_dout_h1, or dE_da1_2."""
        return self.id_of.dE_dout(unit.layer, unit.index)

    def path_id(self, unit: Unit, consumer: Unit) -> str:
        """The part of dE/dout of a hidden unit that flows through one neuron it feeds: dE_o1_dout_h1, or dE_da1_2_via_2_1."""
        return self.id_of.path(unit.layer, unit.index, consumer.index)

    def dout_dnet_id(self, unit: Unit) -> str:
        """dout_dnet_o1, or da_dz2_1."""
        return self.id_of.dout_dnet(unit.layer, unit.index)

    def local_id(self, unit: Unit, symbol: sp.Symbol) -> str:
        """d(net of unit)/d(symbol): dnet_o1_dw5, dnet_o1_dout_h1, dz2_1_da1_1."""
        return self.id_of.local(unit.layer, unit.index, self.ids[symbol])

    def gradient_id(self, parameter: Parameter) -> str:
        """grad_w5."""
        return Ids.gradient(self.ids[parameter.symbol])

    def updated_id(self, parameter: Parameter) -> str:
        """new_w5."""
        return Ids.updated(self.ids[parameter.symbol])

    def state_id(self, key: str, parameter: Parameter) -> str:
        """m_w5, vhat_w5, buf_w5: an optimizer's intermediate value for one parameter."""
        return Ids.state(key, self.ids[parameter.symbol])

    def softmax_id(self, j: int) -> str:
        """p_o1, or p1."""
        return self.id_of.softmax(j)

    # -- the tables

    def _name_everything(self) -> None:
        graph, ids, names, id_of = self.graph, self.ids, self.names, self.id_of
        for k, x in enumerate(graph.inputs):
            ids[x], names[x] = id_of.input(k), Name("i" if self.mazur else "x", str(k + 1))
        for j, y in enumerate(graph.targets):
            term = graph.loss_terms[j]
            ids[y], ids[term] = id_of.target(j), id_of.loss_term(j)
            if self.mazur:
                names[y], names[term] = Name("target", f"o{j + 1}", style="word"), Name("E", f"o{j + 1}")
            else:
                names[y], names[term] = Name("y", str(j + 1)), Name("E", str(j + 1))
        ids[graph.loss_total] = "E"
        names[graph.loss_total] = Name("E", Name("total", style="word")) if self.mazur else Name("E")
        ids[graph.learning_rate], names[graph.learning_rate] = "lr", Name("eta")
        for layer in graph.layers:
            for unit in layer:
                label = self.label(unit)
                l, j = str(unit.layer + 1), str(unit.index + 1)
                ids[unit.z], ids[unit.a] = id_of.net(unit.layer, unit.index), id_of.out(unit.layer, unit.index)
                ids[unit.delta] = self.delta_id(unit)
                if self.mazur:
                    names[unit.z], names[unit.a] = Name("net", label, style="word"), Name("out", label, style="word")
                    names[unit.delta] = Name("delta", label)
                else:
                    names[unit.z], names[unit.a] = Name("z", j, f"({l})"), Name("a", j, f"({l})")
                    names[unit.delta] = Name("delta", j, f"({l})")
        self._name_parameters()
        for s, share in enumerate(graph.sample_losses):
            names[share] = Marked(names[graph.loss_total], "sample", s + 1)
        for j, p in enumerate(graph.softmax):
            ids[p], names[p] = self.softmax_id(j), Name("p", str(j + 1))
        for parameter in graph.parameters:
            names[graph.updated[parameter.symbol]] = Marked(names[parameter.symbol], "plus")
            ids[graph.updated[parameter.symbol]] = self.updated_id(parameter)
            for state in self.optimizer.shown_states():
                symbol = graph.states[(state.key, parameter.symbol)]
                ids[symbol] = self.state_id(state.key, parameter)
                names[symbol] = Name(state.letter, names[parameter.symbol], accent=state.accent)
        for hyper in self.optimizer.hypers:
            symbol = graph.hypers[hyper.id]
            ids[symbol], names[symbol] = hyper.id, Name(hyper.letter, hyper.index or None)

    def _name_parameters(self) -> None:
        for parameter in self.graph.parameters:
            slot, symbol = parameter.slot, parameter.symbol
            key = self.ids[symbol] = self.id_of.parameter(slot)
            l = f"({slot.layer + 1})"
            if self.mazur:  # w5, b1 and b_h1 are written as they are named
                self.names[symbol] = Name(key[0], key[1:].removeprefix("_"))
            elif slot.kind == "weight":
                self.names[symbol] = Name("w", f"{slot.row + 1}{self._separator}{slot.column + 1}", l)
            elif slot.row is None:
                self.names[symbol] = Name("b", None, l)
            else:
                self.names[symbol] = Name("b", str(slot.row + 1), l)

    def matrix_display(self, key: str, written: Written) -> sp.Symbol:
        """A display symbol named on demand (an optimizer's state of a whole weight matrix)."""
        symbol = sp.Symbol(f"display_{key}", real=True)
        self.names.setdefault(symbol, written)
        return symbol

    def display(self, key: str) -> sp.Symbol:
        """A symbol that only appears in formulas, never with a value: the generic net input, p_k, W^(l)."""
        symbol = sp.Symbol(f"display_{key}", real=True)
        if symbol not in self.names:
            raise KeyError(f"no display symbol {key!r}")
        return symbol

    def _name_display_symbols(self, count: int) -> None:
        output = (lambda index: Name("out", index, style="word")) if self.mazur else (lambda index: Name("a", index, "(L)"))
        table: dict[str, Written] = {
            "activation_input": Name("net", style="word") if self.mazur else Name("z"),
            "p_k": Name("p", "k"), "p_j": Name("p", "j"), "y_k": Name("y", "k"), "y_j": Name("y", "j"),
            "a_j": output("j"), "a_k": output("k"), "a_m": output("m"), "E_one": Name("E"), "L": Name("L"),
            "X": Name("X"), "A": Name("A"), "ones": Name("1", style="bold"),
        }
        table.update(self._rule_names())
        table["E_s"] = Marked(table["E_total"], "sample", "s")  # sample s's share, in a sum over the batch
        last = f"({count})"
        table.update({"A_js": Name("A", "js", last), "Y": Name("Y"), "Y_js": Name("Y", "js"), "Y_ks": Name("Y", "ks"), "P_js": Name("P", "js"),
                      "P": Name("P"), "eta": Name("eta")})
        for s in range(len(self.graph.sample_losses)):
            table[f"L{s}"] = Marked(Name("L"), "sample", s + 1)
        for layer in [str(l) for l in range(1, count + 1)] + ["L", "l", "l+1", "l-1"]:
            for letter in ("W", "A", "Z", "b"):
                table[f"{letter}{layer}"] = Name(letter, None, f"({layer})")
            table[f"delta{layer}"] = Name("delta", None, f"({layer})")
        for key, name in table.items():
            self.names[sp.Symbol(f"display_{key}", real=True)] = name

    def _rule_names(self) -> dict[str, Written]:
        """The generic names of the backward pass's rules: neuron j, the i before it, the k after it."""
        total = Name("E", Name("total", style="word")) if self.mazur else Name("E")
        if self.mazur:
            net, out = (lambda i: Name("net", i, style="word")), (lambda i: Name("out", i, style="word"))
            return {"E_total": total, "net_j": net("j"), "out_j": out("j"), "out_i": out("i"), "delta_j": Name("delta", "j"),
                    "delta_k": Name("delta", "k"), "w_ji": Name("w", "ji"), "w_kj": Name("w", "kj"), "b_j": Name("b", "j"),
                    "K": Name("K"), "I": Name("I"), "p": Name("p")}
        return {"E_total": total, "net_j": Name("z", "j", "(l)"), "out_j": Name("a", "j", "(l)"),
                "out_i": Name("a", "i", "(l-1)"), "delta_j": Name("delta", "j", "(l)"), "delta_k": Name("delta", "k", "(l+1)"),
                "w_ji": Name("w", "ji", "(l)"), "w_kj": Name("w", "kj", "(l+1)"), "b_j": Name("b", "j", "(l)"), "K": Name("K"),
                "I": Name("I"), "p": Name("p")}

    def parameter_ids(self) -> dict[str, Parameter]:
        """Every parameter by its ID, in the graph's order."""
        return {self.ids[p.symbol]: p for p in self.graph.parameters}
