"""LaTeX math -> MathML via latex2mathml, with aligned tables and a well-formedness check."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from latex2mathml.converter import convert

from ..errors import DlderiveError
from ..functions import REGISTRY

MATHML = "http://www.w3.org/1998/Math/MathML"
ET.register_namespace("", MATHML)
_CELL = {side: f"text-align:{side};text-align:-webkit-{side};padding:0.3em 0" for side in ("right", "left")}
"""Chromium aligns MathML table cells by -webkit-right/left only; others read text-align or columnalign."""


def to_mathml(latex: str, display: bool = True) -> str:
    """MathML for ``latex``; align* tables line up at ``=`` (right/left columns) as in the PDF."""
    try:
        xml = convert(latex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises many private exception types
        raise DlderiveError(f"cannot convert LaTeX to MathML ({type(exc).__name__}: {exc}): {latex[:80]}") from None
    problem = mathml_problem(xml)
    if problem:
        raise DlderiveError(f"MathML for {latex[:80]!r} is not valid: {problem}")
    return aligned(xml)


def aligned(xml: str) -> str:
    """Tables aligned as align* in the PDF: right/left column pairs, by attribute and by inline CSS
    (Chromium's MathML Core reads only the CSS); fences without operator spacing."""
    root = ET.fromstring(xml)
    for table in root.iter(f"{{{MATHML}}}mtable"):
        table.set("columnalign", "right left right left right left")
        for row in table.iter(f"{{{MATHML}}}mtr"):
            for i, cell in enumerate(row.findall(f"{{{MATHML}}}mtd")):
                side = "right" if i % 2 == 0 else "left"
                cell.set("columnalign", side)
                cell.set("style", _CELL[side] + (";padding-left:2em" if i >= 2 and i % 2 == 0 else ""))
    for row in root.iter(f"{{{MATHML}}}mrow"):
        fences = [c for c in row if c.tag == f"{{{MATHML}}}mo" and c.get("fence") == "true"]
        tall = any(e.tag.rsplit("}", 1)[-1] in _TALL for e in row.iter())
        for mo in fences:
            mo.set("lspace", "0em")
            mo.set("rspace", "0em")
            if not tall:  # (c_t) needs no stretched glyph; a stretched one brings gaps in Chromium
                mo.set("stretchy", "false")
    for el in root.iter(f"{{{MATHML}}}mi"):
        if el.text in _RELATIONS:  # latex2mathml writes \\iff as an identifier
            el.tag = f"{{{MATHML}}}mo"
    for mo in root.iter(f"{{{MATHML}}}mo"):
        if mo.text in _RELATIONS:  # TeX puts a thick space around relations; Chromium's dictionary may not
            mo.set("lspace", "0.2778em")
            mo.set("rspace", "0.2778em")
    _join_grouped_numbers(root)
    for parent in root.iter():
        children = list(parent)
        for i, child in reversed(list(enumerate(children))):
            before = _previous_visible(children, i)
            if child.tag == f"{{{MATHML}}}mo" and child.text in ("\u2212", "-") and (
                    before is None or before.tag == f"{{{MATHML}}}mo"):
                child.set("form", "prefix")  # a sign, not a subtraction: no space after it
                child.set("lspace", "0em")
                child.set("rspace", "0em")
            name = child[0] if child.tag in (f"{{{MATHML}}}msup", f"{{{MATHML}}}msub") and len(child) else child
            if (name.tag == f"{{{MATHML}}}mi" and name.text in _FUNCTIONS and before is not None
                    and before.tag != f"{{{MATHML}}}mo"):
                parent.insert(i, ET.Element(f"{{{MATHML}}}mspace", width="0.1667em"))
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


def _join_grouped_numbers(root) -> None:
    """2{,}508{,}800 (latex2mathml: <mn>2</mn><mrow><mo>,</mo></mrow><mn>508</mn>...) as one <mn>2,508,800</mn>."""
    def separator(el):
        return el.tag == f"{{{MATHML}}}mrow" and len(el) == 1 and el[0].tag == f"{{{MATHML}}}mo" and el[0].text == ","

    def number(el):
        return el.tag == f"{{{MATHML}}}mn" and (el.text or "").replace(",", "").isdigit()

    for parent in root.iter():
        children = list(parent)
        i = 0
        while i + 2 < len(children):
            a, sep, b = children[i:i + 3]
            if number(a) and separator(sep) and number(b) and len(b.text) == 3 and "," not in b.text:
                a.text += "," + b.text
                parent.remove(sep)
                parent.remove(b)
                del children[i + 1:i + 3]
            else:
                i += 1


def _previous_visible(children: list, i: int):
    """The sibling before ``children[i]``, skipping the empty <mi/> latex2mathml puts at a cell's start."""
    for el in reversed(children[:i]):
        if not (el.tag == f"{{{MATHML}}}mi" and not el.text and not len(el)):
            return el
    return None


_RELATIONS = {"\u27fa", "\u21d4", "\u2208", "\u2264", "\u2265", "\u2248", "\u27f9", "\u21d2"}
_TALL = {"mfrac", "mtable", "munderover", "msubsup", "mover", "munder"}
_FUNCTIONS = {f.text for f in REGISTRY.values() if f.text.isascii()} | {"ln", "max", "min", "diag"}
"""Function names that TeX sets as operators, with a thin space before them."""


def mathml_problem(xml: str) -> str | None:
    """Why ``xml`` is not clean MathML (not XML, an <merror>, a leaked LaTeX command), or None."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        return f"not well-formed XML: {exc}"
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "merror":
            return "contains <merror>"
        if tag in ("mi", "mo", "mtext") and (el.text or "").startswith("\\"):
            return f"leaked LaTeX command <{tag}>{el.text}"
    return None
