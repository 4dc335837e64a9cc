"""The Markdown subset of handout prose: paragraphs, ``- `` lists, **bold**, *italic*, `code`, $math$.

User text is escaped for every output; math is passed on only if every command in it is allowed.
"""
from __future__ import annotations

import re

from markupsafe import Markup, escape

from ..errors import DlderiveError
from ..functions import REGISTRY
from .escape import INVISIBLE, escape_latex, math_control_problem, one_line, unicode_in_math
from .mathml import to_mathml

ALLOWED_COMMANDS = frozenset({f.latex[1:] for f in REGISTRY.values() if f.latex[1:].isalpha()} | set("""
alpha beta gamma delta epsilon varepsilon zeta eta theta lambda mu nu xi pi rho sigma tau phi varphi
chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega
frac partial circ odot otimes cdot times left right lfloor rfloor lceil rceil sum prod sqrt
exp log ln tanh sin cos max min le ge leq geq neq ne approx equiv in notin to rightarrow Rightarrow
implies mapsto infty ldots cdots dots quad qquad prime top mid mathbb mathbf mathrm operatorname text
hat tilde bar vec dot widehat widetilde overline mathcal boldsymbol bm mathit mathsf langle rangle lvert rvert lVert rVert nabla forall exists cup cap subset
""".split()))
"""LaTeX commands allowed inside $...$ in handout prose: math only, nothing that reads or writes files."""

_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_INLINE = re.compile(r"(?P<math>\$[^$\n]+\$)|(?P<bold>\*\*[^*\n]+\*\*)|(?P<italic>\*[^*\n]+\*)|(?P<code>`[^`\n]+`)")
MAX_PROSE = 20_000


_SYM = re.compile(r"\\sym\{([A-Za-z][A-Za-z0-9_]{0,40})\}")


def with_notation(text: str, notation) -> str:
    """Prose with ``\\sym{W_f}`` written as the notation's name (W^{f}, W_{if}, ...) and ``\\hadamard`` as its product."""
    text = _SYM.sub(lambda m: notation.symbol(m.group(1)), text)
    return text.replace("\\hadamard", notation.hadamard + " ")


def check_math(tex: str) -> str:
    """``tex`` as handout math for every output: Unicode symbols as commands, a bare ``%``, ``#`` or ``&``
    escaped; a DlderiveError naming what is wrong when a command is not allowed, a brace is unmatched or a
    control character (a TOML escape such as \\t from \\text) is in it."""
    problem = math_control_problem(tex)
    if problem:
        raise DlderiveError(problem)
    if not tex.strip():
        raise DlderiveError("empty math $ $ (write \\$ for a dollar sign)")
    tex = _BARE.sub(lambda m: m.group(1) + "\\" + m.group(2),
                    unicode_in_math("".join(c for c in tex if c not in INVISIBLE)))
    shown = one_line(tex)  # messages are one line
    for m in _COMMAND.finditer(tex):
        name = m.group(1)
        if name.isalpha() and name not in ALLOWED_COMMANDS:
            raise DlderiveError(f"math command \\{name} is not allowed in handout text (in ${shown}$)")
        if not name.isalpha() and name not in "{}\\,;:! |_^&#%$":
            raise DlderiveError(f"math command \\{name} is not allowed in handout text (in ${shown}$)")
    if "^^" in tex:
        raise DlderiveError(f"^^ (TeX character codes) is not allowed in handout math (in ${shown}$)")
    depth = 0
    for m in _GROUPING.finditer(tex):
        depth += {"{": 1, "}": -1}.get(m.group(), 0)
        if depth < 0:
            raise DlderiveError(f"a }} without its {{ in math ${shown}$ (write \\}} for a brace that shows)")
    if depth:
        raise DlderiveError(f"a {{ without its }} in math ${shown}$ (write \\{{ for a brace that shows)")
    for m in re.finditer(r"[^\x00-\x7f]", _TEXT_GROUP.sub("", tex)):
        raise DlderiveError(f"character {m.group()!r} (U+{ord(m.group()):04X}) in math ${shown}$: math fonts have "
                            f"no such letter; put it in \\text{{...}} or outside the math")
    return tex


_BARE = re.compile(r"(?<!\\)((?:\\\\)*)([%#&])")
_GROUPING = re.compile(r"\\.|[{}]")
_TEXT_GROUP = re.compile(r"\\text\{[^{}]*\}")


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """Paragraphs and lists: ("p", [text]) or ("ul", [item, ...])."""
    if len(text) > MAX_PROSE:
        raise DlderiveError(f"a paragraph is longer than {MAX_PROSE} characters")
    out = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = [ln.strip() for ln in chunk.split("\n") if ln.strip()]
        if lines and all(ln.startswith("- ") for ln in lines):
            out.append(("ul", [ln[2:] for ln in lines]))
        elif lines:
            out.append(("p", [" ".join(lines)]))
    return out


def inline(text: str):
    """Yield (kind, content) for the runs of one line: text, math, bold, italic, code."""
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            yield "text", text[pos:m.start()]
        kind = m.lastgroup
        body = m.group(kind)
        yield kind, body[1:-1] if kind in ("math", "italic", "code") else body[2:-2]
        pos = m.end()
    if pos < len(text):
        yield "text", text[pos:]


def escape_markdown_text(text: str) -> str:
    """Text for Markdown output: HTML-significant characters as entities, Markdown markers backslashed."""
    text = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]#|$])", r"\\\1", text)


def _math(b: str) -> str:
    return f"${check_math(b)}$"


_NO_HTML = {"<": r"\lt ", ">": r"\gt "}


def _markdown_math(b: str) -> str:
    """Math for a Markdown viewer: < and > as TeX commands (& is \\& already), so that no user text becomes an HTML tag."""
    return "$" + re.sub(r"[<>]", lambda m: _NO_HTML[m.group()], check_math(b)) + "$"


_INLINE_FORMATS = {  # kind -> how LaTeX, HTML and Markdown write a run of that kind
    "math": (_math, lambda b: Markup(to_mathml(check_math(b), display=False)), _markdown_math),
    "bold": (lambda b: f"\\textbf{{{escape_latex(b)}}}", lambda b: Markup("<strong>%s</strong>") % one_line(b),
             lambda b: f"**{escape_markdown_text(b)}**"),
    "italic": (lambda b: f"\\emph{{{escape_latex(b)}}}", lambda b: Markup("<em>%s</em>") % one_line(b),
               lambda b: f"*{escape_markdown_text(b)}*"),
    "code": (lambda b: f"\\texttt{{{escape_latex(b)}}}", lambda b: Markup("<code>%s</code>") % one_line(b),
             lambda b: f"`{one_line(b).replace('`', '')}`"),
    "text": (escape_latex, lambda b: escape(one_line(b)), escape_markdown_text),
}
LATEX, HTML, MARKDOWN = range(3)


def _inline(text: str, fmt: int) -> list:
    """Inline Markdown rendered part by part in format ``fmt`` (LATEX, HTML or MARKDOWN)."""
    return [_INLINE_FORMATS[kind][fmt](body) for kind, body in inline(text)]


def inline_latex(text: str) -> str:
    return "".join(_inline(text, LATEX))


def inline_html(text: str) -> Markup:
    return Markup("").join(_inline(text, HTML))


def inline_markdown(text: str) -> str:
    return "".join(_inline(text, MARKDOWN))


def prose_latex(text: str) -> str:
    """Markdown prose as LaTeX paragraphs and itemize lists."""
    parts = []
    for kind, items in blocks(text):
        if kind == "ul":
            parts.append("\\begin{itemize}\\setlength{\\itemsep}{0pt}\\setlength{\\parskip}{0pt}\n" + "\n".join(f"\\item {inline_latex(i)}" for i in items)
                         + "\n\\end{itemize}")
        else:
            parts.append(inline_latex(items[0]))
    return "\n\n".join(parts)


def prose_html(text: str) -> Markup:
    """Markdown prose as HTML <p> and <ul> elements, every text run escaped."""
    parts = []
    for kind, items in blocks(text):
        if kind == "ul":
            parts.append(Markup("<ul>%s</ul>") % Markup("").join(Markup("<li>%s</li>") % inline_html(i)
                                                                   for i in items))
        else:
            parts.append(Markup("<p>%s</p>") % inline_html(items[0]))
    return Markup("\n").join(parts)


def prose_markdown(text: str) -> str:
    """Markdown prose re-emitted with user text escaped and math checked."""
    parts = []
    for kind, items in blocks(text):
        if kind == "ul":
            parts.append("\n".join(f"- {inline_markdown(i)}" for i in items))
        else:
            parts.append(inline_markdown(items[0]))
    return "\n\n".join(parts)
