"""Cells by declaration: GRU, vanilla RNN, peephole LSTM and a user's TOML cell derive with no
cell-specific code; each result against sympy.diff of equations written here by hand and central
finite differences of NumPy cells written here; bad declarations named."""
import random
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dlderive import DlderiveError, evaluate
from dlderive.cells import CELLS, Cell, at, param
from dlderive.cells.declared import cell_from_toml, load_cell, parse_equation
from dlderive.cli import main
from dlderive.derive import DERIVATIONS, derive, register, unregister
from dlderive.functions import NUMPY_FUNCTIONS, sigmoid
from dlderive.matrices import diag, dims, vector
from oracle import fd_jacobian, sym

MGU_FILE = Path(__file__).parents[1] / "docs" / "cells" / "mgu.toml"
MGU_CASES = [("mgu.forget_gate", "mgu", ("derivative", "f_t", "")), ("mgu.gated_state", "mgu", ("derivative", "g_t", "")),
             ("mgu.candidate", "mgu", ("derivative", "u_t", "")), ("mgu.hidden", "mgu", ("derivative", "h_t", ""))]


@pytest.fixture(scope="module", autouse=True)
def mgu():
    """The TOML cell of docs/cells.md, declared for this module only."""
    names = register(load_cell(MGU_FILE))
    assert [c[0] for c in MGU_CASES] == [n for n in names if DERIVATIONS[n].kind == "derivative"]
    yield names
    unregister("mgu")
    assert not any(n.startswith("mgu.") for n in DERIVATIONS)


def _s(name):
    return sym(name)


def _np_sigmoid(a):
    return 1 / (1 + np.exp(-a))


# ----------------------------------------------------------------------------- oracles, by hand
def scalar_oracle(cell):
    """identifier -> its expression in the leaves, hidden size 1, plain SymPy."""
    x, h, c = _s("x_t"), _s("h_prev"), _s("c_prev")
    a = lambda g: _s(f"W_{g}") * x + _s(f"U_{g}") * h + _s(f"b_{g}")
    if cell == "rnn":
        return {"h_t": sp.tanh(a("h"))}
    if cell == "gru":
        r, z = sigmoid(a("r")), sigmoid(a("z"))
        n = sp.tanh(_s("W_n") * x + _s("b_n") + r * (_s("U_n") * h + _s("b_hn")))
        return {"r_t": r, "z_t": z, "n_t": n, "h_t": (1 - z) * n + z * h}
    if cell == "peephole":
        f = sigmoid(a("f") + _s("P_f") * c)
        i = sigmoid(a("i") + _s("P_i") * c)
        u = sp.tanh(a("u"))
        c_t = f * c + i * u
        o = sigmoid(a("o") + _s("P_o") * c_t)
        return {"f_t": f, "i_t": i, "u_t": u, "c_t": c_t, "o_t": o, "h_t": o * sp.tanh(c_t)}
    if cell == "mgu":
        f = sigmoid(a("f"))
        u = sp.tanh(_s("W_u") * x + _s("U_u") * (f * h) + _s("b_u"))
        return {"f_t": f, "g_t": f * h, "u_t": u, "h_t": (1 - f) * h + f * u}
    raise KeyError(cell)


def numpy_step(cell, v, h, c=None):
    """identifier -> value of one step of ``cell`` (NumPy), for the given h_prev and c_prev."""
    x = v["x_t"]
    a = lambda g: v[f"W_{g}"] @ x + v[f"U_{g}"] @ h + v[f"b_{g}"]
    if cell == "rnn":
        return {"h_t": np.tanh(a("h"))}
    if cell == "gru":
        r, z = _np_sigmoid(a("r")), _np_sigmoid(a("z"))
        n = np.tanh(v["W_n"] @ x + v["b_n"] + r * (v["U_n"] @ h + v["b_hn"]))
        return {"r_t": r, "z_t": z, "n_t": n, "h_t": (1 - z) * n + z * h}
    if cell == "peephole":
        f = _np_sigmoid(a("f") + v["P_f"] * c)
        i = _np_sigmoid(a("i") + v["P_i"] * c)
        c_t = f * c + i * np.tanh(a("u"))
        o = _np_sigmoid(a("o") + v["P_o"] * c_t)
        return {"f_t": f, "i_t": i, "u_t": np.tanh(a("u")), "c_t": c_t, "o_t": o, "h_t": o * np.tanh(c_t)}
    if cell == "mgu":
        f = _np_sigmoid(a("f"))
        u = np.tanh(v["W_u"] @ x + v["U_u"] @ (f * h) + v["b_u"])
        return {"f_t": f, "g_t": f * h, "u_t": u, "h_t": (1 - f) * h + f * u}
    raise KeyError(cell)


def random_vector_values(cell, n, m, rng):
    names = {s.name for e in scalar_oracle(cell).values() for s in e.free_symbols}
    out = {}
    for name in names:
        shape = (n, m) if name.startswith("W_") else (n, n) if name.startswith("U_") else (m,) if name == "x_t" else (n,)
        out[name] = rng.uniform(-1, 1, shape)
    return out


CASES = [(name, e.cell, (e.kind, e.target, e.state)) for name, e in DERIVATIONS.items()
         if e.cell in ("gru", "rnn", "peephole") and e.kind == "derivative"] + MGU_CASES


@pytest.mark.parametrize("name,cell,what", CASES, ids=[c[0] for c in CASES])
def test_scalar_result_is_sympy_diff(name, cell, what):
    _, ident, state = what
    oracle = scalar_oracle(cell)
    wrt = _s(f"{state or 'h'}_prev")
    truth = sp.diff(oracle[ident], wrt)
    symbols = sorted({s for e in oracle.values() for s in e.free_symbols}, key=str)
    exact = sp.lambdify(symbols, truth, modules=[NUMPY_FUNCTIONS, "math"])
    rng = random.Random(name)
    for _ in range(3):
        point = [rng.uniform(-1.2, 1.2) for _ in symbols]
        ours = evaluate(name, {s.name: p for s, p in zip(symbols, point)})
        assert ours == pytest.approx(exact(*point), abs=1e-11)


@pytest.mark.parametrize("name,cell,what", CASES, ids=[c[0] for c in CASES])
def test_vector_result_matches_finite_differences(name, cell, what):
    _, ident, state = what
    rng = np.random.default_rng(len(name))
    for n, m in ((1, 1), (4, 3)):
        v = random_vector_values(cell, n, m, rng)
        h, c = v["h_prev"], v.get("c_prev")
        if state == "c":
            fd = fd_jacobian(lambda cc: numpy_step(cell, v, h, cc)[ident], c)
        else:
            fd = fd_jacobian(lambda hh: numpy_step(cell, v, hh, c)[ident], h)
        np.testing.assert_allclose(evaluate(name, v, "vector"), fd, atol=1e-8)


@pytest.mark.parametrize("cell", ["gru", "rnn", "peephole", "mgu"])
def test_every_derivation_of_every_cell_is_proven_in_both_forms(cell):
    names = [n for n, e in DERIVATIONS.items() if e.cell == cell]
    assert f"{cell}.hidden" in names and f"{cell}.bptt" in names
    for name in names:
        for form in ("scalar", "vector"):
            d = derive(name, form, 2) if ".bptt" in name else derive(name, form)
            assert d.steps and all(s.proof for s in d.steps), (name, form)


def test_peephole_cell_state_is_independent_of_h_prev():
    d = derive("peephole.cell_independence", "vector")
    n = dims("n")[0]
    assert d.final.rhs == sp.ZeroMatrix(n, n) and "computed from c_prev" in d.steps[-1].note


def test_gru_hidden_jacobian_has_the_update_gate_shortcut():
    d = derive("gru.hidden", "vector")
    assert diag(vector("z_t", dims("n")[0])) in d.final.rhs.args  # ∂h_t/∂h_{t-1} = diag(z_t) + ...: the weight-free path


def test_mgu_through_time_matches_finite_differences():
    rng = np.random.default_rng(9)
    n, m, k = 3, 2, 4
    v = random_vector_values("mgu", n, m, rng)
    xs = [rng.uniform(-1, 1, m) for _ in range(k)]

    def run(h):
        for x in xs:
            h = numpy_step("mgu", {**v, "x_t": x}, h)["h_t"]
        return h

    values = {key: val for key, val in v.items() if key not in ("x_t", "h_prev")}
    values.update({("x_t" if j == 0 else "x_prev" if j == 1 else f"x_prev{j}"): xs[k - 1 - j] for j in range(k)})
    values[f"h_prev{k}"] = v["h_prev"]
    np.testing.assert_allclose(evaluate("mgu.bptt", values, "vector", steps=k), fd_jacobian(run, v["h_prev"]), atol=1e-8)


def test_cli_derives_a_declared_cell(capsys):
    assert main(["derive", "mgu.hidden", "--cell", str(MGU_FILE), "--form", "vector"]) == 0
    out = capsys.readouterr().out
    assert "diag" in out and "Result" in out
    assert main(["list", "--cell", str(MGU_FILE)]) == 0
    assert "mgu.bptt" in capsys.readouterr().out
    assert main(["derive", "x.hidden", "--cell", "/no/such/cell.toml"]) == 2
    assert "cannot read the cell file" in capsys.readouterr().err


# ----------------------------------------------------------------------------- bad declarations
HEAD = 'name = "bad"\ninputs = ["x"]\nstates = ["h"]\n[equations]\n'


@pytest.mark.parametrize("equations,message", [
    ('a_t = "tanh(b_t)"\nb_t = "a_t * x_t"\nh_t = "a_t"', "cycle within one step: a_t -> b_t -> a_t"),
    ('h_t = "tanh(W_h @ x_t + q_t)"', "uses q_t, which is neither an input"),
    ('h_t = "relu(W_h @ x_t)"', "function 'relu' has no derivative rule"),
    ('h_t = "tanh(W_h @ x_t + U_h @ (x_t * h_prev))"', "declare the product"),
    ('a_t = "U_h @ h_prev"\nh_t = "tanh(x_t * a_t)"', "in h_t, shapes do not agree in the elementwise product "
                                                   "a_t*x_t: a_t is n x 1, x_t is m x 1 (an input)"),
    ('h_t = "tanh(x_t + U_h @ h_prev)"', "shapes do not agree in the sum U_h @ h_prev + x_t"),
    ('h_t = "tanh(U_h @ x_t + b_h)"', "shapes do not agree in U_h @ x_t: U_h is n x n, x_t is m x 1"),
    ('h_t = "tanh(W_h @ h_prev)"', "shapes do not agree in W_h @ h_prev: W_h is n x m, h_prev is n x 1"),
    ('h_t = "tanh(W_h * x_t)"', "W_h is a matrix: write W_h @ v"),
    ('h_t = "tanh(W_h @ x_t"', "expected )"),
    ('h_t = "__import__(\'os\')"', "unexpected character"),
    ('h_t = "eval(x_t)"', "function 'eval' has no derivative rule"),
    ('h_t = "tanh(h_prev2)"', "uses h_prev2"),
    ('h_t = "x_t ^ 100"', "exponents are whole numbers"),
    ('h_t = "tanh((U_h @ h_prev)^2 + b_h)"', "a matrix product cannot be raised to a power"),
    ('h_t = "' + "(" * 70 + "x_t" + ")" * 70 + '"', "nested more than"),
    ('h_t = "' + "x_t + " * 300 + 'x_t"', "longer than 1000 characters"),
])
def test_bad_declarations_are_named(equations, message):
    with pytest.raises(DlderiveError, match=re.escape(message)):
        cell_from_toml(HEAD + equations)


@pytest.mark.parametrize("text,message", [
    ('name = "Bad Name"\ninputs=["x"]\nstates=["h"]\n[equations]\nh_t="x_t"', "lowercase identifier"),
    ('name = "b"\ninputs=["x"]\nstates=["h","c"]\n[equations]\nh_t="x_t"', "state c has no equation for c_t"),
    ('name = "b"\ninputs=["x"]\nstates=["h"]\nfoo=1\n[equations]\nh_t="x_t"', "unknown key 'foo'"),
    ('name = "b"\ninputs=["x"]\nstates=["h"]\n[equations]\nh = "x_t"', "must define a quantity at time t"),
    ('name = "b" = 1', "not valid TOML"),
    ('name = "b"\ninputs=["h"]\nstates=["h"]\n[equations]\nh_t="h_t"', "different names"),
    ('name = "b"\ninputs=["x"]\nstates=["h"]\n[equations]\nh_t="tanh(W_h @ x_t)"\n[names]\nz_t="zz"', "no equation defines z_t"),
])
def test_bad_cell_files_are_named(text, message):
    with pytest.raises(DlderiveError, match=message):
        cell_from_toml(text)


def test_a_quantity_of_the_input_size_has_no_vector_form(tmp_path, capsys):
    """h_t = sigmoid(x_t) reads in the scalar form; in the vector form x_t has size m and h_t size n."""
    path = tmp_path / "insize.toml"
    path.write_text(HEAD.replace('"bad"', '"insize"') + 'h_t = "sigmoid(x_t) + 0 * h_prev"\n')
    try:
        assert main(["derive", "insize.loss_grad", "--cell", str(path), "--weight", "x_t", "--steps", "1"]) == 0
        capsys.readouterr()
        assert main(["derive", "insize.loss_grad", "--cell", str(path), "--weight", "x_t", "--form", "vector"]) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert "h_t = sigmoid(x_t) is m x 1 (an input's size)" in line
    finally:
        unregister("insize")


def test_derivation_names_may_not_collide(tmp_path, capsys):
    text = (Path(__file__).parent.parent / "docs" / "cells" / "mgu.toml").read_text()
    bad = tmp_path / "mgu.toml"
    bad.write_text(text.replace('f_t = "forget_gate"', 'f_t = "bptt"').replace('name = "mgu"', 'name = "twin"'))
    assert main(["derive", "twin.bptt", "--cell", str(bad)]) == 2
    assert "two derivations would be named twin.bptt" in capsys.readouterr().err
    assert "twin" not in CELLS


def test_python_declarations_are_checked_too():
    x, h = at("x"), at("h", 1)
    with pytest.raises(DlderiveError, match="has no derivative rule"):
        Cell("p", "", ("x",), ("h",), (("h_t", sp.Function("relu")(param("W") * x)),))
    with pytest.raises(DlderiveError, match="raises a matrix"):  # (U h)^2 would read as U^2 h^2
        Cell("p", "", ("x",), ("h",), (("h_t", sp.tanh((param("U_h") * h) ** 2)),))
    with pytest.raises(DlderiveError, match="multiplies two matrices"):
        Cell("p", "", ("x",), ("h",), (("h_t", sp.tanh(param("W_h") * param("U_h") * h)),))
    with pytest.raises(DlderiveError, match="already declared"):
        register(Cell("lstm", "", ("x",), ("h",), (("h_t", sp.tanh(param("W_h") * x + h)),)))


def test_grammar_builds_the_same_expressions_as_python():
    assert parse_equation("sigmoid(W_f @ x_t + U_f @ h_prev + b_f)") == sigmoid(
        param("W_f") * at("x") + param("U_f") * at("h", 1) + param("b_f"))
    assert parse_equation("(1 - z_t) * n_t + z_t * h_prev") == (1 - at("z")) * at("n") + at("z") * at("h", 1)
    assert parse_equation("-x_t^2 + 0.5*h_prev") == -at("x") ** 2 + sp.Rational(1, 2) * at("h", 1)


def test_a_declared_cell_with_two_states_derives_through_time():
    """LSTM with coupled gates (docs/cells/cifg.toml): ∂c_t/∂c_(t-k) against finite differences."""
    names = register(load_cell(MGU_FILE.with_name("cifg.toml")))
    try:
        assert {"cifg.bptt", "cifg.bptt_c", "cifg.cell_wrt_c", "cifg.cell_independence"} <= set(names)
        rng = np.random.default_rng(4)
        n, m, k = 3, 2, 3
        v = {f"{w}_{g}": rng.uniform(-1, 1, (n, m) if w == "W" else (n, n)) for w in "WU" for g in "fou"}
        v.update({f"b_{g}": rng.uniform(-1, 1, n) for g in "fou"})
        xs = [rng.uniform(-1, 1, m) for _ in range(k)]
        h0, c0 = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)

        def run(c):
            h = h0
            for x in xs:
                a = lambda g: v[f"W_{g}"] @ x + v[f"U_{g}"] @ h + v[f"b_{g}"]
                f, o, u = _np_sigmoid(a("f")), _np_sigmoid(a("o")), np.tanh(a("u"))
                c = f * c + (1 - f) * u
                h = o * np.tanh(c)
            return c

        values = {**v, "h_prev3": h0, "c_prev3": c0, "x_prev2": xs[0], "x_prev": xs[1], "x_t": xs[2]}
        np.testing.assert_allclose(evaluate("cifg.bptt_c", values, "vector", steps=k), fd_jacobian(run, c0), atol=1e-8)
    finally:
        unregister("cifg")


def test_a_derivation_that_runs_too_long_stops_with_one_line(tmp_path, capsys):
    links = ["a", "b", "d", "e", "g", "k"]
    eqs = [f'{x}_t = "{y}_t * (1 - {y}_t) * h_prev"' for x, y in zip(links, links[1:])]
    eqs.append('k_t = "tanh(W_h @ x_t + U_h @ h_prev + b_h)"')
    path = tmp_path / "chain.toml"
    path.write_text('name = "chain"\ninputs = ["x"]\nstates = ["h"]\n[equations]\n' + "\n".join(eqs) + '\nh_t = "a_t"\n')
    try:
        assert main(["derive", "chain.hidden", "--cell", str(path), "--timeout", "1"]) == 2
        err = capsys.readouterr().err
        assert "more than 1 s of CPU time" in err and err.count("\n") == 1
    finally:
        unregister("chain")


def test_three_mistakes_are_reported_in_one_run(tmp_path):
    path = tmp_path / "mgu.toml"
    path.write_text('name = "mgu"\ninputs = ["x"]\nstates = ["h"]\ncolour = "red"\n[equations]\n'
                    'f_t = "relu(W_f @ x_t)"\nh_t = "(1 - f_t) * h_prev + f_t *"\n')
    with pytest.raises(DlderiveError) as err:
        load_cell(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 3, err.value
    assert lines[0].startswith(f"{path}, key 'colour': unknown key 'colour'") and "allowed: name, description" in lines[0]
    assert lines[1].startswith(f"{path}, section 'equations', key 'f_t': function 'relu' has no derivative rule")
    assert lines[2].startswith(f"{path}, section 'equations', key 'h_t': expected more at the end")


def test_schema_and_declaration_problems_are_reported_together():
    with pytest.raises(DlderiveError) as err:
        cell_from_toml('name = "b"\ninputs = ["x"]\nstates = ["x"]\nnumbers = {h_t = "one"}\n[equations]\n'
                       'h_t = "tanh(W_h @ x_t)"\n[names]\nh_t = "Hidden"\nz_t = "zz"\n', "b.toml")
    assert str(err.value).splitlines() == [
        'b.toml, section \'names\', key \'h_t\': must be a lowercase identifier such as "forget_gate"',
        "b.toml, key 'numbers.h_t': must be an integer, not a string",
        "b.toml, key 'states': inputs and states must have different names",
        "b.toml, section 'names', key 'z_t': no equation defines z_t"]


def test_long_equations_parse_without_deep_recursion():
    """The grammar reduces as it reads: 500 terms or 400 signs need no deep Python recursion."""
    assert parse_equation("+".join(["x_t"] * 250)) == 250 * at("x")
    assert parse_equation("- " * 400 + "x_t") == at("x")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="xhWU_tprev2.0123+-*@^() sigmoidtanh", max_size=40))
def test_any_equation_text_gives_an_expression_or_one_error(text):
    """Whatever the text, the grammar gives a SymPy expression or one DlderiveError line, nothing else."""
    try:
        assert isinstance(parse_equation(text), sp.Basic)
    except DlderiveError as exc:
        assert str(exc) and "\n" not in str(exc)


# ----------------------------------------------------------------------------- a named matrix product
GPROD_FILE = Path(__file__).parent / "cells" / "gated_product.toml"


def _torch_gprod(leaf, xs, h):
    """tests/cells/gated_product.toml written out in torch: r ∘ (U_h h), the product kept whole."""
    import torch
    for x in xs:
        r = torch.sigmoid(leaf["W_r"] @ x + leaf["U_r"] @ h + leaf["b_r"])
        a = leaf["U_h"] @ h
        h = torch.tanh(leaf["W_h"] @ x + r * a + leaf["b_h"]) * a
    return h


def _gprod_values(n, m, k, rng):
    v = {f"{w}_{g}": rng.uniform(-1, 1, (n, m) if w == "W" else (n, n)) for w in "WU" for g in "rh"}
    v.update({"b_r": rng.uniform(-1, 1, n), "b_h": rng.uniform(-1, 1, n), f"h_prev{k}": rng.uniform(-1, 1, n)})
    v.update({("x_t" if j == 0 else "x_prev" if j == 1 else f"x_prev{j}"): rng.uniform(-1, 1, m) for j in range(k)})
    return v


def _xs(leaf, k):
    return [leaf["x_t" if j == 0 else "x_prev" if j == 1 else f"x_prev{j}"] for j in range(k - 1, -1, -1)]


def test_a_named_matrix_product_used_elementwise_matches_torch():
    """a_t = U_h @ h_prev, then r_t * a_t and (...) * a_t: Jacobians through time and loss gradients
    against torch autograd of the unrolled cell written out by hand (float64)."""
    import torch
    names = register(load_cell(GPROD_FILE))
    try:
        for name in names:
            for form in ("scalar", "vector"):
                d = derive(name, form, 2) if ".bptt" in name or ".loss_grad" in name else derive(name, form)
                assert all(s.proof for s in d.steps), (name, form)
        rng = np.random.default_rng(12)
        for n, m, k in ((3, 2, 3), (2, 4, 2)):
            v = _gprod_values(n, m, k, rng)
            with torch.enable_grad():
                leaf = {key: torch.tensor(val, dtype=torch.float64, requires_grad=True) for key, val in v.items()}
                jac = torch.autograd.functional.jacobian(lambda h0: _torch_gprod(leaf, _xs(leaf, k), h0), leaf[f"h_prev{k}"])
                V, b_y = rng.uniform(-1, 1, (2, n)), rng.uniform(-1, 1, 2)
                ys = {("y_t" if j == 0 else "y_prev" if j == 1 else f"y_prev{j}"): rng.uniform(-1, 1, 2) for j in range(k)}
                h, total, xs = leaf[f"h_prev{k}"], 0, _xs(leaf, k)
                for j in range(k - 1, -1, -1):  # step t-j
                    h = _torch_gprod(leaf, [xs[k - 1 - j]], h)
                    s = torch.tensor(V) @ h + torch.tensor(b_y)
                    total = total + 0.5 * ((s - torch.tensor(ys[list(ys)[j]])) ** 2).sum()
                total.backward()
            np.testing.assert_allclose(evaluate("gprod.bptt", v, "vector", steps=k), jac.numpy(), atol=1e-10)
            for w in ("W_r", "U_r", "b_r", "W_h", "U_h", "b_h", f"h_prev{k}", "x_t"):
                got = evaluate("gprod.loss_grad", {**v, "V": V, "b_y": b_y, **ys}, "vector", steps=k, weight=w,
                               loss="squared")
                assert np.max(np.abs(got - leaf[w].grad.numpy())) < 1e-10, (w, n, m, k)
    finally:
        unregister("gprod")
