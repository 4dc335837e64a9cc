"""Cases of indices: "for $i \\neq j$, …", "… \\quad (i = j)", "When $k = l$:" before a display; which relation
each one governs, and whether the text near a relation speaks of a case at all.

A case written before a relation in the same math (or just before a display, "For $i \\neq j$," then $$…$$)
governs the chain after it; one written right after a relation ("… = -p_i p_j \\quad (i \\neq j)", "…, \\text{ if }
i = j") governs that relation. Any single letter may be an index of a case (w ≠ o, c = y)."""
from __future__ import annotations

import re

import sympy as sp

from ..reader import Statement

Case = tuple  # ("i", "j", "=") or ("w", "o", "≠")


def index_case(terms, rels, rel_sources, condition: bool) -> Case | None:
    """("i", "j", "=") for a condition between two single letters (``for i = j``, ``(w \\neq o)``), else None."""
    if not condition or len(terms) != 2 or len(rels) != 1:
        return None
    a, b = terms[0].expr, terms[1].expr
    if terms[0].error or terms[1].error or not (isinstance(a, sp.Symbol) and isinstance(b, sp.Symbol)):
        return None
    if len(a.name) != 1 or len(b.name) != 1 or a == b or not (a.name + b.name).isalpha():
        return None
    if rels[0] == "=":
        return a.name, b.name, "="
    if rels[0] == "other" and rel_sources[0].strip() in ("\\neq", "\\ne"):
        return a.name, b.name, "≠"
    return None


def statement_case(st) -> Case | None:
    if not isinstance(st, Statement):
        return None
    return index_case(st.terms, st.rels, st.rel_sources, st.condition)


def governing_cases(items) -> list:
    """For each (statement, chunk) of a document in order, the case of indices that governs it, or None.

    A case first in its math governs the chain after it; a case right after a relation that no case leads
    governs that relation; a chunk marked ``governs_next`` (a case that ends its sentence before a display)
    lends its case to the first chain of the next display."""
    out: list = [None] * len(items)
    led = [False] * len(items)
    pending, carried = None, None
    for k, (st, chunk) in enumerate(items):
        if not isinstance(st, Statement):
            pending = carried = None
            continue
        same_chunk = k > 0 and items[k - 1][1] is chunk and isinstance(items[k - 1][0], Statement)
        case = statement_case(st)
        if case is not None:
            if same_chunk and statement_case(items[k - 1][0]) is None and not led[k - 1]:
                out[k - 1], pending = case, None  # "… = -p_i p_j \quad (i ≠ j)"
            else:
                pending = case
            last_in_chunk = k + 1 == len(items) or items[k + 1][1] is not chunk
            carried = case if last_in_chunk and getattr(chunk, "governs_next", False) else None
            continue
        if pending is not None and same_chunk:
            out[k], led[k] = pending, True
        elif carried is not None and not same_chunk and chunk.kind == "block":
            out[k], led[k] = carried, True
        elif st.lead in ("=", "def", "other") and k > 0 and statement_case(items[k - 1][0]) is None:
            out[k], led[k] = out[k - 1], led[k - 1]  # "&= …" on the next row: the same chain, the same case
        pending = carried = None
    return out


def document_index_letters(items, governing) -> frozenset:
    """Letters the document uses as indices besides i to n: those bound by a sum (Σ_w, Σ_{c=1}^{C}) and those of
    its stated cases (w ≠ o, c = y); t stays the step of a recurrence."""
    found = {letter for case in governing if case for letter in case[:2]}
    for st, _ in items:
        for term in getattr(st, "terms", ()):
            if isinstance(term.expr, sp.Basic):
                found |= {str(limit[0]) for node in term.expr.atoms(sp.Sum) for limit in node.limits}
        found |= _template_letter(st)
    return frozenset(c for c in found if len(c) == 1 and c.islower() and c != "t")


_FAMILY_CONDITION = re.compile(r"one[- ]?hot|probabilit|distribution|simplex|sums? to (?:one|1)|normali[sz]|unit (?:vector|"
                               r"norm|length)|orthonormal|orthogonal|indicator|\\sum(?:_\{[^{}]*\}|_[a-z])?(?:\^\{[^{}]*\}|\^\w)?"
                               r"\s*(?:\\[a-z]+\s*\{?)?[A-Za-z]\}?_\{?[a-z]\}?\s*=\s*1(?![\d.])", re.I)
"""Words and relations of a condition on a family: one-hot, a probability vector, Σ_k y_k = 1, unit vectors."""


def states_family_condition(text: str) -> bool:
    """Whether the document speaks of a condition on a family of quantities (one-hot, a probability vector,
    Σ_k y_k = 1, unit vectors), under which a relation false in general may hold."""
    return _FAMILY_CONDITION.search(text) is not None


def _template_letter(st) -> set:
    """{"c"} for a definition of a family entry by an entry of a family it also sums, p_c = e^{z_c} / Σ_k e^{z_k}
    (not the gate label o of a_o = w_o x_t + b_o)."""
    if not isinstance(st, Statement) or st.lead or len(st.terms) < 2 or st.rels[0] not in ("=", "def"):
        return set()
    name, value = st.terms[0].expr, st.terms[1].expr
    if not isinstance(name, sp.Symbol) or not isinstance(value, sp.Basic):
        return set()
    base, _, sub = name.name.partition("_")
    summed = {s.name.partition("_")[0] for node in value.atoms(sp.Sum) for s in node.function.free_symbols
              if s.name.partition("_")[2] in {str(limit[0]) for limit in node.limits}}  # z of Σ_k e^{z_k}
    used = {s.name.partition("_")[2] for s in value.free_symbols if s != name and s.name.partition("_")[0] in summed}
    return {sub} if base and len(sub) == 1 and sub in used else set()


def whole_names(items) -> frozenset:
    """The names a document writes whole, without an index (J = diag(p) - p p^T, x = (1, 2)): a family written
    whole may be defined or constrained as a whole, beyond what the reading of its entries sees."""
    return frozenset(s.name for st, _ in items for term in getattr(st, "terms", ()) if isinstance(term.expr, sp.Basic)
                     for s in term.expr.free_symbols if "_" not in s.name)


_CASE_WORDS = re.compile(r"diagonal|same ind|indices (?:are )?(?:equal|differ|coincide)|(?:equal|different|distinct) "
                         r"ind|(?<![A-Za-z])cases?\b|otherwise", re.I)


def mentions_case(window: str, letters) -> bool:
    """Whether text near a relation speaks of a case of its indices: i = j, i ≠ j (of two of ``letters``), the
    diagonal, the same index, a case."""
    if _CASE_WORDS.search(window):
        return True
    names = "".join(sorted(set(letters)))
    if len(names) < 2:
        return False
    pair = rf"(?<![A-Za-z\\])[{names}]\s*(?:=|\\neq?(?![A-Za-z])|\\not\s*=|≠|!=)\s*[{names}](?![A-Za-z])"
    return re.search(pair, window) is not None


def nearby_text(text: str, start: int, end: int) -> str:
    """The paragraph around ``text[start:end]`` and the one before it, which often introduces a display (blank
    lines end paragraphs; at most 1500 characters before)."""
    para_start = text.rfind("\n\n", max(0, start - 1500), start)
    para_start = max(0, start - 1500) if para_start < 0 else para_start
    previous = text.rfind("\n\n", max(0, para_start - 1500), para_start)
    previous = max(0, para_start - 1500) if previous < 0 else previous
    para_end = text.find("\n\n", end, end + 1500)
    para_end = min(len(text), end + 1500) if para_end < 0 else para_end
    return text[previous:para_end]


def claimed_for_every_index(a, b, case: Case | None, nearby: str) -> bool:
    """A relation with free indices, no case stated for it, claims to hold at every value of them: when its own
    cases (a cases block on i = j) cover them, or when the text around it names no case (i = j, the diagonal)."""
    if case is not None:
        return False
    letters = {c for e in (a, b) if isinstance(e, sp.Basic) for s in e.free_symbols
               for c in s.name.partition("_")[2] if c.isalpha()}
    for e in (a, b):
        if isinstance(e, sp.Basic) and any(
                {s.name for s in cond.free_symbols} & letters for p in e.atoms(sp.Piecewise) for _, cond in p.args):
            return True  # \begin{cases} … & i = j \\ … & i \neq j \end{cases}: each value of the indices has its branch
    return not mentions_case(nearby, letters)
