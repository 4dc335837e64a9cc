"""Values in the checker: piecewise functions decided at the values given, steps at their kink, implications
between numbers, and sums over the entries of a given tuple. Truths from PyTorch autograd and sympy."""
import pytest
import sympy as sp
import torch

from dlderive.check import check_text


def verdicts(text: str) -> dict:
    return {r.latex: r.verdict.value for r in check_text(text, timeout=None).relations}


def relu_slopes(w: float, x: float, b: float) -> tuple[float, float]:
    """∂r/∂w and ∂r/∂b of r = relu(w x + b), by autograd."""
    tw, tb = torch.tensor(w, dtype=torch.float64, requires_grad=True), torch.tensor(b, dtype=torch.float64,
                                                                                     requires_grad=True)
    torch.relu(tw * x + tb).backward()
    return tw.grad.item(), tb.grad.item()


@pytest.mark.parametrize("w, x, b", [(-1, 2, 3), (-1, 2, 1), (0.5, 4, -1), (2, -3, 1)])
@pytest.mark.parametrize("claimed_w", ["x", "0"])
def test_the_slope_of_relu_is_judged_in_the_case_the_values_give(w, x, b, claimed_w):
    dw, db = relu_slopes(w, x, b)
    text = (f"$r = \\max(0, a)$ with $a = w x + b$, $w = {w}$, $x = {x}$ and $b = {b}$.\n\n"
            f"$\\frac{{\\partial r}}{{\\partial w}} = {claimed_w}$ and $\\frac{{\\partial r}}{{\\partial b}} = 1$.")
    got = verdicts(text)
    right_w = dw == (x if claimed_w == "x" else 0)
    assert got[f"\\frac{{\\partial r}}{{\\partial w}} = {claimed_w}"] == ("valid" if right_w else "invalid")
    assert got["\\frac{\\partial r}{\\partial b} = 1"] == ("valid" if db == 1 else "invalid")


def test_at_the_kink_the_slope_is_unverifiable():
    got = verdicts("$r = \\max(0, a)$ with $a = w x + b$, $w = 1$, $x = 2$ and $b = -2$.\n\n"
                   "$\\frac{\\partial r}{\\partial w} = x$ and $\\frac{\\partial r}{\\partial b} = 0$.")
    assert got["\\frac{\\partial r}{\\partial w} = x"] == "unverifiable"
    assert got["\\frac{\\partial r}{\\partial b} = 0"] == "unverifiable"


@pytest.mark.parametrize("alpha, u", [("0.2", "-1.5"), ("0.2", "4"), ("0.05", "-2"), ("0.3", "0.5")])
def test_the_slope_of_a_leaky_relu_at_a_number(alpha, u):
    t = torch.tensor(float(u), dtype=torch.float64, requires_grad=True)
    torch.nn.functional.leaky_relu(t, float(alpha)).backward()
    slope = sp.nsimplify(t.grad.item())
    wrong = 1 - slope + sp.Rational(1, 2)
    got = verdicts(f"$g(u) = \\max({alpha}u, u)$, so $g'({u}) = {sp.sstr(sp.Float(slope, 3))}$ "
                   f"and $g'({u}) = {sp.sstr(sp.Float(wrong, 3))}$.")
    assert list(got.values())[1:] == ["valid", "invalid"]


def test_a_rounded_argument_whose_interval_holds_the_kink_is_not_decided():
    got = verdicts("$g(u) = \\max(0, u - 0.4999)$, so $g'(0.5) = 1$.")
    assert got["g'(0.5) = 1"] == "valid"  # 0.5 - 0.4999 > 0 even at the precision written
    got = verdicts("$g(u) = \\max(0, u - 0.50001)$, so $g'(0.5) = 0$.")
    assert got["g'(0.5) = 0"] == "valid"


@pytest.mark.parametrize("y, w, x", [(1, "0.5", 1), (1, "0.25", 2), (-1, "0.5", 1)])
def test_a_hinge_value_after_so_is_decided_at_the_numbers(y, w, x):
    margin = sp.Rational(y) * sp.Rational(w) * x
    loss = max(sp.Integer(0), 1 - margin)
    for claimed, verdict in ((loss, "valid"), (loss + 1, "unverifiable")):
        text = (f"$\\ell = \\max(0, 1 - y w x)$ with $y = {y}$, $w = {w}$, $x = {x}$; the margin is "
                f"$y w x = {sp.sstr(sp.Float(margin, 3))}$, so $\\ell = {sp.sstr(sp.Float(claimed, 3))}$.")
        got = verdicts(text)
        assert got[f"\\ell = {sp.sstr(sp.Float(claimed, 3))}"] == verdict


def test_a_sum_over_the_entries_of_a_given_tuple_is_written_out():
    xs = (1, 2, 6)
    mean = sp.Rational(sum(xs), len(xs))
    ok = f"$x = (1, 2, 6)$, $N = 3$, $\\mu = \\frac{{1}}{{N}}\\sum_{{i=1}}^{{N}} x_i = {mean}$"
    assert verdicts(ok)[f"\\frac{{1}}{{N}}\\sum_{{i=1}}^{{N}} x_i = {mean}"] == "valid"
    bad = f"$x = (1, 2, 6)$, $N = 3$, $\\mu = \\frac{{1}}{{N}}\\sum_{{i=1}}^{{N}} x_i = {mean + 1}$"
    assert verdicts(bad)[f"\\frac{{1}}{{N}}\\sum_{{i=1}}^{{N}} x_i = {mean + 1}"] == "invalid"


def test_a_derivative_at_a_point_keeps_its_sum_over_the_entries():
    w, x, y = sp.symbols("w x y")
    xs, ys = (1, 2), (3, 3)
    loss = sum((w * a - b) ** 2 for a, b in zip(xs, ys)) / len(xs)
    slope = sp.diff(loss, w).subs(w, 1)
    text = ("$L(w) = \\frac{1}{N}\\sum_{i=1}^{N}(w x_i - y_i)^2$ with $N = 2$, $x = (1, 2)$, $y = (3, 3)$. "
            f"$L'(1) = {slope}$ and $L'(1) = {slope / 2}$.")
    got = verdicts(text)
    assert got[f"L'(1) = {slope}"] == "valid"
    assert got[f"L'(1) = {slope / 2}"] == "invalid"


@pytest.mark.parametrize("w, k, s", [(32, 5, 1), (224, 2, 2), (7, 3, 2)])
def test_a_size_computed_from_inputs_given_on_its_line_is_judged_by_the_formula(w, k, s):
    out = torch.nn.MaxPool2d(k, s)(torch.zeros(1, 1, w, w)).shape[-1]
    head = "$O = \\left\\lfloor \\frac{W - K}{S} \\right\\rfloor + 1$.\n\n"
    for shown, value, verdict in (("right", out, "valid"), ("wrong", out + 1, "invalid")):
        text = head + f"For $W = {w}$, $K = {k}$ and $S = {s}$: $O = {value} - 1 + 1$."
        assert verdicts(text)[f"O = {value} - 1 + 1"] == verdict, shown


def test_a_number_written_alone_for_a_name_with_a_formula_is_a_new_given_not_an_error():
    text = "Same padding: $P = (K - 1)/2$.\n\nAnother layer, with $K = 5$ and $P = 0$: $O = W - K + 2P + 1$."
    assert verdicts(text)["P = 0"] != "invalid"


def test_a_number_for_an_entry_of_a_family_is_compared_with_the_family_formula():
    # LayerNorm of x = (2, 4, 6): x-hat_k = (x_k - 4)/sqrt(8/3), by torch
    xhat = torch.nn.functional.layer_norm(torch.tensor([2.0, 4.0, 6.0], dtype=torch.float64), (3,), eps=1e-300)
    assert round(xhat[1].item(), 4) == 0 and round(xhat[2].item(), 4) == 1.2247
    head = ("$H = 3$, $x = (2, 4, 6)$, $\\mu = \\frac{1}{H}\\sum_{k=1}^{H} x_k$, "
            "$v = \\frac{1}{H}\\sum_{k=1}^{H} (x_k - \\mu)^2$ and $\\hat{x}_k = (x_k - \\mu)/\\sqrt{v}$.\n\n")
    got = verdicts(head + "So $\\hat{x}_2 = 0$ and $\\hat{x}_3 = 1.2247$.")
    assert got["\\hat{x}_2 = 0"] == "valid" and got["\\hat{x}_3 = 1.2247"] == "valid"
    wrong = verdicts(head + "So $\\hat{x}_3 = 0.75$.")  # divided by the variance: 2/(8/3)
    assert wrong["\\hat{x}_3 = 0.75"] == "unverifiable"  # never a given: the formula for x-hat_k is in force


def test_plain_text_keeps_a_power_in_the_left_side_and_refuses_code_with_at():
    # m = 100, n = 128: nm + n^2 + n = 12800 + 16384 + 128 = 29312
    assert 100 * 128 + 128 ** 2 + 128 == 29312
    got = verdicts("Sizes $m = 100$ and $n = 128$.\n\n- vanilla RNN: nm + n^2 + n = 29184\n")
    assert got == {"m = 100": "valid", "n = 128": "valid", "nm + n^2 + n = 29184": "invalid"}
    code = check_text("Backward:\n\n1. dW2 = H.T @ dS\n2. dH = dS @ W2.T\n", timeout=None).relations
    assert [(r.line, r.verdict.value) for r in code] == [(3, "unverifiable"), (4, "unverifiable")]
    assert all("@" in r.latex for r in code)


def test_a_matrix_written_with_numbers_is_a_given():
    # max pooling 2x2, stride 2, by torch: the windows' maxima 4, 2, 2, 7
    x = [[1, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 6], [2, 2, 7, 3]]
    pooled = torch.nn.functional.max_pool2d(torch.tensor(x, dtype=torch.float64)[None, None], 2, 2).flatten().tolist()
    matrix = " \\\\ ".join(" & ".join(str(v) for v in row) for row in x)
    text = (f"On $$X = \\begin{{pmatrix}} {matrix} \\end{{pmatrix}}$$ max pooling gives "
            f"$\\max(5, 6, 7, 3) = {pooled[3]:g}$ and $\\max(1, 3, 4, 2) = 5$.")
    got = verdicts(text)
    assert got[f"X = \\begin{{pmatrix}} {matrix} \\end{{pmatrix}}"] == "valid"
    assert got["\\max(5, 6, 7, 3) = 7"] == "valid" and got["\\max(1, 3, 4, 2) = 5"] == "invalid"
    assert verdicts("$X = \\begin{pmatrix} 1 & a \\\\ 4 & 2 \\end{pmatrix}$ and $a = 2$.")[
        "X = \\begin{pmatrix} 1 & a \\\\ 4 & 2 \\end{pmatrix}"] != "invalid"
