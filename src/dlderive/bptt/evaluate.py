"""Numbers through time: ∂state_t/∂state_{t-k} as the product of the compiled one-step blocks."""
from __future__ import annotations

import numpy as np

from ..catalog import DERIVATIONS, entry
from ..cells import get_cell, timed
from ..evaluator import checked, compiled
from ..model import derivation_name
from ..notation import time_offset_name
from .unrolled import Unrolled


def evaluate_through_time(name: str, values: dict, form: str, k: int):
    """∂state_t/∂state_{t-k} at ``values``: inputs at every step, the states at t-k, the weights."""
    e = entry(name)
    cell, state = get_cell(e.cell), e.state
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
            dn = derivation_name(cell, time_offset_name(r, 0), q)
            blocks[r, q] = compiled(dn, "vector") if dn in DERIVATIONS else None
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
