"""The conv and pooling formulas, declared once as unevaluated SymPy expressions in reading order."""
from __future__ import annotations

import sympy as sp

KINDS = ("conv", "transposed", "maxpool", "avgpool")
CONVENTIONS = ("pytorch", "tensorflow")
SOLVABLE = ("input", "padding", "kernel", "stride", "dilation")
MAX_SIZE = 10**6  # every size, kernel, stride, padding and dilation is bounded
DIM_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}

POSITIVE = dict(integer=True, positive=True)
D_IN, D_OUT = sp.Symbol("D_in", **POSITIVE), sp.Symbol("D_out", **POSITIVE)
K, S, DIL = sp.Symbol("k", **POSITIVE), sp.Symbol("S", **POSITIVE), sp.Symbol("d", **POSITIVE)
P, P_L, P_R, OP = (sp.Symbol(n, integer=True, nonnegative=True) for n in ("P", "P_left", "P_right", "p_out"))
C = sp.Symbol("c", **POSITIVE)  # window count before PyTorch's ceil_mode correction
SYMBOLS = {"input": D_IN, "padding": P, "kernel": K, "stride": S, "dilation": DIL, "output_padding": OP}


def add(*terms):
    """An unevaluated sum: terms stay as written."""
    return sp.Add(*terms, evaluate=False)


def mul(*factors):
    """An unevaluated product."""
    return sp.Mul(*factors, evaluate=False)


def over(num, den):
    """num/den, unevaluated."""
    return mul(num, sp.Pow(den, -1, evaluate=False))


def span(pad):
    """D + pad − d(k − 1) − 1: the room the first window leaves for the stride to move in."""
    return add(D_IN, pad, mul(-1, DIL, add(K, -1)), -1)


def windows(pad, rounding=sp.floor):
    """D_out = ⌊(D + pad − d(k − 1) − 1)/S⌋ + 1 (PyTorch Conv, Pool; ⌈⌉ for ceil_mode)."""
    return add(rounding(over(span(pad), S), evaluate=False), 1)


CONV = windows(mul(2, P))
CONV_LR = windows(add(P_L, P_R))
CEIL_WINDOWS = windows(mul(2, P), sp.ceiling)
CEIL_POOL = sp.Piecewise((add(C, -1), sp.GreaterThan(mul(add(C, -1), S), add(D_IN, P), evaluate=False)),
                         (C, True), evaluate=False)
"""PyTorch ceil_mode: the last window is dropped when it would start in the right padding."""
TRANSPOSED = add(mul(add(D_IN, -1), S), mul(-2, P), mul(DIL, add(K, -1)), OP, 1)
"""D_out = (D − 1)S − 2P + d(k − 1) + output_padding + 1."""
TF_SAME = sp.ceiling(over(D_IN, S), evaluate=False)
"""TensorFlow 'same': D_out = ⌈D/S⌉."""
TF_SAME_PAD = sp.Max(add(mul(add(D_OUT, -1), S), mul(DIL, add(K, -1)), 1, mul(-1, D_IN)), 0, evaluate=False)
"""TensorFlow 'same' total padding: max((D_out − 1)S + d(k − 1) + 1 − D, 0), the odd one on the right."""
TORCH_SAME_PAD = mul(DIL, add(K, -1))
"""PyTorch 'same' total padding: d(k − 1), the odd one on the right (stride 1 only)."""


# --- counts: one formula each, in the per-dimension products n = (C_in/g)·Πk, N_out = Π D_out
C_IN, C_OUT, G = sp.Symbol("C_in", **POSITIVE), sp.Symbol("C_out", **POSITIVE), sp.Symbol("g", **POSITIVE)
KPROD, NOUT, NIN, BIAS = sp.Symbol("K", **POSITIVE), sp.Symbol("N_out", **POSITIVE), sp.Symbol("N_in", **POSITIVE), sp.Symbol("b")
T_FULL, T_OUT = sp.Symbol("T_full", integer=True), sp.Symbol("T_out", integer=True)
N_WIN = mul(over(C_IN, G), KPROD)
COUNT_FORMULAS = {
    "weights": mul(C_OUT, N_WIN),
    "bias": mul(C_OUT, BIAS),
    "multiplications": mul(C_OUT, N_WIN, NOUT),
    "additions": mul(C_OUT, NOUT, add(N_WIN, -1, BIAS)),
    # transposed: each input element scatters its C_out/g·K products; T_* = positions that receive one
    "multiplications_t": mul(C_IN, over(C_OUT, G), KPROD, NIN),
    "additions_t": add(mul(C_IN, over(C_OUT, G), KPROD, NIN), mul(-1, C_OUT, T_FULL), mul(BIAS, C_OUT, T_OUT)),
}
TOOLS = {
    "torchinfo": mul(add(mul(C_OUT, N_WIN), mul(BIAS, C_OUT)), NOUT),
    "fvcore": mul(C_OUT, N_WIN, NOUT),
    "ptflops": add(mul(C_OUT, N_WIN, NOUT), mul(BIAS, C_OUT, NOUT)),
    "thop": mul(C_OUT, N_WIN, NOUT),
    "deepspeed": add(mul(2, C_OUT, N_WIN, NOUT), mul(BIAS, C_OUT, NOUT)),
}
"""What each tool reports for one conv layer (batch 1).

torchinfo "Mult-Adds": (weights + bias) · N_out (conv and transposed alike, output positions);
fvcore "flops": one multiply-add per product, bias ignored (transposed: C_in·(C_out/g)·K·N_in);
ptflops "MACs": products plus one bias add per output element (output positions);
thop "MACs": products only, bias ignored (output positions, also for transposed);
DeepSpeed "flops": 2·MACs + one bias add per output element (transposed MACs over N_in).
"""
TOOLS_T = dict(TOOLS, fvcore=COUNT_FORMULAS["multiplications_t"],
               deepspeed=add(mul(2, COUNT_FORMULAS["multiplications_t"]), mul(BIAS, C_OUT, NOUT)))
