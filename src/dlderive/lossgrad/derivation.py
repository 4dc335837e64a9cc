"""∂L/∂P of a loss over T unrolled steps of a declared cell, in the δ form: the output δs, δh and the
other δ's backwards through time, then the weight gradient as a sum over time of outer products."""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..cells import at, get_cell, param, shift, timed
from ..errors import DlderiveError
from ..matrices import hadamard, mm
from ..memo import cached
from ..notation import time_offset_name
from ..steps import Derivation, Step
from .losses import get_loss
from .proof import prove
from .plan import OUTPUT_BIAS, OUTPUT_WEIGHT, TARGET, Plan, delta_name, output_base, plan, prob_base, shifted
from .render import Form

MAX_STEPS = 1000
LOSS = sp.Function("ell")
SOFTMAX = sp.Function("softmax")


def accepted(cell, T: int) -> list[str]:
    """The names --weight accepts: the cell's weights and biases, V, b_y, the inputs and initial states."""
    out = [p.name for p in cell.parameters] + [OUTPUT_WEIGHT, OUTPUT_BIAS]
    out += [time_offset_name(b, j) for b in cell.inputs for j in range(T)]
    out += [time_offset_name(s, T) for s in cell.states]
    return out


def check_arguments(cell, weight, steps, loss, form: str = "vector") -> tuple:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_STEPS:
        raise DlderiveError(f"--steps must be a whole number from 1 to {MAX_STEPS}, not {steps!r}")
    get_loss(loss)
    if loss == "softmax_ce" and form == "scalar":
        raise DlderiveError("--loss softmax_ce takes --form vector only: in the scalar form s has one entry, "
                            "softmax(s) = 1 and the loss is 0; --loss squared takes both forms")
    names = accepted(cell, int(steps))
    if weight not in names:
        raise DlderiveError(f"--weight {weight!r} is not a weight of the {cell.name} loss over {steps} step"
                            f"{'s' if steps > 1 else ''}; accepted: {', '.join(names)}")
    return weight, int(steps), loss


@cached
def derive_loss_grad(name: str, cell_name: str, weight: str, steps: int, loss: str, form: str) -> Derivation:
    cell = get_cell(cell_name)
    weight, T, loss = check_arguments(cell, weight, steps, loss, form)
    if form == "vector" and cell.size_problem:
        raise DlderiveError(cell.size_problem)
    p = plan(cell_name, loss)
    F = Form(form, dict(p.kinds))
    steps_, result, definitions = _steps(p, F, weight, T)
    proven = prove(p, F, steps_, result, weight, T)
    title = (f"∂L/∂{weight} of the {cell.name} cell over {T} step{'s' if T > 1 else ''}, "
             f"{'squared error' if loss == 'squared' else 'softmax cross-entropy'} on s = V h + b_y")
    return Derivation(name, form, title, proven[:-1], definitions, proven[-1])


def _steps(p: Plan, F: Form, weight: str, T: int):
    cell = p.cell
    base = output_base(cell)
    loss = get_loss(p.loss)
    steps, definitions = [], {}
    s = [F.sym(time_offset_name(base, j)) for j in range(T)]
    y = [F.sym(time_offset_name(TARGET, j)) for j in range(T)]
    L = sp.Symbol("L", real=True)
    steps.append(Step(L, sp.Add(*[LOSS(sp.Symbol(si.name, real=True), sp.Symbol(yi.name, real=True))
                                  for si, yi in zip(s, y)]), "definition",
                      f"the loss over {T} step{'s' if T > 1 else ''}, ℓ(s, y) = {loss.formula}"))
    V, b_y = F.sym(OUTPUT_WEIGHT), F.sym(OUTPUT_BIAS)
    h = at(cell.hidden)
    steps.append(Step(s[0], _matvec(F, V, F.sym(h.name)) + b_y, "definition",
                      "the output layer, the same at every step (s_(t-j) = V h_(t-j) + b_y)"))
    for j in range(T):
        for ident, expr in cell.equations:
            definitions[shifted(ident, j)] = shift(expr, j)
        definitions[time_offset_name(base, j)] = param(OUTPUT_WEIGHT) * at(cell.hidden, j) + param(OUTPUT_BIAS)
    prob = prob_base(cell)
    for j in range(T):
        ds = F.sym(delta_name(s[j].name))
        if p.loss == "squared":
            steps.append(Step(ds, s[j] - y[j], "derivative of the loss", "∂ℓ/∂s of ½‖s − y‖²"))
        else:
            pj = F.sym(time_offset_name(prob, j))
            definitions[pj.name] = SOFTMAX(sp.Symbol(s[j].name, real=True))
            steps.append(Step(ds, pj - y[j], "derivative of the loss",
                              f"∂ℓ/∂s of −Σ_k y_k log p_k with {pj.name} = softmax({s[j].name}); y sums to 1"))
        definitions[ds.name] = steps[-1].rhs
        for q in [h] + [q for q in p.order if q != h]:
            contributions, consumers = [], []
            for t in p.into(q):
                contributions.append(F.term(t, j, q.name))
                consumers.append(shifted(t.via, j) if t.via != "output" else s[j].name)
            if j > 0:
                for t in p.into(at(timed(q.name)[0], 1)):
                    contributions.append(F.term(t, j - 1, q.name))
                    consumers.append(shifted(t.via, j - 1))
            dq = F.sym(delta_name(shifted(q.name, j)))
            rhs = _sum(F, contributions, q.name)
            definitions[dq.name] = rhs
            steps.append(Step(dq, rhs, "chain rule",
                              f"∂L/∂{shifted(q.name, j)} through what reads it: "
                              + (", ".join(dict.fromkeys(consumers)) or "nothing")))
            if q in p.pre:
                sym, coefficient = p.pre[q]
                pre = F.sym(shifted(sym.name, j))
                c = shift(coefficient, j)
                value = hadamard(F.elementwise(c, q.name), dq) if F.vector else F.elementwise(c, q.name) * dq
                definitions[pre.name] = value
                steps.append(Step(pre, value, "chain rule",
                                  f"the pre-activation of {shifted(q.name, j)}: f'(a) = {c}"))
    result = _result(p, F, weight, T)
    steps = _needed(steps, result)
    kept = {str(s.lhs) for s in steps}
    return steps, result, {k: v for k, v in definitions.items() if not k.startswith("delta") or k in kept}


def _needed(steps: list, result: Step) -> list:
    """The definitions and the δ steps that the result reads, directly or through other δ's (every
    step reads only steps above it): ∂L/∂V needs only δs, the oldest step's gates only for its weights."""
    names = {s.name for s in result.rhs.free_symbols}
    kept = []
    for step in reversed(steps):
        if step.rule == "definition" or step.lhs.name in names:
            kept.append(step)
            names |= {s.name for s in step.rhs.free_symbols}
    return kept[::-1]


def _matvec(F: Form, M, v):
    return mm(M, v) if F.vector else M * v


def _sum(F: Form, parts, like: str):
    if not parts:
        return sp.ZeroMatrix(*F.shape(like)) if F.vector else sp.S.Zero
    return sp.MatAdd(*parts) if F.vector and len(parts) > 1 else (parts[0] if len(parts) == 1 else sp.Add(*parts))


def _result(p: Plan, F: Form, weight: str, T: int) -> Step:
    cell = p.cell
    parts = []
    t_ = timed(weight)
    if t_ is None:
        target = param(weight)
        for j in range(T):
            for t in p.into(target):
                parts.append(F.term(t, j, weight))
        note = f"summed over the {T} step{'s' if T > 1 else ''}: Σ_j of the step's contribution"
    else:
        b, k = t_
        if b in cell.inputs:
            j, local = k, at(b, 0)
        else:
            j, local = k - 1, at(b, 1)
        for t in p.into(local):
            parts.append(F.term(t, j, weight))
        note = f"{weight} is read only at step t-{j}"
    lhs = sp.Derivative(sp.Symbol("L", real=True), sp.Symbol(weight, real=True))
    return Step(lhs, _sum(F, parts, weight), "chain rule", note)
