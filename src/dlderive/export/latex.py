"""LaTeX renderer: a derivation as one ``align*`` block, each line's rule beside it."""
from __future__ import annotations

from functools import singledispatch

from ..notation import DEFAULT, Notation
from ..steps import Derivation
from .linebreak import balance, break_expr, visual_width
from .printer import as_basic, latex_expr, relation_between

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}",
}


def escape_latex(text: str) -> str:
    """``text`` as LaTeX text mode source that prints it literally (no command can be injected)."""
    return "".join(_TEXT_ESCAPES.get(c, c) for c in text)


RELATION_LATEX = {"=": "=", "iff": r"\iff", "in": r"\in"}

_MATH_SPECIALS = {"&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$", "_": r"\_", "{": r"\{", "}": r"\}",
                  "~": r"\sim", "^": r"\hat{}", "\\": r"\setminus", "<": "<", ">": ">", "|": "|", '"': "''"}
_MATH_UNICODE = {"σ": r"\sigma", "∘": r"\circ", "⊙": r"\odot", "∂": r"\partial", "−": "-", "×": r"\times",
                 "·": r"\cdot", "→": r"\to", "≤": r"\le", "≥": r"\ge", "′": r"\prime", "≠": r"\neq",
                 "≈": r"\approx", "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta",
                 "θ": r"\theta", "λ": r"\lambda", "μ": r"\mu", "τ": r"\tau", "φ": r"\phi", "η": r"\eta"}


def text_in_math(text: str) -> str:
    """Math-mode LaTeX showing ``text`` literally, alike in pdflatex and latex2mathml (``\\text{...}`` runs)."""
    out, run = [], []

    def flush():
        if run:
            out.append("\\text{" + "".join(run) + "}")
            run.clear()

    for c in text:
        if c.isascii() and (c.isalnum() or c in " .,;:!?'()/-+=*[]@") or (not c.isascii() and c.isalpha()
                                                                          and c not in _MATH_UNICODE):
            run.append(c)
        else:
            flush()
            out.append(_MATH_SPECIALS.get(c) or _MATH_UNICODE.get(c) or "?")
            if out[-1].startswith("\\") and out[-1][1:].isalpha():
                out[-1] += " "
    flush()
    return "".join(out)


def uses_total_derivative(d: Derivation) -> bool:
    """Single-variable derivations (σ'(z)) write d/dz; all others ∂."""
    return d.name == "sigmoid"


LINE_WIDTH = 62
"""Printed width of one align* line (A4, 11pt, 2.4 cm margins), in characters of math."""


def derivation_lines(d: Derivation, notation: Notation = DEFAULT,
                     width: float = LINE_WIDTH) -> list[tuple[str, str, str, str]]:
    """(lhs, relation, rhs, rule) LaTeX rows; lhs is empty on a row that continues the previous one.

    A right-hand side too wide for ``width`` continues on rows of its own, indented by a quad.
    """
    total = uses_total_derivative(d)

    cache: dict = {}

    def tex(e, keep_order=None):
        key = (e, keep_order)
        if key not in cache:
            cache[key] = latex_expr(e, notation, d.form, d.kinds, total, keep_order)
        return cache[key]

    lines, previous = [], None
    for step in d.steps:
        lhs = "" if previous is not None and step.lhs == previous else tex(as_basic(step.lhs))
        budget = width - visual_width(lhs) - 0.8 * len(step.rule) - 6
        rows = balance(break_expr(as_basic(step.rhs), tex, budget))
        lines.append((lhs, RELATION_LATEX[relation_between(step.lhs, step.rhs)], rows[0], step.rule))
        lines += [("", "", "\\quad " + row, "") for row in rows[1:]]
        previous = step.rhs
    return lines


def align(lines: list[tuple[str, str, str, str]]) -> str:
    """An ``align*`` block: ``lhs &= rhs && \\text{rule}`` per line, joined by a plain ``\\\\``."""
    body = " \\\\\n".join(
        f"{lhs} &{rel + ' ' if rel else ''}{rhs}" + (f" && {text_in_math(rule)}" if rule else "")
        for lhs, rel, rhs, rule in lines
    )
    return "\\begin{align*}\n" + body + "\n\\end{align*}"


@singledispatch
def render_latex(obj, notation: Notation = DEFAULT) -> str:
    """``obj`` as LaTeX ``align*`` blocks; conv and network results render through their derivations."""
    from . import derivations_of
    return "\n".join(render_latex(d, notation) for d in derivations_of(obj))


@render_latex.register
def _(d: Derivation, notation: Notation = DEFAULT) -> str:
    return align(derivation_lines(d, notation))


def result_latex(d: Derivation, notation: Notation = DEFAULT) -> str:
    """The established relation ``lhs = rhs`` as one line of LaTeX math."""
    final = d.final
    total = uses_total_derivative(d)
    rel = RELATION_LATEX[relation_between(final.lhs, final.rhs)]
    return (latex_expr(final.lhs, notation, d.form, d.kinds, total) + f" {rel} "
            + latex_expr(final.rhs, notation, d.form, d.kinds, total))


UNICODE_CHARACTERS = {
    "03C3": r"\ensuremath{\sigma}", "2218": r"\ensuremath{\circ}", "2299": r"\ensuremath{\odot}",
    "2202": r"\ensuremath{\partial}", "2212": r"\ensuremath{-}", "00D7": r"\ensuremath{\times}",
    "00B7": r"\ensuremath{\cdot}", "2192": r"\ensuremath{\to}", "2264": r"\ensuremath{\le}",
    "2265": r"\ensuremath{\ge}", "2032": r"\ensuremath{'}", "2260": r"\ensuremath{\neq}",
    "2248": r"\ensuremath{\approx}", "2026": r"\ldots{}", "2014": "---", "2013": "--",
}
"""Unicode characters that may appear in user text, mapped for pdflatex."""


def render_document_latex(doc, notation: Notation | None = None) -> str:
    """A standalone article (pdflatex, amsmath) for a ``Document``."""
    from .markup import prose_latex, with_notation
    from .templating import render_template

    notation = notation or doc.notation

    def part(p):
        return render_latex(p, notation) if not isinstance(p, str) else prose_latex(with_notation(p, notation))

    return render_template("handout.tex.j2", {"tex": escape_latex, "part": part}, doc=doc,
                           unicode_chars=sorted(UNICODE_CHARACTERS.items()))
