"""LaTeX renderer: a derivation as one ``align*`` block, each line's rule beside it."""
from __future__ import annotations

from functools import singledispatch

import sympy as sp

from ..notation import DEFAULT, Notation
from ..steps import Derivation
from .escape import escape_latex, text_in_math
from .linebreak import abbreviate_chains, balance, break_expr, visual_width
from .printer import as_basic, group_thousands, latex_expr, relation_between
from .results import FileReport, Table, derivations_of, register_sequences, verdict

RELATION_LATEX = {"=": "=", "iff": r"\iff", "in": r"\in"}


def uses_total_derivative(d: Derivation) -> bool:
    """Single-variable derivations (σ'(z)) write d/dz; all others ∂."""
    return d.name == "sigmoid"


LINE_WIDTH = 74
"""Printed width of one align* line (A4, 11pt, 2.4 cm margins), in characters of math."""
RULE_WIDTH = 0.8
"""Printed width of one character of a rule's text, in characters of math."""


def derivation_lines(d: Derivation, notation: Notation = DEFAULT,
                     width: float = LINE_WIDTH) -> list[tuple[str, str, str, str]]:
    """(lhs, relation, rhs, rule) LaTeX rows; lhs is empty on a row that continues the previous one.

    A right-hand side too wide for ``width`` continues on rows of its own, indented by a quad.
    """
    total = uses_total_derivative(d)

    cache: dict = {}

    def tex(e, keep_order=None):
        key = (e, keep_order)
        if key not in cache:
            cache[key] = abbreviate_chains(latex_expr(e, notation, d.form, total=total, keep_order=keep_order))
        return cache[key]

    steps = printed_steps(d)
    lhs_of, previous = [], None
    for step in steps:
        lhs_of.append("" if previous is not None and step.lhs == previous else tex(as_basic(step.lhs)))
        previous = step.rhs
    # align* sets every row's columns to the widest left side and the widest rule of the block
    budget = width - max(map(visual_width, lhs_of), default=0) - RULE_WIDTH * max(
        (len(step.rule) for step in steps), default=0) - 6
    lines, previous = [], None
    for step, lhs in zip(steps, lhs_of):
        rows = balance(break_expr(as_basic(step.rhs), tex, budget))
        lines.append((lhs, RELATION_LATEX[relation_between(step.lhs, step.rhs)], rows[0], step.rule))
        lines += [("", "", "\\quad " + row, "") for row in rows[1:]]
        previous = step.rhs
    return lines


def printed_steps(d: Derivation) -> tuple:
    """The steps, and last the established relation when no step states it (∂L/∂W = Σ δa xᵀ after the δ's)."""
    r = d.result
    if r is None or isinstance(r.lhs, sp.Tuple) or any(s.lhs == r.lhs for s in d.steps) or (
            d.steps and d.steps[0].lhs == r.lhs):
        return d.steps
    return (*d.steps, r)


def align(lines: list[tuple[str, str, str, str]]) -> str:
    """An ``align*`` block: ``lhs &= rhs && \\text{rule}`` per line, joined by a plain ``\\\\``."""
    body = " \\\\\n".join(
        f"{lhs} &{rel + ' ' if rel else ''}{rhs}" + (f" && {text_in_math(rule)}" if rule else "")
        for lhs, rel, rhs, rule in lines
    )
    return "\\begin{align*}\n" + body + "\n\\end{align*}"


def align_narrow(lines: list[tuple[str, str, str, str]]) -> str:
    """The same rows for a narrow screen: each rule on a row of its own under its line, in the ``=`` column."""
    rows, pending = [], []
    for lhs, rel, rhs, rule in lines:
        if rel:  # a new line: the previous line's rule goes under its continued rows
            rows += pending
            pending = [f" &{text_in_math(rule)}"] if rule else []
        rows.append(f"{lhs} &{rel + ' ' if rel else ''}{rhs}")
    rows += pending
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


@singledispatch
def render_latex(obj, notation: Notation = DEFAULT) -> str:
    """``obj`` as LaTeX ``align*`` blocks; conv results and lists render through their derivations."""
    return "\n".join(render_latex(d, notation) for d in derivations_of(obj))


register_sequences(render_latex, "\n".join)


@render_latex.register
def _(d: Derivation, notation: Notation = DEFAULT) -> str:
    return align(derivation_lines(d, notation))


def result_latex(d: Derivation, notation: Notation = DEFAULT) -> str:
    """The established relation ``lhs = rhs`` as one line of LaTeX math."""
    final = d.final
    total = uses_total_derivative(d)
    rel = RELATION_LATEX[relation_between(final.lhs, final.rhs)]
    return (latex_expr(final.lhs, notation, d.form, total=total) + f" {rel} "
            + latex_expr(final.rhs, notation, d.form, total=total))


UNICODE_CHARACTERS = {
    "03C3": r"\ensuremath{\sigma}", "2218": r"\ensuremath{\circ}", "2299": r"\ensuremath{\odot}",
    "2202": r"\ensuremath{\partial}", "2212": r"\ensuremath{-}", "00D7": r"\ensuremath{\times}",
    "00B7": r"\ensuremath{\cdot}", "2192": r"\ensuremath{\to}", "2264": r"\ensuremath{\le}",
    "2265": r"\ensuremath{\ge}", "2032": r"\ensuremath{'}", "2260": r"\ensuremath{\neq}",
    "2248": r"\ensuremath{\approx}", "2026": r"\ldots{}", "2014": "---", "2013": "--",
}
"""Unicode characters that may appear in user text, mapped for pdflatex."""


def _tex(v, notation: Notation) -> str:
    return latex_expr(v, notation, "numeric")


def _count(v, notation: Notation) -> str:
    """A count as math: an integer grouped by thousands as in the text (2{,}508{,}800), else its formula."""
    if isinstance(v, int) or getattr(v, "is_Integer", False):
        return group_thousands(int(v))
    return _tex(v, notation)


@render_latex.register
def _(table: Table, notation: Notation = DEFAULT) -> str:
    """The layer table as a tabular with a rule under the header and above the totals; sizes as math."""
    body = [r"\# & layer & output & params & MACs \\ \hline"]
    for r in table.rows:
        shape = r" \times ".join(_tex(v, notation) for v in r.shape)
        body.append(f"{r.index} & {escape_latex(r.type)} & ${shape}$ & ${_count(r.params, notation)}$ & "
                    f"${_count(r.macs, notation)}$ \\\\")
    body.append(f"\\hline & total & & ${_count(table.params, notation)}$ & ${_count(table.macs, notation)}$ \\\\")
    size = r" \times ".join(_tex(v, notation) for v in table.input)
    caption = f"{escape_latex(table.network.name)}: input ${size}$"
    return ("\\begin{center}\n" + caption + "\\\\[2pt]\n\\begin{tabular}{rllrr}\n" + "\n".join(body)
            + "\n\\end{tabular}\n\\end{center}")


def table_array(table: Table, notation: Notation = DEFAULT) -> str:
    """The layer table as an array inside \\[ \\] (for a notebook's MathJax and latex2mathml)."""
    body = [r"\# & \text{layer} & \text{output} & \text{params} & \text{MACs}"]
    for r in table.rows:
        shape = r" \times ".join(_tex(v, notation) for v in r.shape)
        body.append(f"{r.index} & {text_in_math(r.type)} & {shape} & {_tex(r.params, notation)} & {_tex(r.macs, notation)}")
    body.append(f"& \\text{{total}} & & {_tex(table.params, notation)} & {_tex(table.macs, notation)}")
    return "\\[\n\\begin{array}{rllrr}\n" + " \\\\\n".join(body) + "\n\\end{array}\n\\]"


@render_latex.register
def _(report: FileReport, notation: Notation = DEFAULT) -> str:
    """The verdicts as a tabular: mark, line, the relation as written (verbatim text), the reason."""
    rows = [f"{verdict(r)} & {r.line} & \\texttt{{{escape_latex(r.latex)}}} & {escape_latex(r.reason)}"
            for r in report.relations]
    if report.error:
        rows.append(f"& & \\multicolumn{{2}}{{l}}{{cannot read: {escape_latex(report.error)}}}")
    head = f"\\noindent\\textbf{{{escape_latex(report.file)}}}\n\n"
    return head + "\\begin{tabular}{rrp{0.45\\linewidth}p{0.35\\linewidth}}\n" + " \\\\\n".join(rows) + "\n\\end{tabular}"


@singledispatch
def display_latex(obj, notation: Notation = DEFAULT) -> str:
    """``obj``'s LaTeX as a notebook shows it: math blocks inside ``$$``."""
    return "$$\n" + render_latex(obj, notation) + "\n$$"


@display_latex.register(FileReport)
def _(obj, notation: Notation = DEFAULT) -> str:
    return render_latex(obj, notation)  # a text-mode table


@display_latex.register(Table)
def _(obj, notation: Notation = DEFAULT) -> str:
    return table_array(obj, notation)
