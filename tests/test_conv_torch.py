"""Output sizes and parameter counts against PyTorch layers, over thousands of random valid configurations."""
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dlderive.conv import counts, output_size

pytestmark = pytest.mark.tool
torch = pytest.importorskip("torch")
torch.set_grad_enabled(False)

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
MAX_SIDE = {1: 60, 2: 24, 3: 9}


@st.composite
def layer(draw, dims=None, max_kernel=6):
    """Per-dimension sizes, kernels, strides, paddings and dilations for a 1-, 2- or 3-D layer."""
    n = dims or draw(st.integers(1, 3))
    per = lambda lo, hi: tuple(draw(st.integers(lo, hi)) for _ in range(n))  # noqa: E731
    return dict(size=per(1, MAX_SIDE[n]), kernel=per(1, max_kernel), stride=per(1, 4),
                padding=per(0, 3), dilation=per(1, 3))


def torch_shape(module, size, channels=1):
    return tuple(module(torch.zeros(1, channels, *size)).shape[2:])


CONV = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}


@settings(max_examples=500, **SETTINGS)
@given(cfg=layer(), cin=st.integers(1, 4), cout=st.integers(1, 4), groups=st.integers(1, 2),
       bias=st.booleans())
def test_conv_shapes_and_params(cfg, cin, cout, groups, bias):
    size, k, s, p, d = cfg.values()
    assume(all(D + 2 * P >= dd * (kk - 1) + 1 for D, P, kk, dd in zip(size, p, k, d)))
    cin, cout = cin * groups, cout * groups
    module = CONV[len(size)](cin, cout, k, s, p, d, groups=groups, bias=bias)
    result = output_size("conv", size, k, s, p, d)
    assert result.output == torch_shape(module, size, cin)
    c = counts(cin, cout, k, result.output, groups=groups, bias=bias)
    assert c.params["total"] == sum(q.numel() for q in module.parameters())
    assert c.params["weights"] == module.weight.numel()


@settings(max_examples=150, **SETTINGS)
@given(n=st.integers(1, 2), data=st.data())
def test_same_padding_pytorch(n, data):
    cfg = data.draw(layer(dims=n))
    size, k, _, _, d = cfg.values()
    module = CONV[n](1, 1, k, 1, "same", d)
    result = output_size("conv", size, k, 1, "same", d)
    assert result.output == torch_shape(module, size) == size
    total = [dd * (kk - 1) for kk, dd in zip(k, d)]
    assert result.padding == tuple((t // 2, t - t // 2) for t in total)


@settings(max_examples=400, **SETTINGS)
@given(cfg=layer(dims=2), data=st.data(), groups=st.integers(1, 2), bias=st.booleans())
def test_transposed_shapes_and_params(cfg, data, groups, bias):
    size, k, s, p, d = cfg.values()
    op = tuple(data.draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d))
    expected = tuple((D - 1) * ss - 2 * P + dd * (kk - 1) + o + 1 for D, ss, P, dd, kk, o in zip(size, s, p, d, k, op))
    assume(min(expected) >= 1)
    module = torch.nn.ConvTranspose2d(2 * groups, 3 * groups, k, s, p, op, groups=groups, bias=bias, dilation=d)
    result = output_size("transposed", size, k, s, p, d, op)
    assert result.output == torch_shape(module, size, 2 * groups)
    c = counts(2 * groups, 3 * groups, k, result.output, groups=groups, bias=bias, transposed=True,
               input=size, stride=s, padding=p, dilation=d)
    assert c.params["total"] == sum(q.numel() for q in module.parameters())


