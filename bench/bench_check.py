"""Benchmark of `dlderive check`: files per second with 1 and 2 worker processes, and the time limit.

Run: python bench/bench_check.py [--copies N]; writes bench/results/check.md (gathered into RESULTS.md by run_all.py).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from dlderive.check import check_file, check_text
from dlderive.check.batch import check_files

ROOT = Path(__file__).resolve().parent.parent
SUITE = sorted((ROOT / "tests" / "handwritten").glob("*.*"))
SAMPLE = ROOT.parent / "shared" / "samples" / "week8_homework.md"  # ../shared beside the checkout
HOSTILE = {
    "9^{9^{9^{9}}}": "$$x = 9^{9^{9^{9}}}$$",
    "10 000 nested brackets": "$$x = " + "(" * 10_000 + "1" + ")" * 10_000 + "$$",
    "5 MB line": "$$x = " + "1+" * 2_500_000 + "1$$",
    "exp(exp(exp(exp(100)))) = 1": "$$\\exp(\\exp(\\exp(\\exp(100)))) = 1$$",
}


def homework_files(directory: Path, copies: int) -> list[Path]:
    """``copies`` copies of each suite file and of the sample (the model is lstm for all)."""
    sources = SUITE + ([SAMPLE] if SAMPLE.exists() else [])
    out = []
    for i in range(copies):
        for src in sources:
            dst = directory / f"{i:03d}_{src.name}"
            shutil.copy(src, dst)
            out.append(dst)
    return out


def copies_of(files: list[Path]) -> int:
    return len(files) // len({f.name.split("_", 1)[1] for f in files})


def files_per_second(files: list[Path], jobs: int, repeats: int = 3) -> tuple[float, float, float, int]:
    """Best of ``repeats`` runs (the machine may be shared): files/s, wall seconds, CPU seconds, relations."""
    best, cpu = float("inf"), 0.0
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        reports = check_files([str(f) for f in files], model="lstm", jobs=jobs)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if seconds < best:
            best, cpu = seconds, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return len(files) / best, best, cpu, sum(len(r.relations) for r in reports)


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_speedup(n: int = 10_000_000) -> float:
    """What 2 processes gain on a pure-Python loop right now: the ceiling for any 2-process speed-up here."""
    start = time.perf_counter()
    _spin(n), _spin(n)
    serial = time.perf_counter() - start
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_spin, [n, n])
    return serial / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=6)
    args = parser.parse_args()
    rows, hostile = [], []
    with tempfile.TemporaryDirectory() as tmp:
        files = homework_files(Path(tmp), args.copies)
        for f in files[: len(files) // copies_of(files)]:
            check_file(f, model="lstm")  # warm the parent's caches: the forked workers inherit them
        ceiling = machine_speedup()
        print(f"machine: 2 processes of a pure-Python loop run {ceiling:.2f}x as fast as one")
        for jobs in (1, 2):
            rate, seconds, cpu, relations = files_per_second(files, jobs)
            rows.append((jobs, len(files), relations, seconds, cpu, rate))
            print(f"jobs={jobs}: {len(files)} files, {relations} relations in {seconds:.2f} s "
                  f"({cpu:.2f} s CPU): {rate:.1f} files/s")
    for name, text in HOSTILE.items():
        start = time.perf_counter()
        report = check_text(text, timeout=2.0)
        seconds = time.perf_counter() - start
        verdict = report.relations[0].verdict if report.relations else "-"
        hostile.append((name, verdict, seconds, report.relations[0].reason if report.relations else ""))
        print(f"{name}: {verdict} in {seconds:.2f} s")
    write(rows, hostile, args.copies, ceiling)


def write(rows, hostile, copies, ceiling) -> None:
    base = rows[0][5]
    lines = [
        "## dlderive check",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Suite: the {len(SUITE)} hand derivations of tests/handwritten and the "
        f"week-8 sample, {copies} copies each, checked with `--model lstm` (worker processes included); best of "
        f"3 runs. Load average while measuring: {os.getloadavg()[0]:.1f} (the machine was shared).",
        "",
        "| processes | files | relations | wall s | CPU s | files/s | speed-up |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {j} | {n} | {r} | {s:.2f} | {c:.2f} | {rate:.1f} | {rate / base:.2f}x |"
              for j, n, r, s, c, rate in rows]
    lines += ["", "CPU s: the workers' user + system time. Equal CPU totals for 1 and 2 processes mean the files split "
              "without overhead; the wall-time speed-up needs an idle machine (compare the load average).",
              "", f"Calibration measured in the same run: 2 processes of a pure-Python loop ran {ceiling:.2f}x as fast "
              "as one on this machine at that time, the ceiling for the speed-up above.",
              "", "Hostile input (time limit 2 s of CPU per relation):", "",
              "| input | verdict | seconds | reason |", "|---|---|---:|---|"]
    lines += [f"| {n} | {v} | {s:.2f} | {reason[:90]} |" for n, v, s, reason in hostile]
    out = ROOT / "bench" / "results" / "check.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
