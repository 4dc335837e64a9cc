"""The document: a file's text, its math blocks and text relations, and line numbers."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import CheckError
from .limits import MAX_FILE_BYTES, MAX_TEXT_LINE

@dataclass(frozen=True)
class Chunk:
    """A piece of math to read: a display block, an inline relation, or a relation in running text."""

    text: str
    offset: int  # where ``text`` starts in the file
    kind: str  # "block" | "text"


_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_MATH = re.compile(
    r"\$\$(?P<dd>.*?)\$\$"
    r"|\\\[(?P<br>.*?)\\\]"
    r"|\\begin\{(?P<env>equation\*?|align\*?|gather\*?|multline\*?|eqnarray\*?)\}(?P<body>.*?)\\end\{(?P=env)\}"
    r"|(?<![\\$])\$(?P<inline>[^$\n]{1,20000}?)\$", re.S)
_RELATIONAL = re.compile(r"=|\\implies|\\Rightarrow|\\iff|\\approx|\\le|\\ge|<|>")
_TEXT_NUMBER = r"[-+(]*\s*\d[\d\s.*/+\-()^]*"
_TEXT_RELATION = re.compile(
    rf"(?P<name>[A-Za-z][A-Za-z0-9_{{}}]*(?: [A-Za-z][A-Za-z0-9_{{}}]*){{0,2}})\s*=\s*"
    rf"(?P<chain>{_TEXT_NUMBER}(?:=\s*{_TEXT_NUMBER})*)")


def split_document(text: str) -> list[Chunk]:
    """Math blocks ($$, \\[ \\], equation, align) and relations in running text, in document order."""
    masked = _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    chunks, last = [], 0
    for m in _MATH.finditer(masked):
        chunks += _text_chunks(masked, last, m.start())
        last = m.end()
        name = m.lastgroup if m.lastgroup != "env" else "body"
        if m.group("env"):
            name = "body"
        body = m.group(name)
        if name == "inline" and not _RELATIONAL.search(body):
            continue
        chunks.append(Chunk(body, m.start(name), "block"))
    chunks += _text_chunks(masked, last, len(masked))
    return chunks


def _text_chunks(text: str, start: int, end: int) -> list[Chunk]:
    out = []
    pos = start
    for line in text[start:end].split("\n"):
        if "=" in line and len(line) <= MAX_TEXT_LINE:
            clean = line.replace("\\*", "*").replace("×", "*").replace("·", "*")
            for m in _TEXT_RELATION.finditer(clean):
                out.append(Chunk(_text_as_latex(m), pos + m.start(), "text"))
        pos += len(line) + 1
    return out


def _text_as_latex(m: re.Match) -> str:
    name = m["name"].strip()
    last = name.split()[-1]
    if re.fullmatch(r"[A-Za-z](_\{?\w+\}?)?|[A-Za-z]+_\{?\w+\}?", last):  # "Let P = 2": the name is P
        name = last
    head = name if " " not in name else "\\text{" + name + "}"
    chain = m["chain"].rstrip()
    while chain and chain[-1] in "+-*/(.=":
        chain = chain[:-1].rstrip()
    return f"{head} = {chain}"


class _LineIndex:
    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


def _clip(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


def read_document(path: str | Path) -> str:
    """The file's text; CheckError if it is missing, too large or not UTF-8."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CheckError(f"{path}: {size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB")
        data = p.read_bytes()
    except OSError as exc:
        raise CheckError(f"{path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
