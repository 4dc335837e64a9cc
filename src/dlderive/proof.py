"""The prover: a step is shown only if the difference of its sides reduces to zero and a numeric
check at random points agrees.  ``prove`` returns the step with the method that proved it."""
from __future__ import annotations

import dataclasses
import math
import random
from typing import Callable

import sympy as sp

from .errors import ProofError
from .functions import EXP_LIKE
from .steps import Step

Realize = Callable[[sp.Basic], sp.Basic]
SMALL = 400  # operation count up to which a general simplification is affordable


def _identity(expr: sp.Basic) -> sp.Basic:
    return expr


def reduces_to_zero(diff: sp.Expr, small: Callable[[sp.Expr], bool] = lambda e: sp.count_ops(e) <= SMALL) -> str | None:
    """Name of the targeted rewrite that takes ``diff`` to zero, or None; a general ``simplify`` is
    tried only on expressions that ``small`` accepts."""
    if diff == 0:
        return "exact"
    if sp.expand(diff) == 0:
        return "expand"
    if sp.cancel(sp.together(diff)) == 0:
        return "cancel"
    if diff.has(*EXP_LIKE):
        as_exp = sp.expand(diff.rewrite(sp.exp))
        if as_exp == 0 or sp.cancel(sp.together(as_exp)) == 0:
            return "rewrite as exp, cancel"
        if small(as_exp) and sp.simplify(as_exp) == 0:
            return "simplify"
    if small(diff) and sp.simplify(diff) == 0:
        return "simplify"
    return None


def _point(symbols, i: int, digits: int) -> dict:
    """Random point number ``i``: each symbol's value depends on its name only, so that values
    of the same expression computed for different steps are the same and can be shared."""
    return {x: sp.Float(random.Random(f"{x.name}/{i}").uniform(-1.5, 1.5), digits) for x in symbols}


class Prover:
    """Proves the steps of one derivation; realizes and evaluates each expression only once
    (in a chain, a step's right side is the next step's left side)."""

    def __init__(self, realize: Realize = _identity, points: int = 3, digits: int = 30):
        self.realize_once, self.points, self.digits = realize, points, digits
        self._real: dict = {}
        self._values: dict = {}

    def realized(self, expr: sp.Basic) -> sp.Basic:
        if expr not in self._real:
            self._real[expr] = sp.sympify(self.realize_once(expr)).doit()
        return self._real[expr]

    def value(self, expr: sp.Basic, i: int) -> complex | None:
        """The realized ``expr`` at random point ``i``, or None if it is not a finite number."""
        key = (expr, i)
        if key not in self._values:
            real = self.realized(expr)
            v = real.xreplace(_point(real.free_symbols, i, self.digits)).evalf(self.digits)
            self._values[key] = complex(v) if v.is_number and math.isfinite(abs(complex(v))) else None
        return self._values[key]

    def numeric_agrees(self, step: Step) -> bool:
        """Both sides agree to 10^-(digits-10), relatively, at every random point."""
        tol = 10.0 ** (10 - self.digits)
        for i in range(self.points):
            a, b = self.value(step.lhs, i), self.value(step.rhs, i)
            if a is None or b is None or abs(a - b) > tol * max(1.0, abs(a), abs(b)):
                return False
        return True

    def prove(self, step: Step) -> Step:
        """``step`` with the method that proved it; ProofError if it does not hold."""
        diff = (self.realized(step.lhs) - self.realized(step.rhs)).doit()
        method = reduces_to_zero(diff)
        if method is None or not self.numeric_agrees(step):
            raise ProofError(f"step not proven ({step.rule}): {step.lhs} = {step.rhs}")
        return dataclasses.replace(step, proof=f"{method}; numeric check at {self.points} points")


def prove(step: Step, realize: Realize = _identity) -> Step:
    """Prove ``step`` (scalar or numeric) after ``realize`` gives both sides meaning; raise if it fails."""
    return Prover(realize).prove(step)


def prove_all(steps, realize: Realize = _identity) -> tuple[Step, ...]:
    prover = Prover(realize)
    return tuple(prover.prove(s) for s in steps)
