"""A handout file read, validated (every problem of the file at once) and built into an
``export.document.Document``: the questions, and the proven answers when asked for."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import DlderiveError, Location
from ..export.document import Document, Item, Section
from ..export.escape import unprintable
from ..export.markup import check_math, inline, with_notation
from ..export.mathml import to_mathml
from ..notation import Notation, preset
from ..schema import parse_toml, raise_all, read_text, validate
from ..steps import Derivation
from .kinds import KINDS, drawn_options
from .schema import MAX_ITEMS, HandoutFile, item_name, locator, section_name
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
        problems = _text_problems(data, str(path))
        checked = [(item, where, _check(item, where)) for _, _, item, where in placed]
        failing = problems or any(found for *_, found in checked)
        for item, where, found in checked:  # once the file fails, what the engine refuses in the other items too
            problems += found or (_check(item, where, build=True) if failing else [])
    raise_all(problems)
    return Handout(path, data)


LINES = ("title", "author", "heading")
"""Keys whose text is one line in every output (line breaks and control characters become spaces)."""
PROSE = ("intro", "question", "before", "after", "text")
"""Keys whose text is Markdown prose with $math$."""


def _text_problems(data: dict, file: str) -> list[DlderiveError]:
    """What no output can show of the texts of the handout: characters no font prints, math that is not
    allowed (a control character from a TOML escape, a command, an unmatched brace), each naming its key."""
    notation = preset(data.get("notation", "sample"))
    places = [(data, Location(file=file))]
    for i, section in enumerate(data["sections"], 1):
        places.append((section, Location(file=file, section=section_name(section, i))))
        places += [(item, Location(file=file, section=section_name(section, i), item=item_name(item, j)))
                   for j, item in enumerate(section["items"], 1)]
    problems = []
    for table, where in places:
        for key in LINES + PROSE:
            text = table.get(key)
            if not isinstance(text, str):
                continue
            found = [unprintable(text, f"the {key}")]
            if key in PROSE:
                found += [_math_problem(body) for kind, body in inline(with_notation(text, notation)) if kind == "math"]
            problems += [problem.at(**{k: v for k, v in vars(where).items() if v is not None}, key=key)
                         for problem in found if problem]
    return problems


def _math_problem(math: str) -> DlderiveError | None:
    try:
        to_mathml(check_math(math), display=False)  # what LaTeX and Markdown show, and the HTML's MathML
    except DlderiveError as exc:
        return exc
    return None


def _check(item: dict, where: Location, build: bool = False) -> list[DlderiveError]:
    """The problems of variant 0 of ``item`` that its kind finds (unknown names, impossible layers); with
    ``build``, also those the engine finds when it builds the item (a weight or a number of steps it refuses)."""
    try:
        KINDS[item["kind"]](where, draw(item, 0), check_only=not build)
    except DlderiveError as exc:
        return [exc]
    return []


def placed_items(data: dict, file: str):
    """(section number, item number, item, Location naming both) for every item, in order."""
    for i, section in enumerate(data["sections"], 1):
        for j, item in enumerate(section["items"], 1):
            yield i, j, item, Location(file=file, section=section_name(section, i), item=item_name(item, j))


def build_document(handout: Handout, seed: int | None = None, answers: bool = True,
                   notation: Notation | None = None) -> Document:
    """The Document of ``handout`` for variant ``seed`` (answers proven by the engine, or left out); the
    problems of every item that cannot be built are raised together."""
    data = handout.data
    notation = notation or preset(data.get("notation", "sample"))
    items: dict[int, list[Item]] = {i: [] for i in range(1, len(data["sections"]) + 1)}
    problems = []
    for i, j, item, where in placed_items(data, str(handout.path)):
        drawn = draw(item, seed, f"{i}.{j}")
        try:
            built = KINDS[item["kind"]](where, drawn, notation=notation)
        except DlderiveError as exc:
            problems.append(exc)
            continue
        question = _present(drawn.get("question")) + built.question + _present(drawn_options(item, drawn, notation))
        answer = _present(drawn.get("before")) + built.answer + _present(drawn.get("after"))
        items[i].append(Item(heading=item.get("heading", ""), question=question, answer=answer,
                             space=answer_space(built.answer)))
    raise_all(problems)
    sections = [Section(title=section["title"], items=tuple(items[i]), intro=_present(section.get("intro")))
                for i, section in enumerate(data["sections"], 1)]
    variant = f"variant {seed}" if seed is not None and has_ranges(data) else ""
    return Document(title=data["title"], author=data.get("author", ""), sections=tuple(sections),
                    notation=notation, answers=answers, variant=variant,
                    intro=_present(data.get("intro")))


def answer_space(answer: tuple) -> int:
    """Lines of room a student needs: about one per line of the proven answer, from 3 to 16."""
    lines = sum(len(part.steps) + 1 if isinstance(part, Derivation) else len(getattr(part, "rows", "x")) + 2
                for part in answer)
    return max(3, min(16, lines + 1))


def _present(text: str | None) -> tuple:
    return (text,) if text else ()
