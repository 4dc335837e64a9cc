"""The conv API's parameters: each checked by name and type, PyTorch's own rejections mirrored, large
valid layers counted. Oracles: PyTorch layers (shapes), brute-force enumeration (touched positions)."""
from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
import torch

from dlderive import conv
from dlderive.conv.counting import _touched
from dlderive.errors import DlderiveError


@pytest.mark.parametrize("call, parameter", [
    (lambda: conv.output_size("conv", 10, 3.0), "kernel"),
    (lambda: conv.output_size("conv", 10, 3, stride=None), "stride"),
    (lambda: conv.output_size("conv", 10, 3, stride=True), "stride"),
    (lambda: conv.output_size("conv", 10.0, 3), "input"),
    (lambda: conv.output_size("conv", (10, 12.5), 3), r"input\[1\]"),
    (lambda: conv.output_size("conv", 10, 3, padding=1.5), "padding"),
    (lambda: conv.output_size("conv", 10, 3, dilation=np.float64(2)), "dilation"),
    (lambda: conv.output_size("maxpool", 10, 3, ceil_mode=1), "ceil_mode"),
    (lambda: conv.output_size("conv", "10", 3), "input"),
    (lambda: conv.counts(3, 8, 3, 8, bias=1), "bias"),
    (lambda: conv.counts(3.0, 8, 3, 8), "in_channels"),
    (lambda: conv.counts(3, True, 3, 8), "out_channels"),
    (lambda: conv.counts(3, 8, 3, 8, groups=None), "groups"),
    (lambda: conv.counts(3, 8, 3, 8.0), "output"),
    (lambda: conv.counts(3, 8, 3, 8, transposed="yes"), "transposed"),
    (lambda: conv.solve("kernel", 5.0, input=10), "output"),
    (lambda: conv.solve("kernel", 5, input=10.0), "input"),
    (lambda: conv.solve("kernel", 5, input=10, stride=False), "stride"),
])
def test_every_parameter_is_checked_by_name_and_type(call, parameter):
    with pytest.raises(DlderiveError, match=rf"^{parameter}: must be"):
        call()


@pytest.mark.parametrize("kind, layer", [("maxpool", torch.nn.MaxPool2d), ("avgpool", torch.nn.AvgPool2d)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_string_padding_is_refused_for_pooling_as_pytorch_does(kind, layer, padding):
    with pytest.raises(TypeError):  # the oracle: PyTorch refuses it too
        layer(2, padding=padding)(torch.zeros(1, 1, 8, 8))
    with pytest.raises(DlderiveError, match=rf"^padding: PyTorch's {kind} layers take an integer padding, not '{padding}'"):
        conv.output_size(kind, (8, 8), 2, padding=padding)


def test_string_padding_is_refused_for_transposed_as_pytorch_does():
    with pytest.raises(TypeError):
        torch.nn.ConvTranspose2d(1, 1, 2, padding="valid")(torch.zeros(1, 1, 4, 4))
    with pytest.raises(DlderiveError, match="^padding: PyTorch's transposed layers"):
        conv.output_size("transposed", 4, 2, padding="valid")


def test_numpy_integers_are_accepted_and_agree_with_pytorch():
    got = conv.output_size("conv", (np.int64(31), np.int32(17)), np.int16(5), stride=np.int64(2),
                           padding=np.array([1, 2]), dilation=np.uint8(1))
    shape = torch.nn.Conv2d(1, 1, 5, stride=2, padding=(1, 2))(torch.zeros(1, 1, 31, 17)).shape[2:]
    assert got.output == tuple(shape) and all(type(v) is int for v in got.output)
    counted = conv.counts(np.int64(4), np.int64(6), (3, 3), np.array(tuple(shape)), groups=np.int8(2))
    layer = torch.nn.Conv2d(4, 6, 3, groups=2)
    assert counted.weights == layer.weight.numel() and counted.bias == layer.bias.numel()
    assert conv.solve("kernel", np.int64(27), input=np.int64(31), padding=1).values == (7,)  # 31 + 2 - 7 + 1


@pytest.mark.parametrize("stride, message", [(0, "stride"), (-1, "stride")])
def test_transposed_counts_refuse_a_stride_below_one(stride, message):
    with pytest.raises(DlderiveError, match=rf"^{message}: must be positive"):
        conv.counts(4, 4, 3, 10, transposed=True, input=4, stride=stride)


def test_transposed_counts_refuse_an_output_the_layer_cannot_give():
    with pytest.raises(DlderiveError, match=r"^output: a transposed layer with these parameters gives 13 to 14"):
        conv.counts(4, 4, 3, 20, transposed=True, input=6, stride=2)


def test_touched_positions_agree_with_enumeration():
    rng = random.Random(7)
    for _ in range(2000):
        n, k, s, d = rng.randint(1, 12), rng.randint(1, 7), rng.randint(1, 6), rng.randint(1, 5)
        lo = rng.randint(0, 10)
        hi = lo + rng.randint(0, 70)
        brute = len({p for p in (i * s + j * d for i in range(n) for j in range(k)) if lo <= p < hi})
        assert _touched(n, k, s, d, lo, hi) == brute, (n, k, s, d, lo, hi)


def test_large_valid_transposed_layers_are_counted_without_enumeration():
    # 2 * 10^5 positions times a kernel of 100: enumeration would visit 2 * 10^7 products
    got = conv.counts(2, 2, 100, 2 * 10**5 - 1 + 100, transposed=True, input=2 * 10**5, stride=1)
    assert got.multiplications == 2 * 2 * 100 * 2 * 10**5  # every product lands inside a full output
    layer = torch.nn.ConvTranspose1d(2, 2, 5, stride=3, padding=2)
    shape = tuple(layer(torch.zeros(1, 2, 40)).shape[2:])
    small = conv.counts(2, 2, 5, shape, transposed=True, input=40, stride=3, padding=2)
    assert (small.weights, small.bias) == (layer.weight.numel(), layer.bias.numel())
    assert small.multiplications == 40 * 2 * 2 * 5  # each input element scatters C_out·C_in·k products
