"""Losses on the output layer s = V h + b_y: each with its value and its gradient δs = ∂ℓ/∂s."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import DlderiveError


@dataclass(frozen=True)
class Loss:
    name: str
    formula: str  # ℓ(s, y), as the derivation writes it
    gradient: str  # δs, as the derivation writes it
    value: Callable  # (s, y) -> ℓ, NumPy (complex-safe)
    grad: Callable  # (s, y) -> δs


def _ce(s, y):
    z = s - np.max(np.real(s))
    logp = z - np.log(np.sum(np.exp(z)))
    return -np.sum(y * logp)


def _ce_grad(s, y):
    z = s - np.max(np.real(s))
    p = np.exp(z) / np.sum(np.exp(z))
    return p * np.sum(y) - y


LOSSES: dict[str, Loss] = {loss.name: loss for loss in (
    Loss("squared", "½ ‖s − y‖²", "s − y", lambda s, y: 0.5 * np.sum((s - y) ** 2), lambda s, y: s - y),
    Loss("softmax_ce", "−Σ_k y_k log softmax(s)_k", "softmax(s) (1ᵀy) − y (= p − y when y sums to 1)", _ce, _ce_grad),
)}


def get_loss(name) -> Loss:
    if name not in LOSSES:
        raise DlderiveError(f"unknown loss {name!r}; --loss is one of: {', '.join(LOSSES)}")
    return LOSSES[name]
