"""The verdict on one relation, with the definitions, values and assumptions in force.

Soundness first: a relation is valid only if it holds whatever the document leaves undefined; one that
fails only through an undefined quantity is unverifiable, with the quantity named."""
from __future__ import annotations

import dataclasses
import re
import zlib

import sympy as sp

from ..functions import Jacobian
from ..reader import Context, Decimal, exact
from ..notation import is_weight, preset, timed
from . import precision
from . import linalg, named_loss
from .decide import INEQUALITIES, _compare, _integer_condition, decide_equal, decide_implies
from .errors import Undefined, Unverifiable
from .evaluate import _points, compile_expr, evaluate, show
from .cases import claimed_for_every_index
from .indices import SIZE, family_sum, holds_case, instances, needs_indices, rescued
from .report import Judgement, Verdict
from .scope import KINKS, Scope, Unknown, substitute, unknowns_in
from .steps import GradientSteps
from .definitions import Definitions, is_update
from .limits import MAX_NODES
from .terms import (_matrix_marked, _matrix_product, _matrix_sensitive, _names, _number, _opaque, _shown_point,
                    _unknown_reason, _with_unchecked, _written_precision, outcome_is_identity, show_expr)

V, X, U = Verdict.VALID, Verdict.INVALID, Verdict.UNVERIFIABLE
NOTATION = preset("sample")
_TUPLE_REFUSED = re.compile(r"stands for the tuple|a tuple is compared with")  # the scalar reading's refusals
_SIMPLE_SIDE = (sp.Symbol, sp.Number)


def _class_letters(a, b, head) -> set:
    """The index letters of a relation that may name a class (log p_c), not those of the variables differentiated
    against in it or in the first side of its chain (z_j of ∂L/∂z_j = … = …)."""
    varied = {c for e in (a, b, head) if isinstance(e, sp.Basic) for d in e.atoms(sp.Derivative, Jacobian)
              for v in (d.variables if isinstance(d, sp.Derivative) else d.args[1:])
              if isinstance(v, sp.Symbol) for c in v.name.partition("_")[2]}
    return {c for e in (a, b) if isinstance(e, sp.Basic) for s in e.free_symbols
            for c in s.name.partition("_")[2] if c.isalpha()} - varied


def _has_kinks(*exprs) -> bool:
    """Piecewise pieces: a relation that holds everywhere else may fail where a case changes."""
    return any(isinstance(e, sp.Basic) and e.atoms(sp.Piecewise, *KINKS) for e in exprs)


class Judge(Definitions):
    """Decides the relations of one document in order; it keeps the scope (definitions, values, functions)."""

    def __init__(self, scope: Scope, context: Context, model: str | None):
        self.scope, self.context, self.model = scope, context, model
        scope.context = context
        self.vector = "vector" in context.flags and not model
        self.assumed: dict = {}  # symbol -> the assumption written about it ("x > 0")
        self.updates: list = []  # (name, new value or None, line) of the updates in the chain being judged
        self.index_case = None  # the case of two indices that governs the relation judged: ("i", "j", "≠")
        self.chain_head = None  # the first side of the chain being judged
        self.family_conditions = True  # the document may state a condition on a family (one-hot, Σ_k y_k = 1)
        self.whole_names: frozenset = frozenset()  # names the document also writes whole (J, x), not only entries
        self.steps = GradientSteps()  # gradients found with numbers, for a gradient step computed from them
        self.linalg = linalg.Document()  # shapes and definitions of vectors and matrices
        for names, space in context.shapes:
            self.linalg.declare(names, space)
        self.linalg.layout = next((f for f in ("numerator", "denominator") if f"layout:{f}" in context.flags), None)
        self.model_matrices = bool(model and "vector" in context.flags and self.linalg.take_model(model))

    def integer_condition(self, condition) -> bool:
        return _integer_condition(condition)

    def __call__(self, step) -> Judgement:
        if step.chain_start and self.updates:
            self.apply_updates()
        self.index_case = step.index_case  # found for each relation by cases.governing_cases
        if step.chain_start:
            self.chain_head = step.a.expr  # ∂E/∂s_d = … = …: its indices d are those of a variable throughout
        judgement = self.scope.with_pieces(self._matrix_reading, step)
        self.steps.observe(step, judgement.verdict, self.scope)
        cx = judgement.counterexample
        if cx and cx.get("values"):
            shown = {self._written(k): v for k, v in cx["values"].items()}
            judgement = Judgement(judgement.verdict, judgement.reason, {**cx, "values": shown}, judgement.condition,
                                  judgement.is_condition)
        return judgement

    def _matrix_reading(self, step) -> Judgement:
        """Declarations and definitions of vectors and matrices are recorded; once the document declares a
        shape, a claim is judged with its shapes and the order of its products, else as before."""
        if step.rel == "in" and not step.assumption:
            self.linalg.declare(step.a.source, step.b.source)
            return self._judge(step)
        if step.rel not in ("=", "def") or step.assumption or step.after_condition is not None:
            return self._judge(step)
        if not self.vector:
            return self._tuples_reading(step)
        gradient = self.linalg.active and linalg.is_gradient(self.linalg, step.a.source)
        if gradient:  # dW = Xᵀ dY is a claim about the gradient, not the definition of a name dW
            return self._matrix_claim(step)
        if is_update(step):  # W = W - α ∇J: an assignment, not a definition of W
            return self._judge(step)
        again = self.linalg.defined_as(step.a.source) if step.chain_start else None
        if again and self.linalg.active:  # a name defined anew: the same quantity, or a new exercise
            seed = zlib.crc32(f"{step.a.source}={step.b.source}".encode())
            try:
                same = linalg.judge(self.linalg, step.a.source, step.b.source, seed)[0] == "valid"
            except linalg.Unread:
                same = False
            if same:
                return Judgement(V, f"agrees with the earlier definition of {step.a.source.strip()}, as vectors "
                                 f"and matrices")
        defined = self.linalg.define(step.a.source, step.b.source, replace=bool(again)) if step.chain_start \
            else None
        try:
            judgement = self._judge(step)
        except Unverifiable as exc:
            judgement = Judgement(U, str(exc))
        if again and defined:
            return judgement
        if defined and self.linalg.active:
            mismatch = self.linalg.mismatch(defined)
            if mismatch:
                del self.linalg.defs[defined]
                return Judgement(X, mismatch)
        if defined and judgement.verdict == X:
            del self.linalg.defs[defined]
            return judgement
        if judgement.verdict == U and _TUPLE_REFUSED.search(judgement.reason):
            return self._tuple_claim(step, judgement)
        if judgement.reason.startswith(("definition", "given", "assumption")) or " stands for " in judgement.reason \
                or not self.linalg.active:
            return judgement
        if defined:
            return Judgement(V, f"definition: {step.a.source.strip()} = {step.b.source.strip()}")
        return self._matrix_claim(step, judgement)

    def _matrix_claim(self, step, scalar: Judgement | None = None) -> Judgement:
        """The relation judged as vectors and matrices; where that reading does not apply, the scalar one."""
        seed = zlib.crc32(f"{step.a.source}={step.b.source}".encode())
        try:
            verdict, reason, counterexample = linalg.judge(self.linalg, step.a.source, step.b.source, seed)
            general = re.match(r"false for a general (\S+) ", reason) if verdict == "unverifiable" else None
            if general and self.context.named_loss:  # "with the squared-error loss": L read as that loss
                verdict, reason, counterexample = named_loss.judge(
                    self.linalg, self.context.named_loss, general.group(1), step.a.source, step.b.source, seed) or (
                    verdict, reason, None)
        except linalg.Unread as exc:
            if scalar is not None:
                return scalar
            try:
                scalar = self._judge(step)
            except Unverifiable as inner:
                scalar = Judgement(U, str(inner))
            if scalar.verdict == V:
                return Judgement(U, f"not read as vectors and matrices ({exc}), and the scalar reading alone does "
                                 f"not make it valid")
            return scalar
        return Judgement(Verdict(verdict), reason, counterexample)

    def _tuples_reading(self, step) -> Judgement:
        """A document written without vector notation, which may give vectors as tuples (z = (2, 1, 0)): their
        definitions are recorded for the matrix reading, which is asked only where the scalar one refuses a tuple."""
        if not (self.scope.tuples or isinstance(step.b.expr, sp.Tuple)):
            return self._judge(step)
        if step.chain_start:
            self.linalg.define(step.a.source, step.b.source, replace=bool(self.linalg.defined_as(step.a.source)))
        try:
            judgement = self._judge(step)
        except Unverifiable as exc:
            judgement = Judgement(U, str(exc))
        if judgement.verdict == U and _TUPLE_REFUSED.search(judgement.reason):
            return self._tuple_claim(step, judgement)
        return judgement

    def _tuple_claim(self, step, scalar: Judgement) -> Judgement:
        """A relation the scalar reading refuses for a vector given as numbers (p = (0.25, 0.75)): judged as
        vectors and matrices, the tuple a column; if that reading does not apply either, both reasons."""
        seed = zlib.crc32(f"{step.a.source}={step.b.source}".encode())
        try:
            verdict, reason, counterexample = linalg.judge(self.linalg, step.a.source, step.b.source, seed)
        except linalg.Unread as exc:
            return Judgement(U, f"{scalar.reason}; as vectors and matrices: {exc}")
        unit = linalg.rounded_unit(self.linalg, step.a.source, step.b.source) if verdict == "invalid" else 0
        if unit and counterexample:  # numbers given rounded: refuted only by a difference far beyond the rounding
            left, right = (abs(sp.Float(counterexample[k])) for k in ("lhs", "rhs"))
            if abs(sp.Float(counterexample["lhs"]) - sp.Float(counterexample["rhs"])) <= (left + right) / 100 + 100 * unit:
                return Judgement(U, f"{reason}, but by less than the rounding of the numbers given may explain")
        return Judgement(Verdict(verdict), reason, counterexample)

    def _written(self, identifier: str) -> str:
        """A name as the document writes it (h_{t-1}, not h_prev), also for a model's names it did not write."""
        if identifier in self.context.written:
            return self.context.written[identifier]
        return NOTATION.symbol(identifier) if timed(identifier) or is_weight(identifier) else identifier

    def _judge(self, step) -> Judgement:
        for term in (step.a, step.b):
            if term.error:
                raise Unverifiable(f"cannot read {term.source.strip()[:60]!r}: {term.error}")
        a, b = step.a.expr, step.b.expr
        if step.assumption:
            return self._assumption(step, a, b)
        if step.rel == "in":
            return self._membership(step, a, b)
        if step.rel == "other":
            written = step.rel_source.strip()
            if written in ("\\approx", "\\simeq"):
                if isinstance(a, sp.Tuple) and isinstance(b, sp.Tuple) and len(a) == len(b):
                    return self._components(step, a, b)
                return self._equality(step, a, b, approx=True)
            if written in ("\\neq", "\\ne"):
                return self._different(step, a, b)
            op = INEQUALITIES.get(written)
            if op is None:
                raise Unverifiable(f"the relation {written} is not checked (only =, ≈, ≠, <, ≤, ⇒ and ⇔ are)")
            return self._inequality(step, a, b, op)
        if (isinstance(a, sp.Symbol) and isinstance(b, sp.Symbol) and a.name in "ijklmn" and b.name in "ijklmn"
                and len(a.name) == len(b.name) == 1):  # "for i = j": the case of an index
            return self._assumption(step, a, b)
        if step.chain_start and step.after_condition is None and not self.model and family_sum(a, b, self.scope):
            return self._family_sum(step, *family_sum(a, b, self.scope))
        if step.chain_start and step.after_condition is None:
            decided = self._definition(a, b, step)
            if decided:
                return decided
        if isinstance(a, sp.Tuple) and isinstance(b, sp.Tuple) and len(a) == len(b):
            return self._components(step, a, b)
        if isinstance(a, sp.Tuple) or isinstance(b, sp.Tuple):
            raise Unverifiable("a tuple is compared with something that is not a tuple of its length")
        if a == b and not isinstance(a, Unknown) and not _matrix_marked(a, b) and not (
                self.vector and _matrix_sensitive(a, b, self.scope)):
            same_text = f"arithmetic: both sides are {a}" if a.is_Number else "proven symbolically (exact)"
            return Judgement(V, same_text)
        return self._equality(step, a, b)

    # ------------------------------------------------------------------ equalities
    def _equality(self, step, a, b, approx: bool = False) -> Judgement:
        if not self.model and needs_indices(a, b, self.scope):
            return self._indexed(step, a, b, approx)
        return self._equality_in(self.scope, step, a, b, approx)

    def _components(self, step, a, b) -> Judgement:
        """(a_1, …, a_n) = (b_1, …, b_n): each component in turn."""
        reasons = []
        for k, (x, y) in enumerate(zip(a, b), 1):
            try:
                judgement = self._equality(step, x, y, approx=step.rel_source.strip() == "\\approx")
            except Unverifiable as exc:
                raise Unverifiable(f"component {k}: {exc}")
            if judgement.verdict != V:
                return Judgement(judgement.verdict, f"component {k}: {judgement.reason}", judgement.counterexample)
            reasons.append(judgement.reason)
        return Judgement(V, "every component: " + "; ".join(dict.fromkeys(reasons)))

    def _indexed(self, step, a, b, approx: bool) -> Judgement:
        """Sums and indices: the relation at each size and index value (those of the case the text states, such
        as i ≠ j, if it states one); valid only if valid at all of them."""
        reasons, last, failed, held, by_size, restricted, free_indices = [], None, [], 0, {}, False, 0
        holding = set()  # the index values (with one-hot positions) at which it holds
        for ai, bi, scope, label, index in instances(a, b, self.scope, self.index_case):
            free_indices = max(free_indices, sum(not k.startswith("#") for k in index)) or 99  # none: no case
            restricted = restricted or bool(holds_case(index, self.index_case))
            judgement = self._equality_in(scope, step, ai, bi, approx, componentwise=True)
            if judgement.verdict == U:
                return Judgement(U, f"{judgement.reason} ({label})" if label else judgement.reason)
            size = index.get(SIZE)
            if judgement.verdict == X:
                varied = {d.name.partition("_")[0] for e in (ai, bi) for v in e.atoms(sp.Derivative, Jacobian)
                          for d in (v.variables if isinstance(v, sp.Derivative) else v.args[1:])
                          if isinstance(d, sp.Symbol)}
                free = {f for f in _names(ai, bi) - set(scope.defs) - set(scope.values)
                        if f.name.partition("_")[0] not in varied  # a variable differentiated against is free
                        and f.name.partition("_")[0] not in scope.family_sums}  # its stated condition is used
                failed.append((judgement, label, free, size, index))
                by_size.setdefault(size, []).append(False)
                continue
            by_size.setdefault(size, []).append(True)
            holding.add(frozenset(index.items()))
            held += 1
            reasons.append(judgement.reason)
            last = label
        classes = _class_letters(a, b, self.chain_head)
        if failed and all(rescued(f[4], holding, classes) for f in failed):
            raise Unverifiable(f"false where a one-hot position differs from an index ({failed[0][1]}), true where "
                               f"they agree: the text may tie the one-hot target to that index")
        failed = [f for f in failed if not rescued(f[4], holding, classes)]
        if failed:
            # false at every index of some size: no case of the indices (i = j, i ≠ j) can make it hold
            everywhere = [n for n, ok in by_size.items() if not any(ok) and n is not None and n >= free_indices]
            claimed = claimed_for_every_index(a, b, self.index_case, step.nearby)
            if held and not restricted and not everywhere and not claimed:
                raise Unverifiable(f"holds for some sizes and indices but not all ({failed[0][1]}): the case it is "
                                   f"meant for (such as i ≠ j) is stated in words")
            judgement, label, free, _, _ = next((f for f in failed if restricted or f[3] in everywhere), failed[0])
            entries = all(re.search(r"_\{?\d", f.name) and f.name.partition("_")[0] not in self.whole_names
                          for f in free)  # x_1, W_21: entries of a family the document writes only by entries
            if free and (self.family_conditions or not entries):
                raise Unverifiable(f"false at some sizes ({label}) unless {', '.join(sorted(self.scope.shown(f) for f in free)[:3])} "
                                   f"satisfy a condition the text states (a one-hot or probability vector?)")
            if claimed and not restricted and not everywhere and free_indices < 99:
                label = f"{label}; with its indices free and no case of them stated, it is claimed at every value"
            return Judgement(X, f"{judgement.reason} ({label})" if label else judgement.reason,
                             judgement.counterexample)
        if last is None:
            raise Unverifiable("no size at which the sums can be written out")
        first = reasons[0] if len(set(reasons)) == 1 else "holds"
        return Judgement(V, f"{first}, {last.split(';')[0]}" if last else first)

    def _equality_in(self, scope: Scope, step, a, b, approx: bool, componentwise: bool = False) -> Judgement:
        """The equality judged in ``scope``; a refutation that rests on a value assumed on an earlier line, or on a
        name's new formula where the earlier one makes it hold, is not final (see the README, "How it decides")."""
        judgement = self._equality_at(scope, step, a, b, approx, componentwise)
        if judgement.verdict != X:
            return judgement
        needed = _names(a, b) | scope.reachable_names(a, b)

        def again(values, defs=None):
            changed = dataclasses.replace(scope, earlier={}, values=values, defs=scope.defs if defs is None else defs)
            try:
                return self._equality_at(changed, step, a, b, approx, componentwise)
            except Unverifiable:
                return None

        assumed = sorted((s for s in needed if scope.assumed_values.get(s, step.line) < step.line
                          and scope.stated.get(s) == scope.assumed_values[s]), key=lambda s: s.name)
        if assumed:  # judged again with those names free: false in general is false here too
            general = again({k: v for k, v in scope.values.items() if k not in assumed})
            if general is not None and general.verdict == X:
                return general
            s = assumed[0]
            raise Unverifiable(f"false with {scope.shown(s)} = {show_expr(scope.values[s])}, the value assumed on line "
                               f"{scope.assumed_values[s]} (\"for {scope.shown(s)} = …\"); if {scope.shown(s)} has "
                               f"another value here, state it")
        redefined = [s for s in scope.earlier if s in needed]
        if not redefined:
            return judgement
        defs, values = dict(scope.defs), dict(scope.values)
        for s in redefined:
            formula, value, _ = scope.earlier[s]
            defs.pop(s, None)
            if formula is not None:
                defs[s] = formula
            if value is not None:
                values[s] = value
        earlier = again(values, defs)
        if earlier is None or earlier.verdict != V:
            return judgement
        s = redefined[0]
        raise Unverifiable(f"false with {scope.shown(s)} as written on line {scope.stated.get(s, '?')}, but it holds "
                           f"with its earlier value or formula (line {scope.earlier[s][2] or '?'}): the text may "
                           f"have set {scope.shown(s)} otherwise only for a moment")

    def _equality_at(self, scope: Scope, step, a, b, approx: bool, componentwise: bool = False) -> Judgement:
        if _matrix_product(a, b, scope):
            raise Unverifiable("a product of matrices written with their names: its order is not kept in this "
                               "reading, so it is not checked")
        as_condition = step.after_condition is not None or step.premise_next
        # numbers are put in where one side is a number, never in a condition (its unknowns are solved for)
        use_values = not (_names(a) and _names(b)) and not as_condition
        scope.use_values = use_values
        try:
            (lhs, rhs), defs = scope.prepare_with_defs(a, b)
        finally:
            scope.use_values = True
        lhs, rhs, defs = _opaque(lhs, rhs, defs, scope)
        if as_condition and outcome_is_identity(lhs, rhs, defs):
            as_condition = False  # an identity between functions is a claim, never the premise of an implication
        if not as_condition:
            numeric = self._numeric(lhs, rhs, defs, "≈" if approx else "=")
            if numeric is not None:
                return numeric
        seed = zlib.crc32(f"{step.a.source}={step.b.source}".encode())
        marked = not componentwise and (_matrix_marked(a, b) or (self.vector and _matrix_sensitive(a, b, scope)))
        outcome = decide_equal(exact(lhs), exact(rhs), seed, {k: exact(v) for k, v in defs.items()},
                               prove=not (marked and not as_condition))
        if outcome.verdict == "invalid" and not as_condition and not use_values:
            at_values = self._at_given_values(scope, step, a, b)
            if at_values is not None:
                return at_values
        if approx and outcome.verdict == "invalid":
            raise Unverifiable("≈ between expressions is checked only between numbers")
        if outcome.verdict == "valid" and _has_kinks(lhs, rhs, *defs.values()):
            outcome = type(outcome)("valid", f"{outcome.reason}; except where a case changes (the argument of ReLU, "
                                    f"|·|, max or a step is 0), which was not checked", None)
        unknowns = unknowns_in(lhs, rhs, *defs.values())
        names = sorted(_names(lhs, rhs, *defs.values()) - set(defs), key=lambda s: s.name)
        if not names and not unknowns and outcome.verdict == "valid":
            return Judgement(V, outcome.reason)
        if outcome.verdict == "invalid" and unknowns:
            raise Unverifiable(_unknown_reason(unknowns, self.context, self.model))
        # a side that became a number at an index (δ_ij = 0 at i ≠ j) is no value stated for the other side's names
        collapsed = componentwise and _names(step.a.expr) and _names(step.b.expr)
        # entries of a family under a stated condition (Σ_k w_k = 1) are compared with numbers under that condition
        collapsed = collapsed or componentwise and all(n.name.partition("_")[0] in scope.family_sums for n in names)
        if outcome.verdict == "invalid" and names and (not _names(a) or not _names(b)) and not as_condition \
                and not collapsed:
            shown = ", ".join(scope.shown(n) for n in names[:3])
            raise Unverifiable(f"compares {shown} with numbers, but {shown} {'has' if len(names) == 1 else 'have'} "
                               f"no value here")
        assumed = [self.assumed[s] for s in names if s in self.assumed]
        if outcome.verdict == "invalid" and assumed and not as_condition:
            raise Unverifiable(f"false at some values, but the document assumes {assumed[0]}; relations under "
                               f"assumptions are not refuted here")
        if outcome.verdict == "valid" and marked and self.model_matrices and not as_condition and step.rel == "=" \
                and all(self.scope.defs.get(k) == v for k, v in self.scope.model_defs.items()):  # as the model's matrices
            return self._matrix_claim(step, Judgement(U, "it holds in the scalar reading; not read as the model's matrices"))
        if outcome.verdict == "valid" and marked:
            raise Unverifiable("it holds when every quantity is a number (the scalar reading); as a statement "
                               "about vectors and matrices, whose products do not commute, it is not checked")
        if not names or not as_condition or (outcome.verdict == "valid" and step.after_condition is None):
            return Judgement(Verdict(outcome.verdict), outcome.reason, outcome.counterexample)
        condition = tuple(exact(e) for e in scope.prepare(a, b))
        if outcome.verdict == "valid":
            return Judgement(V, outcome.reason, None, condition, True)
        if step.after_condition is not None:
            implied = decide_implies(step.after_condition, [condition], step.integer)
            return Judgement(Verdict(implied.verdict), implied.reason, implied.counterexample, condition, True)
        shown = ", ".join(self.scope.shown(s) for s in names)
        return Judgement(V, f"premise: a condition on {shown}, the starting point of the implication below",
                         None, condition, True)

    def _at_given_values(self, scope: Scope, step, a, b) -> Judgement | None:
        """An identity that fails in general but is written with numbers (0.8 for 1 - 2η with η = 0.1):
        valid if it holds once the given values are in."""
        written = f"{step.a.source} {step.b.source}"
        valued = [s for s in _names(a, b) | scope.reachable_names(a, b) if s in scope.values and s not in scope.unchecked]
        if not valued or not re.search(r"\d\.\d|(?<![\d^_{])[3-9]\d*|\d{2,}", written):
            return None
        try:
            (lhs, rhs), defs = scope.prepare_with_defs(a, b)
            lhs, rhs, defs = _opaque(lhs, rhs, defs, scope)
            full = [substitute(e, defs, MAX_NODES) for e in (lhs, rhs)]
            if any(e is None for e in full) or any(e.atoms(Unknown) for e in full):
                return None
            if precision.has_decimals(*full) and not (_names(*full)):
                ok = precision.compare(full[0], full[1], "=")[0]
            else:
                ok = decide_equal(exact(full[0]), exact(full[1])).verdict == "valid"
        except Unverifiable:
            return None
        if not ok:
            return None
        shown = ", ".join(f"{scope.shown(s)} = {_number(scope.values[s])}" for s in sorted(valued, key=lambda x: x.name)[:4])
        return Judgement(V, f"holds at the values given ({shown}), though not for all values")

    def _numeric(self, lhs, rhs, defs, op: str) -> Judgement | None:
        """Both sides numbers once the values are in: compared at the precision written (or exactly)."""
        full = [substitute(e, defs, MAX_NODES) for e in (lhs, rhs)]
        if any(e is None for e in full) or any(_names(e) or e.atoms(Unknown) for e in full):
            return None
        unchecked = sorted({self.scope.unchecked[s] for s in defs if s in self.scope.unchecked})
        if not precision.has_decimals(*full):
            if op == "≈":
                op = "="
            elif unchecked:
                outcome = decide_equal(exact(full[0]), exact(full[1]))
                if outcome.verdict == "valid":
                    return Judgement(U, _with_unchecked(outcome.reason, unchecked))
                return Judgement(Verdict(outcome.verdict), outcome.reason, outcome.counterexample)
            else:
                return None
        try:
            ok, left, right = precision.compare(full[0], full[1], op)
            loose = ok or precision.compare(full[0], full[1], op, units=1)[0]
        except Undefined:
            raise Unverifiable("a side has no real value (division by zero or the log of a negative number)")
        digits = _written_precision(full)
        if ok and unchecked:
            return Judgement(U, _with_unchecked(f"the numbers agree at the precision written{digits}", unchecked))
        if ok:
            return Judgement(V, f"arithmetic at the precision written{digits}: {left} and {right} agree")
        if loose:
            return Judgement(U, f"{left} and {right} agree only to within one unit of the last digit written{digits}: "
                             f"rounded differently, or truncated?")
        return Judgement(X, f"arithmetic: {left} ≠ {right}, beyond the precision written{digits}",
                         {"values": {}, "lhs": left, "rhs": right})

    def _different(self, step, a, b) -> Judgement:
        (lhs, rhs), defs = self.scope.prepare_with_defs(a, b)
        full = [substitute(e, defs, MAX_NODES) for e in (lhs, rhs)]
        if any(e is None for e in full) or any(_names(e) or e.atoms(Unknown) for e in full):
            return self._assumption(step, a, b)
        out = decide_equal(exact(full[0]), exact(full[1]))
        if out.verdict == "valid":
            return Judgement(X, f"the two sides are equal ({out.reason})", {"values": {}, "lhs": str(full[0]),
                                                                             "rhs": str(full[1])})
        return Judgement(V, "arithmetic: the two sides differ")

    # ------------------------------------------------------------------ conditions
    def _family_sum(self, step, base: str, total) -> Judgement:
        """Σ_k y_k = 1 for a family the document does not define: a condition its entries meet whenever they are
        instantiated (one-hot values if the text around it calls y one-hot), not a claim."""
        one_hot = total == 1 and re.search(r"one[- ]?hot", step.nearby, re.I) is not None
        self.scope.family_sums[base] = (total, one_hot)
        shown = self.scope.shown(sp.Symbol(base))
        return Judgement(V, f"given: the entries of {shown} sum to {total}" + (" (one-hot)" if one_hot else "")
                         + ", a condition they meet wherever they are instantiated")

    def _assumption(self, step, a, b) -> Judgement:
        """A condition stated for what follows: recorded (it may be the premise of an implication), not judged."""
        shown = f"{step.a.source.strip()} {step.rel_source} {step.b.source.strip()}"
        op = "=" if step.rel in ("=", "def") else INEQUALITIES.get(step.rel_source.strip())
        self.scope.given_by_assumption(a, op, b, step.line)
        if op != "=":  # an inequality restricts the values at which later relations may be refuted
            for e in (a, b):
                for s in _names(e) if isinstance(e, sp.Basic) else ():
                    self.assumed.setdefault(s, shown)
        condition = None
        if op is not None and isinstance(a, sp.Basic) and isinstance(b, sp.Basic) and not isinstance(b, sp.Set):
            self.scope.use_values = False
            try:
                lhs, rhs = (exact(e) for e in self.scope.prepare(a, b))
                condition = (lhs, rhs, op)
            except Unverifiable:
                condition = None
            finally:
                self.scope.use_values = True
        return Judgement(V, f"assumption: {shown}, a condition for what follows (not a claim)", None, condition,
                         condition is not None)

    def _membership(self, step, a, b) -> Judgement:
        """``a \\in S``: arithmetic, a step of an implication, or a premise."""
        if not isinstance(b, sp.Set):
            raise Unverifiable(f"{step.b.source.strip()} is not a set")
        if not isinstance(a, sp.Symbol) and (b.atoms(sp.Symbol) or "^" in step.b.source):
            raise Unverifiable(f"a claim about the shape of {step.a.source.strip()} is not checked")
        self.scope.use_values = step.after_condition is None and not step.premise_next
        try:
            (lhs,) = [exact(e) for e in self.scope.prepare(a)]
        finally:
            self.scope.use_values = True
        condition = (lhs, b, "in")
        if not lhs.free_symbols:
            inside = b.contains(lhs)
            if inside in (sp.true, sp.false):
                if inside == sp.true:
                    return Judgement(V, f"{lhs} is in {b}", None, condition, False)
                return Judgement(X, f"{lhs} is not in {b}", {"values": {}, "lhs": str(lhs), "rhs": str(b)},
                                 condition, False)
        if step.after_condition is not None:
            implied = decide_implies(step.after_condition, [condition], step.integer)
            return Judgement(Verdict(implied.verdict), implied.reason, implied.counterexample, condition, True)
        if step.premise_next:
            return Judgement(V, "premise: a condition, the starting point of the implication below", None,
                             condition, True)
        return Judgement(V, f"assumption: {step.a.source.strip()} ∈ {step.b.source.strip()}, a declaration of "
                         f"what {step.a.source.strip()} is (not a claim)")

    def _inequality(self, step, a, b, op: str) -> Judgement:
        """``a op b``: arithmetic, a step of an implication, a premise, an assumption, or a claim refuted at some point."""
        simple = (isinstance(a, sp.Symbol) and not isinstance(a, Decimal) and isinstance(b, (sp.Number, Decimal))) or \
            (isinstance(b, sp.Symbol) and not isinstance(b, Decimal) and isinstance(a, (sp.Number, Decimal)))
        if simple and step.after_condition is None and not step.premise_next:
            return self._assumption(step, a, b)
        condition_step = step.after_condition is not None or step.premise_next
        self.scope.use_values = not condition_step
        try:
            lhs, rhs = self.scope.prepare(a, b)
        finally:
            self.scope.use_values = True
        if precision.has_decimals(lhs, rhs) and not (_names(lhs) or _names(rhs)):
            ok, left, right = precision.compare(lhs, rhs, op)
            return (Judgement(V, f"arithmetic: {left} {op} {right}") if ok else
                    Judgement(X, f"arithmetic: {left} {op} {right} is false", {"values": {}, "lhs": left, "rhs": right}))
        lhs, rhs = exact(lhs), exact(rhs)
        condition = (lhs, rhs, op)
        unknowns = sorted(lhs.free_symbols | rhs.free_symbols, key=lambda s: s.name)
        if not unknowns:
            lv, rv = evaluate(compile_expr(lhs), {}), evaluate(compile_expr(rhs), {})
            if _compare(lv, rv, op):
                return Judgement(V, f"arithmetic: {show(lv)} {op} {show(rv)}", None, condition, False)
            return Judgement(X, f"arithmetic: {show(lv)} {op} {show(rv)} is false",
                             {"values": {}, "lhs": show(lv), "rhs": show(rv)}, condition, False)
        if step.after_condition is not None:
            implied = decide_implies(step.after_condition, [condition], step.integer)
            return Judgement(Verdict(implied.verdict), implied.reason, implied.counterexample, condition, True)
        if step.premise_next:
            names = ", ".join(self.scope.shown(s) for s in unknowns)
            return Judgement(V, f"premise: a condition on {names}, the starting point of the implication below",
                             None, condition, True)
        if isinstance(a, _SIMPLE_SIDE) and isinstance(b, _SIMPLE_SIDE):
            return self._assumption(step, a, b)
        if unknowns_in(lhs, rhs):
            raise Unverifiable(_unknown_reason(unknowns_in(lhs, rhs), self.context, self.model))
        f, g = compile_expr(lhs), compile_expr(rhs)
        points = _points(unknowns, zlib.crc32(step.b.source.encode()), lhs.has(sp.floor, sp.ceiling))
        for _ in range(40):
            env = next(points)
            try:
                lv, rv = evaluate(f, env), evaluate(g, env)
            except Undefined:
                continue
            if not _compare(lv, rv, op):
                assumed = [self.assumed[s] for s in unknowns if s in self.assumed]
                if assumed:
                    raise Unverifiable(f"false at {_shown_point(env, self.scope)}, which may break the assumption "
                                       f"{assumed[0]}; relations under assumptions are not refuted here")
                raise Unverifiable(f"false at {_shown_point(env, self.scope)}: as a claim it does not hold for every "
                                   f"value, but an inequality written alone is usually a condition, so it is not "
                                   f"refuted; write it as the premise of an implication to have it checked")
        raise Unverifiable("an inequality with unknowns is decided only as a step of an implication "
                           "(no counterexample at 40 points)")

    # ------------------------------------------------------------------ definitions and givens
