"""The backward pass of a linear layer Y = X W + 1 b^⊤ (rows of X are samples): ∂L/∂X = ∂L/∂Y W^⊤,
∂L/∂W = X^⊤ ∂L/∂Y, ∂L/∂b = Σ_rows ∂L/∂Y = (∂L/∂Y)^⊤ 1, for any scalar loss L of Y."""
from __future__ import annotations

import numpy as np
import sympy as sp

from .. import matrices as mx
from .core import Draft, MatrixPartial, Partial, Prover, Realization, proven

N, m, n = mx.dims("N", "m", "n")
i, j, k, l, r = sp.symbols("i j k l r", integer=True, positive=True)
X, W, b, Y = mx.matrix("X", N, m), mx.matrix("W", m, n), mx.vector("b", n), mx.matrix("Y", N, n)
G = mx.matrix("dY", N, n)  # the upstream gradient ∂L/∂Y, an input of the backward pass
Xi, Wi, bi, Yi = (sp.IndexedBase(s.name) for s in (X, W, b, Y))
L = sp.Symbol("L", real=True)
ONES = sp.OneMatrix(N, 1)
SIZES = ({N: 1, m: 1, n: 1}, {N: 2, m: 3, n: 2}, {N: 3, m: 2, n: 3})
delta = sp.KroneckerDelta


def realize(sizes: dict) -> Realization:
    """X, W, b and the upstream gradient dY free; Y = X W + 1 b^⊤; L = Σ dY ∘ Y, a loss whose
    gradient by Y is dY (the chain rule is linear in ∂L/∂Y, so this is every loss)."""
    rz = Realization(sizes)
    xx, ww, bb, gg = (rz.leaf(s) for s in (X, W, b, G))
    yy = rz.node(Y, xx * ww + sp.ones(xx.shape[0], 1) * bb.T)
    rz.node(L, sum(g * y for g, y in zip(gg, yy)))
    return rz


def _sums(e):
    return sp.Sum(sp.Sum(e, (l, 1, n)), (k, 1, N))


def index_drafts():
    """∂L/∂W_ij, ∂L/∂X_ij and ∂L/∂b_j, each by the chain rule through every Y_kl."""
    dY = Partial(L, Yi[k, l])
    drafts = [Draft(Yi[k, l], sp.Sum(Xi[k, r] * Wi[r, l], (r, 1, m)) + bi[l], "definition",
                    "Y = X W + 1 b^⊤, entry by entry", ((k, N), (l, n)))]
    out = []
    for name, x, idx, local, picked, result in (
            ("W", Wi[i, j], ((i, m), (j, n)), Xi[k, i] * delta(l, j),
             sp.Sum(Partial(L, Yi[k, j]) * Xi[k, i], (k, 1, N)), None),
            ("X", Xi[i, j], ((i, N), (j, m)), delta(k, i) * Wi[j, l],
             sp.Sum(Partial(L, Yi[i, l]) * Wi[j, l], (l, 1, n)), None),
            ("b", bi[j], ((j, n),), delta(l, j), sp.Sum(Partial(L, Yi[k, j]), (k, 1, N)), None)):
        chain = _sums(dY * Partial(Yi[k, l], x))
        drafts.append(Draft(Partial(L, x), chain, "chain rule", "through every entry Y_kl", idx))
        lin = _sums(dY * local)
        drafts.append(Draft(chain, lin, "linearity", f"∂Y_kl/∂{name}_{'ij' if len(idx) > 1 else 'j'} = "
                            f"{sp.sstr(local).replace('KroneckerDelta', 'δ')}", idx))
        drafts.append(Draft(lin, picked, "sum of δ", "only the terms where δ = 1 remain", idx))
        out.append((name, Draft(Partial(L, x), picked, "result", "", idx)))
    return drafts, out


def matrix_results():
    dY = MatrixPartial(L, Y)
    return {"X": Draft(MatrixPartial(L, X), mx.mm(dY, mx.T(W)), "index form as matrices",
                       "Σ_l (∂L/∂Y)_il W_jl = (∂L/∂Y W^⊤)_ij"),
            "W": Draft(MatrixPartial(L, W), mx.mm(mx.T(X), dY), "index form as matrices",
                       "Σ_k X_ki (∂L/∂Y)_kj = (X^⊤ ∂L/∂Y)_ij"),
            "b": Draft(MatrixPartial(L, b), mx.mm(mx.T(dY), ONES), "index form as matrices",
                       "Σ_k (∂L/∂Y)_kj: the sum over the rows, (∂L/∂Y)^⊤ 1")}


def backward(form: str):
    drafts, index_results = index_drafts()
    if form == "vector":
        matrices = matrix_results()
        drafts += list(matrices.values())
        results = [Draft(d.lhs, d.rhs, "result") for d in matrices.values()]
    else:
        results = [d for _, d in index_results]
    return proven("linear.backward", "matrix" if form == "vector" else "index",
                  "the backward pass of a linear layer Y = X W + 1 b^⊤", drafts, Prover(realize, list(SIZES)), results,
                  {"Y": "X*W + ones(N, 1)*b.T", "dY": "the gradient ∂L/∂Y of the loss, given"})


INPUTS = {"X": ("N", "m"), "W": ("m", "n"), "b": ("n",), "dY": ("N", "n")}


def evaluate(values: dict, derivation) -> dict:
    """{"X": ∂L/∂X, "W": ∂L/∂W, "b": ∂L/∂b} at NumPy inputs X (N x m), W (m x n), b (n,), dY (N x n)."""
    sizes = {"N": values["X"].shape[0], "m": values["X"].shape[1], "n": values["W"].shape[1]}
    env = {"X": values["X"], "W": values["W"], "b": values["b"][:, None], "dY": values["dY"]}
    # the upstream gradient stands for ∂L/∂Y in the results
    out = {}
    for lhs, rhs in zip(derivation.result.lhs, derivation.result.rhs):
        e = rhs.xreplace({MatrixPartial(L, Y): G})
        v = mx.numeric(e, env, sizes)
        out[lhs.args[1].name] = np.ravel(v) if lhs.args[1].name == "b" else v
    return out
