"""Renderers on hand-built derivations: text, LaTeX align*, JSON schema, Markdown, HTML/MathML, escaping."""
import json
import math
import random
import xml.etree.ElementTree as ET

import pytest
import sympy as sp

from dlderive.errors import DlderiveError
from dlderive.export import Display, render
from dlderive.export.document import Document, Item, Section
from dlderive.export.latex import escape_latex, text_in_math
from dlderive.export.markup import check_math, prose_html, prose_latex, prose_markdown
from dlderive.export.mathml import mathml_problem, to_mathml
from dlderive import matrices as mx
from dlderive.functions import sigmoid
from dlderive.notation import PRESETS
from dlderive.steps import Derivation, Step

MATHML = "{http://www.w3.org/1998/Math/MathML}"
z = sp.Symbol("z", real=True)
E = sp.exp(-z)
f_t, h_prev, c_prev = (sp.Symbol(n, real=True) for n in ("f_t", "h_prev", "c_prev"))
N = mx.dims("n")[0]
F_T, H_PREV, U_F = mx.vector("f_t", N), mx.vector("h_prev", N), mx.matrix("U_f", N, N)

SIGMOID = Derivation(
    "sigmoid", "scalar", "Derivative of the sigmoid",
    (Step(sp.Derivative(sigmoid(z), z), sp.Derivative(1 / (1 + E), z), "definition"),
     Step(sp.Derivative(1 / (1 + E), z), E / (1 + E) ** 2, "chain rule"),
     Step(E / (1 + E) ** 2, sigmoid(z) * (1 - sigmoid(z)), "definition of σ", "σ = 1/(1 + e^{-z})")),
)
FORGET = Derivation(
    "lstm.forget_gate", "vector", "Forget gate",
    (Step(mx.MatrixPartial(F_T, H_PREV), mx.mm(mx.diag(mx.hadamard(F_T, sp.OneMatrix(N, 1) - F_T)), U_F), "chain rule"),),
    definitions={"f_t": mx.apply(sigmoid, mx.mm(U_F, H_PREV))},
)


def test_latex_align_block_exact():
    assert render(SIGMOID, "latex") == (
        "\\begin{align*}\n"
        "\\frac{d \\sigma\\left(z\\right)}{d z} &= \\frac{d}{d z} \\left(\\frac{1}{1 + e^{- z}}\\right)"
        " && \\text{definition} \\\\\n"
        " &= \\frac{e^{- z}}{\\left(1 + e^{- z}\\right)^{2}} && \\text{chain rule} \\\\\n"
        " &= \\left(1 - \\sigma\\left(z\\right)\\right) \\sigma\\left(z\\right) && \\text{definition of }\\sigma \n"
        "\\end{align*}")


def test_latex_vector_form_and_notation():
    assert render(FORGET, "latex", PRESETS["pytorch"]) == (
        "\\begin{align*}\n\\frac{\\partial f_t}{\\partial h_{t-1}} &= \\operatorname{diag}\\left(f_t \\odot "
        "\\left(\\mathbf{1} - f_t\\right)\\right) W_{hf} && \\text{chain rule}\n\\end{align*}")


def test_text_continuation_lines():
    lines = render(SIGMOID, "text").splitlines()
    assert lines[0] == "Derivative of the sigmoid"
    assert lines[1] == "dσ(z)/dz = d(1/(1 + e^(-z)))/dz    [definition]"
    assert lines[2].startswith("    = ") and lines[2].endswith("[chain rule]")
    assert lines[-1] == "Result: dσ(z)/dz = (1 - σ(z))·σ(z)"


def test_json_schema_and_round_trip():
    data = json.loads(render(SIGMOID, "json"))
    assert set(data) == {"name", "form", "definitions", "steps", "result"}
    assert (data["name"], data["form"]) == ("sigmoid", "scalar")
    assert [set(s) for s in data["steps"]] == [{"lhs", "rhs", "relation", "latex", "rule", "note", "proof"}] * 3
    assert [s["relation"] for s in data["steps"]] == ["="] * 3
    assert data["steps"][2]["note"] == "σ = 1/(1 + e^{-z})"
    assert set(data["result"]) == {"lhs", "rhs", "latex"}
    local = {"sigmoid": sigmoid, "z": z}
    for step, original in zip(data["steps"], SIGMOID.steps):
        assert sp.parse_expr(step["rhs"], local_dict=local) == original.rhs  # our own output, in a test
    rhs = sp.parse_expr(data["result"]["rhs"], local_dict=local)
    for x in (-2.0, 0.3, 1.7):  # oracle: the derivative of 1/(1 + e^-x) by central differences
        s = lambda t: 1 / (1 + math.exp(-t))
        fd = (s(x + 1e-6) - s(x - 1e-6)) / 2e-6
        assert float(rhs.subs(z, x).rewrite(sp.exp)) == pytest.approx(fd, rel=1e-7)


def test_json_definitions_are_strings():
    data = json.loads(render(FORGET, "json"))
    assert data["definitions"] == {"f_t": "sigmoid(U_f*h_prev)"}


def test_markdown_is_a_display_block():
    md = render(SIGMOID, "markdown")
    assert md.startswith("$$\n\\begin{align*}") and md.endswith("\\end{align*}\n$$")


def test_html_page_is_xml_with_clean_aligned_mathml():
    page = render(SIGMOID, "html")
    root = ET.fromstring(page)
    assert not list(root.iter("{http://www.w3.org/1999/xhtml}script"))
    maths = list(root.iter(f"{MATHML}math"))
    # the page has the derivation twice: rules beside the lines (wide screens), rules under them (narrow)
    assert [m.get("class") for m in maths] == ["wide", "narrow"]
    wide, narrow = ([r for r in m.iter(f"{MATHML}mtr")] for m in maths)
    assert len(wide) == len(SIGMOID.steps) and len(narrow) == 2 * len(SIGMOID.steps)
    assert [len(r.findall(f"{MATHML}mtd")) for r in narrow] == [2] * len(narrow)
    shown = ["".join(r.itertext()).strip().replace("\u00a0", " ") for r in narrow[1::2]]
    assert shown == [s.rule for s in SIGMOID.steps]
    assert "@media (max-width: 40rem)" in page and 'math[display="block"].narrow { display: none; }' in page
    table = next(maths[0].iter(f"{MATHML}mtable"))
    cells = next(table.iter(f"{MATHML}mtr")).findall(f"{MATHML}mtd")
    assert [c.get("columnalign") for c in cells[:2]] == ["right", "left"]
    assert "text-align:right" in cells[0].get("style") and "text-align:left" in cells[1].get("style")
    assert mathml_problem(ET.tostring(maths[0], encoding="unicode")) is None
    assert "http" not in page.replace("http://www.w3.org/", "")  # no network resource


def test_mathml_signs_relations_and_function_spacing():
    root = ET.fromstring(to_mathml(r"a = -0.2 \cdot \left(-x\right) - y \iff o \tanh\left(c\right)"))
    minus = [mo for mo in root.iter(f"{MATHML}mo") if mo.text == "\u2212"]
    assert [mo.get("form") for mo in minus] == ["prefix", "prefix", None]  # two signs, one subtraction
    iff = next(e for e in root.iter() if e.text == "\u27fa")
    assert iff.tag == f"{MATHML}mo" and iff.get("lspace") == "0.2778em"
    assert len(list(root.iter(f"{MATHML}mspace"))) == 1  # the thin space before tanh
    fences = [mo for mo in root.iter(f"{MATHML}mo") if mo.get("fence") == "true"]
    assert fences and all(mo.get("stretchy") == "false" for mo in fences)  # nothing tall inside


def test_notebook_bundle():
    bundle = Display(FORGET)._repr_mimebundle_()
    assert set(bundle) >= {"text/latex", "text/html", "text/markdown", "text/plain"}
    assert bundle["text/latex"].startswith("$$\n\\begin{align*}")
    ET.fromstring(bundle["text/html"])
    assert "diag" in bundle["text/plain"]


def test_ipython_formatter_uses_the_bundle():
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(Display(SIGMOID))
    assert set(data) == {"text/plain", "text/latex", "text/html", "text/markdown"}
    assert data["text/plain"].startswith("Derivative of the sigmoid")


@pytest.mark.parametrize("fmt", ["text", "latex", "json", "markdown", "html"])
def test_a_single_step_renders_in_every_format(fmt):
    step = Step(f_t, 2 * h_prev, "algebra")
    out = render(step, fmt)
    assert "algebra" in out and ("h_{t-1}" in out or "hₜ₋₁" in out or "h_prev" in out or "<math" in out)


def test_unknown_format_is_an_error():
    with pytest.raises(DlderiveError, match="choose one of"):
        render(SIGMOID, "pdf")


HOSTILE = ["<script>alert(1)</script>", r"\input{/etc/passwd}", "a & b", "100% sure", "}{", "$x$ # ~ ^ _ \\"]


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_latex_leaves_no_command(text):
    escaped = escape_latex(text)
    assert r"\input" not in escaped
    for special in "&%$#_{}":
        assert escaped.count(special) == escaped.count("\\" + special) + (
            escaped.count("\\textbackslash{}") + escaped.count("\\textasciitilde{}")
            + escaped.count("\\textasciicircum{}") + escaped.count("\\textless{}") + escaped.count("\\textgreater{}")
            if special in "{}" else 0)


@pytest.mark.parametrize("text", HOSTILE)
def test_rule_text_in_math_converts_cleanly(text):
    tex = text_in_math(text)
    assert r"\input" not in tex
    xml = to_mathml(tex, display=False)
    assert mathml_problem(xml) is None


@pytest.mark.parametrize("text", HOSTILE)
def test_prose_is_escaped_everywhere(text):
    html = str(prose_html(text.replace("$x$", "x")))
    ET.fromstring(f"<div>{html}</div>")
    assert "<script>" not in html
    assert r"\input" not in prose_latex(text.replace("$x$", "x"))
    assert "<script>" not in prose_markdown(text)


@pytest.mark.parametrize("math_text", [r"\input{/etc/passwd}", r"\write18{rm}", "^^5cinput", r"\def\x{1}", "{"])
def test_math_in_prose_is_allow_listed(math_text):
    with pytest.raises(DlderiveError):
        check_math(math_text)


@pytest.mark.parametrize("preset, expected", [("sample", r"$W^{f} x_t$ and $a \circ b$"),
                                              ("pytorch", r"$W_{if} x_t$ and $a \odot b$")])
def test_prose_symbols_follow_the_notation(preset, expected):
    from dlderive.export.markup import with_notation
    assert with_notation(r"$\sym{W_f} x_t$ and $a \hadamard b$", PRESETS[preset]).replace("  ", " ") == expected


def test_allowed_prose_math_and_markup():
    html = str(prose_html("The **gate** $f_t = \\sigma(a)$ and `code`\n\n- one\n- two"))
    root = ET.fromstring(f"<div>{html}</div>")
    assert root.find("p/strong").text == "gate"
    assert len(root.findall("ul/li")) == 2
    assert prose_latex("*x* and $\\frac{a}{b}$") == "\\emph{x} and $\\frac{a}{b}$"


def test_document_with_hostile_title_escapes_in_every_format():
    title = "<script>alert(1)</script> & \\input{/etc/passwd} 100% }"
    doc = Document(title=title, author="A & B", sections=(Section(title="S}", items=(
        Item(heading="1 <b>", question=("Q & $x_t$",), answer=(SIGMOID,)),)),))
    page = render(doc, "html")
    root = ET.fromstring(page)
    assert not list(root.iter("{http://www.w3.org/1999/xhtml}script"))
    assert root.find("{http://www.w3.org/1999/xhtml}head/{http://www.w3.org/1999/xhtml}title").text == title
    tex = render(doc, "latex")
    assert "\\input{" not in tex and "\\textbackslash{}input\\{/etc/passwd\\}" in tex
    md = render(doc, "markdown")
    assert "<script>" not in md and "&lt;script&gt;" in md


def test_random_derivations_render_to_clean_mathml():
    """Random sums and products of the vocabulary: every one converts to well-formed MathML."""
    rng = random.Random(7)
    atoms = [f_t, h_prev, c_prev, sigmoid(z), sp.tanh(f_t), sp.Derivative(f_t, h_prev), sp.Integer(2)]
    for _ in range(40):
        expr = sp.Integer(1)
        for _ in range(rng.randint(2, 6)):
            a = rng.choice(atoms)
            expr = expr * a if rng.random() < 0.5 else expr + a
        d = Derivation("random", rng.choice(["scalar", "vector"]), "", (Step(sp.Symbol("y"), expr, "algebra"),))
        assert mathml_problem(to_mathml(render(d, "latex"))) is None


def test_markdown_math_from_user_text_never_makes_html():
    # issue 14 item 3: $a<img src=x onerror=alert(1)>b$ reached the reader's Markdown viewer as a tag
    from markdown_it import MarkdownIt

    from dlderive.export.markup import prose_markdown
    md = prose_markdown("see $a<img src=x onerror=alert(1)>b$ and $x < y$ & more")
    assert "<" not in md and ">" not in md
    html = MarkdownIt("commonmark", {"html": True}).render(md)
    assert "<img" not in html


def test_a_result_no_step_states_is_printed_last():
    """A loss gradient's steps are the δ's; its result ∂L/∂W = Σ_j δa_{t-j} x_{t-j}ᵀ (the BPTT sum, by hand
    for T = 2) is the last row in LaTeX, Markdown and HTML alike, with every δ before it."""
    import dlderive
    d = dlderive.derive("lstm.loss_grad", "vector", 2, "W_f", "softmax_ce")
    assert d.result is not None and all(s.lhs != d.result.lhs for s in d.steps)
    latex = render(d, "latex")
    rows = latex.split("\\begin{align*}\n", 1)[1].split("\n\\end{align*}", 1)[0].split(" \\\\\n")
    assert len([r for r in rows if not r.startswith(" &")]) == len(d.steps) + 1  # continued rows aside
    assert latex.count(r"\frac{\partial L}{\partial W^{f}}") == 1
    assert rows[-1].startswith(r"\frac{\partial L}{\partial W^{f}} &= \delta a^{f}_{t} x_t^\top + "
                               r"\delta a^{f}_{t-1} x_{t-1}^\top")
    assert [r for r in rows if not r.startswith(" &")][-2].startswith(r"\delta a^{f}_{t-1} &=")
    assert rows[-1].split("&=")[1].split("&&")[0] in render(d, "markdown")
    root = ET.fromstring(render(d, "html"))
    rows_ml = list(next(root.iter(f"{MATHML}math")).iter(f"{MATHML}mtr"))  # the wide layout
    assert len(rows_ml) == len(rows)
    assert "".join(rows_ml[-1].itertext()).replace("\u2061", "").startswith("\u2202L\u2202W")
    # a derivation whose chain ends in its result keeps its rows as they are
    forget = dlderive.derive("lstm.forget_gate", "vector")
    assert render(forget, "latex").count(" \\\\\n") == len(forget.steps) - 1
