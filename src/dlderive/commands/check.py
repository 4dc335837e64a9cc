"""`dlderive check FILE...`: verdicts on hand-written derivations, as text or JSON."""
from __future__ import annotations

import json
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from ..cells import CELLS
from ..check.limits import DEFAULT_TIMEOUT  # light: the checker and the reader are imported where they are used
from ..errors import DlderiveError

if TYPE_CHECKING:
    from ..check import FileReport

MEMORY_LIMIT = 3 * 2**30  # bytes of address space per worker process
MARKS = {"valid": "✓", "invalid": "✗", "unverifiable": "?"}


def register(subparsers) -> None:
    p = subparsers.add_parser("check", help="verify a hand-written derivation line by line, with counterexamples")
    p.add_argument("files", nargs="+", metavar="FILE", help="Markdown, LaTeX or text files")
    p.add_argument("--model", choices=sorted(CELLS), help="put a model's equations in scope (e.g. lstm)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"CPU seconds per relation before it is unverifiable (default {DEFAULT_TIMEOUT:g})")
    p.set_defaults(run=run)


def run(args) -> int:
    """Exit status: 0 nothing invalid, 1 some relation invalid, 2 some file could not be read."""
    if args.jobs < 1:
        raise DlderiveError("--jobs must be at least 1")
    if args.timeout <= 0:
        raise DlderiveError("--timeout must be positive")
    reports = check_files(args.files, args.model, args.timeout, args.jobs, progress=sys.stderr.isatty())
    if args.format == "json":
        data = [r.to_json() for r in reports]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False))
    else:
        color = sys.stdout.isatty()
        for r in reports:
            print(render_text(r, color))
        if len(reports) > 1:
            print(summary_table(reports))
    for r in reports:
        if r.error:
            print(f"dlderive: error: {r.error}", file=sys.stderr)
    return status(reports)


def status(reports: list[FileReport]) -> int:
    if any(r.error for r in reports):
        return 2
    return 1 if any(r.summary["invalid"] for r in reports) else 0


def check_files(files, model=None, timeout=DEFAULT_TIMEOUT, jobs=1, progress=False) -> list[FileReport]:
    """Reports in the order of ``files``, checked by ``jobs`` worker processes with bounded memory."""
    from ..check import FileReport, check_file
    from ..reader import parser

    context = multiprocessing.get_context("fork")
    parser()  # built once here, inherited by the workers
    out = []
    with ProcessPoolExecutor(max_workers=min(jobs, len(files)), mp_context=context,
                             initializer=_limit_memory) as pool:
        futures = [pool.submit(check_file, f, model, timeout) for f in files]
        for i, (name, future) in enumerate(zip(files, futures), 1):
            try:
                out.append(future.result())
            except Exception as exc:  # a worker that died (memory limit, signal): that file is unread
                out.append(FileReport(str(name), (), f"{name}: the checker's worker process failed ({type(exc).__name__})"))
            if progress and len(files) > 1:
                _progress(i, len(files))
    if progress and len(files) > 1:
        print(file=sys.stderr)
    return out


def _limit_memory() -> None:
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > MEMORY_LIMIT:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, hard))
    except (ImportError, ValueError, OSError):
        pass


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // total
    print(f"\r[{'#' * filled}{' ' * (width - filled)}] {done}/{total}", end="", file=sys.stderr, flush=True)


def render_text(report: FileReport, color: bool = False) -> str:
    """One line per relation (mark, line, LaTeX), its reason below; the first wrong step of a chain marked."""
    lines = [report.file]
    if report.error:
        lines.append(f"  cannot read: {report.error}")
    flagged = set()
    for r in report.relations:
        mark = MARKS[r.verdict]
        first = r.verdict == "invalid" and r.chain not in flagged
        if first:
            flagged.add(r.chain)
        head = f"{mark} {r.line:>4}  {_clip(r.latex)}"
        if color and r.verdict == "invalid":
            head = f"\x1b[1;31m{head}\x1b[0m"
        lines.append(head)
        lines.append(f"        {r.reason}")
        if r.counterexample:
            lines.append(f"        counterexample: {_counterexample(r.counterexample)}")
        if first:
            lines.append("        ^ first wrong step of this chain")
    s = report.summary
    lines.append(f"{s['valid']} valid, {s['invalid']} invalid, {s['unverifiable']} unverifiable")
    return "\n".join(lines)


def _counterexample(cx: dict) -> str:
    values = ", ".join(f"{k} = {v}" for k, v in cx.get("values", {}).items())
    sides = f"left side {cx['lhs']}, right side {cx['rhs']}" if cx.get("lhs") else ""
    return "; ".join(p for p in (values, sides) if p)


def summary_table(reports: list[FileReport]) -> str:
    width = max(len("file"), *(len(r.file) for r in reports))
    rows = [f"{'file':<{width}}  {'valid':>5}  {'invalid':>7}  {'unverifiable':>12}"]
    for r in reports:
        s = r.summary
        note = "  (cannot read)" if r.error else ""
        rows.append(f"{r.file:<{width}}  {s['valid']:>5}  {s['invalid']:>7}  {s['unverifiable']:>12}{note}")
    return "\n".join(rows)


def _clip(text: str, n: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"
