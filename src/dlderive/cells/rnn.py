"""The vanilla (Elman) RNN cell: h_t = tanh(W x_t + U h_{t-1} + b)."""
import sympy as sp

from .base import Cell, affine

RNN = Cell(
    name="rnn",
    description="vanilla RNN cell: h_t = tanh(W_h x_t + U_h h_{t-1} + b_h)",
    inputs=("x",),
    states=("h",),
    equations=(
        ("h_t", sp.tanh(affine("h"))),
    ),
    names={"h_t": "hidden"},
    numbers={"h_t": 1},
)
