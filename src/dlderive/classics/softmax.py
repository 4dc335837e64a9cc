"""The softmax Jacobian ∂p/∂z = diag(p) − p p^⊤ (index form p_i(δ_ij − p_j)) and the gradient of
softmax cross-entropy ∂L/∂z = ŷ − y (ŷ = p = softmax(z), y one-hot or a probability vector)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from .. import matrices as mx
from .core import Draft, MatrixPartial, Partial, Prover, Realization, proven

n, = mx.dims("n")
i, j, k = sp.symbols("i j k", integer=True, positive=True)
z, p, y = mx.vector("z", n), mx.vector("p", n), mx.vector("y", n)
Z, P, Y = sp.IndexedBase("z"), sp.IndexedBase("p"), sp.IndexedBase("y")
L = sp.Symbol("L", real=True)
SIZES = ({n: 1}, {n: 2}, {n: 3})
_FORM = {"scalar": "index", "vector": "matrix"}
delta = sp.KroneckerDelta


def _sum(e):
    return sp.Sum(e, (k, 1, n))


def realize(sizes: dict) -> Realization:
    """z free; p = softmax(z); y a probability vector (its last entry is 1 − the others); L = −Σ y log p."""
    r = Realization(sizes)
    zz = r.leaf(z)
    yy = r.leaf(y, lambda m: m[:-1, :].col_join(sp.Matrix([[1 - sum(m[:-1, :])]])))
    pp = r.node(p, softmax_of(zz))
    r.node(L, -sum(yy[q] * sp.log(pp[q]) for q in range(len(pp))))
    return r


def softmax_of(v: sp.MatrixBase) -> sp.MatrixBase:
    e = v.applyfunc(sp.exp)
    return e / sum(e)


def _index_jacobian():
    S = _sum(sp.exp(Z[k]))
    ij = ((i, n), (j, n))
    d = [Draft(P[i], sp.exp(Z[i]) / S, "definition", "softmax: p_i = e^{z_i} / Σ_k e^{z_k}", ((i, n),))]
    quotient = (delta(i, j) * sp.exp(Z[i]) * S - sp.exp(Z[i]) * sp.exp(Z[j])) / S**2
    d.append(Draft(Partial(P[i], Z[j]), quotient, "quotient rule",
                   "∂e^{z_i}/∂z_j = δ_ij e^{z_i}; ∂(Σ_k e^{z_k})/∂z_j = e^{z_j}", ij))
    split = delta(i, j) * sp.exp(Z[i]) / S - (sp.exp(Z[i]) / S) * (sp.exp(Z[j]) / S)
    d.append(Draft(quotient, split, "algebra", "the fraction split in two", ij))
    back = delta(i, j) * P[i] - P[i] * P[j]
    d.append(Draft(split, back, "definition", "p_i = e^{z_i} / Σ_k e^{z_k}", ij))
    result = P[i] * (delta(i, j) - P[j])
    d.append(Draft(back, result, "algebra", "p_i factored out", ij))
    return d, Draft(Partial(P[i], Z[j]), result, "result", "", ij)


def jacobian(form: str):
    drafts, result = _index_jacobian()
    if form == "vector":
        matrix = mx.diag(p) - mx.outer(p, p)
        drafts.append(Draft(MatrixPartial(p, z), matrix, "index form as matrices",
                            "(diag(p))_ij = p_i δ_ij and (p p^⊤)_ij = p_i p_j"))
        result = Draft(MatrixPartial(p, z), matrix, "result")
    return proven("softmax.jacobian", _FORM[form], "the softmax Jacobian ∂p/∂z, p = softmax(z)", drafts,
                  Prover(realize, list(SIZES)), [result], {"p": "softmax(z)"})


def cross_entropy(form: str):
    jq = ((j, n),)
    d = [Draft(L, -_sum(Y[k] * sp.log(P[k])), "definition",
               "cross-entropy of ŷ = p = softmax(z) against y, with Σ_k y_k = 1 (one-hot or probabilities)")]
    chain = -_sum(Y[k] / P[k] * Partial(P[k], Z[j]))
    d.append(Draft(Partial(L, Z[j]), chain, "chain rule", "∂ log p_k/∂z_j = (1/p_k) ∂p_k/∂z_j", jq))
    jac = -_sum(Y[k] * (delta(k, j) - P[j]))
    d.append(Draft(chain, jac, "softmax Jacobian", "∂p_k/∂z_j = p_k(δ_kj − p_j) (softmax.jacobian)", jq))
    split = -_sum(Y[k] * delta(k, j)) + P[j] * _sum(Y[k])
    d.append(Draft(jac, split, "linearity", "the sum split; p_j does not depend on k", jq))
    picked = -Y[j] + P[j] * _sum(Y[k])
    d.append(Draft(split, picked, "sum of δ", "Σ_k y_k δ_kj = y_j", jq))
    result = P[j] - Y[j]
    d.append(Draft(picked, result, "algebra", "Σ_k y_k = 1", jq))
    final = Draft(Partial(L, Z[j]), result, "result", "", jq)
    if form == "vector":
        d.append(Draft(MatrixPartial(L, z), p - y, "index form as matrices", "ŷ = p: ∂L/∂z = ŷ − y"))
        final = Draft(MatrixPartial(L, z), p - y, "result")
    return proven("softmax.cross_entropy", _FORM[form], "∂L/∂z of softmax cross-entropy, L = −Σ_k y_k log softmax(z)_k",
                  d, Prover(realize, list(SIZES)), [final], {"p": "softmax(z)", "L": "-Sum(y_k*log(p_k))"})


def softmax_np(zv: np.ndarray) -> np.ndarray:
    e = np.exp(zv - np.max(zv))
    return e / e.sum()


def evaluate_jacobian(values: dict, derivation) -> np.ndarray:
    """∂p/∂z (n x n) at z (n,)."""
    result = derivation.result
    zv = values["z"]
    pv = softmax_np(zv)
    return mx.numeric(result.rhs, {"p": pv[:, None]}, {"n": len(zv)})


def evaluate_cross_entropy(values: dict, derivation) -> np.ndarray:
    """∂L/∂z (n,) at z (n,) and a target y (n,) whose entries sum to 1."""
    result = derivation.result
    zv, yv = values["z"], values["y"]
    out = mx.numeric(result.rhs, {"p": softmax_np(zv)[:, None], "y": yv[:, None]}, {"n": len(zv)})
    return np.ravel(out)
