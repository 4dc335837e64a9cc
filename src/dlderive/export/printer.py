"""SymPy expression -> LaTeX under a notation preset (every Symbol goes through the notation)."""
from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from ..functions import Jacobian, Prime, of
from ..matrices import applied
from ..notation import DEFAULT, WEIGHT, WEIGHT_ORDER, Notation

BREAK_MARK = "ZZBREAKZZ"
"""Name of the placeholder symbol that line breaking puts where a long sum was: printed like a sum."""


def _compound(expr) -> bool:
    """True if ``expr`` needs parentheses after an operator such as d/dz."""
    if isinstance(expr, sp.Symbol):
        return expr.name == BREAK_MARK
    return not isinstance(expr, sp.Function)


class Literal(sp.Dummy):
    """A number shown as written in a substitution line: arithmetic on it stays unevaluated."""

    def __new__(cls, value: float | int, digits: int = 4, **assumptions):
        obj = super().__new__(cls, "lit", real=True, **assumptions)
        obj.value = value
        obj.digits = digits  # significant digits shown
        return obj

    def __getnewargs_ex__(self):
        return ((self.value, self.digits), {})

    @property
    def number(self) -> sp.Expr:
        return sp.Integer(self.value) if isinstance(self.value, int) else sp.Float(self.value)


def group_thousands(value: int) -> str:
    """An integer in math as the text writes it, grouped by thousands: 2{,}508{,}800 (shown 2,508,800)."""
    return f"{value:,}".replace(",", "{,}")


def format_number(value: float | int, digits: int = 4) -> str:
    """``value`` with at most ``digits`` significant digits, as a plain decimal (no exponent)."""
    if isinstance(value, int):
        return str(value)
    text = f"{value:.{digits}g}"
    if "e" in text:
        text = f"{value:.{digits + 6}f}".rstrip("0").rstrip(".")
    return text


def vector_kind(kinds: dict, expr: sp.Basic) -> str | None:
    """"matrix" or "vector" for a symbol declared in ``kinds``; None otherwise."""
    if isinstance(expr, sp.Symbol) and expr.name in kinds:
        return kinds[expr.name][0]
    return None


def split_vector_product(expr: sp.Mul, kinds: dict) -> tuple[sp.Expr, list, list, list]:
    """A vector-form product as (coefficient, matrices, elementwise factors, non-commutative factors).

    It reads as ``coefficient · [non-commutative factors] matrices (f1 ∘ f2 ∘ ...)``: matrices
    multiply what follows them, commutative non-matrix factors multiply elementwise.
    """
    coeff, rest = expr.as_coeff_Mul()
    factors = list(rest.args) if rest.is_Mul else [rest]
    matrices = [f for f in factors if f.is_commutative and vector_kind(kinds, f) == "matrix"]
    elementwise = [f for f in factors if f.is_commutative and f not in matrices]
    noncomm = [f for f in factors if not f.is_commutative]
    return coeff, matrices, elementwise, noncomm


class _Arg:
    """The argument of a function call printed by ``_call``: ``args[0]`` is the argument."""

    def __init__(self, arg):
        self.args = (arg,)


def matrix_terms(expr) -> list:
    """The terms of a matrix sum as printed: 𝟏 first, negative terms last, in conventional order
    (W x + U h + p c + b) when every term has a weight, else in SymPy's order."""
    terms = list(expr.args)
    ranked = [t for t in terms if any(WEIGHT.match(s.name) for s in t.atoms(sp.MatrixSymbol))]
    if len(ranked) == len(terms):
        def rank(term):
            return min((WEIGHT_ORDER.index(m["kind"]) for s in term.atoms(sp.MatrixSymbol)
                        if (m := WEIGHT.match(s.name))), default=len(WEIGHT_ORDER))
        terms = sorted(terms, key=rank)
    return sorted(terms, key=lambda a: (not isinstance(a, sp.OneMatrix), negative_term(a)))


def conventional_order(terms: list) -> list:
    """Sum terms as the cells declare them, ``W x + U h + p c + b``; others keep SymPy's order."""
    def rank(term):
        ranks = [WEIGHT_ORDER.index(m["kind"]) for s in term.free_symbols if (m := WEIGHT.match(s.name))]
        return min(ranks, default=len(WEIGHT_ORDER))
    return sorted(terms, key=rank) if any(rank(t) < len(WEIGHT_ORDER) for t in terms) else terms


class ConventionalOrder:
    """Printer mixin: sums in conventional order unless the expression keeps its written order."""

    def _as_ordered_terms(self, expr, order=None):
        terms = super()._as_ordered_terms(expr, order)
        return terms if (order or self.order) == "none" else conventional_order(terms)


class NotationLatexPrinter(ConventionalOrder, LatexPrinter):
    """LaTeX printer that writes symbols, σ, f', diag, Jacobians and Hadamard products by notation."""

    def __init__(self, notation: Notation = DEFAULT, form: str = "scalar", kinds: dict | None = None,
                 total: bool = False, keep_order: bool = False):
        super().__init__({"order": "none" if keep_order else None})
        self.notation = notation
        self.form = form
        self.kinds = kinds or {}
        self.total = total  # single-variable derivatives written d/dz rather than ∂/∂z

    def _print_Symbol(self, expr, style="plain"):
        return self.notation.symbol(expr.name)

    def _print_Literal(self, expr):
        return group_thousands(expr.value) if isinstance(expr.value, int) else format_number(expr.value, expr.digits)

    def _print_Rational(self, expr):
        if expr.q == 1:
            return group_thousands(int(expr.p))
        sign, p = ("- ", -expr.p) if expr.p < 0 else ("", expr.p)
        return rf"{sign}\frac{{{group_thousands(int(p))}}}{{{group_thousands(int(expr.q))}}}"

    def _print_Add(self, expr, order=None):
        if not any(isinstance(a, Literal) and a.value < 0 for a in expr.args[1:]):
            return super()._print_Add(expr, order)
        terms = [self._print(a) if i == 0 or not (isinstance(a, Literal) and a.value < 0)
                 else r"\left(" + self._print(a) + r"\right)" for i, a in enumerate(expr.args)]
        return " + ".join(terms)

    def _print_UnevaluatedExpr(self, expr):
        return self._print(expr.args[0])

    def _call(self, name: str, expr, exp=None) -> str:
        """``name(arg)`` with stretching parentheses, raised to ``exp`` if given."""
        return name + (f"^{{{exp}}}" if exp is not None else "") + r"\left(" + self._print(expr.args[0]) + r"\right)"

    def _print_Function(self, expr, exp=None):
        if expr.func.__name__ == "ell":  # the loss ℓ(s, y) of a loss-gradient derivation
            return r"\ell\left(" + ", ".join(self._print(a) for a in expr.args) + r"\right)"
        if isinstance(expr, Prime):
            f = of(expr.base)
            return self._call((f.latex if f else r"\operatorname{%s}" % expr.base.__name__) + "'", expr, exp)
        if (f := of(expr)) is not None and f.latex_call:
            return self._call(f.latex, expr, exp)
        if isinstance(expr, Jacobian):
            y, x = expr.args
            if not _compound(y):
                return r"\frac{\partial %s}{\partial %s}" % (self._print(y), self._print(x))
            return r"\frac{\partial}{\partial %s} \left(%s\right)" % (self._print(x), self._print(y))
        return super()._print_Function(expr, exp)

    def _print_Transpose(self, expr):
        tex = self._print(expr.arg)
        if not isinstance(expr.arg, sp.MatrixSymbol) or "^" in tex:
            tex = r"\left(" + tex + r"\right)"
        return tex + r"^\top"

    def _print_DiagMatrix(self, expr):
        return r"\operatorname{diag}\left(" + self._print(expr.args[0]) + r"\right)"

    def _print_HadamardProduct(self, expr):
        return f" {self.notation.hadamard} ".join(
            r"\left(" + self._print(a) + r"\right)" if isinstance(a, (sp.MatAdd, sp.MatMul)) else self._print(a)
            for a in expr.args)

    def _print_Grouped(self, expr, exp=None):
        return r"\left(" + self._print(expr.args[0]) + r"\right)" + (f"^{{{exp}}}" if exp is not None else "")

    def _print_HadamardPower(self, expr):
        if (f := applied(expr.base)) is not None and (entry := of(f[0])) is not None and entry.latex_call:
            return self._call(entry.latex, _Arg(f[1]), self._print(expr.exp))
        base = self._print(expr.base)
        if not isinstance(expr.base, sp.MatrixSymbol):
            base = r"\left(" + base + r"\right)"
        return base + "^{%s}" % self._print(expr.exp)

    def _print_MatAdd(self, expr):
        terms = matrix_terms(expr)
        out = ""
        for i, a in enumerate(terms):
            negative = negative_term(a)
            tex = self._print(-a if negative else a)
            out += (" - " if negative else " + ") + tex if i else ("- " + tex if negative else tex)
        return out

    def _print_MatMul(self, expr):
        if expr.args[0] == -1:
            return "- " + self._print(sp.MatMul(*expr.args[1:]) if len(expr.args) > 2 else expr.args[1])
        return " ".join(r"\left(" + self._print(a) + r"\right)" if isinstance(a, (sp.MatAdd, sp.HadamardProduct))
                        else self._print(a) for a in expr.args)

    def _print_ElementwiseApplyFunction(self, expr):
        body = expr.function.expr.xreplace({expr.function.variables[0]: sp.Symbol("_ARG_")})
        return self._print(body).replace(self._print(sp.Symbol("_ARG_")), self._print(expr.expr))

    def _print_Partial(self, expr):
        f, x = expr.args
        return r"\frac{\partial %s}{\partial %s}" % (self._print(f), self._print(x))

    def _print_MatrixPartial(self, expr):
        y, x = expr.args
        if isinstance(y, (sp.Symbol, sp.MatrixSymbol)) and y.name != BREAK_MARK or applied(y) is not None:
            return r"\frac{\partial %s}{\partial %s}" % (self._print(y), self._print(x))
        return r"\frac{\partial}{\partial %s} \left(%s\right)" % (self._print(x), self._print(y))

    def _print_Identity(self, expr):
        return self.notation.symbol("I")

    def _print_ZeroMatrix(self, expr):
        return "0"

    def _print_BlockMatrix(self, expr):
        return self._print(expr.blocks)

    def _print_OneMatrix(self, expr):
        rows, cols = expr.shape
        return r"\mathbf{1}^\top" if rows == 1 else (r"\mathbf{1}" if cols == 1 else r"\mathbf{1}\mathbf{1}^\top")

    def _print_floor(self, expr, exp=None):
        tex = r"\left\lfloor " + self._print(expr.args[0]) + r" \right\rfloor"
        return f"{tex}^{{{exp}}}" if exp is not None else tex

    def _print_ceiling(self, expr, exp=None):
        tex = r"\left\lceil " + self._print(expr.args[0]) + r" \right\rceil"
        return f"{tex}^{{{exp}}}" if exp is not None else tex

    def _print_Derivative(self, expr):
        d = "d" if self.total and len(expr.variables) == 1 else r"\partial"
        (var, count), = expr.variable_count if len(expr.variable_count) == 1 else ((None, 0),)
        if var is None or count != 1:
            return super()._print_Derivative(expr)
        x = self._print(var)
        inner = expr.expr
        if not _compound(inner):
            return r"\frac{%s %s}{%s %s}" % (d, self._print(inner), d, x)
        return r"\frac{%s}{%s %s} \left(%s\right)" % (d, d, x, self._print(inner))

    def _print_Mul(self, expr):
        if any(isinstance(f, Literal) for f in expr.args):
            return r" \cdot ".join(self._factor(f) for f in expr.args)
        if self.form != "vector" and expr.is_commutative is not False:
            if isinstance(expr, sp.Mul) and any(_is_negative(f) for f in expr.args[1:]):
                return self._signed_factors(expr)
            return super()._print_Mul(expr)
        return self._vector_product(expr)

    def _signed_factors(self, expr) -> str:
        """A product with a negative factor after the first, shown as written: a \\left(-b\\right)."""
        args, parts = list(expr.args), []
        if args[0] == -1:
            parts.append("-")
            args = args[1:]
        for i, f in enumerate(args):
            tex = self._print(f)
            if isinstance(f, sp.Add) or (i > 0 and _is_negative(f)):
                tex = r"\left(" + tex + r"\right)"
            parts.append(tex)
        return " ".join(parts)

    def _factor(self, f) -> str:
        tex = self._print(f)
        negative = isinstance(f, Literal) and f.value < 0
        return r"\left(" + tex + r"\right)" if isinstance(f, sp.Add) or negative else tex

    def _vector_product(self, expr) -> str:
        coeff, matrices, elementwise, noncomm = split_vector_product(expr, self.kinds)
        if coeff.is_negative:
            return "- " + self._print(-expr)
        hadamard = f" {self.notation.hadamard} "
        parts = [self._factor(f) for f in noncomm] + [self._factor(m) for m in matrices]
        if elementwise:
            inner = hadamard.join(self._factor(f) for f in elementwise)
            if (parts or coeff != 1) and len(elementwise) > 1:
                inner = r"\left(" + inner + r"\right)"
            parts.append(inner)
        if coeff != 1:
            parts.insert(0, self._print(coeff))
        return " ".join(parts)


def latex_expr(expr, notation: Notation = DEFAULT, form: str = "scalar", kinds: dict | None = None,
               total: bool = False, keep_order: bool | None = None) -> str:
    """The LaTeX of one expression; order of arguments is kept when it shows unevaluated arithmetic."""
    expr = as_basic(expr)
    keep = keeps_order(expr) if keep_order is None else keep_order
    return NotationLatexPrinter(notation, form, kinds, total, keep_order=keep).doprint(expr)


def as_basic(expr) -> sp.Basic:
    """A SymPy object for ``expr``; Python numbers are converted, text is refused (never sympified)."""
    if isinstance(expr, bool):
        return sp.true if expr else sp.false
    if isinstance(expr, int):
        return sp.Integer(expr)
    if isinstance(expr, float):
        return sp.Float(expr)
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"a SymPy expression is needed, not {type(expr).__name__}")
    return expr


def relation_between(lhs, rhs) -> str:
    """How two sides of a step relate: "=" for values, "iff" for conditions, "in" for a value in a set."""
    lhs, rhs = as_basic(lhs), as_basic(rhs)
    if isinstance(rhs, sp.Set):
        return "in"
    if _is_condition(lhs) or _is_condition(rhs):
        return "iff"
    return "="


def _is_negative(expr) -> bool:
    return isinstance(expr, sp.Expr) and expr.could_extract_minus_sign()


def _is_condition(expr) -> bool:
    return isinstance(expr, sp.logic.boolalg.Boolean) and not isinstance(expr, sp.Expr)


def in_print_order(expr: sp.Basic) -> sp.Basic:
    """``expr`` rebuilt unevaluated with sums and products in the order the printer shows them."""
    if not expr.args or isinstance(expr, (Literal, sp.MatrixExpr)):
        return expr  # a matrix expression prints its sums in one order of its own (``matrix_terms``)
    if isinstance(expr, sp.Add):
        args = conventional_order(expr.as_ordered_terms())
    elif isinstance(expr, sp.Mul):
        args = expr.as_ordered_factors()
    else:
        args = expr.args
    return expr.func(*(in_print_order(a) for a in args), evaluate=False)


def keeps_order(expr) -> bool:
    """True if ``expr`` shows arithmetic as written (Literal, UnevaluatedExpr or an unevaluated Add/Mul)."""
    return expr.has(sp.UnevaluatedExpr, Literal) or _is_unevaluated(expr)


def _is_unevaluated(expr) -> bool:
    """True if some Add/Mul in ``expr`` is not in canonical order (built with evaluate=False)."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Add, sp.Mul)) and node.args != node.func(*node.args).args:
            return True
    return False


def negative_term(a) -> bool:
    """A term of a matrix sum written with a minus sign: (-1) M."""
    return bool(isinstance(a, sp.MatMul) and a.args[0].is_number and a.args[0] < 0)
