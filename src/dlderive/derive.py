"""``derive(name, form, steps)``: the proven derivation ``name`` from the catalog.

Names: ``sigmoid`` and, for every declared cell, ``<cell>.<equation name>`` (∂y_t/∂h_{t-1}),
``<cell>.<state>_independence`` and ``<cell>.bptt`` (through time).  One-step derivations are
built in onestep.py, those through time in bptt/.
"""
from __future__ import annotations

from .bptt import through_time
from .catalog import DERIVATIONS, Entry, cell_entries, check_steps, describe, entry, register, unregister
from .errors import DlderiveError
from .model import Model, derivation_name, model
from .onestep import derive_one, derive_vector_result
from .steps import Derivation

FORMS = ("scalar", "vector")


def derive(name: str, form: str = "scalar", steps: int | None = None) -> Derivation:
    """The proven derivation ``name`` in ``form`` ("scalar" or "vector"); ``steps`` = k for the
    derivations through time (``<cell>.bptt``), which alone accept it."""
    e = entry(name)
    if form not in FORMS:
        raise DlderiveError(f"unknown form {form!r}; choose one of: {', '.join(FORMS)}")
    if e.through_time:
        return through_time(name, form, check_steps(steps))
    if steps is not None:
        raise DlderiveError(f"--steps applies only to the derivations through time (<cell>.bptt), not to {name}")
    return derive_one(name, form)


__all__ = ["derive", "DERIVATIONS", "Entry", "FORMS", "describe", "register", "unregister", "cell_entries",
           "derivation_name", "derive_vector_result", "model", "Model"]
