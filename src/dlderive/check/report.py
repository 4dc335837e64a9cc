"""Verdicts: one Relation per relation found, one FileReport per file (data only; export renders them)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum


class Verdict(str, Enum):
    """A relation holds (proven, or at every point tried), is refuted, or cannot be decided here."""

    VALID = "valid"
    INVALID = "invalid"
    UNVERIFIABLE = "unverifiable"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Judgement:
    """The verdict on one relation, its reason, a counterexample when it is invalid, and whether the
    relation is a condition (the premise of an implication, an assumption) with its prepared sides."""

    verdict: Verdict
    reason: str
    counterexample: dict | None = None
    condition: tuple | None = None
    is_condition: bool = False


@dataclass(frozen=True)
class Relation:
    """One verdict: ``line`` is the 1-based line of the relation sign."""

    line: int
    latex: str
    verdict: Verdict
    reason: str
    counterexample: dict | None = None
    chain: int = 0  # relations of one chain share this number


@dataclass(frozen=True)
class FileReport:
    file: str
    relations: tuple[Relation, ...] = ()
    error: str | None = None
    glossary: dict = field(default_factory=dict)  # written name -> how it was read (ambiguous names only)
    notes: tuple[str, ...] = ()  # hints about the whole file (a model it seems to use, ...)

    @property
    def summary(self) -> dict:
        out = {"relations": len(self.relations), "valid": 0, "invalid": 0, "unverifiable": 0}
        for r in self.relations:
            out[Verdict(r.verdict).value] += 1
        return out

    @property
    def first_wrong(self) -> set[int]:
        """Indices of the first invalid relation of each chain."""
        seen, out = set(), set()
        for i, r in enumerate(self.relations):
            if r.verdict == Verdict.INVALID and r.chain not in seen:
                seen.add(r.chain)
                out.add(i)
        return out

    def to_json(self) -> dict:
        """file, relations (line, latex, verdict, reason, counterexample, first_wrong), summary, glossary, notes."""
        first = self.first_wrong
        relations = []
        for i, r in enumerate(self.relations):
            item = {k: v for k, v in asdict(r).items() if k != "chain"}
            item["verdict"] = Verdict(r.verdict).value
            item["first_wrong"] = i in first
            relations.append(item)
        data = {"file": self.file, "relations": relations, "summary": self.summary}
        if self.glossary:
            data["glossary"] = dict(self.glossary)
        if self.notes:
            data["notes"] = list(self.notes)
        if self.error:
            data["error"] = self.error
        return data
