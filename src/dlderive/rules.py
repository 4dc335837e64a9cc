"""Differentiation rules, one per operation, in a registry.

A rule rewrites one opaque atom, ``Jacobian(e, x)`` (∂e/∂x) or ``Prime`` (f'(a)), one level
down.  ``classify`` picks the rule for an atom; the derivation driver (derive.py) applies the
rule of highest priority to every atom it matches and records that as one step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy as sp

from .errors import DlderiveError
from .functions import IDENTITY, REGISTRY, Jacobian, Prime, diag, prime
from .jacobian import matrix, split_matvec
from .matrices import Grouped


@dataclass
class Context:
    """What the rules need to know about the quantities of one derivation."""

    wrt: sp.Symbol
    definitions: dict  # intermediate symbol -> its defining expression (one level)
    depends: dict  # symbol -> frozenset of leaves it depends on (intermediates and leaves)
    kinds: dict  # identifier -> ("matrix", r, c) | ("vector", size)
    numbers: dict = field(default_factory=dict)  # intermediate symbol -> equation number
    known: dict = field(default_factory=dict)  # intermediate symbol -> proven derivative
    known_from: dict = field(default_factory=dict)  # intermediate symbol -> derivation name

    def leaves(self, e: sp.Basic) -> frozenset:
        return frozenset().union(*(self.depends.get(s, {s}) for s in e.free_symbols)) if e.free_symbols else frozenset()

    def constant(self, e: sp.Basic) -> bool:
        return self.wrt not in self.leaves(e)

    def matvec(self, e: sp.Basic):
        """(coefficient, M, v) if ``e`` is coefficient * M * v with M a matrix, else None."""
        return split_matvec(e, self.kinds)

    def linear_coefficient(self, e: sp.Basic):
        """∂e/∂wrt as a matrix if ``e`` is affine in wrt (W x + U h + b), else None."""
        total = sp.S.Zero
        for t in sp.Add.make_args(e):
            if self.constant(t):
                continue
            if t == self.wrt:
                total += IDENTITY
                continue
            mv = self.matvec(t)
            if mv is None or mv[2] != self.wrt:
                return None
            total += mv[0] * matrix(mv[1].name)
        return total


@dataclass(frozen=True)
class Rule:
    name: str
    identity: str  # the identity the rule applies, for documentation and notes
    apply: Callable[[sp.Basic, Context], sp.Basic]


RULES: dict[str, Rule] = {}


def rule(name: str, identity: str):
    def register(fn):
        RULES[name] = Rule(name, identity, fn)
        return fn
    return register


def J(e, x):
    return Jacobian(e, x)


@rule("sum rule", "∂(a + b)/∂x = ∂a/∂x + ∂b/∂x")
def _sum(atom, ctx):
    e, x = atom.args
    return sp.Add(*[J(a, x) for a in e.args])


@rule("product rule", "∂(a ∘ b)/∂x = diag(b) ∂a/∂x + diag(a) ∂b/∂x")
def _product(atom, ctx):
    e, x = atom.args
    coeff, rest = e.as_coeff_Mul()
    if coeff != 1:  # ∂(c a)/∂x = c ∂a/∂x for a number c
        return coeff * J(rest, x)
    args = e.args
    return sp.Add(*[diag(sp.Mul(*(args[:k] + args[k + 1:]))) * J(a, x)
                    for k, a in enumerate(args) if not ctx.constant(a)])


@rule("chain rule", "∂f(a)/∂x = diag(f'(a)) ∂a/∂x")
def _chain(atom, ctx):
    (e, x), f = atom.args, atom.args[0].func
    if len(e.args) != 1 or not hasattr(f, "fdiff"):
        raise DlderiveError(f"no derivative rule for the function {f}")
    return diag(prime(f)(e.args[0])) * J(e.args[0], x)


@rule("power rule", "∂(a^n)/∂x = diag(n a^(n-1)) ∂a/∂x")
def _power(atom, ctx):
    e, x = atom.args
    return diag(e.exp * e.base ** (e.exp - 1)) * J(e.base, x)


@rule("linearity", "∂(W a + U x + b)/∂x = U when a and b do not depend on x")
def _linear(atom, ctx):
    e, x = atom.args
    if isinstance(e, Grouped):  # (U h) written whole: its derivative is that of U h
        e = e.args[0]
    coeff = ctx.linear_coefficient(e)
    if coeff is not None:
        return coeff
    c, m, v = ctx.matvec(e)
    return c * matrix(m.name) * J(v, x)


@rule("definition", "∂y/∂x = ∂(definition of y)/∂x")
def _definition(atom, ctx):
    e, x = atom.args
    return J(ctx.definitions[e], x)


@rule("independence", "∂a/∂x = 0 when a does not depend on x")
def _independent(atom, ctx):
    return sp.S.Zero


@rule("substitution", "∂y/∂x replaced by its proven value")
def _known(atom, ctx):
    return ctx.known[atom.args[0]]


DERIVATIVE_OF = {f.cls: f.rule for f in REGISTRY.values() if f.cls is not None}
"""SymPy function class -> the name of its derivative rule, one per function of the registry."""
for _f in REGISTRY.values():
    if _f.cls is not None:
        rule(_f.rule, _f.identity)(lambda atom, ctx: atom.doit())
rule("derivative of f", "f'(a) from the function's own derivative")(lambda atom, ctx: atom.doit())

PRIORITY = ("sum rule", "product rule", "chain rule", "power rule", *DERIVATIVE_OF.values(),
            "derivative of f", "definition", "independence", "linearity", "substitution")


def classify(atom: sp.Basic, ctx: Context) -> str:
    """Name of the rule that expands ``atom``."""
    if isinstance(atom, Prime):
        return DERIVATIVE_OF.get(atom.base, "derivative of f")
    e, x = atom.args
    if ctx.constant(e):
        return "independence"
    if isinstance(e, sp.Symbol):
        if e == x:
            return "linearity"
        return "substitution" if e in ctx.known else "definition"
    if isinstance(e, sp.Add):
        return "linearity" if ctx.linear_coefficient(e) is not None else "sum rule"
    if isinstance(e, sp.Mul):
        return "linearity" if ctx.matvec(e) is not None else "product rule"
    if isinstance(e, sp.Pow) and e.exp.is_number:
        return "power rule"
    if isinstance(e, Grouped):
        return "linearity"
    if isinstance(e, sp.Function):
        return "chain rule"
    raise DlderiveError(f"no differentiation rule for {e.func.__name__} in {e}")
