"""The derivation through time: ∂state_t/∂state_{t-k} as a product of one-step block Jacobians."""
from __future__ import annotations

import sympy as sp

from .. import matrices as mx
from ..catalog import entry
from ..cells import Cell, at, get_cell, shift
from ..memo import cached
from ..model import model
from ..notation import time_offset_name
from ..steps import Derivation, Step
from ..vectorform import N, symbols
from .blocks import Form, weight_free, one_step_blocks, stack_base
from .proof import prove_steps


@cached
def through_time(name: str, form: str, k: int) -> Derivation:
    """The proven derivation ``name`` of the catalog (a ``bptt`` entry) through ``k`` steps."""
    e = entry(name)
    return derive_through_time(name, get_cell(e.cell), e.state, k, form)


def derive_through_time(name: str, cell: Cell, state: str, k: int, form: str) -> Derivation:
    """The proven derivation ``name``: ∂state_t/∂state_{t-k} of ``cell`` in ``form``."""
    steps, result = _steps(cell, state, k, form)
    proven = prove_steps(cell, steps, k, form)
    m = model(cell.name)
    full = m.full if form == "vector" else m.scalar(m.full)
    definitions = {str(s): e for s, e in full.items()}
    return Derivation(name, form, f"∂{state}_t/∂{state}_(t-{k}) through {k} step{'s' if k > 1 else ''} "
                      f"of the {cell.name} cell",
                      proven, definitions, result)


def _steps(cell: Cell, state: str, k: int, form: str):
    F = Form(form, stack_base(cell), cell)
    product = F.product
    blocks = one_step_blocks(cell, form)
    target, source = at(state, 0), at(state, k)
    steps = []
    if len(cell.states) == 1:
        per_step = [F.d(at(state, j), at(state, j + 1)) for j in range(k)]
        result0, origin = blocks[state, state]
        steps.append(Step(F.d(target, source), product(per_step), "chain rule", _total_note(cell, k, [state])))
        steps.append(Step(per_step[0], result0, "substitution",
                          f"from {origin}; at step t-j every identifier moves j steps back"))
        explicit = product([shift(result0, j) for j in range(k)])
        steps.extend(_carousels(cell, F, {state: result0}, k))
        steps.append(Step(product(per_step), explicit, "substitution", _growth_note(k)))
        return steps, Step(F.d(target, source), explicit, "result")

    S = [at(F.stack, j) for j in range(k + 1)]
    states = cell.states
    steps.append(Step(F.col(S[0]), F.matrix([[F.col(at(q, 0))] for q in states]), "definition",
                      f"the state of the {cell.name} cell: what one step hands to the next"))
    per_step = [F.d(S[j], S[j + 1]) for j in range(k)]
    steps.append(Step(F.d(target, source), product([F.d(target, S[0]), F.d(S[0], S[k]), F.d(S[k], source)]),
                      "chain rule", f"{source} enters the state {S[k]}; {target} is read from {S[0]}"))
    steps.append(Step(F.d(S[0], S[k]), product(per_step), "chain rule", _total_note(cell, k, states)))
    atoms = F.matrix([[F.d(at(r, 0), at(q, 1)) for q in states] for r in states])
    steps.append(Step(per_step[0], atoms, "definition",
                      "one step's block Jacobian: each block a partial derivative of one step, the other "
                      "states at t-1 and the input held fixed; at step t-j every identifier moves j steps back"))
    for (r, q), (value, origin) in blocks.items():
        if r == q and weight_free(value, form) is not None:
            continue  # shown with its product below (the carousel)
        why = f"from {origin}" if origin else f"{at(r, 0)} does not read {at(q, 1)}"
        steps.append(Step(F.d(at(r, 0), at(q, 1)), value, "substitution" if origin else "independence", why))
    steps.extend(_carousels(cell, F, {q: blocks[q, q][0] for q in states}, k))
    index = states.index(state)
    row = F.matrix([[F.one if i == index else F.zero for i in range(len(states))]])
    column = F.matrix([[F.one if i == index else F.zero] for i in range(len(states))])
    steps.append(Step(F.d(target, S[0]), row, "definition", f"{target} is block {index + 1} of {S[0]}"))
    steps.append(Step(F.d(S[k], source), column, "definition",
                      f"{source} is block {index + 1} of {S[k]}; the other states at t-{k} are held fixed"))
    factored = product([F.d(target, S[0]), *per_step, F.d(S[k], source)])
    steps.append(Step(F.d(target, source), factored, "substitution", _growth_note(k)))
    return steps, Step(F.d(target, source), factored, "result")


def _total_note(cell: Cell, k: int, states) -> str:
    fixed = ", ".join(time_offset_name(q, 1) for q in cell.states)
    paths = " and ".join(states)
    return (f"total derivative: the change at t-{k} reaches t along every path of the unrolled graph "
            f"(through {paths} at every step); one step's partial derivative holds its other inputs "
            f"({fixed}, x_t) fixed, and the product of the one-step Jacobians (the chain rule) sums "
            f"all the paths without listing them"
            + ("; so ∂h_t/∂h_(t-2) is not ∂h_t/∂h_(t-1) ∂h_(t-1)/∂h_(t-2): that product of partial "
               "derivatives misses the paths through the other states" if len(states) > 1 else ""))


def _carousels(cell: Cell, F: Form, diagonal: dict, k: int) -> list[Step]:
    """For each state whose one-step Jacobian with itself is elementwise (no weight matrix), the
    path along that state alone: a product of diagonals, the constant error carousel."""
    out = []
    for q, result in diagonal.items():
        v = weight_free(result, F.name)
        if v is None:
            if F.name == "vector":
                opaque: dict = {}
                free = [sl[0] for sk, sl in mx.diagonal_chains(result, opaque) if not sk]
                if free and len(cell.states) == 1:
                    v = mx.restore(sp.Add(*free), symbols(cell), opaque, (N, 1))
                    lhs = F.product([F.diag(shift(v, j)) for j in range(k)])
                    out.append(Step(lhs, F.diag(F.elementwise_product([shift(v, j) for j in range(k)])), "algebra",
                                    f"the term {F.diag(v)} of ∂{at(q, 0)}/∂{at(q, 1)} carries the gradient "
                                    "with no weight matrix: along that path alone the product is elementwise "
                                    "and stays near 1 while the gate is near 1 (an additive, gated path)"))
            continue
        atoms = F.product([F.d(at(q, j), at(q, j + 1)) for j in range(k)])
        out.append(Step(F.d(at(q, 0), at(q, 1)), result, "substitution",
                        f"{at(q, 1)} reaches {at(q, 0)} elementwise, with no weight matrix: the constant "
                        f"error carousel (partial derivative, every other state at t-1 held fixed)"))
        if k > 1:
            out.append(Step(atoms, F.diag(F.elementwise_product([shift(v, j) for j in range(k)])), "substitution",
                            f"the path along {q} alone: an elementwise product of k = {k} factors; it neither "
                            "vanishes nor explodes while they stay near 1"))
    return out


def _growth_note(k: int) -> str:
    return (f"kept factored: {k} one-step Jacobians, never expanded (the work grows linearly in k); "
            "the norm of the product is at most the product of the norms, so the gradient vanishes "
            "geometrically when the factors stay below 1 (σ' ≤ 1/4, tanh' ≤ 1, small U) and can explode "
            "when they exceed 1 (large U)")
