"""A handout file read, validated (every problem of the file at once) and built into an
``export.document.Document``: the questions, and the proven answers when asked for."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import DlderiveError, Location
from ..export.document import Document, Item, Section
from ..notation import Notation, preset
from ..schema import parse_toml, raise_all, read_text, validate
from .kinds import KINDS
from .schema import MAX_ITEMS, HandoutFile, item_name, locator
from .variants import draw, has_ranges

MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Handout:
    """A validated handout file: its data, and where it came from (for messages and output names)."""

    path: Path
    data: dict

    @property
    def stem(self) -> str:
        return self.path.stem


def load(path: str | Path) -> Handout:
    """Read and validate a handout TOML file; every problem is reported, each naming file, item and key."""
    path = Path(path)
    data = parse_toml(read_text(path, MAX_BYTES), str(path))
    _, problems = validate(HandoutFile, data, locator(data), str(path))
    if not problems:
        placed = list(placed_items(data, str(path)))
        if len(placed) > MAX_ITEMS:
            raise DlderiveError(f"more than {MAX_ITEMS} items", file=str(path), key="items")
        problems = [problem for _, _, item, where in placed for problem in _check(item, where)]
    raise_all(problems)
    return Handout(path, data)


def _check(item: dict, where: Location) -> list[DlderiveError]:
    """The problems of variant 0 of ``item`` that its kind finds (unknown names, impossible layers)."""
    try:
        KINDS[item["kind"]](where, draw(item, 0), check_only=True)
    except DlderiveError as exc:
        return [exc]
    return []


def placed_items(data: dict, file: str):
    """(section number, item number, item, Location naming both) for every item, in order."""
    for i, section in enumerate(data["sections"], 1):
        for j, item in enumerate(section["items"], 1):
            yield i, j, item, Location(file=file, section=section["title"], item=item_name(item, j))


def build_document(handout: Handout, seed: int | None = None, answers: bool = True,
                   notation: Notation | None = None) -> Document:
    """The Document of ``handout`` for variant ``seed`` (answers proven by the engine, or left out)."""
    data = handout.data
    notation = notation or preset(data.get("notation", "sample"))
    items: dict[int, list[Item]] = {i: [] for i in range(1, len(data["sections"]) + 1)}
    for i, j, item, where in placed_items(data, str(handout.path)):
        drawn = draw(item, seed, f"{i}.{j}")
        built = KINDS[item["kind"]](where, drawn, notation=notation)
        question = _present(drawn.get("question")) + built.question
        answer = _present(drawn.get("before")) + built.answer + _present(drawn.get("after"))
        items[i].append(Item(heading=item.get("heading", ""), question=question, answer=answer))
    sections = [Section(title=section["title"], items=tuple(items[i]), intro=_present(section.get("intro")))
                for i, section in enumerate(data["sections"], 1)]
    variant = f"variant {seed}" if seed is not None and has_ranges(data) else ""
    return Document(title=data["title"], author=data.get("author", ""), sections=tuple(sections),
                    notation=notation, answers=answers, variant=variant,
                    intro=_present(data.get("intro")))


def _present(text: str | None) -> tuple:
    return (text,) if text else ()
