"""Sums, products and indices: ``\\sum_{k=1}^{K} y_k``, ``\\sum_j``, δ_ij, free indices i and j.

A sum with number bounds is written out term by term, each term with its index put into the names
(y_k -> y_2, as the document writes components). One whose bounds are sizes (K, n, T) or that has no
bounds is checked at several sizes, and free indices at every value up to that size: a relation that
holds at each of them is valid, the sizes are named in the reason."""
from __future__ import annotations

import dataclasses
import itertools
import re

import sympy as sp

from .entries import superscript_entries
from .errors import Unverifiable

SIZES = (1, 2, 3)
SIZE = "#size"  # the key of the size in the index values that instances() yields
HOT = "#hot:"  # the key prefix of the one-hot position of a family in them (#hot:y)
INDEX_LETTERS = frozenset("ijklmn")
MAX_TERMS = 64


def _bigops(*exprs):
    return [node for e in exprs if isinstance(e, sp.Basic) for node in e.atoms(sp.Sum, sp.Product)]


def _free_indices(exprs, bound: set, letters=INDEX_LETTERS) -> list:
    """Index letters that appear as a whole subscript of a name but are bound by no sum: i in p_i."""
    found = set()
    for e in exprs:
        if not isinstance(e, sp.Basic):
            continue
        for s in e.free_symbols:
            base, _, sub = s.name.partition("_")
            if base and sub and all(c in letters for c in sub) and len(sub) <= 2:
                found |= set(sub)
        for piecewise in e.atoms(sp.Piecewise):  # 𝟙[j = k]: the letters of its condition
            found |= {s.name for _, cond in piecewise.args for s in cond.free_symbols if s.name in letters}
    return sorted(found - {b.name for b in bound})


def _named(scope) -> set:
    """The names the document defines or gives a value: never index letters."""
    return {s.name for s in scope.defs} | {s.name for s in scope.values}


def _families(scope, letters) -> set:
    """The bases of the templates the document defines: p of p_j = …"""
    return {d.name.partition("_")[0] for d in scope.defs if _template_key(d, letters)}


def index_letters(scope, case=None) -> frozenset:
    """The index letters of a relation: i to n, the letters the document uses as indices (Σ_w, w ≠ o), and those
    of the case stated for it (c = y); none that names a quantity the document defines or gives a value."""
    named = _named(scope)
    extra = set(getattr(scope, "index_letters", ())) | set(case[:2] if case else ())
    return INDEX_LETTERS | {c for c in extra if c not in named}


def needs_indices(a, b, scope) -> bool:
    """The relation has a sum or product, a δ_ij, or a name whose definition is a template (p_j = …)."""
    exprs = [a, b] + [scope.defs[s] for s in scope.reachable_names(a, b) if s in scope.defs]
    if _bigops(*exprs):
        return True
    names = {s.name for e in (a, b) for s in e.free_symbols}
    letters, _ = _relation_letters(a, b, scope)
    families = _families(scope, letters)
    return any(re.fullmatch(r"delta_[ijklmn]{2}", n) for n in names) or any(
        _template_key(s, letters) and s.name.partition("_")[0] in families for e in (a, b) for s in e.free_symbols)


def _relation_letters(a, b, scope, case=None) -> tuple[frozenset, list]:
    """The index letters of a relation, and the definitions it uses that are not templates (L = -log ŷ_k), whose
    indices are the relation's too."""
    letters = index_letters(scope, case)
    reachable = [s for s in scope.reachable_names(a, b) if s in scope.defs]
    fixed = [scope.defs[s] for s in reachable if not _template_key(s, letters)]
    letters = letters | _entry_letters([a, b, *fixed], scope, letters)
    return letters, [scope.defs[s] for s in reachable if not _template_key(s, letters)]


def _entry_letters(exprs, scope, letters) -> set:
    """Letters written as the index of an entry of a family defined by a template (p_y for p_c = …, the true class
    y), or compared with an index in an indicator (𝟙[j = y]), that name no defined quantity."""
    named, families = _named(scope), _families(scope, letters)
    found = set()
    for e in exprs:
        if not isinstance(e, sp.Basic):
            continue
        for s in e.free_symbols:
            base, _, sub = s.name.partition("_")
            if base in families and len(sub) == 1 and sub.isalpha():
                found.add(sub)
        for piecewise in e.atoms(sp.Piecewise):
            for _, cond in piecewise.args:
                if isinstance(cond, (sp.Eq, sp.Ne)) and all(isinstance(x, sp.Symbol) for x in cond.args) and \
                        {x.name for x in cond.args} & set(letters):
                    found |= {x.name for x in cond.args if len(x.name) == 1}
    return {c for c in found if c not in named and c.islower() and c != "t"}


def _template_key(s, letters=INDEX_LETTERS) -> bool:
    base, _, sub = s.name.partition("_")
    return bool(base) and bool(sub) and len(sub) <= 2 and all(c in letters for c in sub)


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
    letters, fixed = _relation_letters(a, b, scope, case)
    template = lambda s: _template_key(s, letters)  # noqa: E731
    free = _free_indices([a, b, *fixed], bound, letters)
    size_names = sorted(sizes, key=lambda s: s.name)
    shown_sizes = [s for s in size_names if not s.name.endswith(("_first", "_last"))]
    if not free and not sizes:
        yield _expand(a, {}, 0), _expand(b, {}, 0), scope.instanced(0, _expand, _rename, template), "", {}
        return
    for n in scope.sizes(size_names, a, b, SIZES):
        env = {s: n for s in size_names}
        instanced = scope.instanced(n, lambda e, sz, m: _expand(e, {**env, **sz}, m), _rename, template)
        sized = {s: sp.Integer(n) for s in shown_sizes}  # a size written in the relation takes its value
        for combo, (given, shown, hot) in itertools.product(itertools.product(range(1, n + 1), repeat=len(free)),
                                                           _family_values(scope.family_sums, n)):
            index = dict(zip(free, combo))
            if holds_case(index, case) is False:
                continue
            values = {**sized, **given}
            inner = dataclasses.replace(instanced, defs={k: _instance_def(v, index, template, k).xreplace(values)
                                                         if isinstance(v, sp.Basic) else v
                                                         for k, v in instanced.defs.items()})
            label = ", ".join([f"{s.name} = {n}" for s in shown_sizes] + [f"{i} = {v}" for i, v in index.items()]
                              + shown)
            # renamed again once the sums are written out: X_{nd} of Σ_d is X_{n2}, then X_{12}
            sides = [_rename(_expand(_rename(e, index), env, n), index).xreplace(values) for e in (a, b)]
            yield (*sides, inner,
                   f"at sizes 1 to {SIZES[-1]} and every index" + (f" with {case[0]} {case[2]} {case[1]}" if
                                                                    holds_case(index, case) else "")
                   + (f"; here {label}" if label else ""), {**index, SIZE: n, **hot})


def rescued(index: dict, held: set, letters) -> bool:
    """A failure at these index values that holds once a one-hot position equals one of ``letters`` (the class c of
    Σ_k y_k log p_k = log p_c, with y one-hot at c): the text may tie the two."""
    return any(frozenset({**index, key: index[letter]}.items()) in held
               for key in index if key.startswith(HOT) for letter in letters if letter in index)


def _instance_def(value, index: dict, template, key):
    """A definition at the index values of a relation: L = -log ŷ_k, with k the relation's class index, is
    -log ŷ_2 where k = 2; a template (p_k = …) keeps its own letter, and a sum not written out is left alone."""
    if template(key) or not index or value.atoms(sp.Sum, sp.Product):
        return value
    return _rename(value, index)


def family_sum(a, b, scope):
    """(y, 1) for Σ_{k=1}^{K} y_k = 1 with y a family the document does not define; else None."""
    for total, s in ((a, b), (b, a)):
        if not (isinstance(s, sp.Sum) and len(s.limits) == 1 and isinstance(total, sp.Number)):
            continue
        k, lo, _ = s.limits[0]
        base, _, sub = s.function.name.partition("_") if isinstance(s.function, sp.Symbol) else ("", "", "")
        defined = {d.name.partition("_")[0] for d in (*scope.defs, *scope.values)}
        if base and sub == k.name and lo == 1 and base not in defined:
            return base, total
    return None


def _family_values(sums: dict, n: int):
    """For each way of meeting the stated sums of families at size n: (values of entries, how it is shown).
    A one-hot family takes each of its n one-hot values; another has its last entry fixed by the sum."""
    choices = [[({}, [], {})]]
    for base, (total, one_hot) in sorted(sums.items()):
        entries = [sp.Symbol(f"{base}_{k}", real=True) for k in range(1, n + 1)]
        if one_hot and total == 1:
            choices.append([({e: sp.Integer(int(k == h)) for k, e in enumerate(entries)}, [f"{base} one-hot at {h + 1}"],
                             {f"{HOT}{base}": h + 1}) for h in range(n)])
        else:
            choices.append([({entries[-1]: total - sp.Add(*entries[:-1])}, [], {})])
    for combo in itertools.product(*choices):
        yield ({k: v for given, _, _ in combo for k, v in given.items()}, [x for _, shown, _ in combo for x in shown],
               {k: v for _, _, hot in combo for k, v in hot.items()})


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
        if all(c in INDEX_LETTERS or c in index or c.isdigit() for c in sub) and len(sub) <= 3:
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
