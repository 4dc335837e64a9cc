"""The plan's expressions in a form: scalar (hidden size 1, real symbols) or vector (matrix expressions
from matrices.py: columns, Mᵀ, ∘, outer products)."""
from __future__ import annotations

import sympy as sp

from .. import matrices as mx
from ..cells import shift
from .plan import Term, kind

DIMS = dict(zip(("n", "m", "p"), mx.dims("n", "m", "p")))


class Form:
    def __init__(self, name: str, kinds: dict):
        self.name, self.kinds = name, kinds

    @property
    def vector(self) -> bool:
        return self.name == "vector"

    def shape(self, name: str) -> tuple:
        k = kind(self.kinds, name)
        dims = [DIMS[d] for d in k[1:]]
        return (dims[0], dims[1]) if len(dims) == 2 else (dims[0], 1)

    def sym(self, name: str):
        if not self.vector:
            return sp.Symbol(name, real=True)
        return sp.MatrixSymbol(name, *self.shape(name))

    def elementwise(self, e: sp.Expr, like: str):
        """A commutative (elementwise) expression of the declarations in this form; ``like``
        names a vector of the shape that its numbers take."""
        if not self.vector:
            return e.xreplace({s: sp.Symbol(s.name, real=True) for s in e.free_symbols})
        return mx.from_elementwise(e, self.sym, self.shape(like))

    def term(self, t: Term, j: int, target_shape_of: str):
        """The contribution of term ``t`` at step t-j (its consumer's step)."""
        src = self.sym(shift(t.source, j).name)
        inner, outer = shift(t.inner, j), shift(t.outer, j)
        if not self.vector:
            factor = (self.sym(t.matrix.name) if t.matrix is not None else 1)
            vec = self.elementwise(shift(t.vector, j), target_shape_of) if t.vector is not None else 1
            return self.elementwise(outer * inner, target_shape_of) * factor * src * vec
        x = src if inner == 1 else mx.hadamard(self.elementwise(inner, t.source.name), src)
        if t.vector is not None:
            w = self.elementwise(shift(t.vector, j), _vector_name(t.vector, self))
            out = mx.outer(x, w)
            return out if outer == 1 else outer * out
        if t.matrix is not None:
            x = mx.mm(mx.T(self.sym(t.matrix.name)), x)
        if outer == 1:
            return x
        if outer.is_number:
            return outer * x
        return mx.hadamard(self.elementwise(outer, target_shape_of), x)


def _vector_name(e: sp.Expr, form: Form) -> str:
    names = sorted(s.name for s in e.free_symbols)
    return names[0]
