"""Renderers: ``render(obj, fmt, notation)`` for every result type, by single dispatch on its type.

``FORMATS`` is the one list of formats: name -> renderer.  Result types: Derivation (and Step), conv
sizes, counts and inverse problems, a network table and its valid inputs, a check report, a handout
Document, and lists of them.  ``Display(obj)`` shows an object in Jupyter; every ``Displayable``
result shows itself through it.
"""
from __future__ import annotations

import sys

from ..errors import DlderiveError
from ..notation import DEFAULT, Notation
from ..steps import Displayable, Step
from .document import Document
from .html import render_html_fragment
from .jsonout import render_json, to_data
from .latex import display_latex, render_latex
from .markdown import render_markdown
from .pages import render_document_latex, render_document_markdown, render_html
from .results import RESULT_TYPES, Combined, as_derivation, derivations_of
from .text import render_text

FORMATS = {"text": render_text, "latex": render_latex, "json": render_json, "markdown": render_markdown,
           "html": render_html}
"""Format name -> ``renderer(obj, notation)``; commands take their ``--format`` choices from here."""

DOCUMENT_FORMATS = {"latex": render_document_latex, "markdown": render_document_markdown, "html": render_html}
"""The formats of a whole handout."""


def render(obj, fmt: str, notation: Notation = DEFAULT, color: bool = False) -> str:
    """``obj`` rendered in format ``fmt`` under ``notation``, as a string (``color``: ANSI text for a terminal)."""
    if fmt not in FORMATS:
        raise DlderiveError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if isinstance(obj, Step):
        obj = as_derivation(obj)
    if isinstance(obj, Document):
        if fmt not in DOCUMENT_FORMATS:
            raise DlderiveError(f"a handout renders as {', '.join(DOCUMENT_FORMATS)}, not {fmt}")
        return DOCUMENT_FORMATS[fmt](obj, notation)
    if fmt == "text":
        return render_text(obj, notation, color)
    return FORMATS[fmt](obj, notation)


class Display:
    """Jupyter display of a result: ``_repr_mimebundle_`` with text, LaTeX, HTML and Markdown."""

    def __init__(self, obj, notation: Notation = DEFAULT):
        self.obj, self.notation = obj, notation

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/plain": render(self.obj, "text", self.notation),
            "text/latex": display_latex(self.obj, self.notation),
            "text/html": str(render_html_fragment(self.obj, self.notation)),
            "text/markdown": render_markdown(self.obj, self.notation),
        }

    def _repr_html_(self):
        return self._repr_mimebundle_()["text/html"]

    def _repr_latex_(self):
        return self._repr_mimebundle_()["text/latex"]

    def _repr_markdown_(self):
        return self._repr_mimebundle_()["text/markdown"]

    def __repr__(self):
        return render(self.obj, "text", self.notation)


def display(obj, notation: Notation = DEFAULT) -> Display:
    """Wrap ``obj`` so that Jupyter shows it rendered."""
    return Display(obj, notation)


def display_in(formatter) -> None:
    """Teach an IPython ``DisplayFormatter`` the result types that are not ``Displayable`` themselves
    (a check report, a network's valid inputs): each shown as its HTML, LaTeX and Markdown."""
    for cls in RESULT_TYPES:
        if not issubclass(cls, Displayable):
            for mime in ("text/html", "text/latex", "text/markdown"):
                formatter.formatters[mime].for_type(cls, lambda obj, mime=mime: Display(obj)._repr_mimebundle_()[mime])


Displayable.show = staticmethod(lambda obj: Display(obj)._repr_mimebundle_())
_ipython = sys.modules.get("IPython")
if _ipython is not None and _ipython.get_ipython() is not None:  # loaded in a notebook or an IPython shell
    display_in(_ipython.get_ipython().display_formatter)

__all__ = ["FORMATS", "render", "Display", "display", "display_in", "derivations_of", "to_data", "Combined"]
