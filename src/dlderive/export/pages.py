"""Whole documents: a handout (``Document``) as a LaTeX article, a Markdown file or an HTML page, and any
other result as a one-item HTML page."""
from __future__ import annotations

from ..notation import DEFAULT, Notation
from .document import Document, Item, Section
from .escape import UNICODE_FONT, escape_latex, fold
from .html import render_html_fragment
from .latex import UNICODE_CHARACTERS, render_latex
from .markdown import render_markdown
from .markup import escape_markdown_text, prose_html, prose_latex, prose_markdown, with_notation
from .results import Combined, Table, derivations_of
from .templating import render_template


def _parts(render, prose, notation):
    """A template filter: a Derivation by ``render``, a text part as prose (its \\sym{...} by notation)."""
    return lambda p: prose(with_notation(p, notation)) if isinstance(p, str) else render(p, notation)


def render_document_latex(doc: Document, notation: Notation | None = None) -> str:
    """A standalone article (pdflatex, amsmath) for a ``Document``."""
    notation = notation or doc.notation
    filters = {"tex": escape_latex, "part": _parts(render_latex, prose_latex, notation)}
    chars = sorted(UNICODE_CHARACTERS.items())
    tex = render_template("handout.tex.j2", filters, doc=doc, unicode_chars=chars, unicode=False,
                          unicode_font=UNICODE_FONT)
    if tex.isascii():
        return tex
    return render_template("handout.tex.j2", filters, doc=doc, unicode_chars=chars, unicode=True,
                           unicode_font=UNICODE_FONT)


def needs_unicode_engine(tex: str) -> bool:
    """Whether a handout's LaTeX needs lualatex or xelatex (it sets a Unicode font)."""
    return "\\setmainfont{" in tex


def render_document_markdown(doc: Document, notation: Notation | None = None) -> str:
    """A Markdown handout for a ``Document``: headings, escaped prose, ``$$`` blocks."""
    notation = notation or doc.notation
    text = render_template("handout.md.j2", {"md": escape_markdown_text,
                                             "part": _parts(render_markdown, prose_markdown, notation)}, doc=doc)
    return _squeeze_blank_lines(text)


def render_document_html(doc: Document, notation: Notation | None = None) -> str:
    """A complete HTML page for a ``Document``, every user text escaped by Jinja's autoescape."""
    notation = notation or doc.notation
    def fragment(part, notation):
        return render_html_fragment(part, notation, page=True)

    return render_template("handout.html.j2", {"part": _parts(fragment, prose_html, notation),
                                               "line": fold}, doc=doc)


def render_html(obj, notation: Notation = DEFAULT) -> str:
    """A complete page: a Document as it is, anything else as a one-item document titled by it."""
    if isinstance(obj, Document):
        return render_document_html(obj, notation)
    doc = Document(title=page_title(obj), sections=(Section(title="", items=(Item(heading="", answer=(obj,)),)),),
                   notation=notation)
    return render_document_html(doc, notation)


def page_title(obj) -> str:
    """A result's title, name or file; a list's are joined."""
    if isinstance(obj, (list, tuple)):
        return ", ".join(page_title(o) for o in obj)
    if isinstance(obj, Combined):
        return page_title(obj.parts[0])
    if isinstance(obj, Table):
        return obj.network.name
    found = getattr(obj, "title", "") or getattr(obj, "name", "") or getattr(obj, "file", "")
    return found or derivations_of(obj)[0].title


def _squeeze_blank_lines(text: str) -> str:
    lines, blank = [], 0
    for line in text.splitlines():
        blank = blank + 1 if not line.strip() else 0
        if blank <= 1:
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"
