"""The result types that export renders, and what every format shares about them."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..check.report import FileReport
from ..conv import ConvResult, Counts, SolveResult
from ..errors import InternalError
from ..network import Table, ValidInputs
from ..notation import DEFAULT, Notation
from ..steps import Derivation, Step

RESULT_TYPES = (Derivation, ConvResult, Counts, SolveResult, Table, ValidInputs, FileReport)
MARKS = {"valid": "✓", "invalid": "✗", "unverifiable": "?"}


@dataclass(frozen=True)
class Combined:
    """Several results shown as one: in text their derivations first, then each one's summary; in JSON
    one object (``dlderive conv`` shows a layer's sizes and counts so)."""

    parts: tuple


def derivations_of(obj) -> list[Derivation]:
    """The derivations a result carries: ``.derivation``, ``.derivations``, a network table's row
    derivations, or those of a list/tuple/dict of results."""
    if isinstance(obj, Derivation):
        return [obj]
    if isinstance(obj, Step):
        return [as_derivation(obj)]
    if isinstance(obj, Combined):
        return derivations_of(obj.parts)
    if isinstance(obj, (list, tuple)):
        return [d for o in obj for d in derivations_of(o)]
    if isinstance(obj, dict):
        return [d for o in obj.values() for d in derivations_of(o)]
    if isinstance(obj, Table):
        return [d for r in obj.rows for d in r.derivations]
    for attr in ("derivations", "derivation"):
        value = getattr(obj, attr, None)
        if value is not None:
            return derivations_of(value)
    raise InternalError(f"cannot render a {type(obj).__name__}: it carries no derivation")


def register_sequences(render, join) -> None:
    """Lists, tuples and Combined results render, with ``render``, as their parts joined by ``join``."""
    def parts(items, notation: Notation = DEFAULT, **options):
        return join(render(o, notation, **options) for o in items)

    render.register(list, parts)
    render.register(tuple, parts)
    render.register(Combined, lambda c, notation=DEFAULT, **options: parts(c.parts, notation, **options))


def as_derivation(step: Step) -> Derivation:
    """A single step shown as a one-line derivation."""
    return Derivation(name="step", form="scalar", title="", steps=(step,))


def verdict(relation) -> str:
    """A relation's verdict as a word: valid, invalid, unverifiable (an enum or a string)."""
    return str(getattr(relation.verdict, "value", relation.verdict))


def number(v):
    """A count or size as JSON: an int, or the text of a formula."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    if getattr(v, "is_Integer", False):
        return int(v)
    return sp.sstr(v)


def total(expr):
    """A sum of counts: an int when it is a number."""
    return int(expr) if getattr(expr, "is_Integer", False) else expr
