"""Matrix algebra with shapes: products in order, transposes, Hadamard, diag; the prover; the printers."""
import numpy as np
import pytest
import sympy as sp

from dlderive.errors import DlderiveError, ProofError
from dlderive.export.printer import latex_expr
from dlderive.export.textprinter import TextPrinter
from dlderive.functions import sigmoid
from dlderive.matrices import T, apply, diag, dims, hadamard, matrix, mm, numeric, outer, prove, shape_of, vector

n, m = dims("n", "m")
W, U = matrix("W_f", n, m), matrix("U_f", n, n)
x, h, d, a = vector("x_t", m), vector("h_prev", n), vector("d", n), vector("f_t", n)


def test_products_keep_their_order():
    assert mm(U, U, h) != mm(U, h)  # no collapse to an elementwise square
    assert mm(U, W).args == (U, W)
    assert mm(T(U), d) != mm(U, d)


@pytest.mark.parametrize("lhs,rhs", [
    (T(mm(W, x)), mm(T(x), T(W))),
    (mm(T(U), hadamard(a, d)), mm(T(U), diag(a), d)),
    (hadamard(a, d), hadamard(d, a)),
    (outer(d, x), mm(d, T(x))),
    (T(outer(d, x)), outer(x, d)),
    (mm(U, U, h), mm(U, mm(U, h))),
])
def test_identities_are_proven(lhs, rhs):
    proof = prove(lhs, rhs)
    assert len(proof.sizes) >= 3 and {s["n"] for s in proof.sizes} >= {1, 2, 3}


@pytest.mark.parametrize("lhs,rhs", [
    (mm(T(U), d), mm(U, d)),               # a missing transpose
    (mm(U, T(U), h), mm(T(U), U, h)),      # products in the wrong order
    (hadamard(a, mm(U, h)), mm(U, hadamard(a, h))),  # r ∘ (U h) is not U (r ∘ h)
])
def test_wrong_identities_are_refused(lhs, rhs):
    with pytest.raises(ProofError):
        prove(lhs, rhs)


def test_shapes_that_do_not_agree_are_named():
    with pytest.raises(DlderiveError, match="W_f is n x m, h_prev is n x 1"):
        mm(W, h)
    with pytest.raises(DlderiveError, match="x_t is m x 1"):
        hadamard(x, h)
    assert shape_of(mm(T(W), d)) == (m, 1)


def test_numeric_agrees_with_numpy():
    rng = np.random.default_rng(3)
    env = {"W_f": rng.normal(size=(3, 2)), "U_f": rng.normal(size=(3, 3)), "x_t": rng.normal(size=(2, 1)),
           "f_t": rng.normal(size=(3, 1)), "d": rng.normal(size=(3, 1)), "h_prev": rng.normal(size=(3, 1))}
    e = mm(T(U), hadamard(apply(sigmoid, mm(W, x) + mm(U, h)), d)) + mm(diag(a), U, U, h)
    z = env["W_f"] @ env["x_t"] + env["U_f"] @ env["h_prev"]
    expected = env["U_f"].T @ (1 / (1 + np.exp(-z)) * env["d"]) + np.diag(env["f_t"][:, 0]) @ env["U_f"] @ env["U_f"] @ env["h_prev"]
    assert np.max(np.abs(numeric(e, env, {"n": 3, "m": 2}) - expected)) < 1e-14


def test_printers_write_transposes_products_hadamard_diag():
    e = mm(T(U), hadamard(a, d)) + mm(diag(a), U, h) + outer(d, x)
    tex = latex_expr(e, form="vector")
    assert r"\left(U^{f}\right)^\top \left(d \circ f_t\right)" in tex
    assert r"\operatorname{diag}\left(f_t\right) U^{f} h_{t-1}" in tex
    assert r"d x_t^\top" in tex
    text = TextPrinter(form="vector").doprint(e)
    assert "Uᶠᵀ·(d ∘ fₜ)" in text and "diag(fₜ)·Uᶠ·hₜ₋₁" in text


# ----------------------------------------------------------------------------- the engine: a linear RNN
LINEAR_RNN = '''
name = "linrnn"
description = "linear RNN"
inputs = ["x"]
states = ["h"]

[equations]
h_t = "W_h @ x_t + U_h @ h_prev"
'''


@pytest.fixture(scope="module")
def linear_rnn():
    from dlderive.catalog import register, unregister
    from dlderive.cells.declared import cell_from_toml
    register(cell_from_toml(LINEAR_RNN, "linrnn.toml"))
    yield "linrnn"
    unregister("linrnn")


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_linear_rnn_through_time_is_a_matrix_power(linear_rnn, k):
    """∂h_t/∂h_{t-k} = U_h^k (hand-worked: h_t is linear in h_{t-1}), as a product of matrices."""
    import dlderive
    d = dlderive.derive("linrnn.bptt", form="vector", steps=k)
    rng = np.random.default_rng(k)
    n, m = 3, 2
    values = {"W_h": rng.normal(size=(n, m)), "U_h": rng.normal(size=(n, n)), "h_prev%d" % k if k > 1 else "h_prev": rng.normal(size=n)}
    for j in range(k):
        values["x_t" if j == 0 else ("x_prev" if j == 1 else f"x_prev{j}")] = rng.normal(size=m)
    assert isinstance(d.final.rhs, sp.MatrixExpr) and d.final.rhs.shape == (d.final.lhs.shape[0],) * 2
    got = numeric(d.final.rhs, values, {"n": n, "m": m})
    assert np.max(np.abs(got - np.linalg.matrix_power(values["U_h"], k))) < 1e-12
    assert np.max(np.abs(dlderive.evaluate("linrnn.bptt", values, "vector", k) - np.linalg.matrix_power(values["U_h"], k))) < 1e-12
    if k > 1:
        assert np.max(np.abs(got - values["U_h"] ** k)) > 1e-3  # not the elementwise power


# ----------------------------------------------------------------------------- r ∘ (U h) in a declared cell
RESET_RNN = '''
name = "rcell"
description = "a reset-gated RNN"
inputs = ["x"]
states = ["h"]

[equations]
r_t = "sigmoid(W_r @ x_t + U_r @ h_prev + b_r)"
h_t = "tanh(W_h @ x_t + r_t * (U_h @ h_prev))"
'''


def _reset_rnn_step(v, h):
    r = 1 / (1 + np.exp(-(v["W_r"] @ v["x_t"] + v["U_r"] @ h + v["b_r"])))
    return np.tanh(v["W_h"] @ v["x_t"] + r * (v["U_h"] @ h))


@pytest.fixture(scope="module")
def reset_rnn():
    from dlderive.catalog import register, unregister
    from dlderive.cells.declared import cell_from_toml
    register(cell_from_toml(RESET_RNN, "rcell.toml"))
    yield "rcell"
    unregister("rcell")


def _reset_values(rng, n, m):
    return {"W_r": rng.normal(size=(n, m)), "U_r": rng.normal(size=(n, n)), "b_r": rng.normal(size=n),
            "W_h": rng.normal(size=(n, m)), "U_h": rng.normal(size=(n, n)), "x_t": rng.normal(size=m),
            "h_prev": rng.normal(size=n)}


@pytest.mark.parametrize("n,m", [(1, 1), (3, 2), (5, 4)])
def test_elementwise_times_matrix_product_is_kept_whole(reset_rnn, n, m):
    """r ∘ (U h) is read as written (not U (r ∘ h)): the Jacobian agrees with central differences
    of a NumPy step written by hand, and the printed result shows (U^h h_{t-1}) whole."""
    import dlderive
    from dlderive.export import render
    rng = np.random.default_rng(n)
    v = _reset_values(rng, n, m)
    eps = 1e-6
    fd = np.stack([(_reset_rnn_step(v, v["h_prev"] + eps * e) - _reset_rnn_step(v, v["h_prev"] - eps * e)) / (2 * eps)
                   for e in np.eye(n)], axis=1)
    assert np.max(np.abs(dlderive.evaluate("rcell.hidden", v, "vector") - fd)) < 1e-8
    d = dlderive.derive("rcell.hidden", "vector")
    assert all(s.proof for s in d.steps)
    assert r"\left(U^{h} h_{t-1}\right)" in render(d, "latex")


def test_elementwise_times_matrix_product_through_time_and_loss(reset_rnn):
    import dlderive
    import torch
    rng = np.random.default_rng(9)
    n, m, p, T = 3, 2, 2, 3
    v = _reset_values(rng, n, m)
    v.pop("x_t"), v.pop("h_prev")
    v.update({"V": rng.normal(size=(p, n)), "b_y": rng.normal(size=p), "h_prev3": rng.normal(size=n)})
    for j, name in enumerate(["x_t", "x_prev", "x_prev2"]):
        v[name] = rng.normal(size=m)
        v[["y_t", "y_prev", "y_prev2"][j]] = rng.normal(size=p)
    t = {k: torch.tensor(a, requires_grad=True) for k, a in v.items()}
    with torch.enable_grad():
        h, loss = t["h_prev3"], 0
        for x, y in (("x_prev2", "y_prev2"), ("x_prev", "y_prev"), ("x_t", "y_t")):
            r = torch.sigmoid(t["W_r"] @ t[x] + t["U_r"] @ h + t["b_r"])
            h = torch.tanh(t["W_h"] @ t[x] + r * (t["U_h"] @ h))
            loss = loss + 0.5 * ((t["V"] @ h + t["b_y"] - t[y]) ** 2).sum()
        loss.backward()
    for w in ("U_h", "U_r", "W_h", "b_r", "x_prev", "h_prev3"):
        got = dlderive.evaluate("rcell.loss_grad", v, "vector", steps=T, weight=w, loss="squared")
        assert np.max(np.abs(got - t[w].grad.numpy())) < 1e-10, w
    d = dlderive.derive("rcell.bptt", "vector", 3)
    assert all(s.proof for s in d.steps)
