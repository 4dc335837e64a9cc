"""Entries of a family written with a superscript index, as in y^{(i)} (the i-th example): y^{(i)} -> y^{(2)}."""
from __future__ import annotations

import re

import sympy as sp

_SUPERSCRIPT_INDEX = re.compile(r"(.+)\^\(([a-z])\)")


def superscript_entries(e: sp.Basic, index: dict) -> dict:
    """The names of ``e`` indexed by a superscript letter that ``index`` gives a value, mapped to that entry."""
    out = {}
    for s in e.free_symbols:
        m = _SUPERSCRIPT_INDEX.fullmatch(s.name)
        if m and m.group(2) in index:
            out[s] = sp.Symbol(f"{m.group(1)}^({index[m.group(2)]})", **s.assumptions0)
    return out
