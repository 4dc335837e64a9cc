"""Compiled results: a one-step derivation's result, with its definitions substituted, compiled
once with ``lambdify`` and evaluated at the values a user gives (floats, or NumPy arrays).

Scalar form: a float.  Vector form: the n x n Jacobian, the result (a matrix expression) with its
definitions substituted, evaluated by ``matrices.numeric``.  Inputs are checked: a missing identifier, a wrong shape or a
non-finite number is a DlderiveError that names the identifier and the shape it needs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

from . import matrices as mx
from .errors import DlderiveError
from .functions import NUMPY_FUNCTIONS
from .memo import cached
from .onestep import derive_one

MAX_SIZE = 4096
"""Largest hidden or input size accepted."""

MODULES = [NUMPY_FUNCTIONS, "numpy"]


# ----------------------------------------------------------------------------- checking inputs
def shape_text(kind: tuple, sizes: dict) -> str:
    dims = kind[1:]
    if not dims:
        return "a finite real number"
    shown = ", ".join(dims)
    known = ", ".join(str(sizes[d]) for d in dims) if all(d in sizes for d in dims) else None
    return f"an array of shape ({shown}{',' if len(dims) == 1 else ''})" + (
        f" = ({known}{',' if len(dims) == 1 else ''})" if known else "")


def checked(values: dict, leaves: list[str], kinds: dict, form: str) -> tuple[dict, dict]:
    """The values of ``leaves`` as arrays, their sizes {"n": .., "m": ..}; a clear error otherwise."""
    if not isinstance(values, dict):
        raise DlderiveError(f"values must map identifiers to numbers, not {type(values).__name__}")
    kind_of = (lambda name: ("scalar",)) if form == "scalar" else (lambda name: kinds.get(name, ("vector", "n")))
    sizes: dict = {}
    out = {}
    for name in sorted(leaves, key=lambda n: (kind_of(n)[0] != "vector", n)):  # sizes from vectors first
        if name not in values:
            continue
        kind = kind_of(name)
        raw = values[name]
        try:
            if isinstance(raw, (bool, str, bytes)) or raw is None:
                raise TypeError
            arr = np.asarray(raw, dtype=float)
        except (TypeError, ValueError):
            raise DlderiveError(f"{name} must be {shape_text(kind, sizes)}, not {type(raw).__name__}") from None
        dims = kind[1:]
        if arr.ndim != len(dims):
            raise DlderiveError(f"{name} has shape {arr.shape}; expected {shape_text(kind, sizes)}")
        for d, size in zip(dims, arr.shape):
            if size < 1 or size > MAX_SIZE:
                raise DlderiveError(f"{name} has shape {arr.shape}; sizes must be from 1 to {MAX_SIZE}")
            if sizes.setdefault(d, size) != size:
                raise DlderiveError(f"{name} has shape {arr.shape}; expected {shape_text(kind, sizes)}")
        if not np.all(np.isfinite(arr)):
            raise DlderiveError(f"{name} has non-finite values (nan or inf); expected {shape_text(kind, sizes)} of finite numbers")
        out[name] = arr
    for name in leaves:
        if name not in out:
            raise DlderiveError(f"missing value for {name}: expected {shape_text(kind_of(name), sizes)}")
    return out, sizes


# ----------------------------------------------------------------------------- compiling
# A cell's equations are declared commutatively (``W_f*x_t``): ``Cell.kind`` tells the matrices
# apart; these read the matrix products out of them, to compute each as ``env[M] @ v``.
def is_matrix(e: sp.Basic, kinds: dict) -> bool:
    """True if ``e`` is a symbol of matrix kind (W_*, U_* in the cells)."""
    return isinstance(e, sp.Symbol) and kinds.get(e.name, ("vector",))[0] == "matrix"


def split_matvec(e: sp.Basic, kinds: dict):
    """(coefficient, M, v) if the commutative product ``e`` is coefficient · M · v with one matrix M,
    else None.  The matrix takes the product of the other factors: M a b = M (a ∘ b)."""
    if not (isinstance(e, sp.Mul) and e.is_commutative):
        return None
    mats = [f for f in e.args if is_matrix(f, kinds)]
    if len(mats) != 1:
        return None
    rest = [f for f in e.args if f is not mats[0]]
    vec = [f for f in rest if not f.is_number]
    if not vec:
        raise DlderiveError(f"matrix product {e} has no vector to multiply")
    return sp.Mul(*[f for f in rest if f.is_number]), mats[0], sp.Mul(*vec)


def atomize(expr: sp.Expr, kinds: dict) -> tuple[sp.Expr, dict]:
    """Replace each matrix-vector product M*v by a fresh symbol, so that elementwise algebra
    (expand, factor) cannot move factors across it; returns the expression and the inverse map."""
    found: dict[sp.Expr, sp.Symbol] = {}

    def is_matvec(e):
        return isinstance(e, sp.Mul) and e.is_commutative and any(is_matrix(f, kinds) for f in e.args)

    def atom(e):
        if e not in found:
            found[e] = sp.Dummy(f"mv{len(found)}", real=True)
        return found[e]

    out = expr.replace(is_matvec, atom)
    return out, {v: k for k, v in found.items()}


def compile_vector(expr: sp.Expr, kinds: dict) -> tuple[Callable[[dict], object], list[str]]:
    """A function env -> value of the elementwise vector expression ``expr``; each matrix product
    M v (commutative in the declarations, told apart by ``kinds``) is computed as ``env[M] @ v``."""
    body, back = atomize(expr, kinds)
    products = []  # (dummy, coefficient, matrix name, function of the vector) in dependency order
    for dummy, mv in back.items():
        coeff, mat, vec = _matvec(mv, kinds)
        products.append((dummy, coeff, mat, vec))
    names = sorted({s.name for s in expr.free_symbols})
    dummies = [p[0] for p in products]

    def arguments(e):
        syms = [s for s in e.free_symbols if s not in dummies]
        return sorted(syms, key=lambda s: s.name) + [d for d in dummies if d in e.free_symbols]

    steps = []
    for dummy, coeff, mat, vec in products:
        args = arguments(vec)
        steps.append((dummy, coeff, mat, args, sp.lambdify(args, vec, modules=MODULES)))
    args = arguments(body)
    final = sp.lambdify(args, body, modules=MODULES)

    def value(env: dict):
        local = dict(env)
        for dummy, coeff, mat, vargs, fn in steps:
            local[dummy] = coeff * (env[mat] @ fn(*[_get(local, a) for a in vargs]))
        return final(*[_get(local, a) for a in args])

    return value, names


def _get(local: dict, symbol):
    return local[symbol] if symbol in local else local[symbol.name]


def _matvec(mv: sp.Mul, kinds: dict):
    coeff, mat, vec = split_matvec(mv, kinds)
    return float(coeff), mat.name, vec


@dataclass(frozen=True)
class Evaluator:
    """A derivation's result, compiled: call it with the values of its leaves."""

    name: str
    form: str
    leaves: list
    kinds: dict
    run: Callable[[dict], object]

    def __call__(self, values: dict):
        env, sizes = checked(values, self.leaves, self.kinds, self.form)
        return self.run(env, sizes)


@cached
def compiled(name: str, form: str) -> Evaluator:
    """The evaluator of one-step derivation ``name`` (one per derivation and form, built once)."""
    d = derive_one(name, form)
    full = {sp.Symbol(k, real=True): v for k, v in d.definitions.items()}
    if form == "scalar":
        expr = _in_leaves(d.final.rhs, full)
        leaves = sorted(s.name for s in expr.free_symbols)
        fn = sp.lambdify([sp.Symbol(n, real=True) for n in leaves], expr, modules=MODULES, cse=True)
        return Evaluator(name, form, leaves, {}, lambda env, sizes: float(fn(*[env[n] for n in leaves])))
    columns = {s for v in d.definitions.values() for s in v.atoms(sp.MatrixSymbol)}
    full = {s: d.definitions[s.name] for s in d.final.rhs.atoms(sp.MatrixSymbol) if s.name in d.definitions}
    for _ in range(len(d.definitions)):
        full = {s: v.xreplace(full) for s, v in full.items()}
    expr = d.final.rhs.xreplace(full)
    wrt = d.final.lhs.args[1]
    symbols = expr.atoms(sp.MatrixSymbol) | {wrt}
    leaves = sorted(s.name for s in symbols)
    shapes = {s.name: _kind(s) for s in symbols | columns}

    def run(env, sizes):
        return mx.numeric(expr, env, sizes)

    return Evaluator(name, form, leaves, shapes, run)


def _kind(s: sp.MatrixSymbol) -> tuple:
    """("vector", rows) or ("matrix", rows, columns) of a matrix symbol, as ``checked`` reads them."""
    rows, cols = (str(d) for d in s.shape)
    return ("vector", rows) if cols == "1" else ("matrix", rows, cols)


def _in_leaves(expr: sp.Expr, full: dict) -> sp.Expr:
    """``expr`` with every defined quantity replaced by its expression in the leaves."""
    return expr.xreplace(full) if full else expr
