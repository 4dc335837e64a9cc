"""Numbers substituted into a formula without evaluating it, and the proven chain of steps to its value."""
from __future__ import annotations

import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

from ..proof import prove
from ..steps import Derivation, Step
from .formulas import over

def _rebuild(expr, args):
    """``expr.func(*args)`` without evaluation (Piecewise pairs and conditions included)."""
    if isinstance(expr, sp.Mul) and len(args) > 1 and args[0] == -1 and args[1].is_Integer:
        args = [sp.Integer(-args[1])] + list(args[2:])  # −1·2·(…) reads as −2·(…)
        if len(args) == 1:
            return args[0]
    if isinstance(expr, ExprCondPair):
        return ExprCondPair(*args)
    return expr.func(*args, evaluate=False)


def _walk(expr, replace):
    """Rebuild ``expr`` bottom-up, unevaluated; ``replace(e)`` returns a substitute or None."""
    new = replace(expr)
    if new is not None:
        return new
    if not expr.args or expr.is_Atom:
        return expr
    return _rebuild(expr, [_walk(a, replace) for a in expr.args])


def plug(expr, values):
    """``expr`` with symbols replaced by numbers, nothing evaluated (so the arithmetic shows)."""
    def replace(e):
        if e in values:
            v = values[e]
            return sp.Integer(v) if isinstance(v, int) else v
    return _walk(expr, replace)


def realizer(values):
    subs = {s: sp.Integer(v) for s, v in values.items()}
    return lambda e: e.doit().xreplace(subs)  # evaluate the shown tree before substituting into it


def _quotient(e):
    """floor/ceiling of a number shown as ⌊num/den⌋."""
    if isinstance(e, (sp.floor, sp.ceiling)):
        q = sp.Rational(e.args[0].doit())
        shown = over(sp.Integer(q.p), sp.Integer(q.q)) if q.q != 1 else sp.UnevaluatedExpr(sp.Integer(q.p))
        return e.func(shown, evaluate=False)


def _rounded(e):
    if isinstance(e, (sp.floor, sp.ceiling)):
        return sp.Integer(e.doit())


def chain(name, title, lhs, formula, values):
    """Proven steps lhs = formula = (numbers) = (quotients) = (rounded) = value."""
    realize = realizer(values)
    defs = {lhs: formula}

    def define(e):
        return realize(e.xreplace(defs).doit().xreplace(defs))

    plugged = plug(formula, values)
    quotients = _walk(plugged, _quotient)
    value = sp.Integer(plugged.doit())
    candidates = [(plugged, "substitution"), (quotients, "arithmetic"),
                  (_walk(quotients, _rounded), "ceil" if plugged.has(sp.ceiling) else "floor"),
                  (value, "ceil_mode" if plugged.has(sp.Piecewise) else "arithmetic")]
    steps = [prove(Step(lhs, formula, "formula", "definition"), define)]
    previous = formula
    for expr, rule in candidates:
        if expr == previous:
            continue
        steps.append(prove(Step(previous, expr, rule), realize))
        previous = expr
    return Derivation(name=name, form="numeric", title=title, steps=tuple(steps),
                      definitions=dict(defs), result=Step(lhs, value, "result")), int(value)
