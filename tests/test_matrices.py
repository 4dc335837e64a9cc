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
    from dlderive.jacobian import numeric
    got = numeric(d.final.rhs, values, d.kinds)
    assert np.max(np.abs(got - np.linalg.matrix_power(values["U_h"], k))) < 1e-12
    assert np.max(np.abs(dlderive.evaluate("linrnn.bptt", values, "vector", k) - np.linalg.matrix_power(values["U_h"], k))) < 1e-12
    if k > 1:
        assert np.max(np.abs(got - values["U_h"] ** k)) > 1e-3  # not the elementwise power
