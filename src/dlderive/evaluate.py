"""``evaluate(name, values, form, steps)``: the value of a derivation's result at given numbers."""
from __future__ import annotations

from .bptt import evaluate_through_time
from .catalog import CLASSIC, LOSS_GRAD, check_steps, entry
from .classics import evaluate_classic
from .derive import derive
from .evaluator import Evaluator, checked, compile_vector, compiled
from .lossgrad.evaluate import evaluate_loss_grad


def evaluate(name: str, values: dict, form: str = "scalar", steps: int | None = None,
             weight: str | None = None, loss: str | None = None, activation: str | None = None):
    """The value of derivation ``name``'s result at ``values`` (identifier -> float or ndarray):
    a float in the scalar form, the n x n Jacobian in the vector form; for ``<cell>.loss_grad``
    the gradient ∂L/∂weight, an array of the weight's shape; for the classic backward derivations,
    the gradient arrays (a dict parameter -> array when there are several)."""
    derive(name, form, steps, weight, loss, activation)
    e = entry(name)
    if e.kind == CLASSIC:
        return evaluate_classic(name, values, form, activation)
    if e.kind == LOSS_GRAD:
        return evaluate_loss_grad(name, e.cell, values, form, 3 if steps is None else steps, weight, loss or "squared")
    if entry(name).through_time:
        return evaluate_through_time(name, values, form, check_steps(steps))
    return compiled(name, form)(values)


__all__ = ["evaluate", "compiled", "compile_vector", "checked", "Evaluator"]
