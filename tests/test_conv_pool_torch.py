"""Pooling output sizes (floor and ceil_mode) against PyTorch MaxPool2d and AvgPool2d."""
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlderive.conv import output_size
from test_conv_torch import SETTINGS, layer, torch_shape

pytestmark = pytest.mark.tool
torch = pytest.importorskip("torch")


def _pool_valid(size, k, p, d):
    return all(P <= kk // 2 and D + 2 * P >= dd * (kk - 1) + 1 for D, kk, P, dd in zip(size, k, p, d))


@settings(max_examples=500, **SETTINGS)
@given(cfg=layer(dims=2), ceil=st.booleans())
def test_maxpool2d(cfg, ceil):
    size, k, s, p, d = cfg.values()
    assume(_pool_valid(size, k, p, d))
    module = torch.nn.MaxPool2d(k, s, p, d, ceil_mode=ceil)
    assert output_size("maxpool", size, k, s, p, d, ceil_mode=ceil).output == torch_shape(module, size)


@settings(max_examples=500, **SETTINGS)
@given(cfg=layer(dims=2), ceil=st.booleans())
def test_avgpool2d(cfg, ceil):
    size, k, s, p, _ = cfg.values()
    assume(_pool_valid(size, k, p, (1, 1)))
    module = torch.nn.AvgPool2d(k, s, p, ceil_mode=ceil)
    assert output_size("avgpool", size, k, s, p, ceil_mode=ceil).output == torch_shape(module, size)


@pytest.mark.parametrize("size,k,s,p", [((7, 7), 2, 2, 0), ((6, 5), 3, 2, 1), ((5, 5), 2, 3, 1), ((1, 1), 1, 2, 0)])
def test_ceil_mode_drops_window_starting_in_padding(size, k, s, p):
    for kind, module in (("maxpool", torch.nn.MaxPool2d(k, s, p, ceil_mode=True)),
                         ("avgpool", torch.nn.AvgPool2d(k, s, p, ceil_mode=True))):
        assert output_size(kind, size, k, s, p, ceil_mode=True).output == torch_shape(module, size)
