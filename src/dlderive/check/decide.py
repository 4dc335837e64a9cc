"""Verdicts for one equality (proof, then exact points) and for an implication (solution sets compared)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy as sp

from ..proof import reduces_to_zero
from .errors import OutOfBudget, Undefined, Unverifiable
from .evaluate import Value, _as_mpf, _counterexample, _exact, _points, _show_set, compile_expr, evaluate, same, show
from .limits import INTEGER_RANGE, PROOF_BUDGET, PROOF_NODES, SIMPLIFY_NODES
from .scope import KINKS, _size, substitute
from .timing import budget

@dataclass(frozen=True)
class Outcome:
    verdict: str
    reason: str
    counterexample: dict | None = None


def _proof(diff: sp.Basic, defs: dict | None = None) -> str | None:
    """The targeted rewrite that takes ``diff`` to zero, or None (with ``defs``: only the exact match)."""
    if diff == 0:
        return "exact"
    if defs or _size(diff, PROOF_NODES) > PROOF_NODES:
        return None
    return reduces_to_zero(diff, small=lambda e: _size(e, SIMPLIFY_NODES) <= SIMPLIFY_NODES)


def _decide_matrices(lhs, rhs, seed: int, defs: dict) -> Outcome:
    """Matrices are equal if their shapes are and every entry is."""
    lhs, rhs = (defs.get(x, x) if isinstance(x, sp.Symbol) else x for x in (lhs, rhs))
    shape = lambda m: "x".join(map(str, m.shape)) if isinstance(m, sp.MatrixBase) else "scalar"  # noqa: E731
    if not (isinstance(lhs, sp.MatrixBase) and isinstance(rhs, sp.MatrixBase)) or lhs.shape != rhs.shape:
        return Outcome("invalid", f"the sides have different shapes: {shape(lhs)} and {shape(rhs)}",
                       {"values": {}, "lhs": f"{shape(lhs)} matrix", "rhs": f"{shape(rhs)} matrix"})
    reasons = []
    for i in range(lhs.rows):
        for j in range(lhs.cols):
            out = decide_equal(lhs[i, j], rhs[i, j], seed + i * lhs.cols + j, defs)
            if out.verdict != "valid":
                return Outcome(out.verdict, f"entry ({i + 1}, {j + 1}): {out.reason}", out.counterexample)
            reasons.append(out.reason)
    return Outcome("valid", "every entry: " + "; ".join(dict.fromkeys(reasons)))


class _Env(dict):
    """Values at a point: the leaves given, each defined name computed once from its definition."""

    def __init__(self, values: dict, compiled: dict):
        super().__init__(values)
        self.compiled = compiled

    def __missing__(self, key):
        if key not in self.compiled:
            raise KeyError(key)
        value = self[key] = self.compiled[key](self)
        return value


def decide_equal(lhs: sp.Basic, rhs: sp.Basic, seed: int = 0, defs: dict | None = None,
                 prove: bool = True) -> Outcome:
    """Equal for all values of the free symbols? Proof first, random exact points otherwise.

    ``defs`` (name -> expression) gives the values of names left in the expressions: they are not leaves."""
    defs = defs or {}
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        return _decide_matrices(lhs, rhs, seed, defs)
    defs = {k: v for k, v in defs.items() if not isinstance(v, sp.MatrixBase)}
    everything = [lhs, rhs, *defs.values()]
    symbols = sorted(set().union(*(e.free_symbols for e in everything)) - set(defs), key=lambda s: s.name)
    f, g = compile_expr(lhs), compile_expr(rhs)
    compiled = {name: compile_expr(e) for name, e in defs.items()}
    integer = any(e.has(sp.floor, sp.ceiling) for e in everything)
    exact = not any(isinstance(x, sp.Function) and not isinstance(x, (sp.floor, sp.ceiling, sp.Abs))
                    or x in (sp.E, sp.pi) for x in sp.preorder_traversal(sp.Add(*everything, evaluate=False)))
    wanted = 20 if exact else 8
    agreed, tried = 0, 0
    kinks = any(e.has(sp.Piecewise, *KINKS) for e in everything)
    points = _points(symbols, seed, integer, both_signs=kinks)

    def screen(n: int):
        nonlocal agreed, tried
        while agreed < n and tried < 6 * wanted:
            point = next(points)
            env = _Env(point, compiled)
            tried += 1
            try:
                lv, rv = evaluate(f, env), evaluate(g, env)
            except Undefined:
                continue
            if not same(lv, rv):
                if symbols:
                    point, lv, rv = _clear_point(f, g, compiled, symbols, seed, point, lv, rv)
                return Outcome("invalid", "the two sides differ" if symbols else
                               f"the two sides differ: {show(lv)} ≠ {show(rv)}", _counterexample(point, lv, rv))
            if _beyond_digits(lv, rv):  # at 50 digits, x and x + 1 agree once x is over 10^35
                if not symbols:
                    raise Unverifiable(f"the values (about {show(lv)}) are too large to compare at 50 digits")
                continue
            agreed += 1
            if not symbols:
                break
        return None

    difference = sp.Add(lhs, -rhs)
    if not symbols and difference.is_Rational and difference != 0:  # exact, however large the sides are
        return Outcome("invalid", f"the two sides differ by {show(Fraction(int(difference.p), int(difference.q)))}",
                       {"values": {}, "lhs": str(lhs)[:60], "rhs": str(rhs)[:60]})
    bad = screen(3)
    if bad:
        return bad
    if not symbols and agreed:
        value = evaluate(f, _Env({}, compiled))
        if isinstance(value, Fraction):  # exact: agreement is equality
            return Outcome("valid", "arithmetic: both sides are " + show(value))
    if not prove:  # only a counterexample is sought (a valid verdict would not be given anyway)
        bad = screen(wanted)
        if bad:
            return bad
        return Outcome("valid", f"no counterexample at {agreed} random points")
    method, expanded = None, (lhs, rhs)
    try:
        with budget(PROOF_BUDGET):
            method = _proof(sp.Add(lhs, -rhs), defs)
            if not method and defs:
                expanded = tuple(substitute(e, defs, PROOF_NODES) for e in (lhs, rhs))
                if None not in expanded:
                    method = _proof(sp.Add(expanded[0], -expanded[1]))
    except OutOfBudget:
        pass
    if method:
        return Outcome("valid", f"proven symbolically ({method})")
    try:
        with budget(PROOF_BUDGET):
            exact_atoms = not exact and None not in expanded and _equal_with_free_atoms(*expanded, seed)
    except OutOfBudget:
        exact_atoms = False
    if exact_atoms:
        return Outcome("valid", f"no symbolic proof within {PROOF_BUDGET:g} s; with σ(·), tanh(·), e^(·) taken "
                       f"as independent unknowns, the two sides agree in exact rational arithmetic at 20 "
                       f"random points")
    if not symbols:  # 1 - e^(-200) and 1 agree to 50 digits: numbers that agree there are not thereby equal
        raise Unverifiable("the two sides agree to 50 digits, but no exact proof was found")
    constant = None if exact else _transcendental_constant(sp.Add(*expanded) if None not in expanded
                                                           else sp.Add(lhs, rhs))
    if constant is not None:  # x - e^(-200) and x agree to 50 digits at every point, too
        raise Unverifiable(f"the two sides agree to 50 digits at every point tried, but they hold the constant "
                           f"{constant}, whose part below 50 digits could decide; no exact proof was found")
    bad = screen(wanted)
    if bad:
        return bad
    if agreed >= wanted:
        arithmetic = "exact rational arithmetic" if exact else "50-digit arithmetic"
        where = "integer points (floor and ceil take integer sizes)" if integer else "points"
        return Outcome("valid", f"no symbolic proof found; equal at {agreed} random {where} ({arithmetic})")
    raise Unverifiable("no symbolic proof found and too few points where both sides are defined")


def _beyond_digits(lv, rv) -> bool:
    """Two 50-digit values that agree only because they are too large for their last units to count."""
    if isinstance(lv, Fraction) and isinstance(rv, Fraction):
        return False
    with mpmath.workdps(50):
        return max(abs(_as_mpf(lv)), abs(_as_mpf(rv))) > mpmath.mpf(10) ** 30


def _gap(lv, rv) -> float:
    a, b = float(_as_mpf(lv)), float(_as_mpf(rv))
    return abs(a - b) / (1 + abs(a) + abs(b))


def _clear_point(f, g, compiled, symbols, seed, point, lv, rv):
    """A point where the two sides clearly differ (small values, not where a sigmoid saturates), shown
    with different digits; the first point found if none is clearer."""
    rng = random.Random(seed + 1)
    best = (point, lv, rv)
    best_gap = _gap(lv, rv) if show(lv) != show(rv) else -1.0
    for _ in range(30):
        trial = {x: Fraction(rng.choice((-2, -1, 1, 2, 3)), rng.choice((1, 2, 4))) for x in symbols}
        try:
            a, b = evaluate(f, _Env(trial, compiled)), evaluate(g, _Env(trial, compiled))
        except Undefined:
            continue
        if show(a) == show(b):
            continue
        gap = _gap(a, b)
        if gap > best_gap:
            best, best_gap = (trial, a, b), gap
        if best_gap > 0.05:
            break
    return best


def _transcendental(x) -> bool:
    """σ(·), tanh(·), e^(·), a root: a node exact rational arithmetic cannot compute (floor, ceil, |·| it can)."""
    return (isinstance(x, sp.Function) and not isinstance(x, (sp.floor, sp.ceiling, sp.Abs))) or (
        isinstance(x, sp.Pow) and not x.exp.is_Integer)


def _transcendental_constant(expr: sp.Basic):
    """A numeric constant in expr that is not rational (e^(-200), tanh(100), σ(3)), shown short; None if none."""
    for node in sp.preorder_traversal(expr):
        if node.free_symbols or node.is_Rational:
            continue
        if _transcendental(node):
            return sp.sstr(node)[:40]
    return None


def _equal_with_free_atoms(lhs: sp.Basic, rhs: sp.Basic, seed: int, points: int = 20) -> bool:
    """True if both sides agree exactly at random points when every transcendental atom is a free unknown.

    Agreement as rational functions of the atoms implies agreement for the atoms' true values."""
    atoms = sorted({x for x in sp.preorder_traversal(sp.Add(lhs, rhs, evaluate=False)) if _transcendental(x)},
                   key=sp.default_sort_key)
    unknowns = {a: sp.Dummy(real=True) for a in atoms}
    try:
        f, g = compile_expr(lhs.xreplace(unknowns)), compile_expr(rhs.xreplace(unknowns))
    except Unverifiable:
        return False
    symbols = sorted((lhs.free_symbols | rhs.free_symbols) - set(atoms), key=lambda s: s.name)
    symbols += list(unknowns.values())
    rng = random.Random(seed)
    agreed = 0
    for _ in range(3 * points):
        env = {s: Fraction(rng.randint(-999, 999), rng.randint(1, 7)) for s in symbols}
        try:
            lv, rv = evaluate(f, env), evaluate(g, env)
        except Undefined:
            continue
        if not (isinstance(lv, Fraction) and isinstance(rv, Fraction)) or lv != rv:
            return False
        agreed += 1
        if agreed == points:
            return True
    return False


INEQUALITIES = {"<": "<", ">": ">", "\\lt": "<", "\\gt": ">", "\\le": "<=", "\\leq": "<=", "\\leqslant": "<=",
                "\\ge": ">=", "\\geq": ">=", "\\geqslant": ">="}
"""Written inequality -> its operator; an inequality is decided as a condition (a step of an implication)."""


def _integer_condition(condition) -> bool:
    """Floor or ceil in it, or membership in a set of integers: its unknowns are integers."""
    a, b, op = _triple(condition)
    if op == "in":
        return b.is_subset(sp.S.Integers) is True
    return a.has(sp.floor, sp.ceiling) or b.has(sp.floor, sp.ceiling)


def _compile_side(b: sp.Basic):
    """The right side of a condition: an expression, or a set (evaluated to itself)."""
    if isinstance(b, sp.Set):
        return lambda env: b
    return compile_expr(b)


def _compare(lv: Value, rv, op: str) -> bool:
    if op == "in":
        v = lv if isinstance(lv, Fraction) else _exact(lv)
        return rv.contains(sp.Rational(v.numerator, v.denominator)) == sp.true
    if op == "=":
        return same(lv, rv)
    if same(lv, rv):
        return op in ("<=", ">=")
    if type(lv) is not type(rv):  # an exact value against a 50-digit one
        lv, rv = _as_mpf(lv), _as_mpf(rv)
    return {"<": lv < rv, ">": lv > rv, "<=": lv < rv, ">=": lv > rv}[op]


def _sides(f, g, op, env):
    """Both sides of a condition at env: values, or a value and a set."""
    return evaluate(f, env), (g(env) if op == "in" else evaluate(g, env))


def _holds(conditions, env) -> bool:
    for f, g, op in conditions:
        try:
            if not _compare(*_sides(f, g, op, env), op):
                return False
        except Undefined:
            return False
    return True


def _triple(c):
    return c if len(c) == 3 else (c[0], c[1], "=")


def decide_implies(premise: list, conclusion: list, integer: bool = False) -> Outcome:
    """Every solution of the premise solves the conclusion? Conditions are (lhs, rhs[, op]) with op one of
    = < <= > >=; with floor or ceil the unknowns are integers, searched in a range."""
    premise, conclusion = [_triple(c) for c in premise], [_triple(c) for c in conclusion]
    exprs = [e for c in premise + conclusion for e in c[:2] if not isinstance(e, sp.Set)]
    integer = integer or any(_integer_condition(c) for c in premise + conclusion)
    unknowns = sorted(set().union(*(e.free_symbols for e in exprs)), key=lambda s: s.name)
    integer = integer or any(e.has(sp.floor, sp.ceiling) for e in exprs)
    if not unknowns:
        return _implies_numbers(premise, conclusion)
    if not integer:
        if any(op == "in" for _, _, op in premise + conclusion):
            raise Unverifiable("membership over the reals is not decided")
        return _implies_real(premise, conclusion, unknowns)
    if len(unknowns) not in INTEGER_RANGE:
        raise Unverifiable(f"an implication with {len(unknowns)} unknowns is not searched")
    width = INTEGER_RANGE[len(unknowns)]
    prem = [(compile_expr(a), _compile_side(b), op) for a, b, op in premise]
    conc = [(compile_expr(a), _compile_side(b), op) for a, b, op in conclusion]
    ranges = [range(-width, width + 1)] * len(unknowns)
    solutions, lost = [], []
    for values in _product(ranges):
        env = {s: Fraction(v) for s, v in zip(unknowns, values)}
        if _holds(prem, env):
            solutions.append(env)
            if not _holds(conc, env):
                lost.append(env)
    where = f"integers in [{-width}, {width}]"
    if not solutions:
        raise Unverifiable(f"the premise has no solution among the {where}")
    listing = _listing(solutions, unknowns)
    if not lost:
        return Outcome("valid", f"implied: every solution of the premise ({listing}) satisfies it ({where})")
    env = lost[0]
    for (f, g, op) in conc:
        try:
            lv, rv = _sides(f, g, op, env)
        except Undefined:
            lv = rv = None
        if lv is None or not _compare(lv, rv, op):
            break
    cx = _counterexample(env, lv, rv) if lv is not None else {"values": {s.name: show(v) for s, v in env.items()}}
    cx["lost"] = [_one(e, unknowns) for e in lost[:12]] + (["…"] if len(lost) > 12 else [])
    return Outcome("invalid", f"loses solutions: the premise holds for {listing} but this step keeps "
                   f"only {_listing([e for e in solutions if e not in lost], unknowns) or 'none'}; lost: "
                   f"{_listing(lost, unknowns)}", cx)


def _implies_numbers(premise, conclusion) -> Outcome:
    """Numbers only (every input given): the conclusion follows if the premise holds and it holds too, exactly.
    A conclusion that fails is not refuted here: its numbers may be rounded."""
    prem = [(compile_expr(a), _compile_side(b), op) for a, b, op in premise]
    conc = [(compile_expr(a), _compile_side(b), op) for a, b, op in conclusion]
    if not _holds(prem, {}):
        raise Unverifiable("the premise does not hold exactly at the numbers given (rounded?), so what follows "
                           "from it is not decided")
    for f, g, op in conc:
        try:
            sides = _sides(f, g, op, {})
        except Undefined:
            sides = ()
        if not all(isinstance(v, (Fraction, sp.Set)) for v in sides) or not sides:
            raise Unverifiable("at the numbers given it is not a comparison of exact numbers (50 digits do "
                               "not decide equality), so it is not decided")
    if not _holds(conc, {}):
        raise Unverifiable("it does not hold exactly at the numbers given; they may be rounded, so it is not "
                           "refuted here")
    return Outcome("valid", "arithmetic: at the numbers given, the premise and this step both hold")


def _product(ranges):
    if not ranges:
        yield ()
        return
    for v in ranges[0]:
        for rest in _product(ranges[1:]):
            yield (v,) + rest


def _one(env, unknowns) -> str:
    if len(unknowns) == 1:
        return show(env[unknowns[0]])
    return "(" + ", ".join(f"{s.name}={show(env[s])}" for s in unknowns) + ")"


def _listing(envs, unknowns) -> str:
    items = [_one(e, unknowns) for e in envs[:12]]
    more = f", … ({len(envs)} in all)" if len(envs) > 12 else ""
    prefix = f"{unknowns[0].name} = " if len(unknowns) == 1 and envs else ""
    return prefix + ", ".join(items) + more


def _member(region: sp.Set):
    """One element of a non-empty set of reals (a finite set, an interval or a union), or None."""
    if region is sp.S.EmptySet:
        return None
    if isinstance(region, sp.FiniteSet):
        return sorted(region, key=sp.default_sort_key)[0]
    if isinstance(region, sp.Union):
        return _member(region.args[0])
    if isinstance(region, sp.Interval):
        lo, hi = region.start, region.end
        if lo.is_finite and hi.is_finite:
            return (lo + hi) / 2
        return lo + 1 if lo.is_finite else (hi - 1 if hi.is_finite else sp.Integer(0))
    return None


def _implies_real(premise, conclusion, unknowns) -> Outcome:
    if len(unknowns) != 1:
        raise Unverifiable(f"an implication over the reals with {len(unknowns)} unknowns is not decided")
    (x,) = unknowns

    def solutions(conditions):
        out = sp.S.Reals
        for a, b, op in conditions:
            s = sp.solveset(sp.Eq(a, b) if op == "=" else sp.Rel(a, b, op), x, sp.S.Reals)
            if isinstance(s, sp.ConditionSet):
                raise Unverifiable(f"cannot solve {a} {op} {b} for {x}")
            out = sp.Intersection(out, s)
        return out

    before, after = solutions(premise), solutions(conclusion)
    lost = sp.Complement(before, after)
    if lost is sp.S.EmptySet:
        return Outcome("valid", f"implied: the premise's solutions, {x.name} in {_show_set(before)}, all satisfy it")
    v = _member(lost)
    if v is not None:
        cx = {"values": {x.name: str(v)}, "lhs": "", "rhs": "",
              "lost": [str(s) for s in lost] if isinstance(lost, sp.FiniteSet) else [_show_set(lost)]}
        for a, b, op in conclusion:
            lv, rv = a.xreplace({x: v}), b.xreplace({x: v})
            if not (sp.Eq(lv, rv) if op == "=" else sp.Rel(lv, rv, op)) == sp.true:
                cx.update(lhs=str(lv), rhs=str(rv))
                break
        return Outcome("invalid", f"loses solutions: the premise holds for {x.name} in {_show_set(before)}, "
                       f"this step keeps {_show_set(after)}; lost: {x.name} in {_show_set(lost)}", cx)
    raise Unverifiable(f"cannot compare the solution sets {_show_set(before)} and {_show_set(after)}")
