"""Read LaTeX math as people write it into SymPy, through the lark grammar in latex.lark."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sympy as sp
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..errors import DlderiveError
from .build import Build, ReadError, TooLarge, finish, rounded_floor
from .context import Context, Decimal, exact, transpose
from .names import identifier, symbol, text_identifier
from .normalise import Mapped, normalise

MAX_BLOCK = 20_000  # characters in one math block
MAX_NESTING = 100  # depth of brackets and braces
RELATIONS = {"EQ": "=", "IMPLIES": "implies", "IFF": "iff", "DEF": "def", "OTHERREL": "other", "AND": "and",
             "IN": "in"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Term:
    """One side of a relation: its expression (None if unreadable), its place in the block, its text."""

    expr: sp.Basic | None
    start: int
    end: int
    source: str
    error: str | None = None


@dataclass(frozen=True)
class Statement:
    """A chain ``t0 r1 t1 r2 t2 ...``; ``lead`` is the relation it opens with (``= ...``), if any."""

    lead: str | None
    terms: tuple[Term, ...]
    rels: tuple[str, ...]
    rel_sources: tuple[str, ...]
    rel_starts: tuple[int, ...] = ()  # where each relation sign is in the block
    condition: bool = False  # introduced by "for", "if", "where", ∀: an assumption, not a claim


@lru_cache(maxsize=1)
def parser() -> Lark:
    grammar = (Path(__file__).parent / "latex.lark").read_text(encoding="utf-8")
    return Lark(grammar, start="block", parser="lalr", propagate_positions=True, maybe_placeholders=False)


def read_block(text: str, model: str | None = None, context: Context | None = None) -> tuple[Statement, ...]:
    """The statements of one math block, in order; raise ReadError with an offset if unreadable."""
    _screen(text)
    context = context or Context()
    if context.reader is None:
        context.reader = lambda piece, m, ctx: read_expression(piece, m, ctx)
    mapped = normalise(text, context.macros)
    try:
        tree = parser().parse(mapped.text)
    except UnexpectedInput as exc:
        raise ReadError(_describe(exc, mapped.text), mapped.source(_offset(exc), _offset(exc) + 1)[0]) from None
    except RecursionError:
        raise ReadError("expression too deeply nested", 0) from None
    return tuple(_statement(s, mapped, text, model, context) for row in tree.children if isinstance(row, Tree)
                 for s in row.children if isinstance(s, Tree) and s.data == "statement")


def read_expression(text: str, model: str | None = None, context: Context | None = None) -> sp.Basic:
    """The SymPy expression of LaTeX text without relations (``\\frac{1}{2} x``)."""
    statements = read_block(text, model, context)
    if len(statements) != 1 or statements[0].rels or statements[0].lead:
        raise ReadError("expected one expression without relations", 0)
    term = statements[0].terms[0]
    if term.error:
        raise ReadError(term.error, term.start)
    return exact(term.expr)


def _screen(text: str) -> None:
    if len(text) > MAX_BLOCK:
        raise ReadError(f"math block of {len(text)} characters (limit {MAX_BLOCK})", 0)
    bad = _CONTROL.search(text)
    if bad:
        raise ReadError(f"control character U+{ord(bad.group()):04X}", bad.start())
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise ReadError(f"brackets nested deeper than {MAX_NESTING}", i)
        elif ch in ")]}":
            depth = max(depth - 1, 0)


def _statement(tree: Tree, mapped: Mapped, original: str, model: str | None, context: Context) -> Statement:
    lead, terms, rels, rel_sources, rel_starts, condition = None, [], [], [], [], False
    for child in tree.children:
        if isinstance(child, Token):  # CONDWORD
            condition = True
        elif child.data == "rel":
            tok = child.children[0]
            where = mapped.source(tok.start_pos, tok.end_pos)[0]
            if terms:
                rels.append(RELATIONS[tok.type])
                rel_sources.append(str(tok))
                rel_starts.append(where)
            else:
                lead = RELATIONS[tok.type]
                rel_starts.append(where)
        else:
            terms.append(_term(child, mapped, original, model, context))
    return Statement(lead, tuple(terms), tuple(rels), tuple(rel_sources), tuple(rel_starts), condition)


def _term(tree: Tree, mapped: Mapped, original: str, model: str | None, context: Context) -> Term:
    """One side, built from the parse of the normalised text; its source is the written slice."""
    start, end = mapped.source(tree.meta.start_pos, tree.meta.end_pos)
    opener = re.search(r"\\left\s*$", original[max(0, start - 12):start])
    if opener:
        start -= len(opener.group())
    source = original[start:end]
    try:
        expr = finish(Build(model, mapped.text, context).transform(tree.children[0]))
        if _is_gauss_bracket(source):
            expr = rounded_floor(expr)
        return Term(expr, start, end, source)
    except VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, DlderiveError):
            return Term(None, start, end, source, inner.message or str(inner))
        if isinstance(inner, RecursionError):
            return Term(None, start, end, source, "expression too deeply nested")
        raise
    except DlderiveError as exc:
        return Term(None, start, end, source, exc.message or str(exc))
    except RecursionError:
        return Term(None, start, end, source, "expression too deeply nested")


_LEFT = re.compile(r"^\\left\s*|^\\[bB]igg?l?\s*")


def _is_gauss_bracket(source: str) -> bool:
    """True if a whole side is one ``[...]``: a bracket that groups nothing is the floor (Gauss) bracket."""
    s = _LEFT.sub("", source.strip())
    if (not s.startswith("[") or not source.rstrip().endswith("]") or not ("\\frac" in s or "/" in s)
            or "\\begin" in s):
        return False
    depth = 0
    for i, ch in enumerate(s):
        depth += ch == "["
        depth -= ch == "]"
        if depth == 0:
            return i == len(s) - 1
    return False


def _offset(exc: UnexpectedInput) -> int:
    return getattr(exc, "pos_in_stream", None) or 0


def _describe(exc: UnexpectedInput, text: str) -> str:
    pos = _offset(exc)
    command = re.match(r"\\[A-Za-z]+", text[pos:])
    if command:
        return f"unsupported command {command.group()}"
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return "incomplete expression at the end of the math"
    if isinstance(exc, UnexpectedToken):
        return f"unexpected {str(exc.token)!r}"
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected character {text[pos]!r}"
    return "cannot read this math"


__all__ = ["read_block", "read_expression", "ReadError", "TooLarge", "Term", "Statement", "Context", "Decimal",
           "exact", "transpose", "identifier", "symbol", "text_identifier"]
