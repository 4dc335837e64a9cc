"""The engine's derivations against independent oracles: sympy.diff, finite differences, NumPy."""
import json
import random

import numpy as np
import pytest
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

from dlderive import proof
from dlderive.cli import main
from dlderive.derive import DERIVATIONS, derive
from dlderive.errors import ProofError
from dlderive.functions import prime, sigmoid
from dlderive.matrices import MatrixPartial, dims, hadamard, matrix, mm, to_scalar, vector
from dlderive.matrices import diag as mdiag
from dlderive.steps import Step
from oracle import fd_jacobian, lstm_numpy, lstm_scalar, random_values, sym

TARGETS = {"lstm.forget_gate": "f_t", "lstm.input_gate": "i_t", "lstm.output_gate": "o_t",
           "lstm.candidate": "u_t", "lstm.cell": "c_t", "lstm.hidden": "h_t"}
ORACLE = lstm_scalar()
H = sym("h_prev")


def in_inputs(expr):
    """Replace the gate, cell and hidden symbols by their oracle expressions."""
    return expr.xreplace({sym(k): v for k, v in ORACLE.items()})


def random_point(expr, rng):
    return {s: rng.uniform(-1.5, 1.5) for s in expr.free_symbols}


def numeric(expr):
    """``expr`` as a fast function of a {symbol: value} point."""
    symbols = sorted(expr.free_symbols, key=str)
    f = sp.lambdify(symbols, expr, modules=[{"sigmoid": lambda a: 1 / (1 + np.exp(-a))}, "numpy"])
    return lambda point: complex(f(*[point[s] for s in symbols]))


@pytest.mark.parametrize("name", TARGETS)
def test_scalar_result_is_sympy_diff(name):
    d = derive(name, "scalar")
    truth = sp.diff(ORACLE[TARGETS[name]], H)
    ours = in_inputs(d.final.rhs)
    assert sp.expand(ours - truth) == 0
    assert d.final.lhs == sp.Derivative(sym(TARGETS[name]), H)


@pytest.mark.parametrize("name", TARGETS)
def test_scalar_result_matches_central_differences(name):
    rng = random.Random(name)
    d = derive(name, "scalar")
    value, fn = in_inputs(d.final.rhs), ORACLE[TARGETS[name]]
    value_at, fn_at = numeric(value), numeric(fn + 0 * value)
    for _ in range(20):
        point = random_point(fn + value, rng)
        eps = 1e-6
        central = (fn_at({**point, H: point[H] + eps}) - fn_at({**point, H: point[H] - eps})) / (2 * eps)
        assert value_at(point).real == pytest.approx(central.real, abs=1e-7)


def _numpy_jacobian(expr, values, n):
    """A vector-form result (sum of diag(v) M) evaluated with NumPy, gates from the NumPy cell."""
    state = lstm_numpy(values, values["h_prev"])
    env = {**values, **state}
    names = {s.name: s for s in expr.free_symbols}

    from dlderive.matrices import DiagMatrix, to_elementwise

    def ev(e):
        if isinstance(e, (sp.Add, sp.MatAdd)):
            return sum(ev(a) for a in e.args)
        if isinstance(e, DiagMatrix):
            inner = to_elementwise(e.args[0])
            names.update({s.name: s for s in inner.free_symbols})
            f = sp.lambdify([names.get(k) or sym(k) for k in env if np.ndim(env[k]) == 1],
                            inner, modules=[{"sigmoid": lambda a: 1 / (1 + np.exp(-a))}, "numpy"])
            vec = np.broadcast_to(f(*[env[k] for k in env if np.ndim(env[k]) == 1]), (n,))
            return np.diag(vec)
        if isinstance(e, (sp.Mul, sp.MatMul)):
            out = np.eye(n)
            for f in e.args:
                out = out @ ev(f) if not f.is_number else out * float(f)
            return out
        if isinstance(e, sp.Identity):
            return np.eye(n)
        if isinstance(e, sp.MatrixSymbol):
            return env[e.name]
        raise AssertionError(f"unexpected {e}")
    return ev(expr)


@pytest.mark.parametrize("name", TARGETS)
@pytest.mark.parametrize("n", range(1, 9))
def test_vector_result_matches_numpy_finite_differences(name, n):
    rng = np.random.default_rng(n * 7 + len(name))
    m = int(rng.integers(1, 6))
    values = random_values(n, m, rng)
    d = derive(name, "vector")
    ours = _numpy_jacobian(d.final.rhs, values, n)
    fd = fd_jacobian(lambda h: lstm_numpy(values, h)[TARGETS[name]], values["h_prev"])
    np.testing.assert_allclose(ours, fd, atol=1e-8)


def test_vector_forms_use_diag_and_matrices():
    d = derive("lstm.forget_gate", "vector")
    f = sym("f_t")
    n, m = dims("n", "m")
    f, U = vector("f_t", n), matrix("U_f", n, n)
    assert d.final.rhs == mm(mdiag(hadamard(f, sp.OneMatrix(n, 1) - f)), U)  # diag(f ∘ (1 - f)) U, in order
    assert d.final.lhs == MatrixPartial(f, vector("h_prev", n)) and d.final.lhs.shape == (n, n)
    assert all(isinstance(s.rhs, sp.MatrixExpr) for s in d.steps)


def test_cell_independence_is_derived_from_the_graph():
    d = derive("lstm.cell_independence", "scalar")
    assert d.final.lhs == sp.Derivative(sym("c_prev"), H) and d.final.rhs == 0
    expansion = d.steps[1].rhs
    assert {s.name for s in expansion.free_symbols} >= {"x_prev", "h_prev2", "c_prev2"}
    assert H not in expansion.free_symbols
    assert "h_prev = o_prev*tanh(c_prev)" in d.steps[-1].note


def test_sigmoid_derivation_ends_in_sigma_one_minus_sigma():
    d = derive("sigmoid")
    z = sym("z")
    assert d.final.lhs == sp.Derivative(sigmoid(z), z)
    assert sp.expand(d.final.rhs - sigmoid(z) * (1 - sigmoid(z))) == 0
    assert d.steps[0].rhs == 1 / (1 + sp.exp(-z))
    assert not d.final.rhs.has(sp.Subs) and not sigmoid(z).diff(z).has(sp.Subs)
    for p in (-2.0, 0.3, 1.7):  # the derivative of the logistic function, by central differences
        s = lambda v: 1 / (1 + np.exp(-v))
        assert float(d.final.rhs.subs(z, p)) == pytest.approx((s(p + 1e-6) - s(p - 1e-6)) / 2e-6, abs=1e-8)


ALL = [(n, f) for n in DERIVATIONS for f in ("scalar", "vector")
       if n == "sigmoid" and f == "scalar" or n.startswith("lstm.") and "bptt" not in n]


@pytest.mark.parametrize("name,form", ALL)
def test_every_step_holds_numerically(name, form):
    """Re-verify each step: both sides realized with the oracle's definitions agree at random points."""
    d = derive(name, form)
    assert d.steps and all(s.rule and s.proof for s in d.steps)
    rng = random.Random(0)
    c_prev_back = ORACLE["c_t"].xreplace({sym("x_t"): sym("x_prev"), sym("c_prev"): sym("c_prev2"),
                                          H: sym("h_prev2")})
    prev = {sym("c_prev"): c_prev_back}
    for g in "fiou":
        prev[sym(f"{g}_prev")] = ORACLE[f"{g}_t"].xreplace({sym("x_t"): sym("x_prev"), H: sym("h_prev2")})
    lhs = to_scalar(d.final.lhs)
    wrt = lhs.variables[0] if isinstance(lhs, sp.Derivative) else None
    prev.pop(wrt, None)  # the variable of differentiation stays free
    for step in d.steps:
        lhs, rhs = to_scalar(step.lhs), to_scalar(step.rhs)
        diff = in_inputs(lhs - rhs).xreplace(prev).doit()
        at = numeric(diff)
        for _ in range(3):
            assert abs(at(random_point(diff, rng))) < 1e-9, (name, form, step.rule)


def test_a_wrong_step_is_refused():
    x = sym("x")
    with pytest.raises(ProofError):
        proof.prove(Step(sp.Derivative(sp.tanh(x), x), sp.tanh(x) ** 2 - 1, "derivative of tanh"), lambda e: e)
    assert proof.prove(Step(sp.Derivative(sp.tanh(x), x), 1 - sp.tanh(x) ** 2, "derivative of tanh"),
                       lambda e: e).proof


def test_each_step_names_a_rule_from_the_registry():
    from dlderive.rules import RULES
    for name, form in ALL:
        for step in derive(name, form).steps:
            base = step.rule.split(" (")[0].split(" of (")[0]
            assert base in RULES or base in {"algebra", "substitution of"} or step.rule.startswith("substitution of"), step.rule


def _parse(text):
    local = {"sigmoid": sigmoid, "Derivative": sp.Derivative,
             "sigmoid_prime": prime(sigmoid), "tanh_prime": prime(sp.tanh)}
    for name in ("x_t", "h_prev", "c_prev", "f_t", "i_t", "o_t", "u_t", "c_t", "h_t", "z"):
        local[name] = sym(name)
    for g in "fiou":
        for k in "WUb":
            local[f"{k}_{g}"] = sym(f"{k}_{g}")
    return parse_expr(text, local_dict=local)


@pytest.mark.parametrize("name", TARGETS)
def test_cli_json_round_trips_and_is_exact(name, capsys):
    assert main(["derive", name, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"name", "form", "definitions", "steps", "result"}
    assert set(data["definitions"]) == {"f_t", "i_t", "o_t", "u_t", "c_t", "h_t"}
    d = derive(name, "scalar")
    for step, js in zip(d.steps, data["steps"]):
        assert _parse(js["lhs"]) == step.lhs and _parse(js["rhs"]) == step.rhs
        assert js["rule"] == step.rule and js["latex"]
    definitions = {sym(k): _parse(v) for k, v in data["definitions"].items()}
    for k, v in definitions.items():
        assert sp.expand(v - ORACLE[k.name]) == 0
    exact = _parse(data["result"]["rhs"]).xreplace(definitions)
    assert sp.expand(exact - sp.diff(ORACLE[TARGETS[name]], H)) == 0


def _parse_matrix(text):
    """The JSON text of a matrix expression, read with the LSTM's shapes (n x 1 columns, U n x n, W n x m)."""
    from dlderive import matrices as mx
    n, m = dims("n", "m")
    local = {"n": n, "m": m, "hadamard": sp.HadamardProduct, "hadamard_power": sp.HadamardPower,
             "diag": mx.diag, "ones": sp.OneMatrix, "eye": sp.Identity, "zeros": sp.ZeroMatrix,
             "MatrixPartial": MatrixPartial, "sigmoid": lambda v: mx.apply(sigmoid, v), "tanh": lambda v: mx.apply(sp.tanh, v)}
    for name in ("h_prev", "c_prev", "f_t", "i_t", "o_t", "u_t", "c_t", "h_t"):
        local[name] = vector(name, n)
    local["x_t"] = vector("x_t", m)
    for g in "fiou":
        local[f"W_{g}"], local[f"U_{g}"], local[f"b_{g}"] = matrix(f"W_{g}", n, m), matrix(f"U_{g}", n, n), vector(f"b_{g}", n)
    return parse_expr(text, local_dict=local)


@pytest.mark.parametrize("name", TARGETS)
def test_cli_vector_json_round_trips_and_is_exact(name, capsys):
    """The vector JSON: result.rhs reads back as the derived matrix expression, and with the
    definitions substituted it is the Jacobian in the inputs (central differences of the NumPy LSTM)."""
    from dlderive import matrices as mx
    assert main(["derive", name, "--form", "vector", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["form"] == "vector"
    rhs = _parse_matrix(data["result"]["rhs"])
    assert isinstance(rhs, sp.MatrixExpr) and rhs.shape == derive(name, "vector").final.rhs.shape
    definitions = {vector(k, dims("n")[0]): _parse_matrix(v) for k, v in data["definitions"].items()}
    exact = rhs.xreplace(definitions)
    assert not exact.atoms(sp.MatrixSymbol) & set(definitions)  # in the inputs only
    rng = np.random.default_rng(len(name))
    for n, m in ((1, 1), (3, 2), (4, 5)):
        values = random_values(n, m, rng)
        fd = fd_jacobian(lambda h: lstm_numpy(values, h)[TARGETS[name]], values["h_prev"])
        np.testing.assert_allclose(mx.numeric(exact, values, {"n": n, "m": m}), fd, atol=1e-8)


@pytest.mark.parametrize("argv,expected", [
    (["derive", "lstm.nope"], "lstm.hidden"),
    (["derive", "lstm.hidden", "--form", "matrix"], "scalar"),
    (["derive", "lstm.hidden", "--format", "pdf"], "latex"),
    (["derive", "sigmoid", "--form", "vector"], "scalar"),
    (["derive", "lstm.hidden", "--output", "x"], "unrecognized"),
    (["frobnicate"], "derive"),
])
def test_cli_bad_input_is_one_line_and_exit_2(argv, expected, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dlderive: error:") and expected in err
    assert "Traceback" not in err


def test_cli_list_names_every_derivation(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in DERIVATIONS:
        assert name in out


def test_derivation_displays_itself_in_a_notebook():
    bundle = derive("lstm.forget_gate", "vector")._repr_mimebundle_()
    assert {"text/latex", "text/html", "text/markdown"} <= set(bundle)
    assert "\\operatorname{diag}" in bundle["text/latex"] and "<math" in bundle["text/html"]


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("dlderive ")
