"""Definitions, givens and values: the statements that put a name, a number or a function in force.

A literal number is a given; a number computed for a name is checked against the name's formula when
every input has a value; a second, different formula for a name starts a new exercise."""
from __future__ import annotations

import dataclasses
import re

import sympy as sp
from sympy.core.function import AppliedUndef

from ..cells.base import shift
from ..notation import timed
from ..reader import Decimal, exact
from . import precision
from .decide import decide_equal
from .errors import Unverifiable
from .indices import _rename
from .limits import MAX_NODES, MODEL_STEPS
from .report import Judgement, Verdict
from .scope import Unknown, substitute
from .terms import _template_of, _gradient_name, _is_literal, show_expr, _names, _in_terms_of

V, X, U = Verdict.VALID, Verdict.INVALID, Verdict.UNVERIFIABLE
_WRITTEN_TUPLE = re.compile(r"\s*(\\left)?\s*([(\[])\s*[-+\d.,\s\\]*(\\right)?\s*[)\]]"
                            r"(\s*\^\s*\{?\s*(\\top|T|\\intercal|\\mathsf\s*\{\s*T\s*\})\s*\}?)?\s*[.,]?\s*")
"""A tuple written with numbers only: (2, 1, 0), [1, 2, 3]^T."""


def is_update(step) -> bool:
    """``w = w - η g``, ``m ← β m + (1 - β) g``: a name that its own right side uses, changed by other quantities
    (``z = z + 1`` is a false equation), at the start of a chain that is not the premise of an implication
    (``x = 2x - 1 ⇒ x = 1`` is an equation)."""
    a, b = step.a.expr, step.b.expr
    if not (step.chain_start and step.after_condition is None and not step.premise_next and step.rel in ("=", "def")
            and isinstance(a, sp.Symbol) and isinstance(b, sp.Basic) and a in b.free_symbols):
        return False
    try:
        change = sp.expand(b - a)
    except (TypeError, ValueError):
        return False
    return change != 0 and (step.rel == "def" or bool(_names(change) - {a}))  # w := w + 1, w ← w + 1 assign


_MATRIX_OF_NUMBERS = re.compile(r"\s*\\begin\{([pbvBV]?matrix)\}[-+\d.\s&\\]*\\end\{\1\}\s*[.,]?\s*")


def _is_number_matrix(value, source: str) -> bool:
    """A matrix written with numbers only, \\begin{pmatrix} 1 & 3 \\\\ 4 & 2 \\end{pmatrix}: a given, like a number."""
    return isinstance(value, sp.MatrixBase) and all(_is_literal(e) for e in value) and \
        _MATRIX_OF_NUMBERS.fullmatch(source) is not None


class Definitions:
    """The part of a Judge that records definitions, givens and functions (``self.scope``, ``self.context``)."""

    def _definition(self, name, value, step) -> Judgement | None:
        """Record ``name = value`` if it is a definition or a given; None if it is a claim to check."""
        scope = self.scope
        if isinstance(name, AppliedUndef) and type(name) not in scope.functions:
            return self._function_definition(name, value, step)
        if not isinstance(name, sp.Symbol) or isinstance(name, (Decimal, Unknown)) or name in self.context.primes:
            return None
        if is_update(step):
            return self._update(name, value, step)
        if step.rel != "def" and name in value.free_symbols:
            return None
        first = name not in scope.stated
        shown = step.a.source.strip()
        if isinstance(value, sp.Tuple):
            scope.tuples[name] = value
            scope.defs.pop(name, None)
            scope.stated.setdefault(name, step.line)
            if not _WRITTEN_TUPLE.fullmatch(step.b.source):
                return Judgement(U, f"the value of {shown} is computed here from numbers, but no formula for it is in "
                                 f"force to compare it with")
            return Judgement(V, f"given: {shown} = {value}")
        numeric = self._is_numeric(value)
        if first and name in scope.model_defs and step.rel != "def":
            return self._model_version(name, value, step, shown)
        if not first and step.rel != "def":
            if name in scope.model_defs:
                return None
            if not numeric:
                return self._redefinition(name, value, step, shown)
            return self._new_value(name, value, step, shown)
        scope.tuples.pop(name, None)
        scope.stated[name] = step.line
        gradient = _gradient_name(name, self.context, scope)
        if gradient and step.rel != "def":
            scope.defs[name] = value
            return Judgement(U, f"{shown} stands for the gradient of the loss by {gradient}; the loss is not defined "
                             f"here as a formula, so this step is not checked")
        if not numeric:
            self._define(name, value)
            scope.values.pop(name, None)
            template = _template_of(name, scope)
            if template is not None:
                return Judgement(U, f"{shown} is an entry of {scope.shown(template)}, defined on line "
                                 f"{scope.stated.get(template, '?')}; entries are not compared with it")
            return Judgement(V, f"definition: {shown} = {step.b.source.strip()}")
        scope.defs.pop(name, None)
        template = _template_of(name, scope)
        if template is not None and "_" in template.name:  # x_3 = 0.75 under x_k = (...)
            return self._entry_value(name, template, value, step, shown)
        return self._given(name, value, step, shown)

    def _update(self, name, value, step) -> Judgement:
        """``w = w - η g``: an assignment, not an equation; not checked. Once the chain it opens ends (its next
        steps use the old value), the name has the value the rule gives, or none."""
        shown, scope = step.a.source.strip(), self.scope
        try:
            (new,) = scope.prepare(value)
        except Unverifiable:
            new = None
        if new is not None and (_names(new) or new.atoms(Unknown, AppliedUndef)):
            new = None
        self.updates.append((name, new, step.line))
        if new is None:
            after = f"{shown} has no value or formula"
        else:
            after = f"{shown} = {float(new):.6g}" if new.is_Rational and not new.is_Integer else f"{shown} = {show_expr(new)}"
        return Judgement(U, f"an update: with {shown} on both sides it reads as the assignment {shown} ← "
                         f"{step.b.source.strip()}, which is not checked; after this step {after}")

    def apply_updates(self) -> None:
        """The updates of the chain that ended: each name takes its new value (or loses its old one)."""
        scope = self.scope
        for name, new, line in self.updates:
            for table in (scope.defs, scope.values, scope.tuples, scope.unchecked):
                table.pop(name, None)
            if new is not None:
                scope.values[name] = new
            scope.stated[name] = line
        self.updates = []

    def _entry_value(self, name, template, value, step, shown) -> Judgement:
        """A number for an entry x_3 of a family x_k defined by a formula: checked against the formula at k = 3;
        never a given, since the formula is in force."""
        scope = self.scope
        letters, digits = template.name.partition("_")[2], name.name.partition("_")[2]
        formula = _rename(scope.defs[template], {c: int(d) for c, d in zip(letters, digits)})
        scope.defs[name], scope.stated[name] = formula, scope.stated.get(template, step.line)
        used = {s.name for s in scope.reachable_names(formula) | formula.free_symbols}
        tuples = [s for s in (*scope.tuples, *scope.values) if s.name in used and self._is_tuple(s)]
        judgement = None if tuples else self._new_value(name, value, step, shown)
        if judgement is not None and (judgement.verdict != V or not judgement.reason.startswith("given")):
            return judgement
        scope.values[name] = value
        scope.stated[name] = scope.unchecked[name] = step.line
        why = f"uses the tuple {scope.shown(tuples[0])}" if tuples else "has inputs without values here"
        return Judgement(U, f"{shown} is an entry of {scope.shown(template)}, defined on line "
                         f"{scope.stated[template]}, whose formula {why}: this value is not checked; taken as stated "
                         f"below")

    def _is_tuple(self, s) -> bool:
        """A name that stands for a tuple (1, 0) or (1, 0)^T, which has no arithmetic with numbers here."""
        value = self.scope.values.get(s)
        return s in self.scope.tuples or isinstance(value, sp.Basic) and bool(value.atoms(sp.Tuple))

    def _define(self, name, value) -> None:
        """``name = value`` in force; for a name at a general step t (h_t = tanh(w h_{t-1} + u x_t)), the same
        definition at the steps before it too (h_{t-1} = tanh(w h_{t-2} + u x_{t-1}), …): a recurrence written
        at t defines the quantity at every step. A step the document states itself keeps its own formula."""
        scope = self.scope
        scope.defs[name] = value
        t = timed(name.name)
        if t is None or t[1] != 0 or name in scope.model_defs or not any(timed(v.name) for v in _names(value)):
            return
        for k in range(1, MODEL_STEPS):
            earlier = shift(name, k)
            if earlier not in scope.model_defs and earlier not in scope.stated:
                scope.defs[earlier] = shift(value, k)

    def _unrolled(self, expr, *within):
        """``expr`` with the steps t-1, … of its recurrences written out, down to the deepest step that
        ``within`` mentions (None if it grows too large)."""
        steps = [t[1] for e in within for v in _names(e) if (t := timed(v.name))]
        deepest = max(steps, default=0)
        inner = {n: d for n, d in self.scope.defs.items() if (t := timed(n.name)) and 0 < t[1] < deepest}
        return substitute(expr, inner, MAX_NODES)

    def _redefinition(self, name, value, step, shown) -> Judgement | None:
        """A formula for a name that had another one: a claim if they agree, else a new definition (not checked)."""
        scope = self.scope
        old = scope.defs.get(name)
        if old is not None or name in scope.values:
            scope.earlier[name] = (old, scope.values.get(name), scope.stated.get(name))
        if old is None or name in scope.values:
            self._define(name, value)
            scope.values.pop(name, None)
            scope.stated[name] = step.line
            return Judgement(V, f"definition: {shown} = {step.b.source.strip()}")
        try:  # compared as a claim, even where an implication follows (its premise would hold by itself)
            claim = dataclasses.replace(step, after_condition=None, premise_next=False)
            judgement = self._equality_in(scope, claim, old, value, False)
            if judgement.verdict != V:  # h_t through h_{t-2}: the steps between written out by the recurrence
                unrolled = [self._unrolled(e, old, value) for e in (old, value)]
                if None not in unrolled and unrolled != [old, value]:
                    judgement = self._equality_in(scope, claim, *unrolled, False)
        except Unverifiable:
            judgement = None
        if judgement is not None and judgement.verdict == V and not judgement.is_condition:
            if any(n in scope.defs for n in _names(value) - _names(old)):  # h_t = tanh(a_t) after a_t = …: the same
                self._define(name, value)  # quantity, now written through a_t (so that ∂h_t/∂a_t has a meaning)
            return Judgement(V, f"agrees with the definition of {shown} on line {scope.stated[name]}: {judgement.reason}")
        if step.premise_next or step.after_condition is not None:  # "we want O = W, i.e. …": a condition, as before
            try:
                premise = self._equality_in(scope, step, old, value, False)
            except Unverifiable:
                premise = None
            if premise is not None and premise.verdict == V:
                return Judgement(V, f"agrees with the definition of {shown} on line {scope.stated[name]}: "
                                 f"{premise.reason}")
        since = scope.stated[name]
        self._define(name, value)
        scope.stated[name] = step.line
        return Judgement(U, f"{shown} was defined on line {since} by another formula; read as a new definition "
                         f"from here on (a new exercise?), not checked against the old one")

    def _given(self, name, value, step, shown) -> Judgement:
        """A number for a name: a literal is a given; a computation can be checked only against a formula."""
        scope = self.scope
        scope.values[name] = value
        if _is_literal(value) and re.fullmatch(r"\s*[-+]?\s*\d+(\.\d+)?\s*[.,]?\s*", step.b.source) or \
                _is_number_matrix(value, step.b.source):
            scope.unchecked.pop(name, None)
            return Judgement(V, f"given: {shown} = {step.b.source.strip()}")
        rule = self.steps.step_for(name, value, scope, self.context.rates)
        if rule:  # w_new = 1 - 0.1·(-4): the update rule stated in words, with the gradient the document found
            scope.unchecked.pop(name, None)
            return Judgement(V, rule)
        scope.unchecked[name] = step.line
        return Judgement(U, f"the value of {shown} is computed here from numbers, but no formula for {shown} is "
                         f"in force to compare it with; taken as stated below")

    def _is_numeric(self, value) -> bool:
        """Written with numbers only (after derivatives and the document's functions are evaluated)."""
        self.scope.use_values = False
        try:
            prepared = self.scope.prepare(value)[0]
        except Unverifiable:
            return False
        finally:
            self.scope.use_values = True
        return not _names(prepared) and not prepared.atoms(Unknown, AppliedUndef)

    def _new_value(self, name, value, step, shown) -> Judgement:
        """A number for a name stated before: checked against its formula when every input has a checked value."""
        scope = self.scope
        since = scope.stated[name]
        definition = scope.defs.get(name)
        scope.stated[name] = step.line
        if definition is None:
            return self._given(name, value, step, shown)
        try:
            (formula,) = scope.prepare(definition)
            (number,) = scope.prepare(value)
        except Unverifiable:
            formula = number = None
        inputs = [s for s in scope.reachable_names(definition) if s in scope.values]
        unchecked = [s for s in inputs if s in scope.unchecked]
        scope.values[name] = value
        literal = re.fullmatch(r"\s*[-+]?\s*\d+(\.\d+)?\s*[.,]?\s*", step.b.source) is not None
        if (formula is None or _names(formula) or formula.atoms(Unknown)) and literal:
            scope.unchecked.pop(name, None)
            return Judgement(V, f"given: {shown} = {step.b.source.strip()} (its formula, line {since}, has inputs "
                             f"without values here)")
        if formula is None or _names(formula) or formula.atoms(Unknown):
            scope.unchecked[name] = step.line
            missing = sorted(_names(formula), key=lambda x: x.name)[:3] if formula is not None else []
            why = (f"{', '.join(scope.shown(m) for m in missing)} {'has' if len(missing) == 1 else 'have'} no value "
                   f"here" if missing else "its formula cannot be evaluated")
            return Judgement(U, f"{shown} is defined on line {since} by a formula, but {why}: this value is not "
                             f"checked; taken as stated below")
        if precision.has_decimals(formula, number):
            ok, left, right = precision.compare(formula, number, "=")
        else:
            ok, left, right = (decide_equal(exact(formula), exact(number)).verdict == "valid", show_expr(formula),
                               show_expr(number))
        if not ok and not literal and inputs and not unchecked and all(scope.stated.get(s) == step.line
                                                                        for s in inputs):
            scope.unchecked[name] = step.line  # computed from inputs all given on this line: it is the formula's
            return Judgement(X, f"{shown} by its formula (line {since}) is {left} at the values given on this "
                             f"line, not {right}", {"values": {}, "lhs": left, "rhs": right})
        if not ok:  # the inputs may have other values here than the ones last stated (a new exercise)
            scope.unchecked[name] = step.line
            return Judgement(U, f"{shown} by its formula (line {since}) would be {left} at the values last stated "
                             f"for its inputs, not {right}; if they have other values here, state them")
        if unchecked:
            scope.unchecked[name] = step.line
            return Judgement(U, f"agrees with the formula of line {since} at the values stated for "
                             f"{', '.join(scope.shown(u) for u in unchecked)}, which are not checked")
        scope.unchecked.pop(name, None)
        return Judgement(V, f"{shown} by its formula (line {since}) is {left}, as written")

    def _model_version(self, name, value, step, shown) -> Judgement:
        scope = self.scope
        scope.stated[name] = step.line
        model_value = scope.model_defs[name]
        try:
            (lhs, rhs), defs = scope.prepare_with_defs(model_value, value)
            agrees = decide_equal(exact(lhs), exact(rhs), 0, {k: exact(v) for k, v in defs.items()}).verdict == "valid"
        except Unverifiable as exc:
            agrees, why = None, str(exc)
        if agrees:
            return Judgement(V, f"agrees with the model's definition of {shown}")
        scope.defs[name] = value
        note = (f"the model's is {shown} = {_in_terms_of(model_value, value, scope.model_defs)}"
                if agrees is False else f"not compared: {why}")
        return Judgement(V, f"definition: the document's own version of {shown}, in force from here on ({note})")

    def _function_definition(self, name: AppliedUndef, value, step) -> Judgement | None:
        params = name.args
        if any(type(x) is type(name) for x in value.atoms(AppliedUndef)):
            return None  # f(x) = f(x) + 1 uses f: a claim, not its definition
        if not params or not all(isinstance(p, sp.Symbol) and not isinstance(p, Decimal) for p in params) \
                or len(set(params)) != len(params):
            return None
        self.scope.functions[type(name)] = (params, value)
        self.scope.stated.setdefault(sp.Symbol(type(name).__name__), step.line)
        return Judgement(V, f"definition of the function {step.a.source.strip()}")
