"""The checker on vectors and matrices: shapes, transposes, products in order, gradients by matrices.

Every expected verdict was worked out by hand (e.g. for Y = XW, ∂L/∂W = XᵀG and ∂L/∂X = GWᵀ with
G = ∂L/∂Y); a wrong step is never valid."""
from __future__ import annotations

import pytest

from dlderive.check import check_text
from dlderive.check import linalg

LINEAR = r"""Let $X \in \mathbb{R}^{m \times n}$, $W \in \mathbb{R}^{n \times p}$ and $b \in \mathbb{R}^p$.

$$Y = XW + b$$
"""
RNN = r"""Let $h \in \mathbb{R}^n$, $U \in \mathbb{R}^{n\times n}$, $x \in \mathbb{R}^d$ and $W \in \mathbb{R}^{n \times d}$.

$$h_t = \tanh(U h_{t-1} + W x_t)$$
"""
SOFTMAX = r"""Let $z \in \mathbb{R}^n$ and $p = \exp(z) / (\mathbf{1}^\top \exp(z))$.
"""
CE = r"""Let $z, y \in \mathbb{R}^K$.

$$\hat{y} = \operatorname{softmax}(z)$$

$$L = -y^\top \log(\hat{y})$$
"""
MLP = r"""Let $x \in \mathbb{R}^{d}$, $W_1 \in \mathbb{R}^{h \times d}$, $W_2 \in \mathbb{R}^{k \times h}$.

$$a = W_1 x$$

$$s = \sigma(a)$$

$$o = W_2 s$$

$$\delta = \frac{\partial L}{\partial o}$$
"""
PRODUCTS = r"""Let $A \in \mathbb{R}^{m \times n}$, $B \in \mathbb{R}^{n \times k}$, $u, v \in \mathbb{R}^n$.
"""

CASES = [
    (LINEAR, r"\frac{\partial L}{\partial W} = X^\top \frac{\partial L}{\partial Y}", "valid", "dL/dW right order"),
    (LINEAR, r"\frac{\partial L}{\partial W} = \frac{\partial L}{\partial Y} X^\top", "invalid", "dL/dW wrong order"),
    (LINEAR, r"\frac{\partial L}{\partial X} = \frac{\partial L}{\partial Y} W^\top", "valid", "dL/dX"),
    (LINEAR, r"\frac{\partial L}{\partial X} = W^\top \frac{\partial L}{\partial Y}", "invalid", "dL/dX wrong order"),
    (LINEAR, r"\frac{\partial L}{\partial b} = \frac{\partial L}{\partial Y}^\top \mathbf{1}", "valid", "dL/db"),
    (LINEAR, r"\frac{\partial L}{\partial W} = X \frac{\partial L}{\partial Y}", "invalid", "dL/dW no transpose"),
    (RNN, r"\frac{\partial L}{\partial h_{t-1}} = U^\top \left(\frac{\partial L}{\partial h_t} \odot (1 - h_t^2)\right)",
     "valid", "rnn backward"),
    (RNN, r"\frac{\partial L}{\partial h_{t-1}} = U \left(\frac{\partial L}{\partial h_t} \circ (1 - h_t^2)\right)",
     "invalid", "rnn backward without transpose"),
    (RNN, r"\frac{\partial L}{\partial W} = \left(\frac{\partial L}{\partial h_t} \odot (1 - h_t^2)\right) x_t^\top",
     "valid", "rnn dW"),
    (RNN, r"\frac{\partial L}{\partial W} = x_t \left(\frac{\partial L}{\partial h_t} \odot (1 - h_t^2)\right)^\top",
     "invalid", "rnn dW transposed"),
    (SOFTMAX, r"\frac{\partial p}{\partial z} = \operatorname{diag}(p) - p p^\top", "valid", "softmax jacobian"),
    (SOFTMAX, r"\frac{\partial p}{\partial z} = \operatorname{diag}(p) - p^\top p", "invalid", "softmax jacobian p^T p"),
    (SOFTMAX, r"\frac{\partial p}{\partial z} = \operatorname{diag}(p)", "invalid", "softmax jacobian diag only"),
    (CE, r"\frac{\partial L}{\partial z} = \hat{y} - y", "valid", "cross-entropy gradient"),
    (CE, r"\frac{\partial L}{\partial z} = y - \hat{y}", "invalid", "cross-entropy gradient sign"),
    (MLP, r"\frac{\partial L}{\partial W_2} = \delta s^\top", "valid", "mlp dW2"),
    (MLP, r"\frac{\partial L}{\partial W_2} = s \delta^\top", "invalid", "mlp dW2 transposed"),
    (MLP, r"\frac{\partial L}{\partial a} = W_2^\top \delta \odot s \odot (1 - s)", "valid", "mlp da"),
    (MLP, r"\frac{\partial L}{\partial a} = W_2^\top \delta \odot s", "invalid", "mlp da without sigma'"),
    (MLP, r"\frac{\partial L}{\partial W_1} = ((W_2^\top \delta) \odot s \odot (1 - s)) x^\top", "valid", "mlp dW1"),
    (PRODUCTS, r"(A B)^\top = B^\top A^\top", "valid", "transpose of a product"),
    (PRODUCTS, r"(A B)^T = A^T B^T", "invalid", "transpose of a product, wrong order"),
    (PRODUCTS, r"u^{\intercal} v = v^{\mathsf T} u", "valid", "dot product symmetric"),
    (PRODUCTS, r"u v^\top = v u^\top", "invalid", "outer product not symmetric"),
    (PRODUCTS, r"u \otimes v = u v^\top", "valid", "otimes as outer product"),
    (PRODUCTS, r"(u \odot v)^\top = u^\top \odot v^\top", "valid", "transpose of a Hadamard product"),
]


def _last(doc):
    rels = [r for r in check_text(doc, timeout=20).relations if not r.reason.startswith("assumption")]
    return rels[-1]


@pytest.mark.parametrize("doc, relation, expected", [pytest.param(d, r, e, id=i) for d, r, e, i in CASES])
def test_matrix_step(doc, relation, expected):
    rel = _last(doc + f"\n$${relation}$$\n")
    assert rel.verdict.value == expected, rel.reason


def test_shape_mismatch_names_the_shapes():
    rel = _last(LINEAR + r"$$\frac{\partial L}{\partial W} = \frac{\partial L}{\partial Y} X^\top$$")
    assert rel.verdict.value == "invalid"
    assert "shapes do not agree" in rel.reason and "2×4 by a 3×2" in rel.reason


def test_definition_with_mismatched_shapes_is_invalid():
    rel = _last(r"Let $X \in \mathbb{R}^{m \times n}$ and $W \in \mathbb{R}^{n \times p}$." "\n\n$$Y = WX$$")
    assert rel.verdict.value == "invalid" and "shapes do not agree" in rel.reason


def test_one_gradient_of_an_undefined_loss_is_not_valid():
    rel = _last(LINEAR + r"$$\frac{\partial L}{\partial W} = X^\top X$$")
    assert rel.verdict.value != "valid"


def test_undeclared_shape_is_not_judged_as_a_matrix():
    rel = _last(r"Let $A \in \mathbb{R}^{m \times n}$." "\n\n" r"$$A C = C A$$")
    assert rel.verdict.value != "valid"


def test_sum_with_unreadable_range_is_unverifiable():
    rel = _last(r"$$\sum_{k \in \mathcal{S}} x_k = \sum_{j \in \mathcal{S}} x_j + 1$$")
    assert rel.verdict.value != "valid"


def test_softmax_index_form():
    doc = r"$$p_i = \frac{e^{z_i}}{\sum_k e^{z_k}}$$" "\n\n" r"$$\frac{\partial p_i}{\partial z_j} = p_i(\delta_{ij} - p_j)$$"
    assert _last(doc).verdict.value == "valid"
    wrong = doc.replace(r"p_i(\delta_{ij} - p_j)", r"p_j(\delta_{ij} - p_j)")
    assert _last(wrong).verdict.value != "valid"


@pytest.mark.parametrize("written", [r"\mathbb{R}^{m \times n}", r"\mathbb{R}^{m\times n}", r"\mathbb R^{m \times n}"])
def test_shape_spellings(written):
    assert linalg.shape_of(written) == ("m", "n")
    assert linalg.shape_of(r"\mathbb{R}^n") == ("n", "1")


def test_transpose_spellings_parse_alike():
    forms = [r"W^\top", r"W^T", r"W^{\intercal}", r"W^{\mathsf T}", r"W^{\top}"]
    assert {linalg.parse(f) for f in forms} == {linalg.Node("T", (linalg.Node("name", (), "W"),))}
    assert linalg.parse(r"\mathbf{x}") == linalg.parse(r"\boldsymbol{x}") == linalg.parse(r"\vec{x}")


def _written(m) -> str:
    """A torch matrix as a bmatrix of its entries (whole numbers)."""
    rows = [" & ".join(str(int(v)) for v in row) for row in m.tolist()]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_written_matrices_against_torch(seed):
    torch = pytest.importorskip("torch")
    gen = torch.Generator().manual_seed(seed)
    A = torch.randint(-4, 5, (2, 3), generator=gen)
    u, g = torch.randint(-4, 5, (3, 1), generator=gen), torch.randint(-4, 5, (2, 1), generator=gen)
    doc = rf"Let $A = {_written(A)}$, $\mathbf{{u}} = {_written(u)}$ and $\mathbf{{g}} = {_written(g)}$." "\n\n"
    assert _last(doc + rf"$$A\mathbf{{u}} = {_written(A @ u)}$$").verdict.value == "valid"
    assert _last(doc + rf"$$A^\top\mathbf{{g}} = {_written(A.T @ g)}$$").verdict.value == "valid"
    assert _last(doc + rf"$$\mathbf{{g}}\mathbf{{u}}^\top = {_written(g @ u.T)}$$").verdict.value == "valid"
    off = (A @ u).clone()
    off[1, 0] += 1
    assert _last(doc + rf"$$A\mathbf{{u}} = {_written(off)}$$").verdict.value == "invalid"
    rel = _last(doc + rf"$$\mathbf{{g}}\mathbf{{u}}^\top = {_written(u @ g.T)}$$")  # the outer product reversed
    assert rel.verdict.value == "invalid" and "shapes" in rel.reason
    assert _last(doc + rf"$$A\mathbf{{g}} = {_written(A.T @ g)}$$").verdict.value == "invalid"  # 2×3 by 2×1


def test_written_decimals_are_judged_at_the_precision_written():
    from fractions import Fraction
    doc = r"Let $\mathbf{x} = \begin{bmatrix} 0.123 \\ 0.456 \end{bmatrix}$." "\n\n"
    exact = Fraction("0.123") ** 2 + Fraction("0.456") ** 2  # 0.223065
    rounded = round(float(exact), 3)
    assert _last(doc + rf"$$\mathbf{{x}}^\top\mathbf{{x}} = {rounded}$$").verdict.value == "valid"
    assert _last(doc + rf"$$\mathbf{{x}}^\top\mathbf{{x}} = {rounded + 0.001:.3f}$$").verdict.value == "invalid"
    outer = [[float(Fraction(a) * Fraction(b)) for b in ("0.123", "0.456")] for a in ("0.123", "0.456")]
    shown = r" \\ ".join(" & ".join(f"{v:.4f}" for v in row) for row in outer)
    claim = rf"$$\mathbf{{x}}\mathbf{{x}}^\top = \begin{{bmatrix}} {shown} \end{{bmatrix}}$$"
    assert _last(doc + claim).verdict.value == "valid"
    swapped = claim.replace(f"{outer[0][0]:.4f}", f"{outer[1][1]:.4f}", 1)
    assert _last(doc + swapped).verdict.value == "invalid"


def test_row_slices_summed_over_the_batch():
    # Y = XW + b adds b to each of the N rows: ∂L/∂b is the sum of the rows of G = ∂L/∂Y, i.e. Gᵀ1 (by hand)
    doc = linalg.Document()
    for name, space in (("X", r"\mathbb{R}^{N \times D}"), ("W", r"\mathbb{R}^{D \times M}"), ("b", r"\mathbb{R}^M")):
        doc.declare(name, space)
    doc.define("Y", "XW + b")
    rows = r"\sum_{n=1}^{N} \left(\frac{\partial L}{\partial Y}\right)_{n,:}"
    assert linalg.judge(doc, r"\frac{\partial L}{\partial b}", rows, 1)[0] == "valid"
    columns = r"\sum_{m=1}^{M} \left(\frac{\partial L}{\partial Y}\right)_{:,m}"  # the sum of the columns: N × 1
    assert linalg.judge(doc, r"\frac{\partial L}{\partial b}", columns, 1)[0] == "invalid"
    first = r"\left(\frac{\partial L}{\partial Y}\right)_{1,:}"  # one row only
    assert linalg.judge(doc, r"\frac{\partial L}{\partial b}", first, 1)[0] != "valid"
    assert linalg.parse(r"Y_{n,:}") == linalg.Node("slice", (linalg.Node("name", (), "Y"),), "row:n")


def test_numbers_for_a_matrix_of_declared_sizes_are_no_shape_error():
    # X ∈ ℝ^{N×D} written out as a 2×2 instance: N = D = 2 here, not a contradiction of the declaration
    doc = r"Let $X \in \mathbb{R}^{N \times D}$." "\n\n" r"$$X = \begin{bmatrix} 1 & 2 \\ 3 & -1 \end{bmatrix}$$"
    assert _last(doc).verdict.value != "invalid"


def test_a_tuple_in_a_relation_is_not_given_an_orientation():
    # (-0.5, 0.5)^T (1, 2) written for a column times a row: a tuple's orientation is not said
    rel = _last(r"$$(-0.5,\ 0.5)^\top (1,\ 2) = \begin{pmatrix} -0.5 & -1 \\ 0.5 & 1 \end{pmatrix}$$")
    assert rel.verdict.value != "invalid"
