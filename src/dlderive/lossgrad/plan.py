"""The backward pass of a declared cell as data: one step's local rules (vector-Jacobian products),
read off the equations, and their execution in NumPy over T unrolled steps.

Each equation q = f(arg) gives δa_q = f'(arg) ∘ δq (its pre-activation), and each argument v of
arg (or of q itself) a ``Term``: δv += outer ∘ (Mᵀ (inner ∘ δsource)), or, for a weight matrix
M, ∂L/∂M += c (inner ∘ δsource) wᵀ.  δ of a quantity is the sum of the terms of its consumers:
the equations of its own step, those of the next step (for a state), the output layer (for h).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..cells import Cell, at, get_cell, param, timed
from ..evaluator import compile_vector
from ..functions import prime
from ..evaluator import atomize, split_matvec
from ..memo import cached
from ..notation import time_offset_name
from .losses import get_loss

OUTPUT_WEIGHT, OUTPUT_BIAS, TARGET = "V", "b_y", "y"


def delta_name(name: str) -> str:
    """δ of a timed quantity: ``f_prev`` -> ``deltaf_prev``."""
    base, k = timed(name)
    return time_offset_name("delta" + base, k)


def pre_name(name: str) -> str:
    """δ of the pre-activation of quantity ``name``: ``f_t`` -> ``deltaaf_t``."""
    base, k = timed(name)
    return time_offset_name("deltaa" + base, k)


def output_base(cell: Cell) -> str:
    used = {timed(n)[0] for n in cell.symbols if timed(n)}
    return next(b for b in ("s", "q", "o", "v", "ss") if b not in used)


def prob_base(cell: Cell) -> str:
    """The name of softmax(s): p, unless the cell uses it."""
    used = {timed(n)[0] for n in cell.symbols if timed(n)} | {output_base(cell)}
    return next(b for b in ("p", "pr", "prob") if b not in used)


@dataclass(frozen=True)
class Term:
    """One contribution to δtarget from δsource: outer ∘ (Mᵀ (inner ∘ δsource)) (M = None: no matrix);
    with ``vector`` w set, the contribution c (inner ∘ δsource) wᵀ to the gradient of a matrix (outer = c)."""

    target: sp.Symbol
    source: sp.Symbol
    outer: sp.Expr
    matrix: sp.Symbol | None
    inner: sp.Expr
    vector: sp.Expr | None = None
    via: str = ""  # the equation it comes from


@dataclass(frozen=True)
class Plan:
    cell: Cell
    loss: str
    kinds: dict
    terms: tuple  # local terms, names at the consumer's step
    pre: dict  # quantity symbol -> (pre-activation δ symbol, coefficient f'(arg) in named quantities)
    output: sp.Symbol  # s_t

    def into(self, target: sp.Symbol) -> list:
        return [t for t in self.terms if t.target == target]

    @property
    def order(self) -> list:
        """The quantities of one step, last computed first (the order of the backward pass)."""
        return [at(*timed(i)) for i, _ in reversed(self.cell.equations)]


def kinds_of(cell: Cell) -> dict:
    out = {n: cell.kind(n) for n in cell.symbols}
    base = output_base(cell)
    out.update({OUTPUT_WEIGHT: ("matrix", "p", "n"), OUTPUT_BIAS: ("vector", "p")})
    out.update({f"{TARGET}_t": ("vector", "p"), f"{base}_t": ("vector", "p"), f"{prob_base(cell)}_t": ("vector", "p")})
    return out


def kind(kinds: dict, name: str) -> tuple:
    """The kind of any name of the unrolled loss: a quantity at any step, a δ, a weight."""
    if name in kinds:
        return kinds[name]
    t = timed(name)
    if t is None:
        return ("vector", "n")
    base = t[0]
    if base.startswith("delta"):
        rest = base[5:]
        if rest.startswith("a") and f"{rest[1:]}_t" in kinds:  # δ of a pre-activation: its quantity's shape
            return kinds[f"{rest[1:]}_t"]
        return kind(kinds, f"{rest}_t")
    return kinds.get(f"{base}_t", ("vector", "p") if base == TARGET else ("vector", "n"))


@cached
def plan(cell_name: str, loss: str) -> Plan:
    cell = get_cell(cell_name)
    get_loss(loss)
    kinds = kinds_of(cell)
    h, s = at(cell.hidden), at(output_base(cell))
    ds = sp.Symbol(delta_name(s.name), real=True)
    V = param(OUTPUT_WEIGHT)
    terms = [Term(h, ds, sp.S.One, V, sp.S.One, via="output"),
             Term(V, ds, sp.S.One, None, sp.S.One, h, via="output"),
             Term(param(OUTPUT_BIAS), ds, sp.S.One, None, sp.S.One, via="output")]
    pre = {}
    for ident, expr in cell.equations:
        q = at(*timed(ident))
        source = sp.Symbol(delta_name(ident), real=True)
        arg = expr
        if isinstance(expr, sp.Function) and len(expr.args) == 1 and not isinstance(expr.args[0], sp.Symbol):
            arg = expr.args[0]
            coefficient = prime(expr.func)(arg).doit().xreplace({expr: q})
            source_pre = sp.Symbol(pre_name(ident), real=True)
            pre[q] = (source_pre, coefficient)
            source = source_pre
        terms += _local_terms(arg, source, kinds, ident)
    return Plan(cell, loss, kinds, tuple(terms), pre, s)


def _local_terms(arg: sp.Expr, source: sp.Symbol, kinds: dict, via: str) -> list:
    body, back = atomize(arg, kinds)
    out = []
    for v in sorted(body.free_symbols, key=str):
        partial = sp.diff(body, v).xreplace(back)
        if partial == 0:
            continue
        if v in back:
            c, M, w = split_matvec(back[v], kinds)
            out.append(Term(M, source, c, None, partial, w, via))
            for leaf in sorted(w.free_symbols, key=str):
                dw = sp.diff(w, leaf)
                if dw != 0:
                    out.append(Term(leaf, source, c * dw, M, partial, via=via))
        else:
            out.append(Term(v, source, partial, None, sp.S.One, via=via))
    return out


# ----------------------------------------------------------------------------- numbers
def shifted(name: str, j: int) -> str:
    t = timed(name)
    return time_offset_name(t[0], t[1] + j) if t else name


class Compiled:
    """The plan's expressions compiled once (NumPy; complex-safe for complex-step checks)."""

    def __init__(self, p: Plan):
        self.plan = p
        self.fns = {}
        for ident, expr in p.cell.equations:
            self.fns[ident] = compile_vector(expr, p.kinds)[0]
        for e in [t.outer for t in p.terms] + [t.inner for t in p.terms] + [t.vector for t in p.terms if t.vector is not None] \
                + [c for _, c in p.pre.values()]:
            if e not in self.fns:
                self.fns[e] = compile_vector(e, p.kinds)[0] if e.free_symbols else (lambda env, v=complex(e).real: v)


@cached
def compiled_plan(cell_name: str, loss: str) -> Compiled:
    return Compiled(plan(cell_name, loss))


def leaves(cell: Cell, T: int) -> list[str]:
    """The inputs of the loss over T steps: weights, V, b_y, x and y at every step, initial states."""
    out = [p.name for p in cell.parameters] + [OUTPUT_WEIGHT, OUTPUT_BIAS]
    out += [time_offset_name(b, j) for j in range(T) for b in cell.inputs]
    out += [time_offset_name(TARGET, j) for j in range(T)]
    out += [time_offset_name(s, T) for s in cell.states]
    return out


def forward(c: Compiled, env: dict, T: int, override=None, start: int | None = None) -> dict:
    """Every quantity at every step, oldest first; ``override(name, value)`` may change a value;
    from step t-``start`` on only, when the values of the older steps are in ``env``."""
    cell = c.plan.cell
    env = dict(env)
    base = output_base(cell)
    local_leaves = [time_offset_name(b, 0) for b in cell.inputs] + [time_offset_name(s, 1) for s in cell.states]
    params = [q.name for q in cell.parameters]
    for j in range(T - 1 if start is None else start, -1, -1):
        local = {q: env[q] for q in params}
        for n in local_leaves:
            local[n] = env[shifted(n, j)]
        for ident, _ in cell.equations:
            value = c.fns[ident](local)
            name = shifted(ident, j)
            if override is not None:
                value = override(name, value)
            local[ident] = env[name] = value
        h = env[shifted(time_offset_name(cell.hidden, 0), j)]
        s = env[OUTPUT_WEIGHT] @ h + env[OUTPUT_BIAS]
        env[time_offset_name(base, j)] = override(time_offset_name(base, j), s) if override else s
    return env


def loss_value(c: Compiled, env: dict, T: int) -> complex:
    loss = get_loss(c.plan.loss)
    base = output_base(c.plan.cell)
    return sum(loss.value(env[time_offset_name(base, j)], env[time_offset_name(TARGET, j)]) for j in range(T))


def term_value(c: Compiled, t: Term, env: dict):
    """outer ∘ (Mᵀ (inner ∘ δsource)), or c (inner ∘ δsource) wᵀ, at ``env``."""
    inner = c.fns[t.inner](env) * env[t.source.name]
    if t.vector is not None:
        return c.fns[t.outer](env) * np.outer(inner, c.fns[t.vector](env))
    if t.matrix is not None:
        inner = env[t.matrix.name].T @ inner
    return c.fns[t.outer](env) * inner


def local_env(values: dict, names, j: int) -> dict:
    return {n: values[shifted(n, j)] for n in names if shifted(n, j) in values}


def backward(c: Compiled, values: dict, T: int, wanted=()) -> dict:
    """δ of every quantity at every step (names ``delta<q>_<time>``), and ∂L/∂P for the parameters
    and timed leaves in ``wanted`` (under their own names, prefixed ``grad:``)."""
    p, cell = c.plan, c.plan.cell
    loss = get_loss(p.loss)
    delta = {}
    grads = {w: None for w in wanted}
    base = output_base(cell)
    local_names = set(p.kinds) | {time_offset_name(s, 1) for s in cell.states}

    def value_of(t: Term, env):
        return term_value(c, t, env)

    def add(name, v):
        if name in grads:
            grads[name] = v if grads[name] is None else grads[name] + v

    incoming: dict = {}  # local target at step j -> contributions from step j - 1
    for j in range(T):
        env = local_env(values, local_names, j)
        ds_name = delta_name(time_offset_name(base, 0))
        env[ds_name] = loss.grad(values[time_offset_name(base, j)], values[time_offset_name(TARGET, j)])
        delta[shifted(ds_name, j)] = env[ds_name]
        for q in [at(cell.hidden)] + p.order:
            dq = delta_name(q.name)
            if dq in env:
                continue
            total = incoming.get(q.name, 0)
            for t in p.into(q):
                total = total + value_of(t, env)
            env[dq] = total + np.zeros_like(env[q.name])
            delta[shifted(dq, j)] = env[dq]
            if q in p.pre:
                sym, coefficient = p.pre[q]
                env[sym.name] = c.fns[coefficient](env) * env[dq]
                delta[shifted(sym.name, j)] = env[sym.name]
        incoming = {}
        for t in p.terms:
            name = t.target.name
            tt = timed(name)
            if tt is None:
                if name in grads:
                    add(name, value_of(t, env))
            elif tt[1] == 1:
                incoming[time_offset_name(tt[0], 0)] = incoming.get(time_offset_name(tt[0], 0), 0) + value_of(t, env)
                add(shifted(name, j), value_of(t, env)) if shifted(name, j) in grads else None
            elif tt[0] in cell.inputs and shifted(name, j) in grads:
                add(shifted(name, j), value_of(t, env))
    for w, v in grads.items():
        if v is None:
            grads[w] = np.zeros_like(values[w])
    return delta, grads
