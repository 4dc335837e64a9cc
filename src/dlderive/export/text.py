"""Plain-text renderer: one Unicode line per step, ``lhs = rhs    [rule]``; results with their answers."""
from __future__ import annotations

from functools import singledispatch

import sympy as sp

from ..notation import DEFAULT, Notation
from ..steps import Derivation
from .latex import uses_total_derivative
from .printer import relation_between
from .results import (MARKS, Combined, ConvResult, Counts, FileReport, SolveResult, Table, ValidInputs,
                      derivations_of, total, verdict)
from .textprinter import RELATION_TEXT, TextPrinter, text_expr, unicode_name

__all__ = ["render_text", "text_expr", "unicode_name", "TextPrinter", "RELATION_TEXT"]


@singledispatch
def render_text(obj, notation: Notation = DEFAULT, color: bool = False) -> str:
    """``obj`` as plain text: its derivations, then its summary lines (``color``: ANSI marks for a terminal)."""
    return render_text(Combined((obj,)), notation, color)


@render_text.register(list)
@render_text.register(tuple)
def _(items, notation: Notation = DEFAULT, color: bool = False) -> str:
    if items and all(isinstance(o, FileReport) for o in items):
        text = "\n".join(render_text(r, notation, color) for r in items)
        return text + ("\n" + summary_table(items) if len(items) > 1 else "")
    return render_text(Combined(tuple(items)), notation, color)


@render_text.register
def _(c: Combined, notation: Notation = DEFAULT, color: bool = False) -> str:
    bodies = [b for part in c.parts if (b := body(part, notation))]
    lines = [line for part in c.parts for line in summary(part)]
    return "\n".join(["\n\n".join(bodies), *lines]) if lines else "\n\n".join(bodies)


@singledispatch
def body(obj, notation: Notation = DEFAULT) -> str:
    """The main text of a result: its derivations."""
    return "\n\n".join(render_text(d, notation) for d in derivations_of(obj))


@singledispatch
def summary(obj, grouped: bool = False) -> list[str]:
    """The lines that follow a result's derivations: its answer in brief (``grouped``: integers grouped by
    thousands, 2,508,800, as the documents that group them in their math print them)."""
    return []


def _grouped_if(value, grouped: bool) -> str:
    return _count(value) if grouped and isinstance(value, int) else str(value)


@summary.register
def _(r: ConvResult, grouped: bool = False) -> list[str]:
    lines = [f"output: {' x '.join(map(str, r.output))}"]
    if any(left != right for left, right in r.padding):
        lines.append("padding (left, right): " + ", ".join(f"({left}, {right})" for left, right in r.padding))
    return lines


@summary.register
def _(c: Counts, grouped: bool = False) -> list[str]:
    p, n = c.params, (lambda value: _grouped_if(value, grouped))
    return [f"params: weights {n(p['weights'])}, bias {n(p['bias'])}, total {n(p['total'])}",
            f"multiplications {n(c.multiplications)}, additions {n(c.additions)}, MACs {n(c.macs)}, "
            f"FLOPs {n(c.flops)}",
            "tools: " + ", ".join(f"{name} {n(value)}" for name, value in c.tools.items())]


@summary.register
def _(r: SolveResult, grouped: bool = False) -> list[str]:
    return [f"no solution: {r.reason}" if r.reason else f"{r.unknown}: {sp.sstr(r.solutions, order='none')}"]


@body.register
def _(v: ValidInputs, notation: Notation = DEFAULT) -> str:
    return ""  # its derivation is shown with the table's steps


@summary.register
def _(v: ValidInputs, grouped: bool = False) -> list[str]:
    return ["valid inputs: " + describe_valid(v)]


def describe_valid(valid: ValidInputs) -> str:
    """``32 <= D <= 35``, ``(16 <= H <= 19, ...) or (...)``, or ``none (why)``."""
    if valid.empty:
        return "none (" + valid.derivation.title + ")"
    parts = []
    for box in valid.boxes:
        parts.append(", ".join(f"{n} >= {lo}" if hi is None else (f"{n} = {lo}" if lo == hi else f"{lo} <= {n} <= {hi}")
                               for n, (lo, hi) in box.items()))
    return " or ".join(f"({p})" if len(valid.boxes) > 1 else p for p in parts)


TABLE_HEADERS = ("#", "layer", "output", "params", "MACs")


def _cell(v) -> str:
    return str(v) if isinstance(v, int) else sp.sstr(v)


def shape_text(shape) -> str:
    """``6 x 28 x 28``; formulas in parentheses: ``6 x (D - 4) x (D - 4)``."""
    cells = [_cell(v) for v in shape]
    if len(cells) == 1:
        return cells[0]
    return " x ".join(c if isinstance(v, int) or getattr(v, "is_Atom", False) else f"({c})" for c, v in zip(cells, shape))


def _count(v) -> str:
    """A count as text: an integer grouped by thousands (2,508,800), else its formula."""
    return f"{int(v):,}" if isinstance(v, int) or getattr(v, "is_Integer", False) else _cell(v)


def table_rows(table: Table) -> list[tuple[str, ...]]:
    """The rows of a layer table as text cells, the totals last."""
    rows = [(str(r.index), r.type, shape_text(r.shape), _count(r.params), _count(r.macs)) for r in table.rows]
    return rows + [("", "total", "", _count(total(table.params)), _count(total(table.macs)))]


@body.register
def _(table: Table, notation: Notation = DEFAULT) -> str:
    rows = [TABLE_HEADERS, *table_rows(table)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_HEADERS))]

    def line(cells):
        return "  ".join(c.rjust(w) if i in (0, 3, 4) else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([f"{table.network.name}: input {shape_text(table.input)}", *map(line, rows)])


@body.register
def _(report: FileReport, notation: Notation = DEFAULT) -> str:
    return report_text(report)


@render_text.register
def _(report: FileReport, notation: Notation = DEFAULT, color: bool = False) -> str:
    return report_text(report, color)


COLORS = {"valid": "32", "invalid": "1;31", "unverifiable": "33"}
"""ANSI colours of the marks on a terminal: ✓ green, ✗ bold red (its whole line), ? yellow."""


def report_text(report: FileReport, color: bool = False, quiet: bool = False) -> str:
    """One line per relation (mark, line, LaTeX), its reason below; the first wrong step of a chain marked.

    ``quiet``: only the invalid relations and the counts, and nothing for a file without any."""
    if quiet and not report.error and not report.summary["invalid"]:
        return ""
    lines = [report.file]
    if report.error:
        lines.append(f"  cannot read: {report.error}")
    flagged = set()
    for r in report.relations:
        word = verdict(r)
        first = word == "invalid" and r.chain not in flagged
        if first:
            flagged.add(r.chain)
        if quiet and word != "invalid":
            continue
        mark = f"\x1b[{COLORS[word]}m{MARKS[word]}\x1b[0m" if color else MARKS[word]
        head = f"{mark} {r.line:>4}  {clip(r.latex)}"
        if color and word == "invalid":
            head = f"{mark}\x1b[{COLORS[word]}m {r.line:>4}  {clip(r.latex)}\x1b[0m"
        lines.append(head)
        lines.append(f"        {r.reason}")
        if r.counterexample:
            lines.append(f"        counterexample: {counterexample_text(r.counterexample)}")
        if first:
            lines.append("        ^ first wrong step of this chain")
    if not quiet:
        for note in report.notes:
            lines.append(f"note: {note}")
        if report.glossary:
            lines.append("names read: " + "; ".join(f"{k}: {v}" for k, v in report.glossary.items()))
    s = report.summary
    lines.append(f"{plural(s['relations'], 'relation')}: {s['valid']} valid, {s['invalid']} invalid, "
                 f"{s['unverifiable']} unverifiable")
    return "\n".join(lines)


def plural(n: int, noun: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{n} {noun}{'s' * (n != 1)}"


def counterexample_text(cx: dict) -> str:
    values = ", ".join(f"{k} = {v}" for k, v in cx.get("values", {}).items())
    sides = f"left side {cx['lhs']}, right side {cx['rhs']}" if cx.get("lhs") else ""
    return "; ".join(p for p in (values, sides) if p)


VERDICTS = ("valid", "invalid", "unverifiable")


def totals(reports) -> dict:
    """The counts of every report added up: files, unreadable, relations and each verdict."""
    out = {"files": len(reports), "unreadable": sum(1 for r in reports if r.error), "relations": 0,
           **dict.fromkeys(VERDICTS, 0)}
    for r in reports:
        for key in ("relations", *VERDICTS):
            out[key] += r.summary[key]
    return out


def _files(t: dict) -> str:
    files = plural(t["files"], "file")
    return files + (f" ({t['unreadable']} cannot be read)" if t["unreadable"] else "")


def totals_line(reports) -> str:
    """``total: 3 files, 12 relations: 9 valid, 2 invalid, 1 unverifiable``."""
    t = totals(reports)
    return (f"total: {_files(t)}, {plural(t['relations'], 'relation')}: {t['valid']} valid, {t['invalid']} invalid, "
            f"{t['unverifiable']} unverifiable")


def summary_table(reports) -> str:
    """Counts of verdicts per file, and a totals row."""
    t = totals(reports)
    rows = [(r.file, *(str(r.summary[k]) for k in (*VERDICTS, "relations")), "(cannot read)" if r.error else "")
            for r in reports]
    rows.append((f"total: {_files(t)}", *(str(t[k]) for k in (*VERDICTS, "relations")), ""))
    head = ("file", *VERDICTS, "relations", "")
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]

    def line(cells):
        return "  ".join(c.ljust(w) if i in (0, 5) else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join(map(line, [head, *rows]))


def clip(text: str, n: int = 100) -> str:
    """``text`` on one line, at most ``n`` characters and an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


@render_text.register
def _(d: Derivation, notation: Notation = DEFAULT, color: bool = False) -> str:
    total = uses_total_derivative(d)

    def ex(e):
        return text_expr(e, notation, d.form, total=total)

    lines = [d.title] if d.title else []
    previous = None
    for step in d.steps:
        lhs = "   " if previous is not None and step.lhs == previous else ex(step.lhs)
        rel = RELATION_TEXT[relation_between(step.lhs, step.rhs)]
        lines.append(f"{lhs} {rel} {ex(step.rhs)}    [{step.rule}]")
        previous = step.rhs
    if d.result is None and not is_chain(d):
        return "\n".join(lines)
    final = d.final
    rel = RELATION_TEXT[relation_between(final.lhs, final.rhs)]
    lines.append(f"Result: {ex(final.lhs)} {rel} {ex(final.rhs)}")
    return "\n".join(lines)


def is_chain(d: Derivation) -> bool:
    """True if every step continues the previous one, so that first lhs = last rhs is the result."""
    return all(b.lhs == a.rhs for a, b in zip(d.steps, d.steps[1:]))

