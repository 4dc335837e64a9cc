"""JSON renderer: the schema of ``dlderive derive --format json`` (every expression is ``str()`` of SymPy)."""
from __future__ import annotations

import json
from functools import singledispatch

from ..notation import DEFAULT, Notation
from ..steps import Derivation
from .latex import RELATION_LATEX, result_latex, uses_total_derivative
from .printer import latex_expr, relation_between


def derivation_data(d: Derivation, notation: Notation = DEFAULT) -> dict:
    """``{"name", "form", "definitions", "steps": [{"lhs", "rhs", "latex", "rule", "note"}], "result"}``."""
    total = uses_total_derivative(d)

    def tex(step):
        rel = RELATION_LATEX[relation_between(step.lhs, step.rhs)]
        return (latex_expr(step.lhs, notation, d.form, d.kinds, total) + f" {rel} "
                + latex_expr(step.rhs, notation, d.form, d.kinds, total))

    final = d.final
    return {
        "name": d.name,
        "form": d.form,
        "definitions": {str(k): str(v) for k, v in d.definitions.items()},
        "steps": [{"lhs": str(s.lhs), "rhs": str(s.rhs), "latex": tex(s), "rule": s.rule, "note": s.note}
                  for s in d.steps],
        "result": {"lhs": str(final.lhs), "rhs": str(final.rhs), "latex": result_latex(d, notation)},
    }


@singledispatch
def to_data(obj, notation: Notation = DEFAULT):
    """JSON-ready data: a derivation object, or a list of them for conv and network results."""
    from . import derivations_of
    return [to_data(d, notation) for d in derivations_of(obj)]


@to_data.register
def _(d: Derivation, notation: Notation = DEFAULT):
    return derivation_data(d, notation)


def render_json(obj, notation: Notation = DEFAULT) -> str:
    return json.dumps(to_data(obj, notation), indent=2, ensure_ascii=False)
