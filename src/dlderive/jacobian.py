"""Matrix algebra of the vector form: Jacobians as sums of diag(v) M products.

In the vector form commutative symbols are vectors (products are elementwise), ``diag``,
``Jacobian`` and the weight matrices are non-commutative.  Mapping diag(v) -> v, M -> M and
Jacobian -> Derivative reads every vector expression as its scalar (hidden size 1) form.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from .errors import DlderiveError
from .functions import IDENTITY, NUMPY_FUNCTIONS, Jacobian, Prime, diag
from .matrices import Grouped


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


def matrix(name: str) -> sp.Symbol:
    """The weight ``name`` as a matrix (a non-commutative symbol)."""
    return sp.Symbol(name, commutative=False)


def to_scalar(expr: sp.Basic) -> sp.Basic:
    """Read a vector-form expression at hidden size 1."""
    mapping = {}
    for s in expr.atoms(sp.Symbol):
        if not s.is_commutative:
            mapping[s] = sp.S.One if s == IDENTITY else sp.Symbol(s.name, real=True)
    out = expr.xreplace(mapping)
    out = out.replace(lambda e: isinstance(e, Jacobian), lambda e: sp.Derivative(*e.args))
    return out.replace(lambda e: isinstance(e, diag), lambda e: e.args[0])


def factors(term: sp.Expr) -> tuple[sp.Expr, list[sp.Expr]]:
    """Split a product into its commutative coefficient and its ordered matrix factors."""
    coeff, nc = term.args_cnc() if isinstance(term, sp.Mul) else (
        ([term], []) if term.is_commutative else ([], [term]))
    return sp.Mul(*coeff), nc


def distribute(expr: sp.Expr) -> list[sp.Expr]:
    """The terms of ``expr`` with products distributed over sums, factor order kept; the
    arguments of functions (diag, sigmoid, ...) are left as they are."""
    if isinstance(expr, sp.Add):
        return [t for a in expr.args for t in distribute(a)]
    if isinstance(expr, sp.Mul):
        products = [sp.S.One]
        for f in expr.args:
            products = [p * t for p in products for t in distribute(f)]
        return products
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp > 1 and isinstance(expr.base, sp.Add):
        return distribute(sp.Mul(*[expr.base] * int(expr.exp), evaluate=False))
    return [expr]


def terms(expr: sp.Expr) -> list[tuple[tuple, tuple]]:
    """``expr`` as a list of (skeleton, slots): diag(s0) M1 diag(s1) M2 ... diag(sk).

    The skeleton is (M1, ..., Mk), the matrix factors other than diag and I; the slots are the
    elementwise vectors between them (1 where no diag stands).
    """
    out = []
    for term in distribute(expr):
        if term == 0:
            continue
        coeff, nc = factors(term)
        skeleton, slots = [], [coeff]
        for f in nc:
            if isinstance(f, diag):
                slots[-1] = slots[-1] * f.args[0]
            elif f == IDENTITY:
                continue
            elif isinstance(f, sp.Pow) and f.exp.is_Integer and f.exp > 0:
                for _ in range(int(f.exp)):
                    skeleton.append(f.base)
                    slots.append(sp.S.One)
            else:
                skeleton.append(f)
                slots.append(sp.S.One)
        out.append((tuple(skeleton), tuple(slots)))
    return out


def from_terms(items) -> sp.Expr:
    total = sp.S.Zero
    for skeleton, slots in items:
        parts = [diag(slots[0])]
        for m, s in zip(skeleton, slots[1:]):
            parts += [m, diag(s)]
        total += sp.Mul(*[p for p in parts if p != IDENTITY]) if len(parts) > 1 else parts[0]
    return total


def collect(expr: sp.Expr) -> sp.Expr:
    """Merge diag factors and collect terms with the same matrices: sum of diag(v) M."""
    groups: dict[tuple, list] = {}
    for skeleton, slots in terms(expr):
        groups.setdefault((skeleton, slots[1:]), []).append(slots[0])
    leads = {key: vs[0] if len(vs) == 1 else _shortest(sp.Add(*vs)) for key, vs in groups.items()}
    items = [(sk, (lead,) + rest) for (sk, rest), lead in leads.items() if lead != 0]
    items.sort(key=lambda it: [str(m) for m in it[0]])
    return from_terms(items)


def _shortest(total: sp.Expr) -> sp.Expr:
    """``total`` factored, unless factoring makes it longer."""
    return min((sp.factor_terms(total), sp.factor(total), total), key=sp.count_ops)


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


def evaluate_primes(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, Prime), lambda e: e.doit())


# ----------------------------------------------------------------------------- numbers
_NUMPY = NUMPY_FUNCTIONS


def numeric(expr: sp.Basic, env: dict, kinds: dict, memo: dict | None = None):
    """Value of a vector-form expression at ``env`` (identifier -> ndarray); Jacobian atoms by
    complex-step differentiation, so the value is exact to rounding."""
    memo = {} if memo is None else memo
    if expr not in memo:
        memo[expr] = _numeric(expr, env, kinds, memo)
    return memo[expr]


def _numeric(expr: sp.Basic, env: dict, kinds: dict, memo: dict):
    def numeric(e, env, kinds):  # noqa: F811 - the memoized walk of this call
        return globals()["numeric"](e, env, kinds, memo)
    if isinstance(expr, sp.Symbol):
        if expr == IDENTITY:
            return np.eye(hidden_size(env, kinds))
        return env[expr.name]
    if isinstance(expr, diag):
        inner = numeric(expr.args[0], env, kinds)
        return np.diag(inner) if np.ndim(inner) == 1 else inner * np.eye(hidden_size(env, kinds))
    if expr.is_number:
        return complex(expr) if not expr.is_real else float(expr)
    if isinstance(expr, (sp.UnevaluatedExpr, Grouped)):
        return numeric(expr.args[0], env, kinds)
    if isinstance(expr, sp.Add):
        return sum(numeric(a, env, kinds) for a in expr.args)
    if isinstance(expr, sp.Mul):
        coeff, nc = expr.args_cnc()
        mv = split_matvec(sp.Mul(*coeff), kinds)
        if mv:  # coefficient * M * v, a matrix-vector product
            value = numeric(mv[0], env, kinds) * (env[mv[1].name] @ numeric(mv[2], env, kinds))
        else:
            value = 1.0
            for f in coeff:
                value = value * numeric(f, env, kinds)
        for f in nc:
            m = numeric(f, env, kinds)
            value = value @ m if np.ndim(value) == 2 else (np.diag(value) @ m if np.ndim(value) == 1 else value * m)
        return value
    if isinstance(expr, sp.Pow):
        base = numeric(expr.base, env, kinds)
        if not expr.base.is_commutative and expr.exp.is_Integer and expr.exp > 0 and np.ndim(base) == 2:
            return np.linalg.matrix_power(base, int(expr.exp))  # U U = U², the matrix power
        return base ** numeric(expr.exp, env, kinds)
    if isinstance(expr, Prime):
        return numeric(expr.doit(), env, kinds)
    if isinstance(expr, Jacobian):
        return complex_step(expr.args[0], expr.args[1].name, env, kinds)
    if isinstance(expr, sp.Function) and expr.func.__name__ in _NUMPY:
        return _NUMPY[expr.func.__name__](numeric(expr.args[0], env, kinds))
    raise TypeError(f"cannot evaluate {expr.func.__name__} numerically")


def hidden_size(env: dict, kinds: dict) -> int:
    """n, read from the first vector of hidden size in ``env``."""
    return next(np.shape(v)[0] for k, v in env.items()
                if kinds.get(k, ("vector", "n"))[1:] == ("n",) and np.ndim(v) == 1)


def complex_step(expr: sp.Basic, wrt: str, env: dict, kinds: dict, h: float = 1e-30):
    """∂expr/∂wrt by the complex-step method: Im f(x + i h e_j) / h, column by column."""
    x = np.asarray(env[wrt], dtype=complex)
    cols = []
    for j in range(x.shape[0]):
        shifted = x.copy()
        shifted[j] += 1j * h
        value = numeric(expr, {**env, wrt: shifted}, kinds)
        cols.append(np.broadcast_to(np.imag(value) / h, (x.shape[0],)) if np.ndim(value) == 0 else np.imag(value) / h)
    return np.stack(cols, axis=1)


def random_env(names, kinds: dict, n: int, m: int, rng) -> dict:
    """Random values for ``names`` at hidden size n and input size m."""
    size = {"n": n, "m": m}
    env = {}
    for name in names:
        kind = kinds.get(name, ("vector", "n"))
        shape = tuple(size[d] for d in kind[1:])
        env[name] = rng.uniform(-1.0, 1.0, shape)
    return env
