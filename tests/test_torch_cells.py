"""Our Jacobians against PyTorch autograd: LSTMCell, GRUCell, RNNCell in float64, one step and
unrolled through time (the oracle is torch.autograd.functional.jacobian)."""
import numpy as np
import pytest

from dlderive import evaluate

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.tool
F = torch.nn.functional
jacobian = torch.autograd.functional.jacobian
TOL = 1e-10


def _cell(kind, m, n, seed):
    torch.manual_seed(seed)
    cell = getattr(torch.nn, kind)(m, n).double()
    with torch.no_grad():  # weights larger than the default init, so that every term matters
        for p in cell.parameters():
            p.uniform_(-1.0, 1.0)
    return cell


def lstm_values(cell):
    """PyTorch's gate order (i, f, g, o) onto W_*, U_*, b_* (g is our candidate u)."""
    n = cell.hidden_size
    w, u, b = cell.weight_ih.detach(), cell.weight_hh.detach(), (cell.bias_ih + cell.bias_hh).detach()
    out = {}
    for k, gate in enumerate("ifuo"):
        rows = slice(k * n, (k + 1) * n)
        out[f"W_{gate}"], out[f"U_{gate}"], out[f"b_{gate}"] = w[rows].numpy(), u[rows].numpy(), b[rows].numpy()
    return out


def gru_values(cell):
    """GRUCell's (r, z, n) rows; b_r and b_z are the two biases summed, b_n and b_hn stay apart."""
    n = cell.hidden_size
    w, u = cell.weight_ih.detach(), cell.weight_hh.detach()
    bi, bh = cell.bias_ih.detach(), cell.bias_hh.detach()
    out = {}
    for k, gate in enumerate("rzn"):
        rows = slice(k * n, (k + 1) * n)
        out[f"W_{gate}"], out[f"U_{gate}"] = w[rows].numpy(), u[rows].numpy()
        out[f"b_{gate}"] = (bi[rows] + bh[rows]).numpy() if gate != "n" else bi[rows].numpy()
    out["b_hn"] = bh[2 * n:].numpy()
    return out


def rnn_values(cell):
    return {"W_h": cell.weight_ih.detach().numpy(), "U_h": cell.weight_hh.detach().numpy(),
            "b_h": (cell.bias_ih + cell.bias_hh).detach().numpy()}


def _inputs(m, n, seed, states=("h", "c")):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(m, generator=g, dtype=torch.float64) * 2 - 1
    return x, [torch.rand(n, generator=g, dtype=torch.float64) * 2 - 1 for _ in states]


def test_lstm_one_step_jacobians_match_torch_for_hidden_sizes_1_to_64():
    worst = 0.0
    for n in range(1, 65):
        m = 1 + n % 5
        cell = _cell("LSTMCell", m, n, seed=n)
        x, (h, c) = _inputs(m, n, seed=100 + n)
        values = {**lstm_values(cell), "x_t": x.numpy(), "h_prev": h.numpy(), "c_prev": c.numpy()}
        n4 = slice(n, 2 * n)
        f_gate = lambda hh: torch.sigmoid(F.linear(x, cell.weight_ih[n4], cell.bias_ih[n4]) + F.linear(hh, cell.weight_hh[n4], cell.bias_hh[n4]))
        truth = {
            "lstm.hidden": jacobian(lambda hh: cell(x[None], (hh[None], c[None]))[0][0], h),
            "lstm.cell": jacobian(lambda hh: cell(x[None], (hh[None], c[None]))[1][0], h),
            "lstm.forget_gate": jacobian(f_gate, h),
            "lstm.hidden_wrt_c": jacobian(lambda cc: cell(x[None], (h[None], cc[None]))[0][0], c),
            "lstm.cell_wrt_c": jacobian(lambda cc: cell(x[None], (h[None], cc[None]))[1][0], c),
        }
        for name, expected in truth.items():
            ours = evaluate(name, values, "vector")
            assert ours.shape == (n, n)
            worst = max(worst, float(np.max(np.abs(ours - expected.detach().numpy()))))
    assert worst < TOL, worst


def test_lstm_scalar_form_matches_torch_at_hidden_size_1():
    cell = _cell("LSTMCell", 1, 1, seed=7)
    x, (h, c) = _inputs(1, 1, seed=8)
    values = {k: float(np.ravel(v)[0]) for k, v in lstm_values(cell).items()}
    values.update(x_t=float(x[0]), h_prev=float(h[0]), c_prev=float(c[0]))
    for name, index in (("lstm.hidden", 0), ("lstm.cell", 1)):
        expected = jacobian(lambda hh: cell(x[None], (hh[None], c[None]))[index][0], h)
        assert abs(evaluate(name, values, "scalar") - float(expected[0, 0])) < TOL


@pytest.mark.parametrize("n", [1, 2, 3, 7, 16, 33, 64])
def test_gru_one_step_jacobian_matches_torch_grucell(n):
    m = 1 + n % 4
    cell = _cell("GRUCell", m, n, seed=n)
    x, (h,) = _inputs(m, n, seed=200 + n, states=("h",))
    values = {**gru_values(cell), "x_t": x.numpy(), "h_prev": h.numpy()}
    expected = jacobian(lambda hh: cell(x[None], hh[None])[0], h).numpy()
    assert np.max(np.abs(evaluate("gru.hidden", values, "vector") - expected)) < TOL
    z = slice(n, 2 * n)
    z_gate = lambda hh: torch.sigmoid(F.linear(x, cell.weight_ih[z], cell.bias_ih[z]) + F.linear(hh, cell.weight_hh[z], cell.bias_hh[z]))
    assert np.max(np.abs(evaluate("gru.update_gate", values, "vector") - jacobian(z_gate, h).numpy())) < TOL


@pytest.mark.parametrize("n", [1, 5, 64])
def test_rnn_one_step_jacobian_matches_torch_rnncell(n):
    cell = _cell("RNNCell", 3, n, seed=n)
    x, (h,) = _inputs(3, n, seed=300 + n, states=("h",))
    values = {**rnn_values(cell), "x_t": x.numpy(), "h_prev": h.numpy()}
    expected = jacobian(lambda hh: cell(x[None], hh[None])[0], h).numpy()
    assert np.max(np.abs(evaluate("rnn.hidden", values, "vector") - expected)) < TOL


def _time_names(k, base="x"):
    """Our names of the inputs, oldest first: x_prev{k-1}, ..., x_prev, x_t."""
    return [("x_t" if j == 0 else "x_prev" if j == 1 else f"x_prev{j}").replace("x", base, 1) for j in range(k - 1, -1, -1)]


def _unrolled(kind, k, n, m, seed):
    cell = _cell(kind, m, n, seed)
    g = torch.Generator().manual_seed(seed + 1)
    xs = [torch.rand(m, generator=g, dtype=torch.float64) * 2 - 1 for _ in range(k)]
    h0, c0 = (torch.rand(n, generator=g, dtype=torch.float64) * 2 - 1 for _ in range(2))
    values = dict(zip(_time_names(k), (x.numpy() for x in xs)))
    back = f"_prev{k}" if k > 1 else "_prev"
    values[f"h{back}"] = h0.numpy()
    if kind == "LSTMCell":
        values[f"c{back}"] = c0.numpy()
    return cell, xs, h0, c0, values, back


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 13, 20])
def test_lstm_through_time_matches_torch_unrolled(k):
    n = 4 + k % 3
    cell, xs, h0, c0, values, _ = _unrolled("LSTMCell", k, n, 3, seed=k)
    values.update(lstm_values(cell))

    def run(h, c):
        for x in xs:
            h, c = (v[0] for v in cell(x[None], (h[None], c[None])))
        return h, c

    dh = jacobian(lambda h: run(h, c0)[0], h0).numpy()
    dc = jacobian(lambda c: run(h0, c)[1], c0).numpy()
    ours_h = evaluate("lstm.bptt", values, "vector", steps=k)
    ours_c = evaluate("lstm.bptt_c", values, "vector", steps=k)
    assert np.max(np.abs(ours_h - dh)) < TOL * max(1.0, np.max(np.abs(dh)))
    assert np.max(np.abs(ours_c - dc)) < TOL * max(1.0, np.max(np.abs(dc)))


@pytest.mark.parametrize("k", [1, 4, 20])
def test_lstm_through_time_scalar_form_matches_torch(k):
    cell, xs, h0, c0, values, _ = _unrolled("LSTMCell", k, 1, 1, seed=40 + k)
    values = {key: float(np.ravel(v)[0]) for key, v in {**values, **lstm_values(cell)}.items()}

    def run(h):
        c = c0
        for x in xs:
            h, c = (v[0] for v in cell(x[None], (h[None], c[None])))
        return h

    assert abs(evaluate("lstm.bptt", values, "scalar", steps=k) - float(jacobian(run, h0)[0, 0])) < TOL


@pytest.mark.parametrize("k", [1, 6, 20])
def test_gru_and_rnn_through_time_match_torch_unrolled(k):
    for kind, name, mapping in (("GRUCell", "gru.bptt", gru_values), ("RNNCell", "rnn.bptt", rnn_values)):
        cell, xs, h0, _, values, _ = _unrolled(kind, k, 5, 2, seed=60 + k)
        values.update(mapping(cell))

        def run(h):
            for x in xs:
                h = cell(x[None], h[None])[0]
            return h

        expected = jacobian(run, h0).numpy()
        ours = evaluate(name, values, "vector", steps=k)
        assert np.max(np.abs(ours - expected)) < TOL * max(1.0, np.max(np.abs(expected))), name


def test_peephole_matches_torch_autograd_of_its_equations():
    """No peephole cell in torch: its equations written with torch ops, differentiated by autograd."""
    rng = np.random.default_rng(5)
    n, m = 6, 3
    values = {"x_t": rng.uniform(-1, 1, m), "h_prev": rng.uniform(-1, 1, n), "c_prev": rng.uniform(-1, 1, n)}
    for g in "fiou":
        values.update({f"W_{g}": rng.uniform(-1, 1, (n, m)), f"U_{g}": rng.uniform(-1, 1, (n, n)),
                       f"b_{g}": rng.uniform(-1, 1, n)})
    for g in "fio":
        values[f"P_{g}"] = rng.uniform(-1, 1, n)
    T = {k: torch.tensor(v) for k, v in values.items()}

    def step(h, c):
        pre = {g: T[f"W_{g}"] @ T["x_t"] + T[f"U_{g}"] @ h + T[f"b_{g}"] for g in "fiou"}
        f = torch.sigmoid(pre["f"] + T["P_f"] * c)
        i = torch.sigmoid(pre["i"] + T["P_i"] * c)
        c_new = f * c + i * torch.tanh(pre["u"])
        o = torch.sigmoid(pre["o"] + T["P_o"] * c_new)
        return o * torch.tanh(c_new), c_new

    h, c = T["h_prev"], T["c_prev"]
    cases = {"peephole.hidden": jacobian(lambda hh: step(hh, c)[0], h),
             "peephole.hidden_wrt_c": jacobian(lambda cc: step(h, cc)[0], c),
             "peephole.cell_wrt_c": jacobian(lambda cc: step(h, cc)[1], c)}
    for name, expected in cases.items():
        assert np.max(np.abs(evaluate(name, values, "vector") - expected.numpy())) < TOL, name


@pytest.mark.parametrize("k", [1, 5, 12])
def test_peephole_through_time_matches_torch_autograd(k):
    rng = np.random.default_rng(k)
    n, m = 4, 2
    values = {}
    for g in "fiou":
        values.update({f"W_{g}": rng.uniform(-1, 1, (n, m)), f"U_{g}": rng.uniform(-1, 1, (n, n)),
                       f"b_{g}": rng.uniform(-1, 1, n)})
    for g in "fio":
        values[f"P_{g}"] = rng.uniform(-1, 1, n)
    names = _time_names(k)
    for name in names:
        values[name] = rng.uniform(-1, 1, m)
    back = f"_prev{k}" if k > 1 else "_prev"
    values[f"h{back}"], values[f"c{back}"] = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    T = {key: torch.tensor(v) for key, v in values.items()}

    def run(h, c):
        for name in names:
            pre = {g: T[f"W_{g}"] @ T[name] + T[f"U_{g}"] @ h + T[f"b_{g}"] for g in "fiou"}
            f = torch.sigmoid(pre["f"] + T["P_f"] * c)
            i = torch.sigmoid(pre["i"] + T["P_i"] * c)
            c = f * c + i * torch.tanh(pre["u"])
            h = torch.sigmoid(pre["o"] + T["P_o"] * c) * torch.tanh(c)
        return h, c

    h0, c0 = T[f"h{back}"], T[f"c{back}"]
    dh = jacobian(lambda h: run(h, c0)[0], h0).numpy()
    dc = jacobian(lambda c: run(h0, c)[1], c0).numpy()
    assert np.max(np.abs(evaluate("peephole.bptt", values, "vector", steps=k) - dh)) < TOL
    assert np.max(np.abs(evaluate("peephole.bptt_c", values, "vector", steps=k) - dc)) < TOL
