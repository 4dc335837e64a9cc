"""The examples menu of the check page: documents shipped with the package (``examples/*.md``), and
the shared week-8 homework sample when it sits beside the checkout."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent / "examples"
ORDER = ("lstm_hidden", "sigmoid", "chain_rule", "product_rule", "conv_size", "unreadable")
SHARED_SAMPLE = Path(__file__).resolve().parents[4] / "shared" / "samples" / "week8_homework.md"


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    path: Path
    model: str | None = None

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def summary(self) -> dict:
        return {"name": self.name, "title": self.title, "model": self.model}


def _title(path: Path) -> str:
    heading = re.search(r"^# (.+)$", path.read_text(encoding="utf-8"), re.M)
    return heading.group(1).strip() if heading else path.stem.replace("_", " ")


def _examples() -> dict[str, Example]:
    out = {name: Example(name, _title(HERE / f"{name}.md"), HERE / f"{name}.md") for name in ORDER}
    if SHARED_SAMPLE.is_file():
        out["week8_homework"] = Example("week8_homework", "Week 8 homework (the shared sample)", SHARED_SAMPLE, "lstm")
    return out


EXAMPLES = _examples()
