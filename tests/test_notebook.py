"""Notebooks: every result type displays itself (HTML, LaTeX, Markdown), the %%dlderive_check cell magic,
and a handout exported as a Jupyter notebook, executed with nbconvert."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import dlderive
from dlderive.cli import main

ROOT = Path(__file__).resolve().parents[1]
WEEK8 = ROOT / "derivations" / "week8.toml"
LENET = ROOT / "derivations" / "nets" / "lenet5.toml"


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "dlderive")
    return ip


@pytest.fixture(autouse=True)
def _forget_declared_cells():
    from dlderive.cells import CELLS
    before = set(CELLS)
    yield
    from dlderive.catalog import unregister
    for name in set(CELLS) - before:
        unregister(name)


def _results():
    table = dlderive.network.build(dlderive.network.load(str(LENET)))
    return {
        "derivation": dlderive.derive("lstm.forget_gate"),
        "conv": dlderive.conv.output_size("conv", (78, 84), 5, stride=3, padding=2),
        "counts": dlderive.conv.counts(in_channels=32, out_channels=64, kernel=7, output=(5, 5)),
        "solve": dlderive.conv.solve(unknown="input", output=16, kind="conv", kernel=9, stride=3, padding=1),
        "table": table,
        "report": dlderive.check("$$\\frac{d}{dx} x^2 = 3x$$\n\n$$\\frac{d}{dx} x^3 = 3x^2$$\n"),
    }


@pytest.mark.parametrize("name", ["derivation", "conv", "counts", "solve", "table", "report"])
def test_every_result_type_displays_itself(shell, name):
    obj = _results()[name]
    data, _ = shell.display_formatter.format(obj)
    assert {"text/plain", "text/html", "text/latex", "text/markdown"} <= set(data)
    ET.fromstring(f"<div>{data['text/html']}</div>")  # well-formed XHTML (MathML inside)
    assert "<merror" not in data["text/html"]
    for mime in ("text/html", "text/latex", "text/markdown"):
        assert data[mime].strip()


def test_displays_carry_the_values():
    r = _results()
    # floor((78 + 4 - 5)/3) + 1 = 26 and floor((84 + 4 - 5)/3) + 1 = 28, worked by hand
    assert r["conv"].output == (26, 28) and "26" in r["conv"]._repr_markdown_()
    # LeNet-5 has 61,706 parameters: PyTorch's own count is the oracle in test_handout; here by hand
    expected = (5 * 5 * 1 + 1) * 6 + (5 * 5 * 6 + 1) * 16 + 401 * 120 + 121 * 84 + 85 * 10
    assert expected == 61706
    table = r["table"]
    assert f"{expected:,}" in table._repr_html_() and f"{expected:,}" in table._repr_markdown_()
    assert f"{expected:,}".replace(",", "{,}") in table._repr_latex_()  # one number format: 61{,}706 in math
    assert "\\begin{array}" in table._repr_latex_()  # MathJax shows an array, not a tabular
    assert "52, 53, 54" in r["solve"]._repr_latex_().replace("\\left\\{", "").replace("\\right\\}", "")
    assert "\\begin{align*}" in r["derivation"]._repr_latex_()
    assert "$$" in r["derivation"]._repr_markdown_()


# (name, options, the result worked by hand, as the renderers write it)
ENGINE_RESULTS = [
    ("softmax.cross_entropy", dict(form="vector"), r"\frac{\partial L}{\partial z} &= p - y"),
    ("softmax.jacobian", dict(form="scalar"), r"&= \left(\delta_{i j} - {p}_{j}\right) {p}_{i}"),
    ("mlp.backprop", dict(form="vector", activation="relu"),
     r"\frac{\partial L}{\partial x} &= W_{1}^\top \frac{\partial L}{\partial a}"),  # a = W_1 x + b_1
    # BPTT through one step: dL/dW = delta a_t x_t^T
    ("lstm.loss_grad", dict(form="vector", weight="W_f", steps=1, loss="softmax_ce"),
     r"\frac{\partial L}{\partial W^{f}} &= \delta a^{f}_{t} x_t^\top"),
]


@pytest.mark.parametrize("name, options, result", ENGINE_RESULTS, ids=[r[0] for r in ENGINE_RESULTS])
def test_loss_gradients_and_classics_display_their_result(shell, name, options, result):
    """Classic backward derivations and loss gradients show themselves in every MIME type, each with the
    relation the derivation establishes (the loss gradient's ∂L/∂W too, which no δ step states)."""
    d = dlderive.derive(name, **options)
    data, _ = shell.display_formatter.format(d)
    assert {"text/plain", "text/html", "text/latex", "text/markdown"} <= set(data)
    assert result in data["text/latex"] and result in data["text/markdown"]
    assert data["text/markdown"].startswith("$$\n\\begin{align*}")
    root = ET.fromstring(f"<div>{data['text/html']}</div>")
    assert "<merror" not in data["text/html"] and len(list(root)) == 1  # one MathML block, no narrow copy
    rows = list(root.iter("{http://www.w3.org/1998/Math/MathML}mtr"))
    shown_rows = data["text/latex"].count(" \\\\\n") + 1
    assert len(rows) == shown_rows
    assert data["text/plain"].splitlines()[-1].startswith("Result: ")


def test_cell_magic_checks_the_cell(shell):
    report = shell.run_cell_magic("dlderive_check", "", "$$\\frac{d}{dx} x^2 = 3x$$\n\n$$\\frac{d}{dx} x^3 = 3x^2$$\n")
    verdicts = [str(getattr(r.verdict, "value", r.verdict)) for r in report.relations]
    assert verdicts == ["invalid", "valid"]  # d/dx x^2 = 2x, not 3x; d/dx x^3 = 3x^2
    data, _ = shell.display_formatter.format(report)
    assert "✗" in data["text/html"] and "✓" in data["text/html"]


def test_cell_magic_with_a_model(shell):
    cell = "$$\\frac{\\partial f_t}{\\partial h_{t-1}} = f_t (1 - f_t) U_f$$\n"
    report = shell.run_cell_magic("dlderive_check", "--model lstm", cell)
    assert [str(getattr(r.verdict, "value", r.verdict)) for r in report.relations] == ["valid"]


@pytest.mark.parametrize("line, needle", [("--modle lstm", "--modle"), ("--model nosuchcell", "nosuchcell"),
                                          ("--timeout 0", "timeout"), ("--timeout inf", "timeout")])
def test_cell_magic_bad_options_are_one_line(shell, line, needle):
    from IPython.core.error import UsageError
    with pytest.raises(UsageError) as err:
        shell.run_cell_magic("dlderive_check", line, "$$x = x$$\n")
    assert needle in str(err.value) and "\n" not in str(err.value)


def _execute(path: Path):
    import nbformat
    from nbconvert.preprocessors import ExecutePreprocessor
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ExecutePreprocessor(timeout=600, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(path.parent)}})
    return nb


@pytest.mark.tool
def test_handout_as_a_notebook_runs(tmp_path):
    assert main(["build", str(WEEK8), "--out", str(tmp_path), "--both", "--ipynb"]) == 0
    key, student = tmp_path / "week8.ipynb", tmp_path / "week8-student.ipynb"
    written = json.loads(key.read_text())
    assert all(not c["outputs"] and c["execution_count"] is None for c in written["cells"] if c["cell_type"] == "code")
    nb = _execute(key)
    # really executed by a kernel: every code cell numbered in order, each derivation cell with its output
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)) and len(counts) >= 7
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert markdown[0].startswith("# Week 8 Homework") and "**Answer key**" in markdown[0]
    assert any("\\begin{align*}" in m and "$$" in m for m in markdown)  # math in Markdown cells
    assert any("52, 53, 54" in m for m in markdown)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    derived = {c.source: c.outputs for c in code if c.source.startswith("dlderive.derive(")}
    assert len(derived) == 6  # the six derivation items of week 8
    shown = derived["dlderive.derive('lstm.forget_gate', form='scalar')"][0]["data"]
    # the result worked by hand: d sigma(W x + U h + b)/dh = sigma (1 - sigma) U
    assert "Result: ∂fₜ/∂hₜ₋₁ = Uᶠ·fₜ·(1 - fₜ)" in shown["text/plain"]
    assert "\\begin{align*}" in shown["text/latex"]
    # the student notebook: the questions and room to answer, no proven answer
    cells = json.loads(student.read_text())["cells"]
    text = "".join("".join(c["source"]) for c in cells)
    assert "**Student version**" in text and "Your answer:" in text
    assert "52, 53, 54" not in text and "begin{align" not in text and "dlderive.derive(" not in text
    _execute(student)


def test_a_counts_display_prints_every_number_one_way():
    # 64 → 64 channels, 5 × 5 kernel, 28 × 28 output: weights 64·64·25 = 102,400, MACs 102,400·784 = 80,281,600
    import re
    counts = dlderive.conv.counts(64, 64, 5, (28, 28))
    assert counts.params["weights"] == 64 * 64 * 25 and counts.macs == 64 * 64 * 25 * 28 * 28
    for shown in (counts._repr_markdown_(), counts._repr_html_()):
        assert "102,400" in shown or "102{,}400" in shown
        assert "80,281,600" in shown
        assert not re.search(r"(?<![\d,{}.])\d{5,}(?![\d,{}.])", shown)  # no integer left ungrouped
