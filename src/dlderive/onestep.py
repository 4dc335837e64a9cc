"""Derivations of one step of a declared cell (and of σ'), built by the rules and proven step by step."""
from __future__ import annotations

import dataclasses

import sympy as sp

from . import matrices as mx
from . import verify
from .catalog import entry
from .cells import at, get_cell, timed
from .errors import DlderiveError
from .functions import sigmoid
from .matrices import MatrixPartial, to_scalar
from .memo import cached
from .model import Model, derivation_name, model
from .rules import PRIORITY, RULES, Context, atoms, classify
from .steps import Derivation, Step
from .vectorform import N, as_matrix, symbols


# ----------------------------------------------------------------------------- building chains
def _pending(expr: sp.Basic, ctx: Context) -> dict:
    return {a: classify(a, ctx) for a in atoms(expr)}


def _note(rule: str, atoms, ctx: Context, fold) -> str:
    if rule == "substitution":
        return "; ".join(f"∂{a.args[0]}/∂{ctx.wrt} from {ctx.known_from[a.args[0]]}" for a in sorted(atoms, key=str))
    if rule == "independence":
        names = sorted({str(a.args[0]) for a in atoms})
        return f"{', '.join(names)} do{'es' if len(names) == 1 else ''} not depend on {ctx.wrt}"
    if rule.startswith("derivative of") and fold:
        return RULES[rule].identity + "; " + ", ".join(f"{v} = {to_scalar(d)}" for d, v in fold)  # as declared
    return RULES[rule].identity


def _fold(e: sp.Basic, names: dict) -> sp.Basic:
    """``e`` with each defining expression in ``names`` replaced by its name, except the vector of a
    matrix product (U (f ∘ h) stays as the cell's equation writes it)."""
    if e in names:
        return names[e]
    if not e.args or isinstance(e, sp.MatrixSymbol):
        return e
    if isinstance(e, sp.MatMul) and any(isinstance(a, sp.MatrixExpr) and not mx.is_vector(a) for a in e.args):
        return e.func(*[a.func(*[_fold(b, names) for b in a.args]) if mx.is_vector(a) and a.args and
                        not isinstance(a, sp.MatrixSymbol) else _fold(a, names) for a in e.args])
    return e.func(*[_fold(a, names) for a in e.args])


def chain(start: sp.Basic, ctx: Context, folds: dict, sym) -> list[Step]:
    """Expand every opaque atom of ``start``, one rule a step, highest priority first."""
    steps, expr = [], start
    while pending := _pending(expr, ctx):
        rule = min(pending.values(), key=PRIORITY.index)
        atoms = [a for a, r in pending.items() if r == rule]
        new = mx.tidy(expr.xreplace({a: RULES[rule].apply(a, ctx) for a in atoms}))
        used = []
        if rule.startswith("derivative of"):  # f'(a) in closed form, the cell's quantities named: 1 - u_t²
            used = [(d, v) for d, v in folds.items() if new.has(d)]
            new = _fold(new, dict(used))
        new = mx.canonical(new, sym)
        label = rule
        if rule == "definition":
            nums = sorted({ctx.numbers[a.args[0]] for a in atoms if a.args[0] in ctx.numbers})
            label = f"definition ({', '.join(map(str, nums))})" if nums else "definition"
        steps.append(Step(expr, new, label, _note(rule, atoms, ctx, used)))
        expr = new
    final = mx.collect(expr, sym, N)
    if final != expr:
        steps.append(Step(expr, final, "algebra", "diag(a) diag(b) = diag(a ∘ b); terms with the same matrix collected"))
    return steps


# ----------------------------------------------------------------------------- the derivations
def _derivative_of(m: Model, target: sp.Symbol) -> tuple[list[Step], sp.Basic]:
    """∂target/∂h_{t-1} for an equation of the cell, vector form (the scalar form is read from it)."""
    gates = [] if m.is_gate(target) else [s for s in m.definitions if m.is_gate(s) and m.wrt in m.depends[s]]
    known = {g: derive_vector_result(m.cell.name, g, m.state) for g in gates}
    ctx = m.context(known, {g: derivation_name(m.cell, g.name, m.state) for g in gates})
    steps = [Step(target, m.definitions[target], _def_label(m, target), "")]
    body = m.definitions[target]
    inner = sorted((s for s in body.atoms(sp.MatrixSymbol) if s in m.definitions and not m.is_gate(s)), key=str)
    for s in sorted(inner, key=str):
        steps.append(Step(s, m.definitions[s], _def_label(m, s), ""))
    if inner:
        expanded = body.xreplace({s: m.definitions[s] for s in inner})
        nums = ", ".join(f"({m.cell.numbers[s.name]})" for s in inner if s.name in m.cell.numbers)
        steps.append(Step(target, expanded, f"substitution of {nums or 'definitions'}", ""))
        body = expanded
    folds = {m.definitions[s]: s for s in m.definitions}
    folds.update({m.definitions[s].xreplace({i: m.definitions[i] for i in inner}): s for s in m.definitions})
    first = Step(MatrixPartial(target, m.wrt), MatrixPartial(body, m.wrt), steps[-1].rule, "")
    return [*steps, first, *chain(first.rhs, ctx, folds, symbols(m.cell))], first.lhs


def _def_label(m: Model, s: sp.Symbol) -> str:
    n = m.cell.numbers.get(s.name)
    return f"definition ({n})" if n else "definition"


def _independence(m: Model, state: sp.Symbol) -> tuple[list[Step], sp.Basic]:
    """∂s_{t-1}/∂h_{t-1} = 0, from the graph unrolled one step back."""
    back = m.cell.equations_at(1)  # as declared, for the note
    wrt, declared = sp.Symbol(m.wrt.name, real=True), sp.Symbol(state.name, real=True)
    leaves = sorted(m.previous[state].atoms(sp.MatrixSymbol), key=str)
    if m.wrt in leaves:
        raise DlderiveError(f"{state} depends on {m.wrt}: no independence to prove")
    hidden_reads = wrt in back and declared in back[wrt].free_symbols
    one_level = as_matrix(m.cell, back[declared])
    steps = [Step(state, one_level, _def_label(m, at(timed(state.name)[0])), "the cell equation one step back")]
    steps.append(Step(state, m.previous[state], "substitution", "gate definitions one step back"))
    steps.append(Step(MatrixPartial(state, m.wrt), MatrixPartial(m.previous[state], m.wrt), "substitution", ""))
    why = f"{state} depends on {', '.join(map(str, leaves))} only"
    if hidden_reads:
        why += f"; {m.wrt} = {back[wrt]} is computed from {state}, not the other way round"
    steps.append(Step(steps[-1].rhs, sp.ZeroMatrix(state.shape[0], m.wrt.shape[0]), "independence", why))
    return steps, steps[2].lhs


@cached
def derive_vector_result(cell_name: str, target: sp.MatrixSymbol, state: str = "") -> sp.Basic:
    return derive_one(derivation_name(get_cell(cell_name), target.name, state), "vector").final.rhs


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


def _scalar_steps(vector_steps: list[Step]) -> list[Step]:
    out = []
    for s in vector_steps:
        lhs, rhs = to_scalar(s.lhs), to_scalar(s.rhs)
        if lhs != rhs:
            out.append(dataclasses.replace(s, lhs=lhs, rhs=rhs))
    return out


def _realization(m: Model) -> tuple:
    """What the scalar prover substitutes, in order: every quantity in the leaves, then the
    states at t-1 one step back (so that ∂c_{t-1}/∂h_{t-1} is computed, not assumed)."""
    return (m.scalar(m.full), m.scalar(m.previous))


@cached
def derive_one(name: str, form: str) -> Derivation:
    """The proven one-step derivation ``name`` (not through time) in ``form``."""
    e = entry(name)
    if e.kind == "sigmoid":
        if form != "scalar":
            raise DlderiveError(f"{name} has only the scalar form")
        steps = verify.prove_scalar_steps(_sigmoid_steps())
        return Derivation(name, form, e.description, steps, {}, Step(steps[1].lhs, steps[-1].rhs, "result"))
    m = model(e.cell, e.state if e.kind == "derivative" else "")
    if e.kind == "derivative":
        vector_steps, target = _derivative_of(m, symbols(m.cell)(at(*timed(e.target)).name))
    else:
        vector_steps, target = _independence(m, symbols(m.cell)(at(e.state, 1).name))
    definitions = dict(m.full)
    if e.kind == "independence":
        definitions.update(m.previous)
    result = Step(target, vector_steps[-1].rhs, "result")
    if form == "vector":
        steps = verify.prove_vector_steps(vector_steps, m)
        return Derivation(name, form, e.description, steps, {str(s): x for s, x in definitions.items()}, result)
    steps = verify.prove_scalar_steps(_scalar_steps(vector_steps), _realization(m))
    return Derivation(name, form, e.description, steps, {str(s): x for s, x in m.scalar(definitions).items()},
                      Step(to_scalar(result.lhs), to_scalar(result.rhs), "result"))
