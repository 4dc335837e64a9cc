"""Benchmark of `dlderive serve`: warm latency of POST /api/check (median, p95) for a one-line relation
and for the week-8 sample, requests per second with two workers, beside the cold `dlderive check` of
the same text in the same run.

Run: python bench/bench_serve.py [--repeat N]; writes bench/results/serve.md (gathered into RESULTS.md
by run_all.py).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import write_section

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "samples" / "week8_homework.md"  # ../shared beside the checkout
SHIPPED = ROOT / "src" / "dlderive" / "serve" / "examples" / "lstm_hidden.md"
ONE_LINE = "$$\\frac{d}{dx} x^2 = 2x$$\n"


def start_server() -> tuple[subprocess.Popen, str, int]:
    process = subprocess.Popen([sys.executable, "-m", "dlderive.cli", "serve", "--port", "0", "--workers", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    match = re.search(r"http://(127\.0\.0\.1):(\d+)/", process.stdout.readline())
    if not match:
        process.kill()
        raise SystemExit("dlderive serve did not start")
    return process, match.group(1), int(match.group(2))


def post(host: str, port: int, body: bytes) -> tuple[float, dict]:
    start = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=120)
    connection.request("POST", "/api/check", body, {"Content-Type": "application/json"})
    answer = connection.getresponse()
    data = json.loads(answer.read())
    connection.close()
    if answer.status != 200:
        raise SystemExit(f"POST /api/check answered {answer.status}: {data}")
    return time.perf_counter() - start, data


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cold_check(text: str, model: str | None, repeat: int) -> float:
    """Median wall time of `dlderive check FILE --format json` in a fresh process."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "homework.md"
        path.write_text(text, encoding="utf-8")
        command = [sys.executable, "-m", "dlderive.cli", "check", str(path), "--format", "json"]
        command += ["--model", model] if model else []
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, timeout=600)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=40, help="warm requests per text (default 40)")
    args = parser.parse_args()
    sample, sample_name = (SAMPLE, "the week-8 homework sample") if SAMPLE.exists() else \
        (SHIPPED, "the shipped week-8 example")
    texts = {"one-line relation": (ONE_LINE, None), sample_name: (sample.read_text(encoding="utf-8"), "lstm")}
    load_before = os.getloadavg()[0]
    process, host, port = start_server()
    rows, rate_rows = [], []
    try:
        for label, (text, model) in texts.items():
            body = json.dumps({"text": text, "model": model}).encode("utf-8")
            for _ in range(3):
                post(host, port, body)  # warm-up
            times, relations = [], 0
            for _ in range(args.repeat):
                elapsed, data = post(host, port, body)
                times.append(elapsed)
                relations = data["summary"]["relations"]
            cold = cold_check(text, model, 3)
            median = statistics.median(times)
            rows.append(f"| {label} ({relations} relation{'s' * (relations != 1)}) | {median * 1e3:.0f} ms | "
                        f"{percentile(times, 0.95) * 1e3:.0f} ms | {cold * 1e3:.0f} ms | {cold / median:.1f}x |")
        for label, (text, model) in texts.items():
            body = json.dumps({"text": text, "model": model}).encode("utf-8")
            total = 8 * 12 if label.startswith("one") else 4 * 6
            clients = 8 if label.startswith("one") else 4
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as threads:
                list(threads.map(lambda _: post(host, port, body), range(total)))
            elapsed = time.perf_counter() - start
            rate_rows.append(f"| {label} | {clients} | {total} | {total / elapsed:.1f} |")
    finally:
        process.terminate()
        process.wait(30)
    cpu = os.cpu_count()
    load = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    section = f"""## dlderive serve

POST /api/check on a warm `dlderive serve --workers 2` (a real uvicorn server on this machine:
{platform.python_implementation()} {platform.python_version()}, {cpu} cores shared with other work, {load}),
{args.repeat} requests one after another, beside the cold `dlderive check FILE --format json` of the
same text (median of 3 fresh processes) in the same run. The latency is the whole HTTP round trip:
the check runs in a process forked from a warm worker, supervised as `dlderive check` supervises a
file. Goal: a one-line relation under 150 ms median, the week-8 sample under 1 s.

| text | warm median | warm p95 | cold `dlderive check` | cold / warm |
|---|---|---|---|---|
{chr(10).join(rows)}

Requests per second with two workers, clients posting concurrently:

| text | clients | requests | requests/s |
|---|---|---|---|
{chr(10).join(rate_rows)}
"""
    path = write_section("serve", section)
    print(section)
    print("wrote", path)


if __name__ == "__main__":
    main()
