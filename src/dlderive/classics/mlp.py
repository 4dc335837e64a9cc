"""Backpropagation through a two-layer perceptron with softmax cross-entropy:
a = W₁ x + b₁, h = φ(a), s = W₂ h + b₂, L = −Σ_k y_k log softmax(s)_k, for any registered
activation φ; δs = p − y, then each layer's linear backward pass and φ' elementwise."""
from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .. import matrices as mx
from ..errors import DlderiveError
from ..functions import NUMPY_FUNCTIONS, REGISTRY, Prime, prime
from .core import Draft, MatrixPartial, Prover, Realization, proven
from .softmax import softmax_np, softmax_of

m, n, c = mx.dims("m", "n", "c")
k = sp.Symbol("k", integer=True, positive=True)
x, W1, b1 = mx.vector("x", m), mx.matrix("W_1", n, m), mx.vector("b_1", n)
a, h = mx.vector("a", n), mx.vector("h", n)
W2, b2, s = mx.matrix("W_2", c, n), mx.vector("b_2", c), mx.vector("s", c)
p, y = mx.vector("p", c), mx.vector("y", c)
P, Y = sp.IndexedBase("p"), sp.IndexedBase("y")
L = sp.Symbol("L", real=True)
SIZES = ({m: 1, n: 1, c: 1}, {m: 2, n: 3, c: 2}, {m: 3, n: 2, c: 3})
DEFAULT = "tanh"
ACTIVATIONS = tuple(name for name, f in REGISTRY.items() if f.cls is not None and name != "log")
"""The registered functions defined on every real number (log is not)."""


def activation(name):
    if name is None:
        return REGISTRY[DEFAULT]
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise DlderiveError(f"unknown activation {name!r} for mlp.backprop; choose one of: {', '.join(ACTIVATIONS)}")
    return REGISTRY[name]


def _realizer(phi):
    def realize(sizes: dict) -> Realization:
        r = Realization(sizes)
        xx, w1, bb1, w2, bb2 = (r.leaf(v) for v in (x, W1, b1, W2, b2))
        yy = r.leaf(y, lambda v: v[:-1, :].col_join(sp.Matrix([[1 - sum(v[:-1, :])]])))
        aa = r.node(a, w1 * xx + bb1)
        hh = r.node(h, aa.applyfunc(phi.make))
        ss = r.node(s, w2 * hh + bb2)
        pp = r.node(p, softmax_of(ss))
        r.node(L, -sum(yy[q] * sp.log(pp[q]) for q in range(len(pp))))
        return r
    return realize


def backprop(form: str, name: str | None = None):
    phi = activation(name)
    dphi = mx.apply(prime(phi.make), a)
    ds, dh, da = MatrixPartial(L, s), MatrixPartial(L, h), MatrixPartial(L, a)
    d = [Draft(a, mx.mm(W1, x) + b1, "definition", "the first layer"),
         Draft(h, mx.apply(phi.make, a), "definition", f"the activation {phi.text}, elementwise"),
         Draft(s, mx.mm(W2, h) + b2, "definition", "the second layer: the scores"),
         Draft(L, -sp.Sum(Y[k] * sp.log(P[k]), (k, 1, c)), "definition",
               "softmax cross-entropy: p = softmax(s), Σ_k y_k = 1"),
         Draft(ds, p - y, "softmax cross-entropy", "∂L/∂s = ŷ − y (softmax.cross_entropy)"),
         Draft(MatrixPartial(L, W2), mx.mm(ds, mx.T(h)), "linear backward", "∂L/∂W = δ x^⊤ for s = W x + b"),
         Draft(MatrixPartial(L, b2), ds, "linear backward", "∂L/∂b = δ"),
         Draft(dh, mx.mm(mx.T(W2), ds), "linear backward", "∂L/∂x = W^⊤ δ"),
         Draft(da, mx.hadamard(dh, dphi), f"derivative of {phi.text}", f"elementwise; {phi.identity}"),
         Draft(MatrixPartial(L, W1), mx.mm(da, mx.T(x)), "linear backward", "∂L/∂W = δ x^⊤ for a = W x + b"),
         Draft(MatrixPartial(L, b1), da, "linear backward", "∂L/∂b = δ"),
         Draft(MatrixPartial(L, x), mx.mm(mx.T(W1), da), "linear backward", "∂L/∂x = W^⊤ δ")]
    delta_a = mx.hadamard(mx.mm(mx.T(W2), p - y), dphi)
    results = [Draft(MatrixPartial(L, W1), mx.mm(delta_a, mx.T(x)), "result"),
               Draft(MatrixPartial(L, b1), delta_a, "result"),
               Draft(MatrixPartial(L, W2), mx.mm(p - y, mx.T(h)), "result"),
               Draft(MatrixPartial(L, b2), p - y, "result"),
               Draft(MatrixPartial(L, x), mx.mm(mx.T(W1), delta_a), "result")]
    return proven("mlp.backprop", "matrix", f"backpropagation through two layers, activation {phi.text}, "
                  "softmax cross-entropy", d, Prover(_realizer(phi), list(SIZES)), results,
                  {"a": "W_1*x + b_1", "h": f"{phi.name}(a)", "s": "W_2*h + b_2", "p": "softmax(s)",
                   "L": "-Sum(y_k*log(p_k))"})


INPUTS = {"x": ("m",), "W_1": ("n", "m"), "b_1": ("n",), "W_2": ("c", "n"), "b_2": ("c",), "y": ("c",)}


def evaluate(values: dict, derivation, name: str | None = None) -> dict:
    """{"W_1", "b_1", "W_2", "b_2", "x"} -> gradient arrays, at NumPy inputs."""
    phi = activation(name)
    col = {key: (v[:, None] if v.ndim == 1 else v) for key, v in values.items()}
    av = col["W_1"] @ col["x"] + col["b_1"]
    z = sp.Dummy("z", real=True)
    slope = sp.lambdify(z, phi.derivative(z), [NUMPY_FUNCTIONS, "numpy"])
    hv = NUMPY_FUNCTIONS[phi.name](av)
    pv = softmax_np(np.ravel(col["W_2"] @ hv + col["b_2"]))[:, None]
    env = {**col, "a": av, "h": hv, "p": pv, "dphi": np.broadcast_to(slope(av), av.shape).astype(float)}
    sizes = {"m": col["x"].shape[0], "n": av.shape[0], "c": pv.shape[0]}
    slopes = mx.vector("dphi", n)
    out = {}
    for lhs, rhs in zip(derivation.result.lhs, derivation.result.rhs):
        rhs = rhs.replace(lambda e: isinstance(e, ElementwiseApplyFunction) and isinstance(e.function.expr, Prime),
                          lambda e: slopes)
        v = mx.numeric(rhs, env, sizes)
        key = lhs.args[1].name
        out[key] = np.ravel(v) if key in ("b_1", "b_2", "x") else v
    return out
