"""Derivatives through time (placeholder)."""
from .errors import DlderiveError

DEFAULT_STEPS = 3
MAX_STEPS = 1000


def check_steps(k) -> int:
    if k is None:
        return DEFAULT_STEPS
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_STEPS:
        raise DlderiveError(f"--steps must be a whole number from 1 to {MAX_STEPS}, not {k!r}")
    return k
