"""The checker on its development corpus (tests/corpus): no wrong step judged valid, every relation reported,
and every correct step, mutated, no longer judged valid.

The expected verdicts were worked out by hand for each relation (tests/corpus/README.md); bench/corpus.py
prints the accuracy and false alarms that this test does not hold to a fixed number."""
import random
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from corpus import documents, expectations, score  # noqa: E402

from dlderive.check import check_text  # noqa: E402

DOCS = documents()
CLAIM = re.compile(r"^(proven|arithmetic|no symbolic proof|implied|every entry|holds)")


def test_corpus_is_large_and_varied():
    assert len(DOCS) >= 60
    kinds = {d.suffix for d, _ in DOCS}
    assert kinds == {".md", ".tex"}
    total = sum(len(expectations(e)[1]) for _, e in DOCS)
    wrong = sum(r["truth"] == "invalid" for _, e in DOCS for r in expectations(e)[1])
    assert total >= 1000 and wrong >= 100


@pytest.mark.parametrize("doc, expect", DOCS, ids=[d.name for d, _ in DOCS])
def test_no_wrong_step_is_judged_valid(doc, expect):
    s = score(doc, expect)
    misses = [p for p in s.problems if p[2] == "MISS"]
    assert not misses, misses
    assert s.unreported <= max(2, s.expected // 10), [p for p in s.problems if p[2] == "unreported"]


def _mutations(side: str):
    """Changes that make a right side false: its sign, a factor 2, a number off by 10 % (or three units of its
    last digit), well beyond the rounding of the numbers it was computed from."""
    stripped = side.strip().rstrip(".,")
    if re.fullmatch(r"-?\d+(\.\d+)?", stripped):
        digits = stripped.split(".")[1] if "." in stripped else ""
        bump = max(3 * 10 ** -len(digits), 0.1 * abs(float(stripped)))  # beyond the rounding of its inputs
        yield f"{float(stripped) + bump:.{len(digits)}f}" if digits else str(int(stripped) + max(3, int(bump)))
        return
    if stripped in ("0", "1") or not stripped:
        return
    yield f"-\\left({stripped}\\right)"
    yield f"2\\left({stripped}\\right)"


def _claims(text: str, model):
    report = check_text(text, model=model)
    return [r for r in report.relations if r.verdict == "valid" and CLAIM.match(r.reason)]


@pytest.mark.parametrize("doc, expect", DOCS, ids=[d.name for d, _ in DOCS])
def test_mutated_steps_are_never_valid(doc, expect):
    model, _ = expectations(expect)
    text = doc.read_text(encoding="utf-8")
    lines = text.split("\n")
    rng = random.Random(doc.name)
    claims = _claims(text, model)
    rng.shuffle(claims)
    for r in claims[:4]:
        parts = re.split(r"\s(?:=|\\approx)\s", r.latex)
        if len(parts) != 2 or lines[r.line - 1].count(parts[1].strip()) != 1:
            continue
        rhs = parts[1].strip()
        for mutated in _mutations(rhs):
            changed = lines.copy()
            changed[r.line - 1] = changed[r.line - 1].replace(rhs, mutated, 1)
            report = check_text("\n".join(changed), model=model)
            judged = [x for x in report.relations
                      if x.line == r.line and (x.latex.replace(" ", "").endswith(mutated.replace(" ", ""))
                                               or x.latex.replace(" ", "").startswith(mutated.replace(" ", "")))]
            assert all(x.verdict != "valid" for x in judged), (doc.name, r.line, rhs, mutated,
                                                                [(x.latex, x.reason) for x in judged])
