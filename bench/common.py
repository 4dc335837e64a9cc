"""Shared helpers for the benchmarks: medians of fresh-process timings and the results file."""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def run_python(code: str, timeout: float = 600) -> str:
    """Run ``code`` in a fresh interpreter and return its stdout."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=True)
    return out.stdout


def best(fn, repeat: int = 5) -> float:
    """Best wall time of ``fn()`` over ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def wall(argv: list[str], repeat: int = 5) -> float:
    """Median wall time of a command, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def write_section(name: str, markdown: str) -> Path:
    """Write one benchmark's section; bench/run_all.py gathers the sections into RESULTS.md."""
    path = HERE / "results" / f"{name}.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(markdown.rstrip() + "\n")
    return path
