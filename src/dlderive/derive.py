"""``derive(name, form, steps)``: the proven derivation ``name`` from the catalog.

Names: ``sigmoid`` and, for every declared cell, ``<cell>.<equation name>`` (∂y_t/∂h_{t-1}),
``<cell>.<state>_independence`` and ``<cell>.bptt`` (through time).  One-step derivations are
built in onestep.py, those through time in bptt/.
"""
from __future__ import annotations

from .bptt import through_time
from .classics import derive_classic
from .catalog import (CLASSIC, DERIVATIONS, LOSS_GRAD, Entry, cell_entries, check_steps, describe, entry, register,
                      unregister)
from .cells import get_cell
from .errors import DlderiveError
from .lossgrad import accepted, derive_loss_grad
from .model import Model, derivation_name, model
from .onestep import derive_one, derive_vector_result
from .steps import Derivation

FORMS = ("scalar", "vector")


def derive(name: str, form: str = "scalar", steps: int | None = None, weight: str | None = None,
           loss: str | None = None, activation: str | None = None) -> Derivation:
    """The proven derivation ``name`` in ``form`` ("scalar" or "vector"); ``steps`` = k for the
    derivations through time (``<cell>.bptt``, and T for ``<cell>.loss_grad``, which alone takes
    ``weight`` and ``loss``); ``activation`` for mlp.backprop."""
    e = entry(name)
    if form not in FORMS:
        raise DlderiveError(f"unknown form {form!r}; choose one of: {', '.join(FORMS)}")
    if activation is not None and e.kind != CLASSIC:
        raise DlderiveError(f"--activation applies only to mlp.backprop, not to {name}")
    if e.kind == LOSS_GRAD:
        return loss_grad(name, e.cell, form, steps, weight, loss)
    for option, value in (("--weight", weight), ("--loss", loss)):
        if value is not None:
            raise DlderiveError(f"{option} applies only to <cell>.{LOSS_GRAD}, not to {name}")
    if e.kind == CLASSIC:
        if steps is not None:
            raise DlderiveError(f"--steps applies only to the derivations through time (<cell>.bptt), not to {name}")
        return derive_classic(name, form, activation)
    if e.through_time:
        return through_time(name, form, check_steps(steps))
    if steps is not None:
        raise DlderiveError(f"--steps applies only to the derivations through time (<cell>.bptt), not to {name}")
    return derive_one(name, form)


def loss_grad(name: str, cell: str, form: str, steps, weight, loss) -> Derivation:
    """∂L/∂weight over ``steps`` (default 3) unrolled steps, ``loss`` squared (default) or softmax_ce."""
    if weight is None:
        raise DlderiveError(f"{name} needs --weight NAME; accepted: {', '.join(accepted(get_cell(cell), steps or 3))}")
    return derive_loss_grad(name, cell, weight, 3 if steps is None else steps, loss or "squared", form)


__all__ = ["derive", "DERIVATIONS", "Entry", "FORMS", "describe", "register", "unregister", "cell_entries",
           "derivation_name", "derive_vector_result", "model", "Model"]
