"""The records a conv computation returns: output sizes, inverse-problem solutions, counts."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import DlderiveError
from ..steps import Derivation, Displayable

@dataclass(frozen=True)
class ConvResult(Displayable):
    """Output sizes per spatial dimension, with one derivation per dimension."""

    output: tuple[int, ...]
    derivations: tuple[Derivation, ...]
    padding: tuple[tuple[int, int], ...]  # (left, right) padding actually applied per dimension
    kind: str
    convention: str = "pytorch"

    @property
    def size(self) -> int:
        """The output size of a one-dimensional problem."""
        if len(self.output) != 1:
            raise DlderiveError(f"size: {len(self.output)}-D result, use .output")
        return self.output[0]


@dataclass(frozen=True)
class SolveResult(Displayable):
    """Every positive integer value of ``unknown`` that gives ``output``."""

    unknown: str
    solutions: sp.Set  # FiniteSet, or Range(lo, oo) when unbounded
    derivation: Derivation
    reason: str = ""  # why there is no solution, when there is none

    @property
    def values(self) -> tuple[int, ...]:
        if not self.solutions.is_finite_set:
            raise DlderiveError(f"{self.unknown}: infinitely many solutions ({self.solutions})")
        return tuple(int(v) for v in sorted(self.solutions))

    @property
    def interval(self) -> tuple[int | None, int | None]:
        if self.solutions.is_empty:
            return (None, None)
        hi = self.solutions.sup
        return (int(self.solutions.inf), None if hi == sp.oo else int(hi))


@dataclass(frozen=True)
class Counts(Displayable):
    """Exact parameter and operation counts of one conv layer, and what common tools report."""

    weights: int
    bias: int
    multiplications: int
    additions: int
    tools: dict
    derivations: tuple[Derivation, ...]  # one proven derivation per count

    @property
    def params(self) -> dict:
        return {"weights": self.weights, "bias": self.bias, "total": self.weights + self.bias}

    @property
    def macs(self) -> int:
        return self.multiplications

    @property
    def flops(self) -> int:
        return self.multiplications + self.additions
