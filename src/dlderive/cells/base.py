"""A recurrent cell declared as data: equations over plain identifiers, in evaluation order."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from ..errors import DlderiveError
from ..notation import _TIMED, time_offset_name


def timed(identifier: str) -> tuple[str, int] | None:
    """``'h_prev2'`` -> ``('h', 2)``; None for untimed identifiers such as ``'W_f'``."""
    m = _TIMED.match(identifier)
    if not m:
        return None
    return m["base"], 0 if m["t"] else int(m["k"] or 1)


def at(base: str, k: int = 0) -> sp.Symbol:
    """The real symbol of ``base`` at time t-k."""
    return sp.Symbol(time_offset_name(base, k), real=True)


def param(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


@dataclass(frozen=True)
class Cell:
    """Equations ``identifier = expression`` of one time step.

    Leaves are the inputs at t, the states at t-1 and the parameters (untimed identifiers).
    ``names`` gives each equation the name of its derivation (``f_t`` -> ``forget_gate``);
    ``numbers`` the equation numbers used in the text ((1) for h_t, (2) for c_t in the LSTM).
    In the vector form ``W_*`` are n x m matrices, ``U_*`` n x n, inputs have size m, all else n.
    """

    name: str
    description: str
    inputs: tuple[str, ...]
    states: tuple[str, ...]
    equations: tuple[tuple[str, sp.Expr], ...]
    names: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)
    hidden: str = "h"

    def __post_init__(self):
        defined: set[str] = set()
        leaves = {time_offset_name(b, 0) for b in self.inputs} | {time_offset_name(s, 1) for s in self.states}
        for ident, expr in self.equations:
            for sym in expr.free_symbols:
                n = sym.name
                if n in defined or n in leaves or timed(n) is None:
                    continue
                if n == ident:
                    raise DlderiveError(f"cell {self.name}: {ident} is defined in terms of itself (a cycle within one step)")
                raise DlderiveError(f"cell {self.name}: {ident} uses {n}, which is neither an input, a state at t-1, nor defined above it")
            for fn in expr.atoms(sp.Function):
                if not hasattr(fn, "fdiff") or fn.func.__name__ in ("Function",):
                    raise DlderiveError(f"cell {self.name}: function {fn.func} has no derivative rule")
            defined.add(ident)
        for s in self.states:
            if time_offset_name(s, 0) not in defined:
                raise DlderiveError(f"cell {self.name}: state {s} has no equation for {time_offset_name(s, 0)}")

    @cached_property
    def symbols(self) -> dict[str, sp.Symbol]:
        out = {}
        for ident, expr in self.equations:
            out[ident] = at(*timed(ident)) if timed(ident) else param(ident)
            out.update({s.name: s for s in expr.free_symbols})
        return out

    def equations_at(self, k: int = 0) -> dict[sp.Symbol, sp.Expr]:
        """The equations of step t-k: every timed identifier moved k steps back."""
        shift = {}
        for name, sym in self.symbols.items():
            t = timed(name)
            if t:
                shift[sym] = at(t[0], t[1] + k)
        return {shift.get(self.symbols[i], self.symbols[i]): e.xreplace(shift) for i, e in self.equations}

    @cached_property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        return tuple(sorted((s for n, s in self.symbols.items() if timed(n) is None), key=str))

    def kind(self, identifier: str) -> tuple:
        """("matrix", rows, cols) or ("vector", size) with sizes "n" (hidden) and "m" (input)."""
        base = identifier.split("_", 1)[0]
        if base == "W":
            return ("matrix", "n", "m")
        if base == "U":
            return ("matrix", "n", "n")
        t = timed(identifier)
        if t and t[0] in self.inputs:
            return ("vector", "m")
        return ("vector", "n")
