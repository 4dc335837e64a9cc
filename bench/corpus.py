"""The checker against its development corpus (tests/corpus): accuracy, false alarms, misses, coverage.

Each document's sidecar (NAME.expect.toml) lists every relation with the line of its sign and its truth.
A report's relations are matched to the expected ones line by line, in order within a line.

    python bench/corpus.py [--details] [--write]      # --write: bench/results/corpus.md
"""
from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
sys.path.insert(0, str(ROOT / "src"))

from dlderive.check import check_file  # noqa: E402


@dataclass
class Score:
    expected: int = 0
    right: int = 0
    false_alarms: int = 0  # a true relation judged invalid
    misses: int = 0  # a wrong relation judged valid
    unverifiable: int = 0
    unreported: int = 0  # an expected relation with no line in the report
    extra: int = 0  # a reported relation the sidecar does not list
    wrong_total: int = 0
    wrong_caught: int = 0
    seconds: float = 0.0
    problems: list = field(default_factory=list)

    def add(self, other: "Score") -> None:
        for name in ("expected", "right", "false_alarms", "misses", "unverifiable", "unreported", "extra",
                     "wrong_total", "wrong_caught", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems += other.problems


def documents(folder: Path = CORPUS) -> list[tuple[Path, Path]]:
    out = []
    for expect in sorted(folder.glob("*.expect.toml")):
        stem = expect.name[: -len(".expect.toml")]
        doc = next((p for p in (folder / f"{stem}.md", folder / f"{stem}.tex") if p.exists()), None)
        if doc is not None:
            out.append((doc, expect))
    return out


def expectations(expect: Path) -> tuple[str | None, list[dict]]:
    data = tomllib.loads(expect.read_text(encoding="utf-8"))
    return data.get("model"), list(data.get("relation", []))


def score(doc: Path, expect: Path, timeout: float = 2.0) -> Score:
    model, expected = expectations(expect)
    start = time.process_time()
    report = check_file(doc, model=model, timeout=timeout)
    s = Score(seconds=time.process_time() - start)
    got = defaultdict(list)
    for r in report.relations:
        got[r.line].append(r)
    want = defaultdict(list)
    for e in expected:
        want[int(e["line"])].append(e)
    for line in sorted(set(got) | set(want)):
        g, w = got.get(line, []), want.get(line, [])
        for i, e in enumerate(w):
            s.expected += 1
            truth = e["truth"]
            s.wrong_total += truth == "invalid"
            if i >= len(g):
                s.unreported += 1
                s.problems.append((doc.name, line, "unreported", e.get("text", ""), ""))
                continue
            verdict = str(g[i].verdict)
            if verdict == truth:
                s.right += 1
                s.wrong_caught += truth == "invalid"
            elif verdict == "unverifiable":
                s.unverifiable += 1
                s.problems.append((doc.name, line, "unverifiable", e.get("text", ""), g[i].reason))
            elif truth == "valid":
                s.false_alarms += 1
                s.problems.append((doc.name, line, "FALSE ALARM", e.get("text", ""), g[i].reason))
            else:
                s.misses += 1
                s.problems.append((doc.name, line, "MISS", e.get("text", ""), g[i].reason))
        if len(g) > len(w):
            s.extra += len(g) - len(w)
            for r in g[len(w):]:
                s.problems.append((doc.name, line, "extra", r.latex, r.reason))
    return s


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f} %" if b else "–"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--details", action="store_true", help="list every relation not judged right")
    ap.add_argument("--write", action="store_true", help="write bench/results/corpus.md")
    ap.add_argument("--only", default="", help="documents whose name contains this")
    args = ap.parse_args(argv)
    total = Score()
    docs = [d for d in documents() if args.only in d[0].name]
    for doc, expect in docs:
        total.add(score(doc, expect))
    lines = [
        "## Checker corpus",
        "",
        f"{len(docs)} documents, {total.expected} relations ({total.wrong_total} wrong), tests/corpus, "
        f"`python bench/corpus.py`.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| right verdict | {total.right} ({pct(total.right, total.expected)}) |",
        f"| wrong steps judged valid (misses) | {total.misses} |",
        f"| false alarms (a true relation judged invalid) | {total.false_alarms} "
        f"({pct(total.false_alarms, total.expected)}) |",
        f"| wrong steps caught | {total.wrong_caught} of {total.wrong_total} "
        f"({pct(total.wrong_caught, total.wrong_total)}) |",
        f"| unverifiable | {total.unverifiable} ({pct(total.unverifiable, total.expected)}) |",
        f"| relations with no line in the report | {total.unreported} ({pct(total.unreported, total.expected)}) |",
        f"| report lines the corpus does not list | {total.extra} |",
        f"| throughput | {len(docs) / total.seconds:.2f} files per CPU second, one process |" if total.seconds else "",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.details:
        for name, line, kind, written, reason in total.problems:
            print(f"{kind:13} {name}:{line}  {written[:70]}  -- {reason[:110]}")
    if args.write:
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        (ROOT / "bench" / "results" / "corpus.md").write_text(text + "\n", encoding="utf-8")
    return 1 if total.misses else 0


if __name__ == "__main__":
    sys.exit(main())
