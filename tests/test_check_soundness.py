"""Relations that are false by a margin below what 50-digit arithmetic resolves: never valid.

Each wrong relation here differs from the truth by a constant under 10^-50 (worked out by hand:
e^-200 ≈ 1.4·10^-87, 1 - tanh(100) = 2/(e^200 + 1) ≈ 2.8·10^-87), so agreement at 50 digits proves nothing."""
import pytest
import sympy as sp

from dlderive.check import check_text


def verdicts(text):
    return [r.verdict for r in check_text(text).relations]


TINY = [
    r"$$x - e^{-200} = x$$",
    r"$$x(1 - e^{-200}) = x$$",
    r"$$x (1 - \tanh(100)) = 0$$",
    r"$$y + x e^{-150} = y$$",
    r"$$\sigma(200) x = x$$",
]


@pytest.mark.parametrize("text", TINY)
def test_a_tiny_constant_never_makes_a_wrong_step_valid(text):
    assert verdicts(text) and "valid" not in verdicts(text)


def test_the_constants_are_really_below_fifty_digits():
    # the oracle: SymPy at 120 digits, independent of the checker's evaluator
    for c in (sp.exp(-200), 1 - sp.tanh(100), sp.exp(-150), 1 - 1 / (1 + sp.exp(-200))):
        value = sp.N(c, 120)
        assert 0 < abs(value) < sp.Float("1e-50")


@pytest.mark.parametrize("text", [
    r"$$\sigma(0) x = x/2$$",
    r"$$e^{2} e^{3} x = e^{5} x$$",
    r"$$\sigma(2)(1 - \sigma(2)) x = x \sigma(2) - x \sigma(2)^2$$",
])
def test_exact_identities_with_constants_stay_valid(text):
    assert verdicts(text) == ["valid"]


DECLARED = (r"Let $W \in \mathbb{R}^{m\times n}$, $X \in \mathbb{R}^{n \times p}$, $x \in \mathbb{R}^n$, "
            r"$t \in \mathbb{R}^m$, $y = Wx$ and $L = \frac12 \|y - t\|^2$." "\n\n")


@pytest.mark.parametrize("claim", [
    r"W X = W X + \exp(-80)",  # e^-80 ≈ 1.8·10^-35: below 30 digits of W X's entries
    r"W = W + \exp(-200) W",
    r"W = W (1 + 10^{-40})",
    r"\frac{\partial L}{\partial W} = (y - t) x^\top + e^{-200}",
    r"\frac{\partial L}{\partial W} = (y - t) x^\top (1 + e^{-100})",
    r"\frac{\partial L}{\partial x} = W^\top (y - t) (1 - \tanh(100))",
    r"W = \frac{W}{\eta - \eta}",  # a side with no value
])
def test_a_matrix_statement_off_by_a_tiny_constant_is_never_valid(claim):
    got = verdicts(DECLARED + f"$${claim}$$\n")
    assert got[-1] != "valid", got


def test_the_true_gradients_stay_valid_beside_those_probes():
    # ∂/∂W ½‖Wx − t‖² = (Wx − t) xᵀ and ∂/∂x = Wᵀ(Wx − t), by hand (and PyTorch in test_check_linalg_grads)
    got = verdicts(DECLARED + "$$\\frac{\\partial L}{\\partial W} = (y - t) x^\\top$$\n\n"
                   "$$\\frac{\\partial L}{\\partial x} = W^\\top (y - t)$$\n")
    assert got[-2:] == ["valid", "valid"]


def test_a_definition_whose_shape_contradicts_the_declaration_is_invalid():
    text = (r"Let $X \in \mathbb{R}^{m\times n}$, $W \in \mathbb{R}^{n\times p}$, $w \in \mathbb{R}^n$, "
            r"$z \in \mathbb{R}^n$, $u \in \mathbb{R}^m$ and $s \in \mathbb{R}$." "\n\n$$z = XW$$\n\n$$u = Xw$$\n\n$$s = w^\\top w$$\n")
    report = check_text(text)
    by_text = {r.latex: r for r in report.relations}
    assert by_text["z = XW"].verdict == "invalid" and "declared" in by_text["z = XW"].reason
    assert by_text["u = Xw"].verdict == "valid" and by_text["s = w^\\top w"].verdict == "valid"  # m×n by n: m
    zero = check_text(r"Let $W \in \mathbb{R}^{m\times n}$ and start from $W = 0$." "\n")
    assert [r.verdict for r in zero.relations][-1] == "valid"  # a number for a matrix: every entry


def test_a_column_beside_a_matrix_in_a_hadamard_product_scales_its_rows():
    # (v ⊙ J)_{ij} = v_i J_ij = (diag(v) J)_ij, as NumPy broadcasts an (n, 1) array against (n, m); checked by hand
    import numpy as np
    v, J = np.array([[2.0], [3.0]]), np.arange(6.0).reshape(2, 3)
    assert np.array_equal(v * J, np.diag(v[:, 0]) @ J)
    text = (r"Let $z \in \mathbb{R}^n$ and $J \in \mathbb{R}^{n\times m}$." "\n\n"
            "$$(1 - z) \\odot J = \\mathrm{diag}(1 - z) J$$\n\n$$z \\odot J = J$$\n")
    assert verdicts(text)[-2:] == ["valid", "invalid"]
