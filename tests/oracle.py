"""Independent oracles for the tests: the LSTM cell written out here by hand, in SymPy and NumPy."""
import numpy as np
import sympy as sp

from dlderive.functions import sigmoid

GATES = "fiou"


def sym(name):
    return sp.Symbol(name, real=True)


def lstm_scalar():
    """f_t, i_t, o_t, u_t, c_t, h_t of a hidden-size-1 LSTM, in the inputs (plain SymPy)."""
    x, h, c = sym("x_t"), sym("h_prev"), sym("c_prev")
    pre = {g: sym(f"W_{g}") * x + sym(f"U_{g}") * h + sym(f"b_{g}") for g in GATES}
    f, i, o = (sigmoid(pre[g]) for g in "fio")
    u = sp.tanh(pre["u"])
    c_t = f * c + i * u
    return {"f_t": f, "i_t": i, "o_t": o, "u_t": u, "c_t": c_t, "h_t": o * sp.tanh(c_t)}


def np_sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lstm_numpy(values, h_prev):
    """The LSTM step in NumPy: dict of f_t, i_t, o_t, u_t, c_t, h_t for the given h_prev."""
    pre = {g: values[f"W_{g}"] @ values["x_t"] + values[f"U_{g}"] @ h_prev + values[f"b_{g}"] for g in GATES}
    f, i, o = (np_sigmoid(pre[g]) for g in "fio")
    u = np.tanh(pre["u"])
    c = f * values["c_prev"] + i * u
    return {"f_t": f, "i_t": i, "o_t": o, "u_t": u, "c_t": c, "h_t": o * np.tanh(c)}


def random_values(n, m, rng):
    values = {"x_t": rng.normal(size=m), "h_prev": rng.normal(size=n), "c_prev": rng.normal(size=n)}
    for g in GATES:
        values[f"W_{g}"] = rng.normal(size=(n, m)) / np.sqrt(m)
        values[f"U_{g}"] = rng.normal(size=(n, n)) / np.sqrt(n)
        values[f"b_{g}"] = rng.normal(size=n)
    return values


def fd_jacobian(fn, x, eps=1e-6):
    """Central finite differences of a vector function, column by column."""
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = eps
        cols.append((fn(x + e) - fn(x - e)) / (2 * eps))
    return np.stack(cols, axis=1)
