"""Steps and derivations as data: the engine builds them, renderers print them."""
from __future__ import annotations

from dataclasses import dataclass, field

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
    """Jupyter display through the renderers (imported only when an object is shown)."""

    def _repr_mimebundle_(self, include=None, exclude=None):
        from .export import Display

        return Display(self)._repr_mimebundle_(include, exclude)


@dataclass(frozen=True)
class Derivation(Displayable):
    """A named result: its steps, in order, and the definitions that give them meaning."""

    name: str
    form: str  # "scalar" or "vector" (or "numeric" for size arithmetic)
    title: str
    steps: tuple[Step, ...]
    definitions: dict = field(default_factory=dict)  # identifier -> expression in the inputs
    kinds: dict = field(default_factory=dict)  # identifier -> "vector" | "matrix" (vector form only)
    result: Step | None = None  # the relation that the derivation establishes

    @property
    def final(self) -> Step:
        return self.result or Step(self.steps[0].lhs, self.steps[-1].rhs, "result")

