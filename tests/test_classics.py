"""The classic backward derivations against PyTorch autograd (float64, random shapes, max abs
difference under 1e-10); their steps proven and rendered; wrong steps refused; bad input one line."""
import json

import numpy as np
import pytest
import sympy as sp
import torch

import dlderive
from dlderive import matrices as mx
from dlderive.classics import CLASSICS, core, linear, softmax
from dlderive.cli import main
from dlderive.errors import DlderiveError, ProofError
from dlderive.export import FORMATS, render

TOL = 1e-10
RNG = np.random.default_rng(11)


def t(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64, requires_grad=grad)


def close(ours, theirs):
    theirs = theirs.detach().numpy()
    assert np.shape(ours) == theirs.shape
    assert np.max(np.abs(ours - theirs), initial=0.0) < TOL


@pytest.mark.parametrize("n", [1, 2, 5, 17, 40])
def test_softmax_jacobian_is_torch_autograd(n):
    z = RNG.normal(size=n) * 3
    ours = dlderive.evaluate("softmax.jacobian", {"z": z}, "vector")
    close(ours, torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), t(z)))


@pytest.mark.parametrize("n", [1, 3, 8, 33])
@pytest.mark.parametrize("target", ["one-hot", "probabilities"])
def test_softmax_cross_entropy_gradient_is_torch_autograd(n, target):
    z = RNG.normal(size=n) * 2
    y = np.eye(n)[RNG.integers(n)] if target == "one-hot" else RNG.dirichlet(np.ones(n))
    zt = t(z, True)
    torch.nn.functional.cross_entropy(zt[None], t(y)[None]).backward()
    close(dlderive.evaluate("softmax.cross_entropy", {"z": z, "y": y}, "vector"), zt.grad)


@pytest.mark.parametrize("N,m,n", [(1, 1, 1), (4, 3, 2), (7, 5, 9), (16, 8, 3)])
def test_linear_backward_is_torch_autograd(N, m, n):
    X, W, b, dY = RNG.normal(size=(N, m)), RNG.normal(size=(m, n)), RNG.normal(size=n), RNG.normal(size=(N, n))
    Xt, Wt, bt = t(X, True), t(W, True), t(b, True)
    ((Xt @ Wt + bt) * t(dY)).sum().backward()
    ours = dlderive.evaluate("linear.backward", {"X": X, "W": W, "b": b, "dY": dY}, "vector")
    close(ours["X"], Xt.grad)
    close(ours["W"], Wt.grad)
    close(ours["b"], bt.grad)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "softplus"])
@pytest.mark.parametrize("m,n,c", [(1, 1, 2), (4, 6, 3), (10, 7, 5)])
def test_mlp_backprop_is_torch_autograd(activation, m, n, c):
    x, W1, b1 = RNG.normal(size=m), RNG.normal(size=(n, m)), RNG.normal(size=n)
    W2, b2, y = RNG.normal(size=(c, n)), RNG.normal(size=c), np.eye(c)[RNG.integers(c)]
    phi = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
           "softplus": torch.nn.functional.softplus}[activation]
    ts = {k: t(v, True) for k, v in {"x": x, "W_1": W1, "b_1": b1, "W_2": W2, "b_2": b2}.items()}
    s = ts["W_2"] @ phi(ts["W_1"] @ ts["x"] + ts["b_1"]) + ts["b_2"]
    torch.nn.functional.cross_entropy(s[None], t(y)[None]).backward()
    ours = dlderive.evaluate("mlp.backprop", {"x": x, "W_1": W1, "b_1": b1, "W_2": W2, "b_2": b2, "y": y},
                             "vector", activation=activation)
    assert set(ours) == set(ts)
    for key, tensor in ts.items():
        close(ours[key], tensor.grad)


@pytest.mark.parametrize("N,d", [(2, 1), (2, 3), (5, 4), (32, 2)])  # torch refuses a batch of one
def test_batchnorm_backward_is_torch_autograd(N, d):
    x, dy = RNG.normal(size=(N, d)) * 2 + 1, RNG.normal(size=(N, d))
    g, b = RNG.normal(size=d), RNG.normal(size=d)
    xt, gt, bt = t(x, True), t(g, True), t(b, True)
    y = torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-5)
    (y * t(dy)).sum().backward()
    ours = dlderive.evaluate("batchnorm.backward", {"x": x, "gamma": g, "beta": b, "dy": dy}, "vector")
    close(ours["x"], xt.grad)
    close(ours["gamma"], gt.grad)
    close(ours["beta"], bt.grad)


def test_the_results_are_the_textbook_formulas():
    n, = mx.dims("n")
    p = mx.vector("p", n)
    assert dlderive.derive("softmax.jacobian", "vector").result.rhs == mx.diag(p) - mx.outer(p, p)
    assert dlderive.derive("softmax.cross_entropy", "vector").result.rhs == p - mx.vector("y", n)
    d = dlderive.derive("linear.backward", "vector")
    dY = core.MatrixPartial(linear.L, linear.Y)
    assert tuple(d.result.rhs) == (mx.mm(dY, mx.T(linear.W)), mx.mm(mx.T(linear.X), dY),
                                   mx.mm(mx.T(dY), linear.ONES))
    i, j = softmax.i, softmax.j
    index = dlderive.derive("softmax.jacobian").result
    assert index.lhs == core.Partial(softmax.P[i], softmax.Z[j])
    assert index.rhs == softmax.P[i] * (sp.KroneckerDelta(i, j) - softmax.P[j])


@pytest.mark.parametrize("name", list(CLASSICS))
@pytest.mark.parametrize("form", ["scalar", "vector"])
def test_every_step_is_named_and_proven_and_renders_in_every_format(name, form):
    d = dlderive.derive(name, form, activation="relu" if name == "mlp.backprop" else None)
    assert d.steps and d.result is not None
    for step in (*d.steps, d.result):
        assert step.rule and step.proof
        assert "at sizes" in step.proof or "substituted" in step.proof
    for fmt in FORMATS:
        out = render(d, fmt)
        assert "Partial" not in out or fmt == "json"
    payload = json.loads(render(d, "json"))
    assert payload["name"] == name and len(payload["steps"]) == len(d.steps)
    if form == "vector":
        tex = render(d, "latex")
        assert r"\frac{\partial L}" in tex or r"\frac{\partial p}" in tex
        if name in ("linear.backward", "mlp.backprop"):
            assert r"^\top" in tex
        if name == "softmax.jacobian":
            assert r"\operatorname{diag}" in tex


def test_mlp_prints_the_hadamard_product_of_the_activation_derivative():
    tex = render(dlderive.derive("mlp.backprop", "vector", activation="tanh"), "latex")
    assert r"\tanh'" in tex and r"\circ" in tex


# ----------------------------------------------------------------------------- wrong steps are refused
def _linear_prover():
    return core.Prover(linear.realize, list(linear.SIZES))


@pytest.mark.parametrize("wrong", [
    lambda dY: mx.mm(mx.T(linear.X), dY) * 2,                          # a wrong factor
    lambda dY: mx.mm(mx.T(linear.X), dY) + mx.mm(linear.X, linear.W)[:1, :] * 0 + linear.W * 0 + linear.W,
])
def test_a_wrong_linear_gradient_is_refused(wrong):
    dY = core.MatrixPartial(linear.L, linear.Y)
    with pytest.raises(ProofError):
        _linear_prover().prove(core.Draft(core.MatrixPartial(linear.L, linear.W), wrong(dY), "linearity"))


def test_a_gradient_in_the_wrong_order_is_refused():
    dY = core.MatrixPartial(linear.L, linear.Y)
    with pytest.raises(DlderiveError, match="shapes do not agree"):  # ∂L/∂Y W: N x n times m x n
        mx.mm(dY, linear.W)
    square = core.Prover(linear.realize, [{linear.N: 2, linear.m: 2, linear.n: 2}])
    with pytest.raises(ProofError):  # where the shapes agree: W instead of W^⊤
        square.prove(core.Draft(core.MatrixPartial(linear.L, linear.X), sp.MatMul(dY, linear.W, check=False),
                                "chain rule"))
    with pytest.raises(ProofError):  # ∂L/∂W = ∂L/∂Y X^⊤ in the wrong order
        square.prove(core.Draft(core.MatrixPartial(linear.L, linear.W), sp.MatMul(dY, mx.T(linear.X), check=False),
                                "chain rule"))


def test_a_wrong_softmax_jacobian_is_refused():
    p, z = softmax.p, softmax.z
    prover = core.Prover(softmax.realize, list(softmax.SIZES))
    with pytest.raises(ProofError):
        prover.prove(core.Draft(core.MatrixPartial(p, z), mx.diag(p) + mx.outer(p, p), "algebra"))
    i, j = softmax.i, softmax.j
    with pytest.raises(ProofError):  # δ_ij dropped
        prover.prove(core.Draft(core.Partial(softmax.P[i], softmax.Z[j]), -softmax.P[i] * softmax.P[j], "algebra",
                                indices=((i, softmax.n), (j, softmax.n))))


# ----------------------------------------------------------------------------- bad input
def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv,words", [
    (("derive", "mlp.backprop", "--activation", "nope"), "choose one of"),
    (("derive", "mlp.backprop", "--activation", "log"), "choose one of"),
    (("derive", "linear.backward", "--activation", "relu"), "only to mlp.backprop"),
    (("derive", "softmax.jacobian", "--steps", "2"), "--steps"),
    (("derive", "lstm.hidden", "--activation", "relu"), "only to mlp.backprop"),
])
def test_bad_options_are_one_line_exit_2(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert words in line


@pytest.mark.parametrize("name,values,words", [
    ("linear.backward", {"X": np.ones((2, 3)), "W": np.ones((4, 2)), "b": np.ones(2), "dY": np.ones((2, 2))}, "W has shape"),
    ("linear.backward", {"X": np.ones((2, 3)), "W": np.ones((3, 2)), "b": np.ones(2)}, "missing value for dY"),
    ("softmax.jacobian", {"z": np.ones((2, 2))}, "z has shape"),
    ("softmax.jacobian", {"z": [1.0, np.nan]}, "non-finite"),
    ("softmax.jacobian", {"z": "1, 2"}, "z must be"),
    ("softmax.jacobian", {"z": np.ones(2), "w": 1.0}, "unknown input 'w'"),
    ("batchnorm.backward", {"x": np.ones((2, 1)), "gamma": np.ones(1), "beta": np.ones(1), "dy": np.ones((2, 1)),
                            "epsilon": -1.0}, "epsilon must be"),
])
def test_bad_values_name_the_input(name, values, words):
    with pytest.raises(DlderiveError, match=words):
        dlderive.evaluate(name, values, "vector")


# ----------------------------------------------------------------------------- the week-9 handout
WEEK9 = __import__("pathlib").Path(__file__).resolve().parents[1] / "derivations" / "week9_backward.toml"


def test_week9_builds_to_pdf_with_its_variants(tmp_path):
    import subprocess
    assert main(["build", str(WEEK9), "--out", str(tmp_path), "--pdf", "--variants", "1-3"]) == 0
    keys = [tmp_path / f"week9_backward-v0{v}" for v in (1, 2, 3)]
    for key in keys:
        assert key.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(keys[0].with_suffix(".pdf")), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    for expected in ("Softmax and cross-entropy", "LSTM backward", "quotient rule", "index form as matrices",
                     "softmax cross-entropy", "chain rule"):
        assert expected in flat, expected
    tex = [key.with_suffix(".tex").read_text() for key in keys]
    answers = {"\n".join(line for line in t.splitlines() if "variant" not in line) for t in tex}
    assert len(answers) == 3  # the drawn activation, weight and steps differ between variants, not only the header
    assert all(r"\operatorname{diag}" in t and r"^\top" in t for t in tex)


@pytest.mark.parametrize("key,value", [("activation", '"nope"'), ("weight", '"Q"'), ("loss", '"hinge"')])
def test_a_bad_option_of_a_derivation_item_names_its_key(tmp_path, capsys, key, value):
    name = "mlp.backprop" if key == "activation" else "lstm.loss_grad"
    extra = "" if key == "weight" or name == "mlp.backprop" else 'weight = "V"\n'
    handout = tmp_path / "bad.toml"
    handout.write_text(f'title = "t"\n[[sections]]\ntitle = "s"\n[[sections.items]]\nkind = "derivation"\n'
                       f'name = "{name}"\nform = "vector"\n{extra}{key} = {value}\n')
    assert main(["build", str(handout), "--out", str(tmp_path / "out")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"key '{key}'" in line
