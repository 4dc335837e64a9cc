"""LaTeX math -> MathML via latex2mathml, with aligned tables and a well-formedness check."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from latex2mathml.converter import convert

from ..errors import DlderiveError

_MTABLE = re.compile(r"<mtable(?![^>]*\scolumnalign=)")
_ALIGN = 'columnalign="right left right left right left"'


def to_mathml(latex: str, display: bool = True) -> str:
    """MathML for ``latex``; align* tables line up at ``=`` (right/left columns) as in the PDF."""
    try:
        xml = convert(latex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises many private exception types
        raise DlderiveError(f"cannot convert LaTeX to MathML ({type(exc).__name__}: {exc}): {latex[:80]}") from None
    xml = _MTABLE.sub("<mtable " + _ALIGN, xml)
    problem = mathml_problem(xml)
    if problem:
        raise DlderiveError(f"MathML for {latex[:80]!r} is not valid: {problem}")
    return xml


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
