"""Registry of declared cells."""
from ..errors import DlderiveError
from .base import Cell, at, param, timed
from .lstm import LSTM

CELLS: dict[str, Cell] = {c.name: c for c in (LSTM,)}


def get_cell(name: str) -> Cell:
    try:
        return CELLS[name]
    except KeyError:
        raise DlderiveError(f"unknown cell {name!r}; declared cells: {', '.join(CELLS)}") from None


__all__ = ["Cell", "CELLS", "get_cell", "at", "param", "timed", "LSTM"]
