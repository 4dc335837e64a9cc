"""Every result type renders through export in every format; one JSON step schema everywhere."""
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy as sp

from dlderive import conv, network
from dlderive.check import check_text
from dlderive.derive import derive
from dlderive.export import FORMATS, Combined, Display, render, to_data
from dlderive.export.latex import RELATION_LATEX
from dlderive.export.printer import latex_expr, relation_between
from dlderive.notation import PRESETS

STEP_KEYS = {"lhs", "rhs", "relation", "latex", "rule", "note", "proof"}
LENET = Path(__file__).parents[1] / "derivations" / "nets" / "lenet5.toml"
REPORT_TEXT = "$$\\sigma'(z) = \\sigma(z)\\left(1 - \\sigma(z)\\right)$$\n\n$$\\tanh'(z) = 1 + \\tanh(z)^2$$\n"


@pytest.fixture(scope="module")
def results():
    size = conv.output_size("conv", (78, 84), 5, stride=3, padding=2)
    counted = conv.counts(32, 64, 5, size.output)
    solved = conv.solve("input", 16, kernel=9, stride=3, padding=1)
    table = network.build(network.load(LENET))
    symbolic = network.build(network.load(LENET), network.parse_input("1xDxD"))
    return {"derivation": derive("lstm.forget_gate", "vector"), "size": size, "counts": counted,
            "solve": solved, "table": table, "valid": network.valid_inputs(symbolic),
            "report": check_text(REPORT_TEXT), "layer": Combined((size, counted))}


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("kind", ["derivation", "size", "counts", "solve", "table", "valid", "report", "layer"])
def test_every_result_renders_in_every_format(results, kind, fmt):
    out = render(results[kind], fmt)
    assert out.strip()
    if fmt == "json":
        json.loads(out)
    if fmt == "html":
        ET.fromstring(out)  # the page is well-formed XML


def test_one_step_schema_for_derive_conv_and_net(results):
    derived = to_data(results["derivation"])["steps"]
    layer = to_data(results["layer"])["steps"]
    solved = to_data(results["solve"])["steps"]
    table = to_data(Combined((results["table"],)))["steps"]
    for steps in (derived, layer, solved, table):
        assert steps and all(set(s) == STEP_KEYS for s in steps)
        assert all(s["proof"] for s in steps)
    assert {s["relation"] for s in solved} <= {"=", "iff", "in"} and "iff" in {s["relation"] for s in solved}


def test_conv_step_latex_goes_through_the_notation(results):
    d = results["size"].derivations[0]
    data = to_data(results["size"], PRESETS["pytorch"])["steps"][0]
    step = d.steps[0]
    rel = RELATION_LATEX[relation_between(step.lhs, step.rhs)]
    assert data["latex"] == (latex_expr(step.lhs, PRESETS["pytorch"], d.form) + f" {rel} "
                             + latex_expr(step.rhs, PRESETS["pytorch"], d.form))
    assert data["latex"] != sp.latex(step.lhs) + " = " + sp.latex(step.rhs)


def test_layer_json_has_sizes_and_counts_in_one_object(results):
    data = to_data(results["layer"])
    size, c = results["size"], results["counts"]
    assert data["output"] == list(size.output) and data["params"] == c.params and data["macs"] == c.macs
    assert len(data["steps"]) == sum(len(d.steps) for d in (*size.derivations, *c.derivations))


def test_text_shows_derivations_then_the_answers(results):
    text = render(results["layer"], "text").splitlines()
    size, c = results["size"], results["counts"]
    first_answer = text.index(f"output: {size.output[0]} x {size.output[1]}")
    assert text[first_answer + 1] == f"params: weights {c.weights}, bias {c.bias}, total {c.weights + c.bias}"
    assert all(not line.startswith(("output:", "params:")) for line in text[:first_answer])


def test_network_table_as_a_torchinfo_style_table(results):
    table = results["table"]
    page = render(table, "html")
    root = ET.fromstring(page)
    rows = [el for el in root.iter() if el.tag.endswith("tr")]
    assert len(rows) == 1 + len(table.rows) + 1  # header, layers, totals
    md = render(table, "markdown").splitlines()
    assert sum(line.startswith("|") for line in md) == 2 + len(table.rows) + 1
    assert md[-1].split("|")[4].strip() == f"{sum(int(r.params) for r in table.rows):,}"
    bundle = Display(table)._repr_mimebundle_()
    assert "<table" in bundle["text/html"] and "\\begin{array}" in bundle["text/latex"]
    assert table._repr_html_() == bundle["text/html"]


def test_check_report_as_a_table_of_marks_with_rendered_math(results):
    report = results["report"]
    verdicts = [str(getattr(r.verdict, "value", r.verdict)) for r in report.relations]
    assert verdicts == ["valid", "invalid"]
    html = render(report, "html")
    assert "✓" in html and "✗" in html and "<math" in html
    md = render(report, "markdown")
    assert "| ✓ |" in md and "| ✗ |" in md
    assert json.loads(render(report, "json")) == report.to_json()
    text = render(report, "text")
    assert text.splitlines()[0] == report.file and "1 valid, 1 invalid, 0 unverifiable" in text


def test_user_text_in_a_report_is_escaped():
    report = check_text("$$x = 1$$ <script>alert(1)</script>\n$$a_{<b>} = 2$$\n")
    html = render(report, "html")
    assert "<script>" not in html


def test_reports_and_valid_inputs_display_in_ipython(results):
    formatters = pytest.importorskip("IPython.core.formatters")
    from dlderive.export import display_in
    formatter = formatters.DisplayFormatter()
    display_in(formatter)
    data, _ = formatter.format(results["report"])
    assert "<table" in data["text/html"] and "✓" in data["text/html"] and "<math" in data["text/html"]
    data, _ = formatter.format(results["valid"])
    assert "align*" in data["text/latex"] and "valid inputs" in data["text/html"]
    for kind in ("derivation", "size", "counts", "solve", "table"):
        data, _ = formatter.format(results[kind])
        assert {"text/html", "text/latex", "text/markdown"} <= set(data), kind
