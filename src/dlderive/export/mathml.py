"""LaTeX math -> MathML via latex2mathml, with aligned tables and a well-formedness check."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from latex2mathml.converter import convert

from ..errors import DlderiveError

MATHML = "http://www.w3.org/1998/Math/MathML"
ET.register_namespace("", MATHML)
_CELL = {"right": "text-align:right;padding:0.12em 0", "left": "text-align:left;padding:0.12em 0"}


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
    for mo in root.iter(f"{{{MATHML}}}mo"):
        if mo.get("fence") == "true":
            mo.set("lspace", "0em")
            mo.set("rspace", "0em")
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


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
