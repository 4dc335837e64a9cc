"""Written names -> the engine's plain identifiers (``h_{t-1}`` -> ``h_prev``, ``W^f`` -> ``W_f``)."""
from __future__ import annotations

import re

import sympy as sp

from ..notation import time_offset_name

_NAME = re.compile(r"^(?P<base>[A-Za-z]+)(?:_(?:\{(?P<braced>[^{}]*)\}|(?P<single>[A-Za-z0-9])))?$")
_TIME = re.compile(r"^t(?:(?P<sign>[-+])(?P<k>\d{1,3}))?$")
WEIGHT_BASES = frozenset("WUbVp")
LABEL_ALIASES = {"lstm": {"c": "u", "g": "u"}}
"""Per model: weight labels that other texts use for the same gate (the sample's W^c is W^u)."""


def identifier(written: str, model: str | None = None) -> str:
    """The plain identifier of a written name with its subscript, e.g. ``D_{in}`` -> ``D_in``."""
    m = _NAME.match(written)
    if not m:
        return _clean(written)
    base = m["base"]
    sub = m["braced"] if m["braced"] is not None else m["single"]
    if sub is None:
        return base
    sub = re.sub(r"\s+", "", sub)
    t = _TIME.match(sub)
    if t:
        k = int(t["k"] or 0)
        if t["sign"] == "+" and k:
            return f"{base}_next{k}" if k > 1 else f"{base}_next"
        return time_offset_name(base, k)
    if base in WEIGHT_BASES:
        return weight(base, _clean(sub), model)
    return f"{base}_{_clean(sub)}"


def weight(base: str, label: str, model: str | None = None) -> str:
    """The identifier of weight ``base`` of gate ``label`` (``W``, ``c`` -> ``W_u`` under lstm)."""
    label = LABEL_ALIASES.get(model or "", {}).get(label, label)
    return f"{'P' if base == 'p' else base}_{label}"  # p^{f}: the peephole weight P_f


def text_identifier(text: str) -> str:
    """The identifier of a quantity named in words: ``Trainable parameters`` stays as written."""
    return " ".join(text.split())


def _clean(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_ ]", "", text) or "_"


def symbol(name: str) -> sp.Symbol:
    """The real symbol of an identifier, made exactly as the cells make theirs."""
    return sp.Symbol(name, real=True)
