"""A document to render: title, author, sections of items; each item a question and its answer.

A part of a question or an answer is Markdown prose (str), a Derivation (shown as align*) or a network Table.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..network import Table
from ..notation import DEFAULT, Notation
from ..steps import Derivation

Part = str | Derivation | Table


@dataclass(frozen=True)
class Item:
    """One exercise: a heading such as "1.2 Derivative of the hidden state", question, answer."""

    heading: str
    question: tuple[Part, ...] = ()
    answer: tuple[Part, ...] = ()
    space: int = 0  # lines of answer space in the student version


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[Item, ...] = ()
    intro: tuple[Part, ...] = ()


@dataclass(frozen=True)
class Document:
    """Everything a template needs; ``answers=False`` is the student version."""

    title: str
    sections: tuple[Section, ...]
    author: str = ""
    notation: Notation = DEFAULT
    answers: bool = True

    @property
    def stamp(self) -> str:
        """What each page says it is: the answer key or the student version."""
        return "Answer key" if self.answers else "Student version"
    variant: str = ""  # e.g. "variant 7" when drawn with a seed
    intro: tuple[Part, ...] = field(default_factory=tuple)
