"""Every input size for which a network with a symbolic input runs: each layer's output at least 1, and
each flattened size equal to the linear layer that follows."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from .. import conv
from ..errors import InternalError
from ..steps import Derivation, Step
from .table import Table

@dataclass(frozen=True)
class ValidInputs:
    """Every input size (per symbol) for which the network runs: boxes of per-symbol intervals."""

    boxes: tuple[dict, ...]  # each {symbol name: (lo, hi or None)}
    derivation: Derivation

    @property
    def empty(self):
        return not self.boxes


class _ExactPrinter(PythonCodePrinter):
    """Rationals as fractions.Fraction, so that floor and ceiling stay exact."""

    def _print_Rational(self, expr):
        return f"Fraction({expr.p}, {expr.q})"

    def _print_Half(self, expr):
        return "Fraction(1, 2)"


def _fast(expr, sym):
    """``expr`` as an exact Python function of ``sym`` (Fraction arithmetic) for bisection."""
    f = sp.lambdify(sym, expr, modules=[{"floor": math.floor, "ceiling": math.ceil, "Fraction": Fraction}, "math"],
                    printer=_ExactPrinter({"fully_qualified_modules": False, "inline": True,
                                           "allow_unknown_functions": True, "user_functions": {}}))
    return lambda x: f(Fraction(x))


def _first_true(predicate, lo=1, hi=conv.MAX_SIZE):
    """Smallest x in [lo, hi] with predicate(x), for a predicate that stays true once true; None if none."""
    if not predicate(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if predicate(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def valid_inputs(table: Table) -> ValidInputs:
    """All input sizes for which every layer's output is ≥ 1 and every flattened size matches its linear layer.

    Every size is a non-decreasing function of each input size, so each condition "output ≥ 1" holds from
    a least value on (found by bisection), and "flattened size = F" holds on a finite interval per factor.
    """
    symbols = table.symbols
    if not symbols:
        return ValidInputs(({},), Derivation("valid_inputs", "numeric", "valid inputs", ()))
    steps = []
    lows = {s: 1 for s in symbols}
    seen = set()
    for index, key, cond in table.conditions:
        if cond in seen:  # the same condition for H and W of a square input
            continue
        seen.add(cond)
        if cond is sp.false:
            return _none(steps, f"layer {index}: {key} can never hold")
        if isinstance(cond, sp.Eq) or cond is sp.true:
            continue
        (sym,) = cond.free_symbols
        least = _first_true(_fast(cond, sym))
        if least is None:
            return _none(steps, f"layer {index}: {key} fails for every {sym} up to {conv.MAX_SIZE}")
        lows[sym] = max(lows[sym], least)
        steps.append(_interval_step(cond, sym, least, index, key))
    equalities = [(i, k, c) for i, k, c in table.conditions if isinstance(c, sp.Eq)]
    boxes = [{s: (lows[s], None) for s in symbols}]
    for index, key, eq in equalities:
        boxes = [b for box in boxes for b in _match_flatten(table, index, eq, box)]
        for box in boxes:  # own check: the equation holds at every corner of every box
            for corner in itertools.product(*[(lo, hi or lo) for lo, hi in box.values()]):
                if not bool(eq.xreplace({s: sp.Integer(v) for s, v in zip(box, corner)})):
                    raise InternalError(f"layer {index} flatten match fails at {corner}")
        steps.append(Step(eq, sp.Or(*[_box_condition(b) for b in boxes]) if boxes else sp.false, "solve",
                          f"layer {index}: flattened size = in_features",
                          "factors non-decreasing in their symbols: preimages by bisection; checked at every corner"))
    named = tuple({str(s): v for s, v in b.items()} for b in boxes)
    return ValidInputs(named, Derivation("valid_inputs", "numeric", "valid input sizes", tuple(steps)))


def _none(steps, reason):
    return ValidInputs((), Derivation("valid_inputs", "numeric", reason, tuple(steps)))


def _interval_step(cond, sym, least, index, key):
    """cond ⇔ sym ≥ least, checked at least − 1 and least (cond is monotone in sym)."""
    below = least > 1 and bool(cond.xreplace({sym: sp.Integer(least - 1)}))
    if below or not bool(cond.xreplace({sym: sp.Integer(least)})):
        raise InternalError(f"layer {index} condition is not monotone in {sym}")
    return Step(cond, sp.GreaterThan(sym, least), "solve", f"layer {index}: {key}",
                f"non-decreasing in {sym}; false at {least - 1}, true at {least}")


def _box_condition(box):
    parts = []
    for s, (lo, hi) in box.items():
        parts.append(sp.GreaterThan(s, lo) if hi is None else sp.And(sp.GreaterThan(s, lo), sp.LessThan(s, hi)))
    return sp.And(*parts)


def _match_flatten(table, index, eq, box):
    """Sub-boxes of ``box`` on which the flattened size ``eq.lhs`` equals ``eq.rhs``."""
    flat_index = max(r.index for r in table.rows if r.index < index and r.type == "flatten")
    before = table.rows[flat_index - 1].shape if flat_index > 0 else table.input
    channels, factors = before[0], before[1:]
    target = int(eq.rhs)
    if target % channels:
        return []
    target //= channels
    numeric = math.prod(f for f in factors if isinstance(f, int))
    symbolic = [f for f in factors if not isinstance(f, int)]
    if target % numeric:
        return []
    target //= numeric
    results = []
    fast = [_fast(factor, next(iter(factor.free_symbols))) for factor in symbolic]
    for values in _factorizations(target, len(symbolic)):
        sub = dict(box)
        ok = True
        for factor, f, v in zip(symbolic, fast, values):
            (sym,) = factor.free_symbols
            lo, hi = sub[sym]
            first = _first_true(lambda x: f(x) >= v, lo, hi or conv.MAX_SIZE)
            after = _first_true(lambda x: f(x) >= v + 1, lo, hi or conv.MAX_SIZE)
            last = (after - 1) if after is not None else (hi or conv.MAX_SIZE)
            if first is None or int(factor.xreplace({sym: sp.Integer(first)})) != v or first > last:
                ok = False
                break
            sub[sym] = (first, last)
        if ok:  # a symbol shared by several factors was narrowed factor by factor
            results.append(sub)
    return results


def _factorizations(n, parts):
    """Ordered tuples of ``parts`` positive integers whose product is n."""
    if parts == 0:
        return [()] if n == 1 else []
    if parts == 1:
        return [(n,)]
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    divisors = sorted(set(small + [n // d for d in small]))
    return [(d, *rest) for d in divisors for rest in _factorizations(n // d, parts - 1)]
