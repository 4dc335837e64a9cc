"""The checker on short correct and wrong derivations of the common course exercises (tests/exercises).

Held to the line: no wrong step judged valid, and every relation reported. Recorded, not held: correct
documents accepted and wrong documents caught. A document the checker does not reach yet is marked
xfail(strict=True) with the cause, so that progress on that cause flips its marker; bench/exercises.py
prints the numbers."""
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from corpus import documents, expectations  # noqa: E402
from exercises import EXERCISES, gaps, outcome  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_corpus import test_mutated_steps_are_never_valid as _mutations_never_valid  # noqa: E402

DOCS = documents(EXERCISES)
CORRECT = [(d, e) for d, e in DOCS if d.stem.endswith("_ok")]
WRONG = [(d, e) for d, e in DOCS if not d.stem.endswith("_ok")]

CORRECT_GAPS, FULL_GAPS, CAUGHT_GAPS = gaps("accepted"), gaps("valid"), gaps("caught")


@lru_cache(maxsize=None)
def _outcome(doc: Path, expect: Path):
    return outcome(doc, expect)


def _params(pairs, gaps):
    return [pytest.param(d, e, id=d.stem, marks=[pytest.mark.xfail(strict=True, reason=gaps[d.stem])]
                         if d.stem in gaps else []) for d, e in pairs]


def test_the_set_covers_the_exercises_in_every_style():
    exercises = Counter(d.stem.rsplit("_", 1)[0] for d, _ in DOCS)
    assert len(exercises) >= 32 and all(2 <= n <= 3 for n in exercises.values()), exercises
    assert {d.stem.rsplit("_", 1)[0] for d, _ in CORRECT} == set(exercises)
    assert {d.suffix for d, _ in DOCS} == {".md", ".tex"}
    for doc, expect in DOCS:
        _, relations = expectations(expect)
        assert 3 <= len(relations) <= 12, doc.name
        wrong = [r for r in relations if r["truth"] == "invalid"]
        assert bool(wrong) != doc.stem.endswith("_ok"), doc.name
        assert all(r["truth"] in ("valid", "invalid") and r.get("text") for r in relations), doc.name
        assert all(r.get("why") for r in wrong), doc.name
    assert {e: s for e, s in (CORRECT_GAPS | FULL_GAPS | CAUGHT_GAPS).items() if e not in {d.stem for d, _ in DOCS}} == {}


@pytest.mark.parametrize("doc, expect", DOCS, ids=[d.stem for d, _ in DOCS])
def test_no_wrong_step_is_judged_valid_and_every_relation_is_reported(doc, expect):
    o = _outcome(doc, expect)
    misses = [(line, text, reason) for line, text, truth, verdict, reason in o.verdicts
              if truth == "invalid" and verdict == "valid"]
    assert not misses, misses
    assert o.score.unreported == 0, [p for p in o.score.problems if p[2] == "unreported"]


@pytest.mark.parametrize("doc, expect", _params(CORRECT, CORRECT_GAPS))
def test_correct_document_has_no_invalid_step(doc, expect):
    o = _outcome(doc, expect)
    assert o.accepted, [(line, text, reason) for line, text, _, verdict, reason in o.verdicts if verdict == "invalid"]


@pytest.mark.parametrize("doc, expect", _params(CORRECT, FULL_GAPS))
def test_correct_document_is_valid_throughout(doc, expect):
    o = _outcome(doc, expect)
    assert o.all_valid, [(line, verdict, reason) for line, _, _, verdict, reason in o.verdicts if verdict != "valid"]


@pytest.mark.parametrize("doc, expect", _params(WRONG, CAUGHT_GAPS))
def test_wrong_document_is_caught(doc, expect):
    o = _outcome(doc, expect)
    assert o.caught, [(line, verdict, reason) for line, _, truth, verdict, reason in o.verdicts
                      if truth == "invalid" and verdict != "invalid"]


MATCHER = ("the corpus's mutation check takes L = \\frac{1}{2}(y - t)^2, on the line of the mutated w_2 h = 2 and ending "
           "in '2', for the mutated step (which is judged invalid)")


@pytest.mark.parametrize("doc, expect", _params(CORRECT, {"e10_relu_scalar_net_ok": MATCHER}))
def test_mutated_steps_of_a_correct_document_are_never_valid(doc, expect):
    """The corpus's mutation check on the exercises: a valid step with its right side negated or doubled
    (or a number moved beyond its rounding) is not valid."""
    _mutations_never_valid(doc, expect)
