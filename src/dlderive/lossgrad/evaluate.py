"""Numbers: ∂L/∂P at given NumPy inputs, by the proven backward pass (δ's backwards through time)."""
from __future__ import annotations

import numpy as np

from ..cells import get_cell, timed
from ..errors import DlderiveError
from ..evaluator import checked
from .derivation import derive_loss_grad
from .plan import TARGET, compiled_plan, backward, forward, kind, leaves


def evaluate_loss_grad(name: str, cell_name: str, values: dict, form: str, steps: int, weight: str, loss: str):
    """∂L/∂weight at ``values`` (every weight, V, b_y, x and y at every step, the initial states):
    an array of the weight's shape (a float in the scalar form)."""
    derive_loss_grad(name, cell_name, weight, steps, loss, form)
    cell = get_cell(cell_name)
    c = compiled_plan(cell_name, loss)
    names = leaves(cell, steps)
    unknown = sorted(str(k) for k in values if k not in names)
    if unknown:
        raise DlderiveError(f"unknown input {unknown[0]!r} for {name} over {steps} step{'s' if steps > 1 else ''}; "
                            f"inputs: {', '.join(names)}")
    kinds = {n: kind(c.plan.kinds, n) for n in names}
    env, sizes = checked(values, names, kinds, form)
    if form == "scalar":
        env = {k: np.reshape(v, (1,) * len(kinds[k][1:])) for k, v in env.items()}
    if loss == "softmax_ce":
        for n, v in env.items():
            if timed(n) and timed(n)[0] == TARGET and (np.any(v < 0) or abs(float(np.sum(v)) - 1) > 1e-9):
                raise DlderiveError(f"{n} must be a probability vector (entries ≥ 0 that sum to 1) for softmax_ce")
    _, grads = backward(c, forward(c, env, steps), steps, [weight])
    g = grads[weight]
    return float(np.reshape(g, -1)[0]) if form == "scalar" else g
