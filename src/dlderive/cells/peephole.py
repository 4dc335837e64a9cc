"""The peephole LSTM (Gers & Schmidhuber 2000): the gates also read the cell through diagonal
peephole weights p (vectors, so p ∘ c): f and i read c_{t-1}, o reads c_t."""
import dataclasses

import sympy as sp

from ..functions import sigmoid
from .base import affine, param
from .lstm import LSTM, c_prev, c_t, f_t, i_t, o_t, u_t


def _peephole(gate: str, cell: sp.Symbol) -> sp.Expr:
    """W_g x_t + U_g h_{t-1} + b_g + p_g ∘ c: the gate also reads a cell state."""
    return affine(gate) + param(f"P_{gate}") * cell


PEEPHOLE = dataclasses.replace(
    LSTM,
    name="peephole",
    description="peephole LSTM (Gers & Schmidhuber): f, i read c_{t-1}, o reads c_t",
    equations=(
        ("f_t", sigmoid(_peephole("f", c_prev))),
        ("i_t", sigmoid(_peephole("i", c_prev))),
        ("u_t", sp.tanh(affine("u"))),
        ("c_t", f_t * c_prev + i_t * u_t),
        ("o_t", sigmoid(_peephole("o", c_t))),
        ("h_t", o_t * sp.tanh(c_t)),
    ),
    numbers={"h_t": 1, "c_t": 2, "o_t": 3},
)
