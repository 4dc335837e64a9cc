"""Convolution and pooling arithmetic as SymPy expressions: output sizes, inverse problems, counts.

Every formula is declared once, unevaluated and in reading order (``formulas``); numbers come from
substituting into it (``chain``), and each answer carries its proven steps (``Derivation`` with form
"numeric"): ``output_size`` (``sizes``), ``solve`` (``inverse``), ``counts`` (``counting``).
"""
from .chain import chain, plug
from .counting import counts
from .formulas import (BIAS, C, C_IN, C_OUT, CEIL_POOL, CEIL_WINDOWS, CONV, CONV_LR, CONVENTIONS, COUNT_FORMULAS,
                       D_IN, D_OUT, DIL, DIM_NAMES, G, K, KINDS, KPROD, MAX_SIZE, NIN, NOUT, OP, P, P_L, P_R, S,
                       SOLVABLE, SYMBOLS, T_FULL, T_OUT, TF_SAME, TF_SAME_PAD, TOOLS, TOOLS_T, TORCH_SAME_PAD,
                       TRANSPOSED, span, windows)
from .inverse import solve
from .results import ConvResult, Counts, SolveResult
from .sizes import output_size
from .validation import per_dim

__all__ = ["BIAS", "C", "C_IN", "C_OUT", "CEIL_POOL", "CEIL_WINDOWS", "CONV", "CONV_LR", "CONVENTIONS",
           "COUNT_FORMULAS", "D_IN", "D_OUT", "DIL", "DIM_NAMES", "G", "K", "KINDS", "KPROD", "MAX_SIZE", "NIN",
           "NOUT", "OP", "P", "P_L", "P_R", "S", "SOLVABLE", "SYMBOLS", "T_FULL", "T_OUT", "TF_SAME", "TF_SAME_PAD",
           "TOOLS", "TOOLS_T", "TORCH_SAME_PAD", "TRANSPOSED", "ConvResult", "Counts", "SolveResult", "chain",
           "counts", "output_size", "per_dim", "plug", "solve", "span", "windows"]
