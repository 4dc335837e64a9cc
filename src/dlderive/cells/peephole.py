"""The peephole LSTM (Gers & Schmidhuber 2000): the gates also read the cell through diagonal
peephole weights p (vectors, so p ∘ c): f and i read c_{t-1}, o reads c_t."""
import sympy as sp

from ..functions import sigmoid
from .base import Cell, at, param

x_t, h_prev, c_prev = at("x"), at("h", 1), at("c", 1)
f_t, i_t, o_t, u_t, c_t = (at(g) for g in "fiouc")


def _affine(gate: str, cell=None) -> sp.Expr:
    pre = param(f"W_{gate}") * x_t + param(f"U_{gate}") * h_prev + param(f"b_{gate}")
    return pre + param(f"P_{gate}") * cell if cell is not None else pre


PEEPHOLE = Cell(
    name="peephole",
    description="peephole LSTM (Gers & Schmidhuber): f, i read c_{t-1}, o reads c_t",
    inputs=("x",),
    states=("h", "c"),
    equations=(
        ("f_t", sigmoid(_affine("f", c_prev))),
        ("i_t", sigmoid(_affine("i", c_prev))),
        ("u_t", sp.tanh(_affine("u"))),
        ("c_t", f_t * c_prev + i_t * u_t),
        ("o_t", sigmoid(_affine("o", c_t))),
        ("h_t", o_t * sp.tanh(c_t)),
    ),
    names={"f_t": "forget_gate", "i_t": "input_gate", "o_t": "output_gate", "u_t": "candidate",
           "c_t": "cell", "h_t": "hidden"},
    numbers={"h_t": 1, "c_t": 2, "o_t": 3},
)
