"""Parse trees of latex.lark -> SymPy expressions, built node by node (never eval or sympify).

Names are read as the document uses them (``reader.context.Context``); operators written before
what they apply to (d/dx, ∂/∂x, Σ, Π) take the whole product that follows, up to the next sign."""
from __future__ import annotations

import re
from fractions import Fraction

import sympy as sp
from lark import Token, Transformer, v_args

from ..errors import DlderiveError
from ..functions import Jacobian, by_spelling, prime
from .context import Context, Decimal, transpose, unknown_function
from .names import WEIGHT_BASES, identifier, symbol, text_identifier, weight
from .operations import (Juxtaposed, Pending, ReadError, TooLarge, _mul, _require_expr, _tuple_op, extremum,
                         finish, safe_mul, safe_pow, written_matrices)
from .tokens import (_RECIPROCALS, _TRANSPOSE, _Power, _d_variable, _func_name, _log_base, _prime_order, _relational,
                     _rounded, _sup_start, rounded_floor)

MAX_DIGITS = 1_000

GREEK_CONSTANTS = {"pi": sp.pi, "infty": sp.oo}
_LABEL = re.compile(r"\^\s*(?:\{\s*([A-Za-z]+)\s*\}|([A-Za-z]))\s*$")
_INDEX = r"\\?[A-Za-z][A-Za-z0-9]*(?:\s*[-+]\s*\d{1,2})?|\d{1,3}"
_INDEX_SUP = re.compile(rf"^\^\s*\{{\s*(\(|\[)\s*({_INDEX})\s*[)\]]\s*\}}\s*$|^\^\s*\(\s*({_INDEX})\s*\)$")

_SLICE = re.compile(r"_\{\s*(?:[^{},:]+\s*,\s*:|:\s*,\s*[^{},:]+)\s*\}$")


def _refuse_slice(written: str, shown: str | None = None) -> None:
    """X_{n,:} (row n), W_{:,j} (column j): a part of a matrix, which the scalar reading does not read; the
    reading as vectors and matrices decides."""
    if _SLICE.search(written):
        raise DlderiveError(f"the row or column {shown or written} of a matrix is read only as vectors and matrices")


class Build(Transformer):
    """One term's parse tree -> a SymPy expression, with names read as ``context`` says."""

    def __init__(self, model: str | None = None, text: str = "", context: Context | None = None):
        super().__init__()
        self.model, self.text = model, text
        self.context = context or Context()

    # ------------------------------------------------------------------ names
    def name(self, children):
        (tok,) = children
        _refuse_slice(str(tok))
        return self.context.name(str(tok), self.model)

    def greek(self, children):
        written = re.sub(r"\s+", "", str(children[0])[1:])
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", written)
        if m and m.group(1) not in GREEK_CONSTANTS:
            written = f"{m.group(1)}_{{{m.group(2)}}}"
        base = written.split("_", 1)[0]
        if base in GREEK_CONSTANTS and base == written:
            return GREEK_CONSTANTS[base]
        if base == "nabla":
            raise DlderiveError("the gradient ∇ is not read; write the partial derivatives")
        return self.context.greek_name(symbol(identifier(written, self.model)), "\\" + written)

    def text_name(self, children):
        written = str(children[0])
        inner = written[written.index("{") + 1: written.index("}")]
        sub = written[written.index("}") + 1:]
        _refuse_slice(sub, written)
        command = written[1:written.index("{")]
        if inner.strip() == "e" and not sub and command in ("mathrm", "text", "textrm"):
            return sp.E
        if command in ("mathbf", "boldsymbol", "bm", "textbf"):
            self.context.flags.add("vector")
            inner_name = inner.strip()
            if re.fullmatch(r"[01]", inner_name):
                return sp.Integer(int(inner_name))
            return self.context.name(inner_name + sub, self.model)
        name = text_identifier(inner)
        if not name:
            raise DlderiveError("an empty \\text{}")
        if re.fullmatch(r"[A-Za-z]+", name) and len(name) > 1 and by_spelling(name):
            raise DlderiveError(f"the function {name} is written without its argument")
        if sub and " " not in name:
            return self.context.record(symbol(identifier(name + sub, self.model)), written)
        return self.context.record(symbol(name + (identifier("x" + sub)[1:] if sub else "")), written)

    def accent(self, children):
        tok = children[0]
        inner = children[1]
        sub = str(children[2]) if len(children) > 2 else ""
        _refuse_slice(sub, f"{tok}{{…}}{sub}")
        command = str(tok)[1:]
        base = inner if isinstance(inner, sp.Basic) else self._accent_arg(inner)
        return self.context.decorated(command, base, sub, self.model)

    def accent_arg(self, children):
        (x,) = children
        return self._accent_arg(x)

    def _accent_arg(self, x):
        if isinstance(x, Token):
            if x.type == "NAME":
                return self.context.name(str(x), self.model, whole=True)
            if x.type == "GREEK":
                return self.greek([x])
            if x.type == "NUMBER":
                return self.number([x])
            if x.type == "TEXT":
                return self.text_name([x])
        return x

    def number(self, children):
        text = str(children[0])
        if len(text) > MAX_DIGITS:
            raise TooLarge(f"a number with {len(text)} digits (limit {MAX_DIGITS})")
        f = Fraction(text)
        value = sp.Rational(f.numerator, f.denominator)
        if "." in text:
            return Decimal.of(text, value)
        return value

    def indicator(self, children):
        """𝟙(a < b): 1 where the condition holds, 0 elsewhere."""
        a, op, b = [c for c in children if not (isinstance(c, Token) and c.type in ("INDICATOR", "LBRACE", "RBRACE"))]
        condition = _relational(finish(a), str(op), finish(b))
        try:
            decided = condition.func(*condition.args)  # 𝟙[2 = 2] is 1, 𝟙[2 < 1] is 0
            if decided in (sp.true, sp.false):
                return sp.S.One if decided is sp.true else sp.S.Zero
            return sp.Piecewise((sp.S.One, condition), (sp.S.Zero, sp.true))
        except TypeError as exc:
            raise DlderiveError(f"the condition of an indicator cannot be compared ({exc})") from None

    def dots(self, children):
        raise DlderiveError("an elision (⋯) stands for terms that are not written")

    # ------------------------------------------------------------------ groups and sets
    def group(self, children):
        (x,) = _exprs(children)
        return x

    def group_subscript(self, children):
        """(∂L/∂Y)_{n,:}: a row (or column) of a matrix, read only as vectors and matrices."""
        sub = str(children[-1])
        _refuse_slice(sub, f"(…){sub}")
        raise DlderiveError(f"a subscript {sub} on a bracketed expression is not read")

    def tuple(self, children):
        items = _exprs(children)
        _require_expr(*items)
        return sp.Tuple(*items)

    def finite_set(self, children):
        items = _exprs(children)
        _require_expr(*items)
        return sp.FiniteSet(*items)

    def set_name(self, children):
        written = str(children[0])
        if "^" in written:
            self.context.flags.add("vector")
        return {"N": sp.S.Naturals0, "Z": sp.S.Integers, "R": sp.S.Reals, "Q": sp.S.Rationals}[written[8]]

    def floor(self, children):
        (x,) = _exprs(children)
        _require_expr(x)
        return _rounded(sp.floor, x)

    def ceil(self, children):
        (x,) = _exprs(children)
        _require_expr(x)
        return _rounded(sp.ceiling, x)

    def abs(self, children):
        (x,) = _exprs(children)
        _require_expr(x)
        return sp.Abs(x)

    def norm(self, children):
        """‖x‖, ‖x‖_2 and ‖x‖_F of a number: |x| (of a vector or matrix, the matrix checker's reading)."""
        sub = [str(c) for c in children if isinstance(c, Token) and c.type == "SUBSCRIPT"]
        if sub and sub[0].strip("_{} ") not in ("2", "F"):
            raise DlderiveError(f"the norm ‖·‖{sub[0]} is not read; ‖·‖, ‖·‖_2 and ‖·‖_F are")
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

    def cases(self, children):
        pieces = [c for c in children if isinstance(c, tuple)]
        if not pieces or any(cond is None for _, cond in pieces[:-1]):
            raise DlderiveError("a case without its condition")
        args = [(value, cond if cond is not None else sp.true) for value, cond in pieces]
        return sp.Piecewise(*args)

    def case(self, children):
        items = [c for c in children if not isinstance(c, Token)]
        value = finish(items[0])
        _require_expr(value)
        return (value, items[1] if len(items) > 1 else None)

    def cond_rel(self, children):
        a, op, b = finish(children[0]), str(children[1]), finish(children[2])
        return _relational(a, op, b)

    def cond_between(self, children):
        a, op1, b, op2, c = children
        return sp.And(_relational(finish(a), str(op1), finish(b)), _relational(finish(b), str(op2), finish(c)))

    def cond_in(self, children):
        a, _, s = children
        return sp.Contains(finish(a), finish(s))

    def cond_else(self, children):
        return sp.true

    def sqrt(self, children):
        (x,) = _exprs(children)
        _require_expr(x)
        return sp.sqrt(x)

    def root(self, children):
        n, x = _exprs(children)
        _require_expr(n, x)
        if not (n.is_Integer and 1 < n < 100):
            raise DlderiveError("a root whose degree is not a small integer")
        return sp.root(x, n)

    # ------------------------------------------------------------------ fractions and derivatives
    def frac(self, children):
        num, den = _exprs(children)
        derivative = self._total_derivative(num, den)
        if derivative is not None:
            return derivative
        _require_expr(num, den)
        written_matrices("/", num, den)
        return safe_mul(num, safe_pow(den, sp.Integer(-1)))

    def partial(self, children):
        parts = _exprs(children)
        var = parts[-1]
        order = 1
        if isinstance(var, sp.Pow) and var.exp.is_Integer and 1 < var.exp < 5 and isinstance(var.base, sp.Symbol):
            var, order = var.base, int(var.exp)
        if not isinstance(var, sp.Symbol):
            raise DlderiveError(f"∂{var} is not a derivative with respect to one variable")
        if len(parts) == 1:
            return Pending("d", (var, order))
        _require_expr(parts[0])
        if order > 1:
            return sp.Derivative(parts[0], *([var] * order))
        return Jacobian(parts[0], var)  # not commutative: products of ∂S_t/∂S_{t-1} keep their order

    def partial_n(self, children):
        parts = [c for c in children if not isinstance(c, Token)]
        order = finish(parts[0])
        rest = [finish(p) for p in parts[1:]]
        var = rest[-1]
        if isinstance(var, sp.Pow) and isinstance(var.base, sp.Symbol):
            var = var.base
        if not (order.is_Integer and 1 <= order <= 4) or not isinstance(var, sp.Symbol):
            raise DlderiveError("a higher derivative that is not of order 1 to 4 in one variable")
        if len(rest) == 1:
            return Pending("d", (var, int(order)))
        return sp.Derivative(rest[0], *([var] * int(order)))

    def _total_derivative(self, num, den):
        """d(num)/d(var) when the fraction is written as a derivative (d/dz, dy/dz, d^2y/dz^2), else None."""
        if isinstance(num, Pending) or isinstance(den, Pending):
            return None
        var, order = _d_variable(den)
        if var is None:
            return None
        d = symbol("d")
        if num == d or (isinstance(num, sp.Pow) and num.base == d and num.exp == order):
            return Pending("d", (var, order))
        rest = None
        if isinstance(num, sp.Mul) and (d in num.args or any(isinstance(a, sp.Pow) and a.base == d for a in num.args)):
            rest = [a for a in num.args if a != d and not (isinstance(a, sp.Pow) and a.base == d)]
            rest = sp.Mul(*rest)
            if isinstance(rest, sp.Symbol) and self.context.parameters.get(rest.name) == getattr(var, "name", None):
                rest = unknown_function(rest.name)(var)  # df/dx of a function the document defines: of f(x)
        elif isinstance(num, sp.Symbol) and num.name.startswith("d") and num.name[1:2].isalpha():
            written = self.context.written.get(num.name, num.name)
            head = written[1:] if written.startswith("d") else num.name[1:]
            if self.context.parameters.get(head) == getattr(var, "name", None):  # df/dx of f(x) = …: of f(x)
                rest = unknown_function(identifier(head, self.model))(var)
            else:
                rest = self.context.name(head, self.model, whole=True)
        if rest is None:
            return None
        return sp.Derivative(rest, *([var] * order))

    # ------------------------------------------------------------------ functions
    def apply(self, children):
        func = children[0]
        rest = [c for c in children[1:] if not (isinstance(c, Token) and c.type in ("LBRACE", "RBRACE"))]
        name = _func_name(func)
        entry = by_spelling(name)
        if name in _RECIPROCALS:
            power = rest.pop(0) if rest and isinstance(rest[0], _Power) else None
            args = [finish(self._operand(a)) for a in rest]
            _require_expr(*args)
            value = _RECIPROCALS[name](args[0])
            return safe_pow(value, power.value) if power is not None else value
        if entry is None and name not in ("max", "min"):
            raise DlderiveError(f"unknown function {func}")
        power = rest.pop(0) if rest and isinstance(rest[0], _Power) else None
        args = [finish(self._operand(a)) for a in rest]
        _require_expr(*args)
        if name in ("max", "min"):
            value = extremum(name, args)
        else:
            if len(args) != 1:
                raise DlderiveError(f"{entry.name} takes one argument")
            value = entry.make(args[0])
            base = _log_base(func)
            if base is not None:
                value = value / sp.log(base)
        if power is not None:
            if power.value == -1:
                raise DlderiveError(f"the inverse function {entry.name}^(-1) is not read")
            return safe_pow(value, power.value)
        return value

    def apply_accent(self, children):
        func, rest = children[0], list(children[1:])
        power = [rest.pop(0)] if rest and isinstance(rest[0], _Power) else []
        return self.apply([func, *power, self.accent(rest)])

    def _operand(self, a):
        if isinstance(a, Token):
            if a.type == "NAME":
                return self.name([a])
            if a.type == "GREEK":
                return self.greek([a])
            if a.type == "NUMBER":
                return self.number([a])
        return a

    def apply_prime(self, children):
        entry = by_spelling(_func_name(children[0]))
        order = _prime_order(str(children[1]))
        (arg,) = _exprs(children)
        _require_expr(arg)
        if entry is None or entry.cls is None:
            raise DlderiveError(f"the derivative of {children[0]} is not read")
        if order == 1:
            return prime(entry.cls)(arg)
        z = sp.Dummy("z", real=True)
        return entry.make(z).diff(z, order).xreplace({z: arg})

    def func_prime(self, children):
        entry = by_spelling(_func_name(children[0]))
        if entry is None or entry.cls is None:
            raise DlderiveError(f"the derivative of {children[0]} is not read")
        order = _prime_order(str(children[1]))
        z = sp.Dummy("z", real=True)
        nth = entry.make(z).diff(z, order)
        return Pending("prime", (lambda a: nth.xreplace({z: a}), None))

    def fname_apply(self, children):
        tok, args = children[0], _exprs(children[1:])
        return self.context.application(str(tok), args, self.model)

    def name_prime(self, children):
        tok, primes = children
        return Pending("prime", self.context.prime_parts(str(tok), _prime_order(str(primes)), self.model))

    def greek_prime(self, children):
        tok, primes, arg = children[0], children[1], finish(children[2])
        fn, _ = self.context.prime_parts(str(tok)[1:], _prime_order(str(primes)), self.model)
        _require_expr(arg)
        return fn(arg)

    def op_apply(self, children):
        tok = str(children[0])
        args = _exprs(children[1:])
        return self.context.operator(tok, args)

    def bigop(self, children):
        written = str(children[0])
        kind = "sum" if written.startswith("\\sum") else "prod"
        return Pending(kind, self.context.limits(written, self.model))

    def fpower(self, children):
        (x,) = _exprs(children)
        if x is _TRANSPOSE or isinstance(x, _Mark):  # \log^{\top} x, \tanh^{*} x
            raise DlderiveError("a transpose or a mark on a function name")
        return _Power(x)

    def sup_arg(self, children):
        if len(children) == 2:  # MINUS NUMBER | MINUS NAME | MINUS GREEK
            x = self._sup_token(children[1])
            return -x
        (x,) = children
        if isinstance(x, Token):
            return self._sup_token(x)
        return finish(x)

    def sup_mark(self, children):
        return _Mark({"+": "plus", "-": "minus", "*": "star", "\\ast": "star", "\\star": "star"}.get(
            str(children[0]).strip(), "mark"))

    def empty_sup(self, children):
        raise DlderiveError("an empty superscript")

    def _sup_token(self, x: Token):
        if x.type == "NUMBER":
            return self.number([x])
        if x.type == "GREEK":
            return self.greek([x])
        if x.type == "TRANSPOSE":
            return _TRANSPOSE
        return self.context.name(str(x), self.model)

    @v_args(meta=True)
    def power(self, meta, children):
        base, _, exponent = children
        if isinstance(base, Juxtaposed):  # x(1 + x^2)^2 is x·(1 + x^2)^2
            group = transpose(base.group) if exponent is _TRANSPOSE else safe_pow(base.group, finish(exponent))
            return _mul(base.head, group)
        base = finish(base)
        raw = self.text[meta.start_pos:meta.end_pos] if self.text else ""
        if exponent is _TRANSPOSE and (base.is_number or isinstance(base, Decimal)):  # 2^T, 0.9^T: a power
            return safe_pow(base, self.context.name("T", self.model))
        if exponent is _TRANSPOSE:
            self.context.flags.add("vector")
            if isinstance(base, sp.Tuple):  # [1, 2, 3]^T: the numbers of a column, a tuple in the scalar reading
                return base
            return transpose(base)
        if isinstance(exponent, _Mark):  # w^{+}, x^{*}: a name of its own (the updated w, the optimum x)
            if not isinstance(base, sp.Symbol):
                raise DlderiveError(f"a mark ^{{{exponent.name}}} on an expression")
            return self.context.record(symbol(f"{base.name}{exponent.name}"), raw)
        sup = raw[_sup_start(raw):] if raw else ""
        index = _INDEX_SUP.match(sup) if sup else None
        if index and isinstance(base, sp.Symbol):
            return self.context.superscript_index(base, (index.group(2) or index.group(3)).strip(),
                                                  index.group(1) or "(", self.model)
        if isinstance(base, sp.Symbol) and self.context.time_superscripts and re.fullmatch(
                r"\^\s*\{?\s*t\s*([-+]\s*\d)?\s*\}?", sup or ""):
            return self.context.superscript_index(base, sup.strip("^{} "), "(", self.model)
        if (isinstance(base, sp.Symbol) and "_" not in base.name and base.name not in WEIGHT_BASES and isinstance(exponent, sp.Symbol)
                and re.fullmatch(r"[A-Za-z]_.+", exponent.name) and "{" not in sup):  # a^o_t: a label, then time
            label, _, sub = exponent.name.partition("_")
            return self.context.record(symbol(f"{base.name}{label}_{sub}"), raw)
        if isinstance(base, sp.Symbol) and base.name in WEIGHT_BASES:
            label = _LABEL.search(raw) if raw else None
            if label:
                return symbol(weight(base.name, label.group(1) or label.group(2), self.model))
            if isinstance(exponent, sp.Symbol) and exponent.name.isalpha():
                return symbol(weight(base.name, exponent.name, self.model))
        return safe_pow(base, finish(exponent))

    # ------------------------------------------------------------------ arithmetic
    def neg(self, children):
        (x,) = [c for c in children if not isinstance(c, Token)]
        if isinstance(x, Pending):
            return x.scaled(sp.Integer(-1))
        x = finish(x)  # -x(2): the product, not the pair it was read from
        _require_expr(x)
        return -x

    def pos(self, children):
        (x,) = [c for c in children if not isinstance(c, Token)]
        return x

    def add(self, children):
        a, b = _exprs(children)
        if isinstance(a, sp.Tuple) and isinstance(b, sp.Tuple):
            return _tuple_op(a, b, lambda x, y: x + y)
        _require_expr(a, b)
        written_matrices("+", a, b)
        return a + b

    def sub(self, children):
        a, b = _exprs(children)
        if isinstance(a, sp.Tuple) and isinstance(b, sp.Tuple):
            return _tuple_op(a, b, lambda x, y: x - y)
        _require_expr(a, b)
        written_matrices("-", a, b)
        return a - b

    def mul(self, children):
        written_operator = any(isinstance(c, Token) for c in children)
        a, b = [c for c in children if not isinstance(c, Token)]
        if (not written_operator and isinstance(a, sp.Symbol) and a.name in ("delta", "Delta")
                and isinstance(b, sp.Symbol)):
            # δh_t, δ\tilde C_t, δa^o_t: the name of a gradient, not δ times a name
            shown = f"\\{a.name} {self.context.written.get(b.name, b.name)}"
            return self.context.record(symbol(f"{a.name}{b.name}"), shown)
        return safe_mul(a, b)

    def div(self, children):
        a, b = _exprs(children)
        _require_expr(a, b)
        written_matrices("/", a, b)
        return safe_mul(a, safe_pow(b, sp.Integer(-1)))


class _Mark:
    """^{+}, ^{*}: a mark on a name, not a power."""

    def __init__(self, name: str):
        self.name = name


def _exprs(children):
    return [finish(c) for c in children if not isinstance(c, Token)]


__all__ = ["rounded_floor", "Build", "ReadError", "TooLarge", "Pending", "finish", "safe_pow"]
