"""User text in every export: LaTeX that compiles (pdflatex where its fonts suffice, lualatex for the rest)
and prints what was written, HTML that parses as XML, Markdown without an HTML element from user text,
and one error line naming file, item and key for what no output can show. Oracles: the real TeX engines
and pdftotext (what the PDF shows), fontconfig (what the Unicode font covers), markdown-it-py, an XML parser."""
from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from dlderive.cli import main
from dlderive.commands import build as build_module
from dlderive.errors import DlderiveError
from dlderive.export.escape import UNICODE_FONT, UNICODE_RANGES, escape_latex, fold, pdflatex_text, unprintable
from dlderive.export.markup import check_math
from dlderive.handout import load


def handout(tmp_path: Path, body: str, title: str = "'T'") -> Path:
    path = tmp_path / "h.toml"
    path.write_text(f"title = {title}\n[[sections]]\ntitle = 'S'\n[[sections.items]]\nkind = 'text'\n"
                    f"heading = 'H'\n{body}\n", encoding="utf-8")
    return path


def compile_tex(tex: Path, engine: str) -> str:
    """Compile with ``engine`` (exit status 0 required) and return the PDF's text."""
    done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", tex.name],
                          cwd=tex.parent, capture_output=True, text=True, errors="replace", timeout=180)
    assert done.returncode == 0, done.stdout[-2000:]
    log = tex.with_suffix(".log").read_text(errors="replace")
    assert "Missing character" not in log, re.findall(r"Missing character.*", log)[:3]
    return subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", tex.with_suffix(".pdf").name, "-"], cwd=tex.parent,
                          capture_output=True, text=True, check=True).stdout


def markdown_html_tokens(text: str) -> list:
    tokens = MarkdownIt("commonmark").parse(text)
    found = []
    for t in tokens:
        found += [t] if t.type.startswith("html") else [c for c in t.children or [] if c.type.startswith("html")]
    return found


def test_greek_and_symbols_compile_in_pdflatex_and_show_in_the_pdf(tmp_path):
    path = handout(tmp_path, 'text = "Pruning α-β, 5 ≤ 6 × 7 — naïve café"',
                   title='"Lecture 8: α-β pruning\\u200b\\u202e"')
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out)]) == 0
    tex = (out / "h.tex").read_text()
    assert tex.isascii() and "\\u202e" not in tex  # every character mapped: pdflatex's fonts suffice
    text = compile_tex(out / "h.tex", "pdflatex")
    plain = "".join(c for c in unicodedata.normalize("NFD", text.replace("ı", "i")) if not unicodedata.combining(c))
    assert "Lecture 8: α-β pruning" in text and "naive cafe" in plain
    assert "≤" in text and "×" in text


def test_cyrillic_takes_the_unicode_route_and_shows_in_the_pdf(tmp_path):
    path = handout(tmp_path, 'text = "Привет, ἀλήθεια"', title='"Лекция 8"')
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out)]) == 0
    tex = (out / "h.tex").read_text()
    assert f"\\setmainfont{{{UNICODE_FONT}}}" in tex
    text = compile_tex(out / "h.tex", "lualatex")
    assert "Лекция 8" in text and "Привет" in text and "ἀλήθεια" in unicodedata.normalize("NFC", text)
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "h.tex"], cwd=out,
                          capture_output=True, text=True, errors="replace")
    assert done.returncode != 0 and "compile it with lualatex or xelatex" in done.stdout


def test_pdf_prefers_lualatex_and_without_it_names_the_character(tmp_path, monkeypatch, capsys):
    path = handout(tmp_path, 'text = "Привет"')
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out), "--pdf"]) == 0
    assert (out / "h.pdf").read_bytes().startswith(b"%PDF")
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name in ("lualatex", "xelatex") else real(name))
    assert main(["build", str(path), "--out", str(out), "--pdf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the character 'П' (U+041F) needs lualatex or xelatex" in err[0]
    assert "the previous h.pdf was removed" in err[0] and not (out / "h.pdf").exists()


def test_every_character_pdflatex_is_given_compiles_in_pdflatex(tmp_path):
    from dlderive.export import render
    from dlderive.export.document import Document, Item, Section
    chars = [chr(o) for o in range(0x20, 0x2300) if pdflatex_text(chr(o)) is not None]
    assert len(chars) > 250 and "α" in chars and "é" in chars and "Ж" not in chars
    lines = ["".join(chars[i:i + 40]) for i in range(0, len(chars), 40)]
    doc = Document(title="All", sections=(Section("S", tuple(Item(line) for line in lines)),))
    tex = tmp_path / "all.tex"
    tex.write_text(render(doc, "latex"))
    assert tex.read_text().isascii()
    compile_tex(tex, "pdflatex")


def test_the_unicode_ranges_are_covered_by_the_font():
    font = subprocess.run(["fc-match", "-f", "%{file}", UNICODE_FONT], capture_output=True, text=True, check=True).stdout
    assert "DejaVuSerif" in font
    charset = subprocess.run(["fc-query", "-f", "%{charset}", font], capture_output=True, text=True, check=True).stdout
    covered = set()
    for part in charset.split():
        lo, _, hi = part.partition("-")
        covered.update(range(int(lo, 16), int(hi or lo, 16) + 1))
    missing = [f"U+{o:04X}" for lo, hi in UNICODE_RANGES for o in range(lo, hi + 1)
               if unicodedata.category(chr(o)) != "Cn" and o not in covered]
    assert missing == []


@pytest.mark.parametrize("char", ["中", "😀", "한", "\u0e01"])
def test_characters_no_font_prints_are_refused_by_name_and_position(tmp_path, char, capsys):
    path = handout(tmp_path, f'text = "ab {char}"')
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"dlderive: error: {path}, section 'S', item 1 (H), key 'text': character {char!r} "
                   f"(U+{ord(char):04X} {unicodedata.name(char)}) at position 4 of the text cannot be typeset "
                   "in LaTeX: the fonts cover Latin, Greek and Cyrillic"]
    assert not (tmp_path / "out").exists()


def test_toml_escapes_in_math_are_errors_with_advice_all_in_one_run(tmp_path, capsys):
    path = handout(tmp_path, 'question = "Loss $\\text{loss}$"\ntext = "Half $\\frac{1}{2}$ and $\\beta$"')
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3
    where = f"dlderive: error: {path}, section 'S', item 1 (H), key "
    assert err[0].startswith(where + "'question': math $ ext{loss}$ holds the control character \\t (as in \\text")
    assert err[1].startswith(where + "'text': math $ rac{1}{2}$ holds the control character \\f (as in \\frac)")
    assert err[2].startswith(where + "'text': math $eta$") or "\\b (as in \\beta" in err[2]
    assert all("write \\\\ for a backslash, or use a '...' literal string" in line for line in err)


def test_literal_strings_and_doubled_backslashes_are_accepted(tmp_path):
    path = handout(tmp_path, "question = '$\\text{loss} = \\frac{1}{2} \\boldsymbol{x} + \\bm{W} + \\mathcal{L}$'\n"
                             'text = "$\\\\hat{y} = \\\\tilde{x} + \\\\mathbf{b}$"')
    load(path)
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out)]) == 0
    tex = (out / "h.tex").read_text()
    assert "\\boldsymbol{x} + \\bm{W} + \\mathcal{L}" in tex and "\\hat{y} = \\tilde{x}" in tex
    compile_tex(out / "h.tex", "pdflatex")
    root = ET.parse(out / "h.html").getroot()
    variants = {e.get("mathvariant") for e in root.iter() if e.get("mathvariant")}
    assert "bold-italic" in variants  # \boldsymbol and \bm
    assert "\u2112" in ET.tostring(root, encoding="unicode")  # \mathcal{L} as script L
    md = (out / "h.md").read_text()
    assert "$\\hat{y} = \\tilde{x} + \\mathbf{b}$" in md and markdown_html_tokens(md) == []


@pytest.mark.parametrize("math, shown", [
    ("50% of #items & more", "50\\% of \\#items \\& more"),
    ("a \\% b", "a \\% b"),
    ("σ(z) ≤ 1", "\\sigma (z) \\le  1"),
])
def test_math_specials_are_escaped_and_unicode_becomes_commands(math, shown, tmp_path):
    assert check_math(math) == shown
    path = handout(tmp_path, f"text = '${math}$'")
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out)]) == 0
    compile_tex(out / "h.tex", "pdflatex")
    ET.parse(out / "h.html")


@pytest.mark.parametrize("math, message", [
    ("a}b{", "a } without its {"), ("{a", "a { without its }"), ("\\input{x}", "math command \\input"),
    ("ж", "character 'ж' (U+0436) in math"),
])
def test_math_that_cannot_compile_is_refused(math, message, tmp_path, capsys):
    with pytest.raises(DlderiveError, match=re.escape(message)):
        check_math(math)
    path = handout(tmp_path, f"text = '${math}$'")
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 2
    assert f"key 'text': {message}" in capsys.readouterr().err


def test_blank_lines_and_control_characters_in_one_line_texts_are_folded(tmp_path):
    path = tmp_path / "h.toml"
    path.write_text('title = "A\\n\\nB\\u0007C"\nauthor = "X\\r\\n\\nY\\tZ"\n[[sections]]\ntitle = "S\\n\\nT"\n'
                    '[[sections.items]]\nkind = "text"\nheading = "one\\n\\ntwo"\ntext = "p\\u000bq"\n')
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out)]) == 0
    text = compile_tex(out / "h.tex", "pdflatex")
    for line in ("A B C", "X Y Z", "S T", "one two", "p q"):
        assert line in text
    root = ET.parse(out / "h.html").getroot()
    assert [e.text for e in root.iter() if e.tag.endswith("h3")] == ["one two"]
    md = (out / "h.md").read_text()
    assert "# A B C\n" in md and "### one two\n" in md and "\x07" not in md and "\x0b" not in md


def test_markdown_never_carries_html_from_user_text(tmp_path):
    hostile = "<img src=x onerror=alert(1)>"
    path = tmp_path / "h.toml"
    path.write_text(f"title = '{hostile}'\nauthor = '<b>a</b>'\nintro = '<script>x</script>'\n[[sections]]\n"
                    f"title = '<i>s</i>'\nintro = '<div>'\n[[sections.items]]\nkind = 'text'\nheading = '{hostile}'\n"
                    f"question = '**<u>b</u>** *<s>i</s>* `<code>` [x](javascript:alert(1)) <http://x>'\n"
                    f"text = '$a<img src=x onerror=alert(1)>b$ &lt;b&gt;'\n")
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out)]) == 0
    md = (out / "h.md").read_text()
    assert markdown_html_tokens(md) == []
    rendered = MarkdownIt("commonmark").render(md)
    assert "<img" not in rendered and "<script" not in rendered and "javascript:" not in rendered.replace("javascript:alert", "")
    root = ET.parse(out / "h.html").getroot()
    assert not [e for e in root.iter() if e.tag.split("}")[-1] in ("img", "script", "u", "s", "div", "b", "i")]


def test_fold_and_escape_units():
    assert fold(" a\n\n b\t\x00c\u200b\u202ed ") == "a b cd"
    assert escape_latex("α\\%") == "\\ensuremath{\\alpha}\\textbackslash{}\\%"
    assert escape_latex("é ø") == "\\'{e} \\o{}"
    assert unprintable("ok Ж") is None and "U+4E2D" in str(unprintable("x中"))
    assert escape_latex("x中😀") == "x[U+4E2D][U+1F600]"  # a check report or a Document built in Python


def test_every_special_character_beside_a_conv_item_prints_literally_in_both_engines(tmp_path):
    specials = "& % # ~ ^ _ { } \\ $ | < > \" ` * [ ] @ = + /"
    path = tmp_path / "h.toml"
    path.write_text(f"title = '''T {specials}'''\n[[sections]]\ntitle = 'S'\n[[sections.items]]\nkind = 'conv_size'\n"
                    f"heading = '''H {specials}'''\nquestion = '''Q {specials} $x_t$ **b** `c&%$#_{{}}~^\\`'''\n"
                    "input = [28, 28]\nkernel = 3\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out)]) == 0
    for engine in ("pdflatex", "lualatex"):
        lines = compile_tex(out / "h.tex", engine).splitlines()
        assert lines[0] == f"T {specials}" and f"H {specials}" in lines
    ET.parse(out / "h.html")
    assert markdown_html_tokens((out / "h.md").read_text()) == []
