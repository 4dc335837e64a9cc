"""Verdicts: one Relation per relation checked, one FileReport per file."""
from __future__ import annotations

from dataclasses import asdict, dataclass

@dataclass(frozen=True)
class Relation:
    """One verdict: ``line`` is where the right-hand side begins (1-based)."""

    line: int
    latex: str
    verdict: str  # "valid" | "invalid" | "unverifiable"
    reason: str
    counterexample: dict | None = None
    chain: int = 0  # relations of one chain share this number


@dataclass(frozen=True)
class FileReport:
    file: str
    relations: tuple[Relation, ...] = ()
    error: str | None = None

    @property
    def summary(self) -> dict:
        out = {"valid": 0, "invalid": 0, "unverifiable": 0}
        for r in self.relations:
            out[r.verdict] += 1
        return out

    def to_json(self) -> dict:
        """The JSON object of issue 5: file, relations (line, latex, verdict, reason, counterexample), summary."""
        data = {"file": self.file,
                "relations": [{k: v for k, v in asdict(r).items() if k != "chain"} for r in self.relations],
                "summary": self.summary}
        if self.error:
            data["error"] = self.error
        return data
