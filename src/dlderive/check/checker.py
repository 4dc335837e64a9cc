"""Chains of relations through a document, each relation decided in order with the definitions in force."""
from __future__ import annotations

import dataclasses
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from ..errors import DlderiveError
from ..reader import ReadError, Statement, Term, read_block
from .decide import INEQUALITIES, Outcome, _compare, _integer_condition, decide_equal, decide_implies
from .document import Chunk, _clip, _LineIndex, read_document, split_document
from .errors import CheckError, RelationTimeout, Undefined, Unverifiable
from .evaluate import _counterexample, _points, compile_expr, evaluate, show
from .limits import DEFAULT_TIMEOUT
from .report import FileReport, Relation
from .scope import Scope
from .timing import time_limit

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


class Checker:
    """Decide every relation of one document, in order, keeping the definitions in force."""

    def __init__(self, model: str | None = None, timeout: float | None = DEFAULT_TIMEOUT):
        self.model, self.timeout = model, timeout
        self.scope = Scope.for_model(model)

    def check_text(self, text: str, name: str = "<text>") -> FileReport:
        lines = _LineIndex(text)
        items = []  # (statement | ReadError, chunk)
        for chunk in split_document(text):
            try:
                for st in read_block(chunk.text, self.model):
                    items.append((st, chunk))
            except ReadError as exc:
                items.append((exc, chunk))
        relations: list[Relation] = []
        chain = _Chain(0)
        for index, (st, chunk) in enumerate(items):
            if isinstance(st, ReadError):
                where = lines.position(chunk.offset + st.offset)
                relations.append(Relation(where[0], _clip(chunk.text), "unverifiable",
                                          f"cannot read: {st} (line {where[0]}, column {where[1]})", None, chain.id))
                continue
            following = items[index + 1][0] if index + 1 < len(items) else None
            next_implies = isinstance(following, Statement) and following.lead in ("implies", "iff")
            chain = self._statement(st, chunk, lines, chain, next_implies, relations)
        return FileReport(name, tuple(relations))

    def _statement(self, st: Statement, chunk: Chunk, lines, chain: _Chain, next_implies: bool, out: list):
        segments = _segments(st)
        for i, (lead, lead_source, terms, rels, rel_sources) in enumerate(segments):
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
                chain = _Chain(chain.id + 1)
                kind, conditions = "identity", []
            more_implies = next_implies if i == len(segments) - 1 else True
            start, segment_conditions = len(out), []
            for j in range(len(rels)):
                if rels[j] == "and":  # a ∧ b: the next relation starts afresh, in the same condition
                    continue
                a, b = terms[j], terms[j + 1]
                line = lines.position(chunk.offset + b.start)[0] if chunk.kind == "block" \
                    else lines.position(chunk.offset)[0]
                step = _Step(a, rels[j], rel_sources[j], b, line, chain_start=(j == 0 and not continuing),
                             after_condition=premises, premise_next=more_implies, integer=integer)
                relation, prepared, is_condition = self._decide(step, chain.id)
                out.append(relation)
                if is_condition:
                    kind = "condition"
                    conditions = conditions + [prepared]
                    segment_conditions.append(prepared)
                    integer = integer or _integer_condition(prepared)
            if lead == "iff" and premises is not None and len(out) > start:
                self._converse(segment_conditions, premises, integer, out)
            chain.last = terms[-1]
            chain.kind, chain.conditions, chain.integer = kind, conditions, integer
        return chain

    def _decide(self, step: _Step, chain_id: int):
        """The Relation for one step, the prepared pair and whether it is a condition."""
        latex = f"{step.a.source} {step.rel_source} {step.b.source}"
        try:
            with time_limit(self.timeout):
                verdict, reason, cx, prepared, is_condition = self._judge(step)
        except RelationTimeout:
            verdict, reason, cx, prepared, is_condition = (
                "unverifiable", f"no decision within the time limit ({self.timeout:g} s of CPU time)", None, None, False)
        except Unverifiable as exc:
            verdict, reason, cx, prepared, is_condition = "unverifiable", str(exc), None, None, False
        except (DlderiveError, RecursionError, MemoryError, TypeError, ValueError, AttributeError,
                ZeroDivisionError, OverflowError, NotImplementedError, IndexError, KeyError) as exc:
            verdict, reason, cx, prepared, is_condition = (
                "unverifiable", f"cannot decide ({type(exc).__name__}: {str(exc)[:120]})", None, None, False)
        return Relation(step.line, latex, verdict, reason, cx, chain_id), prepared, is_condition

    def _judge(self, step: _Step):
        for term in (step.a, step.b):
            if term.error:
                raise Unverifiable(f"cannot read {term.source.strip()[:60]!r}: {term.error}")
        a, b = step.a.expr, step.b.expr
        if step.rel == "in":
            return self._membership(step, a, b)
        if step.rel == "other":
            op = INEQUALITIES.get(step.rel_source.strip())
            if op is None:
                raise Unverifiable(f"the relation {step.rel_source} is not checked (only =, ⇒, ⇔ and <, ≤ are)")
            return self._inequality(step, a, b, op)
        if (step.chain_start and step.after_condition is None and isinstance(a, sp.Symbol)
                and (step.rel == "def" or a not in b.free_symbols)):
            decided = self._definition(a, b, step)
            if decided:
                return decided
        if isinstance(a, sp.Tuple) or isinstance(b, sp.Tuple):
            raise Unverifiable("a tuple is compared, not a number")
        if a == b:
            same_text = f"arithmetic: both sides are {a}" if a.is_Number else "proven symbolically (exact)"
            return "valid", same_text, None, None, False
        (lhs, rhs), defs = self.scope.prepare_with_defs(a, b)
        outcome = decide_equal(lhs, rhs, zlib.crc32(f"{step.a.source}={step.b.source}".encode()), defs)
        unknowns = set().union(*(e.free_symbols for e in [lhs, rhs, *defs.values()])) - set(defs)
        as_condition = step.after_condition is not None or step.premise_next
        if not unknowns or not as_condition or (outcome.verdict == "valid" and step.after_condition is None):
            return outcome.verdict, outcome.reason, outcome.counterexample, None, False
        condition = tuple(self.scope.prepare(a, b))
        if outcome.verdict == "valid":
            return outcome.verdict, outcome.reason, None, condition, True
        if step.after_condition is not None:
            implied = decide_implies(step.after_condition, [condition], step.integer)
            return implied.verdict, implied.reason, implied.counterexample, condition, True
        names = ", ".join(sorted(s.name for s in unknowns))
        return ("valid", f"premise: a condition on {names}, the starting point of the implication below",
                None, condition, True)

    def _converse(self, conditions: list, premises: list, integer: bool, out: list) -> None:
        """⟺: the conditions of the segment together must also imply the premises; if not, its last relation says so."""
        if len(conditions) == 0:
            return
        last = out[-1]
        try:
            with time_limit(self.timeout):
                converse = decide_implies(conditions, premises, integer)
        except (RelationTimeout, Unverifiable) as exc:
            reason = str(exc) or "no decision within the time limit"
            converse = Outcome("unverifiable", reason)
        if converse.verdict == "valid":
            out[-1] = dataclasses.replace(last, reason=f"{last.reason}; and conversely (⟺)")
        elif last.verdict != "invalid":
            out[-1] = dataclasses.replace(last, verdict=converse.verdict, counterexample=converse.counterexample,
                                          reason=f"the converse (⟸) does not hold: {converse.reason}"
                                          if converse.verdict == "invalid" else
                                          f"the converse (⟸) is not decided: {converse.reason}")

    def _membership(self, step: _Step, a, b):
        """``a \\in S``: arithmetic, a step of an implication, or a premise."""
        if not isinstance(b, sp.Set):
            raise Unverifiable(f"{step.b.source.strip()} is not a set")
        (lhs,) = self.scope.prepare(a)
        condition = (lhs, b, "in")
        if not lhs.free_symbols:
            inside = b.contains(lhs)
            if inside in (sp.true, sp.false):
                return (("valid", f"{lhs} is in {b}", None, condition, False) if inside == sp.true else
                        ("invalid", f"{lhs} is not in {b}", {"values": {}, "lhs": str(lhs), "rhs": str(b)},
                         condition, False))
        if step.after_condition is not None:
            implied = decide_implies(step.after_condition, [condition], step.integer)
            return implied.verdict, implied.reason, implied.counterexample, condition, True
        if step.premise_next:
            return "valid", "premise: a condition, the starting point of the implication below", None, condition, True
        raise Unverifiable("a membership with unknowns is decided only as a step of an implication")

    def _inequality(self, step: _Step, a, b, op: str):
        """``a op b``: arithmetic, a step of an implication, a premise, or a claim refuted at some point."""
        lhs, rhs = self.scope.prepare(a, b)
        condition = (lhs, rhs, op)
        unknowns = sorted(lhs.free_symbols | rhs.free_symbols, key=lambda s: s.name)
        if not unknowns:
            lv, rv = evaluate(compile_expr(lhs), {}), evaluate(compile_expr(rhs), {})
            if _compare(lv, rv, op):
                return "valid", f"arithmetic: {show(lv)} {op} {show(rv)}", None, condition, False
            return ("invalid", f"arithmetic: {show(lv)} {op} {show(rv)} is false",
                    {"values": {}, "lhs": show(lv), "rhs": show(rv)}, condition, False)
        if step.after_condition is not None:
            implied = decide_implies(step.after_condition, [condition], step.integer)
            return implied.verdict, implied.reason, implied.counterexample, condition, True
        if step.premise_next:
            names = ", ".join(s.name for s in unknowns)
            return ("valid", f"premise: a condition on {names}, the starting point of the implication below",
                    None, condition, True)
        f, g = compile_expr(lhs), compile_expr(rhs)
        points = _points(unknowns, zlib.crc32(step.b.source.encode()), lhs.has(sp.floor, sp.ceiling))
        for _ in range(40):
            env = next(points)
            try:
                lv, rv = evaluate(f, env), evaluate(g, env)
            except Undefined:
                continue
            if not _compare(lv, rv, op):
                return "invalid", "false at a point", _counterexample(env, lv, rv), condition, False
        raise Unverifiable("an inequality with unknowns is decided only as a step of an implication "
                           "(no counterexample at 40 points)")

    def _definition(self, name: sp.Symbol, value: sp.Basic, step: _Step):
        """Record ``name = value`` if it is a definition or a given; None if it is a claim to check."""
        scope = self.scope
        first = name not in scope.stated
        shown = step.a.source.strip()
        if isinstance(value, sp.Tuple):
            scope.tuples[name] = value
            scope.defs.pop(name, None)
            scope.stated.setdefault(name, step.line)
            return "valid", f"given: {shown} = {value}", None, None, False
        if first and name in scope.model_defs and step.rel != "def":
            scope.stated[name] = step.line
            model_value = scope.model_defs[name]
            try:
                (lhs, rhs), defs = scope.prepare_with_defs(model_value, value)
                agrees = decide_equal(lhs, rhs, 0, defs).verdict == "valid"
            except Unverifiable as exc:
                agrees, why = None, str(exc)
            if agrees:
                return "valid", f"agrees with the model's definition of {shown}", None, None, False
            scope.defs[name] = value
            note = (f"the model's is {shown} = {_in_terms_of(model_value, value, scope.model_defs)}"
                    if agrees is False else f"not compared: {why}")
            return ("valid", f"definition: the document's own version of {shown}, in force from here on ({note})",
                    None, None, False)
        if not first and step.rel != "def":
            try:
                numeric = not scope.prepare(value)[0].free_symbols
            except Unverifiable:
                numeric = False
            if not numeric or name in scope.model_defs:
                return None
            since = scope.stated[name]
            scope.defs[name] = value
            scope.tuples.pop(name, None)
            scope.stated[name] = step.line
            return ("valid", f"definition: {shown} = {step.b.source.strip()}, a new value (it was defined on line "
                    f"{since})", None, None, False)
        scope.defs[name] = value
        scope.tuples.pop(name, None)
        scope.stated[name] = step.line
        kind = "given" if re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", step.b.source) else "definition"
        return "valid", f"{kind}: {shown} = {step.b.source.strip()}", None, None, False


def _in_terms_of(model_value: sp.Basic, written: sp.Basic, defs: dict) -> sp.Basic:
    """The model's expression with the names the document did not write replaced by their definitions."""
    for _ in range(5):
        subs = {s: defs[s] for s in model_value.free_symbols if s in defs and s not in written.free_symbols}
        if not subs:
            break
        model_value = model_value.xreplace(subs)
    return model_value


def _segments(st: Statement):
    """Split a statement at ⇒: each segment (lead, lead source, terms, rels, rel sources)."""
    out = []
    lead, lead_source = st.lead, st.lead or ""
    terms, rels, sources = [st.terms[0]], [], []
    for rel, src, term in zip(st.rels, st.rel_sources, st.terms[1:]):
        if rel in ("implies", "iff"):
            out.append((lead, lead_source, terms, rels, sources))
            lead, lead_source, terms, rels, sources = rel, src, [term], [], []
        else:
            terms.append(term)
            rels.append(rel)
            sources.append(src)
    out.append((lead, lead_source, terms, rels, sources))
    return [(ld, ls if ld else "", t, r, s) for ld, ls, t, r, s in out]


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
