"""JSON renderer.  One schema for a step everywhere: ``{lhs, rhs, relation, latex, rule, note, proof}``,
every expression ``str()`` of SymPy in writing order, the LaTeX through the notation preset."""
from __future__ import annotations

import json
from functools import singledispatch

import sympy as sp
from sympy.printing.str import StrPrinter

from ..notation import DEFAULT, Notation
from ..steps import Derivation, Step
from .latex import RELATION_LATEX, result_latex, uses_total_derivative
from .printer import as_basic, keeps_order, latex_expr, relation_between
from .results import Combined, ConvResult, Counts, FileReport, SolveResult, Table, ValidInputs, number, total


class MatrixText(StrPrinter):
    """A matrix expression as text that names every operation: A*B the matrix product (in order),
    hadamard(a, b), hadamard_power(a, k), diag(v), tanh(v) elementwise, ones(n, 1), eye(n),
    zeros(r, c), MatrixPartial(y, x) (∂y/∂x), block([[...], ...])."""

    def _print_HadamardProduct(self, e):
        return f"hadamard({', '.join(self._print(a) for a in e.args)})"

    def _print_HadamardPower(self, e):
        return f"hadamard_power({self._print(e.base)}, {self._print(e.exp)})"

    def _print_DiagMatrix(self, e):
        return f"diag({self._print(e.args[0])})"

    def _print_ElementwiseApplyFunction(self, e):
        return f"{type(e.function.expr).__name__}({self._print(e.expr)})"

    def _print_OneMatrix(self, e):
        return f"ones({self._print(e.shape[0])}, {self._print(e.shape[1])})"

    def _print_Identity(self, e):
        return f"eye({self._print(e.shape[0])})"

    def _print_ZeroMatrix(self, e):
        return f"zeros({self._print(e.shape[0])}, {self._print(e.shape[1])})"

    def _print_BlockMatrix(self, e):
        return "block([" + ", ".join("[" + ", ".join(self._print(b) for b in row) + "]"
                                     for row in e.blocks.tolist()) + "])"


def expr_text(e) -> str:
    """An expression as SymPy's ``str`` (a matrix expression by ``MatrixText``); arithmetic shown as
    written keeps its order (as in the LaTeX)."""
    if isinstance(e, sp.Eq):
        return f"{expr_text(e.lhs)} = {expr_text(e.rhs)}"
    if isinstance(e, sp.MatrixExpr) or (isinstance(e, sp.Basic) and e.has(sp.MatrixExpr) and not isinstance(e, sp.MatrixBase)):
        return MatrixText().doprint(e)
    return sp.sstr(e, order="none") if keeps_order(as_basic(e)) else str(e)


def step_data(step: Step, d: Derivation, notation: Notation = DEFAULT) -> dict:
    """``{"lhs", "rhs", "relation", "latex", "rule", "note", "proof"}`` of one step of ``d``."""
    total_d = uses_total_derivative(d)
    relation = relation_between(step.lhs, step.rhs)
    latex = (latex_expr(step.lhs, notation, d.form, total=total_d) + f" {RELATION_LATEX[relation]} "
             + latex_expr(step.rhs, notation, d.form, total=total_d))
    return {"lhs": expr_text(step.lhs), "rhs": expr_text(step.rhs), "relation": relation, "latex": latex,
            "rule": step.rule, "note": step.note, "proof": step.proof}


def steps_data(derivations, notation: Notation = DEFAULT) -> list[dict]:
    return [step_data(s, d, notation) for d in derivations for s in d.steps]


@singledispatch
def to_data(obj, notation: Notation = DEFAULT):
    """JSON-ready data of a result."""
    raise TypeError(f"no JSON form for a {type(obj).__name__}")


@to_data.register(list)
@to_data.register(tuple)
def _(items, notation: Notation = DEFAULT):
    return [to_data(o, notation) for o in items]


@to_data.register
def _(c: Combined, notation: Notation = DEFAULT):
    """One object: the parts' fields in order, their steps together at the end."""
    out, steps = {}, []
    for part in c.parts:
        data = dict(to_data(part, notation))
        steps += data.pop("steps", [])
        out.update(data)
    return {**out, "steps": steps}


@to_data.register
def _(d: Derivation, notation: Notation = DEFAULT):
    """``{"name", "form", "definitions", "steps", "result": {"lhs", "rhs", "latex"}}``."""
    final = d.final
    return {
        "name": d.name,
        "form": d.form,
        "definitions": {str(k): expr_text(v) if isinstance(v, sp.Basic) else str(v) for k, v in d.definitions.items()},
        "steps": [step_data(s, d, notation) for s in d.steps],
        "result": {"lhs": expr_text(final.lhs), "rhs": expr_text(final.rhs), "latex": result_latex(d, notation)},
    }


@to_data.register
def _(r: ConvResult, notation: Notation = DEFAULT):
    return {"output": list(r.output), "padding": [list(p) for p in r.padding],
            "steps": steps_data(r.derivations, notation)}


@to_data.register
def _(c: Counts, notation: Notation = DEFAULT):
    return {"params": c.params, "multiplications": c.multiplications, "additions": c.additions, "macs": c.macs,
            "flops": c.flops, "tools": c.tools, "steps": steps_data(c.derivations, notation)}


@to_data.register
def _(r: SolveResult, notation: Notation = DEFAULT):
    lo, hi = r.interval
    data = {"solve": r.unknown, "solutions": list(r.values) if r.solutions.is_finite_set else None,
            "interval": [lo, hi], "steps": steps_data([r.derivation], notation)}
    if r.reason:
        data["reason"] = r.reason
    return data


@to_data.register
def _(table: Table, notation: Notation = DEFAULT):
    return {"name": table.network.name, "input": [number(v) for v in table.input],
            "layers": [{"index": r.index, "type": r.type, "output": [number(v) for v in r.shape],
                        "params": number(r.params), "macs": number(r.macs)} for r in table.rows],
            "totals": {"params": number(total(table.params)), "macs": number(total(table.macs))},
            "steps": steps_data([d for r in table.rows for d in r.derivations], notation)}


@to_data.register
def _(v: ValidInputs, notation: Notation = DEFAULT):
    return {"valid_inputs": [{name: [lo, hi] for name, (lo, hi) in box.items()} for box in v.boxes],
            "steps": steps_data([v.derivation], notation)}


@to_data.register
def _(report: FileReport, notation: Notation = DEFAULT):
    return report.to_json()


def render_json(obj, notation: Notation = DEFAULT) -> str:
    return json.dumps(to_data(obj, notation), indent=2, ensure_ascii=False)
