"""Exact and high-precision evaluation at a point, evaluation points, and how values and counterexamples are shown."""
from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Callable

import mpmath
import sympy as sp

from ..functions import Prime, relu, sigmoid
from ..reader.context import diag_of, transpose
from .errors import TooLarge, Undefined, Unverifiable
from .limits import MAX_BITS

Value = Fraction | mpmath.mpf
_MP_FUNCTIONS = {sp.tanh: mpmath.tanh, sp.exp: mpmath.exp, sp.sin: mpmath.sin, sp.cos: mpmath.cos,
                 sp.sinh: mpmath.sinh, sp.cosh: mpmath.cosh,
                 sigmoid: lambda v: 1 / (1 + mpmath.exp(-v))}


def compile_expr(expr: sp.Basic) -> Callable[[dict], Value]:
    """A closure that evaluates ``expr`` at a point exactly (Fraction) or, if it must, to 50 digits."""
    if expr.is_Rational:
        c = Fraction(int(expr.p), int(expr.q))
        return lambda env: c
    if expr.is_Symbol:
        return lambda env: env[expr]
    if expr is sp.E:
        return lambda env: +mpmath.e
    if expr is sp.pi:
        return lambda env: +mpmath.pi
    if expr.is_Float:
        c = mpmath.mpf(expr._mpf_)
        return lambda env: c
    if isinstance(expr, Prime):
        return compile_expr(expr.doit())
    if isinstance(expr, (sp.UnevaluatedExpr, transpose, diag_of)):  # xᵀ, diag(x) are x in the scalar reading
        return compile_expr(expr.args[0])
    if isinstance(expr, sp.Piecewise):
        pieces = [(compile_expr(e), _compile_condition(c)) for e, c in expr.args]
        return lambda env: _piecewise(pieces, env)
    parts = [compile_expr(a) for a in expr.args] if not isinstance(expr, sp.Pow) else None
    if isinstance(expr, sp.Add):
        return lambda env: _checked(sum((f(env) for f in parts), Fraction(0)))
    if isinstance(expr, sp.Mul):
        def product(env):
            out = Fraction(1)
            for f in parts:
                out = _checked(out * f(env))
            return out
        return product
    if isinstance(expr, sp.Pow):
        base, exponent = compile_expr(expr.base), expr.exp
        if exponent.is_Integer:
            n = int(exponent)
            return lambda env: _integer_power(base(env), n)
        power = compile_expr(exponent)
        return lambda env: _real_power(base(env), power(env))
    if isinstance(expr, (sp.floor, sp.ceiling)):
        (f,) = parts
        rounding = math.floor if isinstance(expr, sp.floor) else math.ceil
        return lambda env: Fraction(rounding(_exact(f(env))))
    if isinstance(expr, sp.Abs):
        (f,) = parts
        return lambda env: abs(f(env))
    if isinstance(expr, relu):
        (f,) = parts
        return lambda env: max(Fraction(0), _exact(f(env)))
    if isinstance(expr, sp.Heaviside):  # the step: 0 below 0, 1 above, no value at the kink
        f = parts[0]
        return lambda env: _step(f(env))
    if isinstance(expr, (sp.Max, sp.Min)):
        pick = max if isinstance(expr, sp.Max) else min
        return lambda env: pick(_exact(f(env)) for f in parts)
    if isinstance(expr, sp.Piecewise):
        pieces = [(compile_expr(e), _compile_condition(c)) for e, c in expr.args]
        return lambda env: _piecewise(pieces, env)
    if isinstance(expr, sp.log):
        (f,) = parts[:1]
        return lambda env: _log(f(env))
    if expr.func in _MP_FUNCTIONS:
        (f,) = parts
        g = _MP_FUNCTIONS[expr.func]
        return lambda env: g(mpmath.mpf(_as_mpf(f(env))))
    raise Unverifiable(f"cannot evaluate {type(expr).__name__} numerically")


def _step(v: Value) -> Value:
    if v == 0:
        raise Undefined()
    return Fraction(1) if v > 0 else Fraction(0)


_RELATIONS = {sp.StrictLessThan: lambda a, b: a < b, sp.StrictGreaterThan: lambda a, b: a > b,
              sp.LessThan: lambda a, b: a <= b, sp.GreaterThan: lambda a, b: a >= b, sp.Eq: lambda a, b: a == b,
              sp.Ne: lambda a, b: a != b}


def _compile_condition(c):
    """A condition of a piecewise expression, as a test at a point."""
    if c is sp.true:
        return lambda env: True
    if isinstance(c, sp.And):
        parts = [_compile_condition(a) for a in c.args]
        return lambda env: all(p(env) for p in parts)
    test = _RELATIONS.get(type(c))
    if test is None:
        raise Unverifiable(f"cannot evaluate the condition {c}")
    f, g = compile_expr(c.lhs), compile_expr(c.rhs)
    return lambda env: test(_exact(f(env)), _exact(g(env)))


def _piecewise(pieces, env):
    for value, condition in pieces:
        if condition(env):
            return value(env)
    raise Undefined()


def _checked(v: Value) -> Value:
    if isinstance(v, Fraction) and v.numerator.bit_length() + v.denominator.bit_length() > MAX_BITS:
        raise TooLarge(f"an intermediate number over {MAX_BITS} bits")
    return v


def _as_mpf(v: Value):
    return mpmath.mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else v


def _exact(v: Value):
    """Floor and ceiling work on exact values; a 50-digit value is rounded to a fraction first."""
    if isinstance(v, Fraction):
        return v
    if not mpmath.isfinite(v):
        raise Undefined()
    if abs(v) > mpmath.mpf(10) ** 1000:
        raise TooLarge("a number over 1000 digits is rounded")
    return Fraction(str(mpmath.nstr(v, 45, min_fixed=-math.inf, max_fixed=math.inf)))


def _integer_power(b: Value, n: int) -> Value:
    if b == 0 and n < 0:
        raise Undefined()
    if isinstance(b, Fraction):
        size = max(b.numerator.bit_length(), b.denominator.bit_length(), 1)
        if size * abs(n) > MAX_BITS:
            raise TooLarge(f"a power over {MAX_BITS} bits")
    return b ** n


def _real_power(b: Value, x: Value) -> Value:
    if isinstance(x, Fraction) and x.denominator == 1:
        return _integer_power(b, int(x))
    b, x = _as_mpf(b), _as_mpf(x)
    if b < 0 or (b == 0 and x <= 0):
        raise Undefined()
    return mpmath.power(b, x)


def _log(v: Value):
    if v <= 0:
        raise Undefined()
    return mpmath.log(_as_mpf(v))


def evaluate(f: Callable, env: dict) -> Value:
    """f at env, or raise Undefined."""
    with mpmath.workdps(50):
        try:
            v = f(env)
        except (ZeroDivisionError, ValueError, OverflowError):
            raise Undefined() from None
        if not isinstance(v, Fraction) and not mpmath.isfinite(v):
            raise Undefined()
        return v


def same(a: Value, b: Value) -> bool:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    with mpmath.workdps(50):
        a, b = _as_mpf(a), _as_mpf(b)
        return abs(a - b) <= mpmath.mpf(10) ** -35 * max(1, abs(a), abs(b))


def show(v) -> str:
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    if isinstance(v, mpmath.mpf):
        with mpmath.workdps(50):
            return mpmath.nstr(v, 12)
    return _show_set(v) if isinstance(v, sp.Set) else str(v)


def _points(symbols: list, seed: int, integer: bool = False, both_signs: bool = False):
    """Evaluation points: all ones, distinct small integers, then random small rationals. With ``both_signs``
    (a step, |·| or max is in the expressions: a few points might all fall on one side of a kink) the first
    points are followed by their negatives, and every random point by its negative."""
    first = [{s: Fraction(1) for s in symbols}, {s: Fraction(i + 2) for i, s in enumerate(symbols)}]
    for point in first:
        yield point
        if both_signs:
            yield {s: -v for s, v in point.items()}
    rng = random.Random(seed)
    while True:
        if integer:
            point = {s: Fraction(rng.randint(-30, 30)) for s in symbols}
        else:
            point = {s: Fraction(rng.randint(-12, 12), rng.randint(1, 6)) for s in symbols}
        yield point
        if both_signs:
            yield {s: -v for s, v in point.items()}


def _counterexample(env: dict, lv: Value, rv: Value) -> dict:
    return {"values": {s.name: show(v) for s, v in sorted(env.items(), key=lambda kv: kv[0].name)},
            "lhs": show(lv), "rhs": show(rv)}


def _show_set(region: sp.Set) -> str:
    """{-2, 2}, (2, ∞), [1, 2) ∪ {5}: a set of reals as people write it."""
    bound = lambda v: "∞" if v is sp.oo else "-∞" if v is -sp.oo else str(v)  # noqa: E731
    if isinstance(region, sp.Interval):
        return (f"{'(' if region.left_open else '['}{bound(region.start)}, {bound(region.end)}"
                f"{')' if region.right_open else ']'}")
    if isinstance(region, sp.FiniteSet):
        return "{" + ", ".join(str(v) for v in sorted(region, key=sp.default_sort_key)) + "}"
    if isinstance(region, sp.Union):
        return " ∪ ".join(_show_set(r) for r in region.args)
    if region is sp.S.Reals:
        return "all reals"
    return str(region)
