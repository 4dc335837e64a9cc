"""A recurrent cell declared as data: equations over plain identifiers, in evaluation order."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp
from sympy.printing.str import StrPrinter

from ..errors import DlderiveError
from ..matrices import Grouped
from ..notation import is_weight, time_offset_name, timed


def at(base: str, k: int = 0) -> sp.Symbol:
    """The real symbol of ``base`` at time t-k."""
    return sp.Symbol(time_offset_name(base, k), real=True)


def param(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def affine(label: str) -> sp.Expr:
    """W_g x_t + U_g h_{t-1} + b_g: the pre-activation of gate ``label``."""
    return param(f"W_{label}") * at("x") + param(f"U_{label}") * at("h", 1) + param(f"b_{label}")


def shift(expr: sp.Basic, k: int) -> sp.Basic:
    """``expr`` read k steps earlier: every timed identifier moved k steps back (t -> t-k)."""
    if k == 0:
        return expr
    mapping = {}
    for s in expr.atoms(sp.Symbol, sp.MatrixSymbol):
        t = timed(s.name)
        if t:
            name = time_offset_name(t[0], t[1] + k)
            mapping[s] = (sp.MatrixSymbol(name, *s.shape) if isinstance(s, sp.MatrixSymbol)
                          else sp.Symbol(name, **s.assumptions0))
    return expr.xreplace(mapping)


def _check_products(cell: str, ident: str, expr: sp.Expr) -> None:
    """Each matrix multiplies exactly one vector, and no power takes a matrix product."""
    for power in expr.atoms(sp.Pow):
        if any(is_weight(b.name) for b in power.base.atoms(sp.Symbol)) and not isinstance(power.base, sp.Add):
            raise DlderiveError(f"cell {cell}: in {ident}, {power} raises a matrix (product) to a power; "
                                f"give the matrix product its own equation and raise that")
    for mul in expr.atoms(sp.Mul):
        mats = [f for f in mul.args if isinstance(f, sp.Symbol) and is_weight(f.name)]
        if len(mats) > 1:
            raise DlderiveError(f"cell {cell}: {ident} multiplies two matrices ({mats[0]}, {mats[1]}) in {mul}")
        if mats and len([f for f in mul.args if not f.is_number and f is not mats[0]]) != 1:
            raise DlderiveError(f"cell {cell}: in {ident}, the product {mul} is ambiguous: "
                                f"write {mats[0]}*(...) with one vector factor, as its own term")


_SIZE_TEXT = {"m": "m x 1 (an input)", "n": "n x 1"}


class _Text(StrPrinter):
    """An equation as it is declared: M @ v for a matrix product."""

    def _print_Mul(self, e):
        mats = [a for a in e.args if isinstance(a, sp.Symbol) and is_weight(a.name)]
        if not mats:
            return super()._print_Mul(e)
        rest = sp.Mul(*[a for a in e.args if a is not mats[0]])
        v = self._print(rest)
        return f"{mats[0]} @ {v if isinstance(rest, sp.Symbol) else '(' + v + ')'}"

    def _print_Grouped(self, e):
        return f"({self._print(e.args[0])})"


def _text(e: sp.Basic) -> str:
    return _Text().doprint(e)
_COLUMNS = {"W": "m", "U": "n"}  # W_* are n x m, U_* n x n


def _size(cell: str, ident: str, e: sp.Basic, inputs: tuple) -> str | None:
    """The length of the vector ``e`` ("m" for inputs, "n" for all else; None for a number);
    a product or sum of vectors of different lengths is an error that names them."""
    if e.is_number:
        return None
    if isinstance(e, sp.Symbol):
        t = timed(e.name)
        return "m" if t and t[0] in inputs else "n"
    if isinstance(e, Grouped) or (isinstance(e, sp.Function) and len(e.args) == 1):
        return _size(cell, ident, e.args[0], inputs)
    if isinstance(e, sp.Pow):
        return _size(cell, ident, e.base, inputs)
    args = [a for a in e.args if not a.is_number]
    mats = [a for a in args if isinstance(a, sp.Symbol) and is_weight(a.name)] if isinstance(e, sp.Mul) else []
    if mats:
        (v,) = [a for a in args if a is not mats[0]]
        need, got = _COLUMNS[mats[0].name.split("_", 1)[0]], _size(cell, ident, v, inputs)
        if got is not None and got != need:
            raise DlderiveError(f"cell {cell}: in {ident}, shapes do not agree in {_text(e)}: {mats[0]} is "
                                f"n x {need}, {_text(v)} is {_SIZE_TEXT[got]}; W_* are n x m (they read the inputs), U_* n x n")
        return "n"
    sizes = [(a, _size(cell, ident, a, inputs)) for a in args]
    known = [(a, z) for a, z in sizes if z is not None]
    for a, z in known[1:]:
        if z != known[0][1]:
            what = "elementwise product" if isinstance(e, sp.Mul) else "sum"
            raise DlderiveError(f"cell {cell}: in {ident}, shapes do not agree in the {what} {_text(e)}: {_text(known[0][0])} is "
                                f"{_SIZE_TEXT[known[0][1]]}, {_text(a)} is {_SIZE_TEXT[z]}; inputs have size m, every other "
                                f"vector size n")
    return known[0][1] if known else None


def order_equations(cell: str, equations) -> tuple:
    """The equations in an order where each one reads only leaves and equations before it;
    a cycle within one step is an error that names it."""
    exprs = dict(equations)
    reads = {i: sorted(s.name for s in e.free_symbols if s.name in exprs) for i, e in exprs.items()}
    done, out, path = set(), [], []

    def visit(i):
        if i in done:
            return
        if i in path:
            cycle = path[path.index(i):] + [i]
            raise DlderiveError(f"cell {cell}: cycle within one step: {' -> '.join(cycle)}")
        path.append(i)
        for j in reads[i]:
            visit(j)
        path.pop()
        done.add(i)
        out.append((i, exprs[i]))

    for i in exprs:
        visit(i)
    return tuple(out)


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
        order_equations(self.name, self.equations)  # names a cycle within one step, if any
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
            _check_products(self.name, ident, expr)
            for fn in expr.atoms(sp.Function):
                if getattr(fn.func, "fdiff", sp.Function.fdiff) is sp.Function.fdiff:
                    raise DlderiveError(f"cell {self.name}: function {fn.func} in {ident} has no derivative rule")
            defined.add(ident)
        for s in self.states:
            if time_offset_name(s, 0) not in defined:
                raise DlderiveError(f"cell {self.name}: state {s} has no equation for {time_offset_name(s, 0)}")
        for ident, expr in self.equations:
            _size(self.name, ident, expr, self.inputs)  # vectors of different sizes in one sum or product

    @cached_property
    def size_problem(self) -> str | None:
        """Why the vector form cannot hold (a quantity of an input's size m, where n is expected), or None."""
        for ident, expr in self.equations:
            if _size(self.name, ident, expr, self.inputs) == "m":
                return (f"cell {self.name}: {ident} = {_text(expr)} is m x 1 (an input's size), but every quantity "
                        f"of the cell is n x 1 (the hidden size) in the vector form; map an input through W_* @")
        return None

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
        return {shift.get(self.symbols[i], self.symbols[i]): (Grouped(e) if i in self.bare_products else e).xreplace(shift)
                for i, e in self.equations}

    @cached_property
    def bare_products(self) -> frozenset:
        """The quantities defined as one matrix product (a_t = U h_{t-1}): substituted into another
        equation they stay one factor, Grouped, so r ∘ a reads r ∘ (U h), never U (r ∘ h)."""
        return frozenset(i for i, e in self.equations
                         if isinstance(e, sp.Mul) and any(isinstance(f, sp.Symbol) and is_weight(f.name) for f in e.args))

    @cached_property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        return tuple(sorted((s for n, s in self.symbols.items() if timed(n) is None), key=str))

    def kind(self, identifier: str) -> tuple:
        """("matrix", rows, cols) or ("vector", size) with sizes "n" (hidden) and "m" (input)."""
        base = identifier.split("_", 1)[0]
        if timed(identifier) is not None:
            base = None
        if base == "W":
            return ("matrix", "n", "m")
        if base == "U":
            return ("matrix", "n", "n")
        t = timed(identifier)
        if t and t[0] in self.inputs:
            return ("vector", "m")
        return ("vector", "n")
