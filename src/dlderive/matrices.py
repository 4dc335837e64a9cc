"""Matrix algebra with shapes: vectors and matrices as SymPy matrix expressions, and their prover.

Products are ``MatMul`` (order kept, never commuted: U U is not U²'s elementwise square),
transposes ``Transpose``, elementwise products ``HadamardProduct``, ``diag(v)`` is ``DiagMatrix``
and elementwise functions are ``ElementwiseApplyFunction``.  Vectors are columns (n x 1).  Layout:
a Jacobian ∂y/∂x is dim(y) x dim(x); the gradient ∂L/∂W of a scalar L has W's shape.

API: ``vector``, ``matrix``, ``dims``; ``T``, ``mm``, ``hadamard``, ``diag``, ``outer``,
``apply``; ``shape_of`` (a one-line error naming the shapes when they do not agree);
``numeric`` (the value at NumPy arrays); ``random_values``; ``prove(lhs, rhs)`` (symbolically
where SymPy's canonical form decides it, and always on random matrices of consistent shapes at
several sizes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from .errors import DlderiveError, ProofError
from .functions import NUMPY_FUNCTIONS

class Grouped(sp.Function):
    """(M v) kept whole as one factor of an elementwise product in a cell's equation:
    r ∘ (U h), which is not U (r ∘ h).  Its value is its argument."""

    nargs = 1
    _imp_ = staticmethod(lambda v: v)  # lambdify: the identity

    def fdiff(self, argindex=1):
        return sp.S.One

    def _eval_derivative(self, x):
        return self.args[0].diff(x)


def ungrouped(e: sp.Basic) -> sp.Basic:
    """``e`` with every Grouped(v) replaced by v."""
    return e.replace(lambda a: isinstance(a, Grouped), lambda a: a.args[0]) if e.has(Grouped) else e


SIZES = ((1, 1, 1), (2, 3, 4), (3, 2, 1), (4, 4, 2))  # values of the dimensions (in name order) checked


def dims(*names: str) -> tuple[sp.Symbol, ...]:
    """Symbolic sizes (positive integers): ``n, m = dims("n", "m")``."""
    return tuple(sp.Symbol(name, integer=True, positive=True) for name in names)


def vector(name: str, size) -> sp.MatrixSymbol:
    """A column vector of ``size`` (an int or a symbolic dimension)."""
    return sp.MatrixSymbol(name, size, 1)


def matrix(name: str, rows, cols) -> sp.MatrixSymbol:
    return sp.MatrixSymbol(name, rows, cols)


def T(e: sp.MatrixExpr) -> sp.MatrixExpr:
    """e^⊤."""
    return sp.Transpose(e)


def mm(*factors) -> sp.MatrixExpr:
    """The matrix product of ``factors`` in their order; a mismatch of shapes is a DlderiveError."""
    for a, b in zip(factors, factors[1:]):
        if getattr(a, "shape", None) and getattr(b, "shape", None) and _differ(a.shape[1], b.shape[0]):
            _mismatch("product", factors)
    return sp.MatMul(*factors)


def hadamard(*factors) -> sp.MatrixExpr:
    """a ∘ b ∘ ...: the elementwise product (same shapes), nested products flattened."""
    factors = tuple(a for f in factors for a in (f.args if isinstance(f, sp.HadamardProduct) else (f,)))
    if any(_differ(a, b) for f in factors[1:] for a, b in zip(f.shape, factors[0].shape)):
        _mismatch("elementwise product", factors)
    return sp.HadamardProduct(*factors) if len(factors) > 1 else factors[0]


def diag(v: sp.MatrixExpr) -> sp.MatrixExpr:
    """diag(v): the square matrix with the vector v on its diagonal."""
    return DiagMatrix(v)


def outer(a: sp.MatrixExpr, b: sp.MatrixExpr) -> sp.MatrixExpr:
    """a b^⊤."""
    return mm(a, T(b))


def apply(function: Callable, e: sp.MatrixExpr) -> sp.MatrixExpr:
    """f applied elementwise (f a SymPy function class such as sigmoid or tanh)."""
    x = sp.Dummy("x", real=True)
    return ElementwiseApplyFunction(sp.Lambda(x, function(x)), e)


def _differ(a, b) -> bool:
    return a != b and sp.simplify(a - b) != 0


def _mismatch(what: str, factors) -> None:
    shapes = ", ".join(f"{f} is {shape_text(f)}" for f in factors)
    raise DlderiveError(f"shapes do not agree in the {what}: {shapes}")


def shape_text(e) -> str:
    r, c = e.shape
    return f"{r} x {c}"


def shape_of(e: sp.MatrixExpr) -> tuple:
    """The shape of ``e``, after checking every product and elementwise product inside it."""
    for sub in sp.preorder_traversal(e):
        if isinstance(sub, sp.MatMul):
            mm(*[a for a in sub.args if hasattr(a, "shape")])
        elif isinstance(sub, sp.HadamardProduct):
            hadamard(*sub.args)
    return e.shape


# ----------------------------------------------------------------------------- numbers
def numeric(e: sp.Basic, env: dict, sizes: dict | None = None):
    """The value of a matrix (or scalar) expression at ``env`` (symbol name -> ndarray or float);
    vectors are 2-d columns, sizes symbolic in ``e`` read from ``sizes`` (name -> int)."""
    return _Numeric(env, sizes or {}).value(e)


class _Numeric:
    def __init__(self, env, sizes):
        self.env, self.sizes, self.memo = env, sizes, {}

    def value(self, e):
        if e not in self.memo:
            self.memo[e] = self._value(e)
        return self.memo[e]

    def _size(self, d):
        return int(d.xreplace({s: self.sizes[s.name] for s in getattr(d, "free_symbols", ()) if s.name in self.sizes}))

    def _value(self, e):
        v = self.value
        if isinstance(e, sp.MatrixSymbol):
            return np.asarray(self.env[e.name]).reshape(self._size(e.shape[0]), self._size(e.shape[1]))
        if isinstance(e, sp.Identity):
            return np.eye(self._size(e.shape[0]))
        if isinstance(e, sp.ZeroMatrix):
            return np.zeros((self._size(e.shape[0]), self._size(e.shape[1])))
        if isinstance(e, sp.OneMatrix):
            return np.ones((self._size(e.shape[0]), self._size(e.shape[1])))
        if isinstance(e, sp.MatMul):
            out = 1.0
            for a in e.args:
                x = v(a)
                out = out @ x if np.ndim(out) == 2 and np.ndim(x) == 2 else out * x
            return out
        if isinstance(e, (sp.MatAdd, sp.Add)):
            return sum(v(a) for a in e.args)
        if isinstance(e, sp.HadamardProduct):
            out = v(e.args[0])
            for a in e.args[1:]:
                out = out * v(a)
            return out
        if isinstance(e, sp.HadamardPower):
            return v(e.base) ** v(e.exp)
        if isinstance(e, sp.Transpose):
            return v(e.arg).T
        if isinstance(e, DiagMatrix):
            return np.diag(np.ravel(v(e.args[0])))
        if isinstance(e, sp.MatPow):
            return np.linalg.matrix_power(v(e.base), int(e.exp))
        if isinstance(e, ElementwiseApplyFunction):
            x = v(e.expr)
            lam = e.function
            return _scalar_function(lam.expr, lam.variables[0])(x)
        if isinstance(e, sp.Trace):
            return np.trace(v(e.arg))
        if isinstance(e, sp.Mul):
            out = 1.0
            for a in e.args:
                out = out * v(a)
            return out
        if isinstance(e, sp.Pow):
            return v(e.base) ** v(e.exp)
        if isinstance(e, sp.Symbol):
            return self.env[e.name]
        if e.is_number:
            return float(e)
        if isinstance(e, Grouped):
            return v(e.args[0])
        if isinstance(e, sp.Function) and e.func.__name__ in NUMPY_FUNCTIONS:
            return NUMPY_FUNCTIONS[e.func.__name__](v(e.args[0]))
        raise TypeError(f"cannot evaluate {type(e).__name__} numerically")


def _scalar_function(body: sp.Expr, x: sp.Symbol):
    def run(values):
        return _Numeric({"_x": values}, {}).value(body.xreplace({x: sp.Symbol("_x")}))
    return run


def random_values(expr_symbols, sizes: dict, rng) -> dict:
    """Random values in [-1, 1] for the matrix symbols, at ``sizes`` (dimension name -> int)."""
    out = {}
    for s in expr_symbols:
        if isinstance(s, sp.MatrixSymbol):
            shape = tuple(int(d.xreplace({k: sizes[k.name] for k in getattr(d, "free_symbols", ())
                                          if k.name in sizes})) for d in s.shape)
            out[s.name] = rng.uniform(-1.0, 1.0, shape)
        else:
            out[s.name] = float(rng.uniform(-1.0, 1.0))
    return out


# ----------------------------------------------------------------------------- proofs
@dataclass(frozen=True)
class Proof:
    """How an identity was proven: ``symbolic`` if SymPy's canonical form of lhs - rhs is zero;
    always checked at the random ``sizes``."""

    symbolic: bool
    sizes: tuple

    def __str__(self) -> str:
        checked = "; ".join(", ".join(f"{k}={v}" for k, v in s.items()) for s in self.sizes)
        head = "proven symbolically (canonical matrix form); " if self.symbolic else ""
        return f"{head}equal on random matrices of consistent shapes at sizes {checked}"


def _matrix_symbols(e) -> set:
    return {a for a in sp.preorder_traversal(e) if isinstance(a, sp.MatrixSymbol)} | \
        {a for a in getattr(e, "free_symbols", set()) if isinstance(a, sp.Symbol) and not isinstance(a, sp.MatrixSymbol)
         and not (a.is_integer and a.is_positive)}


def symbolically_zero(difference) -> bool:
    try:
        d = sp.expand(difference.doit())
        return d == 0 or isinstance(d, sp.ZeroMatrix) or d.is_zero_matrix is True
    except Exception:  # SymPy gives up on some matrix expressions: the numeric check decides
        return False


def prove(lhs, rhs, sizes=None, seed: int = 0, points: int = 2, tolerance: float = 1e-10) -> Proof:
    """Prove lhs = rhs: the shapes agree, symbolically where SymPy decides it, and on random values
    at several sizes (``sizes``: dicts dimension name -> int; default n, m over ``SIZES``).
    Raises ProofError when the two sides differ anywhere, with the size where they do."""
    if getattr(lhs, "shape", None) != getattr(rhs, "shape", None) and hasattr(lhs, "shape") and hasattr(rhs, "shape"):
        raise ProofError(f"shapes differ: {lhs} is {shape_text(lhs)}, {rhs} is {shape_text(rhs)}")
    dimension_names = sorted({s.name for side in (lhs, rhs) for d in getattr(side, "shape", ())
                              for s in getattr(d, "free_symbols", ())}
                             | {s.name for side in (lhs, rhs) for a in sp.preorder_traversal(side)
                                if isinstance(a, sp.MatrixSymbol) for d in a.shape for s in getattr(d, "free_symbols", ())})
    if sizes is None:
        sizes = [{d: values[i % len(values)] + i // len(values) for i, d in enumerate(dimension_names)}
                 for values in SIZES]
    symbols = _matrix_symbols(lhs) | _matrix_symbols(rhs)
    rng = np.random.default_rng(seed)
    for size in sizes:
        for _ in range(points):
            env = random_values(symbols, size, rng)
            a, b = np.asarray(numeric(lhs, env, size), float), np.asarray(numeric(rhs, env, size), float)
            scale = max(1.0, float(np.max(np.abs(a), initial=0)), float(np.max(np.abs(b), initial=0)))
            if a.shape != b.shape or np.max(np.abs(a - b), initial=0) > tolerance * scale:
                raise ProofError(f"not an identity: {lhs} = {rhs} fails at sizes {size}")
    return Proof(symbolically_zero(lhs - rhs), tuple(sizes))
