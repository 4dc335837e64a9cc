"""Safe arithmetic while reading, and operators written before their operands (d/dx, Σ, f').

Numbers too large to compute are refused; an operator waiting for its operand (``Pending``) takes the
whole product that follows it; ``a(b + c)`` read as a product keeps a power on the group."""
from __future__ import annotations

import mpmath
import sympy as sp

from ..errors import DlderiveError

MAX_BITS = 14_000  # size of an exact number the reader agrees to compute (Python prints ints up to 4300 digits)
MAX_EXPONENT = 1_000  # largest integer exponent on a symbolic base


class ReadError(DlderiveError):
    """LaTeX that the grammar cannot read; ``offset`` is the character index in the block."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.offset = offset


class TooLarge(DlderiveError):
    """A number or power too large to compute safely."""


class Pending:
    """An operator written before its operand, waiting for the product that follows it:
    ``kind`` is "d" (d/dv or ∂/∂v), "sum" or "prod", "prime" (f' before its argument)."""

    def __init__(self, kind: str, data, coeff=sp.S.One, body=None):
        self.kind, self.data, self.coeff, self.body = kind, data, coeff, body

    def times(self, factor) -> "Pending":
        if self.kind == "prime" and self.body is None:
            return Pending(self.kind, self.data, self.coeff, factor)
        if isinstance(self.body, Pending) and self.body.kind != "prime":  # Σ_i Σ_j a_ij: the inner sum takes it
            return Pending(self.kind, self.data, self.coeff, self.body.times(factor))
        body = factor if self.body is None else _mul(self.body, factor)
        return Pending(self.kind, self.data, self.coeff, body)

    def scaled(self, c) -> "Pending":
        return Pending(self.kind, self.data, _mul(c, self.coeff), self.body)




class Juxtaposed:
    """``a(b + c)`` read as a product: a power written after it applies to the group alone."""

    def __init__(self, head, group):
        self.head, self.group = head, group

    def value(self):
        return _mul(self.head, self.group)


def _unjuxtapose(x):
    return x.value() if isinstance(x, Juxtaposed) else x


def finish(x):
    """A Pending operator applied to what it collected; anything else as it is."""
    x = _unjuxtapose(x)
    if not isinstance(x, Pending):
        return x
    if x.body is None:
        if x.kind == "prime" and x.data[1] is not None:
            return _mul(x.coeff, x.data[1])  # u' written alone
        raise DlderiveError(_NO_OPERAND[x.kind](x))
    body = finish(x.body)
    _require_expr(body)
    if x.kind == "d":
        var, order = x.data
        return _mul(x.coeff, sp.Derivative(body, *([var] * order)))
    if x.kind == "prime":
        return _mul(x.coeff, x.data[0](body))
    index, lower, upper = x.data
    cls = sp.Sum if x.kind == "sum" else sp.Product
    lo = lower if lower is not None else sp.Symbol(f"{index.name}_first", integer=True)
    hi = upper if upper is not None else sp.Symbol(f"{index.name}_last", integer=True)
    return _mul(x.coeff, cls(body, (index, lo, hi)))  # a sum of a sum: one Sum over two indices


_NO_OPERAND = {
    "d": lambda p: f"d/d{p.data[0]} is not followed by the expression it differentiates",
    "sum": lambda p: "a sum sign is not followed by what it sums",
    "prod": lambda p: "a product sign is not followed by what it multiplies",
    "prime": lambda p: "a derivative f' is not applied to anything",
}


def safe_pow(base, exponent):
    """base**exponent, refused when the exact result would be huge."""
    _require_expr(base, exponent)
    written_matrices("^", base, exponent)
    if exponent.is_Integer and abs(int(exponent)) > MAX_EXPONENT and not base.is_Number:
        if base.free_symbols:
            raise TooLarge(f"exponent {exponent} is too large (limit {MAX_EXPONENT})")
    if base.is_Rational and exponent.is_Rational:
        size = max(abs(base.p), abs(base.q), 2).bit_length()
        if abs(exponent.p) > MAX_BITS or size * abs(int(exponent.p)) > MAX_BITS:
            raise TooLarge(f"the number {base}^{exponent} is too large to compute (over {MAX_BITS} bits)")
    if base.is_Rational and exponent.is_Number and not exponent.is_Rational:
        raise TooLarge("non-rational exponents of numbers are not evaluated")
    if base.is_number and exponent.is_number and not deferred(base, exponent):
        _refuse_huge_power(base, exponent)
    if base == sp.E:
        return sp.exp(exponent)
    return sp.Pow(base, exponent)


_DEFERRED = (sp.Sum, sp.Product, sp.Integral, sp.Limit, sp.Derivative)


def deferred(*exprs) -> bool:
    """Numbers written with a sum, product, integral, limit or derivative: reading never evaluates them
    (estimating one may take as long as computing it); the checker does, within its time limit."""
    return any(isinstance(e, sp.Basic) and e.has(*_DEFERRED) for e in exprs)


MAX_LOG_MAGNITUDE = 10_000  # a power of numbers is read only if its natural logarithm is below this, by estimate


def _refuse_huge_power(base, exponent) -> None:
    """base^exponent of numbers whose size, estimated in 15 digits before anything is computed, is absurd."""
    try:
        with mpmath.workdps(15):
            b = abs(complex(sp.N(base, 15))) if base != sp.E else mpmath.e
            x = complex(sp.N(exponent, 15))
        size = abs(x.real) * abs(float(mpmath.log(b))) if b not in (0, 1) else 0.0
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        raise TooLarge("a power of numbers too large to estimate") from None
    if size > MAX_LOG_MAGNITUDE:
        raise TooLarge(f"a power of numbers of about 10^{size / 2.302585:.3g} is not evaluated")


def extremum(name: str, args):
    """max or min of numbers or expressions; values SymPy cannot order (0/0, 1/0, i) are refused by name."""
    try:
        return (sp.Max if name == "max" else sp.Min)(*args, evaluate=not deferred(*args))
    except (TypeError, ValueError):
        shown = ", ".join(str(a) for a in args)
        raise DlderiveError(f"{name}({shown[:60]}) of values that cannot be ordered") from None


def _mul(a, b):
    _require_expr(a, b)
    written_matrices("*", a, b)
    _check_size(a, b)
    return a * b


def written_matrices(op: str, a, b) -> None:
    """Refuse arithmetic with a written matrix that has no scalar meaning: a matrix plus a number, sums and
    products of matrices whose shapes do not fit, a division by a matrix or a power of one."""
    ma, mb = isinstance(a, sp.MatrixBase), isinstance(b, sp.MatrixBase)
    if not (ma or mb):
        return
    if op in "+-" and ma != mb:
        raise DlderiveError("a written matrix and a number in one sum")
    if op in "+-" and a.shape != b.shape:
        raise DlderiveError(f"written matrices of shapes {a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]} "
                            "in one sum")
    if op == "*" and ma and mb and a.shape[1] != b.shape[0]:
        raise DlderiveError(f"a product of written matrices of shapes {a.shape[0]}x{a.shape[1]} and "
                            f"{b.shape[0]}x{b.shape[1]}")
    if op == "/" and mb:
        raise DlderiveError("a division by a written matrix")
    if op == "^":
        raise DlderiveError("a power of a written matrix, or a written matrix as an exponent")


def _tuple_op(a, b, op):
    """Arithmetic on vectors written as tuples: a number times a tuple, tuple ± tuple of one length."""
    if isinstance(a, sp.Tuple) and isinstance(b, sp.Tuple):
        if op is _mul or len(a) != len(b):
            raise DlderiveError("a product of two tuples, or a sum of tuples of different lengths")
        return sp.Tuple(*[op(x, y) for x, y in zip(a, b)])
    if op is _mul:
        t, c = (a, b) if isinstance(a, sp.Tuple) else (b, a)
        return sp.Tuple(*[_mul(c, x) for x in t])
    raise DlderiveError("a tuple such as (5,5) cannot take part in arithmetic with a number")


def safe_mul(a, b):
    """a·b, where an operator written before its operand takes b into what it applies to."""
    if (isinstance(a, sp.Tuple) or isinstance(b, sp.Tuple)) and not isinstance(a, Pending) and not isinstance(b, Pending):
        return _tuple_op(a, b, _mul)
    a, b = _unjuxtapose(a), _unjuxtapose(b)
    if isinstance(a, Pending):
        if a.kind == "prime" and a.body is not None:
            if isinstance(b, Pending):
                return b.scaled(finish(a)) if b.body is None else _mul(finish(a), finish(b))
            return _mul(finish(a), finish(b))
        return a.times(finish(b) if not isinstance(b, Pending) else b)
    if isinstance(b, Pending):
        return b.scaled(a) if b.body is None else _mul(a, finish(b))
    return _mul(a, b)


def _check_size(*numbers):
    bits = sum(max(abs(n.p), abs(n.q)).bit_length() for n in numbers if isinstance(n, sp.Rational))
    if bits > MAX_BITS:
        raise TooLarge(f"a product of numbers over {MAX_BITS} bits")


def _require_expr(*items):
    for x in items:
        if isinstance(x, Pending):
            raise DlderiveError(_NO_OPERAND[x.kind](x))
        if isinstance(x, sp.Tuple):
            raise DlderiveError("a tuple such as (5,5) cannot take part in arithmetic")
        if isinstance(x, sp.Set):
            raise DlderiveError(f"the set {x} cannot take part in arithmetic")
