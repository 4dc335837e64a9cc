"""One step of a declared cell as a dependency graph, and the names of its derivations."""
from __future__ import annotations

import dataclasses

import sympy as sp

from .cells import Cell, at, get_cell
from .errors import DlderiveError
from .memo import cached
from .rules import Context


@dataclasses.dataclass(frozen=True)
class Model:
    """A cell read as a dependency graph at time t, differentiated with respect to one state at t-1
    (the hidden state unless told otherwise), every other input of the step held fixed."""

    cell: Cell
    definitions: dict  # symbol at t -> one-level expression
    full: dict  # symbol at t -> expression in the leaves
    depends: dict  # symbol -> frozenset of leaves
    previous: dict  # symbol at t-1 (but the wrt state) -> its expression one step back, in leaves at t-1
    state: str = ""  # the state differentiated against; "" for the hidden state

    @property
    def wrt_state(self) -> str:
        return self.state or self.cell.hidden

    @property
    def wrt(self) -> sp.Symbol:
        return at(self.wrt_state, 1)

    def kinds(self) -> dict:
        exprs = [*self.full.items(), *self.previous.items()]
        names = {s.name for pair in exprs for e in pair for s in e.free_symbols}
        return {n: self.cell.kind(n) for n in names}

    def context(self, known=None, known_from=None) -> Context:
        return Context(self.wrt, self.definitions, self.depends, self.kinds(),
                       {s: self.cell.numbers[s.name] for s in self.definitions if s.name in self.cell.numbers},
                       known or {}, known_from or {})

    def is_gate(self, s: sp.Symbol) -> bool:
        """A gate reads only leaves: its derivative is a result of its own."""
        return not (self.definitions[s].free_symbols & self.definitions.keys())


@cached
def model(cell_name: str, state: str = "") -> Model:
    """The graph of one step; ``state`` (default: hidden) names the state at t-1 to differentiate by.

    Differentiating by the hidden state, the other states at t-1 are expanded one step back (they
    do not depend on h_{t-1}); by another state, the states at t-1 are independent leaves, so the
    result is the partial derivative with the hidden state h_{t-1} held fixed.
    """
    cell = get_cell(cell_name)
    if state and state not in cell.states:
        raise DlderiveError(f"{cell_name} has no state {state!r}; states: {', '.join(cell.states)}")
    state = "" if state == cell.hidden else state
    definitions = cell.equations_at(0)
    full, depends = {}, {}
    for s, e in definitions.items():
        full[s] = e.xreplace(full)
        depends[s] = frozenset(full[s].free_symbols)
    previous = {}
    if not state:
        for s, e in cell.equations_at(1).items():
            previous[s] = e.xreplace(previous)
        previous.pop(at(cell.hidden, 1))
    return Model(cell, definitions, full, depends, previous, state)


def derivation_name(cell: Cell, ident: str, state: str = "") -> str:
    """``lstm.cell`` for ∂c_t/∂h_{t-1}; ``lstm.cell_wrt_c`` for ∂c_t/∂c_{t-1} (h_{t-1} held fixed)."""
    name = f"{cell.name}.{cell.names.get(ident, ident)}"
    return name if not state or state == cell.hidden else f"{name}_wrt_{state}"
