"""The prover: a step is shown only if the difference of its sides reduces to zero and a numeric
check at random points agrees.  ``prove`` returns the step with the method that proved it."""
from __future__ import annotations

import dataclasses
import math
import random
from typing import Callable

import sympy as sp

from .errors import ProofError
from .steps import Step

Realize = Callable[[sp.Basic], sp.Basic]
SMALL = 400  # operation count up to which a general simplification is affordable


def _identity(expr: sp.Basic) -> sp.Basic:
    return expr


def reduces_to_zero(diff: sp.Expr) -> str | None:
    """Name of the targeted rewrite that takes ``diff`` to zero, or None."""
    if diff == 0:
        return "exact"
    rewrites = (("expand", sp.expand), ("cancel", lambda e: sp.cancel(sp.together(e))))
    for name, rewrite in rewrites:
        if rewrite(diff) == 0:
            return name
    if diff.has(sp.exp) or any(f.func.__name__ == "sigmoid" for f in diff.atoms(sp.Function)):
        as_exp = sp.expand(diff.rewrite(sp.exp))
        if sp.cancel(sp.together(as_exp)) == 0:
            return "rewrite as exp"
        if sp.count_ops(as_exp) <= SMALL and sp.simplify(as_exp) == 0:
            return "simplify"
    if sp.count_ops(diff) <= SMALL and sp.simplify(diff) == 0:
        return "simplify"
    return None


def numeric_agrees(diff: sp.Expr, points: int = 3, seed: int = 0, digits: int = 30) -> bool:
    """True if ``diff`` vanishes, to 10^-(digits-10), at random real points in [-1.5, 1.5]."""
    symbols = sorted(diff.free_symbols, key=str)
    rng = random.Random(seed)
    for _ in range(points if symbols else 1):
        value = diff.xreplace({s: sp.Float(rng.uniform(-1.5, 1.5), digits) for s in symbols}).evalf(digits)
        if not value.is_number:
            return False
        magnitude = abs(complex(value))
        if not math.isfinite(magnitude) or magnitude > 10.0 ** (10 - digits):
            return False
    return True


def prove(step: Step, realize: Realize = _identity) -> Step:
    """Prove ``step`` (scalar or numeric) after ``realize`` gives both sides meaning; raise if it fails."""
    lhs, rhs = realize(step.lhs), realize(step.rhs)
    diff = sp.sympify(lhs - rhs).doit()
    method = reduces_to_zero(diff)
    if method is None or not numeric_agrees(diff):
        raise ProofError(f"step not proven ({step.rule}): {step.lhs} = {step.rhs}")
    return dataclasses.replace(step, proof=f"{method}; numeric check at 3 points")


def prove_all(steps, realize: Realize = _identity) -> tuple[Step, ...]:
    return tuple(prove(s, realize) for s in steps)
