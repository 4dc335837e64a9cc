"""Conv arithmetic: inverse problems by brute force, operation counts by counting a NumPy loop, the CLI."""
import json
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dlderive import conv
from dlderive.cli import main
from dlderive.errors import DlderiveError

SETTINGS = dict(deadline=None)
BOUND = 400


def forward(D, k, S, P, d, kind="conv"):
    """Output size by PyTorch's documented rule, or None where PyTorch refuses the layer."""
    if D + 2 * P < d * (k - 1) + 1 or (kind != "conv" and P > k // 2):
        return None
    return (D + 2 * P - d * (k - 1) - 1) // S + 1


# --- output sizes --------------------------------------------------------------------------
@settings(max_examples=300, **SETTINGS)
@given(D=st.integers(1, 200), k=st.integers(1, 9), S=st.integers(1, 6), P=st.integers(0, 5), d=st.integers(1, 4))
def test_output_size_matches_documented_rule_and_steps_chain(D, k, S, P, d):
    assume(forward(D, k, S, P, d) is not None)
    result = conv.output_size("conv", D, k, S, P, d)
    assert result.size == forward(D, k, S, P, d)
    deriv = result.derivations[0]
    assert deriv.result.rhs == result.size and deriv.steps[-1].rhs == result.size
    for before, after in zip(deriv.steps, deriv.steps[1:]):
        assert after.lhs == before.rhs
    assert all(step.proof for step in deriv.steps)


@settings(max_examples=120, **SETTINGS)
@given(D=st.integers(1, 300), k=st.integers(1, 9), S=st.integers(1, 6), d=st.integers(1, 3))
def test_tensorflow_same_and_valid(D, k, S, d):
    same = conv.output_size("conv", D, k, S, "same", d, convention="tensorflow")
    assert same.size == -(-D // S)
    left, right = same.padding[0]
    assert right - left in (0, 1)
    assert forward(D + left + right, k, S, 0, d) == same.size  # the reported padding gives that size
    if D >= d * (k - 1) + 1:
        assert conv.output_size("conv", D, k, S, "valid", d, convention="tensorflow").size == -(-(D - d * (k - 1)) // S)


def test_homework_sizes():
    assert conv.output_size("conv", (78, 84), 5, 3, 2).output == (forward(78, 5, 3, 2, 1), forward(84, 5, 3, 2, 1))
    assert conv.output_size("conv", (64, 64), (3, 5), 2, 0).output == (forward(64, 3, 2, 0, 1), forward(64, 5, 2, 0, 1))


def test_steps_show_the_arithmetic():
    steps = conv.output_size("conv", 78, 5, 3, 2).derivations[0].steps
    shown = [sp.sstr(s.rhs, order="none") for s in steps]
    assert "floor((78 + 2*2 - (5 - 1) - 1)/3) + 1" in shown
    assert "floor(77/3) + 1" in shown
    assert [s.rule for s in steps] == ["formula", "substitution", "arithmetic", "floor", "arithmetic"]


# --- inverse problems: every solution, checked by brute force -------------------------------
@st.composite
def inverse_problem(draw):
    unknown = draw(st.sampled_from(conv.SOLVABLE))
    kind = draw(st.sampled_from(("conv", "conv", "maxpool", "avgpool")))
    assume(not (kind == "avgpool" and unknown == "dilation"))
    params = dict(input=draw(st.integers(1, 60)), kernel=draw(st.integers(1, 7)), stride=draw(st.integers(1, 5)),
                  padding=draw(st.integers(0, 4)), dilation=1 if kind == "avgpool" else draw(st.integers(1, 3)))
    true = forward(params["input"], params["kernel"], params["stride"], params["padding"], params["dilation"], kind)
    output = true if true is not None and draw(st.booleans()) else draw(st.integers(1, 60))
    known = {n: v for n, v in params.items() if n != unknown}
    return unknown, kind, output, known


def brute_force(unknown, kind, output, known, bound=BOUND):
    lo = 0 if unknown == "padding" else 1
    found = set()
    for v in range(lo, bound):
        p = {**known, unknown: v}
        if forward(p["input"], p["kernel"], p["stride"], p["padding"], p["dilation"], kind) == output:
            found.add(v)
    return found


@settings(max_examples=300, **SETTINGS)
@given(problem=inverse_problem())
def test_solve_finds_every_solution(problem):
    unknown, kind, output, known = problem
    expected = brute_force(unknown, kind, output, known)
    if kind != "conv" and "padding" in known and "kernel" in known and known["padding"] > known["kernel"] // 2:
        with pytest.raises(DlderiveError, match="exceeds half the kernel"):  # PyTorch refuses such a pool
            conv.solve(unknown, output, kind, **known)
        assert not expected
        return
    result = conv.solve(unknown, output, kind, **known)
    if result.solutions.is_finite_set:
        assert set(result.values) == expected
        assert not expected or max(expected) < BOUND - 1
        assert bool(result.reason) == (not expected)
    else:  # unbounded: stride with output 1, or dilation with a 1-wide kernel
        lo, hi = result.interval
        assert hi is None and expected == set(range(lo, BOUND))
    assert all(step.proof.startswith("interval algebra") for step in result.derivation.steps)


def test_solve_homework_set_is_not_one_number():
    result = conv.solve("input", 16, kernel=9, stride=3, padding=1)
    expected = brute_force("input", "conv", 16, dict(kernel=9, stride=3, padding=1, dilation=1))
    assert set(result.values) == expected and len(expected) > 1
    assert isinstance(result.derivation.steps[-1].rhs, sp.Contains)


def test_solve_no_solution_says_why():
    result = conv.solve("padding", 3, input=10, kernel=3)
    assert result.values == () and "padding" in result.reason


# --- exact operation counts: count what a direct NumPy loop does ------------------------------
class Counter:
    def __init__(self):
        self.mul = self.add = 0

    def times(self, a, b):
        self.mul += 1
        return a * b

    def plus(self, a, b):
        if a is None:
            return b
        self.add += 1
        return a + b


def direct_conv2d(x, w, b, stride, padding, dilation, groups, ops):
    """Direct convolution over a zero-padded input; the first product of a sum is stored, not added."""
    cin, H, W = x.shape
    cout, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    Ho, Wo = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((cout, Ho, Wo))
    per_group = cout // groups
    for co in range(cout):
        g = co // per_group
        for i in range(Ho):
            for j in range(Wo):
                acc = None
                for c in range(cg):
                    for u in range(kh):
                        for v in range(kw):
                            acc = ops.plus(acc, ops.times(xp[g * cg + c, i * sh + u * dh, j * sw + v * dw], w[co, c, u, v]))
                if b is not None:
                    acc = ops.plus(acc, b[co])
                out[co, i, j] = acc
    return out


def direct_conv_transpose2d(x, w, b, stride, padding, dilation, output_padding, groups, ops):
    """Each input element scatters its products into a full buffer, which is then cropped."""
    cin, H, W = x.shape
    _, cg_out, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw), (oh, ow) = stride, padding, dilation, output_padding
    Fh, Fw = (H - 1) * sh + dh * (kh - 1) + 1, (W - 1) * sw + dw * (kw - 1) + 1
    Ho, Wo = Fh - 2 * ph + oh, Fw - 2 * pw + ow
    cout = cg_out * groups
    full = np.full((cout, Fh + oh + ph, Fw + ow + pw), None, dtype=object)
    in_per_group = cin // groups
    for ci in range(cin):
        g = ci // in_per_group
        for c in range(cg_out):
            co = g * cg_out + c
            for i in range(H):
                for j in range(W):
                    for u in range(kh):
                        for v in range(kw):
                            y, z = i * sh + u * dh, j * sw + v * dw
                            full[co, y, z] = ops.plus(full[co, y, z], ops.times(x[ci, i, j], w[ci, c, u, v]))
    out = np.zeros((cout, Ho, Wo))
    for co in range(cout):
        for y in range(Ho):
            for z in range(Wo):
                acc = full[co, y + ph, z + pw]
                if b is not None:
                    acc = b[co] if acc is None else ops.plus(acc, b[co])
                out[co, y, z] = 0.0 if acc is None else acc
    return out


@st.composite
def small_layer(draw, transposed=False):
    groups = draw(st.integers(1, 2))
    cfg = dict(cin=groups * draw(st.integers(1, 2)), cout=groups * draw(st.integers(1, 2)), groups=groups,
               size=(draw(st.integers(1, 6)), draw(st.integers(1, 6))),
               kernel=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
               stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
               padding=(draw(st.integers(0, 2)), draw(st.integers(0, 2))),
               dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))), bias=draw(st.booleans()))
    cfg["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(cfg["stride"], cfg["dilation"]))
    return cfg


def _arrays(cfg, transposed, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["cin"], *cfg["size"]))
    shape = (cfg["cin"], cfg["cout"] // cfg["groups"]) if transposed else (cfg["cout"], cfg["cin"] // cfg["groups"])
    w = rng.standard_normal((*shape, *cfg["kernel"]))
    b = rng.standard_normal(cfg["cout"]) if cfg["bias"] else None
    return x, w, b


def _conv_counts(cfg):
    out = conv.output_size("conv", cfg["size"], cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"]).output
    return out, conv.counts(cfg["cin"], cfg["cout"], cfg["kernel"], out, groups=cfg["groups"], bias=cfg["bias"])


def _fits(cfg):
    return all(D + 2 * P >= d * (k - 1) + 1 for D, P, k, d in
               zip(cfg["size"], cfg["padding"], cfg["kernel"], cfg["dilation"]))


@settings(max_examples=150, **SETTINGS)
@given(cfg=small_layer())
def test_conv_counts_equal_the_operations_of_a_direct_loop(cfg):
    assume(_fits(cfg))
    ops = Counter()
    x, w, b = _arrays(cfg, False)
    y = direct_conv2d(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"], ops)
    out, c = _conv_counts(cfg)
    assert y.shape[1:] == out
    assert (c.multiplications, c.additions) == (ops.mul, ops.add)
    assert c.flops == ops.mul + ops.add and c.macs == ops.mul


@settings(max_examples=120, **SETTINGS)
@given(cfg=small_layer(transposed=True))
def test_transposed_counts_equal_the_operations_of_a_scatter_loop(cfg):
    out = tuple((D - 1) * s - 2 * p + d * (k - 1) + o + 1 for D, s, p, d, k, o in
                zip(cfg["size"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["kernel"], cfg["output_padding"]))
    assume(min(out) >= 1)
    ops = Counter()
    x, w, b = _arrays(cfg, True)
    y = direct_conv_transpose2d(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["output_padding"],
                                cfg["groups"], ops)
    result = conv.output_size("transposed", cfg["size"], cfg["kernel"], cfg["stride"], cfg["padding"],
                              cfg["dilation"], cfg["output_padding"])
    assert y.shape[1:] == result.output == out
    c = conv.counts(cfg["cin"], cfg["cout"], cfg["kernel"], out, groups=cfg["groups"], bias=cfg["bias"],
                    transposed=True, input=cfg["size"], stride=cfg["stride"], padding=cfg["padding"],
                    dilation=cfg["dilation"])
    assert (c.multiplications, c.additions) == (ops.mul, ops.add)


@pytest.mark.tool
@settings(max_examples=40, **SETTINGS)
@given(cfg=small_layer())
def test_direct_loops_compute_what_pytorch_computes(cfg):
    torch = pytest.importorskip("torch")
    assume(_fits(cfg))
    x, w, b = _arrays(cfg, False)
    y = direct_conv2d(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"], Counter())
    t = torch.nn.functional.conv2d(torch.tensor(x)[None], torch.tensor(w), None if b is None else torch.tensor(b),
                                   cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])[0].numpy()
    assert np.allclose(y, t)
    out = tuple((D - 1) * s - 2 * p + d * (k - 1) + o + 1 for D, s, p, d, k, o in
                zip(cfg["size"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["kernel"], cfg["output_padding"]))
    if min(out) >= 1:
        x, w, b = _arrays(cfg, True)
        y = direct_conv_transpose2d(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["output_padding"],
                                    cfg["groups"], Counter())
        t = torch.nn.functional.conv_transpose2d(
            torch.tensor(x)[None], torch.tensor(w), None if b is None else torch.tensor(b), cfg["stride"],
            cfg["padding"], cfg["output_padding"], cfg["groups"], cfg["dilation"])[0].numpy()
        assert np.allclose(y, t)


@pytest.mark.tool
def test_tool_figures_follow_each_tools_hook_arithmetic():
    """The hooks of torchinfo, fvcore, ptflops, thop and DeepSpeed, restated on a real PyTorch layer."""
    torch = pytest.importorskip("torch")
    for cin, cout, k, g, bias, transposed in [(32, 64, (7, 7), 1, True, False), (8, 8, (3, 3), 8, False, False),
                                              (6, 4, (3, 2), 2, True, True)]:
        cls = torch.nn.ConvTranspose2d if transposed else torch.nn.Conv2d
        m = cls(cin, cout, k, stride=2, padding=1, groups=g, bias=bias)
        x = torch.zeros(1, cin, 9, 11)
        y = m(x)
        out_pos, in_pos = math.prod(y.shape[2:]), math.prod(x.shape[2:])
        params = sum(p.numel() for p in m.parameters())
        per_position = math.prod(k) * cin * (cout // g)
        macs_t = per_position * in_pos
        bias_adds = cout * out_pos if bias else 0
        expected = {
            "torchinfo": params * out_pos,
            "fvcore": m.weight.numel() * (in_pos if transposed else out_pos),
            "ptflops": per_position * out_pos + bias_adds,
            "thop": y.numel() * (cin // g) * math.prod(k),
            "deepspeed": 2 * (macs_t if transposed else per_position * out_pos) + bias_adds,
        }
        c = conv.counts(cin, cout, k, tuple(y.shape[2:]), groups=g, bias=bias, transposed=transposed,
                        input=(9, 11), stride=2, padding=1)
        assert c.tools == expected


# --- CLI ------------------------------------------------------------------------------------
def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_counts(capsys):
    code, out, _ = run(capsys, "conv", "--input", "78x84", "--kernel", "5", "--stride", "3", "--padding", "2",
                       "--in-channels", "32", "--out-channels", "64", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["output"] == [forward(78, 5, 3, 2, 1), forward(84, 5, 3, 2, 1)]
    n = 32 * 25
    positions = data["output"][0] * data["output"][1]
    assert data["params"] == {"weights": 64 * n, "bias": 64, "total": 64 * n + 64}
    assert data["multiplications"] == data["macs"] == 64 * n * positions
    assert data["additions"] == 64 * positions * n
    assert data["flops"] == data["multiplications"] + data["additions"]
    assert set(data["tools"]) == {"torchinfo", "fvcore", "ptflops", "thop", "deepspeed"}
    assert {"lhs", "rhs", "latex", "rule", "note"} <= set(data["steps"][0])


def test_cli_json_solve(capsys):
    code, out, _ = run(capsys, "conv", "--solve", "input", "--output", "16", "--kernel", "9", "--stride", "3",
                       "--padding", "1", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["solve"] == "input"
    assert set(data["solutions"]) == brute_force("input", "conv", 16, dict(kernel=9, stride=3, padding=1, dilation=1))
    assert data["steps"] and all(s["rule"] for s in data["steps"])


def test_cli_text_and_latex(capsys):
    code, out, _ = run(capsys, "conv", "--input", "7", "--kernel", "2", "--stride", "2", "--pool", "max", "--ceil-mode")
    assert code == 0 and out.strip().endswith(f"output: {conv.output_size('maxpool', 7, 2, 2, ceil_mode=True).size}")
    code, out, _ = run(capsys, "conv", "--input", "78x84", "--kernel", "5", "--stride", "3", "--padding", "2",
                       "--format", "latex")
    assert code == 0 and out.startswith("\\begin{align*}") and "aligned" not in out and "&& \\text{floor}" in out


BAD = [
    (["--input", "0", "--kernel", "3"], "input"),
    (["--input", "-4", "--kernel", "3"], "input"),
    (["--input", "8", "--kernel", "3", "--stride", "0"], "stride"),
    (["--input", "8", "--kernel", "3", "--dilation", "0"], "dilation"),
    (["--input", "8", "--kernel", "0"], "kernel"),
    (["--input", "5", "--kernel", "9"], "kernel"),
    (["--input", "8", "--kernel", "3", "--padding", "2", "--pool", "max"], "padding"),
    (["--input", "8", "--kernel", "3", "--in-channels", "6", "--out-channels", "4", "--groups", "4"], "groups"),
    (["--input", "8", "--kernel", "3", "--in-channels", "4", "--out-channels", "6", "--groups", "4"], "groups"),
    (["--input", "8", "--kernel", "3", "--transposed", "--stride", "2", "--output-padding", "2"], "output_padding"),
    (["--input", "8", "--kernel", "3", "--stride", "2", "--padding", "same"], "padding"),
    (["--input", "3x", "--kernel", "3"], "input"),
    (["--input", "8", "--kernel", "3x"], "kernel"),
    (["--input", "8x8", "--kernel", "3x3x3"], "kernel"),
    (["--input", "8", "--kernel", "3", "--pool", "avg", "--dilation", "2"], "dilation"),
    (["--input", "4", "--kernel", "3", "--transposed", "--padding", "5"], "padding"),
    (["--input", "99999999", "--kernel", "3"], "input"),
    (["--solve", "input", "--kernel", "3"], "output"),
    (["--solve", "input", "--output", "0", "--kernel", "3"], "output"),
    (["--solve", "stride", "--output", "4", "--input", "8", "--kernel", "3", "--stride", "2"], "stride"),
]


@pytest.mark.parametrize("argv,parameter", BAD)
def test_cli_bad_input_is_one_line_naming_the_parameter(capsys, argv, parameter):
    code, out, err = run(capsys, "conv", *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dlderive: error: {parameter}:"), err


@settings(max_examples=300, **SETTINGS)
@given(kind=st.sampled_from(conv.KINDS), convention=st.sampled_from(conv.CONVENTIONS),
       size=st.integers(-2, 40), k=st.integers(-1, 9), s=st.integers(-1, 5), d=st.integers(-1, 3),
       p=st.one_of(st.integers(-1, 5), st.sampled_from(["same", "valid"])), op=st.integers(-1, 3),
       ceil=st.booleans())
def test_any_configuration_gives_positive_sizes_or_one_error(kind, convention, size, k, s, d, p, op, ceil):
    """Valid or not, a configuration gives sizes >= 1 or a DlderiveError: never 0, never another exception."""
    try:
        result = conv.output_size(kind, size, k, s, p, d, op, ceil, convention)
    except DlderiveError as exc:
        assert "\n" not in str(exc) and ":" in str(exc)
        return
    assert result.size >= 1
    if isinstance(p, int) and kind == "conv":
        assert result.size == forward(size, k, s, p, d)


TOKENS = ["--input", "--kernel", "--stride", "--padding", "--dilation", "--in-channels", "--out-channels",
          "--groups", "--no-bias", "--transposed", "--output-padding", "--pool", "--ceil-mode", "--convention",
          "--solve", "--output", "--format", "3", "0", "-2", "5x5", "7x", "x", "same", "valid", "max", "avg",
          "input", "stride", "json", "tensorflow", "9999999", "2x3x4", "1e3", "__import__('os')"]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], **SETTINGS)
@given(argv=st.lists(st.sampled_from(TOKENS), max_size=10))
def test_cli_never_shows_a_traceback(argv, capsys):
    capsys.readouterr()  # capsys is shared by the examples: start each one empty
    code = main(["conv", *argv])
    _, err = capsys.readouterr()
    assert code in (0, 2)
    assert code == 0 or len(err.strip().splitlines()) == 1


def test_counts_carry_one_proven_derivation_per_count():
    c = conv.counts(32, 64, 7, 5)
    assert [d.name for d in c.derivations] == ["weights", "bias", "multiplications", "additions"]
    for d, value in zip(c.derivations, (c.weights, c.bias, c.multiplications, c.additions)):
        assert d.final.rhs == value and all(s.proof for s in d.steps)
    assert not any(s.rhs.has(sp.Symbol("g", integer=True, positive=True)) for d in c.derivations for s in d.steps)
    grouped = conv.counts(32, 64, 7, 5, groups=2)
    assert grouped.derivations[0].steps[0].rhs.has(sp.Symbol("g", integer=True, positive=True))


def test_results_display_in_a_notebook():
    for obj in (conv.output_size("conv", 78, 5, stride=3, padding=2), conv.counts(32, 64, 7, 5),
                conv.solve("input", 16, kernel=9, stride=3, padding=1)):
        bundle = obj._repr_mimebundle_()
        assert "<math" in bundle["text/html"] and "align*" in bundle["text/latex"]


@pytest.mark.parametrize("output", [-5, 0, (1, 2, 3, 4), (3, 2.5)])
def test_counts_refuse_an_impossible_output(output):
    with pytest.raises(DlderiveError, match="output"):
        conv.counts(1, 1, 3, output)


def test_solving_a_pool_with_padding_over_half_the_kernel_is_refused(capsys):
    assert main(["conv", "--solve", "input", "--output", "5", "--kernel", "3", "--pool", "max", "--padding", "2"]) == 2
    assert "padding: pooling padding 2 exceeds half the kernel" in capsys.readouterr().err
