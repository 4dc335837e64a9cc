"""Variants of a handout: every range ``{min, max}`` or ``{choose}`` replaced by a number drawn per seed."""
from __future__ import annotations

import random


def _is_range(value) -> bool:
    return isinstance(value, dict) and ("choose" in value or ("min" in value and "max" in value)
                                        and set(value) <= {"min", "max", "digits"})


def draw(value, seed: int | None, key: str = ""):
    """``value`` with every range replaced by a number drawn for ``seed`` (seed None or 0: variant 0)."""
    if _is_range(value):
        rng = random.Random(f"{seed or 0}/{key}")
        if "choose" in value:
            return rng.choice(value["choose"])
        lo, hi = value["min"], value["max"]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi)):
            return rng.randint(lo, hi)
        return round(rng.uniform(lo, hi), value.get("digits", 2))
    if isinstance(value, dict):
        return {k: draw(v, seed, f"{key}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [draw(v, seed, f"{key}[{i}]") for i, v in enumerate(value)]
    return value


def has_ranges(value) -> bool:
    if isinstance(value, dict):
        return ("min" in value and "max" in value) or "choose" in value or any(map(has_ranges, value.values()))
    if isinstance(value, list):
        return any(map(has_ranges, value))
    return False
