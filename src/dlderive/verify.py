"""Proofs of derivation steps in both forms, before anything is shown.

Scalar steps: both sides realized in the leaves (every definition substituted, SymPy's own
``diff`` evaluating each derivative) must reduce to zero, and agree at random points.
Vector steps: both sides realized as matrix expressions in the leaves (every definition substituted,
every Jacobian expanded by the rules) must be equal by ``matrices.prove``: symbolically where SymPy's
canonical matrix form decides it, and always on random matrices of consistent shapes at several sizes.
"""
from __future__ import annotations

import dataclasses

import sympy as sp

from . import matrices as mx
from . import proof
from .errors import ProofError
from .rules import RULES, Context, atoms, classify
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
            done[atom] = mx.tidy(new.xreplace({a: expand(a) for a in atoms(new)}))
        return done[atom]

    return mx.tidy(expr.xreplace({a: expand(a) for a in atoms(expr)}))


def realizer(model):
    """A function: a side of a step -> the same matrix in the leaves, with no opaque atom left."""
    leaves = {**model.full, **model.previous}
    depends = {s: frozenset(e.atoms(sp.MatrixSymbol)) for s, e in leaves.items()}
    ctx = Context(model.wrt, {}, depends)
    memo: dict = {}

    def realize(e):
        if e not in memo:
            memo[e] = full_jacobian(e.xreplace(model.full).xreplace(model.previous), ctx)
        return memo[e]
    return realize


def prove_vector_steps(steps, model) -> tuple[Step, ...]:
    realize = realizer(model)
    out = []
    for step in steps:
        try:
            how = mx.prove(realize(step.lhs), realize(step.rhs))
        except ProofError as exc:
            raise ProofError(f"vector step not proven ({step.rule}): {step.lhs} = {step.rhs}: {exc}") from None
        out.append(dataclasses.replace(step, proof=f"both sides in the inputs, {how}"))
    return tuple(out)
