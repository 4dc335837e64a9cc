"""ReLU in the matrix reading: random instances never sit on the kink, max(0, z) is ReLU, and a quantity whose
definition the matrix reading cannot read is not taken as an independent leaf. Truths: the backward pass of
z1 = W1 x + b1, h = ReLU(z1), z2 = W2 h + b2, ŷ = softmax(z2), L = -Σ y log ŷ, worked out by hand
(∂L/∂W1 = ((W2ᵀ(ŷ - y)) ∘ 1[z1 > 0]) xᵀ) and confirmed with torch autograd in the test below."""
from __future__ import annotations

import pytest

from dlderive.check import check_text

FORWARD = ("Forward: $z_1 = W_1 x + b_1$, $h = {relu}$, $z_2 = W_2 h + b_2$, "
           "$\\hat y = \\text{{softmax}}(z_2)$, $L = -\\sum_k y_k \\log \\hat y_k$.\n\n"
           "$$\\delta_2 = \\frac{{\\partial L}}{{\\partial z_2}} = \\hat y - y$$\n\n"
           "$$\\delta_1 = {delta1}$$\n\n"
           "$$\\frac{{\\partial L}}{{\\partial W_1}} = {grad}$$\n")

RELU = ["\\text{ReLU}(z_1)", "\\max(0, z_1)", "\\operatorname{relu}(z_1)"]
SLOPE = ["\\mathbb{1}[z_1 > 0]", "\\text{ReLU}'(z_1)"]


def last(text: str):
    report = check_text(text)
    return report.relations[-1]


@pytest.mark.parametrize("relu", RELU)
@pytest.mark.parametrize("slope", SLOPE)
def test_the_first_layer_gradient_through_relu_is_valid(relu, slope):
    text = FORWARD.format(relu=relu, delta1=f"(W_2^T \\delta_2) \\odot {slope}", grad="\\delta_1 x^T")
    r = last(text)
    assert str(r.verdict) == "valid", (relu, slope, r.reason)


@pytest.mark.parametrize("delta1, grad", [
    ("(W_2^T \\delta_2) \\odot \\mathbb{1}[z_1 > 0]", "x \\delta_1^T"),  # the order of the outer product
    ("W_2^T \\delta_2", "\\delta_1 x^T"),  # the slope of ReLU dropped
    ("(W_2^T \\delta_2) \\odot \\mathbb{1}[z_1 > 0]", "\\delta_1 x^T + \\delta_1 x^T"),  # twice
])
def test_a_wrong_first_layer_gradient_is_invalid(delta1, grad):
    text = FORWARD.format(relu="\\text{ReLU}(z_1)", delta1=delta1, grad=grad)
    r = last(text)
    assert str(r.verdict) == "invalid", (delta1, grad, r.reason)


def test_a_quantity_defined_by_a_formula_the_matrix_reading_cannot_read_is_not_a_leaf():
    # h defined by an expression the matrix reading does not read: ∂L/∂W1 cannot be computed through it, and
    # taking h as independent of W1 (gradient 0) would call the true gradient wrong
    text = FORWARD.format(relu="\\operatorname{clip}(z_1, 0, 6)", delta1="(W_2^T \\delta_2) \\odot \\mathbb{1}[z_1 > 0]",
                          grad="\\delta_1 x^T")
    r = last(text)
    assert str(r.verdict) != "invalid", r.reason


@pytest.mark.tool
def test_the_truth_of_these_documents_is_torch_autograd():
    import torch
    torch.manual_seed(0)
    d, h, k = 4, 5, 3
    x, b1, b2 = torch.randn(d, 1, dtype=torch.float64), torch.randn(h, 1, dtype=torch.float64), \
        torch.randn(k, 1, dtype=torch.float64)
    w1 = torch.randn(h, d, dtype=torch.float64, requires_grad=True)
    w2 = torch.randn(k, h, dtype=torch.float64)
    y = torch.tensor([[0.0], [1.0], [0.0]], dtype=torch.float64)
    z1 = w1 @ x + b1
    p = torch.softmax(w2 @ torch.relu(z1) + b2, dim=0)
    (-(y * torch.log(p)).sum()).backward()
    delta1 = (w2.T @ (p - y)) * (z1 > 0)
    assert torch.allclose(w1.grad, delta1 @ x.T, atol=1e-12)
    assert not torch.allclose(w1.grad, (w2.T @ (p - y)) @ x.T, atol=1e-3)  # the slope matters here
