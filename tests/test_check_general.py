"""The checker on statements meant generally: rows and columns of matrices, a loss that is only named (read as
a general function of what it depends on), a recurrence stated at a general step t, products over t.

Every expected verdict below was worked out by hand (the derivation is in the comment beside it)."""
import pytest

from dlderive.check import check_text
from dlderive.reader import read_block


def verdicts(text: str, model: str | None = None) -> list[tuple[str, str]]:
    return [(r.latex, r.verdict.value) for r in check_text(text, model=model).relations]


def verdict_of(text: str, relation: str) -> str:
    found = [v for latex, v in verdicts(text) if latex.replace(" ", "") == relation.replace(" ", "")]
    assert found, (relation, verdicts(text))
    return found[0]


# ------------------------------------------------------------------ rows and columns
@pytest.mark.parametrize("written", [r"y = X_{n,:} W", r"z = W_{:,j}", r"g = \left(\frac{\partial L}{\partial Y}\right)_{n,:}",
                                     r"g = \mathbf{X}_{:, 2}"])
def test_a_row_or_column_is_left_to_the_matrix_reading(written):
    (statement,) = read_block(written)
    assert statement.terms[1].expr is None and "vectors and matrices" in statement.terms[1].error


BATCH = (r"Let $X \in \mathbb{R}^{N \times D}$, $W \in \mathbb{R}^{D \times M}$, $b \in \mathbb{R}^{M}$ and "
         r"$Y = XW + b$ (b added to every row). For a scalar loss $L$: $\frac{\partial L}{\partial b} = {rhs}$.")


@pytest.mark.parametrize("rhs, truth", [
    # ∂L/∂b_j = Σ_n ∂L/∂Y_{nj}: the sum of the rows of ∂L/∂Y (a row, the numerator layout of a gradient by b)
    (r"\sum_{n=1}^{N} \left(\frac{\partial L}{\partial Y}\right)_{n,:}", "valid"),
    # the sum of the columns has N entries, not M
    (r"\sum_{j=1}^{M} \left(\frac{\partial L}{\partial Y}\right)_{:,j}", "invalid"),
])
def test_the_gradient_of_a_bias_added_to_every_row(rhs, truth):
    text = BATCH.replace("{rhs}", rhs)
    assert verdict_of(text, r"\frac{\partial L}{\partial b} = " + rhs) == truth


# ------------------------------------------------------------------ a loss only named: a general function
SQUARE = (r"Let $W \in \mathbb{R}^{n \times n}$, $\mathbf{h} \in \mathbb{R}^{n}$, $\mathbf{y} = W\mathbf{h}$ and "
          r"$\boldsymbol{\delta} = \partial L / \partial \mathbf{y}$ {words}. Then "
          r"$\left(\frac{\partial \mathbf{y}}{\partial \mathbf{h}}\right)^{\top} \boldsymbol{\delta} = {rhs}$.")


@pytest.mark.parametrize("rhs, words, truth", [
    # (∂y/∂h)ᵀ δ = Wᵀ δ for every δ: valid
    (r"W^\top \boldsymbol{\delta}", "for a loss L", "valid"),
    # W δ ≠ Wᵀ δ for a general δ (δ = e_1 gives row 1 of Wᵀ against row 1 of W): invalid as the general statement
    (r"W \boldsymbol{\delta}", "for a loss L", "invalid"),
    # the same with a specific loss named in words: it might hold for that loss (δ = 0 when y is the target)
    (r"W \boldsymbol{\delta}", "for the cross-entropy loss L", "unverifiable"),
])
def test_an_identity_between_upstream_gradients_is_read_for_a_general_loss(rhs, words, truth):
    text = SQUARE.replace("{rhs}", rhs).replace("{words}", words)
    relation = r"\left(\frac{\partial \mathbf{y}}{\partial \mathbf{h}}\right)^{\top} \boldsymbol{\delta} = " + rhs
    assert verdict_of(text, relation) == truth


def test_the_counterexample_names_the_gradient_of_the_general_loss():
    text = SQUARE.replace("{rhs}", r"W \boldsymbol{\delta}").replace("{words}", "for a loss L")
    (bad,) = [r for r in check_text(text).relations if r.verdict.value == "invalid"]
    assert "for a general L" in bad.reason and "e.g. ∂L/∂y = (" in bad.reason


DECAY = (r"L2 regularisation: $\hat J(W) = J(W) + \frac{\mu}{2}\|W\|_F^2$, so "
         r"$\nabla_W \hat J = \nabla_W J + \mu W$ and $W - \alpha\nabla_W \hat J = {rhs}$.")


@pytest.mark.parametrize("rhs, truth", [
    (r"(1 - \alpha\mu)W - \alpha\nabla_W J", "valid"),  # W - α(∇J + μW)
    (r"(1 - \alpha\mu)W + \alpha\nabla_W J", "invalid"),  # off by 2α∇J, not 0 for a general J
])
def test_a_step_off_by_the_gradient_of_a_general_loss(rhs, truth):
    assert verdict_of(DECAY.replace("{rhs}", rhs), r"W - \alpha\nabla_W \hat J = " + rhs) == truth


# ------------------------------------------------------------------ a recurrence at a general step t
RNN = (r"Scalar RNN: $h_t = \tanh(w\,h_{t-1} + u\,x_t + b)$. Write $a_t = w\,h_{t-1} + u\,x_t + b$, so "
       r"$h_t = \tanh(a_t)$. Then ${claim}$.")


@pytest.mark.parametrize("claim, truth", [
    (r"\frac{\partial h_t}{\partial a_t} = 1 - h_t^2", "valid"),  # tanh' = 1 - tanh²
    (r"\frac{\partial h_t}{\partial a_t} = 1 - h_{t-1}^2", "invalid"),
    # two steps back: ∂h_t/∂h_{t-1} · ∂h_{t-1}/∂h_{t-2} = w(1 - h_t²) · w(1 - h_{t-1}²)
    (r"\frac{\partial h_t}{\partial h_{t-2}} = (1 - h_t^2)(1 - h_{t-1}^2)\,w^2", "valid"),
    (r"\frac{\partial h_t}{\partial h_{t-2}} = (1 - h_t^2)(1 - h_{t-1}^2)\,w", "invalid"),
    # x_{t-1} enters through h_{t-1}: w(1 - h_t²) · u(1 - h_{t-1}²)
    (r"\frac{\partial h_t}{\partial x_{t-1}} = w\,u\,(1 - h_t^2)(1 - h_{t-1}^2)", "valid"),
    (r"\frac{\partial h_t}{\partial x_{t-1}} = u\,(1 - h_{t-1}^2)", "invalid"),
])
def test_a_recurrence_at_a_general_step_defines_every_step(claim, truth):
    assert verdict_of(RNN.replace("{claim}", claim), claim) == truth


@pytest.mark.parametrize("unrolled, truth", [
    (r"\lambda^2 h_{t-2} + \lambda(1 - \lambda) x_{t-1} + (1 - \lambda) x_t", "valid"),  # h_{t-1} put in
])
def test_a_recurrence_unrolled_by_hand_agrees_with_it(unrolled, truth):
    text = (r"An average: $h_t = \lambda h_{t-1} + (1 - \lambda) x_t$. Unrolled: $h_t = " + unrolled + "$.")
    assert verdict_of(text, "h_t = " + unrolled) == truth


def test_a_wrong_unrolling_is_never_taken_as_agreeing():
    text = (r"An average: $h_t = \lambda h_{t-1} + (1 - \lambda) x_t$. Unrolled: "
            r"$h_t = \lambda^2 h_{t-2} + (1 - \lambda) x_{t-1} + (1 - \lambda) x_t$.")
    assert verdict_of(text, r"h_t = \lambda^2 h_{t-2} + (1 - \lambda) x_{t-1} + (1 - \lambda) x_t") != "valid"
