"""Sums over time in the matrix reading: a wrong time shift is never valid. For h_t = tanh(W_hh h_{t-1} +
W_xh x_t), y_t = W_hy h_t and L = Σ_t L_t, the gradient is ∂L/∂W_hy = Σ_t (∂L_t/∂y_t) h_tᵀ (by hand: W_hy
appears only in y_t); with h_{t-1}, h_{t+1} or h_{t-2} in its place it is wrong."""
from __future__ import annotations

import pytest

from dlderive.check import check_text

DOC = ("For an RNN $h_t = \\tanh(W_{{hh}} h_{{t-1}} + W_{{xh}} x_t)$ and $y_t = W_{{hy}} h_t$, with $L = {loss}$:\n\n"
       "$$\\frac{{\\partial L}}{{\\partial W_{{hy}}}} = \\sum_t \\frac{{\\partial L_t}}{{\\partial y_t}} {h}^\\top$$\n")


@pytest.mark.parametrize("h", ["h_{t-1}", "h_{t+1}", "h_{t-2}"])
@pytest.mark.parametrize("loss", ["\\sum_t L_t", "\\sum_{t=1}^{T} L_t"])
def test_a_wrong_time_shift_in_a_weight_gradient_is_never_valid(h, loss):
    r = check_text(DOC.format(loss=loss, h=h)).relations[-1]
    assert str(r.verdict) != "valid", (h, r.reason)


def test_the_right_time_index_is_never_invalid():
    r = check_text(DOC.format(loss="\\sum_t L_t", h="h_t")).relations[-1]
    assert str(r.verdict) != "invalid", r.reason
