"""HTML fragments: derivations as MathML (latex2mathml), tables as <table>; no script, no network resource."""
from __future__ import annotations

from functools import singledispatch

from markupsafe import Markup

from ..errors import DlderiveError
from ..notation import DEFAULT, Notation
from ..steps import Derivation
from .latex import align, align_narrow, derivation_lines
from .markup import check_math
from .mathml import to_mathml
from .results import MARKS, FileReport, Table, derivations_of, register_sequences, verdict
from .text import TABLE_HEADERS, shape_text, summary, table_rows


@singledispatch
def render_html_fragment(obj, notation: Notation = DEFAULT, page: bool = False) -> Markup:
    """``obj`` as an HTML fragment: MathML blocks of its derivations, then its summary lines (``page``: for
    a page whose stylesheet picks the wide or the narrow layout of each derivation)."""
    parts = [render_html_fragment(d, notation, page) for d in derivations_of(obj)]
    parts += [Markup("<p>%s</p>") % line for line in summary(obj, grouped=True)]
    return Markup("\n").join(parts)


register_sequences(render_html_fragment, Markup("\n").join)


@render_html_fragment.register
def _(d: Derivation, notation: Notation = DEFAULT, page: bool = False) -> Markup:
    """One MathML table, each rule beside its line; on a page also a narrow layout, each rule under its
    line, which the page shows instead on a narrow screen so that no rule is pushed out of sight."""
    lines = derivation_lines(d, notation)
    wide = to_mathml(align(lines), display=True)
    if not page:
        return Markup(wide)
    narrow = to_mathml(align_narrow(lines), display=True)
    return Markup(_with_class(wide, "wide") + "\n" + _with_class(narrow, "narrow"))


def _with_class(mathml: str, name: str) -> str:
    return mathml.replace("<math ", f'<math class="{name}" ', 1)


def html_table(headers, rows, align: str, caption: str = "") -> Markup:
    """A <table>, every cell escaped unless it is Markup; ``align``: one letter per column, l or r."""
    style = {"l": "text-align:left", "r": "text-align:right"}
    head = Markup("").join(Markup('<th style="%s">%s</th>') % (style[a], h) for h, a in zip(headers, align))
    body = Markup("").join(
        Markup("<tr>%s</tr>") % Markup("").join(Markup('<td style="%s">%s</td>') % (style[a], c)
                                               for c, a in zip(row, align)) for row in rows)
    cap = Markup("<caption>%s</caption>") % caption if caption else Markup("")
    return Markup('<table class="dlderive">%s<thead><tr>%s</tr></thead><tbody>%s</tbody></table>') % (cap, head, body)


@render_html_fragment.register
def _(table: Table, notation: Notation = DEFAULT, page: bool = False) -> Markup:
    """A torchinfo-style table: layer, output shape, parameters, MACs, and the totals."""
    caption = f"{table.network.name}: input {shape_text(table.input)}"
    return html_table(TABLE_HEADERS, table_rows(table), "rllrr", caption)


def relation_mathml(latex: str) -> Markup:
    """A relation as written, as inline MathML if it converts cleanly, else as code."""
    try:
        return Markup(to_mathml(check_math(latex), display=False))
    except DlderiveError:
        return Markup("<code>%s</code>") % latex


@render_html_fragment.register
def _(report: FileReport, notation: Notation = DEFAULT, page: bool = False) -> Markup:
    """The verdicts as a table of ✓ ✗ ? with the relations rendered as math."""
    rows = [(MARKS[verdict(r)], r.line, relation_mathml(r.latex), r.reason) for r in report.relations]
    s = report.summary
    caption = f"{report.file}: {s['valid']} valid, {s['invalid']} invalid, {s['unverifiable']} unverifiable"
    if report.error:
        caption += f" (cannot read: {report.error})"
    return html_table(("", "line", "relation", "reason"), rows, "rrll", caption)
