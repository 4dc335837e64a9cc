"""`dlderive check FILE|DIR|-...`: verdicts on hand-written derivations, each file's shown as it finishes."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..check.limits import DEFAULT_TIMEOUT, MAX_FILE_BYTES, jobs_option, seconds_option
from ..errors import DlderiveError
from . import FORMATS, examples, unknown
from .progress import progress

SUFFIXES = (".md", ".tex", ".txt", ".markdown")
"""The files a directory given to ``check`` contributes (recursively, sorted)."""
MAX_FILES = 10_000
STDIN = "-"
STDIN_NAME = "<stdin>"
COLORS = ("auto", "always", "never")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "check", help="verify a hand-written derivation line by line, with counterexamples",
        description="Verify hand-written derivations (Markdown, LaTeX or text) relation by relation: valid,\n"
                    "invalid with a counterexample, or unverifiable with the reason. Each file's result is\n"
                    "shown as soon as it is done; a totals row ends the text output.\n"
                    "Exit status: 0 nothing invalid, 1 some relation invalid, 2 some file could not be read.",
        epilog=examples("dlderive check homework.md", "dlderive check submissions/ --model lstm --jobs 2 --quiet",
                        "cat answer.tex | dlderive check -", "dlderive check homework.md --format json"))
    p.add_argument("files", nargs="+", metavar="FILE",
                   help=f"a file, a directory (its {', '.join(f'*{s}' for s in SUFFIXES)} files, recursively), "
                        "or - for standard input")
    p.add_argument("--model", metavar="CELL", help="put a model's equations in scope, e.g. lstm, gru, rnn, peephole, or a declared cell's TOML file")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help=f"{', '.join(FORMATS)} (default text; the other formats are one document at the end)")
    p.add_argument("--jobs", type=jobs_option, default=1, help="worker processes (default 1)")
    p.add_argument("--timeout", type=seconds_option, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"CPU seconds per relation before it is unverifiable (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--quiet", "-q", action="store_true", help="show only invalid relations and errors, then the totals")
    p.add_argument("--color", choices=COLORS, default="auto",
                   help="colour the marks ✓ ✗ ?: auto (on a terminal, unless NO_COLOR is set), always or never")
    p.set_defaults(run=run)


def run(args) -> int:
    """Exit status: 0 nothing invalid, 1 some relation invalid, 2 some file could not be read."""
    from ..check.batch import validated_jobs
    from ..check.timing import validated
    from ..export import render
    from ..export.text import report_text, summary_table, totals_line

    validated_jobs(args.jobs, "--jobs")
    validated(args.timeout, "--timeout")
    model = _model(args.model)
    items, problems = inputs(args.files)
    color = use_color(args.color, sys.stdout)
    text = args.format == "text"
    reports = [None] * len(items)
    with progress(len(items), "checking", args.quiet) as advance:
        for index, report in iter_reports(items, model, args.timeout, args.jobs):
            reports[index] = report
            shown = report_text(report, color, args.quiet) if text and (report.relations or not report.error) else ""
            if shown:  # an unread file is its error line alone; --quiet leaves out a file without invalid steps
                print(shown + "\n", flush=True)
            if report.error:
                print(f"dlderive: error: {report.error}", file=sys.stderr, flush=True)
            advance()
    for problem in problems:
        print(f"dlderive: error: {problem.error}", file=sys.stderr)
    reports += problems
    if text:
        print(summary_table(reports) if len(reports) > 1 and not args.quiet else totals_line(reports))
    else:
        print(render(reports[0] if len(reports) == 1 and args.format == "json" else reports, args.format))
    return status(reports)


def status(reports) -> int:
    if any(r.error for r in reports):
        return 2
    return 1 if any(r.summary["invalid"] for r in reports) else 0


def _model(name: str | None) -> str | None:
    """A model name the checker knows (validated after parsing: the cells are a registry of the engine)."""
    from ..catalog import model_named
    from ..cells import CELLS
    if name is not None and name not in CELLS and not name.endswith(".toml"):
        raise DlderiveError(f"--model: {unknown('model', name, sorted(CELLS)).message}")
    return model_named(name)


def inputs(paths: list[str]):
    """The paths to check, directories expanded, and ``(name, text)`` for ``-`` (standard input); and the
    reports of what cannot be checked at all (an empty directory)."""
    from ..check import FileReport
    items, problems = [], []
    for path in paths:
        if path == STDIN:
            if any(isinstance(item, tuple) for item in items):
                raise DlderiveError("-: standard input can be read only once")
            items.append((STDIN_NAME, _stdin()))
        elif os.path.isdir(path):
            found = documents(path)
            if not found:
                problems.append(FileReport(path, (), f"{path}: a directory with no {', '.join(SUFFIXES)} files"))
            items.extend(found)
        else:
            items.append(path)
        if len(items) > MAX_FILES:
            raise DlderiveError(f"{path}: more than {MAX_FILES} files to check; check fewer at a time")
    return items, problems


def documents(folder: str) -> list[str]:
    """The documents under ``folder``, sorted, hidden files and folders skipped, links to folders not followed."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        out.extend(os.path.join(root, f) for f in files if not f.startswith(".") and f.lower().endswith(SUFFIXES))
        if len(out) > MAX_FILES:
            break
    return sorted(out, key=lambda p: Path(p).parts)


def _stdin() -> str:
    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise DlderiveError(f"-: standard input is larger than the limit of {MAX_FILE_BYTES / 1e6:.0f} MB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DlderiveError(f"-: standard input is not valid UTF-8 (byte {exc.start})") from None


def use_color(mode: str, stream) -> bool:
    """``--color``: always, never, or auto (a terminal, and NO_COLOR unset or empty, and TERM not dumb)."""
    if mode != "auto":
        return mode == "always"
    tty = getattr(stream, "isatty", lambda: False)()
    return tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def iter_reports(items, model=None, timeout=DEFAULT_TIMEOUT, jobs=1):
    """``(index, report)`` as each item (a path, or a ``(name, text)`` pair) is done."""
    from ..check.batch import iter_reports as batch
    return batch(items, model, timeout, jobs)
