"""Proofs of a loss-gradient derivation.

Once per cell and loss, the local rules: each equation's terms equal (∂q/∂v)ᵀ δq, exactly at hidden
size 1 (sympy.diff of the declared equation) and at random values of sizes (n, m, p) = (3, 2, 2)
against complex-step derivatives of that equation.  Then every step of the derivation: its printed
right side, evaluated, equals the δ the proven rules give, at two random points; the δ of every
state at every step, and the result, agree with complex-step derivatives of the unrolled loss.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import sympy as sp

from ..cells import at, timed
from ..errors import ProofError
from ..matrices import numeric
from ..memo import cached
from .losses import get_loss
from .plan import (Plan, backward, compiled_plan, delta_name, forward, kind, leaves, loss_value, output_base, plan,
                   prob_base, shifted, term_value)

STEP = 1e-30


def _random_env(p: Plan, names, sizes: dict, rng) -> dict:
    out = {}
    for name in names:
        k = kind(p.kinds, name)
        out[name] = rng.uniform(-1.0, 1.0, tuple(sizes[d] for d in k[1:]))
    return out


def _targets(p: Plan, sizes: dict, rng, T: int) -> dict:
    """Targets y: any vector for the squared error, a probability vector for cross-entropy."""
    out = {}
    for j in range(T):
        y = rng.uniform(0.0, 1.0, sizes["p"])
        out[shifted("y_t", j)] = y / y.sum() if p.loss == "softmax_ce" else 2 * y - 1
    return out


@cached
def local_rules(cell_name: str, loss: str) -> str:
    """Prove each equation's terms (its vector-Jacobian products); the proof's description."""
    p, c = plan(cell_name, loss), compiled_plan(cell_name, loss)
    cell = p.cell
    for ident, expr in cell.equations:
        q = at(*timed(ident))
        dq = sp.Symbol(delta_name(ident), real=True)
        mine = [t for t in p.terms if t.via == ident]
        pre = p.pre.get(q)
        for v in {t.target for t in mine} | expr.free_symbols:
            total = sp.S.Zero
            for t in mine:
                if t.target != v:
                    continue
                value = t.outer * t.inner * (t.matrix if t.matrix is not None else 1) * \
                    (t.vector if t.vector is not None else 1) * t.source
                total += value.xreplace({pre[0]: pre[1] * dq} if pre else {})
            expected = sp.diff(expr, v) * dq
            difference = (total.xreplace({q: expr}) - expected)
            if sp.expand(difference) != 0 and sp.simplify(difference) != 0:
                raise ProofError(f"local rule of {ident} by {v} not proven: {total} ≠ {expected}")
    rng = np.random.default_rng(7)
    sizes = {"n": 3, "m": 2, "p": 2}
    names = [s.name for s in cell.parameters] + [f"{b}_t" for b in cell.inputs] + [shifted(f"{s}_t", 1) for s in cell.states]
    env = _random_env(p, names, sizes, rng)
    for ident, expr in cell.equations:  # forward one step, then each equation's rule at random δ
        env[ident] = c.fns[ident](env)
    for ident, expr in cell.equations:
        q = at(*timed(ident))
        mine = [t for t in p.terms if t.via == ident]
        e2 = dict(env)
        e2[delta_name(ident)] = rng.uniform(-1, 1, np.shape(env[ident]))
        if q in p.pre:
            sym, coefficient = p.pre[q]
            e2[sym.name] = c.fns[coefficient](e2) * e2[delta_name(ident)]
        for v in {t.target for t in mine}:
            got = sum(term_value(c, t, e2) for t in mine if t.target == v)
            want = np.zeros(np.shape(env[v.name]))
            flat = want.reshape(-1)
            for i in range(flat.size):
                e3 = {k: np.array(val, dtype=complex) for k, val in env.items()}
                e3[v.name].reshape(-1)[i] += 1j * STEP
                flat[i] = np.imag(np.sum(e2[delta_name(ident)] * c.fns[ident](e3))) / STEP
            if np.max(np.abs(got - want)) > 1e-12 * max(1.0, np.max(np.abs(want))):
                raise ProofError(f"local rule of {ident} by {v} not proven at sizes {sizes}")
    s = rng.uniform(-1, 1, 4)
    y = rng.uniform(0, 1, 4)
    y = y / y.sum()
    lossdef = get_loss(loss)
    want = np.array([np.imag(lossdef.value(s + 1j * STEP * np.eye(4)[i], y)) / STEP for i in range(4)])
    if np.max(np.abs(lossdef.grad(s, y) - want)) > 1e-12:
        raise ProofError(f"the gradient of the loss {loss} not proven")
    return ("local rules: sympy.diff of each declared equation at hidden size 1, complex-step "
            "derivatives of each equation at sizes n=3, m=2, p=2")


@dataclasses.dataclass
class World:
    sizes: dict
    env: dict
    values: dict
    delta: dict
    grad: object


def _world(p: Plan, T: int, sizes: dict, seed: int, weight: str) -> World:
    c = compiled_plan(p.cell.name, p.loss)
    rng = np.random.default_rng(seed)
    names = [n for n in leaves(p.cell, T) if timed(n) is None or timed(n)[0] != "y"]
    env = {**_random_env(p, names, sizes, rng), **_targets(p, sizes, rng, T)}
    values = forward(c, env, T)
    delta, grads = backward(c, values, T, [weight])
    for j in range(T):
        if p.loss == "softmax_ce":
            s = values[shifted(f"{_out(p)}_t", j)]
            e = np.exp(s - np.max(s))
            values[shifted(f"{_prob(p)}_t", j)] = e / e.sum()
    return World(sizes, env, {**values, **delta}, delta, grads[weight])


def _out(p):
    return output_base(p.cell)


def _prob(p):
    return prob_base(p.cell)


def complex_step(p: Plan, w: World, T: int, name: str, j_start: int | None = None):
    """∂L/∂name by complex-step differentiation of the unrolled loss (name a leaf or any quantity)."""
    c = compiled_plan(p.cell.name, p.loss)
    size = int(np.size(w.values[name]))
    out = np.zeros(size)
    for i in range(size):
        if name in w.env:
            env = {k: np.array(v, dtype=complex) for k, v in w.env.items()}
            env[name].reshape(-1)[i] += 1j * STEP
            values = forward(c, env, T)
        else:
            def override(n, v, i=i):
                if n != name:
                    return v
                v = np.array(v, dtype=complex)
                v.reshape(-1)[i] += 1j * STEP
                return v
            values = forward(c, dict(w.values), T, override, start=j_start)
        out[i] = np.imag(loss_value(c, values, T)) / STEP
    return out.reshape(np.shape(w.values[name]))


def directional(p: Plan, w: World, T: int, directions: dict) -> float:
    """Σ_q r_qᵀ ∂L/∂q over the quantities q (at any steps) of ``directions`` (name -> r_q): one
    complex step of the unrolled loss with every q perturbed at once, q + iε r_q as it is computed.
    To first order the perturbations add, so this is one forward pass whatever the number of steps."""
    c = compiled_plan(p.cell.name, p.loss)

    def override(n, v):
        return v + 1j * STEP * directions[n] if n in directions else v
    return float(np.imag(loss_value(c, forward(c, dict(w.env), T, override), T)) / STEP)


def _close(a, b) -> bool:
    a, b = np.asarray(a, dtype=float).reshape(-1), np.asarray(b, dtype=float).reshape(-1)
    return a.shape == b.shape and np.max(np.abs(a - b), initial=0) <= 1e-9 * max(1.0, np.max(np.abs(b), initial=0))


def _prove_state_deltas(p: Plan, worlds, T: int, deltas) -> None:
    """Every δ of a state at once: Σ_q r_qᵀ δq against one complex step of the unrolled loss in the
    random directions r_q, twice in each world (a wrong δq changes the sum unless r_q is special)."""
    deltas = list(deltas)
    for seed, w in enumerate(worlds):
        for draw in range(2):
            rng = np.random.default_rng(100 * seed + draw)
            r = {q: rng.uniform(-1, 1, np.shape(w.delta[d])) for d, q in deltas}
            want = sum(float(np.sum(r[q] * w.delta[d])) for d, q in deltas)
            if not _close(directional(p, w, T, r), want):
                raise ProofError("loss-gradient steps not proven: the δ's of the states disagree with "
                                 "complex-step derivatives of the unrolled loss")


def prove(p: Plan, F, steps, result, weight: str, T: int) -> tuple:
    local = local_rules(p.cell.name, p.loss)
    points = [{"n": 1, "m": 1, "p": 1}] * 2 if not F.vector else [{"n": 2, "m": 3, "p": 2}, {"n": 3, "m": 2, "p": 3}]
    worlds = [_world(p, T, sizes, seed, weight) for seed, sizes in enumerate(points)]
    at_sizes = "; ".join(", ".join(f"{k}={v}" for k, v in s.items()) for s in points)
    states = set(p.cell.states)
    out, of_states = [], {}
    for step in steps:
        if step.rule == "definition":
            out.append(dataclasses.replace(step, proof="definition"))
            continue
        name = step.lhs.name
        for w in worlds:
            if not _close(numeric(step.rhs, w.values, w.sizes), w.delta[name]):
                raise ProofError(f"loss-gradient step not proven: {name} = {step.rhs}")
        base, j = timed(name)
        if base.startswith("delta") and base[5:] in states:
            of_states[len(out)] = (name, shifted(f"{base[5:]}_t", j))
        out.append(dataclasses.replace(step, proof=f"{local}; the chain rule over the unrolled graph, its printed "
                                                    f"sum evaluated at 2 random points ({at_sizes})"))
    _prove_state_deltas(p, worlds, T, of_states.values())
    for i, (name, quantity) in of_states.items():
        out[i] = dataclasses.replace(out[i], proof=out[i].proof + (
            f"; with the δ of every state at every step, Σ rᵀδ equals the complex-step derivative of the "
            f"unrolled loss with {quantity} and the other states perturbed in random directions r"))
    for w in worlds:
        if not _close(numeric(result.rhs, w.values, w.sizes), w.grad):
            raise ProofError(f"loss gradient not proven: ∂L/∂{weight} = {result.rhs}")
        if not _close(complex_step(p, w, T, weight), w.grad):
            raise ProofError(f"loss gradient not proven: ∂L/∂{weight} disagrees with the unrolled loss")
    out.append(dataclasses.replace(result, proof=f"the sum evaluated equals complex-step derivatives of the "
                                                 f"unrolled loss at 2 random points ({at_sizes})"))
    return tuple(out)
