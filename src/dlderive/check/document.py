"""The document: a file's text, its math (through markdown-it-py, or a LaTeX scanner), text relations, lines.

Markdown goes through a real CommonMark parser with the math plugins of mdit-py-plugins: inline math
across line breaks, ``\\(…\\)``, ``\\[…\\]``, ``$$`` blocks, amsmath environments and ```` ```math ````
fences, in paragraphs, lists, tables and blockquotes; code is never read. A LaTeX document is scanned
once, left to right, for its math. Both are linear in the size of the file."""
from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.texmath import texmath_plugin

from .errors import CheckError
from .limits import MAX_FILE_BYTES, MAX_TEXT_LINE


@dataclass(frozen=True)
class Chunk:
    """A piece of math to read: a display block, inline math, or a relation in running text.

    ``line`` is the 1-based line of its first character; a character ``i`` of ``text`` is on line
    ``line + text.count("\\n", 0, i)``. ``offset`` is where it starts in the file, when known exactly."""

    text: str
    offset: int
    kind: str  # "block" | "inline" | "text"
    line: int = 1
    _column: int = 1
    governs_next: bool = False  # a case of indices that ends its sentence before a display ("When $i = j$:")

    @property
    def column(self) -> int:
        """1-based column of the first character, when the offset is exact (else 1)."""
        return self._column

    def line_of(self, index: int) -> int:
        return self.line + self.text.count("\n", 0, max(0, index))


_RELATIONAL = re.compile(r"=|\\implies|\\Rightarrow|\\iff|\\approx|\\le|\\ge|\\neq?|\\in\b|<|>|\\to\b|\\coloneqq|\\eqqcolon|\\triangleq|\\equiv|\\leftarrow|\\gets\b")
_MODEL = re.compile(r"<!--\s*model\s*:\s*([A-Za-z0-9_.\-/]+)\s*-->|^model\s*:\s*([A-Za-z0-9_.\-/]+)\s*$", re.M)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.use(dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True)
    md.use(amsmath_plugin)
    md.use(texmath_plugin, delimiters="brackets")
    return md


def is_latex(text: str, name: str = "") -> bool:
    """A LaTeX document rather than Markdown: by its name, or by its preamble."""
    if name.endswith((".tex", ".latex")):
        return True
    if name.endswith((".md", ".markdown", ".txt")):
        return False
    return "\\documentclass" in text or "\\begin{document}" in text


def declared_model(text: str) -> str | None:
    """The model a document names for itself: ``<!-- model: lstm -->`` or ``model: lstm`` in front matter."""
    head = text[:4000]
    front = re.match(r"---\n(.*?)\n---\n", head, re.S)
    for m in _MODEL.finditer(head):
        if m.group(1):
            return m.group(1)
        if front and m.start() < front.end():
            return m.group(2)
    m = re.search(r"%\s*model\s*:\s*([A-Za-z0-9_.\-/]+)", head)
    return m.group(1) if m else None


def split_document(text: str, name: str = "") -> list[Chunk]:
    """Every piece of math and every relation in running text, in document order."""
    lines = _Lines(text)
    chunks = _split_latex(text, lines) if is_latex(text, name) else _split_markdown(text, lines)
    chunks = _display_cases(chunks, text)
    out = []
    for c in chunks:
        if not c.text.strip() or (c.kind == "inline" and not _RELATIONAL.search(c.text)):
            continue
        start = lines.start(c.line)
        column = c.offset - start + 1 if start <= c.offset < lines.start(c.line + 1) + 1 else 1
        out.append(dataclasses.replace(c, _column=max(column, 1)))
    return out


class _Lines:
    """Offsets of line starts, to turn offsets into line numbers and back."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def start(self, line: int) -> int:
        """Offset of the 1-based ``line`` (or the end of the text)."""
        return self.starts[line - 1] if 0 < line <= len(self.starts) else len(self.text)


_LOOKALIKE = {"-": "−", "+": "＋", "*": "∗"}


def _protect_wrapped_math(text: str) -> str:
    """A line that starts with "- " inside inline math that wraps (``$a\n- b$``) would start a list:
    its sign becomes a look-alike that the math reader reads back (same length, so offsets stay)."""
    out, odd = [], False
    for row in text.split("\n"):
        if not row.strip():
            odd = False
        elif odd:
            m = re.match(r"(\s{0,3})([-+*])(\s)", row)
            if m:
                row = m.group(1) + _LOOKALIKE[m.group(2)] + row[m.end(2):]
        odd ^= len(re.findall(r"(?<![\\$])\$(?!\$)", row)) % 2 == 1
        out.append(row)
    return "\n".join(out)


def _split_markdown(text: str, lines: _Lines) -> list[Chunk]:
    out: list[Chunk] = []
    cursor = 0
    text = _protect_wrapped_math(text)
    for token in _markdown().parse(text):
        if token.map:
            cursor = max(cursor, lines.start(token.map[0] + 1))
        if token.type in ("math_block", "math_block_label", "amsmath") or (
                token.type == "fence" and token.info.strip().lower() in ("math", "latex", "tex")):
            body = token.content
            found = text.find(body.strip()[:200], cursor) if body.strip() else -1
            if found >= 0:
                lead = len(body) - len(body.lstrip())
                start = found - lead if body.strip() else found
                line = lines.line(found) - body[:lead].count("\n")
                cursor = found + len(body.strip())
            else:
                start = cursor
                line = (token.map[0] + 1 + (0 if token.type == "amsmath" else 1)) if token.map else lines.line(cursor)
            out.append(Chunk(body, max(start, 0), "block", line))
        elif token.type == "inline":
            out += _inline_chunks(token, text, lines, cursor)
    return out


def _bracket_spans(content: str):
    """(start, end) of the math of each \\[…\\] in a paragraph, found in one pass (linear in its length)."""
    pos = 0
    while True:
        start = content.find("\\[", pos)
        if start < 0:
            return
        end = content.find("\\]", start + 2)
        if end < 0:
            return
        yield start + 2, end
        pos = end + 2


def _blank_span(masked: list, content: str, at: int, length: int) -> None:
    """Blank a piece of math or code and its delimiters ($, $$, \\(, `) in the masked copy of a paragraph."""
    lo, hi = at, at + length
    while lo > 0 and content[lo - 1] in "$`(\\":
        lo -= 1
    while hi < len(content) and content[hi] in "$`)\\":
        hi += 1
    for i in range(lo, hi):
        if masked[i] != "\n":
            masked[i] = " "


def _inline_chunks(token, text: str, lines: _Lines, cursor: int) -> list[Chunk]:
    """Inline math of one paragraph (or heading, list item, table cell) and relations in its plain text."""
    out = []
    content = token.content
    first_line = token.map[0] + 1 if token.map else lines.line(cursor)
    base = text.find(content[:80], cursor) if content else -1
    pos = 0
    masked = list(content)
    for child in token.children or []:
        if child.type in ("math_inline", "math_inline_double", "math_single"):
            at = content.find(child.content, pos) if child.content else -1
            if at < 0:
                at = pos
            line = first_line + content.count("\n", 0, at)
            before = content[max(0, pos - 60):max(at - 1, 0)]
            joined = _CONNECTIVE.search(before)
            lead = "" if not joined else "\\iff " if joined.group(1).lower() in _EQUIVALENT else "\\implies "
            if not lead and _CONDITION_WORD.search(before):
                lead = "\\text{for} "  # "at $x = 0$", "for $t \ge 1$": a condition, not a claim
            case = out[-1] if out and out[-1].kind == "case" and out[-1].line == line else None
            governed = out[-1] if out and out[-1].kind == "inline" and out[-1].line == line and \
                _RELATIONAL.search(out[-1].text) else None
            if governed and lead == "\\text{for} " and _INDEX_CASE.fullmatch(child.content) and \
                    _CASE_AFTER.fullmatch(content[case_end:at]):
                # "$A$ when $c = y$": the case and the relation it follows are read as one piece of math
                out[-1] = Chunk(f"{governed.text} \\quad {lead}{child.content}", governed.offset, "inline", line)
            elif case and _CASE_JOIN.fullmatch(content[case_end:at]):
                # "for $i \neq j$, $…$": the case and the relation it governs are read as one piece of math
                out[-1] = Chunk(f"{case.text}, \\quad {child.content}", case.offset, "inline", line)
            else:
                kind = "block" if child.type == "math_inline_double" else "inline"
                if lead == "\\text{for} " and _INDEX_CASE.fullmatch(child.content):
                    kind = "case"
                out.append(Chunk(lead + child.content, (base + at) if base >= 0 else lines.start(line), kind, line))
            case_end = at + len(child.content)
            _blank_span(masked, content, at, len(child.content))
            pos = at + len(child.content)
        elif child.type == "code_inline":
            at = content.find(child.content, pos)
            if at >= 0:
                _blank_span(masked, content, at, len(child.content))
                pos = at + len(child.content)
    for start, end in _bracket_spans(content):  # \[…\] inside a paragraph: CommonMark reads escaped brackets
        line = first_line + content.count("\n", 0, start)
        out.append(Chunk(content[start:end], (base + start) if base >= 0 else lines.start(line), "block", line))
        _blank_span(masked, content, start - 2, end - start + 4)
    # relations in the plain text, read from the source (markdown would take 2*3*4 for emphasis)
    out += _text_chunks("".join(masked), base if base >= 0 else lines.start(first_line), first_line)
    out.sort(key=lambda c: (c.line, c.offset))
    return [dataclasses.replace(c, kind="inline") if c.kind == "case" else c for c in out]


def _display_cases(chunks: list[Chunk], text: str) -> list[Chunk]:
    """A case of indices that ends its sentence right before a display ("When $i = j$:", "For $i \\neq j$, the
    entries are") is marked to govern the display: a condition, not a claim."""
    out = list(chunks)
    for k in range(len(out) - 1):
        c, following = out[k], out[k + 1]
        raw = c.text[len(_FOR):] if c.text.startswith(_FOR) else c.text
        end = c.offset + len(raw)
        if c.kind != "inline" or following.kind != "block" or text[c.offset:end] != raw or \
                not _INDEX_CASE.fullmatch(raw) or following.line - c.line > 3:
            continue
        before = re.sub(r"[$(\\]+$", "", text[max(0, c.offset - 40):c.offset])
        if _CONDITION_WORD.search(before) and _CASE_LEAD_IN.fullmatch(text[end:following.offset]):
            out[k] = dataclasses.replace(c, text=_FOR + raw, governs_next=True)
    return out


_FOR = "\\text{for} "
_CASE_LEAD_IN = re.compile(r"[$)\\]*\s*[,:]?\s*(?:[A-Za-z]+\s+){0,5}?(?:[A-Za-z]+)?\s*[,:]?\s*(?:\$\$|\\\[|\\begin\{[a-z]+\*?\})?"
                           r"\s*", re.I)
"""What may stand between a case and the display it governs: "When $i = j$:", "For $i \\neq j$, the entries are"."""
_INDEX_CASE = re.compile(r"\s*[A-Za-z]\s*(?:=|\\neq?\b|\\ne\b|≠)\s*[A-Za-z]\s*")
"""A case of two indices, i = j or w ≠ o."""
_CASE_JOIN = re.compile(r"[$)\\]*\s*[,:]?\s*(?:(?:we|one) (?:have|get|find)|it is|this is)?\s*[,:]?\s*[$(\\]*", re.I)
"""What may stand between a case and the relation it governs: "for $i = j$, $…$", "if $i \neq j$ we get $…$"."""
_CASE_AFTER = re.compile(r"[$)\\]*\s*,?\s*(?:when|whenever|if|for)\s*[$(\\]*", re.I)
"""What may stand between a relation and the case that follows it: "$…$ when $c = y$"."""
_EQUIVALENT = ("that is", "i.e.", "equivalently")
_CONNECTIVE = re.compile(r"(\bequivalently|\bthat is|\bi\.e\.|\bhence|\bthus|\btherefore|\bwhich gives|\bwhich means|\bimplies|"
                         r"\bso that|\bso|\bwe get)\s*,?\s*(?:for\s+|when\s+)?\$*\s*$", re.I)
"""Words between two pieces of inline math that join them as an implication (or, for "that is", an equivalence)."""
_CONDITION_WORD = re.compile(r"\b(?:at|for|when|whenever|if|unless|assuming|provided)\s*\$*\s*$", re.I)
_TEX_OPEN = re.compile(
    r"(?<!\\)%|\\\(|\\\[|\$\$|(?<!\\)\$|\\begin\{(equation|align|alignat|gather|multline|eqnarray|flalign|"
    r"displaymath|math|dmath)(\*?)\}(\{\d+\})?")


def _split_latex(text: str, lines: _Lines) -> list[Chunk]:
    """Math of a LaTeX document: $…$, $$…$$, \\(…\\), \\[…\\] and the display environments; comments skipped."""
    out: list[Chunk] = []
    body_start = text.find("\\begin{document}")
    pos = body_start + len("\\begin{document}") if body_start >= 0 else 0
    never: set = set()  # closers that do not occur after some point: they are not searched for again
    while True:
        m = _TEX_OPEN.search(text, pos)
        if not m:
            break
        opener = m.group()
        if opener == "%":
            end = text.find("\n", m.end())
            pos = len(text) if end < 0 else end + 1
            continue
        if opener.startswith("\\begin"):
            env = m.group(1) + m.group(2)
            closer, kind = f"\\end{{{env}}}", "block"
        else:
            closer, kind = {"\\(": ("\\)", "inline"), "\\[": ("\\]", "block"), "$$": ("$$", "block"),
                            "$": ("$", "inline")}[opener]
        end = -1 if closer in never else _find_closer(text, closer, m.end(), inline=opener == "$")
        if end < 0:
            if opener != "$":  # not found from here, so not found from any later opener: one search each
                never.add(closer)
            pos = m.end()
            continue
        out.append(Chunk(text[m.end():end], m.end(), kind, lines.line(m.end())))
        pos = end + len(closer)
    return out


def _find_closer(text: str, closer: str, start: int, inline: bool) -> int:
    """Where ``closer`` ends the math opened at ``start`` (not escaped); -1 if it is never closed."""
    pos = start
    while True:
        end = text.find(closer, pos)
        if end < 0:
            return -1
        if inline and text.find("\n\n", start, end) >= 0:  # a $ never spans a paragraph
            return -1
        if end > 0 and text[end - 1] == "\\" and closer == "$":
            pos = end + 1
            continue
        return end


_TUPLE = r"\((?:\s*-?[A-Za-z0-9_.]+\s*,)+\s*-?[A-Za-z0-9_.]+\s*\)"
_FORMULA = re.compile(r"(?:" + _TUPLE + r"|[A-Za-z][A-Za-z0-9_]*(?:\([^()\n]{0,80}\))?|\d+(?:\.\d+)?|[-+*/^().=\s]|\\\*|×"
                      r"|·)+")
_PROSE = re.compile(r"^(?:(?:[A-Z]?[a-z]{2,}|[A-Z][a-z]+)\s+)+(?=[A-Za-z])")
_FUNCTION_WORDS = {"sigmoid": r"\sigma", "sigma": r"\sigma", "tanh": r"\tanh", "log": r"\log", "ln": r"\ln",
                   "exp": r"\exp", "relu": r"\operatorname{relu}", "sqrt": r"\sqrt", "floor": "floor", "ceil": "ceil",
                   "max": r"\max", "min": r"\min"}
_WORDS = frozenset("""an the is are was be so then thus hence and or with which that this we it of for in at on to
by from as gives give get becomes if when where since because note here above below same other using""".split())


_MATHLIKE = re.compile(r"[\d.()*/+\-^]+|\d*\.?\d+[A-Za-z](_\{?\w+\}?)?|[A-Za-z](_\{?\w+\}?)?|[A-Za-z]+_\{?\w+\}?|[A-Za-z]+\(.*\)?"
                       r"|\(?[A-Za-z]\)?|[-+*/^()]+[A-Za-z0-9_.]*[-+*/^()]*|[A-Za-z0-9]+\^[A-Za-z0-9{}]+")  # 2x; the last: n^2


def _text_chunks(piece: str, offset: int, line: int) -> list[Chunk]:
    """Relations written in plain text: ``H_out = (32 - 5)/1 + 1 = 28``, ``dL/dz = a - y``, one line at a time."""
    out = []
    pos = 0
    for k, row in enumerate(piece.split("\n")):
        if "=" in row and len(row) <= MAX_TEXT_LINE:
            clean = row.replace("\\*", "*").replace("×", "*").replace("·", "*")
            clean = re.sub(r"(?<=\d)(?=[A-Z][a-z])", ", ", clean)  # "= 100352Multiplications = …": two relations
            for part in (p for whole in _top_level_split(clean) for p in _prose_split(whole)):
                part = re.sub(r"^\s*\(?[a-z0-9]\)\s+", "", part)  # "(a) I = 4": an enumerator
                if "@" in part and "=" in part:  # "dW = X.T @ dY": code, kept whole so that the reader refuses it
                    code = re.sub(r"^\s*\d+\.\s+", "", part).strip()
                    out.append(Chunk(code, offset + pos + max(row.find(code[:20]), 0), "text", line + k))
                    continue
                for m in _FORMULA.finditer(part):
                    latex = _text_as_latex(m.group())
                    if latex:
                        latex = _with_unmatched_brackets(part, m, latex)
                        out.append(Chunk(latex, offset + pos + max(row.find(m.group().strip()[:20]), 0), "text",
                                         line + k))
        pos += len(row) + 1
    return out


_PROSE_ASIDE = re.compile(r"\(([A-Za-z ,']+)\)")
_PROSE_RUN = re.compile(r"(?<![\w\\])(?:[A-Za-z]{2,}\s+){1,}[A-Za-z]{2,}(?=\s)")


def _prose(words: list[str]) -> bool:
    """Words of a sentence, not names of a formula: one of them a joining word (the, is, when ...), or all long."""
    if any(w.lower() in _FUNCTION_WORDS for w in words):
        return False
    return any(w.lower() in _WORDS for w in words) or all(len(w) >= 4 for w in words)


def _prose_split(part: str) -> list[str]:
    """A piece of a line cut where words of a sentence stand between formulas ("with a = tanh(z) the local
    derivative becomes da/dz = 1 - a^2"); an aside in words, "(rounded down when it is not an integer)", is
    blanked. The cuts keep the offsets of the formulas."""
    part = _PROSE_ASIDE.sub(lambda m: " " * len(m.group()) if _prose(m.group(1).replace(",", " ").split())
                            else m.group(), part)
    pieces, start = [], 0
    for m in _PROSE_RUN.finditer(part):
        if _prose(m.group().split()) and "=" in part[start:m.start()] and "=" in part[m.end():]:
            pieces.append(part[start:m.start()])
            start = m.end()
    return pieces + [part[start:]]


_SEPARATOR = re.compile(r",\s+|;\s*|:\s+|\.\s+(?=[A-Z(])|\s+(?:so|and|then|which|hence|i\.e\.|where|with)\s+")


def _top_level_split(row: str) -> list[str]:
    """A line of text cut at commas, semicolons, colons and joining words outside parentheses: the commas of a
    tuple ``z = (2, 1, 0)`` or of a call ``max(0, x)`` stay in their formula."""
    depth, opened = [], 0
    for ch in row:
        opened = max(0, opened + (ch == "(") - (ch == ")"))
        depth.append(opened)
    parts, start = [], 0
    for m in _SEPARATOR.finditer(row):
        if depth[m.start()] == 0:
            parts.append(row[start:m.start()])
            start = m.end()
    return parts + [row[start:]]


_BRACKETS = "[]{}"


def _with_unmatched_brackets(part: str, m: re.Match, latex: str) -> str:
    """``latex`` with the brackets around it in the text when they do not match (``so [[x = 1``), so that the
    reader refuses it with the reason instead of reading a relation the text does not state."""
    start = len(part[:m.start()].rstrip())
    first = start
    while first > 0 and part[first - 1] in _BRACKETS:
        first -= 1
    rest = part[m.end():].lstrip()
    last = 0
    while last < len(rest) and rest[last] in _BRACKETS:
        last += 1
    opened, closed = part[first:start], rest[:last]
    if set(opened) <= set("[{") and opened[::-1].translate(str.maketrans("[{", "]}")) == closed:
        return latex
    return opened + latex + closed


def _text_as_latex(formula: str) -> str | None:
    """A plain-text formula as LaTeX, or None if it is prose: dL/da -> \\frac{dL}{da}, w_new -> w_{new}."""
    text = re.sub(r"^\d+(\.\d+)*\.?\s+(?![-+*/^=×·\d(])", "", formula.strip().rstrip("."))  # "2. x = 1", not "6 * 6"
    tail = re.search(r"(?<=[\d)])(\s+[A-Za-z]{2,}){2,}\s*$|(?<=\d)\s+[A-Za-z]{3,}\s*$", text)  # "… = 2 keeps the
    # size", "… = 2304 values": prose after it
    if tail:
        text = text[:tail.start()].rstrip()
    tail = re.search(r"(\s+[A-Za-z]{2,})+\s*$", text)
    while tail and tail.group().split()[-1].lower() in _WORDS:  # "… = 2 and": prose after the formula
        text = text[:text.rfind(tail.group().split()[-1])].rstrip()
        tail = re.search(r"(\s+[A-Za-z]{2,})+\s*$", text)
    if text.count("=") < 1 or text.startswith("=") or text.endswith("="):
        return None
    lhs = text.split("=", 1)[0].strip()
    lead = lhs.split()
    if len(lead) > 1 and not all(w.isalpha() for w in lead):  # "… we would get 6*2 - 2 = 10": the math at the end
        kept = []
        for w in reversed(lead):
            if not (_MATHLIKE.fullmatch(w) or len(w) == 2 and w.isalpha() and w.lower() not in _WORDS):  # nm
                break
            kept.insert(0, w)
        if not kept or kept[0][0] in "+*/^=":  # "+ n = 5" is the tail of a formula, not a relation
            return None
        text = " ".join(kept) + text[len(lhs):]
        lead = kept
        lhs = " ".join(kept)
    if len(lead) > 1 and all(w.isalpha() for w in lead):
        last = lead[-1]
        if len(last) == 1 or lead[0].lower() in ("given", "let", "set", "with", "so", "then", "where", "and"):
            text = last + text[len(lhs):]  # "Given x = 2": the name is x
        elif len(lead) <= 3:
            text = "\\text{" + " ".join(lead) + "}" + text[len(lhs):]  # "Trainable parameters = …"
        else:
            return None
    unscripted = re.sub(r"_\{[^{}]*\}|_[A-Za-z0-9]+", " ", text.replace("\\text{", " "))
    words = re.findall(r"(?<![A-Za-z\\])[A-Za-z]{2,}", unscripted)
    if any(w.lower() in _WORDS for w in words):
        return None
    if not re.search(r"\d|[*/^+\-]|\(", text.split("=", 1)[1]):
        if not re.fullmatch(r"\s*[A-Za-z][A-Za-z0-9_]*\s*=\s*[A-Za-z][A-Za-z0-9_]*\s*", text):
            return None
    text = re.sub(r"\bd([A-Za-z]\w*)\s*/\s*d([A-Za-z]\w*)\b", r"\\frac{d\1}{d\2}", text)
    text = re.sub(r"\b([A-Za-z]+)_([A-Za-z0-9]{2,})\b", r"\1_{\2}", text)
    text = re.sub(r"\b(sigmoid|sigma|tanh|log|ln|exp|relu|max|min)\s*\(", lambda m: _FUNCTION_WORDS[m.group(1)] + "(", text)
    text = re.sub(r"\bsqrt\s*\(([^()]*)\)", r"\\sqrt{\1}", text)
    text = _bracket_calls(text, "floor", r"\lfloor ", r" \rfloor")
    text = _bracket_calls(text, "ceil", r"\lceil ", r" \rceil")
    return text


def _bracket_calls(text: str, name: str, left: str, right: str) -> str:
    """floor(x) -> \\lfloor x \\rfloor, with the parentheses matched."""
    for _ in range(10):
        m = re.search(rf"\b{name}\s*\(", text)
        if not m:
            return text
        depth = 0
        for i in range(m.end() - 1, len(text)):
            depth += (text[i] == "(") - (text[i] == ")")
            if depth == 0:
                text = text[:m.start()] + left + text[m.end():i] + right + text[i + 1:]
                break
        else:
            return text
    return text


def clip(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


def read_document(path: str | Path) -> str:
    """The file's text; CheckError if it is missing, too large or not UTF-8."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CheckError(f"{path}: {size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB")
        with p.open("rb") as f:  # at most one byte over the limit: a pipe or /dev/zero has no size to stat
            data = f.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise CheckError(f"{path}: over {MAX_FILE_BYTES / 1e6:.0f} MB, the limit")
    except OSError as exc:
        raise CheckError(f"{path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
