"""Every derivation of the engine, rendered: LaTeX compiled by pdflatex and read back with pdftotext;
MathML well-formed, without <merror> or leaked commands; text and JSON consistent."""
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from dlderive.errors import DlderiveError
from dlderive.export import render
from dlderive.export.jsonout import expr_text
from dlderive.export.latex import UNICODE_CHARACTERS, escape_latex
from dlderive.export.mathml import mathml_problem, to_mathml
from dlderive.notation import PRESETS

derive_module = pytest.importorskip("dlderive.derive")


def all_derivations():
    out = []
    for name in derive_module.DERIVATIONS:
        for form in ("scalar", "vector"):
            try:
                out.append(derive_module.derive(name, form))
            except DlderiveError as exc:  # a derivation that exists only in one form
                if "form" not in str(exc) and "only" not in str(exc):
                    raise
    return out


@pytest.fixture(scope="module")
def derivations():
    ds = all_derivations()
    assert {d.name for d in ds} == set(derive_module.DERIVATIONS)
    return ds


@pytest.fixture(scope="module")
def latex(derivations):
    """LaTeX of every derivation in the sample notation, and of lstm.hidden in the other presets."""
    out = {}
    for notation in PRESETS.values():
        for d in derivations:
            if notation.name == "sample" or d.name == "lstm.hidden":
                out[d.name, d.form, notation.name] = render(d, "latex", notation)
    return out


FORBIDDEN = re.compile(r"aligned|\\tag|\\label|\\eqref|\\intertext|\\\\\[|\\mathopen")
"""Constructs that latex2mathml or the guide rule out: aligned, \\tag, \\label, \\eqref, \\intertext, \\\\[..], \\mathopen."""


def test_every_derivation_has_clean_mathml(latex):
    for key, tex in latex.items():
        assert tex.startswith("\\begin{align*}") and tex.endswith("\\end{align*}"), key
        assert not FORBIDDEN.search(tex), (key, FORBIDDEN.search(tex).group(0))
        assert mathml_problem(to_mathml(tex)) is None, key


def test_every_derivation_page_is_xml(derivations):
    for d in derivations[:: max(1, len(derivations) // 8)]:
        root = ET.fromstring(render(d, "html"))
        assert list(root.iter("{http://www.w3.org/1998/Math/MathML}math")), d.name


def test_derivation_json_matches_its_steps(derivations):
    for d in derivations[::3]:
        data = json.loads(render(d, "json"))
        assert len(data["steps"]) == len(d.steps)
        assert [s["rule"] for s in data["steps"]] == [s.rule for s in d.steps]
        assert data["result"]["rhs"] == expr_text(d.final.rhs)  # str, matrix expressions by MatrixText


@pytest.mark.tool
def test_every_derivation_compiles_with_pdflatex(derivations, latex, tmp_path):
    if not (shutil.which("pdflatex") and shutil.which("pdftotext")):
        pytest.skip("pdflatex and pdftotext are needed (texlive-latex-base, poppler-utils)")
    body = [f"\\section*{{{escape_latex(name)} ({form}, {notation})}}\n{tex}" for (name, form, notation), tex in latex.items()]
    declares = "\n".join(f"\\DeclareUnicodeCharacter{{{c}}}{{{t}}}" for c, t in UNICODE_CHARACTERS.items())
    source = ("\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amsmath,amssymb}\n"
              "\\allowdisplaybreaks\n" + declares + "\n\\begin{document}\n" + "\n".join(body) + "\n\\end{document}\n")
    (tmp_path / "all.tex").write_text(source, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "all.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    text = subprocess.run(["pdftotext", "-layout", "all.pdf", "-"], cwd=tmp_path, capture_output=True,
                          text=True, check=True).stdout
    for d in derivations:  # OT1 fonts print \_ as a rule that pdftotext reads as a space
        assert re.search(re.escape(f"{d.name} ({d.form}, sample)").replace("_", "[_ ]"), text), d.name
    assert "chain rule" in text and "definition" in text
