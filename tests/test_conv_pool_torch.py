"""Pooling output sizes (floor and ceil_mode) against PyTorch MaxPool1d/2d/3d and AvgPool1d/2d/3d."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlderive.conv import output_size
from test_conv_torch import SETTINGS, agree, layer, torch_shape

pytestmark = pytest.mark.tool
torch = pytest.importorskip("torch")


MAXPOOL = {1: torch.nn.MaxPool1d, 2: torch.nn.MaxPool2d, 3: torch.nn.MaxPool3d}
AVGPOOL = {1: torch.nn.AvgPool1d, 2: torch.nn.AvgPool2d, 3: torch.nn.AvgPool3d}


@settings(max_examples=400, **SETTINGS)
@given(cfg=layer(), ceil=st.booleans())
def test_maxpool(cfg, ceil):
    size, k, s, p, d = cfg.values()
    module = MAXPOOL[len(size)](k, s, p, d, ceil_mode=ceil)
    agree(module, size, 1, lambda: output_size("maxpool", size, k, s, p, d, ceil_mode=ceil))


@settings(max_examples=400, **SETTINGS)
@given(cfg=layer(), ceil=st.booleans())
def test_avgpool(cfg, ceil):
    size, k, s, p, _ = cfg.values()
    module = AVGPOOL[len(size)](k, s, p, ceil_mode=ceil)
    agree(module, size, 1, lambda: output_size("avgpool", size, k, s, p, ceil_mode=ceil))


@pytest.mark.parametrize("size,k,s,p", [((7, 7), 2, 2, 0), ((6, 5), 3, 2, 1), ((5, 5), 2, 3, 1), ((1, 1), 1, 2, 0),
                                       ((1, 1), 2, 2, 0), ((1, 2), 4, 3, 2)])
def test_ceil_mode_drops_window_starting_in_padding(size, k, s, p):
    for kind, module in (("maxpool", torch.nn.MaxPool2d(k, s, p, ceil_mode=True)),
                         ("avgpool", torch.nn.AvgPool2d(k, s, p, ceil_mode=True))):
        assert output_size(kind, size, k, s, p, ceil_mode=True).output == torch_shape(module, size)
