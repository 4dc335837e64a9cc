"""Derivatives through time: structure, proofs, and values against sympy.diff of the unrolled
scalar cell and central finite differences of an unrolled NumPy cell written here."""
import dataclasses
import random

import numpy as np
import pytest
import sympy as sp

from dlderive import evaluate
from dlderive.bptt import prove_steps
from dlderive.cells import get_cell
from dlderive.derive import DERIVATIONS, derive
from dlderive.errors import DlderiveError, ProofError
from dlderive.functions import NUMPY_FUNCTIONS, sigmoid
from dlderive.matrices import MatrixPartial, diag, dims, hadamard, vector
from dlderive.steps import Step
from oracle import lstm_scalar, sym

N = dims("n")[0]

BPTT = [n for n in DERIVATIONS if ".bptt" in n]


def test_every_cell_has_derivations_through_time():
    assert {"lstm.bptt", "lstm.bptt_c", "gru.bptt", "rnn.bptt", "peephole.bptt", "peephole.bptt_c"} <= set(BPTT)


@pytest.mark.parametrize("name", BPTT)
@pytest.mark.parametrize("form", ["scalar", "vector"])
def test_every_step_is_proven(name, form):
    d = derive(name, form, steps=3)
    assert d.steps and all(s.proof and s.rule for s in d.steps)
    wrt = d.final.lhs.variables[0] if isinstance(d.final.lhs, sp.Derivative) else d.final.lhs.args[1]
    assert wrt.name.endswith("_prev3")


def test_a_wrong_through_time_step_is_refused():
    """The product of the partial derivatives of h alone misses the paths through c."""
    cell = get_cell("lstm")
    h = [vector(n, N) for n in ("h_t", "h_prev", "h_prev2")]
    naive = Step(MatrixPartial(h[0], h[2]), sp.MatMul(MatrixPartial(h[0], h[1]), MatrixPartial(h[1], h[2])), "chain rule")
    with pytest.raises(ProofError):
        prove_steps(cell, [naive], 2, "vector")
    total = derive("lstm.bptt", "vector", steps=2)
    assert prove_steps(cell, [dataclasses.replace(s, proof="") for s in total.steps], 2, "vector")


def test_constant_error_carousel_and_partial_versus_total_are_stated():
    d = derive("lstm.bptt", "vector", steps=4)
    c_t, c_prev = vector("c_t", N), vector("c_prev", N)
    carousel = [s for s in d.steps if s.lhs == MatrixPartial(c_t, c_prev)]
    assert carousel and carousel[0].rhs == diag(vector("f_t", N)) and "carousel" in carousel[0].note
    f = [vector(n, N) for n in ("f_t", "f_prev", "f_prev2", "f_prev3")]
    product = [s for s in d.steps if s.rhs == diag(hadamard(*f))]  # the elementwise product of k gates
    assert product
    notes = " ".join(s.note for s in d.steps)
    assert "total derivative" in notes and "partial derivative" in notes
    assert "vanishes" in notes and "explode" in notes


def test_result_is_kept_factored_and_grows_linearly():
    sizes = {}
    for k in (8, 16, 32, 64):
        d = derive("lstm.bptt", "vector", steps=k)
        factors = [f for f in d.final.rhs.args if isinstance(f, MatrixPartial)]
        assert len(factors) == k + 2  # selection, k block Jacobians, selection
        sizes[k] = sum(len(str(s.lhs)) + len(str(s.rhs)) for s in d.steps)
    assert sizes[64] < 2.2 * sizes[32] and sizes[32] < 2.2 * sizes[16]


def _unrolled_scalar(k):
    """h_t of a hidden-size-1 LSTM unrolled k steps, in x_{t-j}, h_{t-k}, c_{t-k} (plain SymPy)."""
    one = lstm_scalar()
    h, c = sym(f"h_prev{k}"), sym(f"c_prev{k}")
    for j in range(k - 1, -1, -1):
        x = sym("x_t" if j == 0 else "x_prev" if j == 1 else f"x_prev{j}")
        sub = {sym("x_t"): x, sym("h_prev"): h, sym("c_prev"): c}
        h, c = one["h_t"].xreplace(sub), one["c_t"].xreplace(sub)
    return h


def test_scalar_lstm_through_two_steps_equals_sympy_diff_of_the_unrolled_cell():
    k = 2
    h_t = _unrolled_scalar(k)
    truth = sp.diff(h_t, sym("h_prev2"))
    symbols = sorted(truth.free_symbols, key=str)
    exact = sp.lambdify(symbols, truth, modules=[NUMPY_FUNCTIONS, "math"])
    rng = random.Random(3)
    for _ in range(3):
        point = [rng.uniform(-1, 1) for _ in symbols]
        values = {s.name: v for s, v in zip(symbols, point)}
        assert evaluate("lstm.bptt", values, "scalar", steps=k) == pytest.approx(exact(*point), abs=1e-12)


def _np_sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _gru_run(v, k, h):
    for j in range(k - 1, -1, -1):
        x = v["x_t" if j == 0 else "x_prev" if j == 1 else f"x_prev{j}"]
        r = _np_sigmoid(v["W_r"] @ x + v["U_r"] @ h + v["b_r"])
        z = _np_sigmoid(v["W_z"] @ x + v["U_z"] @ h + v["b_z"])
        n = np.tanh(v["W_n"] @ x + v["b_n"] + r * (v["U_n"] @ h + v["b_hn"]))
        h = (1 - z) * n + z * h
    return h


@pytest.mark.parametrize("k", [1, 3, 7])
def test_gru_through_time_matches_central_differences(k):
    rng = np.random.default_rng(k)
    n, m = 4, 3
    v = {f"{w}_{g}": rng.uniform(-1, 1, (n, m) if w == "W" else (n, n)) for w in "WU" for g in "rzn"}
    v.update({f"b_{g}": rng.uniform(-1, 1, n) for g in ("r", "z", "n", "hn")})
    v.update({("x_t" if j == 0 else "x_prev" if j == 1 else f"x_prev{j}"): rng.uniform(-1, 1, m) for j in range(k)})
    h0 = rng.uniform(-1, 1, n)
    v["h_prev" if k == 1 else f"h_prev{k}"] = h0
    eps = 1e-6
    fd = np.stack([(_gru_run(v, k, h0 + eps * e) - _gru_run(v, k, h0 - eps * e)) / (2 * eps) for e in np.eye(n)], axis=1)
    np.testing.assert_allclose(evaluate("gru.bptt", v, "vector", steps=k), fd, atol=1e-8)


@pytest.mark.parametrize("steps", [0, -1, 1001, 2.5, "3", True])
def test_bad_step_counts_are_refused(steps):
    with pytest.raises(DlderiveError, match="1 to 1000"):
        derive("lstm.bptt", "vector", steps=steps)


def test_steps_only_apply_through_time():
    with pytest.raises(DlderiveError, match="only to the derivations through time"):
        derive("lstm.hidden", "vector", steps=2)


def test_missing_input_at_an_earlier_step_is_named():
    with pytest.raises(DlderiveError, match="x_prev2"):
        evaluate("rnn.bptt", {"x_t": [0.1], "x_prev": [0.2], "h_prev3": [0.3], "W_h": [[1.0]], "U_h": [[1.0]],
                              "b_h": [0.0]}, "vector", steps=3)


def test_cli_steps_option(capsys):
    from dlderive.cli import main
    assert main(["derive", "rnn.bptt", "--steps", "5", "--form", "vector"]) == 0
    out = capsys.readouterr().out
    assert "ₜ₋₅" in out
    assert main(["derive", "lstm.bptt", "--steps", "0"]) == 2
    assert "1 to 1000" in capsys.readouterr().err


def test_sigmoid_name_untouched():
    assert derive("sigmoid").final.rhs == sigmoid(sym("z")) * (1 - sigmoid(sym("z")))
