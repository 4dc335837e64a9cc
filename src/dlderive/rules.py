"""Differentiation rules, one per operation, in a registry, on matrix expressions.

A rule rewrites one opaque atom, ``MatrixPartial(e, x)`` (∂e/∂x, dim e x dim x) or f'(a) applied
elementwise, one level down.  ``classify`` picks the rule for an atom; the derivation driver
(onestep.py) applies the rule of highest priority to every atom it matches and records that as one
step.  Products stay in order: ∂(U v)/∂x = U ∂v/∂x.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from . import matrices as mx
from .errors import DlderiveError
from .functions import REGISTRY, Prime, prime
from .matrices import MatrixPartial


@dataclass
class Context:
    """What the rules need to know about the quantities of one derivation."""

    wrt: sp.MatrixSymbol
    definitions: dict  # intermediate symbol -> its defining expression (one level)
    depends: dict  # symbol -> frozenset of leaves it depends on (intermediates and leaves)
    numbers: dict = field(default_factory=dict)  # intermediate symbol -> equation number
    known: dict = field(default_factory=dict)  # intermediate symbol -> proven derivative
    known_from: dict = field(default_factory=dict)  # intermediate symbol -> derivation name

    def leaves(self, e: sp.Basic) -> frozenset:
        return frozenset().union(*(self.depends.get(s, {s}) for s in _symbols(e)))

    def constant(self, e: sp.Basic) -> bool:
        return self.wrt not in self.leaves(e)

    def matvec(self, e: sp.Basic):
        """(coefficient, M, v) if ``e`` is coefficient · M v with M a matrix and v a column, else None."""
        if not isinstance(e, sp.MatMul):
            return None
        numbers = [a for a in e.args if not isinstance(a, sp.MatrixExpr)]
        mats = [a for a in e.args if isinstance(a, sp.MatrixExpr)]
        if len(mats) == 2 and not mx.is_vector(mats[0]) and mx.is_vector(mats[1]):
            return sp.Mul(*numbers), mats[0], mats[1]
        return None

    def linear_coefficient(self, e: sp.Basic):
        """∂e/∂wrt as a matrix if ``e`` is affine in wrt (W x + U h + b), else None."""
        total = []
        for t in (e.args if isinstance(e, sp.MatAdd) else (e,)):
            if self.constant(t):
                continue
            if t == self.wrt:
                total.append(sp.Identity(self.wrt.shape[0]))
                continue
            mv = self.matvec(t)
            if mv is None or mv[2] != self.wrt:
                return None
            total.append(mv[1] if mv[0] == 1 else sp.MatMul(mv[0], mv[1]))
        return mx.flat_sum(*total) if total else None


def _symbols(e: sp.Basic):
    return e.atoms(sp.MatrixSymbol) if isinstance(e, sp.Basic) else ()


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
    return MatrixPartial(e, x)


def zero(e, x):
    return sp.ZeroMatrix(e.shape[0], x.shape[0])


@rule("sum rule", "∂(a + b)/∂x = ∂a/∂x + ∂b/∂x")
def _sum(atom, ctx):
    e, x = atom.args
    return sp.MatAdd(*[J(a, x) for a in e.args])


@rule("product rule", "∂(a ∘ b)/∂x = diag(b) ∂a/∂x + diag(a) ∂b/∂x")
def _product(atom, ctx):
    e, x = atom.args
    if isinstance(e, sp.MatMul):  # ∂(c a)/∂x = c ∂a/∂x for a number c
        numbers = [a for a in e.args if not isinstance(a, sp.MatrixExpr)]
        rest = [a for a in e.args if isinstance(a, sp.MatrixExpr)]
        return sp.MatMul(*numbers, J(rest[0] if len(rest) == 1 else sp.MatMul(*rest), x))
    args = e.args
    terms = [sp.MatMul(mx.diag(mx.hadamard(*(args[:k] + args[k + 1:]))), J(a, x))
             for k, a in enumerate(args) if not ctx.constant(a)]
    return terms[0] if len(terms) == 1 else sp.MatAdd(*terms)


@rule("chain rule", "∂f(a)/∂x = diag(f'(a)) ∂a/∂x")
def _chain(atom, ctx):
    e, x = atom.args
    f, a = mx.applied(e) or (None, None)
    if f is None or not hasattr(f, "fdiff"):
        raise DlderiveError(f"no derivative rule for the function in {e}")
    return sp.MatMul(mx.diag(mx.apply(prime(f), a)), J(a, x))


@rule("power rule", "∂(a^n)/∂x = diag(n a^(n-1)) ∂a/∂x")
def _power(atom, ctx):
    e, x = atom.args
    lower = e.base if e.exp == 2 else sp.HadamardPower(e.base, e.exp - 1)
    return sp.MatMul(mx.diag(sp.MatMul(e.exp, lower)), J(e.base, x))


@rule("linearity", "∂(W a + U x + b)/∂x = U when a and b do not depend on x")
def _linear(atom, ctx):
    e, x = atom.args
    coeff = ctx.linear_coefficient(e)
    if coeff is not None:
        return coeff
    c, m, v = ctx.matvec(e)
    return sp.MatMul(*([c] if c != 1 else []), m, J(v, x))


@rule("definition", "∂y/∂x = ∂(definition of y)/∂x")
def _definition(atom, ctx):
    e, x = atom.args
    return J(ctx.definitions[e], x)


@rule("independence", "∂a/∂x = 0 when a does not depend on x")
def _independent(atom, ctx):
    return zero(*atom.args)


@rule("substitution", "∂y/∂x replaced by its proven value")
def _known(atom, ctx):
    return ctx.known[atom.args[0]]


def derivative_value(atom: sp.Basic) -> sp.Basic:
    """f'(a) applied elementwise, in closed form: σ(a) ∘ (𝟏 - σ(a)) for σ."""
    p, a = mx.applied(atom)
    body = p.base(mx.ARGUMENT).fdiff()
    return mx.from_elementwise(body, lambda name: a if name == mx.ARGUMENT.name else None, a.shape)


def is_prime(e: sp.Basic) -> bool:
    f = mx.applied(e)
    return f is not None and issubclass(f[0], Prime)


DERIVATIVE_OF = {f.cls: f.rule for f in REGISTRY.values() if f.cls is not None}
"""SymPy function class -> the name of its derivative rule, one per function of the registry."""
for _f in REGISTRY.values():
    if _f.cls is not None:
        rule(_f.rule, _f.identity)(lambda atom, ctx: derivative_value(atom))
rule("derivative of f", "f'(a) from the function's own derivative")(lambda atom, ctx: derivative_value(atom))

PRIORITY = ("sum rule", "product rule", "chain rule", "power rule", *DERIVATIVE_OF.values(),
            "derivative of f", "definition", "independence", "linearity", "substitution")


def atoms(e: sp.Basic) -> set:
    """The opaque atoms of ``e``: Jacobians and f' applied elementwise."""
    return {a for a in sp.preorder_traversal(e) if isinstance(a, MatrixPartial) or
            (isinstance(a, ElementwiseApplyFunction) and is_prime(a))}


def classify(atom: sp.Basic, ctx: Context) -> str:
    """Name of the rule that expands ``atom``."""
    if not isinstance(atom, MatrixPartial):
        return DERIVATIVE_OF.get(mx.applied(atom)[0].base, "derivative of f")
    e, x = atom.args
    if ctx.constant(e):
        return "independence"
    if isinstance(e, sp.MatrixSymbol):
        if e == x:
            return "linearity"
        return "substitution" if e in ctx.known else "definition"
    if isinstance(e, sp.MatAdd):
        return "linearity" if ctx.linear_coefficient(e) is not None else "sum rule"
    if isinstance(e, sp.MatMul):
        return "linearity" if ctx.matvec(e) is not None else "product rule"
    if isinstance(e, sp.HadamardProduct):
        return "product rule"
    if isinstance(e, sp.HadamardPower) and e.exp.is_number:
        return "power rule"
    if mx.applied(e) is not None:
        return "chain rule"
    raise DlderiveError(f"no differentiation rule for {type(e).__name__} in {e}")
