"""One step of a declared cell as a dependency graph, and the names of its derivations."""
from __future__ import annotations

import dataclasses

import sympy as sp

from . import matrices as mx
from .cells import Cell, at, get_cell
from .errors import DlderiveError
from .memo import cached
from .rules import Context
from .vectorform import as_matrix, symbols


@dataclasses.dataclass(frozen=True)
class Model:
    """A cell read as a dependency graph at time t, differentiated with respect to one state at t-1
    (the hidden state unless told otherwise), every other input of the step held fixed.  Every
    quantity is a matrix expression (vectorform.py): columns, matrices, ordered products."""

    cell: Cell
    definitions: dict  # column at t -> one-level expression
    full: dict  # column at t -> expression in the leaves
    depends: dict  # column -> frozenset of leaves
    previous: dict  # column at t-1 (but the wrt state) -> its expression one step back, in leaves at t-1
    state: str = ""  # the state differentiated against; "" for the hidden state

    @property
    def wrt_state(self) -> str:
        return self.state or self.cell.hidden

    @property
    def wrt(self) -> sp.MatrixSymbol:
        return self.column(at(self.wrt_state, 1).name)

    def column(self, name: str) -> sp.MatrixSymbol:
        """The matrix symbol of identifier ``name`` (h_t, c_prev, U_f ...)."""
        return symbols(self.cell)(name)

    def context(self, known=None, known_from=None) -> Context:
        return Context(self.wrt, self.definitions, self.depends,
                       {s: self.cell.numbers[s.name] for s in self.definitions if s.name in self.cell.numbers},
                       known or {}, known_from or {})

    def is_gate(self, s: sp.MatrixSymbol) -> bool:
        """A gate reads only leaves: its derivative is a result of its own."""
        return not (self.definitions[s].atoms(sp.MatrixSymbol) & self.definitions.keys())

    def scalar(self, mapping: dict) -> dict:
        """``mapping`` (definitions, full or previous) read at size 1."""
        return {mx.to_scalar(k): mx.to_scalar(v) for k, v in mapping.items()}


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
    sym = symbols(cell)
    definitions = {sym(s.name): as_matrix(cell, e) for s, e in cell.equations_at(0).items()}
    full, depends = {}, {}
    for s, e in definitions.items():
        full[s] = e.xreplace(full)
        depends[s] = frozenset(full[s].atoms(sp.MatrixSymbol))
    previous = {}
    if not state:
        for s, e in cell.equations_at(1).items():
            previous[sym(s.name)] = as_matrix(cell, e).xreplace(previous)
        previous.pop(sym(at(cell.hidden, 1).name))
    return Model(cell, definitions, full, depends, previous, state)


def derivation_name(cell: Cell, ident: str, state: str = "") -> str:
    """``lstm.cell`` for ∂c_t/∂h_{t-1}; ``lstm.cell_wrt_c`` for ∂c_t/∂c_{t-1} (h_{t-1} held fixed)."""
    name = f"{cell.name}.{cell.names.get(ident, ident)}"
    return name if not state or state == cell.hidden else f"{name}_wrt_{state}"
