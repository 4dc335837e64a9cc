"""Derivations of a declared cell, built by the rules in rules.py and proven step by step.

``derive(name, form)`` returns a proven Derivation.  Names: ``sigmoid`` and, for every declared
cell, ``<cell>.<equation name>`` (∂y_t/∂h_{t-1}) and ``<cell>.<state>_independence``.
"""
from __future__ import annotations

import dataclasses
from functools import lru_cache

import sympy as sp

from . import bptt, verify
from .cells import CELLS, Cell, at, get_cell, register_cell, timed
from .errors import DlderiveError
from .functions import IDENTITY, Jacobian, Prime, sigmoid
from .jacobian import atomize, collect, to_scalar
from .notation import time_offset_name
from .rules import PRIORITY, RULES, Context, classify
from .steps import Derivation, Step

FORMS = ("scalar", "vector")


# ----------------------------------------------------------------------------- the cell's graph
@dataclasses.dataclass(frozen=True)
class Model:
    """A cell read as a dependency graph at time t, differentiated with respect to one state at t-1
    (the hidden state unless told otherwise), every other input of the step held fixed."""

    cell: Cell
    definitions: dict  # symbol at t -> one-level expression
    full: dict  # symbol at t -> expression in the leaves
    depends: dict  # symbol -> frozenset of leaves
    previous: dict  # symbol at t-1 (but the wrt state) -> its expression one step back, in leaves at t-1
    state: str = ""  # the state differentiated against; "" for the hidden state

    @property
    def wrt_state(self) -> str:
        return self.state or self.cell.hidden

    @property
    def wrt(self) -> sp.Symbol:
        return at(self.wrt_state, 1)

    def kinds(self) -> dict:
        exprs = [*self.full.items(), *self.previous.items()]
        names = {s.name for pair in exprs for e in pair for s in e.free_symbols}
        return {n: self.cell.kind(n) for n in names}

    def context(self, known=None, known_from=None) -> Context:
        return Context(self.wrt, self.definitions, self.depends, self.kinds(),
                       {s: self.cell.numbers[s.name] for s in self.definitions if s.name in self.cell.numbers},
                       known or {}, known_from or {})

    def is_gate(self, s: sp.Symbol) -> bool:
        """A gate reads only leaves: its derivative is a result of its own."""
        return not (self.definitions[s].free_symbols & self.definitions.keys())


@lru_cache(maxsize=None)
def model(cell_name: str, state: str = "") -> Model:
    """The graph of one step; ``state`` (default: hidden) names the state at t-1 to differentiate by.

    Differentiating by the hidden state, the other states at t-1 are expanded one step back (they
    do not depend on h_{t-1}); by another state, the states at t-1 are independent leaves, so the
    result is the partial derivative with the hidden state h_{t-1} held fixed.
    """
    cell = get_cell(cell_name)
    if state and state not in cell.states:
        raise DlderiveError(f"{cell_name} has no state {state!r}; states: {', '.join(cell.states)}")
    state = "" if state == cell.hidden else state
    definitions = cell.equations_at(0)
    full, depends = {}, {}
    for s, e in definitions.items():
        full[s] = e.xreplace(full)
        depends[s] = frozenset(full[s].free_symbols)
    previous = {}
    if not state:
        for s, e in cell.equations_at(1).items():
            previous[s] = e.xreplace(previous)
        previous.pop(at(cell.hidden, 1))
    return Model(cell, definitions, full, depends, previous, state)


# ----------------------------------------------------------------------------- building chains
def _tidy(expr: sp.Basic) -> sp.Basic:
    """Drop identity factors: I M = M."""
    return expr.replace(
        lambda e: isinstance(e, sp.Mul) and IDENTITY in e.args and len(e.args) > 1,
        lambda e: sp.Mul(*[a for a in e.args if a != IDENTITY]))


def _pending(expr: sp.Basic, ctx: Context) -> dict:
    atoms = expr.atoms(Jacobian) | expr.atoms(Prime)
    return {a: classify(a, ctx) for a in atoms}


def _note(rule: str, atoms, ctx: Context, fold) -> str:
    if rule == "substitution":
        return "; ".join(f"∂{a.args[0]}/∂{ctx.wrt} from {ctx.known_from[a.args[0]]}" for a in sorted(atoms, key=str))
    if rule == "independence":
        names = sorted({str(a.args[0]) for a in atoms})
        return f"{', '.join(names)} do{'es' if len(names) == 1 else ''} not depend on {ctx.wrt}"
    if rule.startswith("derivative of") and fold:
        return RULES[rule].identity + "; " + ", ".join(f"{v} = {d}" for d, v in fold)
    return RULES[rule].identity


def chain(start: sp.Basic, ctx: Context, folds: dict) -> list[Step]:
    """Expand every opaque atom of ``start``, one rule a step, highest priority first."""
    steps, expr = [], start
    while pending := _pending(expr, ctx):
        rule = min(pending.values(), key=PRIORITY.index)
        atoms = [a for a, r in pending.items() if r == rule]
        new = _tidy(expr.xreplace({a: RULES[rule].apply(a, ctx) for a in atoms}))
        used = [(d, v) for d, v in folds.items() if new.has(d)] if rule.startswith("derivative of") else []
        new = new.xreplace(dict(used))
        label = rule
        if rule == "definition":
            nums = sorted({ctx.numbers[a.args[0]] for a in atoms if a.args[0] in ctx.numbers})
            label = f"definition ({', '.join(map(str, nums))})" if nums else "definition"
        steps.append(Step(expr, new, label, _note(rule, atoms, ctx, used)))
        expr = new
    final = _collected(expr, ctx)
    if final != expr:
        steps.append(Step(expr, final, "algebra", "diag(a) diag(b) = diag(a ∘ b); terms with the same matrix collected"))
    return steps


def _collected(expr: sp.Basic, ctx: Context) -> sp.Basic:
    atoms, back = atomize(expr, ctx.kinds)
    return collect(atoms).xreplace(back)


# ----------------------------------------------------------------------------- the derivations
def _derivative_of(m: Model, target: sp.Symbol) -> tuple[list[Step], sp.Basic]:
    """∂target/∂h_{t-1} for an equation of the cell, vector form (the scalar form is read from it)."""
    gates = [] if m.is_gate(target) else [s for s in m.definitions if m.is_gate(s) and m.wrt in m.depends[s]]
    known = {g: derive_vector_result(m.cell.name, g, m.state) for g in gates}
    ctx = m.context(known, {g: derivation_name(m.cell, g.name, m.state) for g in gates})
    steps = [Step(target, m.definitions[target], _def_label(m, target), "")]
    body = m.definitions[target]
    inner = [s for s in body.free_symbols if s in m.definitions and not m.is_gate(s)]
    for s in sorted(inner, key=str):
        steps.append(Step(s, m.definitions[s], _def_label(m, s), ""))
    if inner:
        expanded = body.xreplace({s: m.definitions[s] for s in inner})
        nums = ", ".join(f"({m.cell.numbers[s.name]})" for s in inner if s.name in m.cell.numbers)
        steps.append(Step(target, expanded, f"substitution of {nums or 'definitions'}", ""))
        body = expanded
    folds = {m.definitions[s]: s for s in m.definitions}
    folds.update({m.definitions[s].xreplace({i: m.definitions[i] for i in inner}): s for s in m.definitions})
    first = Step(Jacobian(target, m.wrt), Jacobian(body, m.wrt), steps[-1].rule, "")
    return [*steps, first, *chain(first.rhs, ctx, folds)], first.lhs


def _def_label(m: Model, s: sp.Symbol) -> str:
    n = m.cell.numbers.get(s.name)
    return f"definition ({n})" if n else "definition"


def _independence(m: Model, state: sp.Symbol) -> tuple[list[Step], sp.Basic]:
    """∂s_{t-1}/∂h_{t-1} = 0, from the graph unrolled one step back."""
    back = m.cell.equations_at(1)
    leaves = sorted(m.previous[state].free_symbols, key=str)
    if m.wrt in leaves:
        raise DlderiveError(f"{state} depends on {m.wrt}: no independence to prove")
    hidden_reads = m.wrt in back and state in back[m.wrt].free_symbols
    one_level = back[state]
    steps = [Step(state, one_level, _def_label(m, at(timed(state.name)[0])), "the cell equation one step back")]
    steps.append(Step(state, m.previous[state], "substitution", "gate definitions one step back"))
    steps.append(Step(Jacobian(state, m.wrt), Jacobian(m.previous[state], m.wrt), "substitution", ""))
    why = f"{state} depends on {', '.join(map(str, leaves))} only"
    if hidden_reads:
        why += f"; {m.wrt} = {back[m.wrt]} is computed from {state}, not the other way round"
    steps.append(Step(steps[-1].rhs, sp.S.Zero, "independence", why))
    return steps, steps[2].lhs


@lru_cache(maxsize=None)
def derive_vector_result(cell_name: str, target: sp.Symbol, state: str = "") -> sp.Basic:
    return derive(derivation_name(get_cell(cell_name), target.name, state), "vector").final.rhs


def derivation_name(cell: Cell, ident: str, state: str = "") -> str:
    """``lstm.cell`` for ∂c_t/∂h_{t-1}; ``lstm.cell_wrt_c`` for ∂c_t/∂c_{t-1} (h_{t-1} held fixed)."""
    name = f"{cell.name}.{cell.names.get(ident, ident)}"
    return name if not state or state == cell.hidden else f"{name}_wrt_{state}"


def _sigmoid_steps() -> list[Step]:
    z = sp.Symbol("z", real=True)
    u = sp.UnevaluatedExpr(1 + sp.exp(-z))
    s = 1 / u
    ue = sp.UnevaluatedExpr
    return [
        Step(sigmoid(z), 1 / (1 + sp.exp(-z)), "definition", "the logistic function"),
        Step(sp.Derivative(sigmoid(z), z), sp.Derivative(u ** -1, z), "definition", ""),
        Step(sp.Derivative(u ** -1, z), sp.Mul(-1, u ** -2, sp.Derivative(u, z), evaluate=False), "chain rule",
             "d(a^-1)/dz = -a^-2 da/dz"),
        Step(sp.Mul(-1, u ** -2, sp.Derivative(u, z), evaluate=False), sp.Mul(-1, u ** -2, -sp.exp(-z), evaluate=False),
             "derivative of exp", "d(1 + e^-z)/dz = -e^-z"),
        Step(sp.Mul(-1, u ** -2, -sp.exp(-z), evaluate=False), sp.exp(-z) / u ** 2, "algebra", ""),
        Step(sp.exp(-z) / u ** 2, sp.Mul(s, sp.exp(-z) / u, evaluate=False), "algebra", "split the square"),
        Step(sp.Mul(s, sp.exp(-z) / u, evaluate=False),
             sp.Mul(s, sp.Add(u / u, -s, evaluate=False), evaluate=False), "algebra", "e^-z = (1 + e^-z) - 1"),
        Step(sp.Mul(s, sp.Add(u / u, -s, evaluate=False), evaluate=False),
             sp.Mul(s, 1 - ue(1 / (1 + sp.exp(-z))), evaluate=False), "algebra", ""),
        Step(sp.Mul(s, 1 - ue(1 / (1 + sp.exp(-z))), evaluate=False), sigmoid(z) * (1 - sigmoid(z)),
             "definition", "1/(1 + e^-z) = σ(z)"),
    ]


def _registry() -> dict:
    out = {"sigmoid": ("σ'(z) = σ(z)(1 − σ(z)), from σ(z) = 1/(1 + e^{-z})", None, None)}
    for cell in CELLS.values():
        out.update(cell_entries(cell))
    return out


def _shown(base: str, k: int = 0) -> str:
    """A timed variable as a reader writes it: ``h_{t-1}``."""
    return "{}_{}".format(base, "t" if k == 0 else f"{{t-{k}}}")


def cell_entries(cell: Cell) -> dict:
    """The derivations of one cell: each equation by the hidden state at t-1 and by every other
    state it depends on, the independence of the other states, and the derivatives through time."""
    out = {}

    def add(name, entry):
        if name in out:
            raise DlderiveError(f"cell {cell.name}: two derivations would be named {name}; rename one in [names]")
        out[name] = entry

    for state in cell.states:
        m = model(cell.name, state)
        for ident, _ in cell.equations:
            if state != cell.hidden and m.wrt not in m.depends[at(*timed(ident))]:
                continue
            held = "" if state == cell.hidden else f", {_shown(cell.hidden, 1)} held fixed"
            add(derivation_name(cell, ident, state), (
                f"∂{_shown(*timed(ident))}/∂{_shown(state, 1)} of the {cell.name} cell{held}",
                cell.name, ("derivative", ident, state)))
    for state in cell.states:
        if state == cell.hidden:
            continue
        name = cell.names.get(time_offset_name(state, 0), state)
        add(f"{cell.name}.{name}_independence", (
            f"proof that ∂{_shown(state, 1)}/∂{_shown(cell.hidden, 1)} = 0 ({cell.name} cell)",
            cell.name, ("independence", state)))
    for state in cell.states:
        suffix = "" if state == cell.hidden else f"_{state}"
        add(f"{cell.name}.bptt{suffix}", (
            f"∂{_shown(state)}/∂{state}_{{t-k}} through k steps (--steps k, default {bptt.DEFAULT_STEPS}) "
            f"of the {cell.name} cell", cell.name, ("bptt", state)))
    return out


DERIVATIONS: dict[str, tuple] = _registry()
"""name -> (one-line description, cell name, what)."""


def describe() -> dict[str, str]:
    return {name: entry[0] for name, entry in DERIVATIONS.items()}


def derive(name: str, form: str = "scalar", steps: int | None = None) -> Derivation:
    """The proven derivation ``name`` in ``form`` ("scalar" or "vector"); ``steps`` = k for the
    derivations through time (``<cell>.bptt``), which alone accept it."""
    if name not in DERIVATIONS:
        raise DlderiveError(f"unknown derivation {name!r}; known: {', '.join(DERIVATIONS)}")
    if form not in FORMS:
        raise DlderiveError(f"unknown form {form!r}; choose one of: {', '.join(FORMS)}")
    what = DERIVATIONS[name][2]
    if what is not None and what[0] == "bptt":
        return _derive(name, form, bptt.check_steps(steps))
    if steps is not None:
        raise DlderiveError(f"--steps applies only to the derivations through time (<cell>.bptt), not to {name}")
    return _derive(name, form, None)


@lru_cache(maxsize=None)
def _derive(name: str, form: str, k: int | None) -> Derivation:
    description, cell_name, what = DERIVATIONS[name]
    if cell_name is None:
        if form != "scalar":
            raise DlderiveError(f"{name} has only the scalar form")
        steps = verify.prove_scalar_steps(_sigmoid_steps())
        return Derivation(name, form, description, steps, {}, {}, Step(steps[1].lhs, steps[-1].rhs, "result"))
    if what[0] == "bptt":
        return bptt.derive_through_time(name, get_cell(cell_name), what[1], k, form)
    m = model(cell_name, what[2] if what[0] == "derivative" else "")
    if what[0] == "derivative":
        vector_steps, target = _derivative_of(m, at(*timed(what[1])))
    else:
        vector_steps, target = _independence(m, at(what[1], 1))
    definitions = {str(s): e for s, e in m.full.items()}
    if what[0] == "independence":
        definitions.update({str(s): e for s, e in m.previous.items()})
    result = Step(target, vector_steps[-1].rhs, "result")
    if form == "vector":
        steps = verify.prove_vector_steps(vector_steps, m)
        return Derivation(name, form, description, steps, definitions, m.kinds(), result)
    scalar_steps = _scalar_steps(vector_steps)
    steps = verify.prove_scalar_steps(scalar_steps, _realization(m))
    return Derivation(name, form, description, steps, definitions, {},
                      Step(to_scalar(result.lhs), to_scalar(result.rhs), "result"))


def register(cell: Cell) -> list[str]:
    """Declare ``cell`` (e.g. read from a file) and list the names of its derivations."""
    register_cell(cell)
    try:
        entries = cell_entries(cell)
    except DlderiveError:
        unregister(cell.name)
        raise
    DERIVATIONS.update(entries)
    return list(entries)


def unregister(cell_name: str) -> None:
    """Forget a cell declared with ``register`` and every cached result (its name may be reused)."""
    from .evaluate import compiled
    CELLS.pop(cell_name, None)
    for name in [n for n, entry in DERIVATIONS.items() if entry[1] == cell_name]:
        del DERIVATIONS[name]
    for cache in (model, _derive, derive_vector_result, compiled, bptt.one_step_program):
        cache.cache_clear()


def _scalar_steps(vector_steps: list[Step]) -> list[Step]:
    out = []
    for s in vector_steps:
        lhs, rhs = to_scalar(s.lhs), to_scalar(s.rhs)
        if lhs != rhs:
            out.append(dataclasses.replace(s, lhs=lhs, rhs=rhs))
    return out


def _realization(m: Model) -> dict:
    """What the scalar prover substitutes, in order: every quantity in the leaves, then the
    states at t-1 one step back (so that ∂c_{t-1}/∂h_{t-1} is computed, not assumed)."""
    return (m.full, m.previous)
