"""Derivatives through time, for any declared cell: ∂h_t/∂h_{t-k} over the unrolled graph.

With the states stacked as S = (h, c, ...), the total derivative is a product of one-step block
Jacobians, ∂S_t/∂S_{t-k} = ∏_j ∂S_{t-j}/∂S_{t-j-1}, each block a proven one-step derivation
(``<cell>.<equation>`` and ``<cell>.<equation>_wrt_<state>``).  The product stays factored, so
the derivation grows linearly in k.  Every step is checked numerically against complex-step
differentiation of the unrolled cell itself, at two sizes.
"""
from __future__ import annotations

import dataclasses
from collections import ChainMap
from functools import lru_cache

import numpy as np
import sympy as sp

from .cells import Cell, at, get_cell, shift, timed
from .errors import DlderiveError, ProofError
from .evaluate import checked, compile_vector, compiled
from .functions import IDENTITY, Jacobian, diag
from .jacobian import numeric, terms
from .notation import time_offset_name
from .steps import Derivation, Step

DEFAULT_STEPS = 3
MAX_STEPS = 1000
STEP_SIZE = 1e-30  # complex step


def check_steps(k) -> int:
    if k is None:
        return DEFAULT_STEPS
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_STEPS:
        raise DlderiveError(f"--steps must be a whole number from 1 to {MAX_STEPS}, not {k!r}")
    return int(k)


def stack_base(cell: Cell) -> str:
    """The name of the stacked state S = (h, c, ...), one that the cell does not use."""
    used = {timed(n)[0] for n in cell.symbols if timed(n)}
    return next(b for b in ("S", "Z", "Q", "SS") if b not in used)


# ----------------------------------------------------------------------------- the derivation
@dataclasses.dataclass(frozen=True)
class Form:
    """How one form writes derivatives, diag, the identity and zero blocks."""

    name: str
    stack: str

    def d(self, y, x):
        if self.name == "scalar" and not {timed(y.name)[0], timed(x.name)[0]} & {self.stack}:
            return sp.Derivative(y, x)
        return Jacobian(y, x)

    def diag(self, v):
        return v if self.name == "scalar" else diag(v)

    @property
    def one(self):
        return sp.S.One if self.name == "scalar" else IDENTITY


def one_step_blocks(cell: Cell, form: str) -> dict:
    """(row state, column state) -> (∂row_t/∂col_{t-1} as proven, derivation name or None)."""
    from .derive import DERIVATIONS, derivation_name, derive
    out = {}
    for r in cell.states:
        for q in cell.states:
            name = derivation_name(cell, time_offset_name(r, 0), q)
            out[r, q] = (derive(name, form).final.rhs, name) if name in DERIVATIONS else (sp.S.Zero, None)
    return out


def _product(factors):
    return sp.Mul(*factors) if len(factors) > 1 else factors[0]


def _weight_free(result, form: str):
    """v if the one-step result is diag(v) (a path with no weight matrix), else None."""
    if form == "scalar":
        return result if not any(s.name.split("_")[0] in ("W", "U") and timed(s.name) is None
                                 for s in result.free_symbols) else None
    return result.args[0] if isinstance(result, diag) else None


def derive_through_time(name: str, cell: Cell, state: str, k: int, form: str) -> Derivation:
    """The proven derivation ``name``: ∂state_t/∂state_{t-k} of ``cell`` in ``form``."""
    from .derive import model
    steps, result = _steps(cell, state, k, form)
    proven = prove_steps(cell, steps, k, form)
    m = model(cell.name)
    definitions = {str(s): e for s, e in m.full.items()}
    kinds = {n: cell.kind(n) for n in _names(steps) if n != str(IDENTITY)} if form == "vector" else {}
    if form == "vector" and len(cell.states) > 1:
        kinds.update({n: ("vector", "n") for n in _names(steps) if timed(n) and timed(n)[0] == stack_base(cell)})
    return Derivation(name, form, f"∂{state}_t/∂{state}_(t-{k}) through {k} step{'s' if k > 1 else ''} "
                      f"of the {cell.name} cell",
                      proven, definitions, kinds, result)


def _names(steps) -> set[str]:
    out = set()
    for s in steps:
        for side in (s.lhs, s.rhs):
            out |= {a.name for a in side.atoms(sp.Symbol)}
    return out


def _steps(cell: Cell, state: str, k: int, form: str):
    F = Form(form, stack_base(cell))
    blocks = one_step_blocks(cell, form)
    target, source = at(state, 0), at(state, k)
    steps = []
    if len(cell.states) == 1:
        per_step = [F.d(at(state, j), at(state, j + 1)) for j in range(k)]
        result0, origin = blocks[state, state]
        steps.append(Step(F.d(target, source), _product(per_step), "chain rule", _total_note(cell, k, [state])))
        steps.append(Step(per_step[0], result0, "substitution",
                          f"from {origin}; at step t-j every identifier moves j steps back"))
        explicit = _product([shift(result0, j) for j in range(k)])
        steps.extend(_carousels(cell, F, {state: result0}, k))
        steps.append(Step(_product(per_step), explicit, "substitution", _growth_note(k)))
        return steps, Step(F.d(target, source), explicit, "result")

    S = [at(F.stack, j) for j in range(k + 1)]
    states = cell.states
    steps.append(Step(S[0], sp.ImmutableMatrix([[at(q, 0)] for q in states]), "definition",
                      f"the state of the {cell.name} cell: what one step hands to the next"))
    per_step = [F.d(S[j], S[j + 1]) for j in range(k)]
    steps.append(Step(F.d(target, source), F.d(target, S[0]) * F.d(S[0], S[k]) * F.d(S[k], source),
                      "chain rule", f"{source} enters the state {S[k]}; {target} is read from {S[0]}"))
    steps.append(Step(F.d(S[0], S[k]), _product(per_step), "chain rule", _total_note(cell, k, states)))
    atoms = sp.ImmutableMatrix([[F.d(at(r, 0), at(q, 1)) for q in states] for r in states])
    steps.append(Step(per_step[0], atoms, "definition",
                      "one step's block Jacobian: each block a partial derivative of one step, the other "
                      "states at t-1 and the input held fixed; at step t-j every identifier moves j steps back"))
    for (r, q), (value, origin) in blocks.items():
        if r == q and _weight_free(value, form) is not None:
            continue  # shown with its product below (the carousel)
        why = f"from {origin}" if origin else f"{at(r, 0)} does not read {at(q, 1)}"
        steps.append(Step(F.d(at(r, 0), at(q, 1)), value, "substitution" if origin else "independence", why))
    steps.extend(_carousels(cell, F, {q: blocks[q, q][0] for q in states}, k))
    index = states.index(state)
    row = sp.ImmutableMatrix([[F.one if i == index else 0 for i in range(len(states))]])
    steps.append(Step(F.d(target, S[0]), row, "definition", f"{target} is block {index + 1} of {S[0]}"))
    steps.append(Step(F.d(S[k], source), row.T, "definition",
                      f"{source} is block {index + 1} of {S[k]}; the other states at t-{k} are held fixed"))
    factored = F.d(target, S[0]) * _product(per_step) * F.d(S[k], source)
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
        v = _weight_free(result, F.name)
        if v is None:
            if F.name == "vector":
                free = [sl[0] for sk, sl in terms(result) if not sk]
                if free and len(cell.states) == 1:
                    v = sp.Add(*free)
                    lhs = _product([F.diag(shift(v, j)) for j in range(k)])
                    out.append(Step(lhs, F.diag(sp.Mul(*[shift(v, j) for j in range(k)])), "algebra",
                                    f"the term {F.diag(v)} of ∂{at(q, 0)}/∂{at(q, 1)} carries the gradient "
                                    "with no weight matrix: along that path alone the product is elementwise "
                                    "and stays near 1 while the gate is near 1 (an additive, gated path)"))
            continue
        atoms = _product([F.d(at(q, j), at(q, j + 1)) for j in range(k)])
        out.append(Step(F.d(at(q, 0), at(q, 1)), result, "substitution",
                        f"{at(q, 1)} reaches {at(q, 0)} elementwise, with no weight matrix: the constant "
                        f"error carousel (partial derivative, every other state at t-1 held fixed)"))
        if k > 1:
            out.append(Step(atoms, F.diag(sp.Mul(*[shift(v, j) for j in range(k)])), "substitution",
                            f"the path along {q} alone: an elementwise product of k = {k} factors; it neither "
                            "vanishes nor explodes while they stay near 1"))
    return out


def _growth_note(k: int) -> str:
    return (f"kept factored: {k} one-step Jacobians, never expanded (the work grows linearly in k); "
            "the norm of the product is at most the product of the norms, so the gradient vanishes "
            "geometrically when the factors stay below 1 (σ' ≤ 1/4, tanh' ≤ 1, small U) and can explode "
            "when they exceed 1 (large U)")


# ----------------------------------------------------------------------------- numbers
@lru_cache(maxsize=None)
def one_step_program(cell_name: str):
    """A function env -> env with every equation of one step at time t evaluated (NumPy, complex-safe)."""
    cell = get_cell(cell_name)
    kinds = {n: cell.kind(n) for n in cell.symbols}
    compiled_eqs = [(ident, compile_vector(expr, kinds)[0]) for ident, expr in cell.equations]

    def run(env: dict) -> dict:
        local = dict(env)
        for ident, fn in compiled_eqs:
            local[ident] = fn(local)
        return local

    return run


@dataclasses.dataclass
class Unrolled:
    """The cell unrolled over k steps: leaves at every step, every quantity computed forward."""

    cell: Cell
    k: int
    values: dict  # identifier at any time -> array
    n: int

    @property
    def kinds(self) -> dict:
        if "_kinds" not in self.__dict__:
            self.__dict__["_kinds"] = {name: self.cell.kind(name) for name in self.values}
        return self.__dict__["_kinds"]

    @classmethod
    def at_values(cls, cell: Cell, k: int, leaves: dict, n: int) -> "Unrolled":
        u = cls(cell, k, dict(leaves), n)
        u.values = u.forward(u.values, k, 0)
        return u

    def local_names(self):
        cell = self.cell
        timed_leaves = [time_offset_name(b, 0) for b in cell.inputs] + [time_offset_name(s, 1) for s in cell.states]
        return timed_leaves, [p.name for p in cell.parameters]

    def forward(self, env: dict, start: int, stop: int) -> dict:
        """Recompute steps t-(start-1) ... t-stop from the values at t-start."""
        run = one_step_program(self.cell.name)
        timed_leaves, params = self.local_names()
        idents = [i for i, _ in self.cell.equations]
        for j in range(start - 1, stop - 1, -1):
            local = {p: env[p] for p in params}
            for n in timed_leaves:
                b, o = timed(n)
                local[n] = env[time_offset_name(b, o + j)]
            out = run(local)
            for ident in idents:
                b, o = timed(ident)
                env[time_offset_name(b, o + j)] = out[ident]
        return env

    def components(self, name: str, stack: str) -> list[str]:
        b, o = timed(name)
        return [time_offset_name(q, o) for q in self.cell.states] if b == stack else [name]

    def jacobian(self, y: str, x: str, stack: str) -> np.ndarray:
        """∂y/∂x: x perturbed (complex step), everything computed after x recomputed, all else held."""
        ys, xs = self.components(y, stack), self.components(x, stack)
        ty, tx = timed(y)[1], timed(x)[1]
        if ty >= tx:
            return np.block([[np.eye(self.n) if a == b else np.zeros((self.n, self.n)) for b in xs] for a in ys])
        cols = []
        for c in xs:
            for i in range(self.n):
                env = ChainMap({}, self.values)  # the changes only: copying the whole graph would be O(k)
                v = np.array(env[c], dtype=complex)
                v[i] += 1j * STEP_SIZE
                env[c] = v
                env = self.forward(env, tx, ty)
                cols.append(np.concatenate([np.imag(env[a]) / STEP_SIZE for a in ys]))
        return np.stack(cols, axis=1)


def random_unrolled(cell: Cell, k: int, n: int, m: int, seed: int) -> Unrolled:
    rng = np.random.default_rng(seed)
    sizes = {"n": n, "m": m}
    leaves = {}
    for p in cell.parameters:
        kind = cell.kind(p.name)
        leaves[p.name] = rng.uniform(-1, 1, tuple(sizes[d] for d in kind[1:]))
    for j in range(k):
        for b in cell.inputs:
            leaves[time_offset_name(b, j)] = rng.uniform(-1, 1, m)
    for s in cell.states:
        leaves[time_offset_name(s, k)] = rng.uniform(-1, 1, n)
    return Unrolled.at_values(cell, k, leaves, n)


def _value(expr, u: Unrolled, stack: str, cache: dict):
    """The value of a step's side: derivative atoms from the unrolled cell, the rest by ``numeric``."""
    if isinstance(expr, sp.MatrixBase):
        return np.block([[_block(_value(e, u, stack, cache), u.n) for e in row] for row in expr.tolist()])
    atoms = [a for a in expr.atoms(Jacobian, sp.Derivative)]
    mapping, placeholders = {}, {}
    for a in atoms:
        key = (a.args[0].name, a.args[1].name if isinstance(a, Jacobian) else a.variables[0].name)
        if key not in cache:
            cache[key] = u.jacobian(key[0], key[1], stack)
        placeholder = sp.Symbol(f"J{len(mapping)}_", commutative=False)
        mapping[a] = placeholder
        placeholders[placeholder.name] = cache[key]
    return numeric(expr.xreplace(mapping), ChainMap(placeholders, u.values), u.kinds)


def _block(v, n: int) -> np.ndarray:
    v = np.asarray(v)
    if v.ndim == 0:
        return v * np.eye(n)
    return np.diag(v) if v.ndim == 1 else v


class ProvenPartials:
    """One-step partial derivative atom at step t-j -> its proven result read j steps back (lazily)."""

    def __init__(self, cell: Cell, form: str):
        self.blocks = one_step_blocks(cell, form)
        self.done: dict = {}

    def result(self, atom):
        if atom not in self.done:
            self.done[atom] = None
            y, x = atom.args[0], atom.args[1] if isinstance(atom, Jacobian) else atom.variables[0]
            (r, j), (q, i) = timed(y.name), timed(x.name)
            if i == j + 1 and (r, q) in self.blocks:
                self.done[atom] = shift(self.blocks[r, q][0], j)
        return self.done[atom]

    def substitute(self, expr):
        mapping = {a: self.result(a) for a in expr.atoms(Jacobian, sp.Derivative)}
        return expr.xreplace({a: v for a, v in mapping.items() if v is not None})


def _merged(e):
    """A product of diagonal factors as one diag: diag(a) diag(b) = diag(a ∘ b)."""
    factors = sp.Mul.make_args(e)
    if len(factors) > 1 and all(isinstance(f, diag) for f in factors):
        return diag(sp.Mul(*[f.args[0] for f in factors]))
    return e


def exactly_equal(lhs, rhs, partials: ProvenPartials) -> bool:
    """True if both sides, with the proven one-step results substituted, are the same expression
    (up to merging diagonal factors); sides with total derivatives or block matrices are left to
    the numeric check."""
    if any(isinstance(e, sp.MatrixBase) for e in (lhs, rhs)):
        return False
    a, b = partials.substitute(lhs), partials.substitute(rhs)
    if any(e.has(Jacobian, sp.Derivative) for e in (a, b)):
        return False
    return a == b or _merged(a) == _merged(b)


def prove_steps(cell: Cell, steps, k: int, form: str) -> tuple[Step, ...]:
    """Each step's two sides agree, to rounding, with the unrolled cell (complex-step derivatives);
    where the proven one-step results make both sides the same expression, that is said too."""
    partials = ProvenPartials(cell, form)
    stack = stack_base(cell)
    sizes = ((1, 1), (1, 1)) if form == "scalar" else ((1, 1), (3, 2))  # two random points in each form
    worlds = [random_unrolled(cell, k, n, m, seed) for seed, (n, m) in enumerate(sizes)]
    caches = [{} for _ in worlds]
    out = []
    for step in steps:
        if isinstance(step.rhs, sp.MatrixBase) and isinstance(step.lhs, sp.Symbol):
            out.append(dataclasses.replace(step, proof="definition of the stacked state"))
            continue
        for u, cache in zip(worlds, caches):
            a, b = _value(step.lhs, u, stack, cache), _value(step.rhs, u, stack, cache)
            a, b = _block(a, u.n), _block(b, u.n)
            scale = max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300)
            if a.shape != b.shape or np.max(np.abs(a - b)) > 1e-9 * scale:
                raise ProofError(f"through-time step not proven ({step.rule}): {step.lhs} = {step.rhs}")
        numeric_proof = (f"complex-step derivatives of the unrolled cell agree at {len(sizes)} random points "
                         f"(hidden sizes {', '.join(str(n) for n, _ in sizes)})")
        exact = "exact with the proven one-step results substituted; " if exactly_equal(step.lhs, step.rhs, partials) else ""
        out.append(dataclasses.replace(step, proof=exact + numeric_proof))
    return tuple(out)


def evaluate_through_time(name: str, values: dict, form: str, k: int):
    """∂state_t/∂state_{t-k} at ``values``: inputs at every step, the states at t-k, the weights."""
    from .derive import DERIVATIONS
    cell = get_cell(DERIVATIONS[name][1])
    state = DERIVATIONS[name][2][1]
    leaves = [p.name for p in cell.parameters]
    leaves += [time_offset_name(b, j) for j in range(k) for b in cell.inputs]
    leaves += [time_offset_name(s, k) for s in cell.states]
    kinds = {n: cell.kind(n) for n in leaves}
    env, sizes = checked(values, leaves, kinds, form)
    if form == "scalar":
        env = {key: np.reshape(v, (1,) * len(kinds[key][1:])) for key, v in env.items()}
        sizes = {"n": 1, "m": 1}
    n = sizes["n"]
    u = Unrolled.at_values(cell, k, env, n)
    blocks = {}
    for r in cell.states:
        for q in cell.states:
            from .derive import DERIVATIONS as names, derivation_name
            dn = derivation_name(cell, time_offset_name(r, 0), q)
            blocks[r, q] = compiled(dn, "vector") if dn in names else None
    timed_leaves, params = u.local_names()
    idents = [i for i, _ in cell.equations]
    i, size = cell.states.index(state), len(cell.states) * n
    columns = np.zeros((size, n))
    columns[i * n:(i + 1) * n] = np.eye(n)  # ∂S_(t-k)/∂state_(t-k): the state's block, the others held
    for j in range(k - 1, -1, -1):  # ∂S_t/∂S_(t-k) applied to those columns, oldest step first
        local = {p: u.values[p] for p in params}
        for nm in timed_leaves + idents:
            b, o = timed(nm)
            local[nm] = u.values[time_offset_name(b, o + j)]
        step = np.block([[blocks[r, q].run(local, sizes) if blocks[r, q] else np.zeros((n, n))
                          for q in cell.states] for r in cell.states])
        columns = step @ columns
    out = columns[i * n:(i + 1) * n]
    return float(out[0, 0]) if form == "scalar" else out
