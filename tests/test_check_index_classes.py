"""A class index (L = -log ŷ_k for the true class k, -log p_y) and a stated condition on a family (Σ_k y_k = 1,
a one-hot target): the class is an index of the relation, and the condition holds at every instance (one-hot
values when the text calls the target one-hot, the last entry fixed by the sum otherwise). Truths worked out by
hand and confirmed with sympy.diff of the softmax at three classes."""
import itertools

import pytest
import sympy as sp

from dlderive.check import check_text

Z = sp.symbols("z1:4", real=True)
SOFTMAX = [sp.exp(x) / sum(sp.exp(y) for y in Z) for x in Z]


def _holds(expr_of) -> bool:
    """Whether expr_of(j, k) is 0 for every j, k of three classes (at a few points of z)."""
    for j, k in itertools.product(range(3), repeat=2):
        e = expr_of(j, k)
        for point in ((0.3, -1.2, 2.0), (1.0, 0.5, -0.7)):
            if abs(float(e.subs(dict(zip(Z, point))))) > 1e-9:
                return False
    return True


def _verdicts(text: str, name: str = "classes.md") -> dict:
    return {r.latex: r.verdict.value for r in check_text(text, name).relations}


CLASS_K = "With $\\hat y_j = \\frac{e^{z_j}}{\\sum_{m=1}^{K} e^{z_m}}$ and the true class $k$, $L = -\\log \\hat y_k$.\n\n"
CLASS_Y = "Let $p_c = \\frac{e^{z_c}}{\\sum_{k} e^{z_k}}$ and let $y$ be the true class, $L = -\\log p_y$.\n\n"
DZ = "\\frac{\\partial L}{\\partial z_j}"


def _gradient(j, k):
    return sp.diff(-sp.log(SOFTMAX[k]), Z[j])


@pytest.mark.parametrize("prefix,right,expected,truth", [
    (CLASS_K, "\\hat y_j - \\delta_{jk}", "valid", lambda j, k: _gradient(j, k) - (SOFTMAX[j] - int(j == k))),
    (CLASS_K, "\\hat y_j - \\mathbf{1}[j = k]", "valid", lambda j, k: _gradient(j, k) - (SOFTMAX[j] - int(j == k))),
    (CLASS_K, "\\hat y_j - \\mathbb{1}_{j=k}", "valid", lambda j, k: _gradient(j, k) - (SOFTMAX[j] - int(j == k))),
    (CLASS_Y, "p_j - \\mathbb{1}_{j=y}", "valid", lambda j, k: _gradient(j, k) - (SOFTMAX[j] - int(j == k))),
    (CLASS_K, "\\hat y_j", "invalid", lambda j, k: _gradient(j, k) - SOFTMAX[j]),
    (CLASS_K, "\\hat y_k - \\delta_{jk}", "invalid", lambda j, k: _gradient(j, k) - (SOFTMAX[k] - int(j == k))),
    (CLASS_Y, "p_y - \\mathbb{1}_{j=y}", "invalid", lambda j, k: _gradient(j, k) - (SOFTMAX[k] - int(j == k))),
])
def test_the_true_class_is_an_index_of_the_loss(prefix, right, expected, truth):
    assert _holds(truth) == (expected == "valid")
    relation = f"{DZ} = {right}"
    assert _verdicts(f"{prefix}$${relation}$$\n")[relation] == expected


def test_the_derivative_with_respect_to_the_true_class_entry():
    p = sp.Symbol("p", positive=True)
    assert sp.diff(-sp.log(p), p) == -1 / p
    found = _verdicts(f"{CLASS_Y}$$\\frac{{\\partial L}}{{\\partial p_y}} = -\\frac{{1}}{{p_y}}$$\n\n"
                      f"$$\\frac{{\\partial L}}{{\\partial z_y}} = p_y - 1$$\n")
    assert found["\\frac{\\partial L}{\\partial p_y} = -\\frac{1}{p_y}"] == "valid"
    assert all(sp.simplify(_gradient(k, k) - (SOFTMAX[k] - 1)) == 0 for k in range(3))
    assert found["\\frac{\\partial L}{\\partial z_y} = p_y - 1"] == "valid"


ONE_HOT = ("Let $L = -\\sum_{k=1}^{K} y_k \\log p_k$ with $p_k = \\frac{e^{z_k}}{\\sum_{m=1}^{K} e^{z_m}}$ and a one-hot "
           "target, so that $\\sum_{k=1}^{K} y_k = 1$.\n\n")


def test_a_stated_sum_is_a_condition_on_the_family_not_a_claim():
    assert _verdicts(ONE_HOT)["\\sum_{k=1}^{K} y_k = 1"] == "valid"


@pytest.mark.parametrize("relation,expected", [
    ("-y_j + p_j \\sum_{k=1}^{K} y_k = p_j - y_j", "valid"),  # Σ y_k = 1
    ("-y_j + p_j \\sum_{k=1}^{K} y_k = y_j - p_j", "invalid"),  # 2 (p_j - y_j) = 0 only where p_j = y_j
    (f"{DZ} = p_j - y_j", "valid"),
    (f"{DZ} = -\\sum_{{k=1}}^{{K}} y_k (1 - p_j)", "invalid"),  # the Kronecker delta dropped
])
def test_a_one_hot_target_is_instantiated_one_hot(relation, expected):
    # by hand, with y one-hot at h: ∂L/∂z_j = -∂ log p_h/∂z_j = p_j - δ_jh = p_j - y_j; -Σ y_k (1 - p_j) = p_j - 1
    for h in range(3):
        y = [int(k == h) for k in range(3)]
        loss = -sum(y[k] * sp.log(SOFTMAX[k]) for k in range(3))
        for j in range(3):
            assert sp.simplify(sp.diff(loss, Z[j]) - (SOFTMAX[j] - y[j])) == 0
    assert sp.simplify(sp.diff(-sp.log(SOFTMAX[0]), Z[1]) - (SOFTMAX[1] - 1)) != 0
    assert _verdicts(f"{ONE_HOT}$${relation}$$\n")[relation] == expected


SIMPLEX = "The weights sum to one: $\\sum_{k=1}^{K} w_k = 1$.\n\n"


@pytest.mark.parametrize("text,expected", [
    (SIMPLEX, "invalid"),  # w = (1/2, 1/2): Σ w_k² = 1/2
    (SIMPLEX.replace("The weights", "The one-hot weights"), "valid"),  # one-hot: Σ w_k² = Σ w_k = 1
])
def test_a_sum_alone_is_no_one_hot_condition(text, expected):
    assert sum(sp.Rational(1, 2) ** 2 for _ in range(2)) == sp.Rational(1, 2)
    relation = "\\sum_{k=1}^{K} w_k^2 = 1"
    assert _verdicts(f"{text}$${relation}$$\n")[relation] == expected


def test_a_sum_used_as_a_condition_never_makes_a_wrong_step_valid():
    # Σ w_k x_k = x_1 holds for one-hot w at 1 only, not for every w on the simplex (w = (0, 1), x = (1, 2): 2)
    relation = "\\sum_{k=1}^{K} w_k x_k = x_1"
    assert 0 * 1 + 1 * 2 != 1
    assert _verdicts(f"{SIMPLEX}$${relation}$$\n")[relation] != "valid"
    assert _verdicts(f"{SIMPLEX.replace('The weights', 'The one-hot weights')}$${relation}$$\n")[relation] \
        != "valid"


def test_a_one_hot_position_the_text_may_tie_to_a_class_index():
    # Σ_k y_k log p_k = log p_c holds exactly when y is one-hot at c, which the text may say in words: never
    # refuted by a one-hot position other than c; 2 log p_c is false at every one-hot position (log p_c ≠ 0)
    text = ONE_HOT + "The true class is $c$.\n\n$$\\sum_{k=1}^{K} y_k \\log p_k = \\log p_c$$\n\n" \
        "$$\\sum_{k=1}^{K} y_k \\log p_k = 2 \\log p_c$$\n"
    found = _verdicts(text)
    assert all(float(sp.log(SOFTMAX[c]).subs(dict(zip(Z, (0.3, -1.2, 2.0))))) != 0 for c in range(3))
    assert found["\\sum_{k=1}^{K} y_k \\log p_k = \\log p_c"] == "unverifiable"
    assert found["\\sum_{k=1}^{K} y_k \\log p_k = 2 \\log p_c"] == "invalid"
