"""Output sizes and parameter counts against PyTorch layers, over thousands of random valid configurations."""
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dlderive.conv import counts, output_size
from dlderive.errors import DlderiveError

pytestmark = pytest.mark.tool
torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # tiny layers: threads only add contention


@pytest.fixture(autouse=True)
def _no_autograd():
    """Shapes only: no autograd in this module's tests, and no switch left off for the other modules."""
    with torch.no_grad():
        yield

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


def agree(module, size, channels, ours):
    """Our output size equals PyTorch's, and where PyTorch refuses the layer we refuse it too."""
    try:
        expected = torch_shape(module, size, channels)
    except RuntimeError:
        expected = None
    if expected is None or 0 in expected:  # PyTorch returns an empty tensor for a transposed size of 0
        with pytest.raises(DlderiveError):
            ours()
        return None
    result = ours()
    assert result.output == expected
    return result


CONV = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}


@settings(max_examples=400, **SETTINGS)
@given(cfg=layer(), cin=st.integers(1, 4), cout=st.integers(1, 4), groups=st.integers(1, 2),
       bias=st.booleans())
def test_conv_shapes_and_params(cfg, cin, cout, groups, bias):
    size, k, s, p, d = cfg.values()
    cin, cout = cin * groups, cout * groups
    module = CONV[len(size)](cin, cout, k, s, p, d, groups=groups, bias=bias)
    result = agree(module, size, cin, lambda: output_size("conv", size, k, s, p, d))
    assume(result is not None)
    c = counts(cin, cout, k, result.output, groups=groups, bias=bias)
    assert c.params["total"] == sum(q.numel() for q in module.parameters())
    assert c.params["weights"] == module.weight.numel()


@settings(max_examples=100, **SETTINGS)
@given(n=st.integers(1, 2), data=st.data())
def test_same_padding_pytorch(n, data):
    cfg = data.draw(layer(dims=n))
    size, k, _, _, d = cfg.values()
    module = CONV[n](1, 1, k, 1, "same", d)
    result = output_size("conv", size, k, 1, "same", d)
    assert result.output == torch_shape(module, size) == size
    total = [dd * (kk - 1) for kk, dd in zip(k, d)]
    assert result.padding == tuple((t // 2, t - t // 2) for t in total)


@settings(max_examples=300, **SETTINGS)
@given(cfg=layer(dims=2), data=st.data(), groups=st.integers(1, 2), bias=st.booleans())
def test_transposed_shapes_and_params(cfg, data, groups, bias):
    size, k, s, p, d = cfg.values()
    op = tuple(data.draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d))
    module = torch.nn.ConvTranspose2d(2 * groups, 3 * groups, k, s, p, op, groups=groups, bias=bias, dilation=d)
    result = agree(module, size, 2 * groups, lambda: output_size("transposed", size, k, s, p, d, op))
    assume(result is not None)
    c = counts(2 * groups, 3 * groups, k, result.output, groups=groups, bias=bias, transposed=True,
               input=size, stride=s, padding=p, dilation=d)
    assert c.params["total"] == sum(q.numel() for q in module.parameters())


