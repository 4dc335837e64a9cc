"""A relation stated for a case of its indices ("for i ≠ j", "if $k = l$:") is checked at exactly those indices;
the case governs only the relation written right after it. Truths worked out by hand and confirmed with sympy.diff
of the softmax at three classes."""
import pytest
import sympy as sp

from dlderive.check import check_text

SOFTMAX = "Let $p_i = \\frac{e^{z_i}}{\\sum_{k} e^{z_k}}$.\n\n"
D = "\\frac{\\partial p_i}{\\partial z_j}"


def _softmax_jacobian_entry(i: int, j: int, formula) -> bool:
    """Whether formula(p, i, j) equals sympy's ∂p_i/∂z_j at three classes."""
    z = sp.symbols("z1:4", real=True)
    p = [sp.exp(x) / sum(sp.exp(y) for y in z) for x in z]
    return sp.simplify(sp.diff(p[i], z[j]) - formula(p, i, j)) == 0


def _verdict(text: str, latex: str) -> str:
    report = check_text(SOFTMAX + text, "cases.md")
    found = [r.verdict.value for r in report.relations if r.latex == latex]
    assert found, [r.latex for r in report.relations]
    return found[-1]


CASES = [
    # (text, relation, expected verdict, the truth at the indices the verdict is about)
    (f"For $i \\neq j$, ${D} = -p_i p_j$.", f"{D} = -p_i p_j", "valid",
     lambda: all(_softmax_jacobian_entry(i, j, lambda p, a, b: -p[a] * p[b]) for i in range(3) for j in range(3)
                 if i != j)),
    (f"If $i = j$ we get ${D} = p_i - p_i^2$.", f"{D} = p_i - p_i^2", "valid",
     lambda: all(_softmax_jacobian_entry(i, i, lambda p, a, b: p[a] - p[a] ** 2) for i in range(3))),
    (f"For $i \\neq j$, ${D} = p_i p_j$.", f"{D} = p_i p_j", "invalid",
     lambda: not _softmax_jacobian_entry(0, 1, lambda p, a, b: p[a] * p[b])),
    (f"When $i = j$: ${D} = p_i p_j$.", f"{D} = p_i p_j", "invalid",
     lambda: not _softmax_jacobian_entry(0, 0, lambda p, a, b: p[a] * p[b])),
]


@pytest.mark.parametrize("text,relation,expected,truth", CASES)
def test_a_stated_case_is_checked_at_its_indices(text, relation, expected, truth):
    assert truth()
    assert _verdict(text, relation) == expected


def test_a_case_governs_only_the_relation_right_after_it():
    # p_i(1 - p_j) holds at i = j only (at i = 0, j = 1 it is not ∂p_0/∂z_1): never valid as a general claim
    assert not _softmax_jacobian_entry(0, 1, lambda p, a, b: p[a] * (1 - p[b]))
    assert _softmax_jacobian_entry(0, 0, lambda p, a, b: p[a] * (1 - p[b]))
    general = f"{D} = p_i(1 - p_j)"
    after_a_sentence = f"For $i = j$ it is $p_i(1 - p_i)$. In general ${general}$.\n"
    assert _verdict(after_a_sentence, general) != "valid"
    written_after = f"$${D} = -p_i p_j \\quad (i \\neq j), \\qquad {general} \\quad (i = j)$$\n"
    assert _verdict(written_after, general) != "valid"
    next_paragraph = f"For $i = j$, the diagonal is simple.\n\n$${general}$$\n"
    assert _verdict(next_paragraph, general) != "valid"


def test_no_case_stated_keeps_a_relation_true_at_some_indices_unverifiable():
    assert _verdict(f"$${D} = p_i(1 - p_j)$$\n", f"{D} = p_i(1 - p_j)") == "unverifiable"


def test_false_at_every_index_of_a_size_is_invalid_with_no_case_stated():
    # p_i p_j - δ_ij p_i is the negative of the Jacobian: at three classes it fails at every (i, j)
    assert all(not _softmax_jacobian_entry(i, j, lambda p, a, b: p[a] * p[b] - int(a == b) * p[a])
               for i in range(3) for j in range(3))
    assert _verdict(f"$${D} = p_i p_j - \\delta_{{ij}} p_i$$\n", f"{D} = p_i p_j - \\delta_{{ij}} p_i") == "invalid"

