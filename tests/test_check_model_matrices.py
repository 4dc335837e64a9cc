"""The checker with ``--model``: the model's equations are the matrix reading's definitions.

Every claim's truth is settled here by PyTorch autograd: the LSTM and GRU cells are written out in torch
with random float64 weights at m = 3 inputs and n = 2 hidden units (W_* is 2×3, so a product in the
wrong order or a missing transpose cannot agree by accident), the Jacobian by h_{t-1} (or c_{t-1}) is
torch.autograd.functional.jacobian's, and the claimed formula is evaluated in torch from the same
values. A claim is valid for the checker exactly when torch confirms it; a false one is invalid."""
from __future__ import annotations

import pytest
import torch
from torch.autograd.functional import jacobian

from dlderive.check import check_text

M, N = 3, 2
PREAMBLE = r"With the weights as matrices and $\odot$ the elementwise product, in the numerator layout:" + "\n\n"


def _values(seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    r = lambda *shape: torch.randn(*shape, generator=g, dtype=torch.float64)  # noqa: E731
    v = {"x": r(M), "h": r(N), "c": r(N), "b_hn": r(N)}
    for gate in "fiourzn":
        v[f"W_{gate}"], v[f"U_{gate}"], v[f"b_{gate}"] = r(N, M), r(N, N), r(N)
    return v


def _lstm(v, h, c):
    pre = lambda g: v[f"W_{g}"] @ v["x"] + v[f"U_{g}"] @ h + v[f"b_{g}"]  # noqa: E731
    f, i, o = (torch.sigmoid(pre(g)) for g in "fio")
    u = torch.tanh(pre("u"))
    c_t = f * c + i * u
    return {"f": f, "i": i, "o": o, "u": u, "c": c_t, "h": o * torch.tanh(c_t)}


def _gru(v, h):
    r = torch.sigmoid(v["W_r"] @ v["x"] + v["U_r"] @ h + v["b_r"])
    z = torch.sigmoid(v["W_z"] @ v["x"] + v["U_z"] @ h + v["b_z"])
    n = torch.tanh(v["W_n"] @ v["x"] + r * (v["U_n"] @ h + v["b_hn"]) + v["b_n"])
    return {"r": r, "z": z, "n": n, "h": z * h + (1 - z) * n}


def _jacobian(cell: str, out: str, by: str, v: dict):
    if cell == "lstm":
        if by == "c":
            return jacobian(lambda c: _lstm(v, v["h"], c)[out], v["c"])
        return jacobian(lambda h: _lstm(v, h, v["c"])[out], v["h"])
    return jacobian(lambda h: _gru(v, h)[out], v["h"])


D = torch.diag


def _sig(s):  # diag(s ⊙ (1 − s))
    return D(s * (1 - s))


def _gru_n(q, v):  # ∂n_t/∂h_{t-1}
    return D(1 - q["n"] ** 2) @ (D(v["U_n"] @ v["h"] + v["b_hn"]) @ _sig(q["r"]) @ v["U_r"] + D(q["r"]) @ v["U_n"])


_N = r"\mathrm{diag}(1 - n_t \odot n_t) (\mathrm{diag}(U_n h_{t-1} + b_{hn}) \mathrm{diag}(r_t \odot (1 - r_t)) U_r " \
     r"+ \mathrm{diag}(r_t) U_n)"
_N_NO_T = _N.replace(r"\mathrm{diag}(r_t) U_n)", r"\mathrm{diag}(r_t) U_n^\top)")

# (cell, output, by, LaTeX of the claim's right side, the same claim in torch, true by hand)
CLAIMS = [
    ("lstm", "f", "h", r"\mathrm{diag}(f_t \odot (1 - f_t)) U_f", lambda q, v: _sig(q["f"]) @ v["U_f"], True),
    ("lstm", "f", "h", r"U_f \mathrm{diag}(f_t \odot (1 - f_t))", lambda q, v: v["U_f"] @ _sig(q["f"]), False),
    ("lstm", "f", "h", r"\mathrm{diag}(f_t \odot (1 - f_t)) U_f^\top", lambda q, v: _sig(q["f"]) @ v["U_f"].T, False),
    ("lstm", "i", "h", r"\mathrm{diag}(i_t \odot (1 - i_t)) U_i", lambda q, v: _sig(q["i"]) @ v["U_i"], True),
    ("lstm", "i", "h", r"\mathrm{diag}(i_t \odot (1 - i_t)) U_i^\top", lambda q, v: _sig(q["i"]) @ v["U_i"].T, False),
    ("lstm", "o", "h", r"\mathrm{diag}(o_t \odot (1 - o_t)) U_o", lambda q, v: _sig(q["o"]) @ v["U_o"], True),
    ("lstm", "o", "h", r"U_o \mathrm{diag}(o_t \odot (1 - o_t))", lambda q, v: v["U_o"] @ _sig(q["o"]), False),
    ("lstm", "u", "h", r"\mathrm{diag}(1 - u_t \odot u_t) U_u", lambda q, v: D(1 - q["u"] ** 2) @ v["U_u"], True),
    ("lstm", "u", "h", r"\mathrm{diag}(1 - u_t \odot u_t) U_u^\top",
     lambda q, v: D(1 - q["u"] ** 2) @ v["U_u"].T, False),
    ("lstm", "c", "h", r"\mathrm{diag}(c_{t-1}) \mathrm{diag}(f_t \odot (1 - f_t)) U_f + \mathrm{diag}(u_t) "
     r"\mathrm{diag}(i_t \odot (1 - i_t)) U_i + \mathrm{diag}(i_t) \mathrm{diag}(1 - u_t \odot u_t) U_u",
     lambda q, v: D(v["c"]) @ _sig(q["f"]) @ v["U_f"] + D(q["u"]) @ _sig(q["i"]) @ v["U_i"]
     + D(q["i"]) @ D(1 - q["u"] ** 2) @ v["U_u"], True),
    ("lstm", "c", "h", r"\mathrm{diag}(c_{t-1}) \mathrm{diag}(f_t \odot (1 - f_t)) U_f + \mathrm{diag}(u_t) "
     r"\mathrm{diag}(i_t \odot (1 - i_t)) U_i + \mathrm{diag}(1 - u_t \odot u_t) U_u",
     lambda q, v: D(v["c"]) @ _sig(q["f"]) @ v["U_f"] + D(q["u"]) @ _sig(q["i"]) @ v["U_i"]
     + D(1 - q["u"] ** 2) @ v["U_u"], False),
    ("lstm", "c", "c", r"\mathrm{diag}(f_t)", lambda q, v: D(q["f"]), True),
    ("lstm", "c", "c", r"\mathrm{diag}(i_t)", lambda q, v: D(q["i"]), False),
    ("gru", "r", "h", r"\mathrm{diag}(r_t \odot (1 - r_t)) U_r", lambda q, v: _sig(q["r"]) @ v["U_r"], True),
    ("gru", "r", "h", r"U_r \mathrm{diag}(r_t \odot (1 - r_t))", lambda q, v: v["U_r"] @ _sig(q["r"]), False),
    ("gru", "z", "h", r"\mathrm{diag}(z_t \odot (1 - z_t)) U_z", lambda q, v: _sig(q["z"]) @ v["U_z"], True),
    ("gru", "z", "h", r"\mathrm{diag}(z_t \odot (1 - z_t)) U_z^\top", lambda q, v: _sig(q["z"]) @ v["U_z"].T, False),
    ("gru", "n", "h", _N, _gru_n, True),
    ("gru", "n", "h", _N_NO_T, lambda q, v: D(1 - q["n"] ** 2) @ (
        D(v["U_n"] @ v["h"] + v["b_hn"]) @ _sig(q["r"]) @ v["U_r"] + D(q["r"]) @ v["U_n"].T), False),
    ("gru", "h", "h", r"\mathrm{diag}(z_t) + \mathrm{diag}(h_{t-1} - n_t) \mathrm{diag}(z_t \odot (1 - z_t)) U_z "
     r"+ \mathrm{diag}(1 - z_t) " + _N,
     lambda q, v: D(q["z"]) + D(v["h"] - q["n"]) @ _sig(q["z"]) @ v["U_z"] + D(1 - q["z"]) @ _gru_n(q, v), True),
    ("gru", "h", "h", r"\mathrm{diag}(z_t) + \mathrm{diag}(n_t - h_{t-1}) \mathrm{diag}(z_t \odot (1 - z_t)) U_z "
     r"+ \mathrm{diag}(1 - z_t) " + _N,
     lambda q, v: D(q["z"]) + D(q["n"] - v["h"]) @ _sig(q["z"]) @ v["U_z"] + D(1 - q["z"]) @ _gru_n(q, v), False),
]
_BY = {"h": "h_{t-1}", "c": "c_{t-1}"}


def _claim(out: str, by: str, rhs: str) -> str:
    return PREAMBLE + rf"$$\frac{{\partial {out}_t}}{{\partial {_BY[by]}}} = {rhs}$$" + "\n"


@pytest.mark.parametrize("cell, out, by, rhs, formula, truth", CLAIMS,
                         ids=[f"{c[0]}-d{c[1]}/d{c[2]}-{'true' if c[5] else 'false'}{k}" for k, c in enumerate(CLAIMS)])
def test_the_model_jacobian_claims_are_judged_as_autograd_finds_them(cell, out, by, rhs, formula, truth):
    for seed in (1, 2, 3):
        v = _values(seed)
        q = _lstm(v, v["h"], v["c"]) if cell == "lstm" else _gru(v, v["h"])
        holds = torch.allclose(formula(q, v), _jacobian(cell, out, by, v), atol=1e-12, rtol=0)
        assert holds is truth  # the hand-stated truth, confirmed by autograd at three random points
    report = check_text(_claim(out, by, rhs), "claim.md", model=cell)
    verdicts = [r.verdict.value for r in report.relations]
    assert verdicts == ["valid" if truth else "invalid"], [r.reason for r in report.relations]


def test_the_three_lines_of_an_lstm_exercise():
    text = (r"With the LSTM's weights as matrices, $f_t = \sigma(W_f x_t + U_f h_{t-1} + b_f)$:" "\n\n"
            r"$$\frac{\partial f_t}{\partial h_{t-1}} = \mathrm{diag}(f_t \odot (1 - f_t)) U_f$$" "\n\n"
            r"$$\frac{\partial f_t}{\partial h_{t-1}} = U_f \mathrm{diag}(f_t \odot (1 - f_t))$$" "\n\n"
            r"$$\frac{\partial c_t}{\partial c_{t-1}} = \mathrm{diag}(f_t)$$" "\n")
    v = _values(7)
    q = _lstm(v, v["h"], v["c"])
    assert torch.allclose(_sig(q["f"]) @ v["U_f"], _jacobian("lstm", "f", "h", v), atol=1e-12, rtol=0)
    assert not torch.allclose(v["U_f"] @ _sig(q["f"]), _jacobian("lstm", "f", "h", v), atol=1e-3, rtol=0)
    assert torch.allclose(D(q["f"]), _jacobian("lstm", "c", "c", v), atol=1e-12, rtol=0)
    report = check_text(text, "lstm.md", model="lstm")
    assert [r.verdict.value for r in report.relations] == ["valid", "valid", "invalid", "valid"]


def test_a_definition_the_document_writes_wins_over_the_model():
    # the document's f_t leaves out U_f h_{t-1}: its own version, and the claim is about that f_t
    text = (PREAMBLE + r"$$f_t = \sigma(W_f x_t + b_f)$$" "\n\n"
            r"$$\frac{\partial f_t}{\partial h_{t-1}} = \mathrm{diag}(f_t \odot (1 - f_t)) U_f$$" "\n")
    report = check_text(text, "own.md", model="lstm")
    verdicts = [r.verdict.value for r in report.relations]
    assert verdicts == ["valid", "invalid"]  # a definition of its own; with it, ∂f_t/∂h_{t-1} = 0
    assert report.relations[0].reason.startswith("definition")


def test_without_the_model_the_same_claim_stays_unread_as_matrices():
    report = check_text(_claim("f", "h", r"U_f \mathrm{diag}(f_t \odot (1 - f_t))"), "claim.md")
    assert [r.verdict.value for r in report.relations] != ["valid"]


def test_the_elementwise_shorthand_is_left_to_the_scalar_reading():
    # ∂c_t/∂c_{t-1} = f_t, written for the diagonal of the Jacobian (autograd: diag(f_t)), is judged as before
    # by the scalar reading; the matrix reading takes only what the scalar reading cannot check as matrices
    v = _values(11)
    jac = _jacobian("lstm", "c", "c", v)
    assert torch.allclose(jac, D(torch.diagonal(jac)), atol=0, rtol=0)
    assert torch.allclose(torch.diagonal(jac), _lstm(v, v["h"], v["c"])["f"], atol=1e-14, rtol=0)
    text = PREAMBLE + r"$$\frac{\partial c_t}{\partial c_{t-1}} = f_t$$" + "\n"
    with_model = check_text(text, "short.md", model="lstm")
    assert [r.verdict.value for r in with_model.relations] == ["valid"]
    assert "vectors and matrices" not in with_model.relations[0].reason
