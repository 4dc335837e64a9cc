"""Update rules (w = w - η g, m ← β m + (1 - β) g), formulas in sentences, a name set otherwise for a moment or
for one item only ("for K = 3"), and the step after a side that cannot be read. Every expected verdict is worked
out by hand."""
from __future__ import annotations

import pytest

from dlderive.check import check_text


def verdicts(text: str) -> list[tuple[int, str, str, str]]:
    return [(r.line, r.latex, str(r.verdict), r.reason) for r in check_text(text).relations]


def by_text(text: str) -> dict[str, tuple[str, str]]:
    return {latex: (verdict, reason) for _, latex, verdict, reason in verdicts(text)}


UPDATES = [
    r"$$w = w - \eta g$$",
    r"$$w \leftarrow w - \eta g$$",
    r"$$w \gets w - \eta \frac{\partial L}{\partial w}$$",
    r"$$w := w - \eta g$$",
    r"$$m = \beta m + (1 - \beta) g$$",
    r"$$v = \beta_2 v + (1 - \beta_2) g^2$$",
    "w = w - lr*dw",
    r"$$\theta = \theta - \alpha \nabla_\theta J$$",
]


@pytest.mark.parametrize("text", UPDATES)
def test_an_update_rule_is_an_assignment_never_a_false_equation(text):
    (line,) = verdicts(text)
    assert line[2] == "unverifiable" and line[3].startswith("an update"), line


def test_a_wrong_update_rule_is_never_valid():
    # the sign of the step is wrong (gradient ascent); as an assignment it cannot be refuted, and it is not valid
    for text in (r"$$w = w + \eta g$$", r"$$w \leftarrow w + \eta g$$", r"$$m = \beta m + (1 + \beta) g$$"):
        assert [v for _, _, v, _ in verdicts(text)] == ["unverifiable"], text


def test_the_chain_after_an_update_uses_the_old_value_then_the_new_one_is_in_force():
    text = ("Let $w = 0.5$, $g = 2$ and $\\eta = 0.1$.\n\n"
            "$$w = w - \\eta g = 0.5 - 0.1 \\cdot 2 = 0.3$$\n\n"
            "Now $w + 1 = 1.3$ and $w + 1 = 1.5$.\n")
    got = verdicts(text)
    chain = [v for line, _, v, _ in got if line == 3]
    assert chain == ["unverifiable", "valid", "valid"], got  # w - ηg = 0.5 - 0.2 with the old w = 0.5
    after = [(latex, v) for line, latex, v, _ in got if line == 5]
    assert after == [("w + 1 = 1.3", "valid"), ("w + 1 = 1.5", "invalid")], got  # w is 0.3 after the update


def test_an_equation_solved_by_an_implication_is_not_an_update():
    got = verdicts(r"$$x = 2x - 1 \implies x = 1$$")
    assert [v for _, _, v, _ in got] == ["valid", "valid"], got
    got = verdicts(r"$$x = 2x - 1 \implies x = 2$$")
    assert [v for _, _, v, _ in got] == ["valid", "invalid"], got


def test_an_identity_with_the_name_on_both_sides_is_still_checked():
    assert [v for _, _, v, _ in verdicts(r"$$a = a \cdot 1$$")] == ["valid"]
    assert [v for _, _, v, _ in verdicts(r"$$a = (a + 1) - 1$$")] == ["valid"]


def test_a_matrix_update_is_an_assignment_too():
    text = ("$W \\in \\mathbb{R}^{n \\times m}$ and $X \\in \\mathbb{R}^{N \\times n}$.\n\n"
            "$$W = W - \\alpha X^\\top X W$$\n")
    (line,) = [r for r in verdicts(text) if r[0] == 3]
    assert line[2] == "unverifiable" and line[3].startswith("an update"), line


def test_formulas_in_a_sentence_are_each_read():
    got = by_text("With a = tanh(z) the local derivative becomes da/dz = 1 - a^2.\n")
    assert got["a = \\tanh(z)"][0] == "valid"
    assert got["\\frac{da}{dz} = 1 - a^2"][0] == "valid"  # d tanh/dz = 1 - tanh^2
    got = by_text("With a = tanh(z) the local derivative becomes da/dz = 1 + a^2.\n")
    assert got["\\frac{da}{dz} = 1 + a^2"][0] == "invalid"


def test_an_aside_in_words_after_a_formula_is_not_part_of_it():
    got = verdicts("Formula used:\nH_out = (H_in - K + 2P)/S + 1 (rounded down when it is not an integer).\n\n"
                   "So H_out = (32 - 5 + 2*0)/1 + 1 = 28 here.\n")
    assert [(latex, v) for _, latex, v, _ in got][0] == ("H_{out} = (H_{in} - K + 2P)/S + 1", "valid"), got
    assert ("(32 - 5 + 2*0)/1 + 1 = 28", "valid") in [(latex, v) for _, latex, v, _ in got], got


def test_a_value_set_otherwise_for_a_moment_does_not_refute_what_holds_with_the_earlier_one():
    text = ("Given $a = 0.6$, $z = 2$ and $y = 1$:\n\n$$(a - y) a = -0.24$$\n\n"
            "With $a = \\tanh(z)$ instead the derivative would change.\n\n$$(a - y) a = -0.24$$\n")
    got = verdicts(text)
    last = [r for r in got if r[0] == 7]
    assert last and last[0][2] == "unverifiable" and "earlier" in last[0][3], got
    # false with the earlier value as well: a wrong step stays invalid
    wrong = text.replace("$$(a - y) a = -0.24$$\n", "$$(a - y) a = -0.5$$\n")
    assert [r[2] for r in verdicts(wrong) if r[0] in (3, 7)] == ["invalid", "invalid"]


def test_the_step_after_a_side_that_cannot_be_read_has_its_line():
    text = "$$\\begin{align*}\na &= b \\\\\n  &= \\langle dY, W \\rangle \\\\\n  &= c\n\\end{align*}$$\n"
    got = verdicts(text)
    assert [(line, v) for line, _, v, _ in got] == [(2, "valid"), (3, "unverifiable"), (4, "unverifiable")], got
    assert "cannot be read" in got[2][3]


def test_a_name_changed_by_a_number_alone_is_a_false_equation():
    assert [v for _, _, v, _ in verdicts(r"$$z = z + 1$$")] == ["invalid"]
    assert [v for _, _, v, _ in verdicts(r"$$x = 2x$$")] == ["invalid"]  # false at x = 1; true only at 0
    assert [v for _, _, v, _ in verdicts(r"$$z \leftarrow z + 1$$")] == ["unverifiable"]  # written as an assignment


@pytest.mark.parametrize("sign", [":=", "\\coloneqq", "\\triangleq", "\\leftarrow"])
def test_a_definition_that_cannot_be_read_still_has_its_line(sign):
    got = verdicts(f"With ${{G_t}} {sign} \\partial L / \\partial (X_t W + b)$ (a row vector), the weights get\n")
    assert [(line, v) for line, _, v, _ in got] == [(1, "unverifiable")], got
    assert got[0][3].startswith("cannot read"), got


def test_a_claim_true_only_on_one_side_of_a_kink_is_never_valid():
    # the slope of ReLU is 1 only for x > 0; the random points once all fell on that side
    for text in ("$$f(x) = \\max(0, x)$$\n\n$$f'(x) = 1$$\n", "$f(x) = \\max(0, x)$ and $f'(x) = 1$.\n",
                 "$$\\frac{d}{dx}\\max(0, x) = 1$$\n", "$$|x| = x$$\n"):
        got = verdicts(text)
        assert got[-1][2] != "valid", got


def test_a_value_assumed_for_one_item_does_not_refute_the_next_item():
    text = ("3. With dilation $d = 2$ the effective kernel is $d(K-1) + 1 = 5$ for $K = 3$.\n"
            "4. To keep 28x28 with a 5x5 kernel we need $P = \\frac{K - 1}{2} = 2$.\n")
    got = by_text(text)
    assert got["\\frac{K - 1}{2} = 2"][0] == "unverifiable", got  # K = 5 here, stated in words only
    # on the line of the assumption it is in force: a wrong step there is caught
    got = by_text("For $K = 3$ and $P = 1$: $(32 - K + 2P) + 1 = 33$.\n")
    assert got["(32 - K + 2P) + 1 = 33"][0] == "invalid", got  # 32 - 3 + 2 + 1 = 32
