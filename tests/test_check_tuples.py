"""Vectors given as numbers (tuples, [a, b]^T, pmatrix), σ² defined as one quantity, and a gradient step stated
in words. Truths from NumPy, PyTorch, sympy and by hand, never from the checker."""
import numpy as np
import pytest
import sympy as sp
import torch

from dlderive.check import check_text


def verdicts(text: str) -> dict:
    return {r.latex: r.verdict.value for r in check_text(text, timeout=None).relations}


def bmatrix(m) -> str:
    return "\\begin{bmatrix} " + " \\\\ ".join(" & ".join(f"{v:g}" for v in row) for row in m) + " \\end{bmatrix}"


@pytest.mark.parametrize("written", ["(0.2, 0.8)", "[0.2, 0.8]^\\top", "\\begin{pmatrix} 0.2 \\\\ 0.8 \\end{pmatrix}"])
@pytest.mark.parametrize("sign", [1, -1])
def test_the_softmax_jacobian_at_a_vector_given_as_numbers(written, sign):
    p = np.array([0.2, 0.8])
    truth = np.diag(p) - np.outer(p, p)
    claimed = np.diag(p) - sign * np.outer(p, p) if sign == 1 else truth * np.array([[1, -1], [-1, 1]])
    claim = f"\\operatorname{{diag}}(\\mathbf{{s}}) - \\mathbf{{s}}\\mathbf{{s}}^\\top = {bmatrix(claimed)}"
    got = verdicts(f"With $\\mathbf{{s}} = {written}$:\n\n$${claim}$$\n")
    assert got[claim] == ("valid" if np.allclose(claimed, truth) else "invalid")


def test_a_jacobian_from_the_exact_softmax_is_not_refuted_by_the_rounded_probabilities():
    s = torch.softmax(torch.tensor([2.0, 1.0, 0.0], dtype=torch.float64), 0)
    jac = torch.autograd.functional.jacobian(lambda z: torch.softmax(z, 0), torch.tensor([2.0, 1.0, 0.0],
                                                                                           dtype=torch.float64))
    rounded = ", ".join(f"{v:.4f}" for v in s.tolist())
    claim = ("\\operatorname{diag}(\\mathbf{p}) - \\mathbf{p}\\mathbf{p}^\\top = \\begin{bmatrix} " +
             " \\\\ ".join(" & ".join(f"{v:.4f}" for v in row) for row in jac.tolist()) + " \\end{bmatrix}")
    got = verdicts(f"For $\\mathbf{{z}} = (2, 1, 0)$ the softmax is $\\mathbf{{p}} = ({rounded})$.\n\n$${claim}$$\n")
    assert got[claim] != "invalid"


@pytest.mark.parametrize("entry, right", [(5, True), (4, False)])
def test_tuple_arithmetic_in_plain_text(entry, right):
    a, b = np.array([1, 2]), np.array([3, -1])
    two_a_minus_b = 2 * a - b  # (-1, 5)
    claim = f"2a - b = (-1, {entry})"
    got = verdicts(f"Vectors as numbers\n\na = (1, 2), b = (3, -1)\n{claim}\n")
    assert (two_a_minus_b[1] == entry) == right
    assert got[claim] == ("valid" if right else "invalid")


def test_a_wrong_product_of_written_vectors_is_caught_and_a_right_one_holds():
    u, v = np.array([1, 2, -1]), np.array([0, 3, 2])
    text = ("Let $\\mathbf{u} = (1, 2, -1)$ and $\\mathbf{v} = (0, 3, 2)$.\n\n"
            f"$$\\mathbf{{u}}^\\top\\mathbf{{v}} = {u @ v}$$\n\n$$\\mathbf{{u}}^\\top\\mathbf{{v}} = {u @ v + 1}$$\n\n"
            f"$$\\mathbf{{u}}\\mathbf{{v}}^\\top = {bmatrix(np.outer(u, v))}$$\n")
    got = verdicts(text)
    assert got[f"\\mathbf{{u}}^\\top\\mathbf{{v}} = {u @ v}"] == "valid"
    assert got[f"\\mathbf{{u}}^\\top\\mathbf{{v}} = {u @ v + 1}"] == "invalid"
    assert got[f"\\mathbf{{u}}\\mathbf{{v}}^\\top = {bmatrix(np.outer(u, v))}"] == "valid"


@pytest.mark.parametrize("claimed", ["p - y", "y - p", "0"])
def test_the_derivative_of_a_quantity_given_as_a_number_is_never_decided(claimed):
    """L = -log(0.6652) is a value, not a formula of z: its derivative by z is not 0, and not known."""
    text = (f"Worked numbers\n\nz = (2, 1, 0), y = (1, 0, 0)\np = (0.6652, 0.2447, 0.0900)\n"
            f"L = -log(0.6652)\ndL/dz = {claimed}\n")
    got = verdicts(text)
    assert got[f"\\frac{{dL}}{{dz}} = {claimed}"] == "unverifiable"


N = sp.Symbol("N", positive=True, integer=True)


def _variance_gradient(n: int):
    """∂σ²/∂x_1 and 2/N (x_1 - μ) at n values, by sympy."""
    xs = sp.symbols(f"x1:{n + 1}", real=True)
    mu = sum(xs) / n
    var = sum((x - mu) ** 2 for x in xs) / n
    return sp.simplify(sp.diff(var, xs[0]) - sp.Rational(2, n) * (xs[0] - mu))


@pytest.mark.parametrize("factor, written", [(2, "\\sigma^2"), (1, "\\sigma^2"), (2, "\\sigma_B^2")])
def test_the_variance_defined_as_a_whole_is_one_quantity(factor, written):
    assert all(_variance_gradient(n) == 0 for n in (1, 2, 3, 4))  # so the factor 2 is right, 1 is not
    sub = "_B" if "_B" in written else ""
    text = (f"Over $N$ values: $\\mu{sub} = \\frac{{1}}{{N}}\\sum_{{i=1}}^{{N}} x_i$, "
            f"${written} = \\frac{{1}}{{N}}\\sum_{{i=1}}^{{N}}(x_i - \\mu{sub})^2$.\n\n"
            f"$$\\frac{{\\partial {written}}}{{\\partial x_j}} = \\frac{{{factor}}}{{N}}(x_j - \\mu{sub})$$\n")
    report = check_text(text, timeout=None)
    got = {r.latex: r.verdict.value for r in report.relations}
    assert any("defined as a whole" in reading for reading in report.glossary.values())
    assert got[f"{written} = \\frac{{1}}{{N}}\\sum_{{i=1}}^{{N}}(x_i - \\mu{sub})^2"] == "valid"
    claim = f"\\frac{{\\partial {written}}}{{\\partial x_j}} = \\frac{{{factor}}}{{N}}(x_j - \\mu{sub})"
    assert got[claim] == ("valid" if factor == 2 else "invalid")


def test_the_standard_deviation_is_the_root_of_the_variance_defined_as_a_whole():
    xs = [2, 4, 6]
    var = sp.Rational(sum((x - 4) ** 2 for x in xs), 3)  # 8/3
    text = ("Take $x = (2, 4, 6)$ and $m = 3$, $\\mu = \\frac{1}{m}\\sum_{i=1}^{m} x_i$ and "
            "$\\sigma^2 = \\frac{1}{m}\\sum_{i=1}^{m}(x_i - \\mu)^2$.\n\n"
            f"$$\\sigma = \\sqrt{{{var.p}/{var.q}}}$$\n\n$$\\sigma = {var.p}/{var.q}$$\n\n"
            "$$\\frac{x_1 - \\mu}{\\sigma} = \\frac{x_1 - \\mu}{\\sqrt{\\sigma^2}}$$\n")
    got = verdicts(text)
    assert got[f"\\sigma = \\sqrt{{{var.p}/{var.q}}}"] == "valid"
    assert got[f"\\sigma = {var.p}/{var.q}"] == "invalid"
    assert got["\\frac{x_1 - \\mu}{\\sigma} = \\frac{x_1 - \\mu}{\\sqrt{\\sigma^2}}"] == "valid"


@pytest.mark.parametrize("text", [
    "Here $\\sigma(z) = \\frac{1}{1 + e^{-z}}$ and $\\sigma^2 = 3$.\n\n$$\\sigma^2 + 1 = 4$$\n",  # σ is a function
    "With $a = \\sigma + 1$ and then $\\sigma^2 = 3$:\n\n$$\\sigma^2 + 1 = 4$$\n",  # σ used unsquared first
])
def test_sigma_squared_is_one_quantity_only_where_sigma_is_not_otherwise_used(text):
    glossary = check_text(text, timeout=None).glossary
    assert not any("defined as a whole" in reading for reading in glossary.values())


def test_a_size_in_a_definition_takes_the_value_of_the_size_checked():
    """Σ_{i=1}^{N} with 1/N in the definitions: N is the size in both (a false alarm before)."""
    assert all(_variance_gradient(n) == 0 for n in (1, 2, 3))
    got = verdicts("$\\mu = \\frac{1}{N}\\sum_{i=1}^{N} x_i$, $v = \\frac{1}{N}\\sum_{i=1}^{N}(x_i - \\mu)^2$\n\n"
                   "$$\\frac{\\partial v}{\\partial x_j} = \\frac{2}{N}(x_j - \\mu)$$\n")
    assert got["\\frac{\\partial v}{\\partial x_j} = \\frac{2}{N}(x_j - \\mu)"] == "valid"


def _step_text(gradient_line: str, step: str, rate: str = "0.1") -> str:
    return (f"**MSE for one weight.** \\(L(w) = (w x - y)^2\\) with \\(x = 2\\), \\(y = 1\\), at \\(w = 1\\):\n"
            f"\\[ {gradient_line} \\]\n"
            f"One gradient step with a learning rate of {rate}: \\(w_{{\\text{{new}}}} = {step}\\).\n")


def _true_step(rate: float) -> float:
    w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    ((w * 2 - 1) ** 2).backward()
    return 1 - rate * w.grad.item()  # 1 - 0.1·4 = 0.6


@pytest.mark.parametrize("gradient_line, step, rate, expected", [
    ("L'(1) = 2(2 - 1) \\cdot 2 = 4", "1 - 0.1 \\cdot 4", "0.1", "valid"),
    ("L'(1) = 2(2 - 1) \\cdot 2 = 4", "1 - 0.2 \\cdot 4", "0.1", "unverifiable"),  # not the rate stated
    ("L'(1) = 2(2 - 1) \\cdot 2 = 4", "1 + 0.1 \\cdot 4", "0.1", "unverifiable"),  # ascent, not descent
    ("L'(1) = (2 - 1) \\cdot 2 = 2", "1 - 0.1 \\cdot 2", "0.1", "unverifiable"),  # from a wrong gradient
])
def test_a_gradient_step_stated_in_words_uses_the_gradient_found(gradient_line, step, rate, expected):
    value = float(sp.sympify(step.replace("\\cdot", "*")))
    assert (abs(value - _true_step(float(rate))) < 1e-12) == (expected == "valid")
    got = verdicts(_step_text(gradient_line, step, rate))
    assert got[f"w_{{\\text{{new}}}} = {step}"] == expected


def test_a_leading_multiple_in_plain_text_stays_in_the_formula():
    got = verdicts("Plain numbers\n\nx = 1, y = 2\n2x - y = 0\n")
    assert got == {"x = 1": "valid", "y = 2": "valid", "2x - y = 0": "valid"}


def _linear_layer(claims: list[str], words: str = "With the squared-error loss") -> dict:
    return verdicts("$$W = \\begin{bmatrix} 1 & 2 \\\\ 0 & -1 \\end{bmatrix}, \\quad \\mathbf{x} = \\begin{bmatrix} 3 \\\\ 1 "
                    "\\end{bmatrix}, \\quad \\mathbf{t} = \\begin{bmatrix} 4 \\\\ 1 \\end{bmatrix}$$\n\n"
                    "$$\\mathbf{y} = W\\mathbf{x}$$\n\n"
                    f"{words}, $\\boldsymbol{{\\delta}} = \\mathbf{{y}} - \\mathbf{{t}}$, and\n\n"
                    + "\n\n".join(f"$${c}$$" for c in claims) + "\n")


def _squared_error_gradients():
    """∂/∂W and ∂/∂x of ½‖Wx - t‖² and of ‖Wx - t‖², by autograd."""
    out = {}
    for name, factor in (("half", 0.5), ("full", 1.0)):
        W = torch.tensor([[1.0, 2.0], [0.0, -1.0]], dtype=torch.float64, requires_grad=True)
        x = torch.tensor([3.0, 1.0], dtype=torch.float64, requires_grad=True)
        (factor * ((W @ x - torch.tensor([4.0, 1.0], dtype=torch.float64)) ** 2).sum()).backward()
        out[name] = (W.grad.numpy(), x.grad.numpy())
    return out


@pytest.mark.parametrize("words", ["With half the squared error", "With the squared-error loss"])
def test_a_loss_named_in_words_is_read_in_the_forms_the_words_allow(words):
    """"half the squared error" fixes ½‖y - t‖²; "the squared-error loss" alone may be ½‖y - t‖² or ‖y - t‖²: a claim
    is then valid in neither reading for sure, and invalid only if it fails in both."""
    grads = _squared_error_gradients()
    delta = np.array([5.0, -1.0]) - np.array([4.0, 1.0])  # y = Wx = (5, -1)
    x, W = np.array([3.0, 1.0]), np.array([[1.0, 2.0], [0.0, -1.0]])
    assert np.allclose(np.outer(delta, x), grads["half"][0]) and np.allclose(2 * np.outer(delta, x), grads["full"][0])
    assert not any(np.allclose(W @ delta, g[1]) for g in grads.values())
    got = _linear_layer(["\\frac{\\partial L}{\\partial W} = \\boldsymbol{\\delta}\\mathbf{x}^\\top",
                         "\\frac{\\partial L}{\\partial \\mathbf{x}} = W\\boldsymbol{\\delta}",
                         "\\frac{\\partial L}{\\partial W} = 2\\boldsymbol{\\delta}\\mathbf{x}^\\top"], words)
    half = words.startswith("With half")
    assert got["\\frac{\\partial L}{\\partial W} = \\boldsymbol{\\delta}\\mathbf{x}^\\top"] == ("valid" if half else "unverifiable")
    assert got["\\frac{\\partial L}{\\partial \\mathbf{x}} = W\\boldsymbol{\\delta}"] == "invalid"  # in every form
    assert got["\\frac{\\partial L}{\\partial W} = 2\\boldsymbol{\\delta}\\mathbf{x}^\\top"] == ("invalid" if half else "unverifiable")


@pytest.mark.parametrize("words", ["With the squared-error loss, and unlike cross-entropy", "With some loss"])
def test_a_loss_not_named_alone_stays_a_general_function(words):
    got = _linear_layer(["\\frac{\\partial L}{\\partial W} = \\boldsymbol{\\delta}\\mathbf{x}^\\top"], words)
    assert got["\\frac{\\partial L}{\\partial W} = \\boldsymbol{\\delta}\\mathbf{x}^\\top"] == "unverifiable"
