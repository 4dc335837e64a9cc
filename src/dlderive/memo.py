"""The one owner of the caches computed from the declared cells: cleared together when a cell is forgotten."""
from __future__ import annotations

from functools import lru_cache

_CACHES: list = []


def cached(fn):
    """``fn`` memoized (``lru_cache``), and cleared by ``clear()``."""
    memo = lru_cache(maxsize=None)(fn)
    _CACHES.append(memo)
    return memo


def clear() -> None:
    """Forget every cached result (a cell was unregistered; its name may be reused)."""
    for memo in _CACHES:
        memo.cache_clear()
