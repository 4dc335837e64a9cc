"""Handouts: strict validation (file, item and key named), seeded variants, numeric evaluation
checked against a direct float computation, conv answers checked against PyTorch."""
import math
import re
from pathlib import Path

import pytest

from dlderive.cli import main
from dlderive.errors import DlderiveError
from dlderive.export import render
from dlderive.export.printer import Literal
from dlderive.handout import build_document, draw, load
from dlderive.steps import Derivation

ROOT = Path(__file__).resolve().parents[1]
WEEK8 = ROOT / "derivations" / "week8.toml"

MINIMAL = '''
title = "T"
[[sections]]
title = "S"
[[sections.items]]
kind = "text"
heading = "H"
text = "Hello"
'''


def write(tmp_path, text, name="h.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_handout(tmp_path):
    doc = build_document(load(write(tmp_path, MINIMAL)))
    assert doc.title == "T" and doc.sections[0].items[0].question == ("Hello",)


BAD = [
    # (replacement applied to MINIMAL, expected key, expected fragment)
    (('text = "Hello"', 'text = "Hello"\ncolour = "red"'), "colour", "unknown key"),
    (('text = "Hello"', ''), "text", "missing"),
    (('text = "Hello"', 'text = 3'), "text", "must be a string"),
    (('kind = "text"', 'kind = "poem"'), "kind", "unknown item kind"),
    (('title = "T"', 'title = "T"\nnotation = "fancy"'), "notation", "must be one of"),
    (('kind = "text"\nheading = "H"\ntext = "Hello"', 'kind = "derivation"\nheading = "H"\nname = "lstm.nothing"'),
     "name", "unknown derivation"),
    (('kind = "text"\nheading = "H"\ntext = "Hello"',
      'kind = "conv_size"\nheading = "H"\ninput = [78, 84]\nkernel = "five"'), "kernel", "must be an integer"),
    (('kind = "text"\nheading = "H"\ntext = "Hello"',
      'kind = "conv_size"\nheading = "H"\ninput = [78, 84]\nkernel = 5\nstride = {min = 3, max = 1}'),
     "stride", "greater than max"),
    (('kind = "text"\nheading = "H"\ntext = "Hello"',
      'kind = "evaluate"\nheading = "H"\ncell = "lstm"\ntargets = ["f_t"]\nvalues = {x_t = 1.0}'),
     "values.", "missing"),
    (('kind = "text"\nheading = "H"\ntext = "Hello"',
      'kind = "evaluate"\nheading = "H"\ncell = "lstm"\ntargets = ["f_t"]\nvalues = {x_t = true}'),
     "values.x_t", "must be a finite number"),
    (('kind = "text"\nheading = "H"\ntext = "Hello"',
      'kind = "evaluate"\nheading = "H"\ncell = "lstm"\ntargets = ["f_t"]\nvalues = {q = 1.0}'),
     "values.q", "not an input"),
]


@pytest.mark.parametrize("change, key, fragment", BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_handouts_name_file_item_and_key(tmp_path, change, key, fragment):
    path = write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(DlderiveError) as err:
        load(path)
    message = str(err.value)
    assert str(path) in message
    assert f"key '{key}" in message and fragment in message
    if key not in ("notation",):
        assert "section 'S', item 1 (H)" in message


def test_bad_math_in_prose_is_refused_on_loading_and_when_rendering(tmp_path):
    from dlderive.export import render
    from dlderive.export.document import Document, Item, Section
    path = write(tmp_path, MINIMAL.replace('text = "Hello"', 'text = "see $\\\\input{/etc/passwd}$"'))
    with pytest.raises(DlderiveError, match=r"h\.toml, section 'S', item 1 \(H\), key 'text': math command \\input"):
        load(path)
    doc = Document(title="T", sections=(Section("S", (Item("H", ("see $\\input{/etc/passwd}$",)),)),))
    with pytest.raises(DlderiveError, match="not allowed"):
        render(doc, "latex")


def test_not_toml_and_too_large(tmp_path):
    with pytest.raises(DlderiveError, match="not valid TOML"):
        load(write(tmp_path, "title = "))
    with pytest.raises(DlderiveError, match="larger than"):
        load(write(tmp_path, "# " + "x" * 1_000_001))


def test_draw_ranges_deterministic_and_bounded():
    spec = {"a": {"min": 1, "max": 9}, "b": {"min": -1.0, "max": 1.0, "digits": 1}, "c": {"choose": [3, 5]},
            "d": [4, {"min": 2, "max": 3}], "e": 7}
    variants = [draw(spec, seed, "k") for seed in range(30)]
    assert draw(spec, 4, "k") == variants[4]
    for v in variants:
        assert 1 <= v["a"] <= 9 and isinstance(v["a"], int)
        assert -1.0 <= v["b"] <= 1.0 and round(v["b"], 1) == v["b"]
        assert v["c"] in (3, 5) and v["d"][0] == 4 and v["d"][1] in (2, 3) and v["e"] == 7
    assert len({v["a"] for v in variants}) > 3


def sigmoid(a):
    """The logistic function, stable for large |a| (an oracle independent of the package's)."""
    return 1 / (1 + math.exp(-a)) if a >= 0 else math.exp(a) / (1 + math.exp(a))


def lstm_oracle(v):
    """A direct float computation of one scalar LSTM step (independent of SymPy)."""
    g = {}
    for gate in "fio":
        g[gate] = sigmoid(v[f"W_{gate}"] * v["x_t"] + v[f"U_{gate}"] * v["h_prev"] + v[f"b_{gate}"])
    g["u"] = math.tanh(v["W_u"] * v["x_t"] + v["U_u"] * v["h_prev"] + v["b_u"])
    g["c"] = g["f"] * v["c_prev"] + g["i"] * g["u"]
    g["h"] = g["o"] * math.tanh(g["c"])
    return {f"{k}_t": x for k, x in g.items()}


@pytest.fixture(scope="module")
def week8():
    return load(WEEK8)


def evaluation_of(doc) -> Derivation:
    for section in doc.sections:
        for item in section.items:
            for part in item.answer:
                if isinstance(part, Derivation) and part.name == "lstm.evaluate":
                    return part
    raise AssertionError("no evaluation item")


@pytest.mark.parametrize("seed", [None, 7])
def test_gate_activations_match_direct_computation(week8, seed):
    doc = build_document(week8, seed=seed)
    item = next(i for s in doc.sections for i in s.items if i.heading.startswith("1.5"))
    values = dict(re.findall(r"\$([^$=]+) = (-?[0-9.]+)\$", item.question[-1]))
    names = {"x_t": "x_t", "h_{t-1}": "h_prev", "c_{t-1}": "c_prev"}
    for gate in "fiou":
        names.update({f"W^{{{gate}}}": f"W_{gate}", f"U^{{{gate}}}": f"U_{gate}", f"b^{{{gate}}}": f"b_{gate}"})
    given = {names[k.strip()]: float(x) for k, x in values.items()}
    assert len(given) == 15
    expected = lstm_oracle(given)
    evaluation = evaluation_of(doc)
    results = {s.lhs.name: s.rhs for s in evaluation.steps if s.rule == "definition"}
    assert list(results) == ["f_t", "i_t", "o_t", "u_t", "c_t", "h_t"]
    values_shown = [s.rhs for s in evaluation.steps if s.rule == "evaluation"]
    for (name, _), value in zip(results.items(), values_shown):
        assert isinstance(value, Literal)
        assert value.value == pytest.approx(expected[name], rel=1e-12, abs=1e-14), name


def test_seeds_give_different_variants_and_label_them(week8):
    a, b = build_document(week8, seed=1), build_document(week8, seed=2)
    assert a.variant == "variant 1"
    qa = [i.question for s in a.sections for i in s.items]
    qb = [i.question for s in b.sections for i in s.items]
    assert qa != qb


def answers_by_heading(doc):
    return {i.heading.split()[0]: i for s in doc.sections for i in s.items}


@pytest.mark.tool
def test_week8_conv_answers_match_pytorch(week8):
    torch = pytest.importorskip("torch")
    doc = build_document(week8)
    items = answers_by_heading(doc)
    for key, (h, w), k, s, p in (("2.1.1", (78, 84), (5, 5), 3, 2), ("2.1.2", (64, 64), (3, 5), 2, 0)):
        conv = torch.nn.Conv2d(1, 1, k, stride=s, padding=p)
        shape = tuple(conv(torch.zeros(1, 1, h, w)).shape[2:])
        text = " ".join(p for p in items[key].answer if isinstance(p, str))
        assert f"H_{{out}} = {shape[0]}$" in text and f"W_{{out}} = {shape[1]}$" in text
    assert shape == (31, 30)  # 2.1.2: the sample's 32 x 31 is wrong
    conv = torch.nn.Conv1d(1, 1, 9, stride=3, padding=1)
    solutions = [d for d in range(7, 200) if conv(torch.zeros(1, 1, d)).shape[2] == 16]  # D + 2P >= k
    text = " ".join(p for p in items["2.1.3"].answer if isinstance(p, str))
    assert solutions == [52, 53, 54]
    assert "\\{52, 53, 54\\}" in text
    for key, cin, cout, k in (("2.2.1", 32, 64, 7), ("2.2.2", 512, 128, 1)):
        layer = torch.nn.Conv2d(cin, cout, k)
        params = sum(t.numel() for t in layer.parameters())
        text = " ".join(p for p in items[key].answer if isinstance(p, str))
        assert f"**{params:,}**" in text
        n = cin * k * k
        assert f"Multiplications: **{cout * 25 * n:,}**" in text
        assert f"Additions: **{cout * 25 * n:,}**" in text  # n - 1 products summed, plus the bias
        assert "Counting convention" in " ".join(p for p in items[key].answer if isinstance(p, str))


def test_week8_covers_every_task_of_the_sample(week8):
    doc = build_document(week8, answers=False)
    headings = [i.heading.split()[0] for s in doc.sections for i in s.items]
    for task in ("1.1", "1.2", "1.3", "1.4", "1.5", "2.1.1", "2.1.2", "2.1.3", "2.2.1", "2.2.2"):
        assert task in headings
    names = {p.name for s in build_document(week8).sections for i in s.items for p in i.answer
             if isinstance(p, Derivation)}
    assert {"lstm.cell_independence", "lstm.hidden", "sigmoid", "lstm.forget_gate"} <= names


@pytest.mark.tool
def test_week8_network_item_matches_pytorch(week8):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(0), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                          nn.ReLU(), nn.Linear(84, 10))
    x = torch.zeros(1, 32, 32)
    expected = []
    for layer in model:
        x = layer(x)
        expected.append((tuple(x.shape), sum(p.numel() for p in layer.parameters())))
    item = answers_by_heading(build_document(week8))["LeNet-5"]
    table = item.answer[0]  # the network's table, rendered by every format as a table
    assert len(table.rows) == len(expected)
    for row, (shape, params) in zip(table.rows, expected):
        assert tuple(row.shape) == shape and int(row.params) == params, row
    assert f"**{sum(p for _, p in expected):,}** parameters" in item.answer[1]
    tex, html, md = (render(table, fmt) for fmt in ("latex", "html", "markdown"))
    assert "\\begin{tabular}" in tex and "<table" in html and "| ---: |" in md
    for _, params in expected[:1] + expected[-1:]:
        assert f"${params:,}$".replace(",", "{,}") in tex and f">{params:,}<" in html and f"| {params:,} |" in md


def test_bad_network_layer_names_item_and_key(tmp_path):
    text = MINIMAL.replace('kind = "text"\nheading = "H"\ntext = "Hello"',
                           'kind = "network"\nheading = "H"\ninput = [1, 8, 8]\n'
                           'layers = [{ type = "conv", out_channels = 2, kernal = 3 }]')
    with pytest.raises(DlderiveError) as err:
        load(write(tmp_path, text))
    assert "item 1 (H)" in str(err.value) and "kernal" in str(err.value)


@pytest.mark.tool
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_conv_drill_variants_match_pytorch(seed):
    """Every drawn variant of the drill: its answers against PyTorch's own layers."""
    torch = pytest.importorskip("torch")
    handout = load(ROOT / "derivations" / "conv_drill.toml")
    sections = handout.data["sections"]
    size, inverse = (draw(item, seed, f"1.{j}") for j, item in enumerate(sections[0]["items"], 1))
    counts = draw(sections[1]["items"][0], seed, "2.1")
    items = answers_by_heading(build_document(handout, seed=seed))

    conv = torch.nn.Conv2d(1, 1, size["kernel"], stride=size["stride"], padding=size["padding"])
    h, w = conv(torch.zeros(1, 1, *size["input"])).shape[2:]
    text = " ".join(p for p in items["1"].answer if isinstance(p, str))
    assert f"$H_{{out}} = {h}$, $W_{{out}} = {w}$" in text

    conv = torch.nn.Conv1d(1, 1, inverse["kernel"], stride=inverse["stride"], padding=inverse["padding"])
    smallest = max(1, inverse["kernel"] - 2 * inverse["padding"])
    solutions = [d for d in range(smallest, 400) if conv(torch.zeros(1, 1, d)).shape[2] == inverse["output"]]
    text = " ".join(p for p in items["2"].answer if isinstance(p, str))
    assert f"\\{{{', '.join(map(str, solutions))}\\}}" in text

    layer = torch.nn.Conv2d(counts["in_channels"], counts["out_channels"], counts["kernel"])
    text = " ".join(p for p in items["3"].answer if isinstance(p, str))
    assert f"**{sum(p.numel() for p in layer.parameters()):,}**" in text


def test_evaluation_with_extreme_preactivations(tmp_path):
    """A gate driven to +-1000 saturates (sigma = 0 or 1) instead of overflowing."""
    values = {"x_t": 1.0, "h_prev": 0.5, "c_prev": -0.25, "W_f": -1000.0, "U_f": 0.0, "b_f": 0.0,
              "W_i": 1000.0, "U_i": 0.0, "b_i": 0.0, "W_o": 0.3, "U_o": -0.2, "b_o": 0.1,
              "W_u": 0.5, "U_u": 0.5, "b_u": 0.0}
    table = ", ".join(f"{k} = {v}" for k, v in values.items())
    text = MINIMAL.replace('kind = "text"\nheading = "H"\ntext = "Hello"',
                           f'kind = "evaluate"\nheading = "H"\ncell = "lstm"\n'
                           f'targets = ["f_t", "i_t", "c_t", "h_t"]\nvalues = {{{table}}}')
    evaluation = evaluation_of(build_document(load(write(tmp_path, text))))
    shown = [s.rhs.value for s in evaluation.steps if s.rule == "evaluation"]
    expected = lstm_oracle(values)
    assert shown == pytest.approx([expected[k] for k in ("f_t", "i_t", "c_t", "h_t")], abs=1e-12)
    assert shown[0] == pytest.approx(0.0, abs=1e-300) and shown[1] == pytest.approx(1.0)


def test_three_mistakes_are_reported_in_one_run(tmp_path):
    text = MINIMAL + '''
[[sections.items]]
kind = "conv_size"
heading = "conv"
input = [28, 28]
kernel = 3
stride = "two"
[[sections.items]]
kind = "derivation"
heading = "D"
name = "sigmoid"
form = "matrix"
[[sections.items]]
kind = "conv_counts"
heading = "C"
in_channels = 1
out_channels = 4
kernel = 3
output = [26, 26]
biases = false
'''
    path = write(tmp_path, text, "week8.toml")
    with pytest.raises(DlderiveError) as err:
        load(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 3, err.value
    expected = [("2 (conv)", "stride", "must be an integer"), ("3 (D)", "form", "must be one of 'scalar' or 'vector'"),
                ("4 (C)", "biases", "unknown key")]
    for line, (item, key, fragment) in zip(lines, expected):
        assert line.startswith(f"{path}, section 'S', item {item}, key '{key}': ") and fragment in line, line


def test_problems_found_by_the_item_kinds_are_reported_together(tmp_path):
    """Each item's own checks (unknown names, impossible layers) run for every item of a valid file."""
    text = MINIMAL.replace('kind = "text"\nheading = "H"\ntext = "Hello"',
                           'kind = "derivation"\nheading = "D"\nname = "lstm.nothing"') + '''
[[sections.items]]
kind = "conv_size"
heading = "K"
input = 8
kernel = 3
stride = 0
'''
    with pytest.raises(DlderiveError) as err:
        load(write(tmp_path, text))
    first, second = str(err.value).splitlines()
    assert "item 1 (D), key 'name': unknown derivation 'lstm.nothing'" in first
    assert "item 2 (K), key 'stride': must be a positive integer (got 0)" in second


def test_readme_documents_every_key_of_the_handout_format():
    """Every key the handout schema accepts (the handout's, a section's, each item kind's) is named in the
    README's handout format section, `intro` included."""
    from dlderive.handout.schema import ITEMS, HandoutFile, Section
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    part = readme.split("### The handout format (TOML)", 1)[1].split("\n## ", 1)[0]
    missing = [f"{model.__name__}.{key}" for model in (HandoutFile, Section, *ITEMS.values())
               for key in model.model_fields
               if f"`{key}`" not in part and f"\n{key} = " not in part and f"{key} = " not in part]
    assert missing == []
    assert 'intro = "' in part and "sections take one too" in part


def test_counts_in_one_aligned_block(tmp_path):
    """The four count derivations of a conv_counts item are one align* block, in this order, each value as
    worked out by hand: weights 8*3*3*3 = 216, biases 8, multiplications 216*4*4 = 3456, additions
    8*16*(27 - 1 + 1) = 3456."""
    path = write(tmp_path, 'title = "T"\n[[sections]]\ntitle = "S"\n[[sections.items]]\nkind = "conv_counts"\n'
                           'heading = "C"\nin_channels = 3\nout_channels = 8\nkernel = [3, 3]\noutput = [4, 4]\n')
    assert main(["build", str(path), "--out", str(tmp_path / "o")]) == 0
    for ext in ("tex", "md"):
        page = (tmp_path / "o" / f"h.{ext}").read_text()
        assert page.count("\\begin{align*}") == 1
        block = page.split("\\begin{align*}", 1)[1].split("\\end{align*}", 1)[0]
        heads = [line.split("&=")[0].strip() for line in block.strip().split("\\\\\n") if line.split("&=")[0].strip()]
        assert heads == ["\\mathrm{weights}", "\\mathrm{bias}", "\\mathrm{multiplications}", "\\mathrm{additions}"]
        finals = [line.split("&=")[1].split("&&")[0].strip() for line in block.strip().split("\\\\\n")
                  if "arithmetic" in line]
        assert finals == ["216", "8", "3{,}456", "3{,}456"]


def test_evaluate_digits_sets_the_digits_shown(tmp_path):
    values = dict(x_t=0.5, h_prev=-0.2, W_f=0.3, U_f=0.1, b_f=0.05)
    f = 1 / (1 + math.exp(-(0.3 * 0.5 + 0.1 * -0.2 + 0.05)))  # σ(W_f x + U_f h + b_f), by hand
    body = "".join(f"{k} = {v}\n" for k, v in values.items())
    for digits in (2, 6):
        path = write(tmp_path, 'title = "T"\n[[sections]]\ntitle = "S"\n[[sections.items]]\nkind = "evaluate"\n'
                               f'cell = "lstm"\ntargets = ["f_t"]\ndigits = {digits}\n[sections.items.values]\n' + body,
                     name=f"d{digits}.toml")
        assert main(["build", str(path), "--out", str(tmp_path / "o")]) == 0
        md = (tmp_path / "o" / f"d{digits}.md").read_text()
        assert f"&= {f:.{digits}g}" in md
    path = write(tmp_path, 'title = "T"\n[[sections]]\ntitle = "S"\n[[sections.items]]\nkind = "evaluate"\n'
                           'cell = "lstm"\ntargets = ["f_t"]\ndigits = 40\n[sections.items.values]\n' + body)
    with pytest.raises(DlderiveError) as err:
        load(path)
    assert "key 'digits'" in str(err.value) and "h.toml" in str(err.value)
