"""Relations between numbers written as decimals, judged at the precision they are written with.

A decimal with four or more significant digits is taken as rounded: it stands for the interval of one
unit of its last digit on either side (0.5933 for [0.5932, 0.5934]); so is a decimal that is a whole side
of the relation, the result being stated. Shorter decimals inside a computation (0.15, 0.5) are data.
Both sides are evaluated in interval arithmetic (40 digits); the relation holds if the intervals meet."""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

from ..functions import sigmoid, relu, softplus
from ..reader.context import Decimal, diag_of, transpose
from .errors import TooLarge, Undefined, Unverifiable

_DIGITS = 40
ROUNDED = 3  # significant digits from which a decimal inside a computation is taken as rounded


@dataclass(frozen=True)
class Span:
    lo: mpmath.mpf
    hi: mpmath.mpf

    @staticmethod
    def point(v) -> "Span":
        v = mpmath.mpf(v)
        return Span(v, v)

    def __add__(self, o: "Span") -> "Span":
        return Span(self.lo + o.lo, self.hi + o.hi)

    def __mul__(self, o: "Span") -> "Span":
        c = [self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi]
        return Span(min(c), max(c))

    def inverse(self) -> "Span":
        if self.lo <= 0 <= self.hi:
            raise Undefined()
        return Span(1 / self.hi, 1 / self.lo)

    def power(self, n: int) -> "Span":
        if n < 0:
            return self.power(-n).inverse()
        a, b = self.lo ** n, self.hi ** n
        if n % 2 == 0 and self.lo <= 0 <= self.hi:
            return Span(mpmath.mpf(0), max(a, b))
        return Span(min(a, b), max(a, b))

    def monotone(self, f, increasing: bool = True) -> "Span":
        a, b = f(self.lo), f(self.hi)
        return Span(a, b) if increasing else Span(b, a)

    def meets(self, o: "Span", slack=0) -> bool:
        slack = slack + mpmath.mpf(10) ** (6 - _DIGITS) * max(1, abs(self.hi), abs(o.hi))  # 40-digit rounding
        return self.lo - slack <= o.hi and o.lo - slack <= self.hi

    @property
    def mid(self):
        return (self.lo + self.hi) / 2


def has_decimals(*exprs) -> bool:
    return any(isinstance(e, sp.Basic) and e.atoms(Decimal) for e in exprs)


def span(expr: sp.Basic, whole_side: bool = False, units: float = 0.5) -> Span:
    """The interval of values of a numeric expression with its decimals read at their precision:
    ``units`` of the last digit on either side of each rounded decimal."""
    with mpmath.workdps(_DIGITS):
        return _span(expr, whole_side, mpmath.mpf(units))


def _span(e: sp.Basic, whole: bool = False, units=0.5) -> Span:
    if whole and isinstance(e, sp.Mul):
        out = Span.point(1)
        for a in e.args:
            out = out * _span(a, isinstance(a, Decimal), units)
        return out
    if isinstance(e, Decimal):
        v = mpmath.mpf(e.value.p) / e.value.q
        if whole or e.significant >= ROUNDED:
            u = units * mpmath.mpf(e.unit.p) / e.unit.q
            return Span(v - u, v + u)
        return Span(v, v)
    if e.is_Rational:
        return Span.point(mpmath.mpf(e.p) / e.q)
    if e is sp.E:
        return Span.point(mpmath.e)
    if e is sp.pi:
        return Span.point(mpmath.pi)
    if e.is_Float:
        return Span.point(mpmath.mpf(e._mpf_))
    if e.free_symbols - e.atoms(Decimal):
        raise Unverifiable("not a number")
    if isinstance(e, sp.Add):
        out = Span.point(0)
        for a in e.args:
            out = out + _span(a, False, units)
        return out
    if isinstance(e, sp.Mul):
        out = Span.point(1)
        for a in e.args:
            out = out * _span(a, False, units)
        return out
    if isinstance(e, sp.Pow):
        base = _span(e.base, False, units)
        if e.exp.is_Integer:
            if abs(int(e.exp)) > 10_000:
                raise TooLarge("a power too large to evaluate")
            return base.power(int(e.exp))
        x = _span(e.exp, False, units)
        if base.lo <= 0:
            raise Undefined()
        logs = base.monotone(mpmath.log)
        return (logs * x).monotone(_exp)
    if isinstance(e, (transpose, diag_of)):
        return _span(e.args[0], False, units)
    if isinstance(e, sp.exp):
        return _span(e.args[0], False, units).monotone(_exp)
    if isinstance(e, sp.log):
        x = _span(e.args[0], False, units)
        if x.lo <= 0:
            raise Undefined()
        return x.monotone(mpmath.log)
    if isinstance(e, sp.tanh):
        return _span(e.args[0], False, units).monotone(mpmath.tanh)
    if isinstance(e, sigmoid):
        return _span(e.args[0], False, units).monotone(lambda v: 1 / (1 + mpmath.exp(-v)))
    if isinstance(e, softplus):
        return _span(e.args[0], False, units).monotone(lambda v: mpmath.log(1 + mpmath.exp(v)))
    if isinstance(e, relu):
        return _span(e.args[0], False, units).monotone(lambda v: max(v, 0))
    if isinstance(e, (sp.Heaviside, sp.sign)):  # a step: decided only where the whole interval is on one side
        x = _span(e.args[0], False, units)
        if x.lo > 0 or x.hi < 0:
            return Span.point(int(x.lo > 0) if isinstance(e, sp.Heaviside) else (1 if x.lo > 0 else -1))
        raise Unverifiable("a step (the slope of ReLU, max or |·|) at its kink, or within the rounding of its kink")
    if isinstance(e, sp.Abs):
        x = _span(e.args[0], False, units)
        if x.lo >= 0:
            return x
        if x.hi <= 0:
            return Span(-x.hi, -x.lo)
        return Span(mpmath.mpf(0), max(-x.lo, x.hi))
    if isinstance(e, (sp.floor, sp.ceiling)):
        f = mpmath.floor if isinstance(e, sp.floor) else mpmath.ceil
        return _span(e.args[0], False, units).monotone(f)
    if isinstance(e, (sp.Max, sp.Min)):
        parts = [_span(a, False, units) for a in e.args]
        pick = max if isinstance(e, sp.Max) else min
        return Span(pick(p.lo for p in parts), pick(p.hi for p in parts))
    if isinstance(e, (sp.sinh, sp.erf)):
        return _span(e.args[0], False, units).monotone(mpmath.sinh if isinstance(e, sp.sinh) else mpmath.erf)
    if isinstance(e, sp.cosh):
        x = _span(e.args[0], False, units)
        a, b = mpmath.cosh(x.lo), mpmath.cosh(x.hi)
        return Span(mpmath.mpf(1) if x.lo <= 0 <= x.hi else min(a, b), max(a, b))
    if isinstance(e, (sp.sin, sp.cos)):
        x = _span(e.args[0], False, units)
        f = mpmath.sin if isinstance(e, sp.sin) else mpmath.cos
        if x.hi - x.lo > mpmath.mpf("1e-6"):
            raise Unverifiable("a sine or cosine of a rounded number")
        return Span(min(f(x.lo), f(x.hi)), max(f(x.lo), f(x.hi)))
    raise Unverifiable(f"cannot evaluate {type(e).__name__} with rounded numbers")


def _lone(e) -> bool:
    """A side that is one written decimal, its negative, or a decimal times a power of ten (9.5 × 10^{-7}):
    the stated result."""
    if isinstance(e, Decimal):
        return True
    if not isinstance(e, sp.Mul):
        return False
    decimals = [a for a in e.args if isinstance(a, Decimal)]
    rest = [a for a in e.args if not isinstance(a, Decimal)]
    return len(decimals) == 1 and all(_power_of_ten(a) or a == -1 for a in rest)


def _power_of_ten(a) -> bool:
    if not a.is_Rational or a == 0:
        return False
    n = a.p if a.q == 1 else a.q
    return abs(a.p if a.q == 1 else 1) in (1, n) and str(abs(n)).rstrip("0") == "1"


def _exp(v):
    if v > 10_000:
        raise TooLarge("an exponential too large to evaluate")
    return mpmath.exp(v)


def show_span(s: Span) -> str:
    with mpmath.workdps(_DIGITS):
        if s.lo == s.hi:
            return mpmath.nstr(s.lo, 12)
        return mpmath.nstr(s.mid, 12)


def compare(lhs: sp.Basic, rhs: sp.Basic, op: str = "=", units: float = 0.5) -> tuple[bool, str, str]:
    """Whether ``lhs op rhs`` holds at the precision written (each rounded decimal within ``units`` of its
    last digit), and the two sides shown."""
    a = span(lhs, _lone(lhs), units)
    b = span(rhs, _lone(rhs), units)
    with mpmath.workdps(_DIGITS):
        if op in ("=", "≈"):  # ≈ says that a side is rounded: it is judged at the precision written, like =
            ok = a.meets(b)
        elif op in ("<", "<="):
            ok = a.lo < b.hi or (op == "<=" and a.meets(b))
        elif op in (">", ">="):
            ok = a.hi > b.lo or (op == ">=" and a.meets(b))
        else:
            raise Unverifiable(f"the relation {op} is not checked")
    return ok, show_span(a), show_span(b)
