"""The checker: the sample end to end, the hand-derivation suite, output formats, exit codes, hostile input."""
import json
import re
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings, strategies as st

from dlderive.check import check_file, check_text, decide_equal, decide_implies, split_document
from dlderive.cli import main
from dlderive.errors import DlderiveError

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "week8_homework.md"  # ../shared beside the checkout
SUITE = sorted((Path(__file__).parent / "handwritten").glob("*.*"))
needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason="the shared sample is not on this machine")

# Every relation of the sample, worked out by hand (scalar reading of ∘, the LSTM of the engine in scope).
SAMPLE_VERDICTS = [
    # 1.1: the sample's c_{t-1} has no bias inside tanh (the model's u_{t-1} has b_u): the document's own
    # version of a model equation is a definition, in force from there on.
    (10, "valid"),
    (18, "valid"),  # h_t = o_t tanh(c_t) is the model's equation (1)
    (22, "valid"),  # c_t = f_t c_{t-1} + i_t u_t is the model's equation (2)
    (26, "valid"),  # (3) is (2) substituted into (1)
    # (4): product rule on o_t tanh(c_t); d tanh(c_t) = (1 - tanh^2 c_t) dc_t, and dc_t/dh_{t-1} =
    # c_{t-1} df_t + f_t dc_{t-1} + i_t du_t + u_t di_t. Every term is there: valid.
    (30, "valid"),
    (35, "valid"),  # c_{t-1} is an input of step t, made from h_{t-2}: its partial in h_{t-1} is 0
    (39, "valid"),  # (4) with (5) substituted
    (43, "valid"),  # the definition of σ, an identity
    # 1.3 first step: dσ/dz = e^{-z}/(1+e^{-z})^2, and 1/e^z · 1/(1+e^{-z})^2 is exactly that: right,
    # although it looks odd.
    (45, "valid"),
    (47, "valid"),  # 1/e^z = e^{-z}, split into two fractions
    (49, "valid"),  # e^{-z}/(1+e^{-z}) = 1 - 1/(1+e^{-z})
    (51, "valid"),  # = σ(1 - σ)
    (58, "valid"),  # 1.4: f_t without b_f, the document's version: a definition
    # ∂(W_f x_t + U_f h_{t-1})/∂h_{t-1} = U_f, times σ'(a); with the document's f_t = σ(a) the left side
    # is U_f σ(a)(1 - σ(a)). W^f and W_f are the same weight.
    (60, "valid"),
    (62, "valid"),
    (66, "valid"),  # σ' = σ(1 - σ) (scalar reading: in the vector form the order diag(σ') U_f matters)
    # (8) defines D_out with |·| (the conv formula is floor((D + 2P - k)/S) + 1); a new name's first
    # equation is a definition, so it is recorded, not checked.
    (76, "valid"),
    (92, "valid"), (92, "valid"), (92, "valid"), (92, "valid"), (92, "valid"),  # givens, k = (5,5) a tuple
    # H_out and W_out are computed from numbers: no formula for H_out is stated (8) names D_out, so the
    # computation itself is not checked; the arithmetic that follows it is.
    (94, "unverifiable"),
    (96, "valid"),  # 78 + 2·2 - 5 = 77
    (98, "valid"),  # floor(77/3 + 1) = floor(26.67) = 26
    (100, "unverifiable"),
    (102, "valid"),  # 84 + 4 - 5 = 83
    (104, "valid"),  # floor(83/3 + 1) = floor(28.67) = 28
    (108, "valid"), (108, "valid"), (108, "valid"), (108, "valid"), (108, "valid"),  # new givens
    (110, "unverifiable"),  # H_out computed for 2.1.2
    (111, "invalid"),  # 64 + 0 - 3 = 61, not 63: floor(61/2 + 1) = 31 but floor(63/2 + 1) = 32
    (112, "valid"),  # floor(63/2 + 1) = floor(32.5) = 32: right arithmetic on a wrong line
    (116, "unverifiable"),
    (117, "invalid"),  # 64 - 5 = 59, not 61: floor(59/2 + 1) = 30 but floor(61/2 + 1) = 31
    (118, "valid"),  # floor(61/2 + 1) = floor(31.5) = 31
    (122, "valid"), (122, "valid"), (122, "valid"), (122, "valid"),  # givens of 2.1.3
    # [x] over a whole side is the floor (Gauss) bracket: floor((D - 7)/3 + 1) = 16 holds for D in
    # {52, 53, 54}: the premise.
    (124, "valid"),
    (126, "valid"),  # floor((D - 4)/3) = 16: the same three solutions
    (128, "invalid"),  # D_in = 52 keeps only one of them: 53 and 54 are lost
    (128, "valid"),  # 16·3 + 4 = 52
    # 2.2: three definitions of new names. The sum count is modelled wrongly (a k×k×C_in dot product
    # needs C_in·k·k - 1 additions, plus one for the bias) and the bias is not counted in the trainable
    # parameters, but no conv count model is in scope: these are recorded as definitions.
    (132, "valid"), (132, "valid"), (132, "valid"),
    # 2.2.1 in running text: each name is given a value (a redefinition), each product is right:
    # 32·7·7·64 = 100352, ·5·5 = 2508800, 32·64·5·5 = 51200.
    # The formulas of 2.2 have no values for their inputs, so the first step of each chain is not checked.
    (136, "unverifiable"), (136, "valid"), (136, "unverifiable"), (136, "valid"), (136, "unverifiable"), (136, "valid"),
    (140, "unverifiable"), (140, "valid"),  # 512·1·1·128 = 65536
]


@pytest.fixture(scope="module")
def sample_report():
    return check_file(SAMPLE, model="lstm")


@needs_sample
def test_sample_every_verdict(sample_report):
    assert [(r.line, r.verdict) for r in sample_report.relations] == SAMPLE_VERDICTS
    assert sample_report.summary == {"relations": 58, "valid": 47, "invalid": 3, "unverifiable": 8}


@needs_sample
def test_sample_counterexamples(sample_report):
    by_line = {}
    for r in sample_report.relations:
        by_line.setdefault(r.line, []).append(r)
    (h_slip,) = by_line[111]
    assert h_slip.counterexample == {"values": {}, "lhs": "31", "rhs": "32"}
    (w_slip,) = by_line[117]
    assert w_slip.counterexample == {"values": {}, "lhs": "30", "rhs": "31"}
    lost = by_line[128][0]
    assert lost.counterexample["lost"] == ["53", "54"]
    assert lost.counterexample["values"] == {"D_{in}": "53"}  # the document's own name
    assert "52, 53, 54" in lost.reason
    assert "the model's" in by_line[58][0].reason and "definition" in by_line[58][0].reason
    assert "premise" in by_line[124][0].reason


@needs_sample
def test_sample_derivative_is_compared_with_the_true_one():
    # drop the u_t ∂i_t/∂h_{t-1} term of (4): the engine's derivative disagrees
    text = SAMPLE.read_text()
    broken = text.replace(r"+ u_t \circ \frac{\partial i_t}{\partial h_{t-1}} \right] (1 - \tanh^2(c_t)) \right)$$" "\n(4)",
                          r"\right] (1 - \tanh^2(c_t)) \right)$$" "\n(4)")
    assert broken != text
    report = check_text(broken, model="lstm")
    assert [r.verdict for r in report.relations if r.line == 30] == ["invalid"]


def _expectations(path: Path):
    text = path.read_text()
    model = re.search(r"model: (\w+)", text)
    verdicts = re.search(r"verdicts: ([a-z ]+)", text).group(1).split()
    return (model.group(1) if model else None), verdicts


@pytest.mark.parametrize("path", SUITE, ids=[p.name for p in SUITE])
def test_hand_derivations(path):
    model, expected = _expectations(path)
    report = check_file(path, model=model, timeout=20)  # generous: verdicts, not speed, are tested here
    assert [r.verdict for r in report.relations] == expected
    for r in report.relations:
        assert (r.counterexample is not None) == (r.verdict == "invalid")


def test_suite_covers_the_typical_mistakes():
    names = {p.stem for p in SUITE}
    assert {"lstm_mistakes", "conv_sizes", "inverse", "counts", "sigmoid"} <= names


# ---------------------------------------------------------------- semantics in small


def verdicts(text, model=None):
    return [r.verdict for r in check_text(text, model=model).relations]


def test_equality_needs_all_values():
    assert verdicts("$$x + x = 3x$$") == ["invalid"]
    assert verdicts("$$(x+1)^2 = x^2 + 2x + 1$$") == ["valid"]


def test_counterexample_has_symbol_values_and_both_sides():
    (r,) = check_text("$$x + x = 3x$$").relations
    assert r.counterexample == {"values": {"x": "1"}, "lhs": "2", "rhs": "3"}


def test_chain_across_blocks_and_align_rows():
    text = "$$a = (x+1)^2$$\n\n$$= x^2 + 2x + 1$$\n\\begin{align*}\nb &= 2x \\\\\n  &= x + x\n\\end{align*}\n"
    report = check_text(text)
    assert [(r.line, r.verdict) for r in report.relations] == [(1, "valid"), (3, "valid"), (5, "valid"), (6, "valid")]


def test_line_is_the_line_of_the_relation_sign():
    text = "intro\n\\begin{align*}\ny &= (x+1)(x-1)\n\\\\ &=\n  x^2 - 1\n\\end{align*}\n"
    lines = [r.line for r in check_text(text).relations]
    assert lines == [3, 4]


def test_givens_in_text_and_math_are_used_below():
    text = "Let P = 2 and\n\n$$S = 3$$\n\n$$\\frac{10 + 2P}{S} = \\frac{14}{3}$$\n"
    assert verdicts(text) == ["valid", "valid", "valid"]


def test_implication_after_identity_starts_a_new_chain():
    assert verdicts("$$x \\cdot 1 = x$$\n$$\\implies 2 \\cdot 3 = 7$$") == ["valid", "invalid"]


def test_model_definitions_and_document_versions():
    # the model's f_t has a bias; the document's version without it is a definition, used from then on
    text = ("$$f_t = \\sigma(W^f x_t + U^f h_{t-1})$$\n"
            "$$\\frac{\\partial f_t}{\\partial h_{t-1}} = U^f f_t (1 - f_t)$$\n")
    report = check_text(text, model="lstm")
    assert [r.verdict for r in report.relations] == ["valid", "valid"]
    assert report.relations[0].reason.startswith("definition")


def test_without_the_model_names_are_plain():
    assert verdicts("$$h_t = o_t \\circ \\tanh(c_t)$$") == ["valid"]


def test_decide_equal_and_implies_directly():
    x = sp.Symbol("x", real=True)
    assert decide_equal(sp.sin(x) ** 2 + sp.cos(x) ** 2, sp.Integer(1)).verdict == "valid"
    out = decide_implies([(sp.floor(x / 2), sp.Integer(3))], [(x, sp.Integer(6))])
    assert out.verdict == "invalid" and out.counterexample["lost"] == ["7"]


def test_split_document_finds_every_math_form():
    text = ("$$a = 1$$ and $b = 2$ and $c$ \\[ d = 3 \\]\n\\begin{equation} e = 4 \\end{equation}\n"
            "```\nf = 5\n```\nText g = 6\n")
    kinds = [(c.kind, c.text.strip()) for c in split_document(text)]
    assert kinds == [("block", "a = 1"), ("inline", "b = 2"), ("block", "d = 3"),
                     ("block", "\\begin{equation} e = 4 \\end{equation}"), ("text", "g = 6")]


# ---------------------------------------------------------------- hostile input

HOSTILE = {
    "power tower": "$$x = 9^{9^{9^{9}}}$$",
    "nested brackets": "$$x = " + "(" * 10_000 + "1" + ")" * 10_000 + "$$",
    "5 MB line": "$$x = " + "1+" * 2_500_000 + "1$$",
    "python": "$$__import__('os').system('touch /tmp/dlderive_pwned') = 1$$",
    "input": "$$\\input{/etc/passwd} = 1$$",
    "control": "$$x\x07 = 1$$",
    "huge exponent": "$$(x+1)^{100000} = 1$$",
    "long flat sum": "$$" + "+".join(["y"] * 3000) + " = 0$$",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_is_unverifiable_and_never_runs(name):
    report = check_text(HOSTILE[name])
    assert report.relations and all(r.verdict == "unverifiable" for r in report.relations)
    assert not Path("/tmp/dlderive_pwned").exists()


@pytest.mark.parametrize("limit", ["inf", "nan", "1e20", "0", "-1"])
def test_time_limits_that_would_switch_the_limit_off_are_refused(capsys, tmp_path, limit):
    doc = tmp_path / "d.md"
    doc.write_text("$$2 + 2 = 5$$\n")
    assert main(["check", str(doc), "--timeout", limit]) == 2
    assert "time limit" in capsys.readouterr().err
    with pytest.raises(DlderiveError):
        check_text("$$2 + 2 = 5$$", timeout=float(limit))


def test_slow_relation_hits_the_time_limit():
    (r,) = check_text("$$\\exp(\\exp(\\exp(\\exp(100)))) = 1$$", timeout=0.3).relations
    assert r.verdict == "unverifiable" and "time limit" in r.reason


def test_file_errors(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"$$x = 1$$\n\xff\xfe")
    assert "UTF-8" in check_file(bad).error
    big = tmp_path / "big.md"
    big.write_text("x" * 2_100_000)
    assert "limit" in check_file(big).error


SNIPPETS = st.sampled_from([
    "$$", "$", "\n", "x = 1", "= 2", "\\implies", "\\frac{\\partial h_t}{\\partial h_{t-1}}", "h_t", "c_{t-1}",
    "\\left\\lfloor \\frac{D}{2} \\right\\rfloor", "= 16", "\\begin{align*}", "&=", "\\\\", "\\end{align*}",
    "P = 2, ", "\\sigma(z)", "(1 - \\sigma(z))", "\\tanh^2(c_t)", "W^f", "9^{9^9}", "\\input{a}", "# h",
    "Trainable parameters = 3 \\* 4 = 12", "\\[", "\\]", "\\text{x}", "[", "]", "k = (5,5)", "\x00", "é",
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SNIPPETS, max_size=14))
def test_fuzz_checker_raises_nothing(parts):
    report = check_text(" ".join(parts), model="lstm", timeout=0.5)
    for r in report.relations:
        assert r.verdict in ("valid", "invalid", "unverifiable")


# ---------------------------------------------------------------- the command


def run_cli(capsys, *args):
    status = main(["check", *map(str, args)])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_json_format_exactly(capsys, tmp_path):
    doc = tmp_path / "d.md"
    doc.write_text("$$x + x = 3x$$\n\n$$y = 2$$\n")
    status, out, _ = run_cli(capsys, doc, "--format", "json")
    data = json.loads(out)
    assert status == 1
    assert list(data) == ["file", "relations", "summary"]
    assert data["file"] == str(doc)
    assert [list(r) for r in data["relations"]] == [["line", "latex", "verdict", "reason", "counterexample",
                                                     "first_wrong"]] * 2
    assert data["relations"][0] == {"line": 1, "latex": "x + x = 3x", "verdict": "invalid",
                                    "reason": "the two sides differ",
                                    "counterexample": {"values": {"x": "1"}, "lhs": "2", "rhs": "3"},
                                    "first_wrong": True}
    assert data["summary"] == {"relations": 2, "valid": 1, "invalid": 1, "unverifiable": 0}


def test_cli_json_many_files_is_a_list(capsys, tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("$$1 + 1 = 2$$")
    b.write_text("$$1 + 1 = 2$$")
    status, out, _ = run_cli(capsys, a, b, "--format", "json")
    assert status == 0 and [d["file"] for d in json.loads(out)] == [str(a), str(b)]


def test_cli_exit_status(capsys, tmp_path):
    good, bad, unreadable = tmp_path / "g.md", tmp_path / "b.md", tmp_path / "u.md"
    good.write_text("$$2 \\cdot 3 = 6$$\n$$\\frac{1}{ = 2$$")
    bad.write_text("$$2 \\cdot 3 = 5$$")
    unreadable.write_bytes(b"\xff")
    assert run_cli(capsys, good)[0] == 0
    assert run_cli(capsys, bad)[0] == 1
    assert run_cli(capsys, unreadable)[0] == 2
    assert run_cli(capsys, tmp_path / "missing.md")[0] == 2
    assert run_cli(capsys, good, bad, unreadable)[0] == 2


def test_cli_text_output_marks_and_first_wrong_step(capsys, tmp_path):
    doc = tmp_path / "d.md"
    doc.write_text("$$2 + 2 = 4$$\n$$= 5$$\n$$= 6 - 1$$\n$$\\frac{1}{ = 2$$\n")
    status, out, _ = run_cli(capsys, doc)
    assert status == 1
    assert "✓    1  2 + 2 = 4" in out
    assert "✗    2  4 = 5" in out and "counterexample: left side 4, right side 5" in out
    assert out.count("first wrong step") == 1
    assert "?    4" in out and "line 4, column" in out
    assert out.rstrip().endswith("2 valid, 1 invalid, 1 unverifiable")


def test_cli_summary_table_for_many_files(capsys, tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("$$1 + 1 = 2$$")
    b.write_text("$$1 + 1 = 3$$")
    _, out, _ = run_cli(capsys, a, b)
    table = out[out.index("file "):]
    assert re.search(r"a\.md\s+1\s+0\s+0", table) and re.search(r"b\.md\s+0\s+1\s+0", table)


def test_cli_jobs_two_gives_the_same_result(capsys):
    files = SUITE + ([SAMPLE] if SAMPLE.exists() else [])
    one = run_cli(capsys, *files, "--model", "lstm", "--format", "json", "--jobs", "1", "--timeout", "20")
    two = run_cli(capsys, *files, "--model", "lstm", "--format", "json", "--jobs", "2", "--timeout", "20")
    assert one[0] == two[0]

    def decided(out):  # how a step was proven may depend on the machine's load; the verdicts may not
        return [(d["file"], [(r["line"], r["latex"], r["verdict"], r["counterexample"]) for r in d["relations"]])
                for d in json.loads(out)]
    assert decided(one[1]) == decided(two[1])


def test_cli_rejects_bad_options(capsys, tmp_path):
    assert main(["check", str(tmp_path), "--jobs", "0"]) == 2
    assert main(["check", str(tmp_path), "--model", "gru9"]) == 2


@needs_sample
def test_cli_sample_end_to_end(capsys):
    status, out, _ = run_cli(capsys, SAMPLE, "--model", "lstm", "--format", "json")
    data = json.loads(out)
    assert status == 1
    assert [(r["line"], r["verdict"]) for r in data["relations"]] == SAMPLE_VERDICTS


def test_usage_errors_exit_2(capsys):
    assert main(["check"]) == 2
    assert "FILE" in capsys.readouterr().err


# ---------------------------------------------------------------- property tests against independent oracles

_z, _w = sp.Symbol("z", real=True), sp.Symbol("w", real=True)
_LEAVES = st.sampled_from([_z, _w, sp.Integer(2), sp.Rational(1, 3)])


def _grow(children):
    pair = st.tuples(children, children)
    return st.one_of(pair.map(lambda p: p[0] + p[1]), pair.map(lambda p: p[0] * p[1]),
                     children.map(lambda e: e ** 2), children.map(sp.tanh), children.map(sp.exp))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(_LEAVES, _grow, max_leaves=6))
def test_checker_agrees_with_sympy(expr):
    # true: an expression equals its expanded form; false: it differs from itself plus one (counterexample:
    # the left side is one less than the right at the point shown)
    e, expanded = sp.latex(expr), sp.latex(sp.expand(expr))
    good, bad = check_text(f"$${e} = {expanded}$$\n\n$${e} = {e} + 1$$", timeout=10).relations
    assert good.verdict == "valid"
    assert bad.verdict == "invalid"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(_LEAVES, _grow, max_leaves=5).filter(lambda e: e.has(_z)))
def test_derivatives_agree_with_sympy_diff(expr):
    # the oracle: sympy.diff of the same expression
    claim = sp.latex(sp.diff(expr, _z))
    wrong = sp.latex(sp.diff(expr, _z) + _z)
    text = (f"$$\\frac{{d}}{{dz}} \\left({sp.latex(expr)}\\right) = {claim}$$\n\n"
            f"$$\\frac{{d}}{{dz}} \\left({sp.latex(expr)}\\right) = {wrong}$$")
    right, off = check_text(text, timeout=10).relations
    assert right.verdict == "valid" and off.verdict == "invalid"
