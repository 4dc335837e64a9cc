"""Pieces of the written math that the builder reads: superscripts, primes, function names, d-variables,
floors, conditions."""
from __future__ import annotations

import re

import sympy as sp

from ..errors import DlderiveError
from .names import symbol
from .operations import _require_expr


_RECIPROCALS = {"sech": lambda a: 1 / sp.cosh(a), "csch": lambda a: 1 / sp.sinh(a), "coth": lambda a: sp.cosh(a) / sp.sinh(a),
                "tan": lambda a: sp.sin(a) / sp.cos(a)}
"""Functions read through the ones the evaluators know: sech(u) = 1/cosh(u)."""


class _Power:
    """The power written on a function name: tanh^2(x)."""

    def __init__(self, value):
        self.value = value


_TRANSPOSE = object()


def _sup_start(raw: str) -> int:
    """Where the superscript of a power's source begins (the last ^ at depth zero)."""
    depth, at = 0, -1
    for i, ch in enumerate(raw):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "^" and depth == 0:
            at = i
    return max(at, 0)


def rounded_floor(x):
    return _rounded(sp.floor, x)


def _rounded(kind, x):
    """⌊x⌋ or ⌈x⌉, computed now only for a rational x; anything else is evaluated later, within the time limit."""
    if isinstance(x, sp.Tuple):
        raise DlderiveError("the floor of a tuple")
    if x.is_Rational:
        return kind(x)
    return kind(x, evaluate=False)


def _relational(a, op: str, b):
    _require_expr(a, b)
    table = {"<": sp.StrictLessThan, ">": sp.StrictGreaterThan, "\\lt": sp.StrictLessThan,
             "\\gt": sp.StrictGreaterThan, "\\le": sp.LessThan, "\\leq": sp.LessThan, "\\leqslant": sp.LessThan,
             "\\ge": sp.GreaterThan, "\\geq": sp.GreaterThan, "\\geqslant": sp.GreaterThan, "\\neq": sp.Ne, "=": sp.Eq,
             "\\ne": sp.Ne}
    if op.strip() not in table:
        raise DlderiveError(f"the condition {op} is not read")
    return table[op.strip()](a, b, evaluate=False)


def _prime_order(primes: str) -> int:
    return primes.count("'") + primes.count("\\prime")


def _func_name(tok) -> str:
    text = re.sub(r"_(\{[0-9]{1,3}\}|\{e\}|[0-9e])$", "", str(tok))
    if "{" in text:
        return text[text.index("{") + 1:-1]
    return text[1:]


def _log_base(tok):
    m = re.search(r"_\{?([0-9]{1,3}|e)\}?$", str(tok))
    if not m:
        return None
    if m.group(1) != "e" and int(m.group(1)) < 2:
        raise DlderiveError(f"a logarithm to base {m.group(1)}")
    return sp.E if m.group(1) == "e" else sp.Integer(int(m.group(1)))


def _d_variable(den):
    """(z, order) for a denominator written dz, d z, \\mathrm{d} z or dz^2; (None, 0) otherwise."""
    d = symbol("d")
    order = 1
    if isinstance(den, sp.Pow) and den.exp.is_Integer and 1 < den.exp < 5:
        den, order = den.base, int(den.exp)
    if isinstance(den, sp.Symbol) and den.name.startswith("d") and len(den.name) > 1:
        rest = den.name[1:]
        return (symbol(rest) if rest[:1].isalpha() else None), order
    if isinstance(den, sp.Mul) and len(den.args) == 2 and d in den.args:
        (var,) = [a for a in den.args if a != d]
        if isinstance(var, sp.Pow) and var.exp.is_Integer and 1 < var.exp < 5:
            var, order = var.base, int(var.exp)
        return (var if isinstance(var, sp.Symbol) else None), order
    return None, 0
