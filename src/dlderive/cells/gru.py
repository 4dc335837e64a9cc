"""The GRU cell in PyTorch's convention (GRUCell): reset r, update z, candidate n.

n_t = tanh(W_n x_t + b_n + r_t ∘ (U_n h_{t-1} + b_hn)),  h_t = (1 - z_t) ∘ n_t + z_t ∘ h_{t-1}.
"""
import sympy as sp

from ..functions import sigmoid
from .base import Cell, affine, at, param

x_t, h_prev = at("x"), at("h", 1)
r_t, z_t, n_t = at("r"), at("z"), at("n")


GRU = Cell(
    name="gru",
    description="GRU cell (PyTorch convention): reset r, update z, candidate n, hidden h",
    inputs=("x",),
    states=("h",),
    equations=(
        ("r_t", sigmoid(affine("r"))),
        ("z_t", sigmoid(affine("z"))),
        ("n_t", sp.tanh(param("W_n") * x_t + param("b_n") + r_t * (param("U_n") * h_prev + param("b_hn")))),
        ("h_t", (1 - z_t) * n_t + z_t * h_prev),
    ),
    names={"r_t": "reset_gate", "z_t": "update_gate", "n_t": "candidate", "h_t": "hidden"},
    numbers={"h_t": 1, "n_t": 2},
)
