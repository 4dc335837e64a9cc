"""A handout as a Jupyter notebook (nbformat 4): prose and math in Markdown cells, and for every catalog
derivation a code cell that derives it again with ``dlderive.derive``, so that running the notebook shows
the same proven steps."""
from __future__ import annotations

import json

from ..derive import DERIVATIONS, derive
from ..errors import DlderiveError
from ..notation import Notation
from ..steps import Derivation
from .document import Document
from .markdown import render_markdown
from .markup import escape_markdown_text, prose_markdown, with_notation


def _markdown(part, notation: Notation) -> str:
    return prose_markdown(with_notation(part, notation)) if isinstance(part, str) else render_markdown(part, notation)


def _code(part) -> str | None:
    """The code that derives ``part`` again: for a derivation of the catalog with its default options."""
    if not (isinstance(part, Derivation) and part.name in DERIVATIONS):
        return None
    try:
        same = derive(part.name, part.form) == part
    except DlderiveError:  # a derivation that needs options (a loss gradient's weight)
        same = False
    return f"dlderive.derive({part.name!r}, form={part.form!r})" if same else None


def notebook_cells(doc: Document, notation: Notation | None = None) -> list[tuple[str, str]]:
    """(cell type, source) of every cell: a title cell, the intro, and per item its question and answer."""
    notation = notation or doc.notation
    md = lambda parts: "\n\n".join(_markdown(p, notation) for p in parts)  # noqa: E731
    byline = " · ".join(escape_markdown_text(t) for t in (doc.author, doc.variant) if t)
    head = f"# {escape_markdown_text(doc.title)}\n\n" + (f"*{byline}*\n\n" if byline else "") + f"**{doc.stamp}**"
    cells = [("markdown", head + ("\n\n" + md(doc.intro) if doc.intro else "")), ("code", "import dlderive")]
    for section in doc.sections:
        text = (f"## {escape_markdown_text(section.title)}" if section.title else "") + (
            "\n\n" + md(section.intro) if section.intro else "")
        if text.strip():
            cells.append(("markdown", text.strip()))
        for item in section.items:
            heading = f"### {escape_markdown_text(item.heading)}\n\n" if item.heading else ""
            cells.append(("markdown", (heading + md(item.question)).strip() or "&nbsp;"))
            if not item.answer:
                continue
            if not doc.answers:
                cells.append(("markdown", "*Your answer:*\n\n" + "&nbsp;\n\n" * max(1, item.space // 2)))
                continue
            for i, part in enumerate(item.answer):
                label = "**Answer.** " if i == 0 else ""
                cells.append(("markdown", label + _markdown(part, notation)))
                code = _code(part)
                if code:
                    cells.append(("code", code))
    return cells


def render_document_ipynb(doc: Document, notation: Notation | None = None) -> str:
    """The notebook of a handout as nbformat 4 JSON, validated against the nbformat schema."""
    import nbformat
    from nbformat import v4
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [v4.new_markdown_cell(src) if kind == "markdown" else v4.new_code_cell(src)
                for kind, src in notebook_cells(doc, notation)]
    nbformat.validate(nb)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
