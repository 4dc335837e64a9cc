"""Text that comes from a user, made safe for every output: invisible characters removed, control
characters and blank lines folded, and escaped for LaTeX (text mode and math mode) so that it prints
literally. Characters the LaTeX fonts cannot print are refused by name and position."""
from __future__ import annotations

import re
import unicodedata

from ..errors import DlderiveError

INVISIBLE = frozenset("\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                      "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff")
"""Bidi controls, zero-width characters and the soft hyphen: removed from every output."""
_INVISIBLE = re.compile("[" + "".join(sorted(INVISIBLE)) + "]")
_FOLD = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_TOML_ESCAPES = {"\t": r"\t (as in \text, \tau)", "\f": r"\f (as in \frac)", "\b": r"\b (as in \beta, \bm)",
                 "\r": r"\r (as in \rho, \right)", "\n": r"\n (as in \nabla, \nu)"}


def fold(text: str) -> str:
    """``text`` as one line: invisible characters removed, runs of spaces, line breaks and control characters one space."""
    return _FOLD.sub(" ", _INVISIBLE.sub("", text)).strip()


def one_line(text: str) -> str:
    """``fold`` without stripping the ends (a run of text between math keeps its spaces)."""
    return _FOLD.sub(" ", _INVISIBLE.sub("", text))


def math_control_problem(math: str) -> str | None:
    """Why ``math`` cannot be used, when it holds a control character (a TOML basic-string escape), else None."""
    m = re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", math)
    if not m:
        return None
    c = m.group()
    named = _TOML_ESCAPES.get(c, f"U+{ord(c):04X}")
    return (f"math ${_FOLD.sub(' ', math)}$ holds the control character {named}: in a TOML \"...\" string "
            f"write \\\\ for a backslash, or use a '...' literal string")


_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", "`": r"\textasciigrave{}", '"': r"\textquotedbl{}",
}

GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon", "ζ": "zeta", "η": "eta",
         "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi",
         "ρ": "rho", "ς": "varsigma", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "varphi", "χ": "chi",
         "ψ": "psi", "ω": "omega", "ϵ": "epsilon", "ϑ": "vartheta", "ϕ": "phi", "ϖ": "varpi", "ϱ": "varrho",
         "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma",
         "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega"}
"""Greek letters as math commands (pdflatex's fonts have no Greek text); the others look like Latin ones."""
_GREEK_LATIN = dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX"))
MATH_SYMBOLS = {"∘": "circ", "⊙": "odot", "∂": "partial", "×": "times", "·": "cdot", "→": "to", "←": "leftarrow",
                "↔": "leftrightarrow", "⇒": "Rightarrow", "⇔": "Leftrightarrow", "≤": "le", "≥": "ge",
                "≠": "neq", "≈": "approx", "≡": "equiv", "±": "pm", "∓": "mp", "÷": "div", "∞": "infty",
                "∑": "sum", "∏": "prod", "√": "surd", "∈": "in", "∉": "notin", "⊂": "subset", "⊆": "subseteq",
                "∪": "cup", "∩": "cap", "∀": "forall", "∃": "exists", "∇": "nabla", "⊗": "otimes", "⊕": "oplus",
                "′": "prime", "∅": "emptyset", "⟨": "langle", "⟩": "rangle", "∝": "propto", "∼": "sim",
                "ℝ": "mathbb{R}", "ℕ": "mathbb{N}", "ℤ": "mathbb{Z}", "ℓ": "ell", "−": "-", "⋯": "cdots",
                "…": "ldots", "°": "^{\\circ}"}
"""Unicode math symbols as LaTeX math (commands without their backslash, or the plain character)."""
_TEXT_UNICODE = {"–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "„": ",,", "€": r"\texteuro{}", "£": r"\pounds{}", "§": r"\S{}", "¶": r"\P{}",
                 "©": r"\copyright{}", "®": r"\textregistered{}", "™": r"\texttrademark{}", "•": r"\textbullet{}",
                 "\u00a0": "~", "¡": r"\textexclamdown{}", "¿": r"\textquestiondown{}", "ß": r"\ss{}",
                 "æ": r"\ae{}", "Æ": r"\AE{}", "ø": r"\o{}", "Ø": r"\O{}", "œ": r"\oe{}", "Œ": r"\OE{}",
                 "å": r"\aa{}", "Å": r"\AA{}", "ł": r"\l{}", "Ł": r"\L{}", "ı": r"\i{}"}
_ACCENTS = {"\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0308": '"', "\u0304": "=", "\u0307": ".",
            "\u0306": "u", "\u030c": "v", "\u030b": "H", "\u0327": "c", "\u030a": "r"}

UNICODE_FONT = "DejaVu Serif"
"""The text font of a handout that needs lualatex or xelatex (fontspec); it covers the ranges below."""
UNICODE_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x377), (0x37A, 0x37F), (0x384, 0x3E1), (0x3F0, 0x45F),
                  (0x1E00, 0x1EFB), (0x1F00, 0x1FFE), (0x2010, 0x2026), (0x2030, 0x203A), (0x2070, 0x209C),
                  (0x20AC, 0x20AC), (0x2190, 0x21FF), (0x2200, 0x2200))
"""Latin, Greek, Cyrillic, punctuation, super- and subscripts and arrows: what ``UNICODE_FONT`` prints."""


def _in_font(c: str) -> bool:
    o = ord(c)
    return any(lo <= o <= hi for lo, hi in UNICODE_RANGES) and unicodedata.category(c) != "Cn"


def _accented(c: str) -> str | None:
    """``é`` as ``\\'{e}``: a Latin letter with one combining accent, in pdflatex's terms."""
    parts = unicodedata.normalize("NFD", c)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() and parts[1] in _ACCENTS:
        letter = {"i": "\\i", "j": "\\j"}.get(parts[0], parts[0])
        return f"\\{_ACCENTS[parts[1]]}{{{letter}}}"
    return None


def _math_command(name: str) -> str:
    return name if not name[0].isalpha() else "\\" + name


def pdflatex_text(c: str) -> str | None:
    """How pdflatex's standard fonts print the character ``c`` in text, or None when they cannot."""
    if c.isascii():
        return _TEXT_ESCAPES.get(c, c)
    if c in _TEXT_UNICODE:
        return _TEXT_UNICODE[c]
    if c in GREEK:
        return f"\\ensuremath{{\\{GREEK[c]}}}"
    if c in _GREEK_LATIN:
        return _GREEK_LATIN[c]
    if c in MATH_SYMBOLS:
        return f"\\ensuremath{{{_math_command(MATH_SYMBOLS[c])}{{}}}}"
    return _accented(c)


def unprintable(text: str, what: str = "the text") -> DlderiveError | None:
    """A DlderiveError naming the first character of ``text`` no LaTeX font of a handout prints (CJK, emoji...)."""
    for i, c in enumerate(_INVISIBLE.sub("", text)):
        if not (c in "\n\t" or _in_font(c) or pdflatex_text(c) is not None or unicodedata.category(c) in ("Cc", "Zl", "Zp")):
            name = unicodedata.name(c, "unnamed")
            return DlderiveError(f"character {c!r} (U+{ord(c):04X} {name}) at position {i + 1} of {what} "
                                 f"cannot be typeset in LaTeX: the fonts cover Latin, Greek and Cyrillic")
    return None


def needs_unicode_engine(text: str) -> str | None:
    """The first character of ``text`` that pdflatex cannot print but lualatex/xelatex with ``UNICODE_FONT`` can."""
    for c in text:
        if not c.isascii() and pdflatex_text(c) is None and c not in INVISIBLE and _in_font(c):
            return c
    return None


def escape_latex(text: str) -> str:
    """``text`` folded to one line as LaTeX text mode source that prints it literally (no command can be
    injected); characters pdflatex cannot print are left for lualatex/xelatex, and those no font prints
    (which a handout refuses when it is loaded) written as their code point, [U+4E2D]."""
    out = []
    for c in one_line(text):
        mapped = pdflatex_text(c)
        out.append(mapped if mapped is not None else c if _in_font(c) else f"[U+{ord(c):04X}]")
    return "".join(out)


_MATH_SPECIALS = {"&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$", "_": r"\_", "{": r"\{", "}": r"\}",
                  "~": r"\sim", "^": r"\hat{}", "\\": r"\setminus", "<": "<", ">": ">", "|": "|", '"': "''"}
_MATH_UNICODE = {c: _math_command(n) for c, n in {**GREEK, **MATH_SYMBOLS}.items()}


def unicode_in_math(tex: str) -> str:
    """Math with its Unicode Greek letters and symbols as LaTeX commands (σ -> \\sigma )."""
    return "".join(_MATH_UNICODE[c] + (" " if _MATH_UNICODE[c][-1].isalpha() else "") if c in _MATH_UNICODE
                   else c for c in tex)


def text_in_math(text: str) -> str:
    """Math-mode LaTeX showing ``text`` literally, alike in pdflatex and latex2mathml (``\\text{...}`` runs)."""
    out, run = [], []

    def flush():
        if run:
            out.append("\\text{" + "".join(run) + "}")
            run.clear()

    for c in fold(text):
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
