"""Identifiers -> LaTeX names under each preset (table-driven)."""
import pytest

from dlderive.errors import DlderiveError
from dlderive.notation import PRESETS, preset

CASES = [  # identifier, sample, pytorch, textbook
    ("x_t", "x_t", "x_t", "x_t"),
    ("h_prev", "h_{t-1}", "h_{t-1}", "h_{t-1}"),
    ("c_prev2", "c_{t-2}", "c_{t-2}", "c_{t-2}"),
    ("W_f", "W^{f}", "W_{if}", "W_{xf}"),
    ("U_u", "U^{u}", "W_{hg}", "W_{hu}"),  # PyTorch writes the LSTM candidate g
    ("b_hn", "b^{hn}", "b_{hn}", "b_{hn}"),
    ("P_f", "p^{f}", "p_{f}", "w_{cf}"),
    ("W_in", "W_{in}", "W_{in}", "W_{in}"),  # a width, not a weight
    ("H_out", "H_{out}", "H_{out}", "H_{out}"),
    ("P_total", "P_{total}", "P_{total}", "P_{total}"),  # a padding, not a peephole weight
    ("P_left", "P_{left}", "P_{left}", "P_{left}"),
    ("sigma", "\\sigma", "\\sigma", "\\sigma"),
    ("z", "z", "z", "z"),
]


@pytest.mark.parametrize("identifier,sample,pytorch,textbook", CASES)
def test_symbol_names(identifier, sample, pytorch, textbook):
    assert [PRESETS[p].symbol(identifier) for p in ("sample", "pytorch", "textbook")] == [sample, pytorch, textbook]


def test_hadamard_signs_and_unknown_preset():
    assert PRESETS["sample"].hadamard == "\\circ" and PRESETS["pytorch"].hadamard == "\\odot"
    with pytest.raises(DlderiveError, match="sample, pytorch, textbook"):
        preset("nope")


@pytest.mark.parametrize("identifier,expected", [
    ("h_t", ("h", 0)), ("h_prev", ("h", 1)), ("x_prev2", ("x", 2)), ("c_prev17", ("c", 17)),
    ("W_f", None), ("b_hn", None), ("D_in", None), ("h", None), ("h_prevx", None),
])
def test_the_identifier_grammar(identifier, expected):
    from dlderive.notation import is_weight, time_offset_name, timed
    assert timed(identifier) == expected
    if expected:
        assert time_offset_name(*expected) == identifier
    assert is_weight(identifier) == (identifier in ("W_f",))


def test_weights_and_sizes_are_told_apart():
    from dlderive.notation import WEIGHT
    assert [bool(WEIGHT.match(n)) for n in ("W_f", "U_hn", "b_hn", "P_o", "W_in", "H_out", "P_total")] == [
        True, True, True, True, False, False, False]
