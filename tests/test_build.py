"""`dlderive build`: outputs, atomic writes, student version, seeds, notation, bad input; with the
real tools: every handout compiled by pdflatex and read back, the HTML laid out by headless Chromium."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dlderive.cli import main
from dlderive.commands import build as build_module
from dlderive.errors import DlderiveError

ROOT = Path(__file__).resolve().parents[1]
WEEK8 = ROOT / "derivations" / "week8.toml"
HANDOUTS = sorted((ROOT / "derivations").glob("*.toml"))
MATHML = "{http://www.w3.org/1998/Math/MathML}"
SMALL = """title = "Small"
[[sections]]
title = "S"
[[sections.items]]
kind = "conv_size"
heading = "1"
input = [28, 28]
kernel = 3
"""


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("week8")
    assert main(["build", str(WEEK8), "--out", str(out)]) == 0
    return out


def test_build_writes_tex_html_md(built, capsys):
    assert sorted(p.name for p in built.iterdir()) == ["week8.html", "week8.md", "week8.tex"]
    md = (built / "week8.md").read_text()
    assert md.startswith("# Week 8 Homework") and "$$\n\\begin{align*}" in md
    assert "\\begin{align*}" in (built / "week8.tex").read_text()


def test_html_is_clean_xml_without_script_or_network(built):
    page = (built / "week8.html").read_text()
    root = ET.fromstring(page)
    assert not [e for e in root.iter() if e.tag.endswith("script") or e.tag.endswith("link")]
    assert "http" not in page.replace("http://www.w3.org/", "")
    maths = list(root.iter(f"{MATHML}math"))
    assert len(maths) > 50
    assert not list(root.iter(f"{MATHML}merror"))
    for el in root.iter():
        if el.tag in (f"{MATHML}mi", f"{MATHML}mo"):
            assert not (el.text or "").startswith("\\"), el.text


def test_existing_folder_is_reused_and_nothing_else_deleted(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "week8-student.md").write_text("old")
    assert main(["build", str(WEEK8), "--out", str(tmp_path), "--no-answers"]) == 0
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "week8-student.md").read_text() != "old"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_student_version_has_questions_only(tmp_path):
    assert main(["build", str(WEEK8), "--out", str(tmp_path), "--no-answers"]) == 0
    for name in ("week8-student.md", "week8-student.html", "week8-student.tex"):
        text = (tmp_path / name).read_text()
        assert "Answer.**" not in text and 'class="answer"' not in text and "\\begin{answer}" not in text
        assert "52, 53, 54" not in text and "begin{align" not in text and "<mtable" not in text
        assert "2.1.3" in text and "1.5 Gate activations" in text


def test_seed_is_deterministic_and_changes_the_variant(tmp_path):
    for folder, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        assert main(["build", str(WEEK8), "--out", str(tmp_path / folder), "--seed", seed, "--no-answers"]) == 0
    a, b, c = ((tmp_path / f / "week8-student.md").read_text() for f in "abc")
    assert a == b and a != c and "variant 5" in a


def test_notation_option(tmp_path):
    assert main(["build", str(WEEK8), "--out", str(tmp_path), "--notation", "pytorch"]) == 0
    derivations = " ".join(re.findall(r"\\begin\{align\*\}.*?\\end\{align\*\}", (tmp_path / "week8.tex").read_text(),
                                      re.S))
    assert "W_{hf}" in derivations and "\\odot" in derivations
    assert "U^{f}" not in derivations and "\\circ" not in derivations
    assert "weights $W_{if}, W_{hf}$" in (tmp_path / "week8.tex").read_text()  # prose follows the notation too


@pytest.mark.parametrize("bad, key", [("colour = 1", "colour"), ("stride = \"three\"", "stride")])
def test_bad_handout_exit_2_and_nothing_written(tmp_path, capsys, bad, key):
    text = WEEK8.read_text().replace("stride = 3\npadding = 2", f"{bad}\nstride = 3\npadding = 2", 1)
    if key == "stride":
        text = WEEK8.read_text().replace("stride = 3\npadding = 2", "stride = \"three\"\npadding = 2", 1)
    handout = tmp_path / "bad.toml"
    handout.write_text(text)
    out = tmp_path / "out"
    assert main(["build", str(handout), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(handout) in err and f"key '{key}'" in err and "2.1.1" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_failed_write_leaves_no_partial_file(small, tmp_path, monkeypatch):
    real = os.replace

    def failing(src, dst):
        if str(dst).endswith(".html"):
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(build_module.os, "replace", failing)
    out = tmp_path / "out"
    with pytest.raises(DlderiveError, match=r"small\.html: cannot write \(No space left on device\)"):
        build_module.build(small, out)
    assert (out / "small.tex").exists() and not (out / "small.html").exists()
    assert not [p for p in out.iterdir() if ".tmp" in p.name]


def test_pdf_without_latex_says_what_to_install(small, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out = tmp_path / "out"
    assert main(["build", str(small), "--out", str(out), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert "apt-get install texlive-latex-base texlive-latex-recommended" in err
    assert sorted(p.name for p in out.iterdir()) == ["small.html", "small.md", "small.tex"]


# ------------------------------------------------------------------------------ real tools
def need(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")


@pytest.mark.tool
@pytest.mark.parametrize("handout", HANDOUTS, ids=[h.stem for h in HANDOUTS])
def test_every_handout_compiles_to_pdf(handout, tmp_path):
    need("pdflatex", "pdftotext")
    assert main(["build", str(handout), "--out", str(tmp_path), "--pdf"]) == 0
    pdf = tmp_path / f"{handout.stem}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert load_title(handout) in " ".join(text.split())
    if handout == WEEK8:
        flat = " ".join(text.split())
        for expected in ("52, 53, 54", "100,416", "2,508,800", "65,664", "Counting convention", "chain rule"):
            assert expected in flat, expected


def load_title(handout):
    from dlderive.handout import load
    return load(handout).data["title"]


@pytest.mark.tool
def test_hostile_title_compiles_and_reads_back(tmp_path):
    need("pdflatex", "pdftotext")
    title = "<script>alert(1)</script> & \\input{/etc/passwd} 100% } # ~ ^ _ $"
    handout = tmp_path / "hostile.toml"
    handout.write_text(f'title = {json.dumps(title)}\nauthor = "A & B"\n[[sections]]\ntitle = "S}}"\n'
                       '[[sections.items]]\nkind = "text"\nheading = "<b>x</b>"\ntext = "50% & {ok}"\n')
    out = tmp_path / "out"
    assert main(["build", str(handout), "--out", str(out), "--pdf"]) == 0
    text = subprocess.run(["pdftotext", str(out / "hostile.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "\\input{/etc/passwd}" in text and "<script>alert(1)</script>" in text and "50% & {ok}" in text
    root = ET.fromstring((out / "hostile.html").read_text())
    assert not [e for e in root.iter() if e.tag.endswith("script") or e.tag.endswith("}b")]


MEASURE = """<script>
window.addEventListener('load', () => {
  const shown = [...document.querySelectorAll('math')].filter(m => getComputedStyle(m).display !== 'none');
  const boxes = shown.map(m => {
    const r = m.getBoundingClientRect(); return [r.width, r.height]; });
  const tables = shown.flatMap(m => [...m.querySelectorAll('mtable')]);
  const offsets = tables.map(t => [...t.querySelectorAll(':scope > mtr')]
    .map(row => row.children[1] && [...row.children[1].children].find(c => c.tagName === 'mo'))
    .filter(mo => mo && mo.textContent === '=').map(mo => mo.getBoundingClientRect().left));
  const rights = tables.map(t => [...t.querySelectorAll(':scope > mtr')]
    .map(row => row.children[0] && row.children[0].lastElementChild)
    .filter(c => c).map(c => c.getBoundingClientRect().right));
  const pre = document.createElement('pre'); pre.id = 'measure';
  pre.textContent = JSON.stringify({boxes, offsets, rights, width: document.documentElement.scrollWidth});
  document.body.appendChild(pre);
});
</script>"""

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(*args):
    need("chromium")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120)


@pytest.mark.tool
def test_chromium_lays_out_every_formula_and_lines_up_equals(built, tmp_path):
    page = (built / "week8.html").read_text()
    count = len([m for m in ET.fromstring(page).iter(f"{MATHML}math") if m.get("class") != "narrow"])
    probe = tmp_path / "probe.html"  # a test-only copy: the shipped page has no script
    probe.write_text(page.replace("</body>", MEASURE + "</body>"))
    done = chromium("--window-size=1000,1400", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="measure">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr[-2000:]
    data = json.loads(found.group(1).replace("&quot;", '"'))
    assert len(data["boxes"]) == count
    for width, height in data["boxes"]:
        assert width > 0 and height > 0
    aligned = [lefts for lefts in data["offsets"] if len(lefts) > 1]
    assert len(aligned) >= 5
    for lefts in aligned:
        assert max(lefts) - min(lefts) < 1.0, lefts  # the = signs of one derivation line up
    for rights in (r for r in data["rights"] if len(r) > 1):
        assert max(rights) - min(rights) < 1.0, rights  # left-hand sides end where the = column begins


@pytest.mark.tool
def test_chromium_screenshot(built, tmp_path):
    shot = tmp_path / "week8.png"
    chromium("--window-size=1000,1600", f"--screenshot={shot}", (built / "week8.html").as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 50_000  # a rendered page, not a blank one


BAD_OPTIONS = """title = "T"
[[sections]]
title = "S"
[[sections.items]]
kind = "derivation"
heading = "A"
name = "lstm.loss_grad"
weight = "Q_z"
[[sections.items]]
kind = "text"
heading = "fine"
text = "A good item between bad ones."
[[sections.items]]
kind = "derivation"
heading = "B"
name = "lstm.loss_grad"
weight = "W_f"
steps = 5000
[[sections.items]]
kind = "derivation"
heading = "C"
name = "mlp.backprop"
activation = "swish"
"""


@pytest.mark.parametrize("text, expected", [
    (BAD_OPTIONS, [("1 (A)", "weight", "Q_z"), ("3 (B)", "steps", "5000"), ("4 (C)", "activation", "swish")]),
    # with a problem found when the file is read (a kernel larger than the padded input: 5 > 3 + 2*0)
    (BAD_OPTIONS + '[[sections.items]]\nkind = "conv_size"\nheading = "D"\ninput = [3, 3]\nkernel = 5\n',
     [("1 (A)", "weight", "Q_z"), ("3 (B)", "steps", "5000"), ("4 (C)", "activation", "swish"),
      ("5 (D)", "kernel", "exceeds")]),
    # a key the schema does not know stops the file before its items are built
    (BAD_OPTIONS.replace('activation = "swish"', 'activation = "relu"\ncolour = 1'), [("4 (C)", "colour", "unknown key")]),
])
def test_a_failed_build_names_every_problem_and_touches_nothing(tmp_path, capsys, text, expected):
    """Options the engine refuses are found in every item of the file in one run, each naming file, item and
    key; the folder's files (an earlier build's and others) are left exactly as they were."""
    handout = tmp_path / "week.toml"
    handout.write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    before = {"week.md": "earlier build", "week.html": "<p>earlier</p>", "notes.txt": "mine"}
    for name, content in before.items():
        (out / name).write_text(content)
    assert main(["build", str(handout), "--out", str(out), "--both", "--pdf"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and "Traceback" not in captured.err and len(lines) == len(expected)
    for line, (item, key, fragment) in zip(lines, expected):
        assert line.startswith(f"dlderive: error: {handout}, section 'S', item {item}, key '{key}'")
        assert fragment in line
    assert {p.name: p.read_text() for p in out.iterdir()} == before
