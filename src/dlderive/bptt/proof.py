"""Proofs of the steps through time: both sides agree with complex-step derivatives of the unrolled cell."""
from __future__ import annotations

import dataclasses
from collections import ChainMap

import numpy as np
import sympy as sp

from .. import matrices as mx
from ..cells import Cell, shift, timed
from ..errors import ProofError
from ..functions import Jacobian
from ..matrices import MatrixPartial
from ..notation import time_offset_name
from ..steps import Step
from .blocks import one_step_blocks, stack_base
from .unrolled import Unrolled, random_unrolled


def _value(expr, u: Unrolled, stack: str, cache: dict):
    """The value of a step's side: derivative atoms from the unrolled cell, the rest by ``numeric``."""
    if isinstance(expr, (sp.MatrixBase, sp.BlockMatrix)):
        rows = (expr.blocks if isinstance(expr, sp.BlockMatrix) else expr).tolist()
        return np.block([[_block(_value(e, u, stack, cache), u.n) for e in row] for row in rows])
    atoms = [a for a in expr.atoms(Jacobian, sp.Derivative, MatrixPartial)]
    mapping, placeholders = {}, {}
    for a in atoms:
        key = (a.args[0].name, a.variables[0].name if isinstance(a, sp.Derivative) else a.args[1].name)
        if key not in cache:
            cache[key] = u.jacobian(key[0], key[1], stack)
        name = f"J{len(mapping)}_"
        mapping[a] = (sp.MatrixSymbol(name, *a.shape) if isinstance(a, MatrixPartial)
                      else sp.Symbol(name, commutative=not isinstance(a, Jacobian)))
        placeholders[name] = cache[key]
    m = np.shape(u.values[time_offset_name(u.cell.inputs[0], 0)])[0]
    return mx.numeric(expr.xreplace(mapping), ChainMap(placeholders, u.values), {"n": u.n, "m": m})


def _block(v, n: int) -> np.ndarray:
    v = np.asarray(v)
    if v.ndim == 0:
        return v * np.eye(n)
    return np.diag(v) if v.ndim == 1 else v


class ProvenPartials:
    """One-step partial derivative atom at step t-j -> its proven result read j steps back (lazily)."""

    def __init__(self, cell: Cell, form: str):
        self.blocks = one_step_blocks(cell, form)
        self.done: dict = {}

    def result(self, atom):
        if atom not in self.done:
            self.done[atom] = None
            y, x = atom.args[0], atom.variables[0] if isinstance(atom, sp.Derivative) else atom.args[1]
            (r, j), (q, i) = timed(y.name), timed(x.name)
            if i == j + 1 and (r, q) in self.blocks:
                self.done[atom] = shift(self.blocks[r, q][0], j)
        return self.done[atom]

    def substitute(self, expr):
        mapping = {a: self.result(a) for a in expr.atoms(Jacobian, sp.Derivative, MatrixPartial)}
        return expr.xreplace({a: v for a, v in mapping.items() if v is not None})


def _merged(e):
    """A product of diagonal factors as one diag: diag(a) diag(b) = diag(a ∘ b)."""
    factors = e.args if isinstance(e, sp.MatMul) else sp.Mul.make_args(e)
    if len(factors) > 1 and all(isinstance(f, mx.DiagMatrix) for f in factors):
        return mx.diag(mx.hadamard(*[f.args[0] for f in factors]))
    return e


def exactly_equal(lhs, rhs, partials: ProvenPartials) -> bool:
    """True if both sides, with the proven one-step results substituted, are the same expression
    (up to merging diagonal factors); sides with total derivatives or block matrices are left to
    the numeric check."""
    if any(isinstance(e, (sp.MatrixBase, sp.BlockMatrix)) for e in (lhs, rhs)):
        return False
    a, b = partials.substitute(lhs), partials.substitute(rhs)
    if any(e.has(Jacobian, sp.Derivative, MatrixPartial) for e in (a, b)):
        return False
    return a == b or _merged(a) == _merged(b)


def prove_steps(cell: Cell, steps, k: int, form: str) -> tuple[Step, ...]:
    """Each step's two sides agree, to rounding, with the unrolled cell (complex-step derivatives);
    where the proven one-step results make both sides the same expression, that is said too."""
    partials = ProvenPartials(cell, form)
    stack = stack_base(cell)
    sizes = ((1, 1), (1, 1)) if form == "scalar" else ((1, 1), (3, 2))  # two random points in each form
    worlds = [random_unrolled(cell, k, n, m, seed) for seed, (n, m) in enumerate(sizes)]
    caches = [{} for _ in worlds]
    out = []
    for step in steps:
        if isinstance(step.rhs, (sp.MatrixBase, sp.BlockMatrix)) and isinstance(step.lhs, (sp.Symbol, sp.MatrixSymbol)):
            out.append(dataclasses.replace(step, proof="definition of the stacked state"))
            continue
        for u, cache in zip(worlds, caches):
            a, b = _value(step.lhs, u, stack, cache), _value(step.rhs, u, stack, cache)
            a, b = _block(a, u.n), _block(b, u.n)
            scale = max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300)
            if a.shape != b.shape or np.max(np.abs(a - b)) > 1e-9 * scale:
                raise ProofError(f"through-time step not proven ({step.rule}): {step.lhs} = {step.rhs}")
        numeric_proof = (f"complex-step derivatives of the unrolled cell agree at {len(sizes)} random points "
                         f"(hidden sizes {', '.join(str(n) for n, _ in sizes)})")
        exact = "exact with the proven one-step results substituted; " if exactly_equal(step.lhs, step.rhs, partials) else ""
        out.append(dataclasses.replace(step, proof=exact + numeric_proof))
    return tuple(out)
