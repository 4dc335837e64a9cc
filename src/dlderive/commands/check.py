"""`dlderive check FILE...`: verdicts on hand-written derivations, as text or JSON."""
from __future__ import annotations

import multiprocessing
import resource
import sys
from concurrent.futures import ProcessPoolExecutor

from ..cells import CELLS
from ..check import FileReport, check_file
from ..check.limits import DEFAULT_TIMEOUT
from ..check.timing import validated
from ..errors import DlderiveError
from ..export import FORMATS, render
from ..reader import parser

MEMORY_LIMIT = 3 * 2**30  # bytes of address space per worker process


def register(subparsers) -> None:
    p = subparsers.add_parser("check", help="verify a hand-written derivation line by line, with counterexamples")
    p.add_argument("files", nargs="+", metavar="FILE", help="Markdown, LaTeX or text files")
    p.add_argument("--model", choices=sorted(CELLS), help="put a model's equations in scope (e.g. lstm)")
    p.add_argument("--format", choices=tuple(FORMATS), default="text")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"CPU seconds per relation before it is unverifiable (default {DEFAULT_TIMEOUT:g})")
    p.set_defaults(run=run)


def run(args) -> int:
    """Exit status: 0 nothing invalid, 1 some relation invalid, 2 some file could not be read."""
    if args.jobs < 1:
        raise DlderiveError("--jobs must be at least 1")
    validated(args.timeout)
    reports = check_files(args.files, args.model, args.timeout, args.jobs, progress=sys.stderr.isatty())
    print(render(reports[0] if len(reports) == 1 and args.format == "json" else reports, args.format,
                 color=sys.stdout.isatty()))
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
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > MEMORY_LIMIT:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, hard))
    except (ValueError, OSError):
        pass


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // total
    print(f"\r[{'#' * filled}{' ' * (width - filled)}] {done}/{total}", end="", file=sys.stderr, flush=True)
