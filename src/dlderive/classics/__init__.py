"""The classic backward derivations as named derivations: softmax.jacobian, softmax.cross_entropy,
linear.backward, mlp.backprop (any registered activation), batchnorm.backward.  Each is proven step
by step (core.py) and evaluates at NumPy inputs."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

import numpy as np

from ..errors import DlderiveError
from ..memo import cached
from ..steps import Derivation


@dataclass(frozen=True)
class Classic:
    """One classic derivation: the module and functions that build and evaluate it.  The scalar
    form is the derivation in index notation, the vector form adds the matrix form (mlp.backprop:
    matrices in both)."""

    name: str
    description: str
    module: str
    build: str
    evaluate: str
    forms: tuple = ("scalar", "vector")
    takes_activation: bool = False

    def functions(self):
        m = import_module(f"{__name__}.{self.module}")
        return getattr(m, self.build), getattr(m, self.evaluate), m.INPUTS if hasattr(m, "INPUTS") else {}


CLASSICS: dict[str, Classic] = {c.name: c for c in (
    Classic("softmax.jacobian", "∂p/∂z = diag(p) − p p^⊤ for p = softmax(z); index form p_i(δ_ij − p_j)",
            "softmax", "jacobian", "evaluate_jacobian"),
    Classic("softmax.cross_entropy", "∂L/∂z = ŷ − y for L = −Σ_k y_k log softmax(z)_k (y one-hot or probabilities)",
            "softmax", "cross_entropy", "evaluate_cross_entropy"),
    Classic("linear.backward", "dX = dY W^⊤, dW = X^⊤ dY, db = Σ_rows dY for Y = X W + b",
            "linear", "backward", "evaluate"),
    Classic("mlp.backprop", "two layers, softmax cross-entropy: every weight's gradient (--activation, default tanh)",
            "mlp", "backprop", "evaluate", takes_activation=True),
    Classic("batchnorm.backward", "dx = (1/N) γ σ⁻¹ (N dy − Σ dy − x̂ Σ dy ∘ x̂), dγ, dβ (training mode)",
            "batchnorm", "backward", "evaluate"),
)}

SHAPES = {"softmax.jacobian": {"z": ("n",)}, "softmax.cross_entropy": {"z": ("n",), "y": ("n",)}}


def _check_form(c: Classic, form: str) -> None:
    if form not in c.forms:
        raise DlderiveError(f"{c.name} is derived in the {' and '.join(c.forms)} form"
                            f"{'s' if len(c.forms) > 1 else ''} only, not {form!r}")


def _check_activation(c: Classic, activation) -> None:
    if activation is not None and not c.takes_activation:
        raise DlderiveError(f"--activation applies only to mlp.backprop, not to {c.name}")


@cached
def derive_classic(name: str, form: str, activation: str | None = None) -> Derivation:
    c = CLASSICS[name]
    _check_form(c, form)
    _check_activation(c, activation)
    build, _, _ = c.functions()
    return build(form, activation) if c.takes_activation else build(form)


MAX_SIZE = 4096


def evaluate_classic(name: str, values, form: str, activation: str | None = None):
    """The gradients of ``name`` at NumPy ``values``: an array, or a dict parameter -> array."""
    c = CLASSICS[name]
    d = derive_classic(name, "vector" if "vector" in c.forms else form, activation)
    _, run, inputs = c.functions()
    arrays = checked_values(name, values, SHAPES.get(name, inputs))
    return run(arrays, d, activation) if c.takes_activation else run(arrays, d)


def checked_values(name: str, values, shapes: dict) -> dict:
    """``values`` as float arrays of the ranks in ``shapes``, with consistent sizes; one-line errors."""
    if not isinstance(values, dict):
        raise DlderiveError(f"{name}: values must map input names to arrays, not {type(values).__name__}")
    unknown = sorted(set(values) - set(shapes) - {"epsilon"})
    if unknown:
        raise DlderiveError(f"{name}: unknown input {unknown[0]!r}; inputs: {', '.join(shapes)}")
    sizes: dict = {}
    out = {}
    for key, dims in shapes.items():
        shown = f"an array of shape ({', '.join(dims)}{',' if len(dims) == 1 else ''})"
        if key not in values:
            raise DlderiveError(f"{name}: missing value for {key}: expected {shown}")
        raw = values[key]
        try:
            if isinstance(raw, (bool, str, bytes)) or raw is None:
                raise TypeError
            arr = np.asarray(raw, dtype=float)
        except (TypeError, ValueError):
            raise DlderiveError(f"{name}: {key} must be {shown}, not {type(raw).__name__}") from None
        if arr.ndim != len(dims):
            raise DlderiveError(f"{name}: {key} has shape {arr.shape}; expected {shown}")
        for d, size in zip(dims, arr.shape):
            if not 1 <= size <= MAX_SIZE:
                raise DlderiveError(f"{name}: {key} has shape {arr.shape}; sizes must be from 1 to {MAX_SIZE}")
            if sizes.setdefault(d, size) != size:
                raise DlderiveError(f"{name}: {key} has shape {arr.shape}; expected {shown} with {d} = {sizes[d]}")
        if not np.all(np.isfinite(arr)):
            raise DlderiveError(f"{name}: {key} has non-finite values (nan or inf)")
        out[key] = arr
    if "epsilon" in values:
        out["epsilon"] = values["epsilon"]
    return out


__all__ = ["CLASSICS", "Classic", "derive_classic", "evaluate_classic"]
