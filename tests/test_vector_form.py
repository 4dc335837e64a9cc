"""The vector form is built of matrix expressions with shapes: columns, matrices, ordered products,
∘, diag and Jacobian atoms; checked against PyTorch autograd and hand-worked shapes."""
import numpy as np
import pytest
import sympy as sp

from dlderive import matrices as mx
from dlderive.catalog import register, unregister
from dlderive.cells.declared import cell_from_toml
from dlderive.derive import derive
from dlderive.errors import DlderiveError

N, M = mx.dims("n", "m")

DECLARED = '''
name = "grnn"
description = "a gated tanh RNN"
inputs = ["x"]
states = ["h"]

[equations]
g_t = "sigmoid(W_g @ x_t + U_g @ h_prev + b_g)"
h_t = "g_t * tanh(W_h @ x_t + U_h @ h_prev + b_h) + (1 - g_t) * h_prev"
'''


@pytest.fixture(scope="module")
def grnn():
    register(cell_from_toml(DECLARED, "grnn.toml"))
    yield "grnn"
    unregister("grnn")


def test_lstm_hidden_steps_are_matrix_expressions_with_shapes():
    d = derive("lstm.hidden", "vector")
    for step in d.steps:
        for side in (step.lhs, step.rhs):
            assert isinstance(side, sp.MatrixExpr), (step.rule, side)
            assert not side.atoms(sp.Symbol) - {N, M} - side.atoms(sp.Dummy) - {mx.ARGUMENT}  # no commutative identifiers
        assert step.lhs.shape == step.rhs.shape
    jacobians = [s for s in d.steps if isinstance(s.lhs, mx.MatrixPartial)]
    assert jacobians and all(s.lhs.shape == (N, N) for s in jacobians)  # ∂h_t/∂h_{t-1} is n x n
    assert d.steps[0].lhs.shape == (N, 1)  # h_t is a column
    weights = {s.name: s.shape for s in d.final.rhs.atoms(sp.MatrixSymbol) if s.name.startswith("U_")}
    assert weights == {f"U_{g}": (N, N) for g in "fiou"}
    assert all("random matrices of consistent shapes" in s.proof for s in d.steps)


def test_a_declared_cell_keeps_matrix_products_in_order_and_matches_torch(grnn):
    torch = pytest.importorskip("torch")
    d = derive("grnn.bptt", "vector", 2)
    result = d.final.rhs
    # ∂h_t/∂h_{t-1} ∂h_{t-1}/∂h_{t-2}: two one-step Jacobians in this order, each with its U_h
    assert isinstance(result, sp.MatMul) and len(result.args) == 2 and result.shape == (N, N)
    first, second = result.args
    assert mx.matrix("U_h", N, N) in first.atoms(sp.MatrixSymbol) & second.atoms(sp.MatrixSymbol)
    assert {"g_t", "h_prev"} <= {s.name for s in first.atoms(sp.MatrixSymbol)}
    assert {"g_prev", "h_prev2"} <= {s.name for s in second.atoms(sp.MatrixSymbol)}
    assert not result.atoms(sp.MatPow)  # U_h U_h stays an ordered product, never U_h**2
    rng = np.random.default_rng(3)
    n, m = 4, 3
    values = {k: rng.uniform(-1, 1, (n, m)) for k in ("W_g", "W_h")}
    values.update({k: rng.uniform(-1, 1, (n, n)) for k in ("U_g", "U_h")})
    values.update({k: rng.uniform(-1, 1, n) for k in ("b_g", "b_h", "h_prev2")})
    values.update({"x_t": rng.uniform(-1, 1, m), "x_prev": rng.uniform(-1, 1, m)})
    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in values.items()}

    def step(h, x):
        g = torch.sigmoid(t["W_g"] @ x + t["U_g"] @ h + t["b_g"])
        return g * torch.tanh(t["W_h"] @ x + t["U_h"] @ h + t["b_h"]) + (1 - g) * h

    truth = torch.autograd.functional.jacobian(lambda h: step(step(h, t["x_prev"]), t["x_t"]), t["h_prev2"]).numpy()
    from dlderive import evaluate
    np.testing.assert_allclose(evaluate("grnn.bptt", values, "vector", 2), truth, atol=1e-12)
    # the stored expression itself, evaluated with the gates computed forward
    h_prev = step(t["h_prev2"], t["x_prev"]).numpy()
    env = dict(values, h_prev=h_prev)
    for j, (x, h) in enumerate((("x_t", "h_prev"), ("x_prev", "h_prev2"))):
        suffix = "t" if j == 0 else "prev"
        g = 1 / (1 + np.exp(-(values["W_g"] @ values[x] + values["U_g"] @ env[h] + values["b_g"])))
        env[f"g_{suffix}"] = g
        env[f"h_{suffix}"] = g * np.tanh(values["W_h"] @ values[x] + values["U_h"] @ env[h] + values["b_h"]) + (1 - g) * env[h]
    np.testing.assert_allclose(mx.numeric(result, env, {"n": n, "m": m}), truth, atol=1e-12)


@pytest.mark.parametrize("equation, words", [
    ('h_t = "tanh(W_h @ h_prev + b_h)"', ["W_h is n x m", "h_prev"]),
    ('h_t = "tanh(U_h @ x_t + b_h)"', ["U_h is n x n", "x_t"]),
    ('h_t = "tanh(U_h @ h_prev + x_t)"', ["x_t", "m x 1"]),
])
def test_a_shape_mismatch_in_a_declared_cell_is_one_line_naming_the_shapes(equation, words):
    text = DECLARED.replace('name = "grnn"', 'name = "bad"').split("[equations]")[0] + "[equations]\n" + equation + "\n"
    with pytest.raises(DlderiveError) as exc:
        cell_from_toml(text, "bad.toml")
    message = str(exc.value)
    assert "\n" not in message and "shapes do not agree" in message
    for w in words:
        assert w in message
