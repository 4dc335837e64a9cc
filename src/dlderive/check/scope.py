"""The definitions in force: the model's equations (``--model``), the document's definitions and givens."""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field

import sympy as sp

from ..cells import get_cell
from ..cells.base import at, timed
from ..functions import Jacobian, Prime, relu
from ..reader import Context, Decimal, exact
from .errors import TooLarge, Unverifiable
from .indices import MAX_TERMS, _expand as expand_sums
from .limits import MAX_NODES, MODEL_STEPS
from .precision import span


class Unknown(sp.Symbol):
    """A quantity the document does not define: ∂L/∂w with L undefined, f(x) with f undefined, Var(X).

    A relation that still holds whatever its unknowns are is valid; otherwise it is unverifiable."""

    _about: dict = {}

    @classmethod
    def of(cls, shown: str, about: str) -> "Unknown":
        u = cls(shown, real=True)
        cls._about[u.name] = about
        return u

    @property
    def about(self) -> str:
        return self._about.get(self.name, self.name)


def unknowns_in(*exprs) -> list:
    return sorted({u for e in exprs if isinstance(e, sp.Basic) for u in e.atoms(Unknown)}, key=lambda u: u.name)


def _time(sym: sp.Symbol) -> int | None:
    t = timed(sym.name)
    return None if t is None else t[1]


def _frame(*exprs: sp.Basic) -> int:
    """The most recent step mentioned: leaves of the relation are the inputs and states of that step."""
    ks = [k for e in exprs for s in e.free_symbols if (k := _time(s)) is not None]
    return min(ks) if ks else 0


def _unknown_of_derivative(d: sp.Derivative) -> "Unknown":
    names = sorted(type(a).__name__ for a in d.expr.atoms(sp.core.function.AppliedUndef))
    return Unknown.of(str(d).replace("Derivative", "∂"), f"{', '.join(names)} is not defined here")


def _prime_value(p: Prime) -> sp.Basic:
    """f'(a) for a known f, at any a (σ'(0) too, where σ(0) is already a number)."""
    z = sp.Dummy("z", real=True)
    return p.base(z).diff(z).xreplace({z: p.args[0]})


def _at_point(sub: sp.Subs) -> sp.Basic:
    """f'(a): the derivative taken, then the point put in, with sums kept as sums (Σ_i of a term free of i
    stays a sum over its entries x_i, to be written out at the size given)."""
    taken = sub.expr.doit(deep=False)
    if taken.atoms(sp.Derivative, sp.Subs):
        return sub.doit()
    return taken.xreplace(dict(zip(sub.variables, sub.point)))


def _names(e: sp.Basic) -> set:
    """The named quantities in e: its symbols, without written decimals and unknowns."""
    return {s for s in e.free_symbols if not isinstance(s, (Decimal, Unknown))}


def _size(expr: sp.Basic, limit: int = MAX_NODES) -> int:
    """Nodes of the expression tree, counted up to just over ``limit``."""
    n, stack = 0, [expr]
    while stack and n <= limit:
        n += 1
        stack.extend(stack.pop().args)
    return n


def _fold_matrices(expr: sp.Basic) -> sp.Basic:
    """1x1 matrices become their entry; a matrix left inside a scalar expression is an error of shapes."""
    if isinstance(expr, sp.MatrixBase):
        return expr[0, 0] if expr.shape == (1, 1) else expr
    matrices = expr.atoms(sp.MatrixBase)
    if not matrices:
        return expr
    expr = expr.xreplace({m: m[0, 0] for m in matrices if m.shape == (1, 1)})
    if isinstance(expr, sp.MatrixBase):
        return _fold_matrices(expr)
    if expr.atoms(sp.MatrixBase):
        raise Unverifiable("matrices of different shapes are added, or a matrix stands where a number must")
    return expr


def substitute(expr: sp.Basic, defs: dict, limit: int) -> sp.Basic | None:
    """``expr`` with the definitions substituted, or None if it grows over ``limit`` nodes."""
    for _ in range(50):
        subs = {s: defs[s] for s in expr.free_symbols if s in defs}
        if not subs:
            return expr
        expr = expr.xreplace(subs)
        if _size(expr, limit) > limit:
            return None
    return None


KINKS = (sp.Heaviside, sp.sign, sp.Max, sp.Min, sp.Abs, relu)  # functions with a kink or a step


def _piece(kink: sp.Basic, spans: list) -> sp.Basic | None:
    """The piece of a piecewise function in force where its arguments lie in ``spans``; None if they straddle
    a kink (where max and |·| still have a value); a step at its kink has none."""
    if isinstance(kink, (sp.Max, sp.Min)):
        top = max if isinstance(kink, sp.Max) else min
        for arg, s in zip(kink.args, spans):
            others = [o for o in spans if o is not s]
            if all((s.lo > o.hi) if top is max else (s.hi < o.lo) for o in others):
                return arg
        return None
    arg, s = kink.args[0], spans[0]
    if s.lo > 0 or s.hi < 0:
        positive = s.lo > 0
        return {sp.Heaviside: sp.S(int(positive)), sp.sign: sp.S(1 if positive else -1),
                sp.Abs: arg if positive else -arg, relu: arg if positive else sp.S.Zero}[type(kink)]
    if isinstance(kink, (sp.Heaviside, sp.sign)):
        raise Unverifiable("at the values given, a step (the slope of ReLU, max or |·|) is at its kink, where "
                           "it has no value")
    return None


@dataclass
class Scope:
    """The definitions in force: the model's equations, then the document's definitions and givens."""

    model_defs: dict = field(default_factory=dict)
    defs: dict = field(default_factory=dict)
    tuples: dict = field(default_factory=dict)
    stated: dict = field(default_factory=dict)  # symbol -> line of its first statement
    states: frozenset = frozenset()  # the model's state names ("h", "c")
    values: dict = field(default_factory=dict)  # name -> the number the document gives it (a Decimal keeps its precision)
    unchecked: dict = field(default_factory=dict)  # name -> line where a value was stated that could not be checked
    use_values: bool = True  # while preparing: put the document's numbers in for the names that have them
    functions: dict = field(default_factory=dict)  # function class -> (parameters, body): f(x) = x^2
    context: "Context | None" = None  # how the document writes its names (for unknowns shown as written)
    deepest: int = -1  # the deepest step a derivative expanded to, while preparing a relation
    frame_context: int | None = None  # the most recent step of the relation being prepared: older states are its inputs
    pieces: dict = field(default_factory=dict)  # piecewise pieces taken at the values given, for the reason
    from_tuples: set = field(default_factory=set)  # the names whose values are the entries of a given tuple (x_2)
    earlier: dict = field(default_factory=dict)  # name -> (formula, value, line) it had before another formula
    index_letters: frozenset = frozenset()  # letters the document uses as indices besides i to n (Σ_w, w ≠ o)
    family_sums: dict = field(default_factory=dict)  # family -> (total, one-hot?): Σ_k y_k = 1 stated, "one-hot y"
    assumed_values: dict = field(default_factory=dict)  # name -> line of "for K = 3", which gave it its value

    @classmethod
    def for_model(cls, model: str | None) -> "Scope":
        defs, states = {}, frozenset()
        if model:
            cell = get_cell(model)
            states = frozenset(cell.states)
            for k in range(MODEL_STEPS):
                defs.update(cell.equations_at(k))
        return cls(model_defs=dict(defs), defs=dict(defs), states=states)

    def realize(self, expr: sp.Basic) -> sp.Basic:
        """Evaluate derivative fractions and f'(a) placeholders; apply the functions the document defines."""
        held = expr.atoms(sp.UnevaluatedExpr)
        if held:
            expr = expr.xreplace({u: u.args[0] for u in held})
        expr = self.apply_functions(expr)
        for _ in range(6):
            ders = expr.atoms(sp.Derivative)
            unknown = {d for d in ders if d.expr.atoms(sp.core.function.AppliedUndef)}
            if unknown:  # the derivative of a function the document does not define: an unknown of its own
                expr = expr.xreplace({d: _unknown_of_derivative(d) for d in unknown})
                ders = ders - unknown
            primes, jacobians = expr.atoms(Prime), expr.atoms(Jacobian)
            if not ders and not primes and not jacobians:
                return _fold_matrices(expr)
            mapping = {d: self.derivative(d) for d in ders}
            mapping.update({sub: self.realize(_at_point(sub)) for sub in expr.atoms(sp.Subs)})
            mapping.update({j: self.jacobian(j) for j in jacobians})
            mapping.update({p: _prime_value(p) for p in primes})
            expr = _fold_matrices(expr.xreplace(mapping))
        raise Unverifiable("derivatives nested too deeply")

    def apply_functions(self, expr: sp.Basic) -> sp.Basic:
        """f(a) with f defined by the document (f(x) = x^2): the body at a; u' alone: du/dx when u has one variable."""
        for _ in range(10):
            apps = [a for a in expr.atoms(sp.core.function.AppliedUndef)
                    if type(a) in self.functions or self._as_function(a) is not None]
            primes = [p for p in expr.free_symbols if self.context is not None and p in self.context.primes]
            if not apps and not primes:
                return expr
            mapping = {}
            for a in apps:
                params, body = self.functions.get(type(a)) or self._as_function(a)
                if len(params) != len(a.args):
                    raise Unverifiable(f"{type(a).__name__} takes {len(params)} arguments")
                mapping[a] = body.xreplace(dict(zip(params, a.args)))
            for p in primes:
                base, order = self.context.primes[p]
                value = self.defs.get(base, self.values.get(base))
                if value is None:
                    continue
                leaves = sorted(_names(exact(self.realize(value))), key=lambda x: x.name)
                if len(leaves) > 1:
                    continue
                mapping[p] = sp.diff(exact(value), leaves[0], order) if leaves else sp.S.Zero
            if not mapping:
                return expr
            expr = expr.xreplace(mapping)
        return expr

    def _as_function(self, app) -> tuple | None:
        """u(x) where the document defines the name u by a formula in one variable: that formula in x."""
        if type(app) in self.functions or len(app.args) != 1:
            return None
        name = sp.Symbol(type(app).__name__, real=True)
        value = self.defs.get(name)
        if value is None:
            return None
        leaves = sorted(_names(value), key=lambda x: x.name)
        if len(leaves) != 1:
            return None
        return (leaves[0],), value

    def jacobian(self, j: Jacobian) -> sp.Basic:
        """∂A/∂B: a derivative, or the matrix of them when A or B is a vector such as S_t = [h_t; c_t]
        (the components of B are independent coordinates: each is held fixed for the others)."""
        a, b = self.realize(j.args[0]), j.args[1]
        rows, cols = self._vector(a), self._vector(b)
        if rows is None and cols is None:
            return self.derivative(sp.Derivative(a, b))
        cols = cols if cols is not None else [b]
        if not all(isinstance(c, sp.Symbol) for c in cols):
            raise Unverifiable(f"a derivative with respect to {b}, which is not a vector of variables")
        hold = frozenset(cols)
        if rows is not None and hold & set(rows):  # ∂S_t/∂c_t: coordinates of one vector are independent
            hold |= {r for r in rows if isinstance(r, sp.Symbol)}
        return sp.ImmutableMatrix([[self.derivative(sp.Derivative(r, c), hold) for c in cols]
                                   for r in (rows if rows is not None else [a])])

    def _vector(self, x: sp.Basic) -> list | None:
        """The entries of x if it is a vector: a matrix, or a name defined as one (S_{t-k} from S_t)."""
        if isinstance(x, sp.MatrixBase):
            return list(x)
        if not isinstance(x, sp.Symbol):
            return None
        value, t = self.defs.get(x), timed(x.name)
        if value is None and t and t[1] > 0 and isinstance(self.defs.get(at(t[0], 0)), sp.MatrixBase):
            now = self.defs[at(t[0], 0)]
            value = now.xreplace({s: at(u[0], u[1] + t[1]) for s in now.free_symbols if (u := timed(s.name))})
        return list(value) if isinstance(value, sp.MatrixBase) else None

    def derivative(self, d: sp.Derivative, hold: frozenset = frozenset()) -> sp.Basic:
        """∂y/∂v by the chain rule through the definitions of the names that depend on v, down to the step
        where v enters (at the earliest the relation's most recent step, whose older states are inputs)."""
        y = self.realize(d.expr)
        for v, count in d.variable_count:
            if not isinstance(v, sp.Symbol):
                raise Unverifiable(f"a derivative with respect to {v}, which is not a variable")
            context = self.frame_context if self.frame_context is not None else _frame(y, v)
            frame = max(context, self._entry_step(v))
            self.deepest = max(self.deepest, frame)
            if not self._reaches(y, v, frame, hold) and not self._independent(y, v, frame, hold):
                return self._unknown_derivative(d)
            for _ in range(int(count)):
                y = self._chain(y, v, frame, hold)
        return self.realize(y)

    def _leaves(self, y: sp.Basic, v: sp.Symbol, frame: int, hold: frozenset) -> tuple[set, bool]:
        """The undefined names y is made of (through the definitions in the frame), and whether v is one."""
        seen, leaves, todo, found = set(), set(), list(_names(y)), False
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            if s == v:
                found = True
                continue
            k = _time(s)
            if s in self.defs and s not in hold and (k is None or k <= frame):
                todo.extend(_names(self.defs[s]))
            else:
                leaves.add(s)
        return leaves, found

    def _reaches(self, y, v, frame, hold) -> bool:
        return self._leaves(y, v, frame, hold)[1]

    def _independent(self, y, v, frame, hold) -> bool:
        """y does not depend on v, provably: y is a number, or every name it is made of is an input of the model."""
        leaves, _ = self._leaves(y, v, frame, hold)
        if not leaves and not y.atoms(sp.core.function.AppliedUndef):
            return True
        return bool(self.model_defs) and v in self.model_leaves and leaves <= self.model_leaves

    @property
    def model_leaves(self) -> set:
        if not hasattr(self, "_model_leaves"):
            names = {s for e in self.model_defs.values() for s in e.free_symbols}
            self._model_leaves = names | set(self.model_defs)
        return self._model_leaves

    def _unknown_derivative(self, d: sp.Derivative) -> sp.Basic:
        """∂y/∂v where the document does not say how y depends on v: an unknown, never 0."""
        y, v = d.expr, d.variables[0]
        shown = f"∂{self.shown(y)}/∂{self.shown(v)}"
        undefined = [self.shown(s) for s in sorted(_names(y), key=lambda x: x.name) if s not in self.defs]
        about = (f"{', '.join(undefined)} {'is' if len(undefined) == 1 else 'are'} not defined here, so "
                 f"{shown} is unknown" if undefined else f"{shown} is unknown")
        return Unknown.of(shown, about)

    def shown(self, e: sp.Basic) -> str:
        """A name (or an expression) as the document writes it."""
        if isinstance(e, sp.Symbol) and self.context is not None:
            return self.context.written.get(e.name, e.name)
        return str(e)

    def _entry_step(self, v: sp.Symbol) -> int:
        """The step whose equations take v as an input: t-k for x_{t-k}, t-(k-1) for a state such as h_{t-k}."""
        t = timed(v.name)
        if t is None:
            return -1
        return t[1] - 1 if t[0] in self.states else t[1]

    def _chain(self, expr: sp.Basic, v: sp.Symbol, frame: int, hold: frozenset = frozenset()) -> sp.Basic:
        """d expr/dv: each name defined at a step up to ``frame`` that depends on v contributes ∂expr/∂name · dname/dv."""
        dependent: dict = {}
        derivatives: dict = {}

        def usable(s) -> bool:
            k = _time(s)
            return s in self.defs and s != v and s not in hold and (k is None or k <= frame)

        def depends(s) -> bool:
            if s not in dependent:
                dependent[s] = False  # a cycle does not make a dependency
                free = self.defs[s].free_symbols
                dependent[s] = v in free or any(depends(t) for t in free if usable(t))
            return dependent[s]

        def total(e: sp.Basic) -> sp.Basic:
            out = sp.S.Zero
            for s in sorted(e.free_symbols, key=lambda x: x.name):
                if s == v:
                    out += sp.diff(e, s)
                elif usable(s) and depends(s):
                    if s not in derivatives:
                        derivatives[s] = total(self.realize(self.defs[s]))
                    if derivatives[s] != 0:
                        out += sp.diff(e, s) * derivatives[s]
            return out

        return total(expr)

    def prepare_with_defs(self, *exprs: sp.Basic) -> tuple[list, dict]:
        """The expressions with derivatives evaluated, and the definitions (name -> expression) in force in
        their common frame that they need: those names are not free, their values follow from the leaves."""
        self.entries_in_force()
        self.deepest, self.frame_context = -1, _frame(*exprs)
        try:
            exprs = [self.realize(e) for e in exprs]
        finally:
            self.frame_context = None
        frame = max(_frame(*exprs), self.deepest)
        defs = self._reachable(exprs, frame)
        if self.use_values:
            exprs, defs = self._written_out(exprs, defs, frame)
        exprs, defs = self._in_force(exprs, defs, frame)
        for e in exprs + list(defs.values()):
            bad = [s for s in e.free_symbols if s in self.tuples]
            if bad:
                raise Unverifiable(f"{bad[0]} stands for the tuple {self.tuples[bad[0]]}, not a number")
            if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
                raise Unverifiable("division by zero or an infinite value")
        return exprs, defs

    def _in_force(self, exprs: list, defs: dict, frame: int) -> tuple[list, dict]:
        """Each piecewise piece (max, ReLU, |·|, a step) whose arguments the given values fix, replaced by the
        piece in force there: max(0, w x) is w x and its slope 1 at w = 0.5, x = 2. At a kink a step has no
        value; a decimal is taken at the precision written."""
        for _ in range(5):
            kinks = {k for e in exprs + list(defs.values()) if isinstance(e, sp.Basic) for k in e.atoms(*KINKS)
                     if _names(k)}
            mapping = {}
            for k in kinks:
                args = k.args if isinstance(k, (sp.Max, sp.Min)) else k.args[:1]  # H(x) also holds H(0)
                spans = [self._given_span(a, frame) for a in args]
                if None not in spans:
                    piece = _piece(k, spans)
                    if piece is not None:
                        mapping[k] = piece
                        self.pieces.setdefault(sp.sstr(k), sp.sstr(piece))
            if not mapping:
                return exprs, defs
            exprs = [e.xreplace(mapping) for e in exprs]
            defs = {n: v.xreplace(mapping) for n, v in defs.items()}
        return exprs, defs

    def _written_out(self, exprs: list, defs: dict, frame: int) -> tuple[list, dict]:
        """Sums whose bounds are sizes the document gives (N = 2), written out term by term (x_1, x_2), with
        the definitions and values their terms need; used where a side is numbers only."""
        sizes = {}
        for node in {n for e in exprs + list(defs.values()) if isinstance(e, sp.Basic) for n in e.atoms(sp.Sum)}:
            for _, lo, hi in node.limits:
                for b in lo.free_symbols | hi.free_symbols:
                    v = self.values.get(b)
                    if b in self.unchecked or not isinstance(v, sp.Integer) or not 0 < v <= MAX_TERMS:
                        return exprs, defs
                    sizes[b] = int(v)
        if not sizes:
            return exprs, defs
        try:
            exprs = [expand_sums(e, sizes, 0) for e in exprs]
            defs = {n: expand_sums(v, sizes, 0) for n, v in defs.items()}
        except Unverifiable:
            return exprs, defs
        more = self._reachable([e for e in exprs + list(defs.values()) if isinstance(e, sp.Basic)], frame)
        return exprs, {**more, **defs}

    def _given_span(self, arg: sp.Basic, frame: int):
        """The interval of values of ``arg`` from its definitions and the values given to its leaves, or None."""
        saved, self.use_values = self.use_values, False
        try:
            known = self._reachable([arg], frame)
        finally:
            self.use_values = saved
        value = substitute(arg, known, MAX_NODES)
        if value is None:
            return None
        value = value.xreplace({s: self.values[s] for s in _names(value)
                                if s in self.values and s not in self.unchecked})
        if _names(value) or value.atoms(Unknown, sp.Derivative, sp.core.function.AppliedUndef):
            return None
        try:
            return span(value)
        except Unverifiable:
            return None

    def with_pieces(self, judge, step):
        """``judge(step)``, its reason naming the piecewise pieces that the given values decided."""
        self.pieces = {}
        judgement = judge(step)
        if self.pieces and judgement.verdict.value != "unverifiable":
            taken = "; ".join(f"{k} is {v}" for k, v in list(self.pieces.items())[:3])
            judgement = dataclasses.replace(judgement, reason=f"{judgement.reason} (at the values given, {taken})")
        return judgement

    def given_by_assumption(self, name, op: str | None, value, line: int) -> None:
        """"For H_in = 32, …": a number written for a name that has no formula is a value for what follows."""
        if (op == "=" and isinstance(name, sp.Symbol) and not isinstance(name, (Decimal, Unknown)) and name not in self.defs
                and not (len(name.name) == 1 and name.name in "ijklmn") and isinstance(value, (sp.Number, Decimal))):
            self.values[name], self.stated[name] = value, line
            self.unchecked.pop(name, None)
            self.assumed_values[name] = line

    def entries_in_force(self) -> None:
        """The entries of a tuple of numbers given for a name, given in turn: x = (1, 2) gives x_1 = 1, x_2 = 2."""
        wanted = {}
        for name, entries in self.tuples.items():
            if all(e.is_number for e in entries):
                for k, e in enumerate(entries, 1):
                    wanted[sp.Symbol(f"{name.name}_{k}", real=True)] = e
        for key in self.from_tuples - set(wanted):
            self.values.pop(key, None)
        self.from_tuples = {k for k, e in wanted.items() if k not in self.defs
                            and (k not in self.values or k in self.from_tuples)}
        self.values.update({k: wanted[k] for k in self.from_tuples})

    def sizes(self, names: list, a: sp.Basic, b: sp.Basic, default: tuple) -> tuple:
        """The sizes at which a relation with sums is checked: the value given to its size (N = 3) when one side
        is numbers only (a value computed with that size), else each of ``default``."""
        self.entries_in_force()
        given = {self.values.get(n) for n in names if n not in self.unchecked}
        if names and _names(a) and _names(b) or len(given) != 1:
            return default
        (n,) = given
        return (int(n),) if isinstance(n, sp.Integer) and 0 < n <= max(8, max(default)) else default

    def reachable_names(self, *exprs: sp.Basic) -> set:
        """The names whose definitions or values the expressions need, through every definition."""
        seen, todo = set(), [s for e in exprs if isinstance(e, sp.Basic) for s in _names(e)]
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            if s in self.defs:
                todo.extend(_names(self.defs[s]))
        return seen

    def instanced(self, n: int, expand, rename, is_template) -> "Scope":
        """A copy whose definitions have their sums written out at size n, and templates such as
        p_j = e^{z_j}/Σ_k e^{z_k} written for p_1 … p_n."""
        self.entries_in_force()
        defs, values = {}, dict(self.values)
        for k, v in self.defs.items():
            if is_template(k) and n:
                letters = k.name.partition("_")[2]
                for combo in itertools.product(range(1, n + 1), repeat=len(letters)):
                    index = dict(zip(letters, combo))
                    key = rename(k, index)
                    if isinstance(key, sp.Symbol) and key not in self.defs:
                        defs[key] = expand(rename(v, index), {}, n)
            try:
                defs[k] = expand(v, {}, n)
            except Unverifiable:  # a definition this relation may not need
                defs[k] = v
        copy = dataclasses.replace(self, defs=defs, values=values)
        return copy

    def prepare(self, *exprs: sp.Basic) -> list[sp.Basic]:
        """The expressions with derivatives evaluated and definitions substituted in a common frame."""
        out, defs = self.prepare_with_defs(*exprs)
        expanded = [substitute(e, defs, MAX_NODES) for e in out]
        if any(e is None for e in expanded):
            raise TooLarge(f"the expression has over {MAX_NODES} nodes after substituting definitions")
        return expanded

    def _reachable(self, exprs, frame: int) -> dict:
        out, todo = {}, [s for e in exprs for s in e.free_symbols]
        while todo:
            s = todo.pop()
            k = _time(s)
            valued = self.use_values and s in self.values
            if s in out or (s not in self.defs and not valued) or (k is not None and k > frame):
                continue
            out[s] = self.values[s] if valued else self.realize(self.defs[s])
            todo.extend(out[s].free_symbols)
        return out
