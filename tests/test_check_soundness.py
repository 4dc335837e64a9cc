"""Relations that are false by a margin below what 50-digit arithmetic resolves: never valid.

Each wrong relation here differs from the truth by a constant under 10^-50 (worked out by hand:
e^-200 ≈ 1.4·10^-87, 1 - tanh(100) = 2/(e^200 + 1) ≈ 2.8·10^-87), so agreement at 50 digits proves nothing."""
import pytest
import sympy as sp

from dlderive.check import check_text


def verdicts(text):
    return [r.verdict for r in check_text(text).relations]


TINY = [
    r"$$x - e^{-200} = x$$",
    r"$$x(1 - e^{-200}) = x$$",
    r"$$x (1 - \tanh(100)) = 0$$",
    r"$$y + x e^{-150} = y$$",
    r"$$\sigma(200) x = x$$",
]


@pytest.mark.parametrize("text", TINY)
def test_a_tiny_constant_never_makes_a_wrong_step_valid(text):
    assert verdicts(text) and "valid" not in verdicts(text)


def test_the_constants_are_really_below_fifty_digits():
    # the oracle: SymPy at 120 digits, independent of the checker's evaluator
    for c in (sp.exp(-200), 1 - sp.tanh(100), sp.exp(-150), 1 - 1 / (1 + sp.exp(-200))):
        value = sp.N(c, 120)
        assert 0 < abs(value) < sp.Float("1e-50")


@pytest.mark.parametrize("text", [
    r"$$\sigma(0) x = x/2$$",
    r"$$e^{2} e^{3} x = e^{5} x$$",
    r"$$\sigma(2)(1 - \sigma(2)) x = x \sigma(2) - x \sigma(2)^2$$",
])
def test_exact_identities_with_constants_stay_valid(text):
    assert verdicts(text) == ["valid"]
