"""The checker against its development corpus (tests/corpus): accuracy, false alarms, misses, coverage.

Each document's sidecar (NAME.expect.toml) lists every relation with the line of its sign and its truth.
A report's relations are matched to the expected ones line by line, in order within a line.

    python bench/corpus.py [--details] [--write] [--baseline REV]

--write writes bench/results/corpus.md (gathered into RESULTS.md by run_all.py); --baseline REV also
scores the checker of an earlier commit (checked out in a temporary worktree), in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
sys.path.insert(0, os.environ.get("DLDERIVE_SRC", str(ROOT / "src")))

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
    try:
        report = check_file(doc, model=model, timeout=timeout)
        relations = report.relations
    except Exception:  # an earlier checker may fail on a document: its relations are then unreported
        relations = ()
    s = Score(seconds=time.process_time() - start)
    got = defaultdict(list)
    for r in relations:
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


def table(total: Score, docs: int, baseline: Score | None = None, rev: str = "") -> list[str]:
    rows = [
        ("right verdict", lambda t: f"{t.right} ({pct(t.right, t.expected)})"),
        ("wrong steps judged valid (misses)", lambda t: f"{t.misses}"),
        ("false alarms (a true relation judged invalid)", lambda t: f"{t.false_alarms} ({pct(t.false_alarms, t.expected)})"),
        ("wrong steps caught", lambda t: f"{t.wrong_caught} of {t.wrong_total} ({pct(t.wrong_caught, t.wrong_total)})"),
        ("unverifiable", lambda t: f"{t.unverifiable} ({pct(t.unverifiable, t.expected)})"),
        ("relations with no line in the report", lambda t: f"{t.unreported} ({pct(t.unreported, t.expected)})"),
        ("report lines the corpus does not list", lambda t: f"{t.extra}"),
        ("throughput, files per CPU second, one process", lambda t: f"{docs / t.seconds:.2f}" if t.seconds else "–"),
    ]
    head = "| measure | this checker |" + (f" checker of {rev} |" if baseline else "")
    out = [head, "|---|---|" + ("---|" if baseline else "")]
    for name, cell in rows:
        out.append(f"| {name} | {cell(total)} |" + (f" {cell(baseline)} |" if baseline else ""))
    return out


def baseline_score(rev: str) -> Score:
    """The corpus scored by the checker of commit ``rev``, in a temporary worktree."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
        try:
            env = {**os.environ, "DLDERIVE_SRC": str(tree / "src")}
            env.pop("DLDERIVE_STRICT", None)
            done = subprocess.run([sys.executable, __file__, "--json"], env=env, capture_output=True, text=True,
                                  check=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)
    data = json.loads(done.stdout.splitlines()[-1])
    s = Score()
    for k, v in data.items():
        setattr(s, k, v)
    return s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--details", action="store_true", help="list every relation not judged right")
    ap.add_argument("--write", action="store_true", help="write bench/results/corpus.md")
    ap.add_argument("--only", default="", help="documents whose name contains this")
    ap.add_argument("--baseline", default="", help="also score the checker of this commit")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    total = Score()
    docs = [d for d in documents() if args.only in d[0].name]
    for doc, expect in docs:
        total.add(score(doc, expect))
    if args.json:
        print(json.dumps({k: v for k, v in vars(total).items() if k != "problems"}))
        return 0
    baseline = baseline_score(args.baseline) if args.baseline else None
    lines = [
        "## Checker corpus",
        "",
        f"{len(docs)} documents, {total.expected} relations ({total.wrong_total} wrong), tests/corpus, "
        f"`python bench/corpus.py{' --baseline ' + args.baseline if args.baseline else ''}`.",
        "",
        *table(total, len(docs), baseline, args.baseline),
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
