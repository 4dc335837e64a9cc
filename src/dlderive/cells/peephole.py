"""The peephole LSTM (Gers & Schmidhuber 2000): the gates also read the cell through diagonal
peephole weights p (vectors, so p ∘ c): f and i read c_{t-1}, o reads c_t."""
import sympy as sp

from ..functions import sigmoid
from .base import Cell, affine, at, param

c_prev = at("c", 1)
f_t, i_t, o_t, u_t, c_t = (at(g) for g in "fiouc")


def _peephole(gate: str, cell: sp.Symbol) -> sp.Expr:
    """W_g x_t + U_g h_{t-1} + b_g + p_g ∘ c: the gate also reads a cell state."""
    return affine(gate) + param(f"P_{gate}") * cell


PEEPHOLE = Cell(
    name="peephole",
    description="peephole LSTM (Gers & Schmidhuber): f, i read c_{t-1}, o reads c_t",
    inputs=("x",),
    states=("h", "c"),
    equations=(
        ("f_t", sigmoid(_peephole("f", c_prev))),
        ("i_t", sigmoid(_peephole("i", c_prev))),
        ("u_t", sp.tanh(affine("u"))),
        ("c_t", f_t * c_prev + i_t * u_t),
        ("o_t", sigmoid(_peephole("o", c_t))),
        ("h_t", o_t * sp.tanh(c_t)),
    ),
    names={"f_t": "forget_gate", "i_t": "input_gate", "o_t": "output_gate", "u_t": "candidate",
           "c_t": "cell", "h_t": "hidden"},
    numbers={"h_t": 1, "c_t": 2, "o_t": 3},
)
