"""What every part of a derivation through time shares: the stacked state, the one-step blocks, a form."""
from __future__ import annotations

import dataclasses

import sympy as sp

from .. import matrices as mx
from ..catalog import DERIVATIONS
from ..cells import Cell, timed
from ..functions import Jacobian
from ..model import derivation_name
from ..notation import is_weight, time_offset_name
from ..onestep import derive_one
from ..vectorform import N, symbols


def stack_base(cell: Cell) -> str:
    """The name of the stacked state S = (h, c, ...), one that the cell does not use."""
    used = {timed(n)[0] for n in cell.symbols if timed(n)}
    return next(b for b in ("S", "Z", "Q", "SS") if b not in used)


@dataclasses.dataclass(frozen=True)
class Form:
    """How one form writes quantities, derivatives, diag, products, the identity and zero blocks:
    the scalar form in real symbols, the vector form in matrix expressions (columns of the cell's
    shapes, the stacked state S a column of all the states)."""

    name: str
    stack: str
    cell: Cell

    @property
    def vector(self) -> bool:
        return self.name == "vector"

    def col(self, s):
        """The quantity ``s`` (a real symbol from ``at``) in this form."""
        if not self.vector:
            return s
        if timed(s.name)[0] == self.stack:
            return sp.MatrixSymbol(s.name, len(self.cell.states) * N, 1)
        return symbols(self.cell)(s.name)

    def d(self, y, x):
        if not self.vector:
            if not {timed(y.name)[0], timed(x.name)[0]} & {self.stack}:
                return sp.Derivative(y, x)
            return Jacobian(y, x)
        return mx.MatrixPartial(self.col(y), self.col(x))

    def diag(self, v):
        return mx.diag(v) if self.vector else v

    def elementwise_product(self, vs):
        return mx.hadamard(*vs) if self.vector else sp.Mul(*vs)

    def product(self, factors):
        if len(factors) == 1:
            return factors[0]
        return sp.MatMul(*factors) if self.vector else sp.Mul(*factors)

    def matrix(self, rows):
        return sp.BlockMatrix(rows) if self.vector else sp.ImmutableMatrix(rows)

    @property
    def one(self):
        return sp.Identity(N) if self.vector else sp.S.One

    @property
    def zero(self):
        return sp.ZeroMatrix(N, N) if self.vector else sp.S.Zero


def one_step_blocks(cell: Cell, form: str) -> dict:
    """(row state, column state) -> (∂row_t/∂col_{t-1} as proven, derivation name or None)."""
    out = {}
    zero = Form(form, "", cell).zero
    for r in cell.states:
        for q in cell.states:
            name = derivation_name(cell, time_offset_name(r, 0), q)
            out[r, q] = (derive_one(name, form).final.rhs, name) if name in DERIVATIONS else (zero, None)
    return out


def weight_free(result, form: str):
    """v if the one-step result is diag(v) (a path with no weight matrix), else None."""
    if form == "scalar":
        return result if not any(is_weight(s.name) for s in result.free_symbols) else None
    return result.args[0] if isinstance(result, mx.DiagMatrix) else None
