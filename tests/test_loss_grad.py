"""Loss gradients through time (<cell>.loss_grad) against PyTorch autograd on the unrolled network
(torch.nn.RNNCell, LSTMCell, GRUCell in float64), and the printed result against the same oracle."""
import json

import numpy as np
import pytest
import sympy as sp
import torch

import dlderive
from dlderive.cli import main
from dlderive.export import render
from dlderive.functions import NUMPY_FUNCTIONS, sigmoid
from dlderive.matrices import numeric
from dlderive.notation import time_offset_name

CELLS = {  # our weight names -> (module, PyTorch's order of the gates in weight_ih / weight_hh)
    "rnn": (torch.nn.RNNCell, ["h"]),
    "lstm": (torch.nn.LSTMCell, ["i", "f", "u", "o"]),
    "gru": (torch.nn.GRUCell, ["r", "z", "n"]),
}
STATES = {"rnn": ["h"], "lstm": ["h", "c"], "gru": ["h"]}


def random_inputs(cell, T, n, m, p, loss, seed):
    rng = np.random.default_rng(seed)
    gates = CELLS[cell][1]
    v = {}
    for g in gates:
        v[f"W_{g}"], v[f"U_{g}"], v[f"b_{g}"] = rng.uniform(-1, 1, (n, m)), rng.uniform(-1, 1, (n, n)), rng.uniform(-1, 1, n)
    if cell == "gru":
        v["b_hn"] = rng.uniform(-1, 1, n)
    v["V"], v["b_y"] = rng.uniform(-1, 1, (p, n)), rng.uniform(-1, 1, p)
    for j in range(T):
        v[time_offset_name("x", j)] = rng.uniform(-1, 1, m)
        y = rng.uniform(0, 1, p)
        v[time_offset_name("y", j)] = y / y.sum() if loss == "softmax_ce" else 2 * y - 1
    for s in STATES[cell]:
        v[time_offset_name(s, T)] = rng.uniform(-1, 1, n)
    return v


def torch_gradients(cell, values, T, loss):
    """∂L/∂(every input) by autograd of the unrolled network built from torch's own cells."""
    with torch.enable_grad():  # whatever another test left switched off
        return _torch_gradients(cell, values, T, loss)


def _torch_gradients(cell, values, T, loss):
    module_type, gates = CELLS[cell]
    leaf = {k: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for k, v in values.items()}
    n, m = leaf[f"W_{gates[0]}"].shape
    module = module_type(m, n).double()
    zeros = torch.zeros(n, dtype=torch.float64)
    params = {"weight_ih": torch.cat([leaf[f"W_{g}"] for g in gates]),
              "weight_hh": torch.cat([leaf[f"U_{g}"] for g in gates]),
              "bias_ih": torch.cat([leaf[f"b_{g}"] for g in gates]),
              "bias_hh": torch.cat([zeros] * (len(gates) - 1) + [leaf["b_hn"] if cell == "gru" else zeros])}
    h = leaf[time_offset_name("h", T)][None]
    c = leaf[time_offset_name("c", T)][None] if cell == "lstm" else None
    total = 0
    for j in range(T - 1, -1, -1):
        x = leaf[time_offset_name("x", j)][None]
        if cell == "lstm":
            h, c = torch.func.functional_call(module, params, (x, (h, c)))
        else:
            h = torch.func.functional_call(module, params, (x, h))
        s = leaf["V"] @ h[0] + leaf["b_y"]
        y = leaf[time_offset_name("y", j)]
        total = total + (0.5 * ((s - y) ** 2).sum() if loss == "squared" else -(y * torch.log_softmax(s, 0)).sum())
    total.backward()
    return {k: t.grad.numpy() if t.grad is not None else np.zeros(t.shape) for k, t in leaf.items()}


def weights(cell, T):
    gates = CELLS[cell][1]
    out = [f"{k}_{g}" for g in gates for k in "WUb"] + (["b_hn"] if cell == "gru" else []) + ["V", "b_y"]
    out += [time_offset_name("x", j) for j in range(T)] + [time_offset_name(s, T) for s in STATES[cell]]
    return out


@pytest.mark.parametrize("loss", ["squared", "softmax_ce"])
@pytest.mark.parametrize("T", [1, 2, 3])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_every_gradient_matches_torch_autograd(cell, T, loss):
    rng = np.random.default_rng(T)
    n, m, p = (int(a) for a in rng.integers(1, 6, 3))
    values = random_inputs(cell, T, n, m, p, loss, seed=T)
    expected = torch_gradients(cell, values, T, loss)
    for w in weights(cell, T):
        got = dlderive.evaluate(f"{cell}.loss_grad", values, "vector", steps=T, weight=w, loss=loss)
        assert got.shape == np.shape(values[w]), w
        assert np.max(np.abs(got - expected[w])) < 1e-10, (cell, T, loss, w)


def printed_value(d, values, sizes):
    """The derivation's result evaluated from what it prints: forward quantities from torch's
    network are not needed; every δ definition is evaluated in order from the inputs."""
    env = dict(values)
    from dlderive.lossgrad.plan import compiled_plan, forward
    cell = d.name.split(".")[0]
    env.update(forward(compiled_plan(cell, "squared"), dict(values), sizes["T"]))
    for j in range(sizes["T"]):  # softmax(s) for the cross-entropy's p
        s = env[time_offset_name("s", j)]
        e = np.exp(s - s.max())
        env[time_offset_name("p", j)] = e / e.sum()
    for name, expr in d.definitions.items():
        if name.startswith("delta"):
            env[name] = np.ravel(numeric(expr, env, sizes))
    return numeric(d.final.rhs, env, sizes)


@pytest.mark.parametrize("cell,w,loss", [("lstm", "W_f", "softmax_ce"), ("lstm", "U_o", "squared"), ("gru", "U_n", "softmax_ce"),
                                         ("rnn", "U_h", "squared"), ("gru", "b_hn", "squared"), ("lstm", "x_prev", "squared")])
def test_the_printed_result_is_the_gradient(cell, w, loss):
    T, n, m, p = 3, 3, 2, 4
    values = random_inputs(cell, T, n, m, p, loss, seed=5)
    d = dlderive.derive(f"{cell}.loss_grad", "vector", T, weight=w, loss=loss)
    got = printed_value(d, values, {"n": n, "m": m, "p": p, "T": T})
    expected = torch_gradients(cell, values, T, loss)[w]
    assert np.max(np.abs(np.reshape(got, np.shape(expected)) - expected)) < 1e-10
    assert all(s.proof for s in d.steps) and d.final.proof


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_scalar_form_substituted_is_the_gradient(cell):
    """JSON result.rhs with the definitions substituted (until none is left) is ∂L/∂W in the inputs."""
    T = 2
    d = dlderive.derive(f"{cell}.loss_grad", "scalar", T, weight=f"U_{CELLS[cell][1][0]}", loss="squared")
    data = json.loads(render(d, "json"))
    assert data["result"]["rhs"] == str(d.final.rhs)
    defs = {sp.Symbol(k, real=True): v for k, v in d.definitions.items()}
    expr = d.final.rhs
    for _ in range(10 * T * len(defs)):
        new = expr.xreplace(defs)
        if new == expr:
            break
        expr = new
    values = random_inputs(cell, T, 1, 1, 1, "squared", seed=2)
    assert {s.name for s in expr.free_symbols} <= set(values)
    got = float(expr.subs({sp.Symbol(k, real=True): float(np.ravel(v)[0]) for k, v in values.items()}))
    assert got == pytest.approx(float(np.ravel(torch_gradients(cell, values, T, "squared")[f"U_{CELLS[cell][1][0]}"])[0]), abs=1e-12)


def unrolled_scalar_loss(cell, T):
    """The squared-error loss of the unrolled scalar cell over T steps, written out here (plain SymPy)."""
    S = lambda n: sp.Symbol(n, real=True)
    h, c, L = S(time_offset_name("h", T)), S(time_offset_name("c", T)), 0
    for j in range(T - 1, -1, -1):
        x = S(time_offset_name("x", j))
        a = lambda g: S(f"W_{g}") * x + S(f"U_{g}") * h + S(f"b_{g}")
        if cell == "rnn":
            h = sp.tanh(a("h"))
        elif cell == "lstm":
            f, i, o, u = sigmoid(a("f")), sigmoid(a("i")), sigmoid(a("o")), sp.tanh(a("u"))
            c = f * c + i * u
            h = o * sp.tanh(c)
        else:
            r, z = sigmoid(a("r")), sigmoid(a("z"))
            h = (1 - z) * sp.tanh(S("W_n") * x + S("b_n") + r * (S("U_n") * h + S("b_hn"))) + z * h
        L = L + (S("V") * h + S("b_y") - S(time_offset_name("y", j))) ** 2 / 2
    return L


@pytest.mark.parametrize("T", [1, 2])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_scalar_form_is_sympy_diff_of_the_unrolled_loss(cell, T):
    """For every weight, bias, input and initial state: the JSON result with its definitions substituted
    until none is left equals sympy.diff of the unrolled loss, at random points."""
    L = unrolled_scalar_loss(cell, T)
    rng = np.random.default_rng(3)
    for w in weights(cell, T):
        d = dlderive.derive(f"{cell}.loss_grad", "scalar", T, weight=w, loss="squared")
        data = json.loads(render(d, "json"))
        assert data["result"]["rhs"] == str(d.final.rhs)
        assert data["definitions"] == {k: str(v) for k, v in d.definitions.items()}
        defs = {sp.Symbol(k, real=True): v for k, v in d.definitions.items()}
        expr = d.final.rhs
        while (new := expr.xreplace(defs)) != expr:
            expr = new
        assert expr.free_symbols <= L.free_symbols, w
        truth = sp.diff(L, sp.Symbol(w, real=True))
        symbols = sorted(L.free_symbols, key=str)
        ours, exact = (sp.lambdify(symbols, e, modules=[NUMPY_FUNCTIONS, "math"]) for e in (expr, truth))
        for _ in range(2):
            point = rng.uniform(-1, 1, len(symbols))
            assert ours(*point) == pytest.approx(exact(*point), abs=1e-12), (cell, T, w)


def test_lstm_cell_path_and_teacher_form():
    d = dlderive.derive("lstm.loss_grad", "vector", 3, weight="W_f", loss="softmax_ce")
    steps = {str(s.lhs): s for s in d.steps}
    assert "f_t" in str(steps["deltac_prev"].rhs) and "deltac_t" in str(steps["deltac_prev"].rhs)  # δc through f
    assert str(d.final.rhs).count("x_prev2.T") == 1 and "deltaaf_t*x_t.T" in str(d.final.rhs)
    assert "complex-step derivative of the unrolled loss with c_prev and the other states perturbed" in steps["deltac_prev"].proof
    latex = render(d, "latex")
    assert r"^\top" in latex


def test_cost_grows_linearly():
    """The number of steps grows linearly in T and the size of each stays the same."""
    d = {T: dlderive.derive("lstm.loss_grad", "vector", T, weight="U_f") for T in (4, 8, 16)}
    assert len(d[16].steps) - len(d[8].steps) == 2 * (len(d[8].steps) - len(d[4].steps)) == 8 * 11
    size = lambda d: max(sp.count_ops(s.rhs) for s in d.steps[2:])
    assert size(d[16]) == size(d[4])


@pytest.mark.parametrize("w,kept", [("V", ["deltas_t", "deltas_prev", "deltas_prev2"]),
                                    ("x_prev", ["deltas_t", "deltas_prev", "deltah_t", "deltac_t", "deltaaf_t",
                                                "deltaai_t", "deltaao_t", "deltaau_t"])])
def test_only_the_deltas_the_result_reads_are_shown(w, kept):
    """∂L/∂V = Σ δs hᵀ needs no δh; ∂L/∂x_prev needs the δ's of step t-1's gates, not those of older steps."""
    d = dlderive.derive("lstm.loss_grad", "vector", 3, weight=w, loss="softmax_ce")
    shown = [str(s.lhs) for s in d.steps if s.rule != "definition"]
    assert set(kept) <= set(shown) and not any(n.endswith("prev2") and not n.startswith("deltas") for n in shown)
    if w == "V":
        assert shown == kept
    assert {k for k in d.definitions if k.startswith("delta")} == set(shown)


@pytest.mark.parametrize("args,message", [
    (["--weight", "W_z"], "accepted: U_f, U_i"),
    (["--weight", "W_f", "--steps", "0"], "--steps must be a whole number from 1"),
    (["--weight", "W_f", "--loss", "hinge"], "--loss is one of: squared, softmax_ce"),
    (["--weight", "x_prev3", "--steps", "3"], "accepted:"),
    (["--weight", "h_prev2", "--steps", "3"], "x_prev2, h_prev3, c_prev3"),
    ([], "needs --weight NAME"),
    (["--weight", "W_f", "--steps", "-2"], "from 1 to 1000, not -2"),
    (["--weight", "W_f", "--steps", "1000000000"], "from 1 to 1000, not 1000000000"),
    (["--weight", "W_f", "--loss", "softmax_ce", "--form", "scalar"], "--loss softmax_ce takes --form vector only"),
    (["--weight", "W_f", "--form", "matrix"], "--form: unknown value 'matrix' (choose from: scalar, vector)"),
])
def test_bad_input_is_one_line_exit_2(capsys, args, message):
    assert main(["derive", "lstm.loss_grad", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_declared_cell_whose_shapes_do_not_agree_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('name = "badshape"\ninputs = ["x"]\nstates = ["h"]\n[equations]\n'
                    'a_t = "U_h @ h_prev"\nh_t = "tanh(x_t * a_t)"\n')
    assert main(["derive", "badshape.loss_grad", "--cell", str(path), "--weight", "U_h"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "shapes do not agree in the elementwise product" in err and "x_t is m x 1 (an input)" in err


def test_cli_derives_lstm_loss_gradient(capsys):
    assert main(["derive", "lstm.loss_grad", "--weight", "W_f", "--steps", "3", "--loss", "softmax_ce",
                 "--form", "vector", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["result"]["rhs"].count("x_prev") == 2 and "deltaaf_prev2" in data["definitions"]


def test_an_input_the_loss_does_not_read_is_named():
    values = random_inputs("rnn", 2, 2, 2, 3, "squared", seed=1)
    values["x_prev2"] = values.pop("x_prev")  # a step too old for T = 2
    with pytest.raises(dlderive.DlderiveError, match=r"unknown input 'x_prev2' for rnn.loss_grad over 2 steps; "
                                                     r"inputs: .*x_t, x_prev, y_t, y_prev, h_prev2"):
        dlderive.evaluate("rnn.loss_grad", values, "vector", steps=2, weight="W_h", loss="squared")


def test_cross_entropy_targets_must_be_probabilities():
    values = random_inputs("rnn", 1, 2, 2, 3, "squared", seed=1)
    with pytest.raises(dlderive.DlderiveError, match="y_t must be a probability vector"):
        dlderive.evaluate("rnn.loss_grad", values, "vector", steps=1, weight="W_h", loss="softmax_ce")


@pytest.mark.parametrize("wrong", ["no transpose", "no cell path"])
def test_a_wrong_step_is_refused(wrong):
    """The prover rejects a δ step without its transpose, or δc without the path through f_(t+1)."""
    from dlderive.errors import ProofError
    from dlderive.lossgrad.derivation import _steps
    from dlderive.lossgrad.plan import plan
    from dlderive.lossgrad.proof import prove
    from dlderive.lossgrad.render import Form
    p = plan("lstm", "squared")
    F = Form("vector", dict(p.kinds))
    steps, result, _ = _steps(p, F, "W_f", 3)
    i = next(k for k, s in enumerate(steps) if str(s.lhs) == ("deltah_prev" if wrong == "no transpose" else "deltac_prev"))
    rhs = steps[i].rhs
    if wrong == "no transpose":
        bad = rhs.xreplace({sp.Transpose(F.sym("U_f")): F.sym("U_f")})
    else:
        bad = sp.MatAdd(*[a for a in rhs.args if "deltac_t" not in str(a)])
    assert bad != rhs
    steps[i] = steps[i].__class__(steps[i].lhs, bad, steps[i].rule, steps[i].note)
    with pytest.raises(ProofError):
        prove(p, F, steps, result, "W_f", 3)


@pytest.mark.parametrize("state,j", [("h", 0), ("c", 3), ("h", 6), ("c", 7)])
def test_a_wrong_state_delta_at_any_step_is_caught(state, j):
    """The δ's of the states are checked together, in one complex step of the unrolled loss per random
    direction: a change of 1e-6 in one entry of one δ at any step is caught."""
    from dlderive.errors import ProofError
    from dlderive.lossgrad.plan import plan
    from dlderive.lossgrad.proof import _prove_state_deltas, _world
    T, p = 8, plan("lstm", "softmax_ce")
    world = _world(p, T, {"n": 3, "m": 2, "p": 2}, 0, "W_f")
    deltas = [(time_offset_name(f"delta{s}", k), time_offset_name(s, k)) for s in "hc" for k in range(T)]
    _prove_state_deltas(p, [world], T, deltas)
    world.delta[time_offset_name(f"delta{state}", j)][1] += 1e-6
    with pytest.raises(ProofError, match="δ's of the states"):
        _prove_state_deltas(p, [world], T, deltas)


def _torch_step(cell, v, x, h, c):
    """One step of the peephole LSTM and of the MGU (docs/cells/mgu.toml), written out in torch."""
    a = lambda g: v[f"W_{g}"] @ x + v[f"U_{g}"] @ h + v[f"b_{g}"]
    if cell == "peephole":
        f, i = torch.sigmoid(a("f") + v["P_f"] * c), torch.sigmoid(a("i") + v["P_i"] * c)
        c = f * c + i * torch.tanh(a("u"))
        return torch.sigmoid(a("o") + v["P_o"] * c) * torch.tanh(c), c
    f = torch.sigmoid(a("f"))
    u = torch.tanh(v["W_u"] @ x + v["U_u"] @ (f * h) + v["b_u"])
    return (1 - f) * h + f * u, None


@pytest.mark.parametrize("loss", ["squared", "softmax_ce"])
@pytest.mark.parametrize("cell", ["peephole", "mgu"])
def test_other_cells_match_torch_autograd(cell, loss):
    """The peephole LSTM and a declared cell (the MGU of docs/cells): every weight, input and initial state."""
    from pathlib import Path
    from dlderive.cells import CELLS as REGISTERED
    from dlderive.cells.declared import load_cell
    from dlderive.derive import register, unregister
    if cell == "mgu":
        register(load_cell(Path(__file__).parents[1] / "docs" / "cells" / "mgu.toml"))
    try:
        T, n, m, p = 3, 3, 2, 4
        rng = np.random.default_rng(6)
        c = REGISTERED[cell]
        names = dlderive.lossgrad.accepted(c, T)
        v = {}
        for w in names:
            shape = (p, n) if w == "V" else (p,) if w == "b_y" else (n, m) if w.startswith("W_") else \
                (n, n) if w.startswith("U_") else (m,) if w.startswith("x_") else (n,)
            v[w] = rng.uniform(-1, 1, shape)
        for j in range(T):
            y = rng.uniform(0, 1, p)
            v[time_offset_name("y", j)] = y / y.sum() if loss == "softmax_ce" else y
        with torch.enable_grad():
            leaf = {k: torch.tensor(a, requires_grad=True) for k, a in v.items()}
            h, cs, total = leaf[time_offset_name("h", T)], leaf.get(time_offset_name("c", T)), 0
            for j in range(T - 1, -1, -1):
                h, cs = _torch_step(cell, leaf, leaf[time_offset_name("x", j)], h, cs)
                s, y = leaf["V"] @ h + leaf["b_y"], leaf[time_offset_name("y", j)]
                total = total + (0.5 * ((s - y) ** 2).sum() if loss == "squared" else -(y * torch.log_softmax(s, 0)).sum())
            total.backward()
        for w in names:
            got = dlderive.evaluate(f"{cell}.loss_grad", v, "vector", steps=T, weight=w, loss=loss)
            assert np.max(np.abs(got - leaf[w].grad.numpy())) < 1e-10, (cell, loss, w)
    finally:
        if cell == "mgu":
            unregister("mgu")
