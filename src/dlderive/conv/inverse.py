"""Inverse problems: every value of one parameter (input, padding, kernel, stride, dilation) that gives an output size."""
from __future__ import annotations

import dataclasses

import sympy as sp

from ..errors import InternalError
from ..steps import Derivation, Step
from .chain import plug, realizer
from .formulas import CONV, D_OUT, K, MAX_SIZE, P, S, SOLVABLE, SYMBOLS, add, mul, over, span
from .results import SolveResult
from .validation import integer, require

def _holds(relation, symbol, value):
    return bool(relation.xreplace({symbol: sp.Integer(value)}))  # relation already evaluated (doit)


def _check_equivalent(lhs, rhs, symbol, points):
    """Own proof for a step between two conditions: they agree at each of ``points`` (both ends of
    the solution interval and of the domain, where a wrong bound would show)."""
    lhs_value, rhs_value = lhs.doit(), rhs.doit()
    for v in points:
        if _holds(lhs_value, symbol, v) != _holds(rhs_value, symbol, v):
            raise InternalError(f"step {lhs} <=> {rhs} fails at {symbol} = {v}")
    return f"interval algebra; equivalence checked at {symbol} = {', '.join(map(str, points))}"


def _known_values(unknown, output, kind, known):
    """The given parameters with defaults (padding 0, dilation 1, stride 1), each checked."""
    require(unknown in SOLVABLE, f"solve: one of {', '.join(SOLVABLE)} (got {unknown!r})")
    require(kind in ("conv", "maxpool", "avgpool"), f"kind: solve handles conv, maxpool, avgpool (got {kind!r})")
    require(known.get(unknown) is None, f"{unknown}: given and asked for at once")
    defaults = {n: v for n, v in (("padding", 0), ("dilation", 1), ("stride", 1)) if n != unknown}
    known = {**defaults, **{k: v for k, v in known.items() if v is not None}}
    for name, v in list(known.items()):
        require(name in SOLVABLE, f"{name}: not a parameter of the output-size formula")
        known[name] = v = integer(name, v)
        least = 0 if name == "padding" else 1
        require(v >= least, f"{name}: must be {'non-negative' if least == 0 else 'positive'} (got {v})")
    missing = [n for n in SOLVABLE if n != unknown and n not in known]
    require(not missing, f"{missing[0] if missing else ''}: needed to solve for {unknown}")
    require(1 <= integer("output", output) <= MAX_SIZE, f"output: must be a positive integer up to {MAX_SIZE} (got {output!r})")
    require(kind != "avgpool" or (known.get("dilation", 1) == 1 and unknown != "dilation"),
             "dilation: average pooling has no dilation")
    if kind != "conv" and "padding" in known and "kernel" in known:
        p, k = known["padding"], known["kernel"]
        require(p <= k // 2, f"padding: pooling padding {p} exceeds half the kernel (k//2 = {k // 2})")
    return known


def solve(unknown, output, kind="conv", **known) -> SolveResult:
    """Every integer ``unknown`` with ⌊(D + 2P − d(k − 1) − 1)/S⌋ + 1 = output, and the interval derivation.

    ``known`` holds the others of input, padding, kernel, stride, dilation (padding defaults to 0, dilation
    and stride to 1). ``kind`` is conv, maxpool or avgpool (floor mode; pooling also needs P ≤ ⌊k/2⌋).
    Steps are equivalences of conditions on the unknown; each is checked at the integers around both ends
    of the solution interval and of the domain (the ``proof`` field says where).
    """
    known = _known_values(unknown, output, kind, known)
    x, o = SYMBOLS[unknown], int(output)
    values = {SYMBOLS[n]: v for n, v in known.items()}
    e = realizer(values)(span(mul(2, P)))  # D + 2P − d(k − 1) − 1 with the knowns: linear in x unless x = S
    coeff, rest = e.coeff(x), e.xreplace({x: 0})
    if unknown != "stride" and rest != 0 and coeff != 0:  # shown as a·x + b, or b − a·x
        term = x if coeff == 1 else mul(coeff, x)
        e = add(term, rest) if coeff > 0 else add(rest, term)
    stride = values.get(S, S)
    floored = sp.And(sp.LessThan(o - 1, over(e, stride), evaluate=False),
                     sp.StrictLessThan(over(e, stride), o, evaluate=False), evaluate=False)
    interval = sp.And(sp.LessThan(stride * (o - 1), e, evaluate=False),
                      sp.LessThan(e, stride * o - 1, evaluate=False), evaluate=False)
    least = 0 if unknown == "padding" else 1
    domain = sp.Contains(x, sp.Naturals0 if least == 0 else sp.Naturals, evaluate=False)
    if kind != "conv":
        domain = sp.And(domain, sp.LessThan(values.get(P, P), sp.floor(values.get(K, K) / 2)), evaluate=False)
    lo, hi = _bounds(unknown, x, o, known, e)
    ends = [least, lo] + ([hi] if hi is not None else [lo + 3])
    points = sorted({v for end in ends for v in range(end - 3, end + 4) if v >= least})
    lo, hi = _clip(kind, unknown, known, max(lo, least), hi)
    empty = hi is not None and lo > hi
    solutions = sp.EmptySet if empty else sp.Range(lo, hi + 1 if hi is not None else sp.oo)
    if not empty and hi is not None and hi - lo < 50:
        solutions = sp.FiniteSet(*range(lo, hi + 1))
    steps = [Step(sp.Eq(sp.Integer(o), plug(CONV, values), evaluate=False), floored, "floor",
                  "⌊q⌋ = n ⇔ n ≤ q < n + 1"),
             Step(floored, interval, "algebra", "multiply by S > 0; integers: q < n ⇔ q ≤ n − 1"),
             Step(sp.And(interval, domain, evaluate=False),
                  sp.false if empty else sp.Contains(x, solutions, evaluate=False), "solve",
                  f"the {unknown} values the layer accepts")]
    proven = tuple(dataclasses.replace(st, proof=_check_equivalent(_as_condition(st.lhs, x, least),
                                                                   _as_condition(st.rhs, x, least), x, points))
                   for st in steps)
    reason = _no_solution_reason(unknown, kind, least, interval) if empty else ""
    return SolveResult(unknown, solutions, Derivation(name=f"solve_{unknown}", form="numeric",
                                                      title=f"{unknown} from output size {o}", steps=proven,
                                                      definitions={D_OUT: CONV}, result=Step(x, solutions, "solve")),
                       reason)


def _as_condition(expr, x, least):
    """A step side as a predicate on x (the domain x ≥ least is implied everywhere)."""
    return expr if expr is sp.false else sp.And(expr, sp.GreaterThan(x, least), evaluate=False)


def _bounds(unknown, x, o, known, e):
    """Integer interval [lo, hi] (hi None when unbounded) of x from S(o−1) ≤ e(x) ≤ So − 1."""
    e = e.doit()
    if unknown == "stride":
        span_value = int(e)
        if span_value < 0:
            return 1, 0
        if o == 1:
            return span_value + 1, None
        return -(-(span_value + 1) // o), span_value // (o - 1)
    s = known["stride"]
    a, b = s * (o - 1), s * o - 1
    coeff = int(sp.diff(e, x))  # e = coeff·x + rest, coeff = 1 (input), 2 (padding) or −d, −(k − 1)
    rest = int(e.xreplace({x: 0}))
    if coeff == 0:
        return (1, None) if a <= rest <= b else (1, 0)
    lo_q, hi_q = sorted(((a - rest) / sp.Integer(coeff), (b - rest) / sp.Integer(coeff)))
    return int(sp.ceiling(lo_q)), int(sp.floor(hi_q))


def _clip(kind, unknown, known, lo, hi):
    """Narrow [lo, hi] to the values PyTorch accepts for pooling (P ≤ ⌊k/2⌋); conv accepts all."""
    if kind == "conv":
        return lo, hi
    if unknown == "padding":
        half = known["kernel"] // 2
        return lo, half if hi is None else min(hi, half)
    if unknown == "kernel":
        return max(lo, 2 * known["padding"]), hi
    return (lo, hi) if known["padding"] <= known["kernel"] // 2 else (1, 0)


def _no_solution_reason(unknown, kind, least, condition):
    rule = "" if kind == "conv" else " with pooling padding <= k//2"
    return f"no integer {unknown} >= {least} satisfies {sp.sstr(condition, order='none')}{rule}"
