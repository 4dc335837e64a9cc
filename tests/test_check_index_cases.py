"""A relation stated for a case of its indices ("for i ≠ j", "if $k = l$:") is checked at exactly those indices;
the case governs only the relation written right after it. Truths worked out by hand and confirmed with sympy.diff
of the softmax at three classes."""
import re

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
    written_for_the_other_relation = f"$$ {general}, \\qquad {D} = -p_i p_j \\quad (i \\neq j)$$\n"
    assert _verdict(written_for_the_other_relation, general) != "valid"
    next_paragraph = f"For $i = j$, the diagonal is simple.\n\n$${general}$$\n"
    assert _verdict(next_paragraph, general) != "valid"


def test_no_case_stated_anywhere_near_claims_every_index():
    # with free indices and no case in its paragraph or the one before, p_i(1 - p_j) is claimed at i ≠ j too
    assert _verdict(f"$${D} = p_i(1 - p_j)$$\n", f"{D} = p_i(1 - p_j)") == "invalid"


@pytest.mark.parametrize("text", [
    f"On the diagonal the entries are simpler.\n\n$${D} = p_i(1 - p_j)$$\n",
    f"Take the same index for both.\n$${D} = p_i(1 - p_j)$$\n",
    f"We look at $i = j$ first. The quotient rule gives\n\n$${D} = p_i(1 - p_j)$$\n",
])
def test_a_case_named_near_a_relation_keeps_it_unverifiable(text):
    assert _verdict(text, f"{D} = p_i(1 - p_j)") == "unverifiable"


def test_false_at_every_index_of_a_size_is_invalid_with_no_case_stated():
    # p_i p_j - δ_ij p_i is the negative of the Jacobian: at three classes it fails at every (i, j)
    assert all(not _softmax_jacobian_entry(i, j, lambda p, a, b: p[a] * p[b] - int(a == b) * p[a])
               for i in range(3) for j in range(3))
    assert _verdict(f"$${D} = p_i p_j - \\delta_{{ij}} p_i$$\n", f"{D} = p_i p_j - \\delta_{{ij}} p_i") == "invalid"



def _report(text: str, latex: str, name: str = "cases.md", prefix: str = SOFTMAX):
    report = check_text(prefix + text, name)
    found = [r for r in report.relations if r.latex == latex]
    assert found, [r.latex for r in report.relations]
    return found[-1]


def _off_diagonal_wrong():
    return not _softmax_jacobian_entry(0, 1, lambda p, a, b: p[a] * p[b])


def _diagonal_right():
    return all(_softmax_jacobian_entry(i, i, lambda p, a, b: p[a] * (1 - p[b])) for i in range(3))


def _off_diagonal_right():
    return all(_softmax_jacobian_entry(i, j, lambda p, a, b: -p[a] * p[b]) for i in range(3) for j in range(3)
               if i != j)


WRITTEN_AFTER = [
    # a case written after the relation it governs, in the styles people use
    (f"$${D} = -p_i p_j \\quad (i \\neq j)$$\n", f"{D} = -p_i p_j", "valid", _off_diagonal_right),
    (f"$${D} = p_i(1-p_j) \\text{{ for }} i=j$$\n", f"{D} = p_i(1-p_j)", "valid", _diagonal_right),
    (f"$${D} = p_i(1 - p_j), \\text{{ if }} i = j$$\n", f"{D} = p_i(1 - p_j)", "valid", _diagonal_right),
    (f"$${D} = p_i p_j \\qquad i \\ne j$$\n", f"{D} = p_i p_j", "invalid", _off_diagonal_wrong),
    (f"\\[ {D} = p_i p_j \\quad (i \\neq j) \\]\n", f"{D} = p_i p_j", "invalid", _off_diagonal_wrong),
    # a case on the line before the display
    (f"When $i=j$:\n$${D} = p_i(1-p_j)$$\n", f"{D} = p_i(1-p_j)", "valid", _diagonal_right),
    (f"For $i \\neq j$, the entries are\n\n$${D} = p_i p_j$$\n", f"{D} = p_i p_j", "invalid", _off_diagonal_wrong),
]


@pytest.mark.parametrize("text,relation,expected,truth", WRITTEN_AFTER)
def test_a_case_written_after_its_relation_or_before_its_display(text, relation, expected, truth):
    assert truth()
    assert _verdict(text, relation) == expected


def test_a_case_before_a_display_in_latex():
    tex = f"When $i = j$, we have\n\\[ {D} = p_i(1 - p_j) . \\]\nFor $i \\neq j$:\n\\begin{{equation*}}\n{D} = p_i p_j\n" \
          f"\\end{{equation*}}\n"
    assert _diagonal_right() and _off_diagonal_wrong()
    assert _report(tex, f"{D} = p_i(1 - p_j)", "cases.tex").verdict.value == "valid"
    wrong = _report(tex, f"{D} = p_i p_j", "cases.tex")
    assert wrong.verdict.value == "invalid" and "i = 1, j = 2" in wrong.reason  # a counterexample within i ≠ j


def test_each_branch_of_a_cases_block_is_checked_under_its_condition():
    assert _diagonal_right() and _off_diagonal_right() and _off_diagonal_wrong()
    right = f"{D} = \\begin{{cases}} p_i(1-p_i) & i = j \\\\ -p_i p_j & i \\neq j \\end{{cases}}"
    assert _verdict(f"$${right}$$\n", right) == "valid"
    wrong = f"{D} = \\begin{{cases}} p_i(1-p_i) & \\text{{if }} i = j \\\\ p_i p_j & \\text{{otherwise}} \\end{{cases}}"
    found = _report(f"$${wrong}$$\n", wrong)
    assert found.verdict.value == "invalid"
    index = re.search(r"i = (\d), j = (\d)", found.reason)
    assert index and index.group(1) != index.group(2)  # the counterexample lies in the wrong branch's case
    diagonal_wrong = f"{D} = \\begin{{cases}} p_i p_j & i = j \\\\ -p_i p_j & i \\neq j \\end{{cases}}"
    assert not _softmax_jacobian_entry(1, 1, lambda p, a, b: p[a] * p[b])
    found = _report(f"$${diagonal_wrong}$$\n", diagonal_wrong)
    index = re.search(r"i = (\d), j = (\d)", found.reason)
    assert found.verdict.value == "invalid" and index.group(1) == index.group(2)


CLASS_SOFTMAX = "Let $p_c = \\frac{e^{z_c}}{\\sum_{k} e^{z_k}}$ for each class $c$.\n\n"
DC = "\\frac{\\partial p_c}{\\partial z_y}"


@pytest.mark.parametrize("text,relation,expected", [
    (f"For $c \\neq y$, ${DC} = -p_c p_y$.", f"{DC} = -p_c p_y", "valid"),
    (f"$${DC} = p_c p_y \\quad (c \\neq y)$$", f"{DC} = p_c p_y", "invalid"),
    (f"$${DC} = p_c(1 - p_y) \\quad (c = y)$$", f"{DC} = p_c(1 - p_y)", "valid"),
    (f"$${DC} = p_c \\quad (c = y)$$", f"{DC} = p_c", "invalid"),
])
def test_any_letter_of_a_subscript_may_be_the_index_of_a_case(text, relation, expected):
    # the same softmax with the class written c and the other index y: -p_c p_y off the diagonal, p_c(1 - p_c) on it
    assert _off_diagonal_right() and _off_diagonal_wrong() and _diagonal_right()
    assert not _softmax_jacobian_entry(0, 0, lambda p, a, b: p[a])
    assert _report(text, relation, prefix=CLASS_SOFTMAX).verdict.value == expected
