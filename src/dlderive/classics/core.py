"""The common ground of the classic derivations: partial derivatives kept opaque, and a prover that
realizes both sides of a step at concrete sizes (every definition substituted, every derivative
computed by SymPy's ``diff``), requires their difference to reduce to zero entry by entry, and checks
it at random points; steps between matrix expressions are also proven at symbolic sizes by
``matrices.prove``."""
from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Callable

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .. import matrices as mx
from ..errors import ProofError
from ..matrices import MatrixPartial
from ..proof import reduces_to_zero
from ..steps import Derivation, Step


class Partial(sp.Expr):
    """∂f/∂x of scalars (entries in index form), kept opaque until a prover realizes it."""

    is_commutative = True

    def __new__(cls, f, x):
        return sp.Expr.__new__(cls, sp.sympify(f), sp.sympify(x))

    def doit(self, **hints):
        return self


# ----------------------------------------------------------------------------- realizing
@dataclass
class Realization:
    """One concrete instance of a derivation: sizes, explicit matrices of fresh symbols for the
    inputs (leaves) and for every intermediate quantity (nodes, each with its definition in the
    ones before it).  ∂f/∂x holds the quantities computed before x fixed: f is written in x and
    what precedes it, differentiated, and then everything is written in the leaves."""

    sizes: dict  # dimension symbol -> int
    values: dict = field(default_factory=dict)  # name -> explicit matrix (or scalar) of leaves or fresh symbols
    leaves: list = field(default_factory=list)  # the scalar symbols of the inputs
    nodes: list = field(default_factory=list)  # (name, {fresh symbol: definition}), in order of computation

    def _size(self, d) -> int:
        return int(sp.sympify(d).xreplace(self.sizes))

    def _symbols(self, m, tag: str) -> sp.ImmutableMatrix | sp.Symbol:
        if not isinstance(m, sp.MatrixSymbol):
            return sp.Symbol(f"{m.name}{tag}[]", real=True)
        r, c = (self._size(d) for d in m.shape)
        return sp.ImmutableMatrix(r, c, lambda i, j: sp.Symbol(f"{m.name}{tag}[{i + 1},{j + 1}]", real=True))

    def leaf(self, m, constraint: Callable | None = None):
        """Fresh real symbols for the entries of input ``m``; ``constraint`` may rewrite the matrix (Σ y = 1)."""
        matrix = self._symbols(m, "")
        self.leaves += list(matrix) if isinstance(matrix, sp.MatrixBase) else [matrix]
        value = constraint(matrix) if constraint else matrix
        self.values[m.name] = sp.ImmutableMatrix(value) if isinstance(value, sp.MatrixBase) else value
        return self.values[m.name]

    def node(self, m, definition):
        """The intermediate quantity ``m`` = ``definition`` (in the values defined before it)."""
        fresh = self._symbols(m, "#")
        if isinstance(fresh, sp.MatrixBase):
            definition = sp.ImmutableMatrix(definition)
            self.nodes.append((m.name, dict(zip(fresh, definition))))
        else:
            self.nodes.append((m.name, {fresh: sp.sympify(definition)}))
        self.values[m.name] = fresh
        return fresh

    def in_leaves(self, e, after: int = -1):
        """``e`` with the nodes computed after node number ``after`` substituted (all of them by default)."""
        for k in range(len(self.nodes) - 1, after, -1):
            e = e.xreplace(self.nodes[k][1])
        return e

    def reductions(self, e):
        """``e``, then ``e`` with the last node it uses substituted, and so on down to the leaves."""
        yield e
        for k in range(len(self.nodes) - 1, -1, -1):
            if e.free_symbols & set(self.nodes[k][1]):
                e = e.xreplace(self.nodes[k][1])
                yield e

    def at_point(self, e, point: dict, digits: int):
        """The value of ``e`` (leaves and node symbols) at ``point`` (leaf -> number), nodes computed in order."""
        values = dict(point)
        for _, definition in self.nodes:
            for fresh, d in definition.items():
                values[fresh] = d.xreplace(values).evalf(digits)
        return e.xreplace(values).evalf(digits)

    def _position_of(self, symbol) -> int:
        return next((k for k, (_, d) in enumerate(self.nodes) if symbol in d), -1)

    def total(self, e, x, after: int, memo: dict):
        """de/dx by the chain rule through the nodes computed after node number ``after``."""
        out = sp.diff(e, x)
        for v in e.free_symbols:
            k = self._position_of(v)
            if k > after and v != x:
                if v not in memo:
                    memo[v] = self.total(self.nodes[k][1][v], x, after, memo)
                if memo[v] != 0:
                    out += sp.diff(e, v) * memo[v]
        return out

    def entry(self, base: sp.Basic, idx: tuple) -> sp.Expr:
        """The entry (1-based indices) of a declared matrix or vector."""
        m = self.values[str(base)]
        idx = tuple(int(i) for i in idx)
        return m[idx[0] - 1, idx[1] - 1 if len(idx) > 1 else 0]

    def explicit(self, e: sp.Basic, indices: dict | None = None) -> sp.Basic:
        """``e`` in the leaves: sizes and ``indices`` (symbol -> int) substituted, sums written out."""
        return self.in_leaves(self.mixed(e, indices))

    def mixed(self, e: sp.Basic, indices: dict | None = None) -> sp.Basic:
        """``e`` explicit, in the leaves and the symbols of the intermediate quantities."""
        e = e.xreplace({**self.sizes, **(indices or {})})
        e = e.replace(lambda a: isinstance(a, sp.Sum), lambda a: a.doit(deep=False))
        e = e.xreplace({d: self._derivative(d) for d in _atoms(e, (Partial, MatrixPartial))})
        e = e.replace(lambda a: isinstance(a, sp.Indexed), lambda a: self.entry(a.base.label, a.indices))
        e = e.xreplace({a: self.values[a.name] for a in _atoms(e, (sp.MatrixSymbol, sp.Symbol))
                        if a.name in self.values and not isinstance(a, sp.Dummy)})
        e = e.xreplace({o: sp.ImmutableMatrix.ones(*o.shape) for o in _atoms(e, (sp.OneMatrix,))})
        e = e.doit()
        if isinstance(e, (sp.MatrixExpr, sp.MatrixBase)):
            e = sp.ImmutableMatrix(e.as_explicit()).doit()
        return e

    def _position(self, x) -> int:
        name = str(x.base.label) if isinstance(x, sp.Indexed) else x.name
        return next((k for k, (n, _) in enumerate(self.nodes) if n == name), -1)

    def _derivative(self, d) -> sp.Basic:
        f, x = d.args
        after = self._position(x)
        fx, xx = self.mixed(f), self.mixed(x)

        def by(e, v):
            return self.total(e, v, after, {})
        if isinstance(d, Partial):
            return by(fx, xx)
        if not isinstance(fx, sp.MatrixBase) or fx.shape == (1, 1):
            scalar = fx[0, 0] if isinstance(fx, sp.MatrixBase) else fx
            return sp.ImmutableMatrix(xx.shape[0], xx.shape[1], lambda i, j: by(scalar, xx[i, j]))
        return sp.ImmutableMatrix(fx.shape[0], xx.shape[0], lambda i, j: by(fx[i, 0], xx[j, 0]))


def _atoms(e, types) -> set:
    return {a for a in sp.preorder_traversal(e) if isinstance(a, types)}


# ----------------------------------------------------------------------------- proving
@dataclass(frozen=True)
class Draft:
    """A step before its proof: ``indices`` are the free indices of an index-form step (each runs
    over the dimension it is paired with)."""

    lhs: sp.Basic
    rhs: sp.Basic
    rule: str
    note: str = ""
    indices: tuple = ()  # ((index symbol, dimension symbol), ...)


class Prover:
    """Proves drafts at every realization (each a concrete size) built by ``realize(sizes)``."""

    def __init__(self, realize: Callable[[dict], Realization], sizes: list[dict], points: int = 2, digits: int = 30):
        self.realizations = [realize(s) for s in sizes]
        self.points, self.digits = points, digits

    def prove(self, draft: Draft) -> Step:
        methods = set()
        for r in self.realizations:
            ranges = [range(1, int(sp.sympify(dim).xreplace(r.sizes)) + 1) for _, dim in draft.indices]
            for values in itertools.product(*ranges):
                at = {i: sp.Integer(v) for (i, _), v in zip(draft.indices, values)}
                diff = _difference(r.mixed(draft.lhs, at), r.mixed(draft.rhs, at), draft)
                for entry in diff:
                    # with the intermediate quantities as symbols, then written in what they are computed from
                    method = _reduced(list(r.reductions(entry)))
                    if method is None or not self._numerically_zero(entry, r):
                        raise ProofError(f"step not proven ({draft.rule}): {draft.lhs} = {draft.rhs}")
                    methods.add(method)
        shown = ", ".join(",".join(f"{k}={v}" for k, v in r.sizes.items()) for r in self.realizations)
        proof = f"{'; '.join(sorted(methods))} at sizes {shown} (every entry); numeric check at {self.points} points"
        nodes = {name for name, _ in self.realizations[0].nodes}
        if _matrix_identity(draft) and not any(a.name in nodes for a in _atoms(sp.Tuple(draft.lhs, draft.rhs),
                                                                               (sp.MatrixSymbol,))):
            try:
                proof = f"{mx.prove(draft.lhs, draft.rhs)}; {proof}"
            except ProofError:
                raise ProofError(f"step not proven ({draft.rule}): {draft.lhs} = {draft.rhs}") from None
        return Step(draft.lhs, draft.rhs, draft.rule, draft.note, proof)

    def numerically(self, draft: Draft) -> None:
        """ProofError unless both sides of ``draft`` agree at random points at every size."""
        for r in self.realizations:
            ranges = [range(1, int(sp.sympify(dim).xreplace(r.sizes)) + 1) for _, dim in draft.indices]
            for values in itertools.product(*ranges):
                at = {i: sp.Integer(v) for (i, _), v in zip(draft.indices, values)}
                for entry in _difference(r.mixed(draft.lhs, at), r.mixed(draft.rhs, at), draft):
                    if not self._numerically_zero(entry, r):
                        raise ProofError(f"step fails the numeric check ({draft.rule}): {draft.lhs} = {draft.rhs}")

    def _numerically_zero(self, entry: sp.Expr, r: Realization) -> bool:
        tol = 10.0 ** (10 - self.digits)
        for i in range(self.points):
            point = {s: sp.Float(random.Random(f"{s.name}/{i}").uniform(-1.5, 1.5), self.digits) for s in r.leaves}
            v = r.at_point(entry, point, self.digits)
            if not v.is_number or not math.isfinite(abs(complex(v))) or abs(complex(v)) > tol:
                return False
        return True


def _reduced(levels: list) -> str | None:
    """The rewrite that takes one of ``levels`` (the same difference, less and less symbolic) to zero:
    expand or cancel at each, the prover's every rewrite at the last (in the leaves)."""
    for e in levels[:-1]:
        if sp.expand(e) == 0:
            return "expand"
        if sp.cancel(sp.together(e)) == 0:
            return "cancel"
    return reduces_to_zero(levels[-1])


def _difference(a, b, draft) -> list:
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        if not (isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase)) or a.shape != b.shape:
            raise ProofError(f"shapes differ in a step ({draft.rule}): {draft.lhs} = {draft.rhs}")
        return list(a - b)
    return [a - b]


def _matrix_identity(draft: Draft) -> bool:
    """A step between matrix expressions only (no derivatives, no index forms, no elementwise functions)."""
    sides = (draft.lhs, draft.rhs)
    return all(isinstance(s, sp.MatrixExpr) for s in sides) and not any(
        _atoms(s, (MatrixPartial, Partial, sp.Indexed, ElementwiseApplyFunction)) for s in sides)


def proven(name: str, form: str, title: str, drafts, prover: Prover, results: list[Draft],
           definitions: dict | None = None) -> Derivation:
    """The derivation of ``drafts``, each proven; ``results``: the relations it establishes (one, or
    several shown as a tuple), each proven directly as well."""
    steps = tuple(prover.prove(d) for d in drafts)
    done = [_substituted(r, steps, prover) or prover.prove(r) for r in results]
    if len(done) == 1:
        result = done[0]
    else:
        result = Step(sp.Tuple(*[s.lhs for s in done]), sp.Tuple(*[s.rhs for s in done]), "result", "",
                      done[0].proof)
    return Derivation(name, form, title, steps, definitions or {}, result)


def _substituted(result: Draft, steps, prover: Prover) -> Step | None:
    """``result`` as the last proven step for its left side with the proven derivatives substituted,
    if that is what it says (checked numerically too); None otherwise."""
    known = {st.lhs: st.rhs for st in steps if isinstance(st.lhs, (Partial, MatrixPartial))}
    if result.lhs not in known:
        return None
    e = known[result.lhs]
    for _ in range(len(known) + 1):
        new = e.xreplace(known)
        if new == e:
            break
        e = new
    if e != result.rhs:
        return None
    prover.numerically(result)
    return Step(result.lhs, result.rhs, result.rule, result.note,
                f"the proven steps substituted; numeric check at {prover.points} points at every size")
