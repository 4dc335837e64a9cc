"""Registry of declared cells."""
from ..errors import DlderiveError
from .base import Cell, at, param, shift, timed
from .gru import GRU
from .lstm import LSTM
from .peephole import PEEPHOLE
from .rnn import RNN

CELLS: dict[str, Cell] = {c.name: c for c in (LSTM, GRU, RNN, PEEPHOLE)}
BUILT_IN = frozenset(CELLS)
"""The names of the cells dlderive declares itself (a declared file may not take them)."""


def get_cell(name: str) -> Cell:
    try:
        return CELLS[name]
    except KeyError:
        raise DlderiveError(f"unknown cell {name!r}; declared cells: {', '.join(CELLS)}") from None


def register_cell(cell: Cell) -> Cell:
    """Add a declared cell (e.g. read from a file) to the registry; its name must be new."""
    if cell.name in CELLS and CELLS[cell.name] != cell:
        raise DlderiveError(f"a cell named {cell.name!r} is already declared; choose another name")
    CELLS[cell.name] = cell
    return cell


__all__ = ["Cell", "CELLS", "BUILT_IN", "get_cell", "register_cell", "at", "param", "shift", "timed",
           "LSTM", "GRU", "RNN", "PEEPHOLE"]
