"""Proofs of derivation steps in both forms, before anything is shown.

Scalar steps: both sides realized in the leaves (every definition substituted, SymPy's own
``diff`` evaluating each derivative) must reduce to zero, and agree at random points.
Vector steps: both sides realized as sums of diag(v) M must have equal coefficients of every
matrix product, and agree numerically (complex-step Jacobians) at random sizes.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import sympy as sp

from . import proof
from .errors import ProofError
from .functions import Jacobian, Prime
from .jacobian import atomize, evaluate_primes, numeric, random_env, terms
from .rules import RULES, Context, classify
from .steps import Step


def prove_scalar_steps(steps, realization=()) -> tuple[Step, ...]:
    """``realization``: substitutions applied in order before SymPy evaluates the derivatives."""
    def realize(e):
        for mapping in realization:
            e = e.xreplace(mapping)
        return e.doit()
    return proof.prove_all(steps, realize)


def full_jacobian(expr: sp.Basic, ctx: Context) -> sp.Basic:
    """Every Jacobian and f' atom of ``expr`` expanded by the rules, in the leaves."""
    done: dict = {}

    def expand(atom):
        if atom not in done:
            new = RULES[classify(atom, ctx)].apply(atom, ctx)
            done[atom] = new.xreplace({a: expand(a) for a in new.atoms(Jacobian, Prime)})
        return done[atom]

    return expr.xreplace({a: expand(a) for a in expr.atoms(Jacobian, Prime)})


def _realizer(model):
    kinds = model.kinds()
    leaves = {**model.full, **model.previous}
    depends = {s: frozenset(e.free_symbols) for s, e in leaves.items()}
    ctx = Context(model.wrt, {}, depends, kinds)

    def realize(e):
        return full_jacobian(e.xreplace(model.full).xreplace(model.previous), ctx)
    return realize, leaves, kinds


def structurally_zero(diff: sp.Basic, kinds: dict) -> bool:
    """True if every matrix product in ``diff`` has a coefficient that reduces to zero."""
    groups: dict = {}
    for skeleton, slots in terms(diff):
        groups.setdefault((skeleton, slots[1:]), []).append(slots[0])
    for leads in groups.values():
        lead, _ = atomize(sp.Add(*leads), kinds)
        if proof.reduces_to_zero(lead) is None:
            return False
    return True


SIZES = ((3, 2), (1, 1), (4, 3))
"""(hidden, input) sizes of the numeric check of vector steps."""


def prove_vector_steps(steps, model, seed: int = 0) -> tuple[Step, ...]:
    realize_once, leaves, kinds = _realizer(model)
    memo: dict = {}
    values: dict = {}

    def realize(e):
        if e not in memo:
            memo[e] = evaluate_primes(realize_once(e))
        return memo[e]

    names = sorted({s.name for step in steps for e in (step.lhs, step.rhs) for s in realize(e).free_symbols})
    rng = np.random.default_rng(seed)
    envs = [random_env(names, kinds, n, m, rng) for n, m in SIZES]

    def value(e, k):
        if (e, k) not in values:
            values[e, k] = numeric(realize(e), envs[k], kinds)
        return values[e, k]

    def numerically_zero(step):
        return all(np.allclose(value(step.lhs, k), value(step.rhs, k), rtol=1e-9, atol=1e-12)
                   for k in range(len(SIZES)))

    out = []
    for step in steps:
        lhs_n, rhs_n = realize(step.lhs), realize(step.rhs)
        if not structurally_zero(lhs_n - rhs_n, kinds):
            raise ProofError(f"vector step not proven ({step.rule}): {step.lhs} = {step.rhs}")
        if not numerically_zero(step):
            raise ProofError(f"vector step fails the numeric check ({step.rule}): {step.lhs} = {step.rhs}")
        out.append(dataclasses.replace(step, proof="matrix coefficients reduce to zero; numeric check at sizes 1, 3, 4"))
    return tuple(out)
