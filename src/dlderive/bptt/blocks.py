"""What every part of a derivation through time shares: the stacked state, the one-step blocks, a form."""
from __future__ import annotations

import dataclasses

import sympy as sp

from ..catalog import DERIVATIONS
from ..cells import Cell, timed
from ..functions import IDENTITY, Jacobian, diag
from ..model import derivation_name
from ..notation import is_weight, time_offset_name
from ..onestep import derive_one


def stack_base(cell: Cell) -> str:
    """The name of the stacked state S = (h, c, ...), one that the cell does not use."""
    used = {timed(n)[0] for n in cell.symbols if timed(n)}
    return next(b for b in ("S", "Z", "Q", "SS") if b not in used)


@dataclasses.dataclass(frozen=True)
class Form:
    """How one form writes derivatives, diag, the identity and zero blocks."""

    name: str
    stack: str

    def d(self, y, x):
        if self.name == "scalar" and not {timed(y.name)[0], timed(x.name)[0]} & {self.stack}:
            return sp.Derivative(y, x)
        return Jacobian(y, x)

    def diag(self, v):
        return v if self.name == "scalar" else diag(v)

    @property
    def one(self):
        return sp.S.One if self.name == "scalar" else IDENTITY


def one_step_blocks(cell: Cell, form: str) -> dict:
    """(row state, column state) -> (∂row_t/∂col_{t-1} as proven, derivation name or None)."""
    out = {}
    for r in cell.states:
        for q in cell.states:
            name = derivation_name(cell, time_offset_name(r, 0), q)
            out[r, q] = (derive_one(name, form).final.rhs, name) if name in DERIVATIONS else (sp.S.Zero, None)
    return out


def product(factors):
    return sp.Mul(*factors) if len(factors) > 1 else factors[0]


def weight_free(result, form: str):
    """v if the one-step result is diag(v) (a path with no weight matrix), else None."""
    if form == "scalar":
        return result if not any(is_weight(s.name) for s in result.free_symbols) else None
    return result.args[0] if isinstance(result, diag) else None
