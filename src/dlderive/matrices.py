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
from .functions import NUMPY_FUNCTIONS, Prime

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


ARGUMENT = sp.Symbol("x_", real=True)
"""The bound variable of every elementwise function: one symbol, so that σ applied to v twice is one expression."""


def apply(function: Callable, e: sp.MatrixExpr) -> sp.MatrixExpr:
    """f applied elementwise (f a SymPy function class such as sigmoid or tanh)."""
    return ElementwiseApplyFunction(sp.Lambda(ARGUMENT, function(ARGUMENT)), e)


def applied(e: sp.Basic):
    """(f, v) if ``e`` is f applied elementwise to v with f a one-argument function class, else None."""
    if isinstance(e, ElementwiseApplyFunction):
        body, (x,) = e.function.expr, e.function.variables
        if isinstance(body, sp.Function) and body.args == (x,):
            return body.func, e.expr
    return None


class MatrixPartial(sp.MatrixExpr):
    """∂f/∂x with a matrix shape: the gradient of a scalar f (x's shape), or the Jacobian of a
    column f by a column x (dim f x dim x); kept opaque until a prover realizes it."""

    def __new__(cls, f, x):
        return sp.Basic.__new__(cls, sp.sympify(f), x)

    @property
    def shape(self):
        f, x = self.args
        if getattr(f, "shape", (1, 1)) == (1, 1):
            return x.shape
        return (f.shape[0], x.shape[0])

    def doit(self, **hints):
        return self

    def _entry(self, i, j, **kwargs):
        raise TypeError("an opaque derivative has no entries")


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
        if isinstance(e, sp.BlockMatrix):
            return np.block([[v(b) for b in row] for row in e.blocks.tolist()])
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
        if isinstance(e, sp.Mul):  # non-commutative factors (stacked Jacobians) multiply as matrices
            out = 1.0
            for a in e.args:
                x = v(a)
                out = out @ x if not a.is_commutative and np.ndim(out) == 2 and np.ndim(x) == 2 else out * x
            return out
        if isinstance(e, sp.Pow):
            return v(e.base) ** v(e.exp)
        if isinstance(e, sp.Symbol):
            return self.env[e.name]
        if e.is_number:
            return float(e)
        if isinstance(e, Grouped):
            return v(e.args[0])
        if isinstance(e, Prime):
            return v(e.doit())
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
        head = "equal symbolically (canonical matrix form); " if self.symbolic else ""
        return f"{head}equal on random matrices of consistent shapes at sizes {checked}"


def _matrix_symbols(e) -> set:
    return {a for a in sp.preorder_traversal(e) if isinstance(a, sp.MatrixSymbol)} | \
        {a for a in getattr(e, "free_symbols", set()) if isinstance(a, sp.Symbol) and not isinstance(a, sp.MatrixSymbol)
         and not (a.is_integer and a.is_positive)}


SYMBOLIC_LIMIT = 300
"""Nodes up to which SymPy's canonical form of a difference is attempted (it grows fast beyond)."""


def symbolically_equal(lhs, rhs) -> bool:
    """True if lhs and rhs are the same expression, or SymPy's canonical form of lhs - rhs is zero
    (tried only on small expressions)."""
    if lhs == rhs:
        return True
    if sum(1 for _ in sp.preorder_traversal(lhs)) + sum(1 for _ in sp.preorder_traversal(rhs)) > SYMBOLIC_LIMIT:
        return False
    return symbolically_zero(lhs - rhs)


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
    return Proof(symbolically_equal(lhs, rhs), tuple(sizes))


# ----------------------------------------------------------------------------- elementwise algebra
def is_vector(e) -> bool:
    return getattr(e, "shape", (0, 0))[1] == 1


def from_elementwise(e: sp.Basic, sym: Callable[[str], sp.MatrixExpr], shape: tuple | None = None) -> sp.Basic:
    """The matrix expression of a commutative expression of same-shape vectors (a cell's equation):
    products elementwise (∘), f(v) elementwise, a number c in a sum the vector c 𝟏 of the sum's shape;
    a symbol that ``sym`` makes a matrix (more than one column) times one vector is their matrix
    product, in that order.  ``shape``: the shape of a bare number."""
    if isinstance(e, sp.MatrixExpr):
        return e
    go = lambda a, shp=shape: from_elementwise(a, sym, shp)  # noqa: E731
    if isinstance(e, sp.Symbol):
        return sym(e.name)
    if e.is_number:
        if shape is None:
            raise DlderiveError(f"the number {e} has no shape here")
        return sp.OneMatrix(*shape) if e == 1 else sp.MatMul(e, sp.OneMatrix(*shape))
    if isinstance(e, sp.Add):
        parts = [go(a) for a in e.args if not a.is_number]
        here = parts[0].shape
        return sp.MatAdd(*[go(a, here) if a.is_number else p for a, p in
                           zip(e.args, _interleave(e.args, parts))], evaluate=True)  # SymPy's order of terms
    if isinstance(e, sp.Mul):
        coeff, rest = e.as_coeff_Mul()
        factors = sp.Mul.make_args(rest)
        mats = [a for a in factors if isinstance(a, sp.Symbol) and not is_vector(sym(a.name))]
        if mats:
            (m,) = mats
            vec = sp.Mul(*[a for a in factors if a is not m])
            out = mm(sym(m.name), go(vec, (sym(m.name).shape[1], 1)))
        else:
            out = hadamard(*[go(a) for a in factors])
        return out if coeff == 1 else sp.MatMul(coeff, out)
    if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp > 0:
        return sp.HadamardPower(go(e.base), e.exp)
    if isinstance(e, Grouped):
        return go(e.args[0])
    if isinstance(e, sp.Function) and e.args and all(a.is_number for a in e.args[1:]):
        rest = e.args[1:]  # Heaviside(x, 1/2): the value at 0 goes with the function
        return ElementwiseApplyFunction(sp.Lambda(ARGUMENT, e.func(ARGUMENT, *rest)), go(e.args[0]))
    raise DlderiveError(f"no matrix form for {e}")


def _interleave(args, parts):
    """``parts`` (the converted non-number args) aligned with ``args`` (None at numbers)."""
    it = iter(parts)
    return [None if a.is_number else next(it) for a in args]


def to_elementwise(e: sp.Basic, opaque: dict | None = None) -> sp.Basic:
    """The commutative expression of an elementwise matrix expression (∘ a product, f(v) elementwise,
    𝟏 the number 1): the inverse of ``from_elementwise``.  A vector symbol becomes the real symbol of
    its name; any other part (a matrix product, a Jacobian) becomes an opaque Dummy recorded in
    ``opaque`` (Dummy -> the part), so elementwise algebra cannot move a factor across it."""
    opaque = {} if opaque is None else opaque
    go = lambda a: to_elementwise(a, opaque)  # noqa: E731
    if isinstance(e, sp.MatrixSymbol) and is_vector(e):
        return sp.Symbol(e.name, real=True)
    if isinstance(e, sp.OneMatrix):
        return sp.S.One
    if isinstance(e, sp.ZeroMatrix):
        return sp.S.Zero
    if not isinstance(e, sp.MatrixExpr):
        return e
    if isinstance(e, sp.MatAdd):
        return sp.Add(*[go(a) for a in e.args])
    if isinstance(e, sp.HadamardProduct):
        return sp.Mul(*[go(a) for a in e.args])
    if isinstance(e, sp.HadamardPower):
        return go(e.base) ** e.exp
    if isinstance(e, sp.MatMul) and all(not isinstance(a, sp.MatrixExpr) for a in e.args[:-1]) and is_vector(e.args[-1]):
        return sp.Mul(*e.args[:-1]) * go(e.args[-1])
    f = applied(e)
    if f is not None:
        return f[0](go(f[1]))
    for dummy, part in opaque.items():
        if part == e:
            return dummy
    dummy = sp.Dummy(f"{OPAQUE}{len(opaque)}", real=True)
    opaque[dummy] = e
    return dummy


OPAQUE = "\u2400"
"""The start of the names of opaque parts in an elementwise reading (no identifier starts so)."""

_ELEMENTWISE = (sp.MatAdd, sp.HadamardProduct, sp.HadamardPower, ElementwiseApplyFunction, sp.MatMul)


def canonical(e: sp.Basic, sym: Callable[[str], sp.MatrixExpr]) -> sp.Basic:
    """``e`` with every elementwise vector expression in SymPy's canonical commutative order (∘ is
    commutative and associative; a matrix product stays one factor, its own vector canonical too)."""
    if not isinstance(e, sp.MatrixExpr) or not e.args or isinstance(e, sp.MatrixSymbol):
        return e
    if is_vector(e) and isinstance(e, _ELEMENTWISE) and not (isinstance(e, sp.MatMul) and _has_matrix(e)):
        opaque: dict = {}
        flat = to_elementwise(e, opaque)
        return restore(flat, sym, {d: canonical(p, sym) for d, p in opaque.items()}, e.shape)
    return e.func(*[canonical(a, sym) for a in e.args])


def restore(flat: sp.Basic, sym: Callable[[str], sp.MatrixExpr], opaque: dict, shape: tuple) -> sp.Basic:
    """The commutative ``flat`` (from ``to_elementwise``) back as a matrix expression of ``shape``,
    its opaque parts put back."""
    parts = {d.name: p for d, p in opaque.items()}
    return from_elementwise(flat, lambda name: parts[name] if name.startswith(OPAQUE) else sym(name), shape)


def _has_matrix(e) -> bool:
    return any(isinstance(a, sp.MatrixExpr) and not is_vector(a) for a in e.args)


# ----------------------------------------------------------------------------- sums of products
def flat_product(*factors) -> sp.Basic:
    """The product of ``factors`` with nested products flattened, identities dropped, numbers in front,
    zero if a factor is zero."""
    numbers, mats = [], []
    for f in factors:
        for a in (f.args if isinstance(f, sp.MatMul) else (f,)):
            if isinstance(a, sp.MatrixExpr):
                mats.append(a)
            else:
                numbers.append(a)
    coeff = sp.Mul(*numbers)
    shape = (mats[0].shape[0], mats[-1].shape[1]) if mats else None
    if coeff == 0 or any(isinstance(a, sp.ZeroMatrix) for a in mats):
        return sp.ZeroMatrix(*shape) if shape else sp.S.Zero
    kept = [a for a in mats if not isinstance(a, sp.Identity)] or mats[:1]
    out = kept[0] if len(kept) == 1 else sp.MatMul(*kept)
    return out if coeff == 1 else sp.MatMul(coeff, *(kept if len(kept) > 1 else [out]))


def flat_sum(*terms) -> sp.Basic:
    """The sum of ``terms`` with nested sums flattened and zero terms dropped."""
    kept = [a for t in terms for a in (t.args if isinstance(t, sp.MatAdd) else (t,))
            if not (isinstance(a, sp.ZeroMatrix) or a == 0)]
    if not kept:
        shaped = [t for t in terms if hasattr(t, "shape")]
        return sp.ZeroMatrix(*shaped[0].shape) if shaped else sp.S.Zero
    return kept[0] if len(kept) == 1 else sp.MatAdd(*kept)


def tidy(e: sp.Basic) -> sp.Basic:
    """``e`` with products and sums flattened, identities and zeros dropped (bottom up)."""
    if not isinstance(e, sp.MatrixExpr) or not e.args or isinstance(e, (sp.MatrixSymbol, MatrixPartial)):
        return e
    if isinstance(e, sp.MatMul):
        return flat_product(*[tidy(a) for a in e.args])
    if isinstance(e, sp.MatAdd):
        return flat_sum(*[tidy(a) for a in e.args])
    return e


def expanded_terms(e: sp.Basic) -> list[tuple[sp.Expr, list]]:
    """``e`` as a sum of (number, [factors]) with products distributed over sums, factor order kept;
    the factors are what is not a sum or a product (diag(v), matrices, Jacobians)."""
    if isinstance(e, sp.MatAdd):
        return [t for a in e.args for t in expanded_terms(a)]
    if isinstance(e, sp.MatMul):
        out = [(sp.S.One, [])]
        for a in e.args:
            if not isinstance(a, sp.MatrixExpr):
                out = [(c * a, fs) for c, fs in out]
                continue
            out = [(c * c2, fs + fs2) for c, fs in out for c2, fs2 in expanded_terms(a)]
        return out
    if isinstance(e, sp.ZeroMatrix):
        return []
    return [(sp.S.One, [e])]


def diagonal_chains(e: sp.Basic, opaque: dict) -> list[tuple[tuple, tuple]]:
    """``e`` as a list of (skeleton, slots): diag(s0) M1 diag(s1) M2 ... diag(sk), the slots s in
    commutative form (``to_elementwise``, opaque parts recorded in ``opaque``; 1 where no diag
    stands), the skeleton (M1, ..., Mk) the other factors."""
    out = []
    for coeff, fs in expanded_terms(e):
        skeleton, slots = [], [coeff]
        for f in fs:
            if isinstance(f, DiagMatrix):
                slots[-1] = slots[-1] * to_elementwise(f.args[0], opaque)
            elif isinstance(f, sp.Identity):
                continue
            else:
                skeleton.append(f)
                slots.append(sp.S.One)
        out.append((tuple(skeleton), tuple(slots)))
    return out


def from_chains(items, symbols: Callable[[str], sp.MatrixExpr], size, opaque: dict) -> sp.Basic:
    """The matrix expression of a list of (skeleton, slots) (see ``diagonal_chains``)."""
    terms = []
    for skeleton, slots in items:
        parts = []
        for i, s in enumerate(slots):
            if s != 1:
                parts.append(diag(restore(s, symbols, opaque, (size, 1))))
            if i < len(skeleton):
                parts.append(skeleton[i])
        terms.append(flat_product(*parts) if parts else sp.Identity(size))
    return flat_sum(*terms) if terms else sp.ZeroMatrix(size, size)


def collect(e: sp.Basic, symbols: Callable[[str], sp.MatrixExpr], size) -> sp.Basic:
    """diag(a) diag(b) = diag(a ∘ b) merged, terms with the same matrices collected: a sum of
    diag(v) M products, each v factored when that makes it shorter (elementwise algebra, in which
    matrix products stay opaque)."""
    opaque: dict = {}
    groups: dict[tuple, list] = {}
    for skeleton, slots in diagonal_chains(e, opaque):
        groups.setdefault((skeleton, slots[1:]), []).append(slots[0])
    leads = {key: vs[0] if len(vs) == 1 else _shortest(sp.Add(*vs)) for key, vs in groups.items()}
    items = [(sk, (lead,) + rest) for (sk, rest), lead in leads.items() if lead != 0]
    items.sort(key=lambda it: [str(m) for m in it[0]])
    return from_chains(items, symbols, size, opaque)


def _shortest(total: sp.Expr) -> sp.Expr:
    """``total`` factored, unless factoring makes it longer."""
    return min((sp.factor_terms(total), sp.factor(total), total), key=sp.count_ops)


# ----------------------------------------------------------------------------- the scalar reading
def to_scalar(e: sp.Basic) -> sp.Basic:
    """A matrix expression read at size 1: every symbol a real number, products and elementwise
    products the product, diag(v) = v, ∂y/∂x the derivative, 𝟏 and I the number 1."""
    if isinstance(e, sp.MatrixSymbol):
        return sp.Symbol(e.name, real=True)
    if isinstance(e, (sp.OneMatrix, sp.Identity)):
        return sp.S.One
    if isinstance(e, sp.ZeroMatrix):
        return sp.S.Zero
    if isinstance(e, MatrixPartial):
        return sp.Derivative(to_scalar(e.args[0]), to_scalar(e.args[1]))
    if isinstance(e, (sp.MatMul, sp.HadamardProduct)):
        return sp.Mul(*[to_scalar(a) for a in e.args])
    if isinstance(e, sp.MatAdd):
        return sp.Add(*[to_scalar(a) for a in e.args])
    if isinstance(e, sp.HadamardPower):
        return to_scalar(e.base) ** e.exp
    if isinstance(e, (DiagMatrix, sp.Transpose)):
        return to_scalar(e.args[0])
    if isinstance(e, ElementwiseApplyFunction):
        lam = e.function
        return lam.expr.xreplace({lam.variables[0]: to_scalar(e.expr)})
    if isinstance(e, sp.BlockMatrix):
        return sp.ImmutableMatrix(e.blocks.applyfunc(to_scalar))
    if e.args and isinstance(e, sp.Basic) and any(isinstance(a, sp.MatrixExpr) for a in e.args):
        return e.func(*[to_scalar(a) for a in e.args])
    return e
