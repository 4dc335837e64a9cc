"""Text that comes from a user, escaped for LaTeX (text mode and math mode) so that it prints literally."""
from __future__ import annotations

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}",
}


def escape_latex(text: str) -> str:
    """``text`` as LaTeX text mode source that prints it literally (no command can be injected)."""
    return "".join(_TEXT_ESCAPES.get(c, c) for c in text)


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
