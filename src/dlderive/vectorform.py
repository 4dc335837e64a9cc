"""A cell's quantities as matrix expressions, the vector form of its derivations: h_t, c_t, the gates
and the inputs are columns (n x 1, inputs m x 1), W_* n x m and U_* n x n matrices, peepholes p_*
columns used elementwise; products in order (MatMul), ∘ HadamardProduct, σ and tanh elementwise.
The cell's declaration says which identifier is which (``Cell.kind``)."""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from . import matrices as mx
from .cells import Cell
from .notation import timed

N, M = mx.dims("n", "m")
SIZES = {"n": N, "m": M}


def shape(cell: Cell, name: str) -> tuple:
    """The shape of identifier ``name`` of ``cell``: (n, 1), (m, 1), (n, m) or (n, n)."""
    kind = cell.kind(name)
    dims = [SIZES[d] for d in kind[1:]]
    return (dims[0], dims[1]) if len(dims) == 2 else (dims[0], 1)


def symbols(cell: Cell):
    """name -> the matrix symbol of that identifier of ``cell``."""
    @lru_cache(maxsize=None)
    def sym(name: str) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(name, *shape(cell, name))
    return sym


def as_matrix(cell: Cell, e: sp.Basic) -> sp.Basic:
    """A cell's expression (commutative, as declared) as a matrix expression."""
    if not isinstance(e, sp.Basic) or e.is_number:
        return e
    sym = symbols(cell)
    return mx.canonical(mx.from_elementwise(e, sym), sym)


def vector_symbol(cell: Cell, s: sp.Symbol) -> sp.MatrixSymbol:
    """The column of a cell's (timed) symbol."""
    return symbols(cell)(s.name)


def is_timed(e) -> bool:
    return isinstance(e, sp.MatrixSymbol) and timed(e.name) is not None
