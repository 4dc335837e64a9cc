"""Chains of relations through a document, each relation decided in order with the definitions in force."""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sympy.matrices.exceptions import NonSquareMatrixError, ShapeError

from ..cells import CELLS
from ..errors import DlderiveError
from ..reader import Context, ReadError, Statement, Term, parser, read_block
from .decide import Outcome, decide_implies
from .cases import document_index_letters, governing_cases, nearby_text, states_family_condition, whole_names
from .document import Chunk, clip, declared_model, read_document, split_document
from .errors import CheckError, RelationTimeout, Undefined, Unverifiable
from . import linalg
from .judge import Judge
from .limits import DEFAULT_TIMEOUT
from .losses import meant
from .report import FileReport, Judgement, Relation, Verdict
from .scope import Scope
from .timing import time_limit, validated

_RELATION_SIGN = re.compile(r"(?<![<>!\\])=(?!=)|\\(?:approx|leq?|geq?|neq?|implies|Rightarrow|iff|in|to|leftarrow|gets"
                            r"|coloneqq|eqqcolon|triangleq|equiv)(?![a-zA-Z])|(?<![\\-])[<>]")
_MODEL_NAMES = {"lstm": re.compile(r"[fiocu]_\{?t\}?|\\tilde\{?C\}?_t|c_\{t-1\}"),
                "gru": re.compile(r"z_\{?t\}?.*r_\{?t\}?|r_\{?t\}?.*z_\{?t\}?", re.S)}


@dataclass
class _Chain:
    id: int
    last: Term | None = None
    conditions: list = field(default_factory=list)  # (lhs, rhs) prepared, when it is a chain of conditions
    kind: str = "identity"  # "identity" | "condition"
    integer: bool = False  # a chain of conditions that began with floor or ceil: its unknowns are integers


@dataclass
class _Step:
    """One relation to decide: ``a rel b`` with its position, and how it joins what came before."""

    a: Term
    rel: str
    rel_source: str
    b: Term
    line: int
    chain_start: bool
    after_condition: list | None  # premises, if this step follows an implication from a condition
    premise_next: bool  # the chain continues with an implication
    integer: bool = False  # the unknowns are integers (the implications began with floor or ceil)
    assumption: bool = False  # written after "for", "if", "where": a condition for what follows, not a claim
    index_case: tuple | None = None  # the case of its indices the text states for it: ("i", "j", "≠")
    nearby: str = ""  # the text around it (its paragraph and the sentence before), where a case may be named


_AFTER_UNREADABLE = "its left side is the end of the step before, which cannot be read"


@dataclass(frozen=True)
class _Unreadable:
    """A piece of math that cannot be read: one unverifiable relation per relation sign in it."""

    text: str
    lines: tuple[int, ...]
    reason: str


def _defined_names(items) -> set:
    """The names that some statement of the document defines (``L = …``, ``J(\\theta) := …``), as the reading
    as vectors and matrices names them."""
    out = set()
    for st, _ in items:
        if isinstance(st, Statement) and st.lead is None and st.rels and st.rels[0] in ("=", "def"):
            name = linalg.defined_name(st.terms[0].source)
            if name:
                out.add(name)
    return out


class Checker:
    """Decide every relation of one document, in order, keeping the definitions in force."""

    def __init__(self, model: str | None = None, timeout: float | None = DEFAULT_TIMEOUT, watch=None,
                 stopped: dict | None = None):
        """``watch(ordinal, line, latex, relations)`` is called before each decision (the relations so far);
        ``stopped`` maps the ordinal of a decision to the reason it is unverifiable without being attempted."""
        self.model, self.timeout = model, validated(timeout)
        self.watch, self.stopped = watch, dict(stopped or {})
        self._ordinal, self._relations = 0, []

    def check_text(self, text: str, name: str = "<text>") -> FileReport:
        context = Context.scan(text)
        notes = []
        model = self.model or declared_model(text)
        if model and model not in CELLS:
            notes.append(f"the document names the model {model!r}, which is not one of {', '.join(sorted(CELLS))}")
            model = None
        if not model:
            for cell, names in _MODEL_NAMES.items():
                if len(names.findall(text)) >= 3:
                    notes.append(f"the document uses the names of the {cell} cell; add --model {cell} (or a "
                                 f"<!-- model: {cell} --> line) to put its equations in scope")
                    break
        judge = Judge(Scope.for_model(model), context, model)
        items = []
        for chunk in split_document(text, name):
            items.extend(_read_chunk(chunk, model, context, self.timeout))
        judge.linalg.meant = meant(text, _defined_names(items))
        if context.named_loss:  # read as that loss where a general one fails (judge, named_loss)
            judge.linalg.meant["*"] = f"the text names the {context.named_loss} loss"
        relations: list[Relation] = []
        self._ordinal, self._relations = 0, relations
        chain = _Chain(0)
        governing = governing_cases(items)
        judge.scope.index_letters = document_index_letters(items, governing)
        judge.family_conditions = states_family_condition(text)
        judge.whole_names = whole_names(items)
        for index, (st, chunk) in enumerate(items):
            if isinstance(st, _Unreadable):
                chain = _Chain(chain.id + 1)
                for line in st.lines:
                    relations.append(Relation(line, clip(st.text), Verdict.UNVERIFIABLE, st.reason, None, chain.id))
                continue
            following = items[index + 1][0] if index + 1 < len(items) else None
            next_implies = isinstance(following, Statement) and following.lead in ("implies", "iff")
            chain = self._statement(st, chunk, chain, next_implies, relations, judge, governing[index],
                                    nearby_text(text, chunk.offset, chunk.offset + len(chunk.text)))
        glossary = {k: v for k, v in context.readings.items()}
        return FileReport(name, tuple(relations), glossary=glossary, notes=tuple(notes))

    def _statement(self, st: Statement, chunk: Chunk, chain: _Chain, next_implies: bool, out: list, judge: Judge,
                   case=None, nearby: str = ""):
        segments = _segments(st)
        for i, (lead, lead_source, terms, rels, rel_sources, starts) in enumerate(segments):
            premises, integer = None, False
            if lead in ("implies", "iff") and chain.kind == "condition":
                premises, integer = chain.conditions, chain.integer
            continuing = lead == "=" or lead == "def" or lead == "other"
            if continuing and chain.last is not None:
                terms = [chain.last] + terms
                rels = [lead] + rels
                rel_sources = [lead_source] + rel_sources
                kind, conditions, integer = chain.kind, chain.conditions, chain.integer
            else:
                if continuing and lead is not None:  # "&= c" after a side that could not be read
                    where = starts[0] if starts else terms[0].start
                    line = chunk.line_of(where) if chunk.kind != "text" else chunk.line
                    out.append(Relation(line, f"{lead_source} {terms[0].source.strip()}", Verdict.UNVERIFIABLE,
                                        _AFTER_UNREADABLE, None, chain.id))
                if lead is not None:
                    starts = starts[1:]
                chain = _Chain(chain.id + 1)
                kind, conditions = "identity", []
            more_implies = next_implies if i == len(segments) - 1 else True
            start, segment_conditions = len(out), []
            for j in range(len(rels)):
                if rels[j] == "and":  # a ∧ b: the next relation starts afresh, in the same condition
                    continue
                a, b = terms[j], terms[j + 1]
                where = starts[j] if j < len(starts) else b.start
                line = chunk.line_of(where) if chunk.kind != "text" else chunk.line
                step = _Step(a, rels[j], rel_sources[j], b, line, chain_start=(j == 0 and not continuing),
                             after_condition=premises, premise_next=more_implies, integer=integer,
                             assumption=st.condition, index_case=case, nearby=nearby)
                relation, judgement = self._decide(step, chain.id, judge)
                out.append(relation)
                out.extend(_case_conditions(b, chunk, chain.id))
                if judgement.is_condition:
                    kind = "condition"
                    conditions = conditions + [judgement.condition]
                    segment_conditions.append(judgement.condition)
                    integer = integer or judge.integer_condition(judgement.condition)
            if lead == "iff" and premises is not None and len(out) > start:
                self._converse(segment_conditions, premises, integer, out)
            chain.last = terms[-1]
            chain.kind, chain.conditions, chain.integer = kind, conditions, integer
        return chain

    def _decide(self, step: _Step, chain_id: int, judge: Judge) -> tuple[Relation, Judgement]:
        """The Relation for one step, and its judgement."""
        latex = f"{step.a.source.strip()} {step.rel_source} {step.b.source.strip()}"
        stopped = self._begin(step.line, latex)
        try:
            if stopped:
                raise Unverifiable(stopped)
            with time_limit(self.timeout):
                judgement = judge(step)
        except RelationTimeout:
            judgement = Judgement(Verdict.UNVERIFIABLE,
                                  f"no decision within the time limit ({self.timeout:g} s of CPU time)")
        except Unverifiable as exc:
            judgement = Judgement(Verdict.UNVERIFIABLE, str(exc))
        except Undefined:
            judgement = Judgement(Verdict.UNVERIFIABLE, _NO_VALUE)
        except (ShapeError, NonSquareMatrixError) as exc:
            judgement = Judgement(Verdict.UNVERIFIABLE, f"the shapes of the matrices do not agree ({exc.args[0]}); "
                                  f"products of named matrices are not checked in order")
        except (DlderiveError, RecursionError, MemoryError, OverflowError, ZeroDivisionError) as exc:
            judgement = Judgement(Verdict.UNVERIFIABLE, f"cannot decide ({_describe(exc)})")
        except Exception as exc:  # a failure of the checker itself: loud in tests, a verdict for users
            if os.environ.get("DLDERIVE_STRICT"):
                raise
            judgement = Judgement(Verdict.UNVERIFIABLE, f"internal error ({type(exc).__name__}); please report it")
        return Relation(step.line, latex, judgement.verdict, judgement.reason, judgement.counterexample,
                        chain_id), judgement

    def _begin(self, line: int, latex: str) -> str | None:
        """Count one timed decision and report it to the watcher; the reason it is not attempted, if stopped."""
        ordinal, self._ordinal = self._ordinal, self._ordinal + 1
        if self.watch:
            self.watch(ordinal, line, latex, self._relations)
        return self.stopped.get(ordinal)

    def _converse(self, conditions: list, premises: list, integer: bool, out: list) -> None:
        """⟺: the conditions of the segment together must also imply the premises; if not, its last relation says so."""
        if len(conditions) == 0:
            return
        last = out[-1]
        stopped = self._begin(last.line, last.latex)
        try:
            if stopped:
                raise Unverifiable(stopped)
            with time_limit(self.timeout):
                converse = decide_implies(conditions, premises, integer)
        except (RelationTimeout, Unverifiable, Undefined) as exc:
            reason = _NO_VALUE if isinstance(exc, Undefined) else str(exc) or "no decision within the time limit"
            converse = Outcome("unverifiable", reason)
        if converse.verdict == "valid":
            out[-1] = dataclasses.replace(last, reason=f"{last.reason}; and conversely (⟺)")
        elif last.verdict != Verdict.INVALID:
            out[-1] = dataclasses.replace(last, verdict=Verdict(converse.verdict),
                                          counterexample=converse.counterexample,
                                          reason=f"the converse (⟸) does not hold: {converse.reason}"
                                          if converse.verdict == "invalid" else
                                          f"the converse (⟸) is not decided: {converse.reason}")


_CASE_CONDITION = re.compile(r"&\s*(?:\\text\{[^{}]*\}\s*|if\s+)?((?:(?!\\\\|\\end|&).)*?(?:<|>|=|\\le|\\ge|\\neq?|\\in)"
                             r"(?:(?!\\\\|\\end|&).)*?)\s*(?=\\\\|\\end)", re.S)


def _case_conditions(term: Term, chunk: Chunk, chain_id: int) -> list[Relation]:
    """The conditions of a cases block on the right of a relation: assumptions, one relation each."""
    if "cases}" not in term.source:
        return []
    out = []
    for m in _CASE_CONDITION.finditer(term.source):
        condition = m.group(1).strip().rstrip(",.")
        line = chunk.line_of(term.start + m.start(1)) if chunk.kind != "text" else chunk.line
        signs = max(1, len(_RELATION_SIGN.findall(condition)))
        for _ in range(signs):
            out.append(Relation(line, clip(condition), Verdict.VALID,
                                f"assumption: the case {condition} (a condition, not a claim)", None, chain_id))
    return out


_NO_VALUE = "a side has no real value here (a division by zero, a root or a logarithm of a negative number)"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the expression is nested too deeply"
    if isinstance(exc, MemoryError):
        return "the expression needs too much memory"
    if isinstance(exc, (OverflowError, ZeroDivisionError)):
        return "a number out of range or a division by zero"
    return str(exc)[:160]


def _read(text: str, model, context, timeout) -> tuple:
    """The statements of a piece of math, read within the time limit of one relation."""
    parser()  # built once, outside the limit
    try:
        with time_limit(timeout):
            return read_block(text, model, context)
    except RelationTimeout:
        raise ReadError(f"reading it took longer than the time limit ({timeout:g} s of CPU time)", 0) from None


def _read_chunk(chunk: Chunk, model, context, timeout=DEFAULT_TIMEOUT) -> list:
    """The statements of a chunk; a block that cannot be read whole is read row by row."""
    try:
        return [(st, chunk) for st in _read(chunk.text, model, context, timeout)]
    except ReadError as exc:
        whole_error = exc
    rows = _rows(chunk.text)
    if len(rows) == 1:
        return _unreadable(chunk, 0, chunk.text, whole_error)
    out = []
    for offset, row in rows:
        if not row.strip():
            continue
        piece = dataclasses.replace(chunk, text=row, line=chunk.line_of(offset),
                                    offset=chunk.offset + offset)
        try:
            out.extend((st, piece) for st in _read(row, model, context, timeout))
        except ReadError as exc:
            out.extend(_unreadable(piece, 0, row, exc))
    return out


def _unreadable(chunk: Chunk, offset: int, text: str, exc: ReadError) -> list:
    lines = tuple(chunk.line_of(offset + m.start()) for m in _RELATION_SIGN.finditer(_outside_scripts(text)))
    if not lines:
        return []
    index = offset + exc.offset
    where = chunk.line_of(index)
    before = chunk.text[:index]
    column = index - before.rfind("\n") if "\n" in before else chunk.column + index
    reason = f"cannot read: {exc.message or exc} (line {where}, column {column})"
    return [(_Unreadable(text, lines, reason), chunk)]


def _outside_scripts(text: str) -> str:
    """The text with subscripts, superscripts and \\text{...} blanked (their = are not relations)."""
    out, depth_stack, i = list(text), [], 0
    blank_from = None
    depth = 0
    while i < len(text):
        ch = text[i]
        if ch == "{":
            depth += 1
            if i > 0 and (text[i - 1] in "_^" or re.search(r"\\(text|mathrm|label|tag)$", text[max(0, i - 8):i])):
                depth_stack.append(depth)
                if blank_from is None:
                    blank_from = depth
        elif ch == "}":
            if depth_stack and depth_stack[-1] == depth:
                depth_stack.pop()
                if blank_from == depth:
                    blank_from = None
            depth -= 1
        elif blank_from is not None:
            out[i] = " "
        i += 1
    return "".join(out)


def _rows(text: str) -> list[tuple[int, str]]:
    """The rows of a block (split at \\\\ and at blank lines), each with its offset."""
    out, start = [], 0
    for m in re.finditer(r"\\\\(\[[^\]]*\])?|\n\s*\n", text):
        out.append((start, text[start:m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return out


def _segments(st: Statement):
    """Split a statement at ⇒: each segment (lead, lead source, terms, rels, rel sources, sign offsets)."""
    out = []
    lead, lead_source = st.lead, st.lead or ""
    starts = list(st.rel_starts)
    k = 0
    seg_starts = []
    if st.lead:
        seg_starts.append(starts[k] if k < len(starts) else st.terms[0].start)
        k += 1
    terms, rels, sources = [st.terms[0]], [], []
    for rel, src, term in zip(st.rels, st.rel_sources, st.terms[1:]):
        where = starts[k] if k < len(starts) else term.start
        k += 1
        if rel in ("implies", "iff"):
            out.append((lead, lead_source, terms, rels, sources, seg_starts))
            lead, lead_source, terms, rels, sources, seg_starts = rel, src, [term], [], [], [where]
        else:
            terms.append(term)
            rels.append(rel)
            sources.append(src)
            seg_starts.append(where)
    out.append((lead, lead_source, terms, rels, sources, seg_starts))
    return [(ld, ls if ld else "", t, r, s, w) for ld, ls, t, r, s, w in out]


def check_text(text: str, name: str = "<text>", model: str | None = None,
               timeout: float | None = DEFAULT_TIMEOUT) -> FileReport:
    """Verdicts for every relation of a document given as text."""
    return Checker(model, timeout).check_text(text, name)


def check_file(path: str | Path, model: str | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> FileReport:
    """Verdicts for every relation of a file; a FileReport with ``error`` if it cannot be read."""
    try:
        text = read_document(path)
    except CheckError as exc:
        return FileReport(str(path), (), str(exc))
    return check_text(text, str(path), model, timeout)
