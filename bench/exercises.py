"""The checker on short correct and wrong derivations of the common course exercises (tests/exercises).

Each exercise has a correct document (NAME_ok) and one or two with a single typical mistake (NAME_bad,
NAME_bad2); every relation's truth was worked out by hand (tests/corpus/README.md describes the sidecars).
Prints, per kind of document, the measures of the goal "every correct one accepted with no invalid step,
every wrong one caught":

    python bench/exercises.py [--details] [--only TEXT]

correct documents accepted: no relation judged invalid (and how many with every relation valid);
wrong documents caught: every wrong relation judged invalid; wrong steps judged valid (must be 0);
false alarms: true relations judged invalid.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import ROOT, Score, documents, expectations, score  # noqa: E402

EXERCISES = ROOT / "tests" / "exercises"


@dataclass
class Outcome:
    """One document's score against its sidecar, with the verdict of every expected relation in order."""

    doc: Path
    score: Score
    verdicts: list = field(default_factory=list)  # (line, text, truth, verdict, reason)

    @property
    def correct(self) -> bool:
        return self.score.wrong_total == 0

    @property
    def accepted(self) -> bool:
        """No relation judged invalid and every relation reported."""
        return all(v != "invalid" for _, _, _, v, _ in self.verdicts) and self.score.unreported == 0

    @property
    def all_valid(self) -> bool:
        return self.accepted and all(v == "valid" for _, _, _, v, _ in self.verdicts)

    @property
    def caught(self) -> bool:
        """Every wrong relation judged invalid."""
        return all(v == "invalid" for _, _, t, v, _ in self.verdicts if t == "invalid")


def outcome(doc: Path, expect: Path) -> Outcome:
    """The document scored as bench/corpus.py scores it, and the verdict given to each expected relation."""
    s = score(doc, expect)
    _, expected = expectations(expect)
    problems = {(line, text): (kind, reason) for _, line, kind, text, reason in s.problems}
    verdicts = []
    for e in expected:
        kind, reason = problems.get((int(e["line"]), e.get("text", "")), ("", ""))
        if kind == "unreported":
            verdict = "unreported"
        elif kind == "unverifiable":
            verdict = "unverifiable"
        elif kind in ("FALSE ALARM", "MISS"):
            verdict = "invalid" if e["truth"] == "valid" else "valid"
        else:
            verdict = e["truth"]
        verdicts.append((int(e["line"]), e.get("text", ""), e["truth"], verdict, reason))
    return Outcome(doc, s, verdicts)


def outcomes(only: str = "") -> list[Outcome]:
    return [outcome(d, e) for d, e in documents(EXERCISES) if only in d.name]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--details", action="store_true", help="list every document not accepted or not caught")
    ap.add_argument("--only", default="", help="documents whose name contains this")
    args = ap.parse_args(argv)
    results = outcomes(args.only)
    good = [o for o in results if o.correct]
    bad = [o for o in results if not o.correct]
    total = Score()
    for o in results:
        total.add(o.score)
    wrong_steps = sum(1 for o in bad for _, _, t, _, _ in o.verdicts if t == "invalid")
    exercises = {o.doc.name.rsplit("_", 1)[0] for o in results}
    print(f"## Checker on the exercise set\n\n{len(exercises)} exercises, {len(results)} documents "
          f"({len(good)} correct, {len(bad)} wrong), {total.expected} relations, tests/exercises, "
          f"`python bench/exercises.py`.\n")
    print("| measure | value |\n|---|---|")
    print(f"| correct documents accepted (no relation invalid) | {sum(o.accepted for o in good)} of {len(good)} |")
    print(f"| correct documents with every relation valid | {sum(o.all_valid for o in good)} of {len(good)} |")
    print(f"| wrong documents caught (every wrong relation invalid) | {sum(o.caught for o in bad)} of {len(bad)} |")
    print(f"| wrong steps judged invalid | {total.wrong_caught} of {wrong_steps} |")
    print(f"| wrong steps judged valid (must be 0) | {total.misses} |")
    print(f"| false alarms (a true relation judged invalid) | {total.false_alarms} |")
    print(f"| relations judged right | {total.right} of {total.expected} |")
    print(f"| unverifiable | {total.unverifiable} |")
    print(f"| relations with no line in the report | {total.unreported} |")
    if args.details:
        print()
        for o in results:
            if all(v == t for _, _, t, v, _ in o.verdicts):
                continue
            for line, text, truth, verdict, reason in o.verdicts:
                if verdict != truth:
                    print(f"{o.doc.name}:{line} {truth:7} judged {verdict:12} {text[:60]}  -- {reason[:120]}")
    return 1 if total.misses else 0


if __name__ == "__main__":
    sys.exit(main())
