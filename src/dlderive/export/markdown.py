"""Markdown renderer: derivations as ``$$`` blocks that GitHub and Jupyter render."""
from __future__ import annotations

from functools import singledispatch

from ..notation import DEFAULT, Notation
from ..steps import Derivation
from .latex import render_latex


@singledispatch
def render_markdown(obj, notation: Notation = DEFAULT) -> str:
    """``obj`` as Markdown; conv and network results render through their derivations."""
    from . import derivations_of
    return "\n\n".join(render_markdown(d, notation) for d in derivations_of(obj))


@render_markdown.register
def _(d: Derivation, notation: Notation = DEFAULT) -> str:
    return "$$\n" + render_latex(d, notation) + "\n$$"


def render_document_markdown(doc, notation: Notation | None = None) -> str:
    """A Markdown handout for a ``Document``: headings, escaped prose, ``$$`` blocks."""
    from .markup import escape_markdown_text, prose_markdown, with_notation
    from .templating import render_template

    notation = notation or doc.notation

    def part(p):
        return render_markdown(p, notation) if not isinstance(p, str) else prose_markdown(with_notation(p, notation))

    text = render_template("handout.md.j2", {"md": escape_markdown_text, "part": part}, doc=doc)
    return _squeeze_blank_lines(text)


def _squeeze_blank_lines(text: str) -> str:
    lines, blank = [], 0
    for line in text.splitlines():
        blank = blank + 1 if not line.strip() else 0
        if blank <= 1:
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"
