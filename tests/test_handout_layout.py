"""Handouts as an instructor hands them out: key and student version under their own names, stamped,
answer space, seeded variants, empty headings, and lines that fit the page (pdflatex's own log)."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dlderive.cli import main
from dlderive.export.pdf import overfull_lines
from dlderive.handout import draw, load

ROOT = Path(__file__).resolve().parents[1]
WEEK8 = ROOT / "derivations" / "week8.toml"


@pytest.fixture(autouse=True)
def _forget_declared_cells():
    """A cell a test declares from its file (mgu) is forgotten after it, so that other tests see the catalog
    as shipped."""
    from dlderive.cells import CELLS
    before = set(CELLS)
    yield
    from dlderive.catalog import unregister
    for name in set(CELLS) - before:
        unregister(name)


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_key_and_student_have_distinct_names_and_stamps(tmp_path):
    assert main(["build", str(WEEK8), "--out", str(tmp_path), "--both"]) == 0
    assert _names(tmp_path) == {f"week8{s}.{e}" for s in ("", "-student") for e in ("tex", "html", "md")}
    for ext in ("tex", "html", "md"):
        key, student = (tmp_path / f"week8.{ext}").read_text(), (tmp_path / f"week8-student.{ext}").read_text()
        assert "Answer key" in key and "Student version" not in key
        assert "Student version" in student and "Answer key" not in student
        assert "worked solutions" not in student
        # the proven answer (all solutions of 2.1.3) is in the key only; the student has room instead
        assert "All solutions" in key and "All solutions" not in student
    tex = (tmp_path / "week8-student.tex").read_text()
    items = len(re.findall(r"\\subsection\*", tex))
    assert tex.count("\\answerspace{") == items == 13
    html = (tmp_path / "week8-student.html").read_text()
    assert html.count('class="answer-space"') == items


def test_student_alone_keeps_the_key(tmp_path):
    assert main(["build", str(WEEK8), "--out", str(tmp_path)]) == 0
    key = (tmp_path / "week8.md").read_text()
    assert main(["build", str(WEEK8), "--out", str(tmp_path), "--no-answers"]) == 0
    assert (tmp_path / "week8.md").read_text() == key
    assert "Student version" in (tmp_path / "week8-student.md").read_text()


def test_variants_in_one_run(tmp_path, capsys):
    assert main(["build", str(WEEK8), "--out", str(tmp_path), "--variants", "1-3"]) == 0
    assert _names(tmp_path) == {f"week8-v0{v}{s}.{e}" for v in (1, 2, 3) for s in ("", "-student")
                                for e in ("tex", "html", "md")}
    for v in (1, 2, 3):
        assert f"variant {v}" in (tmp_path / f"week8-v0{v}.md").read_text()
    # each variant is the one --seed builds
    single = tmp_path / "single"
    assert main(["build", str(WEEK8), "--out", str(single), "--seed", "2"]) == 0
    assert (single / "week8.md").read_text() == (tmp_path / "week8-v02.md").read_text()
    texts = {(tmp_path / f"week8-v0{v}.md").read_text() for v in (1, 2, 3)}
    assert len(texts) == 3


@pytest.mark.parametrize("args, needle", [
    (["--variants", "0-3"], "--variants"), (["--variants", "5-2"], "--variants"), (["--variants", "a"], "--variants"),
    (["--variants", "1-999"], "--variants"), (["--variants", "1-2", "--seed", "3"], "--variants"),
    (["--both", "--no-answers"], "--both")])
def test_bad_version_options(tmp_path, capsys, args, needle):
    assert main(["build", str(WEEK8), "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def _ranged(value, path=""):
    """Paths of every range in a handout's data."""
    if isinstance(value, dict):
        if "choose" in value or {"min", "max"} <= set(value):
            return [path]
        return [p for k, v in value.items() for p in _ranged(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _ranged(v, f"{path}[{i}]")]
    return []


def _at(data, path):
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path):
        data = data[part[0]] if part[0] else data[int(part[1])]
    return data


HANDOUTS = sorted((ROOT / "derivations").glob("*.toml"))


def _set(data, path, value):
    """A copy of ``data`` with the value at ``path`` replaced."""
    import copy
    data = copy.deepcopy(data)
    parts = re.findall(r"\.([^.\[]+)|\[(\d+)\]", path)
    inner = _at(data, "".join(f".{k}" if k else f"[{i}]" for k, i in parts[:-1]))
    k, i = parts[-1]
    inner[k if k else int(i)] = value
    return data


def _printed(handout, item) -> str:
    """The answer key of a handout holding ``item`` alone, as Markdown."""
    from dlderive.export import render
    from dlderive.handout import Handout, build_document
    one = Handout(handout.path, {"title": "T", "notation": handout.data.get("notation", "sample"),
                                 "sections": [{"title": "S", "items": [item]}]})
    return render(build_document(one), "markdown")


@pytest.mark.parametrize("path", HANDOUTS, ids=[h.stem for h in HANDOUTS])
def test_every_ranged_value_of_every_handout_changes_the_printed_handout(path):
    """Each range is drawn within its bounds, takes more than one value over 30 seeds, and each value it
    takes (the item's other values held at variant 1) prints a different handout."""
    spec = load(path)
    ranged = []
    for i, section in enumerate(spec.data["sections"], 1):
        for j, item in enumerate(section["items"], 1):
            ranged += [(f"{i}.{j}", item, p) for p in _ranged(item)]
    assert ranged, f"{path.name} has no range"
    for key, item, where in ranged:
        lo_hi = _at(item, where)
        drawn = [_at(draw(item, seed, key), where) for seed in range(1, 31)]
        assert len(set(map(repr, drawn))) > 1, (path.name, key, where)
        for v in drawn:
            assert v in lo_hi["choose"] if "choose" in lo_hi else lo_hi["min"] <= v <= lo_hi["max"]
        base = draw(item, 1, key)
        values = sorted(set(drawn), key=repr)[:4]
        pages = {_printed(spec, _set(base, where, v)) for v in values}
        assert len(pages) == len(values), f"{path.name} item {key}: {where} does not change the printed handout"


def test_empty_headings_are_left_out(tmp_path):
    handout = tmp_path / "h.toml"
    handout.write_text('title = "T"\n[[sections]]\ntitle = "S"\n[[sections.items]]\nkind = "text"\n'
                       'text = "Say $x = 1$."\n[[sections.items]]\nkind = "derivation"\nname = "sigmoid"\n')
    assert main(["build", str(handout), "--out", str(tmp_path / "o")]) == 0
    tex = (tmp_path / "o" / "h.tex").read_text()
    md = (tmp_path / "o" / "h.md").read_text()
    assert "\\subsection*{}" not in tex and "\\subsection*" not in tex
    assert "###" not in md and "<h3></h3>" not in (tmp_path / "o" / "h.html").read_text()
    # no blank gap after "Answer.": the first answer text follows on the same line
    assert "**Answer.**\n\n$$" in md or "**Answer.** " in md


def test_overfull_lines_read_from_the_log(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("Overfull \\hbox (0.8pt too wide) in paragraph at lines 10--12\n"
                   "Overfull \\hbox (12.5pt too wide) detected at line 40\n"
                   "Underfull \\hbox (badness 10000) in paragraph at lines 3--4\n"
                   "Overfull \\hbox (1453.2pt too wide) in alignment at lines 50--60\n")
    assert overfull_lines(log) == [(1453.2, 50), (12.5, 40)]


def test_a_line_wider_than_the_page_fails_the_build(tmp_path, capsys):
    assert shutil.which("pdflatex") or shutil.which("lualatex")
    handout = tmp_path / "wide.toml"
    handout.write_text('title = "T"\n[[sections]]\ntitle = "S"\n[[sections.items]]\nkind = "text"\n'
                       "text = 'An unbreakable formula: $" + "".join(f"x_{{{i}}}" for i in range(80)) + "$.'\n")
    out = tmp_path / "o"
    assert main(["build", str(handout), "--out", str(out), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert "pt wider than the page" in err and "wide.tex line" in err and "Traceback" not in err
    assert not (out / "wide.pdf").exists()


def _every_derivation(path: Path) -> Path:
    """A handout with every built-in derivation in each of its forms (through-time ones at the default steps)."""
    from dlderive.derive import DERIVATIONS, derive
    lines = ['title = "Every derivation"', "[[sections]]", 'title = "All"']
    for name in DERIVATIONS:
        for form in ("scalar", "vector"):
            try:
                derive(name, form)
            except Exception:  # a form the derivation does not have (sigmoid is scalar only)
                continue
            lines += ["[[sections.items]]", 'kind = "derivation"', f'heading = "{name} ({form})"',
                      f'name = "{name}"', f'form = "{form}"']
    lines += ["[[sections.items]]", 'kind = "derivation"', 'heading = "lstm.bptt through 12 steps"',
              'name = "lstm.bptt"', 'form = "vector"', "steps = 12"]  # a long product: written with \\cdots
    from dlderive.cells import CELLS, get_cell
    from dlderive.lossgrad import accepted
    for cell in CELLS:  # the loss gradients of every cell, their result ∂L/∂W last
        weight = accepted(get_cell(cell), 2)[0]
        for form in ("scalar", "vector"):
            lines += ["[[sections.items]]", 'kind = "derivation"', f'heading = "{cell}.loss_grad ({form})"',
                      f'name = "{cell}.loss_grad"', f'form = "{form}"', f'weight = "{weight}"', "steps = 2"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    folder = tmp_path_factory.mktemp("every")
    handout = _every_derivation(folder / "every.toml")
    assert main(["build", str(handout), "--out", str(folder / "out"), "--pdf"]) == 0  # fails on an overfull line
    return folder / "out"


OVERFULL = re.compile(r"Overfull \\hbox \(([\d.]+)pt too wide\)")


@pytest.mark.tool
def test_every_derivation_fits_the_pdf_page(everything, tmp_path):
    tex = (everything / "every.tex").read_text()
    assert tex.count("\\begin{align*}") >= 60 and "\\cdots" in tex
    shutil.copy(everything / "every.tex", tmp_path / "every.tex")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "every.tex"], cwd=tmp_path,
                   capture_output=True, timeout=300)
    log = (tmp_path / "every.log").read_text(errors="replace")
    assert "Output written on every.pdf" in log
    assert [float(x) for x in OVERFULL.findall(log) if float(x) > 1.0] == []
    assert (everything / "every.pdf").read_bytes().startswith(b"%PDF")


FIT = """<script>
window.addEventListener('load', () => {
  const column = document.querySelector('main').getBoundingClientRect();
  const wide = [...document.querySelectorAll('math[display="block"]')].map((m, i) => {
    const r = m.getBoundingClientRect();
    const texts = [...m.querySelectorAll('mtext')].filter(t => t.getBoundingClientRect().right > column.right + 1);
    return [i, m.scrollWidth - m.clientWidth, r.right - column.right, texts.map(t => t.textContent)];
  }).filter(([i, scroll, right, cut]) => scroll > 1 || right > 1 || cut.length);
  const count = document.querySelectorAll('math[display="block"]').length;
  const pre = document.createElement('pre'); pre.id = 'fit';
  pre.textContent = JSON.stringify({count, wide});
  document.body.appendChild(pre);
});
</script>"""


@pytest.mark.tool
def test_every_derivation_fits_the_html_column(everything, tmp_path):
    from test_build import chromium
    probe = tmp_path / "probe.html"  # a test-only copy: the shipped page has no script
    probe.write_text((everything / "every.html").read_text().replace("</body>", FIT + "</body>"))
    done = chromium("--window-size=1000,1400", "--virtual-time-budget=20000", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="fit">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr[-2000:]
    data = json.loads(found.group(1).replace("&quot;", '"'))
    assert data["count"] >= 60
    assert data["wide"] == []


def test_a_declared_cell_in_a_handout(tmp_path):
    import math
    cells = tmp_path / "cells"
    cells.mkdir()
    shutil.copy(ROOT / "docs" / "cells" / "mgu.toml", cells / "mgu.toml")
    handout = tmp_path / "mgu.toml"
    values = dict(x_t=0.5, h_prev=-0.2, W_f=0.3, U_f=0.1, b_f=0.0, W_u=0.7, U_u=-0.4, b_u=0.1)
    handout.write_text('title = "MGU"\n[[sections]]\ntitle = "S"\n'
                       '[[sections.items]]\nkind = "derivation"\nheading = "D"\ncell = "cells/mgu.toml"\n'
                       'name = "mgu.hidden"\n'
                       '[[sections.items]]\nkind = "evaluate"\nheading = "E"\ncell = "cells/mgu.toml"\n'
                       'targets = ["h_t"]\n[sections.items.values]\n'
                       + "".join(f"{k} = {v}\n" for k, v in values.items()))
    assert main(["build", str(handout), "--out", str(tmp_path / "o")]) == 0
    md = (tmp_path / "o" / "mgu.md").read_text()
    v = values
    f = 1 / (1 + math.exp(-(v["W_f"] * v["x_t"] + v["U_f"] * v["h_prev"] + v["b_f"])))
    u = math.tanh(v["W_u"] * v["x_t"] + v["U_u"] * (f * v["h_prev"]) + v["b_u"])
    h = (1 - f) * v["h_prev"] + f * u  # the MGU's equations, by hand
    assert f"{h:.4g}" in md
    assert "\\frac{\\partial h_t}{\\partial h_{t-1}}" in md


def test_a_missing_cell_file_names_item_and_key(tmp_path, capsys):
    handout = tmp_path / "h.toml"
    handout.write_text('title = "T"\n[[sections]]\ntitle = "S"\n[[sections.items]]\nkind = "derivation"\n'
                       'heading = "D"\ncell = "nowhere.toml"\nname = "x.hidden"\n')
    assert main(["build", str(handout), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "h.toml" in err and "item 1 (D)" in err and "key 'cell'" in err and "nowhere.toml" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


def test_check_model_takes_a_cell_file(tmp_path, capsys):
    doc = tmp_path / "mgu.md"
    # h_t = (1 - f_t) h_{t-1} + f_t u_t, so dh_t/du_t = f_t (by hand), not 1 - f_t
    doc.write_text("$$\\frac{\\partial h_t}{\\partial u_t} = f_t$$\n\n$$\\frac{\\partial h_t}{\\partial u_t} = 1 - f_t$$\n")
    assert main(["check", str(doc), "--model", str(ROOT / "docs" / "cells" / "mgu.toml"), "--color", "never"]) == 1
    out = capsys.readouterr().out
    assert "1 valid, 1 invalid" in out


def test_conv_inverse_without_a_solution_in_words(tmp_path):
    handout = tmp_path / "h.toml"
    handout.write_text('title = "T"\n[[sections]]\ntitle = "S"\n[[sections.items]]\nkind = "conv_inverse"\n'
                       'heading = "I"\noutput = 1\nkernel = 3\nstride = 1\npadding = 5\n')
    assert main(["build", str(handout), "--out", str(tmp_path / "o")]) == 0
    md = (tmp_path / "o" / "h.md").read_text()
    # the smallest input, D_in = 1, gives floor((1 + 2*5 - (3 - 1) - 1)/1) + 1 = 9 (PyTorch Conv2d), by hand
    assert "No input size gives this output" in md and "$D_{out} = 9$" in md
    assert "&" not in md.split("No input size")[1] and "<=" not in md


def test_pytorch_preset_writes_pytorch_names(tmp_path):
    # torch.nn.LSTM's documentation: i_t, f_t, g_t, o_t, c_t, h_t; weights W_{ii}, W_{hi}, ... W_{ig}, W_{hg}
    assert main(["build", str(WEEK8), "--out", str(tmp_path), "--notation", "pytorch"]) == 0
    tex = (tmp_path / "week8.tex").read_text()
    assert "g_t" in tex and "W_{ig}" in tex and "W_{hg}" in tex and "b_{g}" in tex
    assert not re.search(r"(?<![A-Za-z\\])u_(?:t|\{t)", tex) and "W_{iu}" not in tex
    assert "candidate $g_t$" in (tmp_path / "week8.md").read_text()
    # the sample preset keeps u
    assert main(["build", str(WEEK8), "--out", str(tmp_path / "s")]) == 0
    assert "candidate $u_t$" in (tmp_path / "s" / "week8.md").read_text()


def test_renamed_letters_stay_distinct():
    from dlderive.notation import PRESETS
    n = PRESETS["pytorch"]
    names = ["u_t", "g_t", "u_prev", "g_prev", "W_u", "W_g", "U_u", "U_g", "b_u", "b_g"]
    shown = [n.symbol(x) for x in names]
    assert len(set(shown)) == len(shown)
    assert shown[:2] == ["g_t", "u_t"] and n.symbol("W_u") == "W_{ig}"


def test_long_products_through_time_written_with_cdots():
    from dlderive.export import render
    from dlderive.export.linebreak import abbreviate_chains
    import dlderive
    many = render(dlderive.derive("rnn.bptt", form="vector", steps=8), "latex")
    first = "\\frac{\\partial h_t}{\\partial h_{t-1}} \\frac{\\partial h_{t-1}}{\\partial h_{t-2}} \\cdots "
    assert first + "\\frac{\\partial h_{t-7}}{\\partial h_{t-8}}" in many
    assert "h_{t-3}}{\\partial h_{t-4}}" not in many  # the middle factors are the \cdots
    few = render(dlderive.derive("rnn.bptt", form="vector", steps=6), "latex")
    assert "\\cdots" not in few and "\\frac{\\partial h_{t-2}}{\\partial h_{t-3}}" in few
    # only telescoping chains: a product whose factors do not chain is kept whole
    loose = " ".join(f"\\frac{{\\partial a_{i}}}{{\\partial b_{i}}}" for i in range(9))
    assert abbreviate_chains(loose) == loose
    html = render(dlderive.derive("rnn.bptt", form="vector", steps=8), "html")
    assert "<merror" not in html and "⋯" in html


def _week8_counts() -> dict[str, int]:
    """Week 8's counts worked out by hand: conv layers 2.2.1 and 2.2.2 (5 x 5 outputs) and LeNet-5."""
    c1 = dict(weights=64 * 32 * 7 * 7, mults=64 * 32 * 7 * 7 * 25, adds=64 * 25 * (32 * 7 * 7 - 1 + 1))
    c2 = dict(weights=128 * 512, params=128 * 512 + 128, mults=128 * 512 * 25)
    lenet_params = 6 * (25 + 1) + 16 * (6 * 25 + 1) + 120 * (400 + 1) + 84 * 121 + 10 * 85
    lenet_macs = 6 * 25 * 28 * 28 + 16 * 150 * 10 * 10 + 400 * 120 + 120 * 84 + 84 * 10
    return {"weights 2.2.1": c1["weights"], "params 2.2.1": c1["weights"] + 64, "mults 2.2.1": c1["mults"],
            "adds 2.2.1": c1["adds"], "weights 2.2.2": c2["weights"], "params 2.2.2": c2["params"],
            "mults 2.2.2": c2["mults"], "LeNet params": lenet_params, "LeNet MACs": lenet_macs}


def test_one_number_format_in_text_and_math(tmp_path):
    """Counts are grouped by thousands everywhere: 2,508,800 in text, 2{,}508{,}800 in LaTeX math (shown
    2,508,800), one <mn>2,508,800</mn> in MathML; never 2508800."""
    counts = _week8_counts()
    assert counts["mults 2.2.1"] == counts["adds 2.2.1"] == 2508800 and counts["LeNet params"] == 61706
    assert main(["build", str(WEEK8), "--out", str(tmp_path), "--ipynb"]) == 0
    tex, md, html = ((tmp_path / f"week8.{e}").read_text() for e in ("tex", "md", "html"))
    notebook = "".join("".join(c["source"]) for c in json.loads((tmp_path / "week8.ipynb").read_text())["cells"])
    math_blocks = {
        "tex": re.findall(r"\\begin\{align\*\}.*?\\end\{align\*\}|\$[^$]+\$", tex, re.S),
        "md": re.findall(r"\$\$.*?\$\$|\$[^$]+\$", md, re.S),
        "ipynb": re.findall(r"\$\$.*?\$\$|\$[^$]+\$", notebook, re.S),
    }
    for what, n in counts.items():
        text, math = f"{n:,}", f"{n:,}".replace(",", "{,}")
        for fmt, page in (("tex", tex), ("md", md), ("ipynb", notebook), ("html", html)):
            assert not re.search(rf"(?<![\d,}}]){n}(?!\d)", page), f"{what} {n} ungrouped in {fmt}"
        for fmt, page in (("tex", tex), ("md", md), ("ipynb", notebook)):
            outside = re.sub(r"\\begin\{align\*\}.*?\\end\{align\*\}|\$\$.*?\$\$|\$[^$]+\$", " ", page, flags=re.S)
            assert text in outside or math in " ".join(math_blocks[fmt]), f"{what} missing in {fmt}"
        assert f"<mn>{text}</mn>" in html or f">{text}<" in html or f"{text}," in html, what
    # the same number in both places: 2,508,800 in the summary text and in the derivation's last line
    for page, blocks in ((tex, math_blocks["tex"]), (md, math_blocks["md"]), (notebook, math_blocks["ipynb"])):
        assert "**2,508,800**" in page or "\\textbf{2,508,800}" in page
        assert any("&= 2{,}508{,}800" in b for b in blocks)
    assert "<mn>2,508,800</mn>" in html and "<strong>2,508,800</strong>" in html
    assert "<mn>61,706</mn>" in html or ">61,706<" in html


LABELS = """<script>
window.addEventListener('load', () => {
  const texts = [], cut = [];
  for (const m of document.querySelectorAll('math[display="block"]')) {
    if (getComputedStyle(m).display === 'none') continue;
    const box = m.getBoundingClientRect();
    for (const row of m.querySelectorAll(':scope mtr')) {
      const cells = [...row.querySelectorAll(':scope > mtd')];
      // a rule: the fourth cell beside its line, or (narrow layout) a row of its own holding text only
      const alone = cells.length === 2 && !cells[0].textContent.trim() && !cells[1].querySelector('mo')
                    && cells[1].querySelector(':scope > mtext, :scope > mrow > mtext');
      const cell = cells.length === 4 ? cells[3] : (alone ? cells[1] : null);
      if (!cell || !cell.textContent.trim()) continue;
      texts.push(cell.textContent.replace(/\\s+/g, ' ').trim());
      const range = document.createRange(); range.selectNodeContents(cell);
      const t = range.getBoundingClientRect();
      let hidden = false;
      for (let e = cell; e && e !== m; e = e.parentElement) {
        const s = getComputedStyle(e);
        hidden = hidden || s.textOverflow === 'ellipsis' || ['hidden', 'clip', 'scroll', 'auto'].includes(s.overflowX);
      }
      const scrolls = m.scrollWidth > m.clientWidth + 1 && t.right > box.right - 1;
      if (hidden || cell.scrollWidth > cell.clientWidth || t.width <= 0 || t.left < box.left - 0.5
          || t.right > box.right + 0.5 || t.right > innerWidth || scrolls)
        cut.push([texts[texts.length - 1], t.left, t.right, box.right, m.scrollWidth - m.clientWidth, hidden]);
    }
  }
  const pre = document.createElement('pre'); pre.id = 'labels';
  pre.textContent = JSON.stringify({texts, cut, width: innerWidth});
  document.body.appendChild(pre);
});
</script>"""


def _expected_rules(folder: Path) -> list[str]:
    """Every rule of every derivation of the every-derivation handout, in page order (by the engine's steps)."""
    import tomllib

    from dlderive.derive import derive
    from dlderive.export.latex import printed_steps
    rules = []
    spec = tomllib.loads(_every_derivation(folder / "every.toml").read_text())
    for item in spec["sections"][0]["items"]:
        d = derive(item["name"], item["form"], item.get("steps"), item.get("weight"))
        rules += [" ".join(s.rule.split()) for s in printed_steps(d) if s.rule]
    return rules


@pytest.mark.tool
@pytest.mark.parametrize("width", [500, 1400])
def test_rule_labels_are_never_cut(everything, tmp_path, width):
    """At a phone's width (each rule under its line) and a desktop's (beside it), every rule of every
    derivation is shown in full inside the visible part of its formula: not clipped, not scrolled away."""
    from test_build import chromium
    probe = tmp_path / "probe.html"
    probe.write_text((everything / "every.html").read_text().replace("</body>", LABELS + "</body>"))
    done = chromium(f"--window-size={width},1400", "--virtual-time-budget=30000", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="labels">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr[-2000:]
    data = json.loads(html.unescape(found.group(1)))
    assert data["width"] == width
    assert data["cut"] == []
    expected = _expected_rules(tmp_path)
    assert len(expected) > 500
    assert [t.replace("\u00a0", " ") for t in data["texts"]] == expected
