"""The reader on notation of ML course notes: norms, indicators, ∇ gradients, conditions in parentheses, a sum
after a division, plain-text powers. Each reading is compared with the SymPy expression built by hand, at
numbers where it is worked out by hand, and the checker's verdicts on steps that use it with sympy.diff."""
import pytest
import sympy as sp

from dlderive.check import check_text
from dlderive.functions import Jacobian
from dlderive.reader import ReadError, read_block, read_expression

R = lambda name: sp.Symbol(name, real=True)  # noqa: E731
x, y, w, i, j, z_k, z_i, K, L, theta = (R(n) for n in ("x", "y", "w", "i", "j", "z_k", "z_i", "K", "L", "theta"))
k = sp.Symbol("k", integer=True)

READINGS = [
    # norms: ‖·‖ written with \| or \Vert, with a power and the 2-norm's subscript in either order
    (r"\|x\|", sp.Abs(x)),
    (r"\|x\|^2", x**2),
    (r"\frac{1}{2}\|x - y\|^2", (x - y) ** 2 / 2),
    (r"\|x\|_2", sp.Abs(x)),
    (r"\|x\|_2^2", x**2),
    (r"\|x\|^2_2", x**2),
    (r"\|x\|_F", sp.Abs(x)),
    (r"\Vert x \Vert^2", x**2),
    (r"\|x\| + \|y\|", sp.Abs(x) + sp.Abs(y)),
    (r"2\|x - y\|", 2 * sp.Abs(x - y)),
    # indicators with an equality, in every bracket and as a subscript
    (r"\mathbb{1}[i = j]", sp.Piecewise((1, sp.Eq(i, j)), (0, True))),
    (r"\mathbb{1}(i = j)", sp.Piecewise((1, sp.Eq(i, j)), (0, True))),
    (r"\mathbb{1}_{i=j}", sp.Piecewise((1, sp.Eq(i, j)), (0, True))),
    (r"\mathbf{1}\{i = j\}", sp.Piecewise((1, sp.Eq(i, j)), (0, True))),
    (r"\mathbf{1}\{i \neq j\}", sp.Piecewise((1, sp.Ne(i, j)), (0, True))),
    (r"\mathbb{1}(x > 0)", sp.Piecewise((1, x > 0), (0, True))),
    (r"\mathbf{1}_{[i=j]}", sp.Piecewise((1, sp.Eq(i, j)), (0, True))),
    (r"\mathbb{1}_{\{i = j\}}", sp.Piecewise((1, sp.Eq(i, j)), (0, True))),
    (r"\mathbb{I}[i = j]", sp.Piecewise((1, sp.Eq(i, j)), (0, True))),
    (r"\mathbb{I}\{i = j\}", sp.Piecewise((1, sp.Eq(i, j)), (0, True))),
    (r"\mathbb{I}_{i \neq j}", sp.Piecewise((1, sp.Ne(i, j)), (0, True))),
    # the gradient ∇_w L is ∂L/∂w
    (r"\nabla_{w} L", Jacobian(L, w)),
    (r"\nabla_w L", Jacobian(L, w)),
    (r"\nabla_{\theta} L", Jacobian(L, theta)),
    (r"\eta \nabla_{w} L", R("eta") * Jacobian(L, w)),
    # a sum or a product after a division: the denominator is the whole sum
    (r"e^{z_i} / \sum_{k=1}^{K} e^{z_k}", sp.exp(z_i) / sp.Sum(sp.exp(R("z_k")), (k, 1, K))),
    (r"e^{z_i} / \sum\limits_{k=1}^{K} e^{z_k}", sp.exp(z_i) / sp.Sum(sp.exp(R("z_k")), (k, 1, K))),
    (r"x / \sum_{k=1}^{3} k + 1", x / sp.Sum(k, (k, 1, 3)) + 1),
    (r"\log\sum_{k=1}^{K} e^{z_k}", sp.log(sp.Sum(sp.exp(R("z_k")), (k, 1, K)))),
    # a derivative written with a slash, in plain d or upright d
    (r"dL/dw", sp.Derivative(L, w)),
    (r"\mathrm{d}L/\mathrm{d}w", sp.Derivative(L, w)),
    (r"d\theta/dw", sp.Derivative(theta, w)),
    # a transpose in every spelling; a number to the power T is a power
    (r"2^{T}", 2 ** R("T")),
    (r"0.5^T", sp.Rational(1, 2) ** R("T")),
    # max and min of a set written with braces
    (r"\max\{0, x\}", sp.Max(0, x)),
    (r"\min\{x, y, 1\}", sp.Min(x, y, 1)),
    (r"\max\{0, -3\}", sp.Integer(0)),
    # the positive part (z)_+ and the hinge [1 - y z]_+
    (r"(x)_+", sp.Max(0, x)),
    (r"[1 - x y]_{+}", sp.Max(0, 1 - x * y)),
    (r"(2 - 5)_+", sp.Integer(0)),
    # digits grouped by thin spaces or {,}; two numbers side by side otherwise stay a product
    (r"10\,000", sp.Integer(10000)),
    (r"86{,}704{,}128", sp.Integer(86704128)),
    (r"1\,000\,000", sp.Integer(10**6)),
    (r"2\,3", sp.Integer(6)),
    # logarithms to a base of several digits
    (r"\log_{10} 100", sp.Integer(2)),
    (r"\log_{2} 8", sp.Integer(3)),
    (r"\log_{10}(x)", sp.log(x) / sp.log(10)),
    # scientific notation, as in code and plain-text notes
    (r"1e-3", sp.Rational(1, 1000)),
    (r"2.5E-4", sp.Rational(1, 4000)),
    (r"1e3", sp.Integer(1000)),
    (r"3e", 3 * sp.E),
    # marks written without braces: the optimum w^*, w^\ast
    (r"w^*", R("wstar")),
    (r"w^\ast", R("wstar")),
    # plain-text powers in parentheses
    (r"e^(-1)", sp.exp(-1)),
    (r"2^(3 + 1)", sp.Integer(16)),
    (r"1/(1 + e^(-x))", 1 / (1 + sp.exp(-x))),
]


def _names(expr):
    """The expression with every symbol replaced by a real symbol of its name, so that readings compare."""
    return expr.xreplace({s: R(s.name) for s in expr.free_symbols if not s.is_integer})


@pytest.mark.parametrize("latex, expected", READINGS, ids=[r[0] for r in READINGS])
def test_reading(latex, expected):
    got = read_expression(latex)
    assert sp.simplify(_names(got).doit() - _names(expected).doit()) == 0, got


def test_norms_at_numbers():
    # ‖3 - 7‖² = 16 and ½‖2‖₂² = 2, worked out by hand
    assert read_expression(r"\|3 - 7\|^2") == 16
    assert read_expression(r"\frac{1}{2}\|2\|_2^2") == 2


def test_a_norm_that_is_not_the_euclidean_one_is_refused_by_name():
    for p in ("1", "{1}", "p", "{\\infty}"):
        with pytest.raises(ReadError, match=r"‖·‖, ‖·‖_2 and ‖·‖_F are"):
            read_expression(rf"\|x\|_{p}")


def test_an_indicator_of_an_equality_at_indices():
    expr = read_expression(r"\mathbb{1}[i = j]")
    assert [expr.subs({i: a, j: b}) for a, b in ((1, 1), (1, 2), (3, 3))] == [1, 0, 1]


def test_a_condition_in_parentheses_after_a_space_is_a_condition():
    (claim, cond) = read_block(r"J_{ij} = p_i(1 - p_i) \qquad (i = j)")
    assert not claim.condition and cond.condition
    assert [t.source for t in cond.terms] == ["i", "j"]
    (_, cond) = read_block(r"\frac{\partial J}{\partial u_w} = \hat y_w v_c \quad (w \neq o)")
    assert cond.condition and cond.rels == ("other",) and [t.source for t in cond.terms] == ["w", "o"]
    # a parenthesis without a relation is still a factor; a relation between expressions stays a claim
    (only,) = read_block(r"f = 3 \quad (x + 1)")
    assert len(only.terms) == 2
    with pytest.raises(ReadError):
        read_block(r"f = 3 \quad (2 + 2 = 5)")


def _verdicts(doc):
    return [str(r.verdict) for r in check_text(doc).relations]


def test_steps_through_a_norm_are_checked():
    # d/dw (λ/2 ‖w‖²) = λ w by sympy.diff; the factor-2 slip is refused
    lam, ww = sp.symbols("lambda w", real=True)
    assert sp.diff(lam / 2 * sp.Abs(ww) ** 2, ww).equals(lam * ww)
    good = r"$$R = \frac{\lambda}{2}\|w\|_2^2, \qquad \frac{dR}{dw} = \lambda w$$"
    bad = r"$$R = \frac{\lambda}{2}\|w\|_2^2, \qquad \frac{dR}{dw} = 2\lambda w$$"
    assert _verdicts(good) == ["valid", "valid"]
    assert _verdicts(bad) == ["valid", "invalid"]


def test_a_sum_ends_at_a_relation_written_as_a_command():
    (st,) = read_block(r"\log\sum_{k=1}^{2} e^{k} \approx 2.3133")
    assert st.rels == ("other",) and st.terms[1].source.strip() == "2.3133"
    # log(e + e^2) = log(10.10734) = 2.31326 by hand
    assert _verdicts(r"$$\log\sum_{k=1}^{2} e^{k} \approx 2.3133$$") == ["valid"]
    assert _verdicts(r"$$\log\sum_{k=1}^{2} e^{k} \approx 2.1133$$") == ["invalid"]


def test_a_softmax_written_with_a_slash_and_a_sum_is_checked():
    # p_1 at z = (1, 0): e / (e + 1) = 0.7311 (by hand: 2.71828 / 3.71828)
    good = "$$p_1 = e^{1} / \\sum\\limits_{k=1}^{2} e^{2 - k} \\approx 0.7311$$"
    bad = "$$p_1 = e^{1} / \\sum\\limits_{k=1}^{2} e^{2 - k} \\approx 0.2689$$"
    assert _verdicts(good)[-1] == "valid"
    assert _verdicts(bad)[-1] == "invalid"


def test_a_gradient_written_with_nabla_is_checked():
    # ∇_w of ½(w x - y)² is (w x - y) x by sympy.diff; without the x it is refused
    ww, xx, yy = sp.symbols("w x y", real=True)
    assert sp.expand(sp.diff((ww * xx - yy) ** 2 / 2, ww) - (ww * xx - yy) * xx) == 0
    good = r"$$L = \frac{1}{2}(w x - y)^2, \qquad \nabla_{w} L = (w x - y)\, x$$"
    bad = r"$$L = \frac{1}{2}(w x - y)^2, \qquad \nabla_{w} L = w x - y$$"
    assert _verdicts(good) == ["valid", "valid"]
    assert _verdicts(bad) == ["valid", "invalid"]


def test_an_indicator_of_an_equality_is_checked_like_the_kronecker_delta():
    # the softmax Jacobian p_i(𝟙[i = j] - p_j) against p_i(δ_ij - p_j), and the δ dropped
    good = r"$$p_i(\mathbb{1}[i = j] - p_j) = p_i(\delta_{ij} - p_j)$$"
    assert _verdicts(good) == ["valid"]
    for bad in (r"$$p_i(\mathbb{1}[i = j] - p_j) = p_i(1 - p_j)$$", r"$$p_i(\mathbf{1}_{[i=j]} - p_j) = p_i(1 - p_j)$$",
                r"$$p_i(\mathbb{I}\{i = j\} - p_j) = p_i(1 - p_j)$$"):
        assert _verdicts(bad) != ["valid"], bad


def test_transposes_in_every_spelling_are_transposes():
    for spelling in (r"x^T", r"x^{T}", r"x^\top", r"x^{\top}", r"x^{\mathsf{T}}", r"x^{\mathrm{T}}", r"x^\intercal"):
        got = read_expression(spelling)
        assert got != R("x") ** R("T") and not got.has(sp.Pow), (spelling, got)


def test_a_derivative_written_with_a_slash_is_checked():
    # d(w^2)/dw = 2w by sympy.diff; w^3 (what dL times 1/dw times w would give) is refused
    ww = sp.Symbol("w", real=True)
    assert sp.diff(ww**2, ww) == 2 * ww
    for d in ("dL/dw", r"\mathrm{d}L/\mathrm{d}w"):
        assert _verdicts(f"$L = w^2$ and ${d} = 2w$") == ["valid", "valid"], d
        assert _verdicts(f"$L = w^2$ and ${d} = w^3$") == ["valid", "invalid"], d
    (r,) = check_text(r"$$\mathrm{d}w/\mathrm{d}w = 1$$").relations
    assert r.latex == r"\mathrm{d}w/\mathrm{d}w = 1"


def test_a_transpose_written_with_mathsf_keeps_the_order_of_a_product():
    # (AB)^T = B^T A^T; with the order swapped it is not valid
    good = r"$A, B \in \mathbb{R}^{2 \times 2}$ and $(AB)^{\mathsf{T}} = B^{\mathsf{T}} A^{\mathsf{T}}$"
    bad = r"$A, B \in \mathbb{R}^{2 \times 2}$ and $(AB)^{\mathsf{T}} = A^{\mathsf{T}} B^{\mathsf{T}}$"
    assert _verdicts(good)[-1] != "invalid"
    assert _verdicts(bad)[-1] != "valid"


def test_an_indicator_of_numbers_is_decided_while_reading():
    # 𝟙[2 = 2] = 1 and 𝟙[2 < 3] = 1 by hand; 𝟙[2 ≠ 2] = 0
    assert read_expression(r"\mathbb{1}[2 = 2]") == 1
    assert read_expression(r"\mathbb{1}[2 < 3]") == 1
    assert read_expression(r"\mathbb{1}[2 \neq 2]") == 0
    assert _verdicts(r"$\mathbb{1}[2 = 2] = 0$") == ["invalid"]
    assert _verdicts(r"$\mathbb{1}[2 < 3] = 1$") == ["valid"]
    with pytest.raises(ReadError, match="indicator"):
        read_expression(r"\mathbb{1}(1/0 > 2)")


def test_a_function_without_parentheses_takes_its_operand_with_the_operands_superscript():
    # \log x^2 is log(x^2) and \log \hat y^{(i)} the log of the i-th example's prediction, as in print
    assert read_expression(r"\log x^2") == sp.log(x**2)
    assert read_expression(r"\exp x^2") == sp.exp(x**2)
    assert read_expression(r"\tanh^2 x") == sp.tanh(x) ** 2  # the power written on the function stays on it
    assert read_expression(r"\log^2 x") == sp.log(x) ** 2
    assert _names(read_expression(r"\log \hat{y}^{(i)}")).free_symbols == {R("yhat^(i)")}
    # (log x)^2 = log x^2 was valid
    assert _verdicts(r"$\log x^2 = (\log x)^2$") == ["invalid"]
    assert _verdicts(r"$\exp x^2 = (\exp x)^2$") == ["invalid"]
    assert _verdicts(r"$\tanh x^2 = \tanh(x^2)$") == ["valid"]


def test_a_relu_written_with_max_of_a_set_is_checked():
    # ReLU(-2) = max{0, -2} = 0 by hand; -2 is refused
    assert _verdicts(r"$\operatorname{ReLU}(-2) = \max\{0, -2\} = 0$") == ["valid", "valid"]
    assert _verdicts(r"$\max\{0, -2\} = -2$") == ["invalid"]


def test_a_hinge_written_as_a_positive_part_is_checked():
    # [1 - 3]_+ = max(0, -2) = 0 by hand
    assert _verdicts(r"$[1 - 3]_+ = 0$") == ["valid"]
    assert _verdicts(r"$[1 - 3]_+ = -2$") == ["invalid"]


@pytest.mark.parametrize("written, true", [
    (r"\sum_{i=1}^{2} \left(\sum_{j=1}^{2} 1\right)", 4),
    (r"\sum_{i=1}^{2}\sum_{j=1}^{2} 1", 4),
    (r"\sum_{i=1}^{3} \sum_{j=1}^{i} j", 10),
    (r"\prod_{t=1}^{2} (\prod_{k=1}^{2} 2)", 16),
    (r"\prod_{i=1}^{2}\prod_{j=1}^{3} 2", 64),
    (r"\sum_{i=1}^{2}\left(i \sum_{j=1}^{2} 1\right)", 6),
])
def test_a_sum_of_a_sum_is_written_out_over_every_index(written, true):
    # SymPy merges Σ_i (Σ_j 1) into one sum over i and j: every index is written out, the outer first
    # (an inner bound may name the outer index); the true values by SymPy's own doit
    assert int(read_expression(written).doit()) == true
    assert _verdicts(f"$${written} = {true}$$") == ["valid"]
    assert _verdicts(f"$${written} = {true // 2}$$") == ["invalid"]


def test_free_indices_are_those_no_sum_binds():
    # Σ_{i=1}^{n} Σ_{j=1}^{i} 1 = n(n+1)/2 by hand; i is bound by the outer sum, n is the size
    assert _verdicts(r"$$\sum_{i=1}^{n}\sum_{j=1}^{i} 1 = \frac{n(n+1)}{2}$$") == ["valid"]
    assert _verdicts(r"$$\sum_{i=1}^{2}\sum_{j=1}^{2} x_i x_j = (x_1 + x_2)^2$$") == ["valid"]
    assert _verdicts(r"$$\sum_{i}\sum_{j} W_{ij} x_j = \sum_j \sum_i W_{ij} x_j$$") == ["valid"]


def test_a_number_grouped_with_thin_spaces_is_one_number():
    # 10\,000 = 0 was valid (read as 10 times 000); 224 * 224 * 64 * 27 = 86,704,128 by hand
    assert 224 * 224 * 64 * 27 == 86704128
    assert _verdicts(r"$10\,000 = 0$") == ["invalid"]
    assert _verdicts(r"$224 \cdot 224 \cdot 64 \cdot 27 = 86{,}704{,}128$") == ["valid"]
    assert _verdicts(r"$224 \cdot 224 \cdot 64 \cdot 27 = 86\,704\,127$") == ["invalid"]


def test_scientific_notation_is_a_number_not_eulers_number():
    # 1e-3 + 3 = 3.001 by hand; it was read as e - 3 + 3 = e, and "= e" was valid
    assert _verdicts(r"$1e-3 + 3 = e$") == ["invalid"]
    assert _verdicts(r"$1e-3 + 3 = 3.001$") == ["valid"]
    assert _verdicts(r"$2.5e-4 = 0.00025$") == ["valid"]


def test_a_logarithm_to_base_ten_is_checked_and_a_base_below_two_refused():
    # log_10 1000 = 3 by hand
    assert _verdicts(r"$\log_{10}(1000) = 3$") == ["valid"]
    assert _verdicts(r"$\log_{10}(1000) = 2$") == ["invalid"]
    for base in ("0", "1", "{1}"):
        with pytest.raises(ReadError, match="base"):
            read_expression(rf"\log_{base} x")


def test_a_transpose_or_a_mark_on_a_function_name_is_refused_by_name():
    for written in (r"\log^{\mathsf{T}} w", r"\log^{\top} w", r"\tanh^{*} x", r"\exp^* x"):
        with pytest.raises(ReadError, match="on a function name"):
            read_expression(written)


def test_a_negated_product_with_a_parenthesis_is_read():
    # -x(2) raised a traceback out of the checker; it is -2x
    assert read_expression(r"-x(2)") == -2 * x
    assert read_expression(r"-x (2)^2") == -4 * x
    assert _verdicts(r"$-x(2) = -2x$") == ["valid"]
    assert _verdicts(r"$-x(2) = 2x$") == ["invalid"]
