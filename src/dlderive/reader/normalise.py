"""Math as written -> the text the grammar reads: markup that does not change the meaning taken away.

Each pass is a regular-expression rewrite; every character of the result remembers the character of
the written math it came from, so that positions in errors and term sources refer to what was written."""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Mapped:
    """A string and, for each of its characters, the offset in the original text it came from."""

    text: str
    origin: list = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> "Mapped":
        return cls(text, list(range(len(text))))

    def sub(self, pattern: re.Pattern, repl) -> "Mapped":
        """Like ``pattern.sub(repl, text)``; ``repl(match)`` returns the replacement text."""
        out, origin, last = [], [], 0
        for m in pattern.finditer(self.text):
            out.append(self.text[last:m.start()])
            origin.extend(self.origin[last:m.start()])
            new = repl(m)
            if new == m.group():
                out.append(new)
                origin.extend(self.origin[m.start():m.end()])
            else:
                out.append(new)
                anchor = self.origin[m.start()] if m.start() < len(self.origin) else (self.origin[-1] + 1 if self.origin else 0)
                span, last_new = m.end() - m.start(), max(len(new) - 1, 1)
                # the first and the last character of the rewrite map to those of what it replaces
                origin.extend(self.origin[m.start() + (i * (span - 1) + last_new // 2) // last_new] if span else anchor
                              for i in range(len(new)))
            last = m.end()
        out.append(self.text[last:])
        origin.extend(self.origin[last:])
        return Mapped("".join(out), origin)

    def source(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that the characters start..end of this text came from."""
        if not self.origin:
            return 0, 0
        a = self.origin[min(start, len(self.origin) - 1)]
        b = self.origin[min(max(end - 1, start), len(self.origin) - 1)] + 1
        return a, max(a, b)


def _blank(m: re.Match) -> str:
    return " " * len(m.group())


_UNICODE = {
    "’": "'", "′": "'", "″": "''", "‘": "'", "−": "-", "–": "-", "·": r" \cdot ", "×": r" \times ",
    "∘": r" \circ ", "⊙": r" \odot ", "≤": r" \le ", "≥": r" \ge ", "≠": r" \neq ", "≈": r" \approx ",
    "⇒": r" \Rightarrow ", "⟹": r" \implies ", "→": r" \to ", "⇔": r" \iff ", "∂": r"\partial ",
    "∑": r"\sum ", "Σ": r"\sum ", "∏": r"\prod ", "∈": r" \in ", "√": r"\sqrt ", "∞": r"\infty ",
    "ᵀ": r"^{T}", "²": "^{2}", "³": "^{3}", "⋯": r" \cdots ", "…": r" \ldots ", "∇": r"\nabla ",
    "α": r"\alpha ", "β": r"\beta ", "γ": r"\gamma ", "δ": r"\delta ", "ε": r"\epsilon ", "η": r"\eta ",
    "θ": r"\theta ", "λ": r"\lambda ", "μ": r"\mu ", "π": r"\pi ", "ρ": r"\rho ", "σ": r"\sigma ",
    "τ": r"\tau ", "φ": r"\phi ", "ω": r"\omega ", "Δ": r"\Delta ", "ℓ": r"\ell ", "ŷ": r"\hat{y}",
    "＋": "+", "∗": "*", "\u00a0": " ", "\u2009": " ", "\u200b": " ",
}
_UNICODE_RE = re.compile("|".join(map(re.escape, _UNICODE)))
_BRACED = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
_ARG = rf"(?:{_BRACED}|\\?[A-Za-z0-9])"
_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_NAMED = r"(?:\\[A-Za-z]+\s*)?(?:\{[^{}]*\}|[A-Za-z])(?:_\{[^{}]*\}|_[A-Za-z0-9])?(?:\^\{[^{}]*\}|\^[A-Za-z0-9])?"
_SLASHED_PARTIAL = re.compile(rf"\\partial\s*({_NAMED})\s*/\s*\\partial\s*({_NAMED})")
_D = r"(?:\\mathrm\{d\}|\\operatorname\{d\}|\\text\{d\}|d)"
_SLASHED_D = re.compile(rf"(?<![A-Za-z\\}}]){_D}\s*({_NAMED})(?![A-Za-z0-9])\s*/\s*{_D}\s*({_NAMED})(?![A-Za-z0-9])")
_WRAPPER = re.compile(r"\\(?:(?:textcolor|colorbox)\s*\{[^{}]*\}|(boxed|fbox|cancel|bcancel|xcancel|mathop|mathrel|mathbin|mathord|ensuremath|smash|"
                      r"mbox|hbox)(?![a-zA-Z]))\s*(?=\{)")
_COLOR = re.compile(rf"\\color\s*{_BRACED}|\\(hspace|vspace|hphantom|vphantom|phantom|kern|"
                    rf"mkern|hskip|vskip)\*?\s*(?:{_BRACED}|-?[\d.]+\s*(?:pt|em|ex|mu|cm|mm))")
_BRACE_NOTE = re.compile(r"\\(underbrace|overbrace|underline|underset|overset|stackrel)(?![a-zA-Z])\s*")
_SIZED = re.compile(r"\\(tiny|scriptsize|footnotesize|small|normalsize|large|Large|LARGE|huge|Huge)(?![a-zA-Z])")
_FRAC_DIGITS = re.compile(r"\\([dt]?frac)\s*([\dA-Za-z])\s*([\dA-Za-z])(?![A-Za-z])")
_FRAC_SHORT = re.compile(r"\\([dt]?frac)\s*(\d|\\?[A-Za-z])\s*(\{)")
_JUSTIFICATION = re.compile(r"&&[^\n]*?(?=\\\\|$)|(?<=\\quad)\s*\(?\\text\{[^{}]*\}\)?\s*(?:\([^()\n]*\))?\s*(?=\\\\|$)"
                            r"|(?<=\\qquad)\s*\(?\\text\{[^{}]*\}\)?\s*(?=\\\\|$)|\(\s*\\text\{[^{}]*\}[^()\n]{0,40}\)"
                            r"|\\text\{\s*\([^{}]*\)\s*\}", re.M)
_TEXT_COMMENT = re.compile(r"\\text(?:bf|it)?\{\s*(?:by|using|from|since|because|chain rule|product rule|quotient rule|"
                           r"substitut\w*|definition|def\.?|eq\.?|note|see|as|cf\.)\b[^{}]*\}[^\\\n]*?(?=\\\\|$)",
                           re.M | re.I)
_DELTA_NAME = re.compile(r"\\(delta|Delta)\s+([a-z](?=[_^])|[A-Z](?![A-Za-z]))")  # δh_t, δW; δ x stays δ·x
_CONDITION = re.compile(r"(?<=[^,;{&\s])\s*((?:\\q?quad\s*)?\\text\{\s*[,;]?\s*(?:for|if|when|where|whenever|with|assuming|given|provided|"
                        r"for all|for every|for each|for any)\s*[,;:]?\s*\})")
_DOT_PRODUCT = re.compile(r"(?<=[\w)}])\s+\.\s+(?=[\w(\\])")  # 3 . 4: a product, not the end of a sentence
_NORM_BAR = re.compile(r"\\\||\\Vert(?![a-zA-Z])")
_NORM_SUP_SUB = re.compile(r"\\rVert\s*(\^\s*(?:\{[^{}]*\}|[A-Za-z0-9]))\s*(_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))")
_INDICATOR_REL = r"[^{}\[\]()]{1,40}?(?:=|\\neq?|<|>|\\leq?|\\geq?)[^{}\[\]()]{1,40}?"
_INDICATOR_SUB = re.compile(rf"\\(mathbb|mathbf|mathds|bm)\{{[1I]\}}_\{{\s*(?:\[|\(|\\\{{)?\s*({_INDICATOR_REL})\s*(?:\]|\)|\\\}})?\s*\}}")
_INDICATOR_I = re.compile(rf"\\(mathbb|mathbf|mathds|bm)\{{I\}}(?=\s*(?:\\left)?\s*(?:[\[(]|\\\{{){_INDICATOR_REL}(?:[\])]|\\\}}))")
_NABLA = re.compile(rf"\\nabla_\s*({_BRACED}|\\[A-Za-z]+|[A-Za-z])\s*({_NAMED}(?:\s*\([^()]{{0,80}}\))?)")
_POSITIVE_PART = re.compile(r"(?<![A-Za-z\\])(\((?:[^()]|\([^()]*\)){1,200}\)|\[(?:[^\[\]]|\[[^\[\]]*\]){1,200}\])\s*_\s*(?:\{\s*\+\s*\}|\+)")
_DIGIT_GROUP = re.compile(r"(?<=\d)(?:\\,|\{,\}|\\ |~|\\;)(?=\d{3}(?!\d))")  # 10\,000 and 86{,}704{,}128
_SCIENTIFIC = re.compile(r"(?<![A-Za-z_\\.\d])(\d+(?:\.\d+)?|\.\d+)[eE]([+-]?\d{1,3})(?![A-Za-z0-9.{^])")  # 1e-3, 2.5E+4
_DIV_SUM = re.compile(r"/\s*(?=\\(sum|prod)(?![a-zA-Z]))")
_COND_NAME = r"\\?[A-Za-z]+(?:_\{[^{}]{1,10}\}|_[A-Za-z0-9])?"
_PAREN_CONDITION = re.compile(rf"\\q?quad\s*(\()\s*{_COND_NAME}\s*(?:=|\\neq?|<|>|\\leq?|\\geq?|\\in(?![a-zA-Z]))\s*"
                              rf"(?:{_COND_NAME}|\d+|\\mathbb\{{[NZR]\}})\s*(\))")
_SPACED_CONDITION = re.compile(r"(?<=quad)\s+(?=([A-Za-z])\s*(?:=|\\neq?(?![A-Za-z]))\s*([A-Za-z])\s*[,.]?\s*(?:\\\\|$))")
_SUBSCRIPT = re.compile(r"_\{([^{}]*)\}|_([A-Za-z])")
_MATRIX = re.compile(r"\\begin\{([pbvBV]?matrix|array|cases|dcases|rcases)\}.*?\\end\{\1\}", re.S)
_OTHERWISE = re.compile(r"\\text\{\s*(?:otherwise|else|o\.w\.|elsewhere)\s*\.?\s*\}|(?<=\x1e)\s*(?:otherwise|else)\b")
_CASE_IF = re.compile(r"\\text\{\s*,?\s*(?:if|for|when|where)\s*\}|\\mathrm\{\s*if\s*\}|(?<=\x1e)\s*if\b")
_ROW_END_OP = re.compile(r"(?:=|\+|-|\\cdot|\\times|\\circ|\\odot|\\approx|\\implies|\\Rightarrow)\s*(?:&\s*)*"
                         r"(?:\\nonumber\s*|\\notag\s*)?\\\\(?:\[[^\]]*\])?")
_CONTINUED_ROW = re.compile(r"\\\\(?:\[[^\]]*\])?(?=(?:\s|&|\\q?quad\b|\\left\.)*(?:[+\-*]|\\cdot\b|\\times\b|\\circ\b|\\odot\b))")


def normalise(written: str, macros: dict | None = None) -> Mapped:
    """The text for the grammar, with its map back to ``written``; ``macros`` are the document's own
    commands without arguments (\\newcommand{\\out}{\\mathrm{out}})."""
    m = Mapped.of(written)
    if macros:
        pattern = re.compile(r"\\(" + "|".join(map(re.escape, sorted(macros, key=len, reverse=True))) + r")(?![A-Za-z])")
        for _ in range(2):
            m = m.sub(pattern, lambda x: macros[x.group(1)])
    m = m.sub(_UNICODE_RE, lambda x: _UNICODE[x.group()])
    m = m.sub(re.compile(r"\\mathbb\s+([NZRQ])(?![A-Za-z])"), lambda x: f"\\mathbb{{{x.group(1)}}}")
    m = m.sub(_COMMENT, _blank)
    m = m.sub(_SIZED, _blank)
    m = m.sub(_DIGIT_GROUP, lambda x: "")
    m = m.sub(_SCIENTIFIC, lambda x: f"({x.group(1)} \\cdot 10^{{{x.group(2)}}})")
    m = m.sub(_COLOR, _blank)
    m = m.sub(_SLASHED_PARTIAL, lambda x: f"\\frac{{\\partial {x.group(1)}}}{{\\partial {x.group(2)}}}")
    m = m.sub(_SLASHED_D, lambda x: f"\\frac{{d {x.group(1)}}}{{d {x.group(2)}}}")  # dL/dw, \mathrm{d}L/\mathrm{d}w
    m = _unwrap(m)
    m = _drop_brace_notes(m)
    m = m.sub(_FRAC_DIGITS, lambda x: f"\\{x.group(1)}{{{x.group(2)}}}{{{x.group(3)}}}")
    m = m.sub(_FRAC_SHORT, lambda x: f"\\{x.group(1)}{{{x.group(2)}}}{x.group(3)}")
    m = m.sub(_JUSTIFICATION, _blank)
    m = m.sub(_DOT_PRODUCT, lambda x: " \\cdot ")
    m = _paren_conditions(m)
    m = m.sub(_SPACED_CONDITION, _spaced_condition)
    m = m.sub(_CONDITION, lambda x: ", " + x.group(1))
    m = m.sub(_TEXT_COMMENT, _blank)
    m = m.sub(_DELTA_NAME, lambda x: f"{x.group(1)}{x.group(2)}")  # δh_t: the gradient's own name
    m = _pair_norms(m)
    m = m.sub(_NORM_SUP_SUB, lambda x: f"\\rVert{x.group(2)}{x.group(1)}")  # ‖x‖^2_2 -> ‖x‖_2^2
    m = m.sub(_INDICATOR_SUB, lambda x: f"\\{x.group(1)}{{1}}[{x.group(2)}]")  # 𝟙_{i=j}, 𝟙_{[i=j]} -> 𝟙[i=j]
    m = m.sub(_INDICATOR_I, lambda x: f"\\{x.group(1)}{{1}}")  # 𝕀[i = j] -> 𝟙[i = j]
    m = m.sub(_NABLA, lambda x: f"\\frac{{\\partial {x.group(2)}}}{{\\partial {x.group(1)}}}")  # ∇_w L -> ∂L/∂w
    m = m.sub(_POSITIVE_PART, lambda x: f"\\max(0, {x.group(1)[1:-1]})")  # (z)_+, [1 - m]_+: the positive part
    m = _wrap_powered_arguments(m)
    m = _nest_applications(m)
    m = _wrap_sums(m)
    m = _wrap(m, _DIV_SUM, _sum_extent)  # a / \sum_k x_k -> a / (\sum_k x_k)
    m = m.sub(_MATRIX, _mark_environment)
    m = m.sub(_ROW_END_OP, lambda x: re.sub(r"\\\\(\[[^\]]*\])?$", lambda y: " " * len(y.group()), x.group()))
    m = m.sub(_CONTINUED_ROW, _blank)
    return m


def _paren_conditions(m: Mapped) -> Mapped:
    """``\\quad (i \\neq j)`` -> ``\\quad \\text{for} i \\neq j``: a relation of a name with a name or a number, in
    parentheses after a space, is a condition (``\\quad (2 + 2 = 5)`` stays a claim)."""
    for _ in range(20):
        found = _PAREN_CONDITION.search(m.text)
        if not found:
            return m
        (a, _), (b, _) = found.span(1), found.span(2)
        text = m.text[:a] + "\\text{for} " + m.text[a + 1:b] + " " + m.text[b + 1:]
        origin = m.origin[:a] + [m.origin[a]] * 11 + m.origin[a + 1:b] + [m.origin[b]] + m.origin[b + 1:]
        m = Mapped(text, origin)
    return m


def _spaced_condition(found: re.Match) -> str:
    """``… = -p_i p_j \\qquad i \\ne j`` -> ``… \\qquad \\text{for} i \\ne j``: two letters that are subscripts of
    the relation before, compared at the end of a row after a space, are a case of its indices."""
    row = found.string[:found.start()].rsplit("\\\\", 1)[-1]
    subscripts = "".join(braced + single for braced, single in _SUBSCRIPT.findall(row))
    a, b = found.group(1), found.group(2)
    if a == b or a not in subscripts or b not in subscripts or not re.search(r"\\q?quad$", row):
        return found.group()
    return " \\text{for} "


def _pair_norms(m: Mapped) -> Mapped:
    """``\\|x\\|`` -> ``\\lVert x\\rVert``: the bars of a norm, alike when written, opened and closed in turn."""
    bars = iter(range(10**9))
    return m.sub(_NORM_BAR, lambda x: "\\rVert " if next(bars) % 2 else "\\lVert ")


def _unwrap(m: Mapped) -> Mapped:
    """``\\boxed{X}`` -> `` X ``: the command and its braces become spaces (X may hold relations)."""
    text = list(m.text)
    for found in _WRAPPER.finditer(m.text):
        end = _brace_end(m.text, found.end())
        if end < 0:
            continue
        for i in range(found.start(), found.end() + 1):
            text[i] = " "
        text[end - 1] = " "
    return Mapped("".join(text), m.origin)


_LOG_SUM = re.compile(r"\\(log|ln|exp)(?![a-zA-Z])\s*(?=\\(sum|prod)(?![a-zA-Z]))")


def _wrap(m: Mapped, pattern: re.Pattern, extent) -> Mapped:
    """Parentheses around what follows each match of ``pattern``, up to ``extent(text, start)`` (-1: none)."""
    for _ in range(20):
        found = pattern.search(m.text)
        if not found:
            return m
        end = extent(m.text, found.end())
        if end < 0:
            return m
        m = _parenthesize(m, found.end(), end)
    return m


def _sum_extent(text: str, start: int) -> int:
    """Where a sum that starts at ``start`` ends: at the next sign at its level."""
    depth = 0
    for i in range(start + 4, len(text)):
        ch = text[i]
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            if depth == 0:
                return i
            depth -= 1
        elif depth == 0 and (ch in "+-=<>&," or text.startswith("\\\\", i) or _SUM_STOP.match(text, i)):
            return i
    return len(text)


_SUM_STOP = re.compile(r"\\(approx|leq?|geq?|neq?|lt|gt|sim|simeq|equiv|in|implies|Rightarrow|to|iff|q?quad|text|"
                       r"coloneqq|leftarrow|gets)(?![a-zA-Z])")


def _call_extent(text: str, start: int) -> int:
    """Where the function application that starts at ``start`` ends: after its closing parenthesis."""
    open_at = text.index("(", start)
    depth = 0
    for i in range(open_at, min(len(text), open_at + 5000)):
        depth += (text[i] == "(") - (text[i] == ")")
        if depth == 0:
            return i + 1
    return -1


def _wrap_sums(m: Mapped) -> Mapped:
    r"""``\log \sum_j e^{z_j}`` -> ``\log(\sum_j e^{z_j})``: the sum runs to the next sign at its level."""
    return _wrap(m, _LOG_SUM, _sum_extent)


def _nest_applications(m: Mapped) -> Mapped:
    r"""``\ln\sigma(x)`` -> ``\ln(\sigma(x))``: a function applied to a function application."""
    return _wrap(m, _OUTER, _call_extent)


def _parenthesize(m: Mapped, start: int, end: int) -> Mapped:
    """The text with ( ) around start..end; the parentheses map to the ends of what they enclose."""
    text = m.text[:start] + "(" + m.text[start:end] + ")" + m.text[end:]
    origin = m.origin[:start] + [m.origin[start]] + m.origin[start:end] + [m.origin[max(end - 1, 0)]] + m.origin[end:]
    return Mapped(text, origin)


_POWERED = (r"(?:\\(?:hat|tilde|bar|vec|mathbf|boldsymbol|bm|mathcal)\s*(?:\{[^{}]*\}|[A-Za-z])|\\(?!sum|prod|int|lim|left|big|Big|frac|sqrt)[A-Za-z]+|"
            r"[A-Za-z]|\d+(?:\.\d+)?)(?:_(?:\{[^{}]*\}|[A-Za-z0-9]))?\s*\^\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|[A-Za-z0-9])")
_FUNC_POWERED = re.compile(rf"\\(log|ln|exp|tanh|sinh|cosh|sin|cos)(?![a-zA-Z])(?:_[0-9e]|_\{{(?:[0-9]{{1,3}}|e)\}})?\s*(?={_POWERED})")
_POWERED_RE = re.compile(_POWERED)


def _wrap_powered_arguments(m: Mapped) -> Mapped:
    r"""``\log x^2`` -> ``\log(x^2)``, ``\log \hat y^{(i)}`` -> ``\log(\hat y^{(i)})``: a function written without
    parentheses applies to its operand with the operand's superscript, as in print."""
    return _wrap(m, _FUNC_POWERED, lambda text, start: _POWERED_RE.match(text, start).end())


_OUTER = re.compile(r"\\(ln|log|exp|tanh|sigma|sqrt)(?![a-zA-Z])\s*(?=\\(sigma|tanh|exp|log|ln|cosh|sinh)(?![a-zA-Z])\s*(\\left)?\s*\()")


def _mark_environment(m: re.Match) -> str:
    """Inside matrices and cases ``&`` and ``\\\\`` separate entries; in cases, words mark conditions."""
    body = m.group().replace("\\\\", "\x1f\x1f").replace("&", "\x1e")
    if m.group(1).endswith("cases"):
        body = _OTHERWISE.sub(lambda x: "\x1d" + " " * (len(x.group()) - 1), body)
        body = _CASE_IF.sub(_blank, body)
    return body


def _drop_brace_notes(m: Mapped) -> Mapped:
    r"""``\underbrace{X}_{note}`` -> ``{X}``; ``\overset{a}{=}`` -> ``=``; ``\underset{a}{X}`` -> ``{X}``."""
    for _ in range(20):
        found = _BRACE_NOTE.search(m.text)
        if not found:
            return m
        name, pos = found.group(1), found.end()
        first_end = _brace_end(m.text, pos)
        if first_end < 0:
            return m.sub(re.compile(re.escape(found.group()) + r"$|" + re.escape(found.group())), _blank)
        if name in ("underbrace", "overbrace"):
            after = re.compile(r"\s*[_^]\s*" + _ARG).match(m.text, first_end)
            cut = [(found.start(), found.end())] + ([(after.start(), after.end())] if after else [])
        elif name == "underline":
            cut = [(found.start(), found.end())]
        else:  # \overset{a}{X}, \underset{a}{X}, \stackrel{a}{X}: X stays
            second = re.compile(r"\s*\{").match(m.text, first_end)
            second_end = _brace_end(m.text, second.end() - 1) if second else -1
            if second_end < 0:
                return m
            inner = m.text[second.end():second_end - 1].strip()
            note = m.text[pos + 1:first_end - 1]
            if inner == "=" and re.search(r"def|\\triangle|:", note):
                inner = ":="
            cut = [(found.start(), second.end())] + [(second_end - 1, second_end)]
            if re.fullmatch(r"=|:=|\\approx|<|>|\\le|\\ge|\\leq|\\geq", inner):
                text = m.text[:found.start()] + " " + inner + " " + m.text[second_end:]
                origin = m.origin[:found.start()] + [m.origin[found.start()]] * (len(inner) + 2) + m.origin[second_end:]
                m = Mapped(text, origin)
                continue
        text, origin, last = [], [], 0
        for a, b in cut:
            text.append(m.text[last:a])
            origin.extend(m.origin[last:a])
            last = b
        text.append(m.text[last:])
        origin.extend(m.origin[last:])
        m = Mapped("".join(text), origin)
    return m


def _brace_end(text: str, pos: int) -> int:
    """The index just after the group that opens at ``text[pos] == '{'`` (after spaces), or -1."""
    while pos < len(text) and text[pos] == " ":
        pos += 1
    if pos >= len(text) or text[pos] != "{":
        return -1
    depth = 0
    for i in range(pos, min(len(text), pos + 5000)):
        if text[i] == "{" and text[i - 1:i] != "\\":
            depth += 1
        elif text[i] == "}" and text[i - 1:i] != "\\":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1
