"""The handout file as strict pydantic models: the handout, its sections, one model per item kind.

A number may be given as a range ``{min = a, max = b}`` (floats: ``digits``) or ``{choose = [...]}``.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from ..export.escape import fold
from ..notation import PRESETS
from ..schema import Strict, declare, key_path, one_of, tagged

MAX_ITEMS = 500
MAX_TEXT = 20_000
BOUND = 10**6

Text = Annotated[str, Field(max_length=MAX_TEXT)]


class _Ordered(Strict):
    @model_validator(mode="after")
    def _ordered(self):
        if self.min > self.max:
            raise PydanticCustomError("range_order", "min {lo} is greater than max {hi}",
                                      {"lo": self.min, "hi": self.max})
        return self


def _ranges(value: Any) -> tuple[type[Strict], type[Strict]]:
    """The two range tables of ``value``s: {min, max[, digits]} and {choose = [...]}."""
    return (declare("Range", "a range", _Ordered, min=value, max=value,
                    digits=(Annotated[int, Field(ge=0, le=6)] | None, None)),
            declare("Choice", "a choice", choose=Annotated[list[value], Field(min_length=1)]))


def _range_kind(value) -> str:
    return ("choose" if "choose" in value else "range") if isinstance(value, dict) else "value"


_INT = Annotated[int, Field(ge=-BOUND, le=BOUND)]
_NUMBER = Annotated[float, Field(allow_inf_nan=False, ge=-BOUND, le=BOUND)]
IntRange, IntChoice = _ranges(_INT)
NumberRange, NumberChoice = _ranges(_NUMBER)
Int = one_of(_range_kind, value=_INT, range=IntRange, choose=IntChoice)
Number = one_of(_range_kind, value=_NUMBER, range=NumberRange, choose=NumberChoice)
Ints = one_of(lambda v: "list" if isinstance(v, list) else "one",
              one=Int, list=Annotated[list[Int], Field(min_length=1, max_length=3)])
"""An integer, or a list of 1 to 3 integers (one per spatial dimension)."""
TextChoice = declare("Choice", "a choice", choose=Annotated[list[Text], Field(min_length=1)])
Name = one_of(_range_kind, value=Text, choose=TextChoice)
"""A name, or ``{choose = [...]}`` of names (one drawn per variant)."""
Shape = one_of(lambda v: "list" if isinstance(v, list) else "text",
               text=Text, list=Annotated[list[int], Field(min_length=1)])
"""A network input: "3x32x32" or [3, 32, 32]."""
Layer = Literal["conv", "maxpool", "avgpool", "transposed"]


class Item(Strict):
    """Keys of every item; ``before``/``after`` are Markdown shown around the answer (answer key only)."""

    kind: str
    heading: Text | None = None
    question: Text | None = None
    before: Text | None = None
    after: Text | None = None


def _item(kind: str, **keys) -> type[Strict]:
    article = "an" if kind[0] in "aeiou" else "a"
    return declare(kind, f"{article} {kind} item", Item, kind=Literal[kind], **keys)


ITEMS: dict[str, type[Strict]] = {model.__name__: model for model in (
    _item("text", text=Text, answer_only=(bool, False)),
    _item("derivation", name=Text, form=(Literal["scalar", "vector"], "scalar"), cell=(Text | None, None), activation=(Name | None, None),
          weight=(Name | None, None), steps=(Int | None, None), loss=(Name | None, None)),
    _item("evaluate", cell=Text, targets=Annotated[list[str], Field(min_length=1)], values=dict[str, Number],
          digits=(Annotated[int, Field(ge=1, le=12)] | None, None)),
    _item("conv_size", input=Ints, kernel=Ints, stride=(Ints, 1), padding=(Ints, 0), dilation=(Ints, 1),
          layer=(Layer, "conv")),
    _item("conv_inverse", output=Int, kernel=Int, stride=Int, padding=(Int, 0), dilation=(Int, 1),
          layer=(Layer, "conv")),
    _item("conv_counts", in_channels=Int, out_channels=Int, kernel=Ints, output=Ints, bias=(bool, True),
          groups=(Int, 1)),
    _item("network", input=Shape, layers=Annotated[list[dict[str, Any]], Field(min_length=1)],
          steps=(bool, False)),
)}
"""Item kind -> its model."""
AnyItem = tagged("kind", "item kind", ITEMS)
PresetName = Literal[tuple(PRESETS)]


class Section(Strict):
    model_config = ConfigDict(title="a section")

    title: Text
    intro: Text | None = None
    items: Annotated[list[AnyItem], Field(min_length=1)]


class HandoutFile(Strict):
    model_config = ConfigDict(title="the handout")

    title: Text
    author: Text | None = None
    notation: PresetName | None = None
    intro: Text | None = None
    sections: Annotated[list[Section], Field(min_length=1)]


def section_name(section: Any, number: int) -> str:
    """How messages name a section: its title, or its number when it has none."""
    title = section.get("title") if isinstance(section, dict) else None
    return fold(title) if isinstance(title, str) else str(number)


def item_name(item: Any, number: int) -> str | int:
    """How messages name an item: ``3 (heading)``, or its number."""
    heading = item.get("heading") if isinstance(item, dict) else None
    return f"{number} ({fold(heading)})" if isinstance(heading, str) and fold(heading) else number


_RANGES = {"<range>": IntRange, "<choose>": IntChoice}  # the keys of a range (of integers or numbers alike)


def locator(data: dict):
    """``locate(loc)``: a pydantic location in ``data`` as (section, item, key) and the model of the key."""
    def locate(loc: tuple) -> tuple[dict, type | None]:
        where, owner, rest = {}, HandoutFile, loc
        if loc[:1] == ("sections",) and len(loc) > 2 and isinstance(loc[1], int):
            section = data["sections"][loc[1]]
            where["section"], owner, rest = section_name(section, loc[1] + 1), Section, loc[2:]
            if rest[:1] == ("items",) and len(rest) > 2 and isinstance(rest[1], int):
                where["item"] = item_name(section["items"][rest[1]], rest[1] + 1)
                owner, rest = ITEMS.get(rest[2]), rest[3:] if rest[2] in ITEMS else rest[2:]
        if len(rest) >= 2 and rest[-2] in _RANGES:
            owner = _RANGES[rest[-2]]
        return {**where, "key": key_path(rest)}, owner
    return locate
