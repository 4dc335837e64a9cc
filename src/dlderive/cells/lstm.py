"""The LSTM cell in the notation of the week-8 homework (candidate u_t, weights W^u, U^u)."""
import sympy as sp

from ..functions import sigmoid
from .base import Cell, affine, at

c_prev = at("c", 1)
f_t, i_t, o_t, u_t, c_t = (at(g) for g in "fiouc")


LSTM = Cell(
    name="lstm",
    description="LSTM cell: gates f, i, o, candidate u, cell c, hidden h",
    inputs=("x",),
    states=("h", "c"),
    equations=(
        ("f_t", sigmoid(affine("f"))),
        ("i_t", sigmoid(affine("i"))),
        ("o_t", sigmoid(affine("o"))),
        ("u_t", sp.tanh(affine("u"))),
        ("c_t", f_t * c_prev + i_t * u_t),
        ("h_t", o_t * sp.tanh(c_t)),
    ),
    names={"f_t": "forget_gate", "i_t": "input_gate", "o_t": "output_gate", "u_t": "candidate",
           "c_t": "cell", "h_t": "hidden"},
    numbers={"h_t": 1, "c_t": 2},
)
