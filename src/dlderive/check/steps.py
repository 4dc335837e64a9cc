"""A gradient step computed from numbers (w_new = 1 - 0.1·(-4)): checked against the document's own gradient.

The update rule is usually stated in words ("one gradient step with a learning rate of 0.1"). A number
computed for w, or for a name made from w (w_new, w^+, w'), is the gradient step when it equals w - η g, with
w the value in force, η a learning rate the document states, and g the gradient of the loss by w at that
value that a chain of the document has established, every link of it valid (L'(1) = … = -4)."""
from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef

from ..reader import Decimal, exact
from .report import Verdict
from .scope import Unknown

_UPDATED = re.compile(r"(?:\+|plus|'|\*|_\{?\\?(?:text|mathrm)?\{?(?:new|next|updated)\}?\}?|_?(?:new|next))")
"""What makes a name the updated value of a parameter: w_new, w^{+}, w'."""
_LOSS_NAMES = frozenset(("L", "J", "E", "ell", "C", "calL", "calJ", "Loss", "loss", "cost"))


def _number(e) -> sp.Basic | None:
    """The exact value of an expression of numbers only, else None."""
    if not isinstance(e, sp.Basic):
        return None
    value = exact(e)
    if value.free_symbols or not value.is_number or value.atoms(Unknown):
        return None
    return sp.nsimplify(value) if value.is_Float else value


class GradientSteps:
    """The gradients the document has established with numbers, and the gradient steps taken with them."""

    def __init__(self):
        self.gradients: dict = {}  # parameter symbol -> (gradient value, the parameter's value then, line)
        self.chain = None  # [the variable whose gradient the chain computes, or None; all valid so far]

    def observe(self, step, verdict: Verdict, scope) -> None:
        """Follow a chain that starts with the loss's gradient by a parameter (∂L/∂w, L'(1)) at the value in
        force: a number it reaches with every link valid is that gradient."""
        if step.chain_start:
            self.chain = [_gradient_variable(step.a.expr, scope), True]
        if self.chain is None or self.chain[0] is None:
            return
        self.chain[1] = self.chain[1] and verdict == Verdict.VALID and step.rel == "="
        value = _number(step.b.expr)
        var = self.chain[0]
        if self.chain[1] and value is not None and var in scope.values:
            self.gradients[var] = (value, _number(scope.values[var]), step.line)

    def step_for(self, name: sp.Symbol, value, scope, rates: set) -> str | None:
        """The reason a number computed for ``name`` is a gradient step, or None if it is not one."""
        number = _number(value)
        if number is None:
            return None
        for var, (gradient, at, line) in self.gradients.items():
            if name != var and not (name.name.startswith(var.name) and _UPDATED.fullmatch(name.name[len(var.name):])):
                continue
            now = _number(scope.values.get(var))
            if now is None or now != at:
                continue
            for rate in sorted(rates | _rate_values(scope)):
                if rate > 0 and sp.simplify(number - (now - rate * gradient)) == 0:
                    return (f"a gradient step: {scope.shown(var)} - η·g with {scope.shown(var)} = {now}, "
                            f"η = {rate} (the learning rate stated) and g = {gradient}, the gradient found on "
                            f"line {line}")
        return None


def _rate_values(scope) -> set:
    """Values the document gives to a learning rate written as a name: η, α, lr."""
    out = set()
    for s, v in scope.values.items():
        if s.name in ("eta", "alpha", "lr", "epsilon_lr") and s not in scope.unchecked:
            number = _number(v)
            if number is not None:
                out.add(number)
    return out


def _gradient_variable(expr, scope) -> sp.Symbol | None:
    """w, for a left side that is the loss's derivative by w (∂L/∂w) or the derivative of the document's
    function of one parameter w at w's value (L'(1) with w = 1)."""
    if isinstance(expr, sp.Subs) and len(expr.variables) == 1 and isinstance(expr.expr, sp.Derivative):
        inner = expr.expr.expr
        params = scope.functions.get(type(inner), (None,))[0] if isinstance(inner, AppliedUndef) else None
        if params and len(params) == 1 and params[0] in scope.values and not isinstance(params[0], Decimal):
            if _number(expr.point[0]) is not None and _number(expr.point[0]) == _number(scope.values[params[0]]):
                return params[0]
        return None
    args = expr.args if isinstance(expr, (sp.Derivative,)) else None
    if args is None and type(expr).__name__ == "Jacobian":
        args = expr.args
    if args is None or len(args) != 2:
        return None
    top, by = args[0], args[1]
    if isinstance(by, sp.Tuple):  # Derivative(f, (w, 1))
        if by[1] != 1:
            return None
        by = by[0]
    name = type(top).__name__ if isinstance(top, AppliedUndef) else getattr(top, "name", "")
    if name in _LOSS_NAMES and isinstance(by, sp.Symbol) and by in scope.values:
        return by
    return None
