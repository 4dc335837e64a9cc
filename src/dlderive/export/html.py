"""HTML renderer: one self-contained page, MathML from latex2mathml, no script, no network resource."""
from __future__ import annotations

from functools import singledispatch

from markupsafe import Markup

from ..notation import DEFAULT, Notation
from ..steps import Derivation
from .document import Document, Item, Section
from .latex import render_latex
from .mathml import to_mathml


@singledispatch
def render_html_fragment(obj, notation: Notation = DEFAULT) -> Markup:
    """``obj`` as an HTML fragment (MathML blocks); conv and network results through their derivations."""
    from . import derivations_of
    return Markup("\n").join(render_html_fragment(d, notation) for d in derivations_of(obj))


@render_html_fragment.register
def _(d: Derivation, notation: Notation = DEFAULT) -> Markup:
    return Markup(to_mathml(render_latex(d, notation), display=True))


def render_document_html(doc: Document, notation: Notation | None = None) -> str:
    """A complete HTML page for a ``Document``, every user text escaped by Jinja's autoescape."""
    from .markup import prose_html, with_notation
    from .templating import render_template

    notation = notation or doc.notation

    def part(p):
        return render_html_fragment(p, notation) if not isinstance(p, str) else prose_html(with_notation(p, notation))

    return render_template("handout.html.j2", {"part": part}, doc=doc)


def render_html(obj, notation: Notation = DEFAULT) -> str:
    """A complete page: a Document as it is, anything else as a one-item document titled by it."""
    if isinstance(obj, Document):
        return render_document_html(obj, notation)
    title = getattr(obj, "title", "") or getattr(obj, "name", "") or type(obj).__name__
    doc = Document(title=title, sections=(Section(title="", items=(Item(heading="", answer=(obj,)),)),),
                   notation=notation)
    return render_document_html(doc, notation)
