"""The grammar of plain identifiers, and their LaTeX names under a notation preset.

Identifiers are the public interface: ``x_t``, ``h_prev`` (h_{t-1}), ``h_prev2`` (h_{t-2}),
``W_f``, ``U_f``, ``b_f``, ``b_hn`` (weights of gate f, of the GRU's hn), ``f_t``, ``z``.
Time-shifted names follow one scheme: ``<name>_t`` at t, ``<name>_prev`` at t-1,
``<name>_prev<k>`` at t-k.  This module is the one home of that grammar.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import DlderiveError

TIMED = re.compile(r"^(?P<base>[A-Za-z]+)_(?:(?P<t>t)|prev(?P<k>\d*))$")
"""A quantity at a time: ``h_t`` (t), ``h_prev`` (t-1), ``x_prev2`` (t-2)."""
_TIMED = TIMED  # the former name
WEIGHT = re.compile(r"^(?P<kind>[WUbP])_(?P<label>(?!(?:in|out)$)[A-Za-z]{1,3})$")
"""Weights of a gate have short labels: ``W_f`` is W^{f}, ``b_hn`` b^{hn}.  ``W_in``, ``H_out`` are
sizes (W_{in}) and ``P_total`` a padding (P_{total}), never weights."""
WEIGHT_ORDER = ("W", "U", "P", "b")
"""The kinds of weight in the order a pre-activation is written: W x + U h + p c + b."""
MATRIX_BASES = ("W", "U")
"""In a cell, ``W_*`` (n x m) and ``U_*`` (n x n) are matrices; every other weight is a vector."""
_GREEK = {"sigma", "alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "tau", "phi"}


def time_offset_name(base: str, k: int) -> str:
    """The identifier of variable ``base`` at time t-k."""
    return f"{base}_t" if k == 0 else f"{base}_prev" if k == 1 else f"{base}_prev{k}"


def timed(identifier: str) -> tuple[str, int] | None:
    """``'h_prev2'`` -> ``('h', 2)``; None for untimed identifiers such as ``'W_f'``."""
    m = TIMED.match(identifier)
    if not m:
        return None
    return m["base"], 0 if m["t"] else int(m["k"] or 1)


def is_weight(identifier: str) -> bool:
    """True for the matrices of a cell: ``W_*`` and ``U_*`` (untimed)."""
    return identifier.split("_", 1)[0] in MATRIX_BASES and timed(identifier) is None


@dataclass(frozen=True)
class Notation:
    """How identifiers, the Hadamard product and σ are written in LaTeX."""

    name: str
    description: str
    hadamard: str
    weight: dict = field(default_factory=dict)  # kind letter -> format with {label}
    renamed: dict = field(default_factory=dict)  # a quantity's letter -> the letter written (u_t as g_t)

    def symbol(self, identifier: str) -> str:
        if self.renamed:
            identifier = self._renamed(identifier)
        return self._symbol(identifier)

    def _renamed(self, identifier: str) -> str:
        """``u_t`` -> ``g_t``, ``W_u`` -> ``W_g``: the letters of the quantities as the preset writes them."""
        at, weight = TIMED.match(identifier), WEIGHT.match(identifier)
        if at and at["base"] in self.renamed:
            return self.renamed[at["base"]] + identifier[len(at["base"]):]
        if weight and weight["label"] in self.renamed:
            return f"{weight['kind']}_{self.renamed[weight['label']]}"
        return identifier

    def _symbol(self, identifier: str) -> str:
        if identifier.endswith("_hat") and len(identifier) > 4:  # x_hat: x̂
            return r"\hat{%s}" % self.symbol(identifier[:-4])
        at = TIMED.match(identifier)
        if at and at["base"].startswith("delta") and len(at["base"]) > 5:  # δ of a quantity: ∂L/∂h_t is δh_t
            rest = at["base"][5:]
            if rest.startswith("a") and len(rest) > 1:  # of the pre-activation of f_t: δa^f_t
                return r"\delta a^{%s}_{%s}" % (rest[1:], "t" if at["t"] else f"t-{at['k'] or 1}")
            return r"\delta " + self.symbol(f"{rest}_{identifier.split('_', 1)[1]}")
        if at:
            base = _latex_base(at["base"])
            if at["t"]:
                return f"{base}_{{t}}" if len(base) > 1 else f"{base}_t"
            k = at["k"] or "1"
            return f"{base}_{{t-{k}}}"
        weight = WEIGHT.match(identifier)
        if weight and weight["kind"] in self.weight:
            return self.weight[weight["kind"]].format(label=weight["label"])
        if identifier in _GREEK:
            return "\\" + identifier
        if "_" in identifier:
            base, sub = identifier.split("_", 1)
            return f"{_latex_base(base)}_{{{sub}}}"
        return _latex_base(identifier)


def _latex_base(base: str) -> str:
    if base in _GREEK:
        return "\\" + base
    return base if len(base) == 1 else f"\\mathrm{{{base}}}"


PRESETS: dict[str, Notation] = {
    n.name: n
    for n in (
        Notation(
            "sample", "W^{f} x_t + U^{f} h_{t-1} + b^{f}, Hadamard product as \\circ", "\\circ",
            {"W": "W^{{{label}}}", "U": "U^{{{label}}}", "b": "b^{{{label}}}", "P": "p^{{{label}}}"},
        ),
        Notation(
            "pytorch", "W_{if} x_t + W_{hf} h_{t-1} + b_{f}, candidate g_t, Hadamard product as \\odot", "\\odot",
            {"W": "W_{{i{label}}}", "U": "W_{{h{label}}}", "b": "b_{{{label}}}", "P": "p_{{{label}}}"},
            {"u": "g", "g": "u"},  # torch.nn.LSTM writes the candidate g (a cell's own g then reads u: still distinct)
        ),
        Notation(
            "textbook", "W_{xf} x_t + W_{hf} h_{t-1} + b_f, Hadamard product as \\odot", "\\odot",
            {"W": "W_{{x{label}}}", "U": "W_{{h{label}}}", "b": "b_{{{label}}}", "P": "w_{{c{label}}}"},
        ),
    )
}
DEFAULT = PRESETS["sample"]


def preset(name: str) -> Notation:
    try:
        return PRESETS[name]
    except KeyError:
        raise DlderiveError(f"unknown notation {name!r}; choose one of: {', '.join(PRESETS)}") from None
