"""Handouts as data: a TOML file of sections and items, validated strictly, drawn per seed, built
into an ``export.document.Document`` (questions, and the proven answers when asked for).

``schema`` declares the file (one model per item kind), ``variants`` draws the numbers given as
ranges, ``kinds`` builds each item's question and answer, ``document`` reads a file and assembles it.
A number may be a range ``{min = a, max = b}`` (floats: ``digits``) or ``{choose = [...]}``;
``--seed N`` draws variant N, and every variant carries its own answer key.
"""
from .document import Handout, build_document, load, placed_items
from .evaluation import evaluate
from .kinds import KINDS, Built, math_list
from .schema import ITEMS, MAX_ITEMS, MAX_TEXT, HandoutFile
from .variants import draw, has_ranges

__all__ = ["Built", "Handout", "HandoutFile", "ITEMS", "KINDS", "MAX_ITEMS", "MAX_TEXT", "build_document", "draw",
           "evaluate", "has_ranges", "load", "math_list", "placed_items"]
