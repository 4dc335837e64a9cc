"""The catalog of derivations: name -> Entry, for ``sigmoid`` and every declared cell."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import memo
from .cells import BUILT_IN, CELLS, Cell, at, register_cell, timed
from .classics import CLASSICS
from .errors import DlderiveError
from .model import derivation_name, model
from .notation import time_offset_name

DEFAULT_STEPS = 3
MAX_STEPS = 1000
KINDS = ("sigmoid", "derivative", "independence", "bptt", "loss_grad", "classic")
LOSS_GRAD = "loss_grad"
CLASSIC = "classic"


@dataclass(frozen=True)
class Entry:
    """One derivation of the catalog.

    ``derivative``: ∂target_t/∂state_{t-1}; ``independence``: ∂state_{t-1}/∂h_{t-1} = 0;
    ``bptt``: ∂state_t/∂state_{t-k}; ``sigmoid``: σ'(z), no cell; ``classic``: a backward
    derivation of classics/ (softmax, linear layer, MLP, batch norm), no cell."""

    name: str
    description: str
    kind: str
    cell: str | None = None
    target: str = ""  # the identifier at t differentiated (kind "derivative")
    state: str = ""  # the state at t-1 differentiated by, proven independent, or followed through time

    @property
    def through_time(self) -> bool:
        return self.kind == "bptt"

    @property
    def forms(self) -> tuple[str, ...]:
        """The forms it is derived in: σ' has only the scalar form."""
        return ("scalar",) if self.kind == "sigmoid" else ("scalar", "vector")


def check_steps(k) -> int:
    """The number of steps of a derivation through time: ``k``, or the default."""
    if k is None:
        return DEFAULT_STEPS
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_STEPS:
        raise DlderiveError(f"--steps must be a whole number from 1 to {MAX_STEPS}, not {k!r}")
    return int(k)


def shown(base: str, k: int = 0) -> str:
    """A timed variable as a reader writes it: ``h_{t-1}``."""
    return "{}_{}".format(base, "t" if k == 0 else f"{{t-{k}}}")


def cell_entries(cell: Cell) -> dict[str, Entry]:
    """The derivations of one cell: each equation by the hidden state at t-1 and by every other
    state it depends on, the independence of the other states, and the derivatives through time."""
    out: dict[str, Entry] = {}

    def add(entry: Entry):
        if entry.name in out:
            raise DlderiveError(f"cell {cell.name}: two derivations would be named {entry.name}; rename one in [names]")
        out[entry.name] = entry

    for state in cell.states:
        m = model(cell.name, state)
        for ident, _ in cell.equations:
            if state != cell.hidden and m.wrt not in m.depends[m.column(ident)]:
                continue
            held = "" if state == cell.hidden else f", {shown(cell.hidden, 1)} held fixed"
            add(Entry(derivation_name(cell, ident, state),
                      f"∂{shown(*timed(ident))}/∂{shown(state, 1)} of the {cell.name} cell{held}",
                      "derivative", cell.name, ident, state))
    for state in cell.states:
        if state == cell.hidden:
            continue
        name = cell.names.get(time_offset_name(state, 0), state)
        add(Entry(f"{cell.name}.{name}_independence",
                  f"proof that ∂{shown(state, 1)}/∂{shown(cell.hidden, 1)} = 0 ({cell.name} cell)",
                  "independence", cell.name, state=state))
    for state in cell.states:
        suffix = "" if state == cell.hidden else f"_{state}"
        add(Entry(f"{cell.name}.bptt{suffix}",
                  f"∂{shown(state)}/∂{state}_{{t-k}} through k steps (--steps k, default {DEFAULT_STEPS}) "
                  f"of the {cell.name} cell", "bptt", cell.name, state=state))
    return out


def _catalog() -> dict[str, Entry]:
    out = {"sigmoid": Entry("sigmoid", "σ'(z) = σ(z)(1 − σ(z)), from σ(z) = 1/(1 + e^{-z})", "sigmoid")}
    out.update({c.name: Entry(c.name, c.description, CLASSIC) for c in CLASSICS.values()})
    for cell in CELLS.values():
        out.update(cell_entries(cell))
    return out


DERIVATIONS: dict[str, Entry] = _catalog()
"""name -> Entry, in the order ``dlderive list`` shows them."""


def entry(name: str) -> Entry:
    if name in DERIVATIONS:
        return DERIVATIONS[name]
    cell, _, kind = name.rpartition(".")
    if kind == LOSS_GRAD and cell in CELLS:
        return loss_grad_entry(cell)
    raise DlderiveError(f"unknown derivation {name!r}; known: {', '.join(DERIVATIONS)}, "
                        f"and <cell>.{LOSS_GRAD} for every cell") from None


def loss_grad_entry(cell: str) -> Entry:
    """``<cell>.loss_grad``: ∂L/∂P of a loss on V h + b_y over T steps (--weight, --steps, --loss)."""
    return Entry(f"{cell}.{LOSS_GRAD}", f"∂L/∂P for a loss on V h + b_y over T steps of the {cell} cell "
                 "(--weight P, --steps T, --loss squared|softmax_ce)", LOSS_GRAD, cell)


def loss_grad_entries() -> dict[str, Entry]:
    return {e.name: e for e in (loss_grad_entry(c) for c in CELLS)}


def describe() -> dict[str, str]:
    return {name: e.description for name, e in DERIVATIONS.items()}


def register(cell: Cell) -> list[str]:
    """Declare ``cell`` (e.g. read from a file) and list the names of its derivations."""
    register_cell(cell)
    try:
        entries = cell_entries(cell)
    except DlderiveError:
        unregister(cell.name)
        raise
    DERIVATIONS.update(entries)
    return list(entries)


def unregister(cell_name: str) -> None:
    """Forget a cell declared with ``register`` and every cached result (its name may be reused)."""
    CELLS.pop(cell_name, None)
    for name in [n for n, e in DERIVATIONS.items() if e.cell == cell_name]:
        del DERIVATIONS[name]
    memo.clear()


def model_named(name: str | None, option: str = "--model") -> str | None:
    """The cell a model option names: a cell's name, or a TOML file declaring one (registered, its name returned)."""
    if name is None:
        return None
    if name.endswith(".toml"):
        from .cells.declared import load_cell
        cell = load_cell(name)
        if CELLS.get(cell.name) != cell:  # a name taken by other equations is refused, never silently reused
            if cell.name in CELLS:
                raise DlderiveError(f"{option}: {name} declares the cell {cell.name!r}, a name already taken by "
                                    f"{'a built-in cell' if cell.name in BUILT_IN else 'another declared cell'}; "
                                    "choose another name")
            register(cell)
        return cell.name
    if name not in CELLS:
        raise DlderiveError(f"{option}: unknown model {name!r}; known: {', '.join(sorted(CELLS))}, "
                            "or the TOML file of a declared cell")
    return name
