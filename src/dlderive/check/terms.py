"""What a relation is made of: unknowns (quantities the document does not define), matrix statements,
literal numbers, entries of defined templates, and how they are shown in the document's own names."""
from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef

from ..reader import Context, Decimal, exact, transpose
from ..reader.context import diag_of
from .errors import Undefined, Unverifiable
from .evaluate import compile_expr, evaluate, show
from .scope import Scope, Unknown


def _template_of(name: sp.Symbol, scope: Scope):
    """J_ij (or J_{ij}) defined before, for a name J_12: the template this name is an entry of."""
    base, _, sub = name.name.partition("_")
    if not sub or not sub.isdigit():
        return None
    whole = sp.Symbol(base, real=True)
    if whole in scope.defs:
        return whole
    for k in scope.defs:
        kb, _, ks = k.name.partition("_")
        if kb == base and len(ks) == len(sub) and all(c in "ijklmn" for c in ks):
            return k
    return None


def _gradient_name(name: sp.Symbol, context: Context, scope: Scope) -> str | None:
    """δh_t, δ\\tilde C_t, δa^o_t: the name of a quantity written after δ, if it is one."""
    shown = context.written.get(name.name, "")
    m = re.match(r"\\(delta|Delta)\s+(.+)$", shown)
    if m:
        return m.group(2).strip()
    m = re.fullmatch(r"(delta|Delta)([A-Za-z].*)", name.name)
    if m and not name.name.startswith(("delta_", "Delta_")):
        return context.written.get(m.group(2), m.group(2))
    return None


def _with_unchecked(reason: str, lines: list) -> str:
    where = ", ".join(str(n) for n in lines[:4])
    return f"{reason}, with values stated on line{'s' if len(lines) > 1 else ''} {where} that are not checked"


def outcome_is_identity(lhs, rhs, defs) -> bool:
    """The relation involves functions or derivatives (σ, tanh, e^x, f'): an identity, not an equation to solve."""
    exprs = [lhs, rhs, *defs.values()]
    for e in exprs:
        if not isinstance(e, sp.Basic):
            continue
        for node in sp.preorder_traversal(e):
            if isinstance(node, (sp.Derivative, Unknown)) or (
                    isinstance(node, sp.Function) and not isinstance(node, (sp.floor, sp.ceiling, sp.Abs))):
                return True
    return False


def _is_literal(value) -> bool:
    """A number as written: 3, -2, 0.5933, (5, 5)."""
    if isinstance(value, (sp.Number, Decimal)):
        return True
    return isinstance(value, sp.Mul) and len(value.args) == 2 and value.args[0] == -1 and \
        isinstance(value.args[1], (sp.Number, Decimal))


def _number(e) -> str:
    """A value as the document wrote it: 0.1, not 1/10."""
    return e.name if isinstance(e, Decimal) else show_expr(e)


def show_expr(e) -> str:
    try:
        return show(evaluate(compile_expr(exact(e)), {}))
    except (Unverifiable, Undefined):
        return str(e)


def _names(*exprs) -> set:
    return {s for e in exprs if isinstance(e, sp.Basic) for s in e.free_symbols
            if not isinstance(s, (Decimal, Unknown))}


def _opaque(lhs, rhs, defs, scope: Scope):
    """Applications of functions the document does not define, their derivatives and named operators
    become unknowns: a relation must hold whatever they are."""
    constants = {s for e in [lhs, rhs, *defs.values()] if isinstance(e, sp.Basic) for s in e.free_symbols
                 if s.name in ("const", "constant", "Const", "cst")}
    if constants:  # "+ const": some constant, whatever it is
        named = {c: Unknown.of("const", "the constant is not given") for c in constants}
        lhs, rhs = lhs.xreplace(named), rhs.xreplace(named)
        defs = {k: v.xreplace(named) if isinstance(v, sp.Basic) else v for k, v in defs.items()}
    everything = [lhs, rhs, *defs.values()]
    primes = {p for e in everything if isinstance(e, sp.Basic) for p in e.free_symbols
              if scope.context is not None and p in scope.context.primes}
    if primes:
        named = {p: Unknown.of(scope.shown(p), f"{scope.shown(p)} is the derivative of "
                 f"{scope.shown(scope.context.primes[p][0])}, which is not defined here as a formula in one variable")
                 for p in primes}
        lhs, rhs = lhs.xreplace(named), rhs.xreplace(named)
        defs = {k: v.xreplace(named) if isinstance(v, sp.Basic) else v for k, v in defs.items()}
        everything = [lhs, rhs, *defs.values()]
    found = set()
    for e in everything:
        if isinstance(e, sp.Basic):
            for node in sp.preorder_traversal(e):
                if isinstance(node, (sp.Derivative, sp.Subs)) and node.atoms(AppliedUndef):
                    found.add(node)
                elif isinstance(node, AppliedUndef):
                    found.add(node)
    if not found:
        return lhs, rhs, defs
    # outermost first: a derivative of f(x) is one unknown, not a derivative of an unknown
    mapping = {}
    for node in sorted(found, key=lambda n: -sp.count_ops(n, visual=False) - len(str(n))):
        shown = _show_unknown(node, scope)
        about = f"{_function_name(node, scope)} is not defined here"
        mapping[node] = Unknown.of(shown, about)
    swap = lambda e: e.xreplace(mapping) if isinstance(e, sp.Basic) else e  # noqa: E731
    return swap(lhs), swap(rhs), {k: swap(v) for k, v in defs.items()}


def _function_name(node, scope) -> str:
    apps = node.atoms(AppliedUndef) if not isinstance(node, AppliedUndef) else {node}
    names = sorted({type(a).__name__ for a in apps})
    return ", ".join(scope.context.written.get(n, n) if scope.context else n for n in names)


def _show_unknown(node, scope) -> str:
    if isinstance(node, AppliedUndef):
        name = type(node).__name__
        shown = scope.context.written.get(name, name) if scope.context else name
        return f"{shown}({', '.join(scope.shown(a) for a in node.args)})"
    return str(node)


def _unknown_reason(unknowns: list, context: Context, model: str | None) -> str:
    about = "; ".join(dict.fromkeys(u.about for u in unknowns[:3]))
    hint = ""
    if not model and any(re.search(r"[fiocuhz]_(t|prev)", u.name) or "_t" in u.about for u in unknowns):
        hint = "; add --model lstm (or gru, rnn) if these are a cell's quantities, or define them"
    else:
        hint = "; define it to check this step"
    return f"depends on what the document does not define: {about}{hint}"


def _matrix_product(a, b, scope: Scope) -> bool:
    """A product with two or more factors that are matrices (written, or names defined as matrices)."""
    def is_matrix(f):
        f = f.args[0] if isinstance(f, (transpose, sp.Pow)) else f
        if isinstance(f, sp.MatrixBase):
            return f.shape != (1, 1)
        value = scope.defs.get(f, scope.values.get(f)) if isinstance(f, sp.Symbol) else None
        return isinstance(value, sp.MatrixBase) and value.shape != (1, 1)
    for e in (a, b):
        for m in e.atoms(sp.Mul):
            if sum(1 for f in m.args if is_matrix(f)) >= 2:
                return True
    return False


def _matrix_marked(a, b) -> bool:
    """A transpose or a diag(·) is written: a statement about matrices, whatever the model."""
    return any(isinstance(e, sp.Basic) and e.atoms(transpose, diag_of) for e in (a, b))


def _matrix_sensitive(a, b, scope: Scope) -> bool:
    """The relation's truth may depend on the order of products or on transposes: it has a transpose, or a
    product of two factors that are not numbers, one of them a matrix name (a capital the document does not
    define as a number, or a bold capital)."""
    def matrix_like(f) -> bool:
        for s in f.free_symbols:
            written = scope.shown(s)
            if s.name[:1].isupper() and (s not in scope.defs or isinstance(scope.defs[s], sp.MatrixBase)) \
                    and s not in scope.values:
                return True
            if re.match(r"\\(mathbf|boldsymbol|bm)\{?[A-Z]", written):
                return True
        return False
    for e in (a, b):
        if e.atoms(transpose):
            return True
        for m in e.atoms(sp.Mul):
            named = [f for f in m.args if not f.is_Number]
            if len(named) >= 2 and any(matrix_like(f) for f in named):
                return True
    return False


def _written_precision(exprs) -> str:
    decimals = [d for e in exprs for d in e.atoms(Decimal)]
    if not decimals:
        return ""
    finest = min(d.unit for d in decimals)
    places = len(str(finest.q)) - 1
    return f" (to {places} decimal place{'s' if places != 1 else ''})"


def _shown_point(env: dict, scope: Scope) -> str:
    return ", ".join(f"{scope.shown(s)} = {show(v)}" for s, v in sorted(env.items(), key=lambda kv: kv[0].name))


def _in_terms_of(model_value: sp.Basic, written: sp.Basic, defs: dict) -> sp.Basic:
    """The model's expression with the names the document did not write replaced by their definitions."""
    for _ in range(5):
        subs = {s: defs[s] for s in model_value.free_symbols if s in defs and s not in written.free_symbols}
        if not subs:
            break
        model_value = model_value.xreplace(subs)
    return model_value
