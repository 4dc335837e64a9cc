"""Renderers: ``render(obj, fmt, notation)`` for Derivation, Step, conv/network results and Documents.

Formats: text, latex, json, markdown, html.  ``Display(obj)`` shows an object in Jupyter.
"""
from __future__ import annotations

from ..errors import DlderiveError
from ..notation import DEFAULT, Notation
from ..steps import Derivation, Step

FORMATS = ("text", "latex", "json", "markdown", "html")


def derivations_of(obj) -> list[Derivation]:
    """The derivations a result carries: ``.derivation``, ``.derivations``, a network table's ``.rows``,
    or a list/tuple of them."""
    if isinstance(obj, Derivation):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [d for o in obj for d in derivations_of(o)]
    if isinstance(obj, dict):
        return [d for o in obj.values() for d in derivations_of(o)]
    for attr in ("derivations", "derivation", "rows"):
        value = getattr(obj, attr, None)
        if value is not None:
            return derivations_of(value)
    raise DlderiveError(f"cannot render a {type(obj).__name__}: it carries no derivation")


def as_derivation(step: Step) -> Derivation:
    """A single step shown as a one-line derivation."""
    return Derivation(name="step", form="scalar", title="", steps=(step,))


def render(obj, fmt: str, notation: Notation = DEFAULT) -> str:
    """``obj`` rendered in format ``fmt`` under ``notation``, as a string."""
    from .document import Document
    from .html import render_html
    from .jsonout import render_json
    from .latex import render_document_latex, render_latex
    from .markdown import render_document_markdown, render_markdown
    from .text import render_text

    if fmt not in FORMATS:
        raise DlderiveError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if isinstance(obj, Step):
        obj = as_derivation(obj)
    if isinstance(obj, Document):
        documents = {"latex": render_document_latex, "markdown": render_document_markdown, "html": render_html}
        if fmt not in documents:
            raise DlderiveError(f"a handout renders as latex, markdown or html, not {fmt}")
        return documents[fmt](obj, notation)
    table = {"text": render_text, "latex": render_latex, "json": render_json,
             "markdown": render_markdown, "html": render_html}
    return table[fmt](obj, notation)


class Display:
    """Jupyter display of a derivation or result: ``_repr_mimebundle_`` with LaTeX, HTML and Markdown."""

    def __init__(self, obj, notation: Notation = DEFAULT):
        self.obj, self.notation = obj, notation

    def _repr_mimebundle_(self, include=None, exclude=None):
        from .html import render_html_fragment
        from .markdown import render_markdown
        from .latex import render_latex

        latex = render_latex(self.obj, self.notation)
        return {
            "text/plain": render(self.obj, "text", self.notation),
            "text/latex": "$$\n" + latex + "\n$$",
            "text/html": str(render_html_fragment(self.obj, self.notation)),
            "text/markdown": render_markdown(self.obj, self.notation),
        }

    def __repr__(self):
        return render(self.obj, "text", self.notation)


def display(obj, notation: Notation = DEFAULT) -> Display:
    """Wrap ``obj`` so that Jupyter shows it rendered."""
    return Display(obj, notation)


__all__ = ["FORMATS", "render", "Display", "display", "derivations_of"]
