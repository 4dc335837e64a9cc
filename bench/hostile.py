"""Hostile-input run of the checker: generated nasty documents (tests/hostile.py) and hypothesis draws,
checked by the supervised batch runner one file at a time, each file timed.

Counts hangs (a file that used more than its budget + 1 s of its worker's CPU time, the batch runner's own
rule; the wall-clock time, which a busy machine inflates, is reported beside it), relations stopped by force
(work the CPU timer could not interrupt), foreign exceptions (reasons or errors naming a Python exception type),
internal errors and tracebacks (on the workers' standard error, and from the command line on a sample),
and writes its section of bench/RESULTS.md (bench/results/hostile.md, gathered by run_all.py).

    python bench/hostile.py --count 9000 [--hypothesis 1000] [--seed 1] [--shards 2] [--no-results]

The documents are split between ``--shards`` processes (each checks its share one file at a time).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, given, settings  # noqa: E402

import hostile  # noqa: E402
from dlderive.check.batch import GRACE, READ_SECONDS, READ_SECONDS_PER_MB, iter_timed  # noqa: E402
from dlderive.check.limits import DEFAULT_TIMEOUT  # noqa: E402

FOREIGN = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Exit|Interrupt)\b|Traceback|internal error")
STOPPED = "stopped by force"
CLI = "import sys; from dlderive.cli import main; sys.exit(main(sys.argv[1:]))"


def hypothesis_documents(count: int) -> list[str]:
    out = []

    @settings(max_examples=count, database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(hostile.documents)
    def draw(text):
        out.append(text)

    draw()
    return out


def run(texts: list[str], timeout: float) -> dict:
    """Check every text one at a time; timings, budgets and findings."""
    found = {"hangs": [], "late": [], "stopped": [], "foreign": [], "errors": Counter(), "slowest": [],
             "walls": [], "cpus": []}
    for index, report, timing in iter_timed([(f"hostile-{i}", t) for i, t in enumerate(texts)], timeout=timeout):
        found["walls"].append(timing.wall)
        found["cpus"].append(timing.cpu)
        if len(found["walls"]) % 1000 == 0:
            print(f"{len(found['walls'])} files, {len(found['stopped'])} stopped, {len(found['foreign'])} foreign",
                  flush=True)
        text = texts[index]
        sample = text[:120].encode("unicode_escape").decode()
        row = (round(timing.cpu, 2), round(timing.wall, 2), round(timing.budget, 1), len(text), sample)
        if timing.cpu > timing.budget + 1:
            found["hangs"].append(row)
        if timing.wall > timing.budget + 1:
            found["late"].append(row)
        found["slowest"] = sorted(found["slowest"] + [row], reverse=True)[:5]
        reasons = [r.reason for r in report.relations] + ([report.error] if report.error else [])
        if any(STOPPED in r for r in reasons):
            found["stopped"].append(sample)
        foreign = [r for r in reasons if FOREIGN.search(r)]
        if foreign:
            found["foreign"].append((foreign[0][:160], sample))
        if report.error:
            found["errors"][re.sub(r"^hostile-\d+: ", "", report.error)[:60]] += 1
    return found


def shard(texts: list[str]) -> dict:
    """Findings of one share of the documents, with the tracebacks its workers wrote on standard error."""
    with tempfile.TemporaryFile("w+") as err:
        saved = os.dup(2)
        os.dup2(err.fileno(), 2)
        try:
            found = run(texts, DEFAULT_TIMEOUT)
        finally:
            os.dup2(saved, 2)
        err.seek(0)
        found["tracebacks"] = err.read().count("Traceback")
    return found


def merged(parts: list[dict]) -> dict:
    out = {"hangs": [], "late": [], "stopped": [], "foreign": [], "errors": Counter(), "walls": [], "cpus": [],
           "slowest": [], "tracebacks": 0}
    for part in parts:
        for key in ("hangs", "late", "stopped", "foreign", "walls", "cpus", "slowest"):
            out[key] += part[key]
        out["errors"].update(part["errors"])
        out["tracebacks"] += part["tracebacks"]
    out["slowest"] = sorted(map(tuple, out["slowest"]), reverse=True)[:5]
    for key in ("walls", "cpus"):
        values = sorted(out[key])
        out[key] = (values[len(values) // 2], values[int(len(values) * 0.99)], values[-1])
    return out


def command_line(texts: list[str]) -> tuple[Counter, int]:
    """`dlderive check` on a folder of the texts: exit statuses, and tracebacks on standard error."""
    with tempfile.TemporaryDirectory() as folder:
        for i, t in enumerate(texts):
            Path(folder, f"h{i:05d}.md").write_text(t, encoding="utf-8")
        files = sorted(str(p) for p in Path(folder).iterdir())
        done = subprocess.run([sys.executable, "-c", CLI, "check", *files, "--jobs", "2", "--format", "json"],
                              capture_output=True, text=True, timeout=3600, env={**os.environ, "NO_COLOR": "1"})
    return Counter({done.returncode: 1}), done.stderr.count("Traceback")


READ_RULE = (f"{READ_SECONDS:g} s + {READ_SECONDS_PER_MB:g} s per MB to read it, then 1.5 x the time limit + {GRACE:g} s "
             "for each relation")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000, help="generated documents (default 10000)")
    ap.add_argument("--hypothesis", type=int, default=1000, help="hypothesis draws on top (default 1000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cli", type=int, default=300, help="documents also checked through the command line")
    ap.add_argument("--no-results", action="store_true", help="do not write its section of bench/RESULTS.md")
    ap.add_argument("--shards", type=int, default=2, help="processes sharing the documents (default 2)")
    ap.add_argument("--shard", help=argparse.SUPPRESS)  # I/N: check every N-th document from the I-th, print JSON
    args = ap.parse_args()

    texts = hostile.documents_for(args.seed, args.count) + hypothesis_documents(args.hypothesis)
    if args.shard:
        i, n = map(int, args.shard.split("/"))
        print(json.dumps(shard(texts[i::n])))
        return 0
    start = time.monotonic()
    base = [sys.executable, __file__, "--count", str(args.count), "--hypothesis", str(args.hypothesis),
            "--seed", str(args.seed)]
    children = [subprocess.Popen(base + ["--shard", f"{i}/{args.shards}"], stdout=subprocess.PIPE, text=True)
                for i in range(args.shards)]
    found = merged([json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children])
    elapsed = time.monotonic() - start
    worker_tracebacks = found["tracebacks"]
    statuses, cli_tracebacks = command_line(texts[: args.cli])
    (cpu50, cpu99, cpu_max), (wall50, wall99, wall_max) = found["cpus"], found["walls"]
    lines = [
        f"## Hostile input (bench/hostile.py, seed {args.seed})",
        "",
        f"{len(texts)} documents ({args.count} generated, {args.hypothesis} hypothesis draws), checked one at a time "
        f"in {args.shards} processes through the supervised batch runner at the default {DEFAULT_TIMEOUT:g} s per "
        f"relation, in {elapsed:.0f} s on a machine shared with other work (load average {os.getloadavg()[0]:.1f} "
        f"at the end). A file's budget is the batch runner's: {READ_RULE}, in its worker's CPU time. CPU time per "
        f"file: median {cpu50:.2f} s, 99th percentile {cpu99:.2f} s, most {cpu_max:.2f} s; wall-clock time: median "
        f"{wall50:.2f} s, 99th percentile {wall99:.2f} s, most {wall_max:.2f} s.",
        "",
        "| finding | count |",
        "|---|---|",
        f"| hangs (more than the file's budget + 1 s of CPU time) | {len(found['hangs'])} |",
        f"| answered later than the budget + 1 s in wall-clock time (a busy machine) | {len(found['late'])} |",
        f"| relations stopped by force (work the CPU timer could not interrupt) | {len(found['stopped'])} |",
        f"| foreign exceptions (a Python exception type in a reason or error) | {len(found['foreign'])} |",
        f"| tracebacks (workers' standard error) | {worker_tracebacks} |",
        f"| tracebacks (`dlderive check` on {args.cli} of them, exit status {dict(statuses)}) | {cli_tracebacks} |",
        f"| files with an error (not read) | {sum(found['errors'].values())} |",
        "",
        "Slowest files (CPU s, wall s, budget s, bytes, start of the text):",
        "",
    ]
    for cpu, wall, budget, size, sample in found["slowest"]:
        lines.append(f"- {cpu:.2f} / {wall:.2f} / {budget:.1f} / {size}: `{sample[:80]}`")
    lines.append("")
    for key in ("hangs", "stopped", "foreign"):
        for item in found[key][:5]:
            lines.append(f"- {key}: `{item}`")
    for error, n in found["errors"].most_common(5):
        lines.append(f"- error ({n}): {error}")
    report = "\n".join(lines).rstrip() + "\n"
    print(report)
    if not args.no_results:  # its section of RESULTS.md, gathered with the others by run_all.py --gather
        (ROOT / "bench" / "results" / "hostile.md").write_text(report, encoding="utf-8")
        subprocess.run([sys.executable, str(ROOT / "bench" / "run_all.py"), "--gather"], check=True)
    bad = len(found["hangs"]) + len(found["foreign"]) + worker_tracebacks + cli_tracebacks
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
