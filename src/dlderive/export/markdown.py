"""Markdown renderer: derivations as ``$$`` blocks that GitHub and Jupyter render; tables as pipe tables."""
from __future__ import annotations

from functools import singledispatch

from ..notation import DEFAULT, Notation
from ..steps import Derivation
from .latex import render_latex
from .markup import escape_markdown_text
from .results import MARKS, FileReport, Table, derivations_of, register_sequences, verdict
from .text import TABLE_HEADERS, shape_text, summary, table_rows


@singledispatch
def render_markdown(obj, notation: Notation = DEFAULT) -> str:
    """``obj`` as Markdown: its derivations, then its summary lines."""
    blocks = [render_markdown(d, notation) for d in derivations_of(obj)]
    return "\n\n".join(blocks + [escape_markdown_text(line) for line in summary(obj, grouped=True)])


register_sequences(render_markdown, "\n\n".join)


@render_markdown.register
def _(d: Derivation, notation: Notation = DEFAULT) -> str:
    return "$$\n" + render_latex(d, notation) + "\n$$"


def pipe_table(headers, rows, align: str) -> str:
    """A Markdown pipe table; ``align`` has one letter per column, l or r."""
    rule = ["---:" if a == "r" else ":---" for a in align]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [headers, rule, *rows])


@render_markdown.register
def _(table: Table, notation: Notation = DEFAULT) -> str:
    rows = [[escape_markdown_text(c) for c in row] for row in table_rows(table)]
    title = escape_markdown_text(f"{table.network.name}: input {shape_text(table.input)}")
    return f"**{title}**\n\n" + pipe_table(TABLE_HEADERS, rows, "rllrr")


@render_markdown.register
def _(report: FileReport, notation: Notation = DEFAULT) -> str:
    rows = [[MARKS[verdict(r)], str(r.line), "`" + " ".join(r.latex.split()).replace("`", "'") + "`",
             escape_markdown_text(r.reason)] for r in report.relations]
    head = f"**{escape_markdown_text(report.file)}**"
    if report.error:
        head += f"\n\ncannot read: {escape_markdown_text(report.error)}"
    return head + "\n\n" + pipe_table(("", "line", "relation", "reason"), rows, "rrll")
