"""The backward pass of batch normalization in training mode, one feature over a batch of N:
μ = (1/N) Σ_k x_k, σ = √((1/N) Σ_k (x_k − μ)² + ε), x̂ = (x − μ)/σ, y = γ x̂ + β;
∂L/∂x = (1/N) γ σ⁻¹ (N dy − Σ dy − x̂ Σ (dy ∘ x̂)), ∂L/∂γ = Σ dy ∘ x̂, ∂L/∂β = Σ dy."""
from __future__ import annotations

import numpy as np
import sympy as sp

from .. import matrices as mx
from ..errors import DlderiveError
from .core import Draft, MatrixPartial, Partial, Prover, Realization, proven

N, = mx.dims("N")
i, k = sp.symbols("i k", integer=True, positive=True)
x, xh, y, dy = mx.vector("x", N), mx.vector("x_hat", N), mx.vector("y", N), mx.vector("dy", N)
X, XH, Y = (sp.IndexedBase(v.name) for v in (x, xh, y))
gamma, beta, eps, mu, sigma, L = sp.symbols("gamma beta epsilon mu sigma L", real=True)
ONES = sp.OneMatrix(N, 1)
SIZES = ({N: 1}, {N: 2}, {N: 3})
delta = sp.KroneckerDelta


def realize(sizes: dict) -> Realization:
    """x, γ, β, ε > 0 and the upstream gradient dy free; L = Σ dy ∘ y, whose gradient by y is dy."""
    r = Realization(sizes)
    xx, g, bt, gg = r.leaf(x), r.leaf(gamma), r.leaf(beta), r.leaf(dy)
    e = r.leaf(eps, lambda v: v**2 + sp.Rational(1, 10))
    size = xx.shape[0]
    m = r.node(mu, sum(xx) / size)
    s = r.node(sigma, sp.sqrt(sum((v - m) ** 2 for v in xx) / size + e))
    xhat = r.node(xh, (xx - m * sp.ones(size, 1)) / s)
    yy = r.node(y, g * xhat + bt * sp.ones(size, 1))
    r.node(L, sum(a * b for a, b in zip(gg, yy)))
    return r


def _sum(e):
    return sp.Sum(e, (k, 1, N))


def backward(form: str):
    ii, kk, ki = ((i, N),), ((k, N),), ((k, N), (i, N))
    dY = Partial(L, Y[k])
    d = [Draft(mu, _sum(X[k]) / N, "definition", "the batch mean"),
         Draft(sigma, sp.sqrt(_sum((X[k] - mu) ** 2) / N + eps), "definition",
               "the batch standard deviation (biased variance), ε > 0"),
         Draft(XH[k], (X[k] - mu) / sigma, "definition", "normalized", kk),
         Draft(Y[k], gamma * XH[k] + beta, "definition", "scaled and shifted", kk),
         Draft(Partial(L, beta), _sum(dY * Partial(Y[k], beta)), "chain rule", "through every y_k"),
         Draft(_sum(dY * Partial(Y[k], beta)), _sum(dY), "linearity", "∂y_k/∂β = 1"),
         Draft(Partial(L, gamma), _sum(dY * Partial(Y[k], gamma)), "chain rule", "through every y_k"),
         Draft(_sum(dY * Partial(Y[k], gamma)), _sum(dY * XH[k]), "linearity", "∂y_k/∂γ = x̂_k"),
         Draft(Partial(L, XH[k]), gamma * dY, "chain rule", "x̂_k reaches L through y_k only", kk)]
    dxh = (delta(k, i) - sp.Rational(1, 1) / N) / sigma - XH[k] * XH[i] / (N * sigma)
    chain = _sum(Partial(L, XH[k]) * Partial(XH[k], X[i]))
    d += [Draft(Partial(XH[k], X[i]), dxh, "quotient rule",
                "∂μ/∂x_i = 1/N, ∂σ/∂x_i = x̂_i/N", ki),
          Draft(Partial(L, X[i]), chain, "chain rule", "through every x̂_k (μ and σ depend on x_i too)", ii)]
    subst = _sum(gamma * dY * dxh)
    closed = gamma / (N * sigma) * (N * Partial(L, Y[i]) - _sum(dY) - XH[i] * _sum(dY * XH[k]))
    d += [Draft(chain, subst, "substitution", "∂L/∂x̂_k and ∂x̂_k/∂x_i from above", ii),
          Draft(subst, closed, "algebra", "1/(Nσ) taken out; Σ_k δ_ki ∂L/∂y_k = ∂L/∂y_i", ii)]
    results = [Draft(Partial(L, X[i]), closed, "result", "", ii),
               Draft(Partial(L, gamma), _sum(dY * XH[k]), "result"),
               Draft(Partial(L, beta), _sum(dY), "result")]
    if form == "vector":
        g = MatrixPartial(L, y)
        sums = mx.mm(ONES, mx.T(ONES))
        matrix = (gamma / (N * sigma)) * (N * g - mx.mm(sums, g) - mx.hadamard(xh, mx.mm(sums, mx.hadamard(g, xh))))
        d.append(Draft(MatrixPartial(L, x), matrix, "index form as matrices",
                       "1 1^⊤ v has Σ_k v_k in every entry"))
        results[0] = Draft(MatrixPartial(L, x), matrix, "result")
    return proven("batchnorm.backward", "matrix" if form == "vector" else "index",
                  "the backward pass of batch normalization (training mode, one feature over a batch of N)",
                  d, Prover(realize, list(SIZES)), results,
                  {"mu": "Sum(x_k)/N", "sigma": "sqrt(Sum((x_k - mu)**2)/N + epsilon)", "x_hat": "(x - mu)/sigma",
                   "y": "gamma*x_hat + beta", "dy": "the gradient ∂L/∂y of the loss, given"})


INPUTS = {"x": ("N", "d"), "gamma": ("d",), "beta": ("d",), "dy": ("N", "d")}
EPSILON = 1e-5


def evaluate(values: dict, derivation) -> dict:
    """{"x", "gamma", "beta"} -> gradients, for x and dy of shape (N, d), gamma of shape (d,); each
    column a feature normalized over the batch; ``epsilon`` optional (default 1e-5)."""
    xv, dyv, gv = values["x"], values["dy"], values["gamma"]
    e = float(values.get("epsilon", EPSILON))
    if not e > 0:
        raise DlderiveError(f"epsilon must be a positive number, not {e!r}")
    size = xv.shape[0]
    muv = xv.mean(axis=0)
    sigv = np.sqrt(((xv - muv) ** 2).mean(axis=0) + e)
    xhv = (xv - muv) / sigv
    out = {"x": np.empty_like(xv), "gamma": np.empty(xv.shape[1]), "beta": np.empty(xv.shape[1])}
    for col in range(xv.shape[1]):
        env = {"x_hat": xhv[:, col:col + 1], "dy": dyv[:, col:col + 1], "gamma": float(gv[col]),
               "sigma": float(sigv[col]), "N": float(size)}
        for lhs, rhs in zip(derivation.result.lhs, derivation.result.rhs):
            key = lhs.args[1].name if not isinstance(lhs.args[1], sp.Indexed) else "x"
            v = np.ravel(mx.numeric(_as_matrix(rhs), env, {"N": size}))
            out[key][..., col] = v if key == "x" else v[0]
    return out


def _as_matrix(e):
    """A result in matrix form: ∂L/∂y as dy, Σ_k (products of entries) as 1^⊤ (their ∘)."""
    e = e.xreplace({MatrixPartial(L, y): dy})
    if isinstance(e, sp.Sum):
        factors = e.function.args if isinstance(e.function, sp.Mul) else (e.function,)
        vectors = [dy if isinstance(f, Partial) else {"x_hat": xh}[str(f.base.label)] for f in factors]
        return mx.mm(mx.T(ONES), mx.hadamard(*vectors))
    return e
