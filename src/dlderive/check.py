"""Line-by-line verification of hand-written derivations: every relation gets a verdict.

A document (Markdown, LaTeX or text) is split into math blocks and text relations; statements are
chained (``a = b = c``, blocks that open with ``=`` or ``\\implies`` continue the previous chain);
each relation is valid, invalid (with a counterexample) or unverifiable (with the reason).
"""
from __future__ import annotations

import bisect
import dataclasses
import math
import random
import re
import signal
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

import mpmath
import sympy as sp

from .cells import get_cell
from .cells.base import at, timed
from .errors import DlderiveError
from .functions import Jacobian, Prime, sigmoid
from .reader import ReadError, Statement, Term, read_block

MAX_FILE_BYTES = 2_000_000
MAX_TEXT_LINE = 2_000  # longer lines of running text are not scanned for relations
MAX_NODES = 20_000  # size of an expression after substituting definitions
MAX_BITS = 200_000  # size of an exact number during evaluation
SIMPLIFY_NODES = 300  # size up to which a general simplify is tried
PROOF_NODES = 5_000  # size up to which expand and cancel are tried
PROOF_BUDGET = 0.5  # seconds for the symbolic proof of one relation, before exact evaluation takes over
MODEL_STEPS = 4  # model equations are in scope for steps t, t-1, ..., t-3
INTEGER_RANGE = {1: 2048, 2: 40}  # unknowns -> half-width of the integer range searched
DEFAULT_TIMEOUT = 2.0


class CheckError(DlderiveError):
    """A file that cannot be read at all (missing, too large, not UTF-8)."""


class Unverifiable(DlderiveError):
    """A relation the checker cannot decide; the message is the reason."""


class TooLarge(Unverifiable):
    pass


class Undefined(Exception):
    """An expression with no real value at a point (division by zero, log of a negative)."""


class RelationTimeout(BaseException):
    """Raised by the per-relation timer; a BaseException so that no library code swallows it."""


class OutOfBudget(BaseException):
    """Raised when a symbolic proof attempt has used its share of the time."""


# ---------------------------------------------------------------- reports

@dataclass(frozen=True)
class Relation:
    """One verdict: ``line`` is where the right-hand side begins (1-based)."""

    line: int
    latex: str
    verdict: str  # "valid" | "invalid" | "unverifiable"
    reason: str
    counterexample: dict | None = None
    chain: int = 0  # relations of one chain share this number


@dataclass(frozen=True)
class FileReport:
    file: str
    relations: tuple[Relation, ...] = ()
    error: str | None = None

    @property
    def summary(self) -> dict:
        out = {"valid": 0, "invalid": 0, "unverifiable": 0}
        for r in self.relations:
            out[r.verdict] += 1
        return out

    def to_json(self) -> dict:
        """The JSON object of issue 5: file, relations (line, latex, verdict, reason, counterexample), summary."""
        data = {"file": self.file,
                "relations": [{k: v for k, v in asdict(r).items() if k != "chain"} for r in self.relations],
                "summary": self.summary}
        if self.error:
            data["error"] = self.error
        return data


# ---------------------------------------------------------------- time limit

@contextmanager
def time_limit(seconds: float | None):
    """Raise RelationTimeout in the body after ``seconds`` of CPU time (main thread only; elsewhere no limit).

    CPU time, not wall time: a verdict does not depend on how busy the machine is."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise RelationTimeout()

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


@contextmanager
def budget(seconds: float):
    """Raise OutOfBudget after ``seconds`` of CPU time; the enclosing time_limit keeps running (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    outer, _ = signal.getitimer(signal.ITIMER_PROF)
    if outer and outer <= seconds:
        yield
        return

    def expire(signum, frame):
        raise OutOfBudget()

    start = time.process_time()
    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        if outer:
            signal.setitimer(signal.ITIMER_PROF, max(outer - (time.process_time() - start), 0.001))


# ---------------------------------------------------------------- exact and high-precision evaluation

Value = Fraction | mpmath.mpf
_MP_FUNCTIONS = {sp.tanh: mpmath.tanh, sp.exp: mpmath.exp, sp.sin: mpmath.sin, sp.cos: mpmath.cos,
                 sp.sinh: mpmath.sinh, sp.cosh: mpmath.cosh,
                 sigmoid: lambda v: 1 / (1 + mpmath.exp(-v))}


def compile_expr(expr: sp.Basic) -> Callable[[dict], Value]:
    """A closure that evaluates ``expr`` at a point exactly (Fraction) or, if it must, to 50 digits."""
    if expr.is_Rational:
        c = Fraction(int(expr.p), int(expr.q))
        return lambda env: c
    if expr.is_Symbol:
        return lambda env: env[expr]
    if expr is sp.E:
        return lambda env: +mpmath.e
    if expr is sp.pi:
        return lambda env: +mpmath.pi
    if expr.is_Float:
        c = mpmath.mpf(expr._mpf_)
        return lambda env: c
    if isinstance(expr, Prime):
        return compile_expr(expr.doit())
    if isinstance(expr, sp.UnevaluatedExpr):
        return compile_expr(expr.args[0])
    parts = [compile_expr(a) for a in expr.args] if not isinstance(expr, sp.Pow) else None
    if isinstance(expr, sp.Add):
        return lambda env: _checked(sum((f(env) for f in parts), Fraction(0)))
    if isinstance(expr, sp.Mul):
        def product(env):
            out = Fraction(1)
            for f in parts:
                out = _checked(out * f(env))
            return out
        return product
    if isinstance(expr, sp.Pow):
        base, exponent = compile_expr(expr.base), expr.exp
        if exponent.is_Integer:
            n = int(exponent)
            return lambda env: _integer_power(base(env), n)
        power = compile_expr(exponent)
        return lambda env: _real_power(base(env), power(env))
    if isinstance(expr, (sp.floor, sp.ceiling)):
        (f,) = parts
        rounding = math.floor if isinstance(expr, sp.floor) else math.ceil
        return lambda env: Fraction(rounding(_exact(f(env))))
    if isinstance(expr, sp.Abs):
        (f,) = parts
        return lambda env: abs(f(env))
    if isinstance(expr, sp.log):
        (f,) = parts[:1]
        return lambda env: _log(f(env))
    if expr.func in _MP_FUNCTIONS:
        (f,) = parts
        g = _MP_FUNCTIONS[expr.func]
        return lambda env: g(mpmath.mpf(_as_mpf(f(env))))
    raise Unverifiable(f"cannot evaluate {type(expr).__name__} numerically")


def _checked(v: Value) -> Value:
    if isinstance(v, Fraction) and v.numerator.bit_length() + v.denominator.bit_length() > MAX_BITS:
        raise TooLarge(f"an intermediate number over {MAX_BITS} bits")
    return v


def _as_mpf(v: Value):
    return mpmath.mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else v


def _exact(v: Value):
    """Floor and ceiling work on exact values; a 50-digit value is rounded to a fraction first."""
    if isinstance(v, Fraction):
        return v
    if not mpmath.isfinite(v):
        raise Undefined()
    return Fraction(str(mpmath.nstr(v, 45, min_fixed=-math.inf, max_fixed=math.inf)))


def _integer_power(b: Value, n: int) -> Value:
    if b == 0 and n < 0:
        raise Undefined()
    if isinstance(b, Fraction):
        size = max(b.numerator.bit_length(), b.denominator.bit_length(), 1)
        if size * abs(n) > MAX_BITS:
            raise TooLarge(f"a power over {MAX_BITS} bits")
    return b ** n


def _real_power(b: Value, x: Value) -> Value:
    if isinstance(x, Fraction) and x.denominator == 1:
        return _integer_power(b, int(x))
    b, x = _as_mpf(b), _as_mpf(x)
    if b < 0 or (b == 0 and x <= 0):
        raise Undefined()
    return mpmath.power(b, x)


def _log(v: Value):
    if v <= 0:
        raise Undefined()
    return mpmath.log(_as_mpf(v))


def evaluate(f: Callable, env: dict) -> Value:
    """f at env, or raise Undefined."""
    with mpmath.workdps(50):
        try:
            v = f(env)
        except (ZeroDivisionError, ValueError, OverflowError):
            raise Undefined() from None
        if not isinstance(v, Fraction) and not mpmath.isfinite(v):
            raise Undefined()
        return v


def same(a: Value, b: Value) -> bool:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    with mpmath.workdps(50):
        a, b = _as_mpf(a), _as_mpf(b)
        return abs(a - b) <= mpmath.mpf(10) ** -35 * max(1, abs(a), abs(b))


def show(v) -> str:
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    if isinstance(v, mpmath.mpf):
        with mpmath.workdps(50):
            return mpmath.nstr(v, 12)
    return _show_set(v) if isinstance(v, sp.Set) else str(v)


# ---------------------------------------------------------------- scope: definitions in force

def _time(sym: sp.Symbol) -> int | None:
    t = timed(sym.name)
    return None if t is None else t[1]


def _frame(*exprs: sp.Basic) -> int:
    """The most recent step mentioned: leaves of the relation are the inputs and states of that step."""
    ks = [k for e in exprs for s in e.free_symbols if (k := _time(s)) is not None]
    return min(ks) if ks else 0


def _size(expr: sp.Basic, limit: int = MAX_NODES) -> int:
    """Nodes of the expression tree, counted up to just over ``limit``."""
    n, stack = 0, [expr]
    while stack and n <= limit:
        n += 1
        stack.extend(stack.pop().args)
    return n


def _fold_matrices(expr: sp.Basic) -> sp.Basic:
    """1x1 matrices become their entry; a matrix left inside a scalar expression is an error of shapes."""
    if isinstance(expr, sp.MatrixBase):
        return expr[0, 0] if expr.shape == (1, 1) else expr
    matrices = expr.atoms(sp.MatrixBase)
    if not matrices:
        return expr
    expr = expr.xreplace({m: m[0, 0] for m in matrices if m.shape == (1, 1)})
    if isinstance(expr, sp.MatrixBase):
        return _fold_matrices(expr)
    if expr.atoms(sp.MatrixBase):
        raise Unverifiable("matrices of different shapes are added, or a matrix stands where a number must")
    return expr


def substitute(expr: sp.Basic, defs: dict, limit: int) -> sp.Basic | None:
    """``expr`` with the definitions substituted, or None if it grows over ``limit`` nodes."""
    for _ in range(50):
        subs = {s: defs[s] for s in expr.free_symbols if s in defs}
        if not subs:
            return expr
        expr = expr.xreplace(subs)
        if _size(expr, limit) > limit:
            return None
    return None


@dataclass
class Scope:
    """The definitions in force: the model's equations, then the document's definitions and givens."""

    model_defs: dict = field(default_factory=dict)
    defs: dict = field(default_factory=dict)
    tuples: dict = field(default_factory=dict)
    stated: dict = field(default_factory=dict)  # symbol -> line of its first statement
    states: frozenset = frozenset()  # the model's state names ("h", "c")
    deepest: int = -1  # the deepest step a derivative expanded to, while preparing a relation
    context: int | None = None  # the most recent step of the relation being prepared: it computes, older states are its inputs

    @classmethod
    def for_model(cls, model: str | None) -> "Scope":
        defs, states = {}, frozenset()
        if model:
            cell = get_cell(model)
            states = frozenset(cell.states)
            for k in range(MODEL_STEPS):
                defs.update(cell.equations_at(k))
        return cls(model_defs=dict(defs), defs=dict(defs), states=states)

    def realize(self, expr: sp.Basic) -> sp.Basic:
        """Evaluate derivative fractions and f'(a) placeholders."""
        held = expr.atoms(sp.UnevaluatedExpr)
        if held:
            expr = expr.xreplace({u: u.args[0] for u in held})
        for _ in range(6):
            ders, primes, jacobians = expr.atoms(sp.Derivative), expr.atoms(Prime), expr.atoms(Jacobian)
            if not ders and not primes and not jacobians:
                return _fold_matrices(expr)
            mapping = {d: self.derivative(d) for d in ders}
            mapping.update({j: self.jacobian(j) for j in jacobians})
            mapping.update({p: p.doit() for p in primes})
            expr = _fold_matrices(expr.xreplace(mapping))
        raise Unverifiable("derivatives nested too deeply")

    def jacobian(self, j: Jacobian) -> sp.Basic:
        """∂A/∂B: a derivative, or the matrix of them when A or B is a vector such as S_t = [h_t; c_t]
        (the components of B are independent coordinates: each is held fixed for the others)."""
        a, b = self.realize(j.args[0]), j.args[1]
        rows, cols = self._vector(a), self._vector(b)
        if rows is None and cols is None:
            return self.derivative(sp.Derivative(a, b))
        cols = cols if cols is not None else [b]
        if not all(isinstance(c, sp.Symbol) for c in cols):
            raise Unverifiable(f"a derivative with respect to {b}, which is not a vector of variables")
        hold = frozenset(cols)
        if rows is not None and hold & set(rows):  # ∂S_t/∂c_t: coordinates of one vector are independent
            hold |= {r for r in rows if isinstance(r, sp.Symbol)}
        return sp.ImmutableMatrix([[self.derivative(sp.Derivative(r, c), hold) for c in cols]
                                   for r in (rows if rows is not None else [a])])

    def _vector(self, x: sp.Basic) -> list | None:
        """The entries of x if it is a vector: a matrix, or a name defined as one (S_{t-k} from S_t)."""
        if isinstance(x, sp.MatrixBase):
            return list(x)
        if not isinstance(x, sp.Symbol):
            return None
        value, t = self.defs.get(x), timed(x.name)
        if value is None and t and t[1] > 0 and isinstance(self.defs.get(at(t[0], 0)), sp.MatrixBase):
            now = self.defs[at(t[0], 0)]
            value = now.xreplace({s: at(u[0], u[1] + t[1]) for s in now.free_symbols if (u := timed(s.name))})
        return list(value) if isinstance(value, sp.MatrixBase) else None

    def derivative(self, d: sp.Derivative, hold: frozenset = frozenset()) -> sp.Basic:
        """∂y/∂v by the chain rule through the definitions of the names that depend on v, down to the step
        where v enters (at the earliest the relation's most recent step, whose older states are inputs)."""
        y = self.realize(d.expr)
        for v, count in d.variable_count:
            if not isinstance(v, sp.Symbol):
                raise Unverifiable(f"a derivative with respect to {v}, which is not a variable")
            context = self.context if self.context is not None else _frame(y, v)
            frame = max(context, self._entry_step(v))
            self.deepest = max(self.deepest, frame)
            for _ in range(int(count)):
                y = self._chain(y, v, frame, hold)
        return self.realize(y)

    def _entry_step(self, v: sp.Symbol) -> int:
        """The step whose equations take v as an input: t-k for x_{t-k}, t-(k-1) for a state such as h_{t-k}."""
        t = timed(v.name)
        if t is None:
            return -1
        return t[1] - 1 if t[0] in self.states else t[1]

    def _chain(self, expr: sp.Basic, v: sp.Symbol, frame: int, hold: frozenset = frozenset()) -> sp.Basic:
        """d expr/dv: each name defined at a step up to ``frame`` that depends on v contributes ∂expr/∂name · dname/dv."""
        dependent: dict = {}
        derivatives: dict = {}

        def usable(s) -> bool:
            k = _time(s)
            return s in self.defs and s != v and s not in hold and (k is None or k <= frame)

        def depends(s) -> bool:
            if s not in dependent:
                dependent[s] = False  # a cycle does not make a dependency
                free = self.defs[s].free_symbols
                dependent[s] = v in free or any(depends(t) for t in free if usable(t))
            return dependent[s]

        def total(e: sp.Basic) -> sp.Basic:
            out = sp.S.Zero
            for s in sorted(e.free_symbols, key=lambda x: x.name):
                if s == v:
                    out += sp.diff(e, s)
                elif usable(s) and depends(s):
                    if s not in derivatives:
                        derivatives[s] = total(self.realize(self.defs[s]))
                    if derivatives[s] != 0:
                        out += sp.diff(e, s) * derivatives[s]
            return out

        return total(expr)

    def prepare_with_defs(self, *exprs: sp.Basic) -> tuple[list, dict]:
        """The expressions with derivatives evaluated, and the definitions (name -> expression) in force in
        their common frame that they need: those names are not free, their values follow from the leaves."""
        self.deepest, self.context = -1, _frame(*exprs)
        try:
            exprs = [self.realize(e) for e in exprs]
        finally:
            self.context = None
        frame = max(_frame(*exprs), self.deepest)
        defs = self._reachable(exprs, frame)
        for e in exprs + list(defs.values()):
            bad = [s for s in e.free_symbols if s in self.tuples]
            if bad:
                raise Unverifiable(f"{bad[0]} stands for the tuple {self.tuples[bad[0]]}, not a number")
            if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
                raise Unverifiable("division by zero or an infinite value")
        return exprs, defs

    def prepare(self, *exprs: sp.Basic) -> list[sp.Basic]:
        """The expressions with derivatives evaluated and definitions substituted in a common frame."""
        out, defs = self.prepare_with_defs(*exprs)
        expanded = [substitute(e, defs, MAX_NODES) for e in out]
        if any(e is None for e in expanded):
            raise TooLarge(f"the expression has over {MAX_NODES} nodes after substituting definitions")
        return expanded

    def _reachable(self, exprs, frame: int) -> dict:
        out, todo = {}, [s for e in exprs for s in e.free_symbols]
        while todo:
            s = todo.pop()
            k = _time(s)
            if s in out or s not in self.defs or (k is not None and k > frame):
                continue
            out[s] = self.realize(self.defs[s])
            todo.extend(out[s].free_symbols)
        return out


# ---------------------------------------------------------------- deciding one equality

@dataclass(frozen=True)
class Outcome:
    verdict: str
    reason: str
    counterexample: dict | None = None


def _points(symbols: list, seed: int, integer: bool = False):
    """Evaluation points: all ones, distinct small integers, then random small rationals."""
    yield {s: Fraction(1) for s in symbols}
    yield {s: Fraction(i + 2) for i, s in enumerate(symbols)}
    rng = random.Random(seed)
    while True:
        if integer:
            yield {s: Fraction(rng.randint(-30, 30)) for s in symbols}
        else:
            yield {s: Fraction(rng.randint(-12, 12), rng.randint(1, 6)) for s in symbols}


def _counterexample(env: dict, lv: Value, rv: Value) -> dict:
    return {"values": {s.name: show(v) for s, v in sorted(env.items(), key=lambda kv: kv[0].name)},
            "lhs": show(lv), "rhs": show(rv)}


def _proof(diff: sp.Basic, defs: dict | None = None) -> str | None:
    """The targeted rewrite that takes ``diff`` to zero, or None (with ``defs``: only the exact match)."""
    if diff == 0:
        return "exact"
    if defs or _size(diff, PROOF_NODES) > PROOF_NODES:
        return None
    if sp.expand(diff) == 0:
        return "expand"
    if sp.cancel(sp.together(diff)) == 0:
        return "cancel"
    if diff.has(sp.exp, sp.tanh, sigmoid, sp.sinh, sp.cosh):
        as_exp = sp.expand(diff.rewrite(sp.exp))
        if as_exp == 0 or sp.cancel(sp.together(as_exp)) == 0:
            return "rewrite as exp, cancel"
    if _size(diff) <= SIMPLIFY_NODES and sp.simplify(diff) == 0:
        return "simplify"
    return None


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


def decide_equal(lhs: sp.Basic, rhs: sp.Basic, seed: int = 0, defs: dict | None = None) -> Outcome:
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
    points = _points(symbols, seed, integer)

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
                return Outcome("invalid", "the two sides differ" if symbols else
                               f"the two sides differ: {show(lv)} ≠ {show(rv)}", _counterexample(point, lv, rv))
            agreed += 1
            if not symbols:
                break
        return None

    bad = screen(3)
    if bad:
        return bad
    if not symbols and agreed:
        return Outcome("valid", "arithmetic: both sides are " + show(evaluate(f, _Env({}, compiled))))
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
    bad = screen(wanted)
    if bad:
        return bad
    if agreed >= wanted:
        arithmetic = "exact rational arithmetic" if exact else "50-digit arithmetic"
        where = "integer points (floor and ceil take integer sizes)" if integer else "points"
        return Outcome("valid", f"no symbolic proof found; equal at {agreed} random {where} ({arithmetic})")
    raise Unverifiable("no symbolic proof found and too few points where both sides are defined")


def _equal_with_free_atoms(lhs: sp.Basic, rhs: sp.Basic, seed: int, points: int = 20) -> bool:
    """True if both sides agree exactly at random points when every transcendental atom is a free unknown.

    Agreement as rational functions of the atoms implies agreement for the atoms' true values."""
    atoms = sorted({x for x in sp.preorder_traversal(sp.Add(lhs, rhs, evaluate=False))
                    if (isinstance(x, sp.Function) and not isinstance(x, (sp.floor, sp.ceiling, sp.Abs)))
                    or (isinstance(x, sp.Pow) and not x.exp.is_Integer)}, key=sp.default_sort_key)
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


# ---------------------------------------------------------------- deciding an implication

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


def _show_set(region: sp.Set) -> str:
    """{-2, 2}, (2, ∞), [1, 2) ∪ {5}: a set of reals as people write it."""
    bound = lambda v: "∞" if v is sp.oo else "-∞" if v is -sp.oo else str(v)  # noqa: E731
    if isinstance(region, sp.Interval):
        return (f"{'(' if region.left_open else '['}{bound(region.start)}, {bound(region.end)}"
                f"{')' if region.right_open else ']'}")
    if isinstance(region, sp.FiniteSet):
        return "{" + ", ".join(str(v) for v in sorted(region, key=sp.default_sort_key)) + "}"
    if isinstance(region, sp.Union):
        return " ∪ ".join(_show_set(r) for r in region.args)
    if region is sp.S.Reals:
        return "all reals"
    return str(region)


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


# ---------------------------------------------------------------- the document

@dataclass(frozen=True)
class Chunk:
    """A piece of math to read: a display block, an inline relation, or a relation in running text."""

    text: str
    offset: int  # where ``text`` starts in the file
    kind: str  # "block" | "text"


_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_MATH = re.compile(
    r"\$\$(?P<dd>.*?)\$\$"
    r"|\\\[(?P<br>.*?)\\\]"
    r"|\\begin\{(?P<env>equation\*?|align\*?|gather\*?|multline\*?|eqnarray\*?)\}(?P<body>.*?)\\end\{(?P=env)\}"
    r"|(?<![\\$])\$(?P<inline>[^$\n]{1,20000}?)\$", re.S)
_RELATIONAL = re.compile(r"=|\\implies|\\Rightarrow|\\iff|\\approx|\\le|\\ge|<|>")
_TEXT_NUMBER = r"[-+(]*\s*\d[\d\s.*/+\-()^]*"
_TEXT_RELATION = re.compile(
    rf"(?P<name>[A-Za-z][A-Za-z0-9_{{}}]*(?: [A-Za-z][A-Za-z0-9_{{}}]*){{0,2}})\s*=\s*"
    rf"(?P<chain>{_TEXT_NUMBER}(?:=\s*{_TEXT_NUMBER})*)")


def split_document(text: str) -> list[Chunk]:
    """Math blocks ($$, \\[ \\], equation, align) and relations in running text, in document order."""
    masked = _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    chunks, last = [], 0
    for m in _MATH.finditer(masked):
        chunks += _text_chunks(masked, last, m.start())
        last = m.end()
        name = m.lastgroup if m.lastgroup != "env" else "body"
        if m.group("env"):
            name = "body"
        body = m.group(name)
        if name == "inline" and not _RELATIONAL.search(body):
            continue
        chunks.append(Chunk(body, m.start(name), "block"))
    chunks += _text_chunks(masked, last, len(masked))
    return chunks


def _text_chunks(text: str, start: int, end: int) -> list[Chunk]:
    out = []
    pos = start
    for line in text[start:end].split("\n"):
        if "=" in line and len(line) <= MAX_TEXT_LINE:
            clean = line.replace("\\*", "*").replace("×", "*").replace("·", "*")
            for m in _TEXT_RELATION.finditer(clean):
                out.append(Chunk(_text_as_latex(m), pos + m.start(), "text"))
        pos += len(line) + 1
    return out


def _text_as_latex(m: re.Match) -> str:
    name = m["name"].strip()
    last = name.split()[-1]
    if re.fullmatch(r"[A-Za-z](_\{?\w+\}?)?|[A-Za-z]+_\{?\w+\}?", last):  # "Let P = 2": the name is P
        name = last
    head = name if " " not in name else "\\text{" + name + "}"
    chain = m["chain"].rstrip()
    while chain and chain[-1] in "+-*/(.=":
        chain = chain[:-1].rstrip()
    return f"{head} = {chain}"


# ---------------------------------------------------------------- chains

@dataclass
class _Chain:
    id: int
    last: Term | None = None
    conditions: list = field(default_factory=list)  # (lhs, rhs) prepared, when it is a chain of conditions
    kind: str = "identity"  # "identity" | "condition"
    integer: bool = False  # a chain of conditions that began with floor or ceil: its unknowns are integers


@dataclass
class _Step:
    """One relation to decide: ``a rel b`` with its position, and how it joins what came before."""

    a: Term
    rel: str
    rel_source: str
    b: Term
    line: int
    chain_start: bool
    after_condition: list | None  # premises, if this step follows an implication from a condition
    premise_next: bool  # the chain continues with an implication
    integer: bool = False  # the unknowns are integers (the implications began with floor or ceil)


class Checker:
    """Decide every relation of one document, in order, keeping the definitions in force."""

    def __init__(self, model: str | None = None, timeout: float | None = DEFAULT_TIMEOUT):
        self.model, self.timeout = model, timeout
        self.scope = Scope.for_model(model)

    def check_text(self, text: str, name: str = "<text>") -> FileReport:
        lines = _LineIndex(text)
        items = []  # (statement | ReadError, chunk)
        for chunk in split_document(text):
            try:
                for st in read_block(chunk.text, self.model):
                    items.append((st, chunk))
            except ReadError as exc:
                items.append((exc, chunk))
        relations: list[Relation] = []
        chain = _Chain(0)
        for index, (st, chunk) in enumerate(items):
            if isinstance(st, ReadError):
                where = lines.position(chunk.offset + st.offset)
                relations.append(Relation(where[0], _clip(chunk.text), "unverifiable",
                                          f"cannot read: {st} (line {where[0]}, column {where[1]})", None, chain.id))
                continue
            following = items[index + 1][0] if index + 1 < len(items) else None
            next_implies = isinstance(following, Statement) and following.lead in ("implies", "iff")
            chain = self._statement(st, chunk, lines, chain, next_implies, relations)
        return FileReport(name, tuple(relations))

    def _statement(self, st: Statement, chunk: Chunk, lines, chain: _Chain, next_implies: bool, out: list):
        segments = _segments(st)
        for i, (lead, lead_source, terms, rels, rel_sources) in enumerate(segments):
            premises, integer = None, False
            if lead in ("implies", "iff") and chain.kind == "condition":
                premises, integer = chain.conditions, chain.integer
            continuing = lead == "=" or lead == "def" or lead == "other"
            if continuing and chain.last is not None:
                terms = [chain.last] + terms
                rels = [lead] + rels
                rel_sources = [lead_source] + rel_sources
                kind, conditions, integer = chain.kind, chain.conditions, chain.integer
            else:
                chain = _Chain(chain.id + 1)
                kind, conditions = "identity", []
            more_implies = next_implies if i == len(segments) - 1 else True
            start, segment_conditions = len(out), []
            for j in range(len(rels)):
                if rels[j] == "and":  # a ∧ b: the next relation starts afresh, in the same condition
                    continue
                a, b = terms[j], terms[j + 1]
                line = lines.position(chunk.offset + b.start)[0] if chunk.kind == "block" \
                    else lines.position(chunk.offset)[0]
                step = _Step(a, rels[j], rel_sources[j], b, line, chain_start=(j == 0 and not continuing),
                             after_condition=premises, premise_next=more_implies, integer=integer)
                relation, prepared, is_condition = self._decide(step, chain.id)
                out.append(relation)
                if is_condition:
                    kind = "condition"
                    conditions = conditions + [prepared]
                    segment_conditions.append(prepared)
                    integer = integer or _integer_condition(prepared)
            if lead == "iff" and premises is not None and len(out) > start:
                self._converse(segment_conditions, premises, integer, out)
            chain.last = terms[-1]
            chain.kind, chain.conditions, chain.integer = kind, conditions, integer
        return chain

    def _decide(self, step: _Step, chain_id: int):
        """The Relation for one step, the prepared pair and whether it is a condition."""
        latex = f"{step.a.source} {step.rel_source} {step.b.source}"
        try:
            with time_limit(self.timeout):
                verdict, reason, cx, prepared, is_condition = self._judge(step)
        except RelationTimeout:
            verdict, reason, cx, prepared, is_condition = (
                "unverifiable", f"no decision within the time limit ({self.timeout:g} s of CPU time)", None, None, False)
        except Unverifiable as exc:
            verdict, reason, cx, prepared, is_condition = "unverifiable", str(exc), None, None, False
        except (DlderiveError, RecursionError, MemoryError, TypeError, ValueError, AttributeError,
                ZeroDivisionError, OverflowError, NotImplementedError, IndexError, KeyError) as exc:
            verdict, reason, cx, prepared, is_condition = (
                "unverifiable", f"cannot decide ({type(exc).__name__}: {str(exc)[:120]})", None, None, False)
        return Relation(step.line, latex, verdict, reason, cx, chain_id), prepared, is_condition

    def _judge(self, step: _Step):
        for term in (step.a, step.b):
            if term.error:
                raise Unverifiable(f"cannot read {term.source.strip()[:60]!r}: {term.error}")
        a, b = step.a.expr, step.b.expr
        if step.rel == "in":
            return self._membership(step, a, b)
        if step.rel == "other":
            op = INEQUALITIES.get(step.rel_source.strip())
            if op is None:
                raise Unverifiable(f"the relation {step.rel_source} is not checked (only =, ⇒, ⇔ and <, ≤ are)")
            return self._inequality(step, a, b, op)
        if (step.chain_start and step.after_condition is None and isinstance(a, sp.Symbol)
                and (step.rel == "def" or a not in b.free_symbols)):
            decided = self._definition(a, b, step)
            if decided:
                return decided
        if isinstance(a, sp.Tuple) or isinstance(b, sp.Tuple):
            raise Unverifiable("a tuple is compared, not a number")
        if a == b:
            same_text = f"arithmetic: both sides are {a}" if a.is_Number else "proven symbolically (exact)"
            return "valid", same_text, None, None, False
        (lhs, rhs), defs = self.scope.prepare_with_defs(a, b)
        outcome = decide_equal(lhs, rhs, zlib.crc32(f"{step.a.source}={step.b.source}".encode()), defs)
        unknowns = set().union(*(e.free_symbols for e in [lhs, rhs, *defs.values()])) - set(defs)
        as_condition = step.after_condition is not None or step.premise_next
        if not unknowns or not as_condition or (outcome.verdict == "valid" and step.after_condition is None):
            return outcome.verdict, outcome.reason, outcome.counterexample, None, False
        condition = tuple(self.scope.prepare(a, b))
        if outcome.verdict == "valid":
            return outcome.verdict, outcome.reason, None, condition, True
        if step.after_condition is not None:
            implied = decide_implies(step.after_condition, [condition], step.integer)
            return implied.verdict, implied.reason, implied.counterexample, condition, True
        names = ", ".join(sorted(s.name for s in unknowns))
        return ("valid", f"premise: a condition on {names}, the starting point of the implication below",
                None, condition, True)

    def _converse(self, conditions: list, premises: list, integer: bool, out: list) -> None:
        """⟺: the conditions of the segment together must also imply the premises; if not, its last relation says so."""
        if len(conditions) == 0:
            return
        last = out[-1]
        try:
            with time_limit(self.timeout):
                converse = decide_implies(conditions, premises, integer)
        except (RelationTimeout, Unverifiable) as exc:
            reason = str(exc) or "no decision within the time limit"
            converse = Outcome("unverifiable", reason)
        if converse.verdict == "valid":
            out[-1] = dataclasses.replace(last, reason=f"{last.reason}; and conversely (⟺)")
        elif last.verdict != "invalid":
            out[-1] = dataclasses.replace(last, verdict=converse.verdict, counterexample=converse.counterexample,
                                          reason=f"the converse (⟸) does not hold: {converse.reason}"
                                          if converse.verdict == "invalid" else
                                          f"the converse (⟸) is not decided: {converse.reason}")

    def _membership(self, step: _Step, a, b):
        """``a \\in S``: arithmetic, a step of an implication, or a premise."""
        if not isinstance(b, sp.Set):
            raise Unverifiable(f"{step.b.source.strip()} is not a set")
        (lhs,) = self.scope.prepare(a)
        condition = (lhs, b, "in")
        if not lhs.free_symbols:
            inside = b.contains(lhs)
            if inside in (sp.true, sp.false):
                return (("valid", f"{lhs} is in {b}", None, condition, False) if inside == sp.true else
                        ("invalid", f"{lhs} is not in {b}", {"values": {}, "lhs": str(lhs), "rhs": str(b)},
                         condition, False))
        if step.after_condition is not None:
            implied = decide_implies(step.after_condition, [condition], step.integer)
            return implied.verdict, implied.reason, implied.counterexample, condition, True
        if step.premise_next:
            return "valid", "premise: a condition, the starting point of the implication below", None, condition, True
        raise Unverifiable("a membership with unknowns is decided only as a step of an implication")

    def _inequality(self, step: _Step, a, b, op: str):
        """``a op b``: arithmetic, a step of an implication, a premise, or a claim refuted at some point."""
        lhs, rhs = self.scope.prepare(a, b)
        condition = (lhs, rhs, op)
        unknowns = sorted(lhs.free_symbols | rhs.free_symbols, key=lambda s: s.name)
        if not unknowns:
            lv, rv = evaluate(compile_expr(lhs), {}), evaluate(compile_expr(rhs), {})
            if _compare(lv, rv, op):
                return "valid", f"arithmetic: {show(lv)} {op} {show(rv)}", None, condition, False
            return ("invalid", f"arithmetic: {show(lv)} {op} {show(rv)} is false",
                    {"values": {}, "lhs": show(lv), "rhs": show(rv)}, condition, False)
        if step.after_condition is not None:
            implied = decide_implies(step.after_condition, [condition], step.integer)
            return implied.verdict, implied.reason, implied.counterexample, condition, True
        if step.premise_next:
            names = ", ".join(s.name for s in unknowns)
            return ("valid", f"premise: a condition on {names}, the starting point of the implication below",
                    None, condition, True)
        f, g = compile_expr(lhs), compile_expr(rhs)
        points = _points(unknowns, zlib.crc32(step.b.source.encode()), lhs.has(sp.floor, sp.ceiling))
        for _ in range(40):
            env = next(points)
            try:
                lv, rv = evaluate(f, env), evaluate(g, env)
            except Undefined:
                continue
            if not _compare(lv, rv, op):
                return "invalid", f"false at a point", _counterexample(env, lv, rv), condition, False
        raise Unverifiable("an inequality with unknowns is decided only as a step of an implication "
                           "(no counterexample at 40 points)")

    def _definition(self, name: sp.Symbol, value: sp.Basic, step: _Step):
        """Record ``name = value`` if it is a definition or a given; None if it is a claim to check."""
        scope = self.scope
        first = name not in scope.stated
        shown = step.a.source.strip()
        if isinstance(value, sp.Tuple):
            scope.tuples[name] = value
            scope.defs.pop(name, None)
            scope.stated.setdefault(name, step.line)
            return "valid", f"given: {shown} = {value}", None, None, False
        if first and name in scope.model_defs and step.rel != "def":
            scope.stated[name] = step.line
            model_value = scope.model_defs[name]
            try:
                (lhs, rhs), defs = scope.prepare_with_defs(model_value, value)
                agrees = decide_equal(lhs, rhs, 0, defs).verdict == "valid"
            except Unverifiable as exc:
                agrees, why = None, str(exc)
            if agrees:
                return "valid", f"agrees with the model's definition of {shown}", None, None, False
            scope.defs[name] = value
            note = (f"the model's is {shown} = {_in_terms_of(model_value, value, scope.model_defs)}"
                    if agrees is False else f"not compared: {why}")
            return ("valid", f"definition: the document's own version of {shown}, in force from here on ({note})",
                    None, None, False)
        if not first and step.rel != "def":
            try:
                numeric = not scope.prepare(value)[0].free_symbols
            except Unverifiable:
                numeric = False
            if not numeric or name in scope.model_defs:
                return None
            since = scope.stated[name]
            scope.defs[name] = value
            scope.tuples.pop(name, None)
            scope.stated[name] = step.line
            return ("valid", f"definition: {shown} = {step.b.source.strip()}, a new value (it was defined on line "
                    f"{since})", None, None, False)
        scope.defs[name] = value
        scope.tuples.pop(name, None)
        scope.stated[name] = step.line
        kind = "given" if re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", step.b.source) else "definition"
        return "valid", f"{kind}: {shown} = {step.b.source.strip()}", None, None, False


def _in_terms_of(model_value: sp.Basic, written: sp.Basic, defs: dict) -> sp.Basic:
    """The model's expression with the names the document did not write replaced by their definitions."""
    for _ in range(5):
        subs = {s: defs[s] for s in model_value.free_symbols if s in defs and s not in written.free_symbols}
        if not subs:
            break
        model_value = model_value.xreplace(subs)
    return model_value


def _segments(st: Statement):
    """Split a statement at ⇒: each segment (lead, lead source, terms, rels, rel sources)."""
    out = []
    lead, lead_source = st.lead, st.lead or ""
    terms, rels, sources = [st.terms[0]], [], []
    for rel, src, term in zip(st.rels, st.rel_sources, st.terms[1:]):
        if rel in ("implies", "iff"):
            out.append((lead, lead_source, terms, rels, sources))
            lead, lead_source, terms, rels, sources = rel, src, [term], [], []
        else:
            terms.append(term)
            rels.append(rel)
            sources.append(src)
    out.append((lead, lead_source, terms, rels, sources))
    return [(ld, ls if ld else "", t, r, s) for ld, ls, t, r, s in out]


class _LineIndex:
    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


def _clip(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


# ---------------------------------------------------------------- files

def read_document(path: str | Path) -> str:
    """The file's text; CheckError if it is missing, too large or not UTF-8."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CheckError(f"{path}: {size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB")
        data = p.read_bytes()
    except OSError as exc:
        raise CheckError(f"{path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckError(f"{path}: not valid UTF-8 (byte {exc.start})") from None


def check_text(text: str, name: str = "<text>", model: str | None = None,
               timeout: float | None = DEFAULT_TIMEOUT) -> FileReport:
    """Verdicts for every relation of a document given as text."""
    return Checker(model, timeout).check_text(text, name)


def check_file(path: str | Path, model: str | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> FileReport:
    """Verdicts for every relation of a file; a FileReport with ``error`` if it cannot be read."""
    try:
        text = read_document(path)
    except CheckError as exc:
        return FileReport(str(path), (), str(exc))
    return check_text(text, str(path), model, timeout)


__all__ = ["check_text", "check_file", "FileReport", "Relation", "Checker", "split_document",
           "decide_equal", "decide_implies", "CheckError", "Unverifiable"]
