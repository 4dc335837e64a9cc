"""Expressions as readable Unicode text: names by notation, · for products, ∘/⊙ for Hadamard products."""
from __future__ import annotations

import re

import sympy as sp
from sympy.printing.str import StrPrinter

from ..functions import Jacobian, Prime, of
from ..notation import DEFAULT, Notation
from ..matrices import applied
from .printer import ConventionalOrder, Literal, as_basic, format_number, keeps_order, matrix_terms, negative_term, split_vector_product

RELATION_TEXT = {"=": "=", "iff": "⇔", "in": "∈"}

_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))
_SUP = dict(zip("0123456789+-=()abcdefghijklmnoprstuvwxyz",
                "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"))
_GREEK = {"sigma": "σ", "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε",
          "theta": "θ", "lambda": "λ", "mu": "μ", "tau": "τ", "phi": "φ", "circ": "∘", "odot": "⊙"}
_SCRIPT = re.compile(r"([_^])(?:\{([^{}]*)\}|(\S))")


def unicode_name(latex_name: str) -> str:
    """A notation's LaTeX name in Unicode: ``h_{t-1}`` -> ``hₜ₋₁``, ``W^{f}`` -> ``Wᶠ``, ``\\sigma`` -> ``σ``."""
    text = re.sub(r"\\mathrm\{([^{}]*)\}", r"\1", latex_name)
    text = re.sub(r"\\hat\{([^{}]*)\}", lambda m: m[1] + "\u0302", text)
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _GREEK.get(m[1], m[1]), text)

    def script(m: re.Match) -> str:
        body = m[2] if m[2] is not None else m[3]
        table = _SUB if m[1] == "_" else _SUP
        if all(c in table for c in body):
            return "".join(table[c] for c in body)
        return m[1] + (body if len(body) == 1 else f"({body})")

    return _SCRIPT.sub(script, text)


class TextPrinter(ConventionalOrder, StrPrinter):
    """Readable Unicode expressions: names by notation, · for products, ∘/⊙ for Hadamard products."""

    def __init__(self, notation: Notation = DEFAULT, form: str = "scalar", kinds: dict | None = None,
                 total: bool = False, keep_order: bool = False):
        super().__init__({"order": "none" if keep_order else None})
        self.notation, self.form, self.kinds, self.total = notation, form, kinds or {}, total
        self.hadamard = unicode_name(notation.hadamard)

    def _print_Symbol(self, expr):
        return unicode_name(self.notation.symbol(expr.name))

    def _print_MatrixSymbol(self, expr):
        return unicode_name(self.notation.symbol(expr.name))

    def _print_Transpose(self, expr):
        text = self._print(expr.arg)
        return (text if isinstance(expr.arg, sp.MatrixSymbol) else f"({text})") + "ᵀ"

    def _print_DiagMatrix(self, expr):
        return f"diag({self._print(expr.args[0])})"

    def _print_HadamardProduct(self, expr):
        return f" {self.hadamard} ".join(f"({self._print(a)})" if isinstance(a, (sp.MatAdd, sp.MatMul))
                                         else self._print(a) for a in expr.args)

    def _print_Grouped(self, expr):
        return f"({self._print(expr.args[0])})"

    def _print_HadamardPower(self, expr):
        if applied(expr.base) is not None:
            return self._print(expr.base) + "".join(_SUP.get(c, c) for c in str(expr.exp))
        base = self._print(expr.base)
        return (base if isinstance(expr.base, sp.MatrixSymbol) else f"({base})") + "".join(_SUP.get(c, c) for c in str(expr.exp))

    def _print_MatAdd(self, expr):
        terms = matrix_terms(expr)
        out = ""
        for i, a in enumerate(terms):
            negative = negative_term(a)
            text = self._print(-a if negative else a)
            out += (" - " if negative else " + ") + text if i else ("-" + text if negative else text)
        return out

    def _print_MatMul(self, expr):
        if expr.args[0] == -1:
            return "-" + self._print(sp.MatMul(*expr.args[1:]) if len(expr.args) > 2 else expr.args[1])
        return "·".join(f"({self._print(a)})" if isinstance(a, (sp.MatAdd, sp.HadamardProduct)) else self._print(a)
                        for a in expr.args)

    def _print_ElementwiseApplyFunction(self, expr):
        body = expr.function.expr.xreplace({expr.function.variables[0]: sp.Symbol("_ARG_")})
        return self._print(body).replace(self._print(sp.Symbol("_ARG_")), self._print(expr.expr))

    def _print_Partial(self, expr):
        f, x = (self._print(a) for a in expr.args)
        return f"∂{f}/∂{x}" if not isinstance(expr.args[0], sp.Add) else f"∂({f})/∂{x}"

    def _print_MatrixPartial(self, expr):
        y, x = expr.args
        text = self._print(y)
        if not (isinstance(y, (sp.Symbol, sp.MatrixSymbol)) or applied(y) is not None):
            text = f"({text})"
        return f"∂{text}/∂{self._print(x)}"

    def _print_Identity(self, expr):
        return unicode_name(self.notation.symbol("I"))

    def _print_ZeroMatrix(self, expr):
        return "0"

    def _print_BlockMatrix(self, expr):
        return self._print_MatrixBase(expr.blocks)

    def _print(self, expr, **kwargs):
        if isinstance(expr, sp.Indexed):  # SymPy's Indexed prints itself (p[i]) before any _print_ method
            return self._print_Indexed(expr)
        return super()._print(expr, **kwargs)

    def _print_Indexed(self, expr):
        return unicode_name(self.notation.symbol(expr.base.label.name) + "_{" + "".join(map(str, expr.indices)) + "}")

    def _print_KroneckerDelta(self, expr):
        return unicode_name("\\delta_{" + "".join(map(str, expr.args)) + "}")

    def _print_Sum(self, expr):
        body = self._print(expr.function)
        body = f"({body})" if isinstance(expr.function, sp.Add) else body
        ranges = "".join(f"Σ_{{{v}={self._print(a)}..{self._print(b)}}}" for v, a, b in expr.limits)
        return f"({ranges} {body})"

    def _print_OneMatrix(self, expr):
        rows, cols = expr.shape
        return "𝟏ᵀ" if rows == 1 else ("𝟏" if cols == 1 else "𝟏𝟏ᵀ")

    def _print_Relational(self, expr):
        op = {"==": "=", "<=": "≤", ">=": "≥", "<": "<", ">": ">", "!=": "≠"}[expr.rel_op]
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_And(self, expr):
        return " ∧ ".join(self.parenthesize(a, 30) for a in expr.args)

    def _print_Or(self, expr):
        return " ∨ ".join(self.parenthesize(a, 20) for a in expr.args)

    def _print_Contains(self, expr):
        return f"{self._print(expr.args[0])} ∈ {self._print(expr.args[1])}"

    def _print_Naturals(self, expr):
        return "ℕ"

    def _print_Naturals0(self, expr):
        return "ℕ₀"

    def _print_Integers(self, expr):
        return "ℤ"

    def _print_FiniteSet(self, expr):
        return "{" + ", ".join(self._print(a) for a in sorted(expr.args, key=sp.default_sort_key)) + "}"

    def _print_Literal(self, expr):
        return format_number(expr.value, expr.digits)

    def _print_Add(self, expr, order=None):
        if not any(isinstance(a, Literal) and a.value < 0 for a in expr.args[1:]):
            return super()._print_Add(expr, order)
        return " + ".join(self._print(a) if i == 0 or not (isinstance(a, Literal) and a.value < 0)
                          else f"({self._print(a)})" for i, a in enumerate(expr.args))

    def _print_UnevaluatedExpr(self, expr):
        return self._print(expr.args[0])

    def _print_EmptySet(self, expr):
        return "∅"

    def _print_MatrixBase(self, expr):
        """One line: [a, b; c, d] (rows separated by semicolons)."""
        return "[" + "; ".join(", ".join(self._print(v) for v in row) for row in expr.tolist()) + "]"

    def _print_Function(self, expr):
        f = of(expr.base if isinstance(expr, Prime) else expr)
        name = f.text if f else (expr.base if isinstance(expr, Prime) else type(expr)).__name__
        if isinstance(expr, Prime):
            name += "′"
        if name == "ell":  # the loss ℓ(s, y) of a loss-gradient derivation
            name = "ℓ"
        if isinstance(expr, Jacobian):
            y = self._print(expr.args[0])
            y = y if isinstance(expr.args[0], (sp.Symbol, sp.Function)) else f"({y})"
            return f"∂{y}/∂{self._print(expr.args[1])}"
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_floor(self, expr):
        return f"⌊{self._print(expr.args[0])}⌋"

    def _print_ceiling(self, expr):
        return f"⌈{self._print(expr.args[0])}⌉"

    def _print_exp(self, expr):
        return f"e^({self._print(expr.args[0])})"

    def _print_Derivative(self, expr):
        inner = self._print(expr.expr)
        if not isinstance(expr.expr, (sp.Symbol, sp.Function)):
            inner = f"({inner})"
        d = "d" if self.total and len(expr.variables) == 1 else "∂"
        return d + inner + "/" + "".join(f"{d}{self._print(v)}" for v in expr.variables)

    def _print_Pow(self, expr, rational=False):
        base, e = expr.as_base_exp()
        if e == -1:
            return f"1/{self.parenthesize(base, 50)}"
        b = self.parenthesize(base, 60)
        ex = self._print(e)
        if all(c in _SUP for c in ex):
            return b + "".join(_SUP[c] for c in ex)
        return f"{b}^({ex})"

    def _factor(self, f) -> str:
        text = self._print(f)
        return f"({text})" if isinstance(f, sp.Add) or isinstance(f, Literal) and f.value < 0 else text

    def _print_Mul(self, expr):
        if any(isinstance(f, Literal) for f in expr.args):
            return " · ".join(self._factor(f) for f in expr.args)
        if self.form != "vector" and expr.is_commutative is not False:
            if isinstance(expr, sp.Mul) and any(f.could_extract_minus_sign() for f in expr.args[1:]
                                                if isinstance(f, sp.Expr)):
                args = expr.args[1:] if expr.args[0] == -1 else expr.args
                text = "·".join(f"({self._print(f)})" if i and f.could_extract_minus_sign() or f.is_Add
                                else self._print(f) for i, f in enumerate(args))
                return "-" + text if expr.args[0] == -1 else text
            return super()._print_Mul(expr).replace("*", "·")
        coeff, matrices, elementwise, noncomm = split_vector_product(expr, self.kinds)
        if coeff.is_negative:
            return "-" + self._print(-expr)
        parts = [self._factor(f) for f in noncomm] + [self._factor(m) for m in matrices]
        if elementwise:
            inner = f" {self.hadamard} ".join(self._factor(f) for f in elementwise)
            parts.append(f"({inner})" if (parts or coeff != 1) and len(elementwise) > 1 else inner)
        if coeff != 1:
            parts.insert(0, self._print(coeff))
        return " ".join(parts)


def text_expr(expr, notation: Notation = DEFAULT, form: str = "scalar", kinds: dict | None = None,
              total: bool = False) -> str:
    """One expression as readable Unicode text."""
    expr = as_basic(expr)
    return TextPrinter(notation, form, kinds, total, keeps_order(expr)).doprint(expr)
