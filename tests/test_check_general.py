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
