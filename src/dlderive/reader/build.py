"""Parse trees of latex.lark -> SymPy expressions, built node by node (never eval or sympify)."""
from __future__ import annotations

import re
from fractions import Fraction

import sympy as sp
from lark import Token, Transformer, v_args

from ..errors import DlderiveError
from ..functions import Jacobian, prime, sigmoid
from .names import WEIGHT_BASES, identifier, symbol, text_identifier, weight

MAX_BITS = 14_000  # size of an exact number the reader agrees to compute (Python prints ints up to 4300 digits)
MAX_EXPONENT = 1_000  # largest integer exponent on a symbolic base
MAX_DIGITS = 1_000

FUNCTIONS = {"sigma": sigmoid, "sigmoid": sigmoid, "tanh": sp.tanh, "exp": sp.exp, "log": sp.log,
             "ln": sp.log, "sin": sp.sin, "cos": sp.cos, "sinh": sp.sinh, "cosh": sp.cosh}
GREEK_CONSTANTS = {"pi": sp.pi, "infty": sp.oo}
_LABEL = re.compile(r"\^\s*(?:\{\s*([A-Za-z]+)\s*\}|([A-Za-z]))\s*$")


class ReadError(DlderiveError):
    """LaTeX that the grammar cannot read; ``offset`` is the character index in the block."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.offset = offset


class TooLarge(DlderiveError):
    """A number or power too large to compute safely."""


class DerivativeOperator:
    """``coeff`` d/dz (or ∂/∂z) written without its argument: it applies to the factor that follows."""

    def __init__(self, var: sp.Symbol, coeff=sp.S.One):
        self.var, self.coeff = var, coeff


def safe_pow(base, exponent):
    """base**exponent, refused when the exact result would be huge."""
    _require_expr(base, exponent)
    if exponent.is_Integer and abs(int(exponent)) > MAX_EXPONENT and not base.is_Number:
        if base.free_symbols:
            raise TooLarge(f"exponent {exponent} is too large (limit {MAX_EXPONENT})")
    if base.is_Rational and exponent.is_Rational:
        size = max(abs(base.p), abs(base.q), 2).bit_length()
        if abs(exponent.p) > MAX_BITS or size * abs(int(exponent.p)) > MAX_BITS:
            raise TooLarge(f"the number {base}^{exponent} is too large to compute (over {MAX_BITS} bits)")
    if base.is_Rational and exponent.is_Number and not exponent.is_Rational:
        raise TooLarge("non-rational exponents of numbers are not evaluated")
    return sp.Pow(base, exponent)


def safe_mul(a, b):
    if isinstance(a, DerivativeOperator):
        _require_expr(b)
        return safe_mul(a.coeff, sp.Derivative(b, a.var))
    if isinstance(b, DerivativeOperator):
        _require_expr(a)
        return DerivativeOperator(b.var, safe_mul(a, b.coeff))
    _require_expr(a, b)
    _check_size(a, b)
    return a * b


def _check_size(*numbers):
    bits = sum(max(abs(n.p), abs(n.q)).bit_length() for n in numbers if isinstance(n, sp.Rational))
    if bits > MAX_BITS:
        raise TooLarge(f"a product of numbers over {MAX_BITS} bits")


def _require_expr(*items):
    for x in items:
        if isinstance(x, DerivativeOperator):
            raise DlderiveError(f"d/d{x.var} is not followed by the expression it differentiates")
        if isinstance(x, sp.Tuple):
            raise DlderiveError("a tuple such as (5,5) cannot take part in arithmetic")
        if isinstance(x, sp.Set):
            raise DlderiveError(f"the set {x} cannot take part in arithmetic")


def _exprs(children):
    return [c for c in children if not isinstance(c, Token)]


class Build(Transformer):
    """One term's parse tree -> a SymPy expression; ``model`` selects the weight-label aliases."""

    def __init__(self, model: str | None = None, text: str = ""):
        super().__init__()
        self.model, self.text = model, text

    def name(self, children):
        (tok,) = children
        written = str(tok)
        letters = written.split("_", 1)[0]
        if 1 < len(letters) <= 3 and letters.islower():  # "ab", "dz": a product of one-letter names
            factors = [self._letter(c) for c in letters[:-1]] + [self._letter(written[len(letters) - 1:])]
            return sp.Mul(*factors)
        return self._letter(written)

    def _letter(self, written: str):
        return sp.E if written == "e" else symbol(identifier(written, self.model))

    def greek(self, children):
        written = str(children[0])[1:]
        base = written.split("_", 1)[0]
        if base in GREEK_CONSTANTS and base == written:
            return GREEK_CONSTANTS[base]
        return symbol(identifier(written, self.model))

    def text_name(self, children):
        written = str(children[0])
        inner = written[written.index("{") + 1: written.index("}")]
        sub = written[written.index("}") + 1:]
        name = text_identifier(inner)
        if sub and " " not in name:
            return symbol(identifier(name + sub, self.model))
        return symbol(name + (identifier("x" + sub)[1:] if sub else ""))

    def number(self, children):
        text = str(children[0])
        if len(text) > MAX_DIGITS:
            raise TooLarge(f"a number with {len(text)} digits (limit {MAX_DIGITS})")
        f = Fraction(text)
        return sp.Rational(f.numerator, f.denominator)

    def group(self, children):
        (x,) = _exprs(children)
        return x

    def tuple(self, children):
        items = _exprs(children)
        _require_expr(*items)
        return sp.Tuple(*items)

    def finite_set(self, children):
        items = _exprs(children)
        _require_expr(*items)
        return sp.FiniteSet(*items)

    def set_name(self, children):
        return {"N": sp.S.Naturals0, "Z": sp.S.Integers, "R": sp.S.Reals}[str(children[0])[-2]]

    def floor(self, children):
        (x,) = _exprs(children)
        _require_expr(x)
        return sp.floor(x)

    def ceil(self, children):
        (x,) = _exprs(children)
        _require_expr(x)
        return sp.ceiling(x)

    def abs(self, children):
        (x,) = _exprs(children)
        _require_expr(x)
        return sp.Abs(x)

    def matrix(self, children):
        rows = [c for c in children if isinstance(c, list)]
        if len({len(r) for r in rows}) != 1:
            raise DlderiveError("a matrix whose rows have different lengths")
        for row in rows:
            _require_expr(*row)
        return sp.ImmutableMatrix(rows)

    def mrow(self, children):
        return _exprs(children)

    def sqrt(self, children):
        (x,) = _exprs(children)
        _require_expr(x)
        return sp.sqrt(x)

    def frac(self, children):
        num, den = _exprs(children)
        derivative = _total_derivative(num, den, self.model)
        if derivative is not None:
            return derivative
        _require_expr(num, den)
        return safe_mul(num, safe_pow(den, sp.Integer(-1)))

    def partial(self, children):
        parts = _exprs(children)
        var = parts[-1]
        if not isinstance(var, sp.Symbol):
            raise DlderiveError(f"∂{var} is not a derivative with respect to one variable")
        if len(parts) == 1:
            return DerivativeOperator(var)
        _require_expr(parts[0])
        return Jacobian(parts[0], var)  # not commutative: products of ∂S_t/∂S_{t-1} keep their order

    def apply(self, children):
        func = FUNCTIONS[_func_name(children[0])]
        arg = children[-1]
        if isinstance(arg, Token):
            arg = self.name([arg])
        _require_expr(arg)
        value = func(arg)
        return safe_pow(value, children[1]) if len(children) == 3 else value

    def apply_prime(self, children):
        func = FUNCTIONS[_func_name(children[0])]
        (arg,) = _exprs(children)
        _require_expr(arg)
        return prime(func)(arg)

    def fpower(self, children):
        (x,) = _exprs(children)
        return x

    def sup_arg(self, children):
        if len(children) == 2:  # MINUS NUMBER
            return -self.number([children[1]])
        (x,) = children
        if isinstance(x, Token):
            if x.type == "NUMBER":
                return self.number([x])
            if x.type == "GREEK":
                return self.greek([x])
            return symbol(identifier(str(x), self.model))
        return x

    @v_args(meta=True)
    def power(self, meta, children):
        base, _, exponent = children
        if isinstance(base, sp.Symbol) and base.name in WEIGHT_BASES:
            label = _LABEL.search(self.text[meta.start_pos:meta.end_pos]) if self.text else None
            if label:
                return symbol(weight(base.name, label.group(1) or label.group(2), self.model))
            if isinstance(exponent, sp.Symbol) and exponent.name.isalpha():
                return symbol(weight(base.name, exponent.name, self.model))
        return safe_pow(base, exponent)

    def neg(self, children):
        (x,) = _exprs(children)
        _require_expr(x)
        return -x

    def pos(self, children):
        (x,) = _exprs(children)
        return x

    def add(self, children):
        a, b = _exprs(children)
        _require_expr(a, b)
        return a + b

    def sub(self, children):
        a, b = _exprs(children)
        _require_expr(a, b)
        return a - b

    def mul(self, children):
        a, b = _exprs(children)
        return safe_mul(a, b)

    def div(self, children):
        a, b = _exprs(children)
        _require_expr(a, b)
        return safe_mul(a, safe_pow(b, sp.Integer(-1)))


def _func_name(tok: Token) -> str:
    text = str(tok)
    if text.startswith("\\operatorname{"):
        return text[len("\\operatorname{"):-1]
    return text[1:]


def _d_variable(den, model):
    """z for a denominator written dz or d z (or \\mathrm{d} z), else None."""
    d = symbol("d")
    if isinstance(den, sp.Symbol) and den.name.startswith("d") and len(den.name) > 1:
        return symbol(den.name[1:]) if den.name[1:2].isalpha() else None
    if isinstance(den, sp.Mul) and len(den.args) == 2 and d in den.args:
        (var,) = [a for a in den.args if a != d]
        return var if isinstance(var, sp.Symbol) else None
    return None


def _total_derivative(num, den, model):
    """d(num)/d(var) when the fraction is written as a derivative, else None."""
    if isinstance(num, DerivativeOperator) or isinstance(den, DerivativeOperator):
        return None
    var = _d_variable(den, model)
    if var is None:
        return None
    d = symbol("d")
    if num == d:
        return DerivativeOperator(var)
    if isinstance(num, sp.Mul) and d in num.args:
        rest = list(num.args)
        rest.remove(d)
        return sp.Derivative(sp.Mul(*rest), var)
    if isinstance(num, sp.Symbol) and num.name.startswith("d") and num.name[1:2].isalpha():
        return sp.Derivative(symbol(num.name[1:]), var)
    return None


__all__ = ["Build", "ReadError", "TooLarge", "DerivativeOperator", "safe_pow"]
