"""A cell's equations evaluated at given numbers: per target a symbolic line, a substitution line and the
value, each line checked numerically at 30 digits."""
from __future__ import annotations

import math

import sympy as sp

from ..errors import InternalError
from ..export.printer import Literal, in_print_order
from ..functions import MATH_FUNCTIONS
from ..steps import Derivation, Step


def evaluate(name: str, equations: dict, targets: list, values: dict, digits: int = 4) -> Derivation:
    """Per target: symbolic line, substitution line, value (``digits`` significant digits shown); each line
    checked numerically."""
    known = dict(values)  # symbol -> float, grows with each evaluated target
    steps = []
    for target in targets:
        for dependency in _order(equations, target):
            if dependency not in known:
                known[dependency] = _value(equations[dependency], known)
        expr = in_print_order(equations[target])
        with sp.evaluate(False):
            shown = expr.xreplace({s: Literal(known[s], digits) for s in expr.free_symbols})
        known[target] = _value(equations[target], known)
        steps += [Step(target, expr, "definition"), Step(expr, shown, "substitution"),
                  Step(shown, Literal(known[target], digits), "evaluation")]
        realize = {s: sp.Float(v, 30) for s, v in known.items()}
        for step in steps[-3:]:
            _check_numeric(step, realize)
    return Derivation(name=f"{name}.evaluate", form="numeric", title="gate activations", steps=tuple(steps),
                      definitions={s.name: e for s, e in equations.items()})


def _order(equations: dict, target) -> list:
    """The equations that ``target`` needs, dependencies first."""
    out = []

    def visit(s):
        for f in sorted(equations[s].free_symbols, key=str):
            if f in equations and f not in out:
                visit(f)
        if s not in out:
            out.append(s)
    visit(target)
    return out[:-1]


def _value(expr: sp.Expr, known: dict) -> float:
    symbols = sorted(expr.free_symbols, key=str)
    f = sp.lambdify(symbols, expr, modules=[MATH_FUNCTIONS, "math"])
    return float(f(*(known[s] for s in symbols)))


def _number_of(expr: sp.Basic, realize: dict) -> float:
    lits = {a: a.number for a in expr.atoms(Literal)}
    e = expr.xreplace(lits).xreplace(realize)
    return float(sp.N(e.rewrite(sp.exp), 30))


def _check_numeric(step: Step, realize: dict) -> None:
    lhs, rhs = _number_of(step.lhs, realize), _number_of(step.rhs, realize)
    if not math.isclose(lhs, rhs, rel_tol=1e-12, abs_tol=1e-12):
        raise InternalError(f"evaluation step {step.lhs} = {step.rhs} gives {lhs} != {rhs}")
