"""Sums, products and indices: ``\\sum_{k=1}^{K} y_k``, ``\\sum_j``, δ_ij, free indices i and j.

A sum with number bounds is written out term by term, each term with its index put into the names
(y_k -> y_2, as the document writes components). One whose bounds are sizes (K, n, T) or that has no
bounds is checked at several sizes, and free indices at every value up to that size: a relation that
holds at each of them is valid, the sizes are named in the reason."""
from __future__ import annotations

import itertools
import re

import sympy as sp

from .entries import superscript_entries
from .errors import Unverifiable

SIZES = (1, 2, 3)
SIZE = "#size"  # the key of the size in the index values that instances() yields
INDEX_LETTERS = frozenset("ijklmn")
MAX_TERMS = 64


def _bigops(*exprs):
    return [node for e in exprs if isinstance(e, sp.Basic) for node in e.atoms(sp.Sum, sp.Product)]


def _free_indices(exprs, bound: set) -> list:
    """Index letters that appear as a whole subscript of a name but are bound by no sum: i in p_i."""
    found = set()
    for e in exprs:
        if not isinstance(e, sp.Basic):
            continue
        for s in e.free_symbols:
            base, _, sub = s.name.partition("_")
            if base and sub and all(c in INDEX_LETTERS for c in sub) and len(sub) <= 2:
                found |= set(sub)
    return sorted(found - {b.name for b in bound})


def needs_indices(a, b, scope) -> bool:
    """The relation has a sum or product, a δ_ij, or a name whose definition is a template (p_j = …)."""
    exprs = [a, b] + [scope.defs[s] for s in scope.reachable_names(a, b) if s in scope.defs]
    if _bigops(*exprs):
        return True
    names = {s.name for e in (a, b) for s in e.free_symbols}
    return any(re.fullmatch(r"delta_[ijklmn]{2}", n) for n in names) or any(
        _template_key(s) and s in scope.defs for e in (a, b) for s in e.free_symbols)


def _template_key(s) -> bool:
    base, _, sub = s.name.partition("_")
    return bool(base) and bool(sub) and len(sub) <= 2 and all(c in INDEX_LETTERS for c in sub)


def holds_case(index: dict, case) -> bool | None:
    """Whether index values satisfy a stated case ("i", "j", "=" or "≠"); None if the case names no free index."""
    if case is None or case[0] not in index or case[1] not in index:
        return None
    return (index[case[0]] == index[case[1]]) == (case[2] == "=")


def instances(a, b, scope, case=None):
    """(a, b, scope, label, index) at each size and each value of the free indices (only those in the stated
    ``case``, such as i ≠ j, when it names them); sums written out."""
    exprs = [a, b] + [scope.defs[s] for s in scope.reachable_names(a, b) if s in scope.defs]
    bound = {index for node in _bigops(*exprs) for index, _, _ in node.limits}
    sizes = set()
    for node in _bigops(*exprs):
        for _, lo, hi in node.limits:
            sizes |= (lo.free_symbols | hi.free_symbols) - bound  # Σ_{i=1}^{n} Σ_{j=1}^{i}: n, not i
    free = _free_indices([a, b], bound)
    size_names = sorted(sizes, key=lambda s: s.name)
    shown_sizes = [s for s in size_names if not s.name.endswith(("_first", "_last"))]
    if not free and not sizes:
        yield _expand(a, {}, 0), _expand(b, {}, 0), scope.instanced(0, _expand, _rename, _template_key), "", {}
        return
    for n in scope.sizes(size_names, a, b, SIZES):
        env = {s: n for s in size_names}
        inner = scope.instanced(n, lambda e, sz, m: _expand(e, {**env, **sz}, m), _rename, _template_key)
        for combo in itertools.product(range(1, n + 1), repeat=len(free)):
            index = dict(zip(free, combo))
            if holds_case(index, case) is False:
                continue
            label = ", ".join([f"{s.name} = {n}" for s in shown_sizes] + [f"{i} = {v}" for i, v in index.items()])
            sized = {s: sp.Integer(n) for s in shown_sizes}  # a size written in the relation takes its value
            yield (_expand(_rename(a, index), env, n).xreplace(sized), _expand(_rename(b, index), env, n).xreplace(sized),
                   inner,
                   f"at sizes 1 to {SIZES[-1]} and every index" + (f" with {case[0]} {case[2]} {case[1]}" if
                                                                    holds_case(index, case) else "")
                   + (f"; here {label}" if label else ""), {**index, SIZE: n})


def _expand(e, sizes: dict, n: int):
    """Sums and products with bounds known (numbers, or sizes given in ``sizes``) written out."""
    if not isinstance(e, sp.Basic) or not e.atoms(sp.Sum, sp.Product):
        return e
    for _ in range(8):
        nodes = [x for x in e.atoms(sp.Sum, sp.Product) if not x.atoms(sp.Sum, sp.Product) - {x}]
        if not nodes:
            return e
        mapping = {}
        for node in nodes:
            # over several indices (SymPy merges a sum of a sum): the outermost first, the rest in the next round,
            # so that an inner bound may name an outer index (Σ_i Σ_{j=1}^{i})
            *inner, (index, lo, hi) = node.limits
            body = type(node)(node.function, *inner) if inner else node.function
            lo = _bound(lo, sizes, n, lower=True)
            hi = _bound(hi, sizes, n, lower=False)
            if hi - lo + 1 > MAX_TERMS:
                raise Unverifiable(f"a sum of {hi - lo + 1} terms is not written out (limit {MAX_TERMS})")
            terms = [_rename(body, {index.name: k}) for k in range(lo, hi + 1)]
            mapping[node] = sp.Add(*terms) if isinstance(node, sp.Sum) else sp.Mul(*terms)
        e = e.xreplace(mapping)
    raise Unverifiable("sums nested too deeply")


def _bound(b, sizes: dict, n: int, lower: bool) -> int:
    if isinstance(b, sp.Symbol) and b.name.endswith("_first"):
        return 1
    if isinstance(b, sp.Symbol) and b.name.endswith("_last"):
        return n
    value = sp.sympify(b).xreplace({s: sp.Integer(v) for s, v in sizes.items()})
    if n and value.free_symbols:  # every size is instantiated at the same n
        value = value.xreplace({s: sp.Integer(n) for s in value.free_symbols})
    if not value.is_Integer:
        raise Unverifiable(f"the bound {b} of a sum is not a whole number")
    return int(value)


def _rename(e, index: dict):
    """Put index values into names: y_k -> y_2, w_{jk} -> w_{j2}, δ_{ij} -> 1 or 0, k -> 2."""
    if not isinstance(e, sp.Basic) or not index:
        return e
    mapping = superscript_entries(e, index)
    for s in e.free_symbols:
        if s.name in index:
            mapping[s] = sp.Integer(index[s.name])
            continue
        base, _, sub = s.name.partition("_")
        if not sub:
            continue
        if all(c in INDEX_LETTERS or c.isdigit() for c in sub) and len(sub) <= 3:
            new_sub = "".join(str(index[c]) if c in index else c for c in sub)
        else:
            new_sub = re.sub(r"(?<![A-Za-z])([a-z])(?![A-Za-z])", lambda m: str(index.get(m.group(1), m.group(1))), sub)
        if new_sub == sub:
            continue
        if base == "delta" and len(new_sub) == 2 and new_sub.isdigit():
            mapping[s] = sp.Integer(int(new_sub[0] == new_sub[1]))
        else:
            mapping[s] = sp.Symbol(f"{base}_{new_sub}", real=True)
    return e.xreplace(mapping)
