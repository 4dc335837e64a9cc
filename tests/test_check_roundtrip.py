"""What the engine writes, the checker reads back: every printed step, read from its LaTeX, is the same
expression (structurally, or proven equal), and checking the engine's LaTeX finds nothing invalid."""
import pytest
import sympy as sp

try:
    from dlderive.derive import DERIVATIONS, derive, describe
    from dlderive.export import render
except ImportError as exc:  # pragma: no cover - the engine is built by other issues
    pytest.skip(f"the engine's derive/render are not importable: {exc}", allow_module_level=True)

from dlderive.check import Scope, check_text, decide_equal
from dlderive.functions import Jacobian
from dlderive.reader import read_block

NAMES = sorted(n for n in describe() if DERIVATIONS[n].kind != "classic")
"""The derivations in the cells' notation; the classic ones (indices with Σ and δ_ij, matrices with
transposes) are written in notation the reader takes only in part."""


def _cell(name):
    return DERIVATIONS[name].cell


def _printed_pairs(name):
    """(read term, printed expression) for both sides of every step of the scalar derivation."""
    d = derive(name)
    latex = render(d, "latex")
    body = latex.split("\\begin{align*}", 1)[1].split("\\end{align*}", 1)[0]
    statements = read_block(body, model=_cell(name))
    pairs, last = [], None
    for st in statements:
        terms = ([last] if st.lead else []) + list(st.terms)
        pairs += list(zip(terms, terms[1:]))
        last = terms[-1]
    assert len(pairs) == len(d.steps), f"{name}: {len(pairs)} relations read, {len(d.steps)} steps printed"
    return [(read, printed) for (a, b), step in zip(pairs, d.steps) for read, printed in ((a, step.lhs), (b, step.rhs))]


def _as_derivatives(expr):
    """∂a/∂b is read as a non-commutative Jacobian(a, b); the engine prints scalar ones from Derivative(a, b)."""
    jacobians = expr.atoms(Jacobian)
    return expr.xreplace({j: sp.Derivative(*j.args) for j in jacobians}) if jacobians else expr


def _plain(expr):
    held = expr.atoms(sp.UnevaluatedExpr)
    return expr.xreplace({u: u.args[0] for u in held}) if held else expr


@pytest.mark.parametrize("name", NAMES)
def test_engine_latex_reads_back(name):
    scope = Scope.for_model(_cell(name))
    for term, printed in _printed_pairs(name):
        assert term.error is None, f"{term.source!r}: {term.error}"
        if _plain(printed) in (term.expr, _as_derivatives(term.expr)):
            continue
        (lhs, rhs), defs = scope.prepare_with_defs(term.expr, _plain(printed))
        verdict = decide_equal(lhs, rhs, 0, defs).verdict
        assert verdict == "valid", f"{term.source!r} read as {term.expr}, printed {printed}"


CHECKED = ["sigmoid", "lstm.forget_gate", "lstm.candidate", "lstm.cell", "lstm.hidden", "lstm.cell_independence",
           "lstm.bptt", "rnn.hidden", "rnn.bptt"]


@pytest.mark.parametrize("name", [n for n in CHECKED if n in NAMES])
def test_checking_the_engine_finds_nothing_invalid(name):
    report = check_text(render(derive(name), "latex"), name, model=_cell(name), timeout=10)
    assert report.relations
    assert report.summary["invalid"] == 0 and report.summary["unverifiable"] == 0, [
        (r.line, r.verdict, r.reason) for r in report.relations if r.verdict != "valid"]


# ---------------------------------------------------------------- conv and pooling derivations

try:
    from dlderive import conv
except ImportError:  # pragma: no cover
    conv = None

needs_conv = pytest.mark.skipif(conv is None, reason="dlderive.conv is not importable")


def _real(expr):
    return expr.xreplace({s: sp.Symbol(s.name, real=True) for s in expr.free_symbols})


@needs_conv
@pytest.mark.parametrize("result", ["size", "counts"])
def test_conv_latex_reads_back(result):
    from dlderive.export import derivations_of
    obj = conv.output_size("conv", 78, 5, stride=3, padding=2) if result == "size" else conv.counts(32, 64, 7, 5)
    for d in derivations_of(obj):
        body = render(d, "latex").split("\\begin{align*}", 1)[1].split("\\end{align*}", 1)[0]
        pairs, last = [], None
        for st in read_block(body):
            terms = ([last] if st.lead else []) + list(st.terms)
            pairs += list(zip(terms, terms[1:]))
            last = terms[-1]
        assert len(pairs) == len(d.steps)
        for (a, b), step in zip(pairs, d.steps):
            for term, printed in ((a, step.lhs), (b, step.rhs)):
                printed = _real(_plain(printed))
                assert term.error is None and (term.expr == printed or sp.simplify(term.expr - printed) == 0), (
                    term.source, printed)


@needs_conv
@pytest.mark.parametrize("output, kernel, stride, padding", [(16, 9, 3, 1), (8, 3, 2, 0)])
def test_conv_inverse_problem_checks(output, kernel, stride, padding):
    solved = conv.solve("input", output, kind="conv", kernel=kernel, stride=stride, padding=padding)
    report = check_text(render(solved, "latex"), timeout=10)
    assert report.relations and report.summary["invalid"] == report.summary["unverifiable"] == 0, [
        (r.line, r.verdict, r.reason) for r in report.relations if r.verdict != "valid"]
