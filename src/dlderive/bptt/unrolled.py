"""The cell unrolled over k steps, computed forward in NumPy; Jacobians by complex-step differentiation."""
from __future__ import annotations

import dataclasses
from collections import ChainMap

import numpy as np

from ..cells import Cell, get_cell, timed
from ..evaluator import compile_vector
from ..memo import cached
from ..notation import time_offset_name

STEP_SIZE = 1e-30  # complex step


@cached
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
