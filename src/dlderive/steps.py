"""Steps and derivations as data: the engine builds them, renderers print them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ClassVar

import sympy as sp


@dataclass(frozen=True)
class Step:
    """One proven relation ``lhs = rhs``, justified by a rule from the registry in rules.py."""

    lhs: sp.Basic
    rhs: sp.Basic
    rule: str
    note: str = ""
    proof: str = ""  # how the engine proved it, filled in by the prover


class Displayable:
    """Jupyter display of a result, by the renderers that ``dlderive.export`` installs as ``show``
    (the public API loads them); plain ``repr`` until then.  The engine never imports a renderer."""

    show: ClassVar[Callable[[object], dict] | None] = None

    def _repr_mimebundle_(self, include=None, exclude=None):
        return Displayable.show(self) if Displayable.show else {"text/plain": repr(self)}

    def _repr_html_(self):
        return self._repr_mimebundle_().get("text/html")

    def _repr_latex_(self):
        return self._repr_mimebundle_().get("text/latex")

    def _repr_markdown_(self):
        return self._repr_mimebundle_().get("text/markdown")


@dataclass(frozen=True)
class Derivation(Displayable):
    """A named result: its steps, in order, and the definitions that give them meaning."""

    name: str
    form: str  # "scalar" or "vector" (or "numeric" for size arithmetic)
    title: str
    steps: tuple[Step, ...]
    definitions: dict = field(default_factory=dict)  # identifier -> expression in the inputs
    result: Step | None = None  # the relation that the derivation establishes

    @property
    def final(self) -> Step:
        return self.result or Step(self.steps[0].lhs, self.steps[-1].rhs, "result")

