"""``evaluate(name, values, form, steps)``: the value of a derivation's result at given numbers."""
from __future__ import annotations

from .bptt import evaluate_through_time
from .catalog import check_steps, entry
from .derive import derive
from .evaluator import Evaluator, checked, compile_vector, compiled


def evaluate(name: str, values: dict, form: str = "scalar", steps: int | None = None):
    """The value of derivation ``name``'s result at ``values`` (identifier -> float or ndarray):
    a float in the scalar form, the n x n Jacobian in the vector form."""
    derive(name, form, steps)
    if entry(name).through_time:
        return evaluate_through_time(name, values, form, check_steps(steps))
    return compiled(name, form)(values)


__all__ = ["evaluate", "compiled", "compile_vector", "checked", "Evaluator"]
