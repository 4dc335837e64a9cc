"""Breaking long right-hand sides into align* rows: at the terms of a sum, inside the widest sum.

Rows are segments of one expression; ``balance`` closes every row's open ``\\left`` with
``\\right.`` and reopens it with ``\\left.`` on the next row, so each row is valid LaTeX.
"""
from __future__ import annotations

import re
from typing import Callable

import sympy as sp

from .printer import BREAK_MARK, conventional_order, in_print_order, keeps_order, matrix_terms, negative_term

_TOKEN = re.compile(r"\\frac|\\(?:left|right)(?![A-Za-z])|\\[A-Za-z]+|\\.|[{}^_]|\s|.")
_WIDE = {"+": 2.2, "-": 2.2, "=": 2.2, r"\circ": 2.2, r"\odot": 2.2, r"\cdot": 1.6}
_ZERO = {"\\left", "\\right", "{", "}", " ", "\\operatorname", "\\mathrm", "\\text", "\\,", "\\quad"}


def visual_width(tex: str) -> float:
    """Rough printed width of math ``tex`` in characters: fractions count their wider part."""
    width, i, tokens = 0.0, 0, _TOKEN.findall(tex)

    def group(k: int) -> tuple[str, int]:
        """The {...} group starting at token k: its text and the index after it."""
        depth, start = 0, k
        while k < len(tokens):
            depth += tokens[k] == "{"
            depth -= tokens[k] == "}"
            k += 1
            if depth == 0:
                break
        return "".join(tokens[start + 1:k - 1]), k

    while i < len(tokens):
        t = tokens[i]
        if t == r"\frac" and i + 1 < len(tokens) and tokens[i + 1] == "{":
            num, i = group(i + 1)
            den, i = group(i) if i < len(tokens) and tokens[i] == "{" else ("", i)
            width += max(visual_width(num), visual_width(den)) + 0.6
            continue
        if t in "^_" and i + 1 < len(tokens):
            if tokens[i + 1] == "{":
                body, i = group(i + 1)
            else:
                body, i = tokens[i + 1], i + 2
            width += 0.7 * visual_width(body)
            continue
        width += 0 if t in _ZERO else _WIDE.get(t, 1.0)
        i += 1
    return width


def break_expr(expr: sp.Basic, tex: Callable[..., str], budget: float) -> list[str]:
    """LaTeX rows of ``expr``, each within ``budget`` (rows may be unbalanced): at the terms of a sum first,
    inside the widest sum next, and a row still too wide at its shallowest operator or between two factors.

    ``tex(expr, keep_order=None)`` prints one expression the way the whole derivation is printed.
    """
    rows = _break_expr(expr, tex, budget)
    return [piece for row in rows for piece in split_row(row, budget)]


_BINARY = {"+", "-", r"\circ", r"\odot", r"\cdot", r"\times"}
_OPENING = {"(", "[", "{", "+", "-", "=", r"\circ", r"\odot", r"\cdot", r"\times", r"\left", "&", ","}
_NOT_A_FACTOR = _BINARY | {"^", "_", r"\right", ")", "]", "}", "&", "=", ",", "'"}


def _break_points(tokens: list[str]) -> list[tuple[int, float]]:
    """(token index, \\left depth) of the places a row may be broken: before a binary operator, or between two
    factors (after a closing bracket, a fraction or a script), outside every {...} group and environment; never
    between a function and its argument."""
    points, openers, depth, env, previous, closed = [], [], 0, 0, None, None
    for i, t in enumerate(tokens):
        if t.isspace():
            continue
        if not openers and not env and previous is not None:
            if t in _BINARY and previous not in _OPENING:
                points.append((i, depth))
            elif t not in _NOT_A_FACTOR and (previous in (")", "]") or (previous == "}" and closed == "}")):
                points.append((i, depth + 0.5))  # between two factors: after an operator of the same depth
        closed = None
        if t == "{":
            openers.append(previous)
        elif t == "}" and openers:
            closed = openers.pop()
        elif t == "\\left":
            depth += 1
        elif t == "\\right":
            depth -= 1
        elif t == "\\begin":
            env += 1
        elif t == "\\end":
            env -= 1
        previous = t
    return points


def split_row(row: str, budget: float) -> list[str]:
    """``row`` in pieces within ``budget`` where it has break points: each break at the shallowest point
    that leaves the piece at least half full (the latest of those), the rest split again."""
    if budget < 12 or visual_width(row) <= budget:
        return [row]
    tokens = _TOKEN.findall(row)
    fitting = [(i, d) for i, d in _break_points(tokens) if visual_width("".join(tokens[:i])) <= budget]
    full = [(i, d) for i, d in fitting if visual_width("".join(tokens[:i])) >= budget / 2] or fitting
    if not full:
        return [row]
    shallowest = min(d for _, d in full)
    cut = max(i for i, d in full if d == shallowest)
    head, rest = "".join(tokens[:cut]).rstrip(), "".join(tokens[cut:]).lstrip()
    if shallowest != int(shallowest):  # a product continued on the next row starts with its sign
        rest = "\\cdot " + rest
    return [head, *split_row(rest, budget)]


def _break_expr(expr: sp.Basic, tex: Callable[..., str], budget: float) -> list[str]:
    whole = tex(expr)
    if visual_width(whole) <= budget or budget < 12:
        return [whole]
    if isinstance(expr, (sp.Add, sp.MatAdd)):
        return _break_sum(expr, tex, budget)
    return _break_inside(expr, tex, budget, whole)


def _break_sum(expr, tex, budget: float) -> list[str]:
    if isinstance(expr, sp.MatAdd):
        terms = matrix_terms(expr)
    else:
        terms = list(expr.args) if keeps_order(expr) else conventional_order(expr.as_ordered_terms())
    rows, current = [], ""
    for i, term in enumerate(terms):
        negative = i > 0 and (negative_term(term) if isinstance(expr, sp.MatAdd) else term.could_extract_minus_sign())
        pieces = _break_expr(-term if negative else term, tex, budget - 3)
        sign = "" if i == 0 else ("- " if negative else "+ ")
        pieces[0] = sign + pieces[0]
        if current and len(pieces) == 1 and visual_width(current + " " + pieces[0]) <= budget:
            current += " " + pieces[0]
            continue
        if current:
            rows.append(current)
        rows.extend(pieces[:-1])
        current = pieces[-1]
    rows.append(current)
    return rows


def _break_inside(expr: sp.Basic, tex, budget: float, whole: str) -> list[str]:
    """Break the widest sum inside ``expr``: prefix \\left( rows of the sum \\right) suffix."""
    shown = expr if keeps_order(expr) else in_print_order(expr)
    sums = [a for a in sp.preorder_traversal(shown) if isinstance(a, (sp.Add, sp.MatAdd)) and a is not shown]
    if not sums:
        return [whole]
    target = max(sums, key=lambda a: sum(1 for _ in sp.preorder_traversal(a)))  # the largest sum
    mark = (sp.MatrixSymbol(BREAK_MARK, *target.shape) if isinstance(target, sp.MatAdd)
            else sp.Symbol(BREAK_MARK, commutative=bool(target.is_commutative)))
    with sp.evaluate(False):
        outer = tex(shown.xreplace({target: mark}), keep_order=True)
    name = tex(mark)
    if outer.count(name) != 1:
        return [whole]
    prefix, suffix = outer.split(name)
    if _brace_depth(prefix) != 0:  # inside a {...} group (a fraction, a script): rows cannot split it
        return [whole]
    inner = _break_expr(target, tex, max(budget - visual_width(prefix) - 2, min(budget - 4, 24)))
    if len(inner) == 1:
        return [whole]
    wrapped = prefix.endswith("\\left(") and suffix.startswith("\\right)")
    opening, closing = ("", "") if wrapped else ("\\left(", "\\right)")
    return [prefix + opening + inner[0], *inner[1:-1], inner[-1] + closing + suffix]


def _brace_depth(tex: str) -> int:
    plain = re.sub(r"\\[{}]", "", tex)
    return plain.count("{") - plain.count("}")


_LEFT = re.compile(r"\\left(?![A-Za-z])")
_RIGHT = re.compile(r"\\right(?![A-Za-z])")


def balance(rows: list[str]) -> list[str]:
    """Each row closed with ``\\right.`` for the ``\\left`` it leaves open, reopened on the next row."""
    out, depth = [], 0
    for row in rows:
        end = depth + len(_LEFT.findall(row)) - len(_RIGHT.findall(row))
        out.append("\\left. " * depth + row + " \\right." * end)
        depth = end
    return out


_GROUP = r"(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*"
_JACOBIAN = re.compile(r"\\frac\{\\partial (" + _GROUP + r")\}\{\\partial (" + _GROUP + r")\}")
LONG_CHAIN = 7
"""A product of this many Jacobians that telescope, or more, is written with \\cdots."""


def abbreviate_chains(tex: str) -> str:
    """A telescoping product of at least LONG_CHAIN Jacobians, ∂a/∂b ∂b/∂c ... ∂y/∂z, written as a teacher
    writes it: the first two factors, \\cdots, the last."""
    matches = list(_JACOBIAN.finditer(tex))
    out, i, last = [], 0, 0
    while i < len(matches):
        j = i
        while (j + 1 < len(matches) and not tex[matches[j].end():matches[j + 1].start()].strip()
               and matches[j][2] == matches[j + 1][1]):
            j += 1
        if j - i + 1 >= LONG_CHAIN:
            out.append(tex[last:matches[i].start()])
            out.append(f"{matches[i][0]} {matches[i + 1][0]} \\cdots {matches[j][0]}")
            last = matches[j].end()
        i = j + 1
    return "".join(out) + tex[last:]
