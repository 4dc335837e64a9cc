"""dlderive.evaluate: compiled results against sympy.diff (scalar) and finite differences of the
NumPy cell in tests/oracle.py (vector); bad input named precisely."""
import random

import numpy as np
import pytest
import sympy as sp

from dlderive import DlderiveError, evaluate
from dlderive.evaluate import compiled
from dlderive.functions import NUMPY_FUNCTIONS
from oracle import fd_jacobian, lstm_numpy, lstm_scalar, random_values, sym

TARGETS = {"lstm.forget_gate": "f_t", "lstm.input_gate": "i_t", "lstm.output_gate": "o_t",
           "lstm.candidate": "u_t", "lstm.cell": "c_t", "lstm.hidden": "h_t"}


@pytest.mark.parametrize("name", TARGETS)
def test_scalar_value_is_sympy_diff(name):
    oracle = lstm_scalar()
    truth = sp.diff(oracle[TARGETS[name]], sym("h_prev"))
    symbols = sorted(oracle["h_t"].free_symbols, key=str)
    exact = sp.lambdify(symbols, truth, modules=[NUMPY_FUNCTIONS, "math"])
    rng = random.Random(name)
    for _ in range(3):
        point = [rng.uniform(-1.5, 1.5) for _ in symbols]
        assert evaluate(name, {s.name: v for s, v in zip(symbols, point)}) == pytest.approx(exact(*point), abs=1e-12)


@pytest.mark.parametrize("name", TARGETS)
@pytest.mark.parametrize("n", [1, 3, 8])
def test_vector_value_matches_finite_differences(name, n):
    rng = np.random.default_rng(n)
    values = random_values(n, 2, rng)
    fd = fd_jacobian(lambda h: lstm_numpy(values, h)[TARGETS[name]], values["h_prev"])
    np.testing.assert_allclose(evaluate(name, values, "vector"), fd, atol=1e-8)


def test_independence_evaluates_to_zero_and_c_derivatives_match_differences():
    values = random_values(4, 3, np.random.default_rng(0))
    assert np.all(evaluate("lstm.cell_independence", values, "vector") == 0)
    fd = fd_jacobian(lambda c: lstm_numpy({**values, "c_prev": c}, values["h_prev"])["h_t"], values["c_prev"])
    np.testing.assert_allclose(evaluate("lstm.hidden_wrt_c", values, "vector"), fd, atol=1e-8)
    f_t = lstm_numpy(values, values["h_prev"])["f_t"]
    np.testing.assert_allclose(evaluate("lstm.cell_wrt_c", values, "vector"), np.diag(f_t), atol=1e-14)


def test_evaluators_are_compiled_once_per_derivation():
    assert compiled("lstm.hidden", "vector") is compiled("lstm.hidden", "vector")


def _values(n=3, m=2):
    return random_values(n, m, np.random.default_rng(1))


@pytest.mark.parametrize("change,message", [
    (lambda v: v.pop("W_f"), r"missing value for W_f: expected an array of shape \(n, m\) = \(3, 2\)"),
    (lambda v: v.update(U_o=np.ones((2, 2))), r"U_o has shape \(2, 2\); expected an array of shape \(n, n\) = \(3, 3\)"),
    (lambda v: v.update(b_i=np.array([0.0, np.nan, 1.0])), r"b_i has non-finite values"),
    (lambda v: v.update(x_t=np.ones((2, 1))), r"x_t has shape \(2, 1\); expected an array of shape \(m,\)"),
    (lambda v: v.update(h_prev="abc"), r"h_prev must be an array of shape \(n,\)"),
    (lambda v: v.update(c_prev=np.array([1.0, np.inf, 0.0])), r"c_prev has non-finite values"),
])
def test_bad_vector_input_names_the_identifier_and_shape(change, message):
    values = _values()
    change(values)
    with pytest.raises(DlderiveError, match=message):
        evaluate("lstm.hidden", values, "vector")


def test_bad_scalar_input():
    values = {k: 0.1 for k in ("x_t", "h_prev", "c_prev")}
    with pytest.raises(DlderiveError, match="missing value for U_f: expected a finite real number"):
        evaluate("lstm.forget_gate", values)
    values.update(W_f=0.2, U_f=float("nan"), b_f=0.0)
    with pytest.raises(DlderiveError, match="U_f has non-finite values"):
        evaluate("lstm.forget_gate", values)
    values.update(U_f=[1.0, 2.0])
    with pytest.raises(DlderiveError, match=r"U_f has shape \(2,\); expected a finite real number"):
        evaluate("lstm.forget_gate", values)


def test_unknown_names_and_forms():
    with pytest.raises(DlderiveError, match="unknown derivation"):
        evaluate("lstm.nope", {})
    with pytest.raises(DlderiveError, match="unknown form"):
        evaluate("lstm.hidden", {}, "matrix")
    with pytest.raises(DlderiveError, match="values must map"):
        evaluate("lstm.hidden", [1, 2], "scalar")


def test_sigmoid_scalar_value():
    s = 1 / (1 + np.exp(-0.7))
    assert evaluate("sigmoid", {"z": 0.7}) == pytest.approx(s * (1 - s), abs=1e-15)
