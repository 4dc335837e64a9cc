"""Expression printers: input -> exact expected LaTeX (and Unicode text), table-driven."""
import pytest
import sympy as sp

from dlderive.cells import LSTM
from dlderive.export.linebreak import balance, break_expr, visual_width
from dlderive.export.printer import Literal, in_print_order, latex_expr
from dlderive.export.text import text_expr, unicode_name
from dlderive import matrices as mx
from dlderive.functions import Jacobian, prime, sigmoid
from dlderive.notation import PRESETS

S = LSTM.symbols
x_t, h_prev, c_prev, f_t, i_t, o_t, u_t, c_t = (S[n] for n in "x_t h_prev c_prev f_t i_t o_t u_t c_t".split())
W_f, U_f, b_f = S["W_f"], S["U_f"], S["b_f"]
z = sp.Symbol("z", real=True)
KINDS = {n: LSTM.kind(n) for n in S}
U_f_matrix = sp.Symbol("U_f", commutative=False)

SCALAR = [
    (h_prev, "h_{t-1}"),
    (sp.Symbol("h_prev2"), "h_{t-2}"),
    (x_t, "x_t"),
    (W_f, "W^{f}"),
    (sigmoid(z), r"\sigma\left(z\right)"),
    (sigmoid(W_f * x_t + U_f * h_prev + b_f), r"\sigma\left(W^{f} x_t + U^{f} h_{t-1} + b^{f}\right)"),
    (prime(sigmoid)(z), r"\sigma'\left(z\right)"),
    (prime(sp.tanh)(c_t), r"\tanh'\left(c_t\right)"),
    (sp.tanh(c_t) ** 2, r"\tanh^{2}\left(c_t\right)"),
    (1 - sp.tanh(c_t) ** 2, r"1 - \tanh^{2}\left(c_t\right)"),
    (sp.Derivative(f_t, h_prev), r"\frac{\partial f_t}{\partial h_{t-1}}"),
    (sp.Derivative(c_prev, h_prev), r"\frac{\partial c_{t-1}}{\partial h_{t-1}}"),
    (sp.Derivative(W_f * x_t + U_f * h_prev, h_prev),
     r"\frac{\partial}{\partial h_{t-1}} \left(W^{f} x_t + U^{f} h_{t-1}\right)"),
    (U_f * f_t * (1 - f_t), r"U^{f} f_t \left(1 - f_t\right)"),
    (Jacobian(h_t := S["h_t"], h_prev), r"\frac{\partial h_t}{\partial h_{t-1}}"),
    (sp.floor(sp.Rational(77, 3)), "25"),
    (sp.Add(sp.UnevaluatedExpr(sp.Integer(3)), 1, evaluate=False), "3 + 1"),
    (sp.Mul(-1, sp.Pow(sp.UnevaluatedExpr(1 + sp.exp(-z)), -2), sp.Mul(-1, sp.exp(-z), evaluate=False),
            evaluate=False), r"- \left(1 + e^{- z}\right)^{-2} \left(- e^{- z}\right)"),
]


@pytest.mark.parametrize("expr, expected", SCALAR, ids=[e for _, e in SCALAR])
def test_scalar_latex(expr, expected):
    assert latex_expr(expr) == expected


VECTOR = [
    (f_t * c_prev + i_t * u_t, r"c_{t-1} \circ f_t + i_t \circ u_t"),
    (o_t * sp.tanh(c_t), r"o_t \circ \tanh\left(c_t\right)"),
    (W_f * x_t + U_f * h_prev + b_f, r"W^{f} x_t + U^{f} h_{t-1} + b^{f}"),
    (-f_t * c_prev, r"- c_{t-1} \circ f_t"),
    (2 * f_t * c_prev, r"2 \left(c_{t-1} \circ f_t\right)"),
]


@pytest.mark.parametrize("expr, expected", VECTOR, ids=[e for _, e in VECTOR])
def test_vector_latex(expr, expected):
    assert latex_expr(expr, form="vector", kinds=KINDS) == expected


N = mx.dims("n")[0]
F, O, C, CP, I, U, H = (mx.vector(n, N) for n in ("f_t", "o_t", "c_t", "c_prev", "i_t", "u_t", "h_prev"))
UF = mx.matrix("U_f", N, N)
ONE = sp.OneMatrix(N, 1)
MATRIX = [  # the vector form's matrix expressions: (expression, LaTeX, text)
    (mx.diag(F), r"\operatorname{diag}\left(f_t\right)", "diag(fₜ)"),
    (mx.mm(mx.diag(mx.hadamard(F, ONE - F)), UF), r"\operatorname{diag}\left(f_t \circ \left(\mathbf{1} - f_t\right)\right) U^{f}",
     "diag(fₜ ∘ (𝟏 - fₜ))·Uᶠ"),
    (mx.mm(mx.diag(O), mx.MatrixPartial(mx.apply(sp.tanh, C), H)),
     r"\operatorname{diag}\left(o_t\right) \frac{\partial \tanh\left(c_t\right)}{\partial h_{t-1}}", "diag(oₜ)·∂tanh(cₜ)/∂hₜ₋₁"),
    (mx.MatrixPartial(mx.hadamard(CP, F) + mx.hadamard(I, U), H),
     r"\frac{\partial}{\partial h_{t-1}} \left(c_{t-1} \circ f_t + i_t \circ u_t\right)", "∂(cₜ₋₁ ∘ fₜ + iₜ ∘ uₜ)/∂hₜ₋₁"),
    (ONE - sp.HadamardPower(mx.apply(sp.tanh, C), 2), r"\mathbf{1} - \tanh^{2}\left(c_t\right)", "𝟏 - tanh(cₜ)²"),
    (mx.mm(UF, UF), r"U^{f} U^{f}", "Uᶠ·Uᶠ"),  # a product of matrices, never the elementwise square
    (mx.mm(mx.matrix("W_f", N, mx.dims("m")[0]), mx.vector("x_t", mx.dims("m")[0])) + mx.mm(UF, H) + mx.vector("b_f", N),
     r"W^{f} x_t + U^{f} h_{t-1} + b^{f}", "Wᶠ·xₜ + Uᶠ·hₜ₋₁ + bᶠ"),
]


@pytest.mark.parametrize("expr, latex, text", MATRIX, ids=[t for _, _, t in MATRIX])
def test_matrix_expressions_print(expr, latex, text):
    assert latex_expr(expr, form="vector") == latex
    assert text_expr(expr, form="vector") == text


def test_total_derivative_uses_d():
    assert latex_expr(sp.Derivative(sigmoid(z), z), total=True) == r"\frac{d \sigma\left(z\right)}{d z}"
    assert latex_expr(sp.Derivative(1 / (1 + sp.exp(-z)), z), total=True) == \
        r"\frac{d}{d z} \left(\frac{1}{1 + e^{- z}}\right)"


@pytest.mark.parametrize("name, weight, hadamard", [("sample", "W^{f}", r"\circ"), ("pytorch", "W_{if}", r"\odot"),
                                                    ("textbook", "W_{xf}", r"\odot")])
def test_presets(name, weight, hadamard):
    notation = PRESETS[name]
    assert latex_expr(W_f, notation) == weight
    assert latex_expr(f_t * c_prev, notation, form="vector") == rf"c_{{t-1}} {hadamard} f_t"


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_no_plain_identifier_leaks(preset):
    """Every identifier of the LSTM prints through the notation: no h_{prev}, no \\mathrm{prev}."""
    for name, symbol in S.items():
        tex = latex_expr(symbol, PRESETS[preset])
        assert "prev" not in tex and "{t}" not in tex, (name, tex)


def test_size_names_in_numeric_derivations_are_not_weights():
    W_in = sp.Symbol("W_in")
    assert latex_expr(W_in, form="numeric") == "W_{in}"
    assert text_expr(W_in, form="numeric") == "Wᵢₙ"


def test_literals_show_substituted_values_in_order():
    expr = in_print_order(sigmoid(W_f * x_t + U_f * h_prev + b_f).args[0])
    with sp.evaluate(False):
        shown = expr.xreplace({W_f: Literal(0.5), x_t: Literal(1.25), U_f: Literal(-0.3), h_prev: Literal(2),
                               b_f: Literal(0.1)})
    assert latex_expr(expr) == r"W^{f} x_t + U^{f} h_{t-1} + b^{f}"
    assert latex_expr(shown) == r"0.5 \cdot 1.25 + \left(-0.3\right) \cdot 2 + 0.1"
    assert latex_expr(Literal(0.123456789)) == "0.1235"


def test_latex_refuses_text():
    with pytest.raises(TypeError):
        latex_expr("__import__('os')")


@pytest.mark.parametrize("latex_name, text", [("h_{t-1}", "hₜ₋₁"), ("W^{f}", "Wᶠ"), (r"\sigma", "σ"),
                                              ("W_{if}", "W_(if)"), ("x_t", "xₜ"), (r"\mathrm{weights}", "weights")])
def test_unicode_names(latex_name, text):
    assert unicode_name(latex_name) == text


def test_text_forms():
    assert text_expr(f_t * c_prev + i_t * u_t, form="vector") == "cₜ₋₁ ∘ fₜ + iₜ ∘ uₜ"
    assert text_expr(U_f * f_t * (1 - f_t)) == "Uᶠ·fₜ·(1 - fₜ)"
    assert text_expr(sp.Derivative(f_t, h_prev)) == "∂fₜ/∂hₜ₋₁"
    assert text_expr(sp.Contains(sp.Symbol("D_in"), sp.FiniteSet(52, 53, 54)), form="numeric") == "Dᵢₙ ∈ {52, 53, 54}"


def test_line_breaking_keeps_each_row_balanced_and_within_budget():
    terms = sum(sp.Symbol(f"a{i}") * sigmoid(W_f * x_t + U_f * h_prev + sp.Symbol(f"b{i}")) for i in range(8))
    expr = o_t * terms

    def tex(e, keep_order=None):
        return latex_expr(e, keep_order=keep_order)

    rows = balance(break_expr(expr, tex, 40))
    assert len(rows) > 2
    for row in rows:
        assert row.count(r"\left") == row.count(r"\right"), row
        assert visual_width(row) <= 40 + 12, row  # a row may exceed the budget by one term at most
    joined = " ".join(rows).replace(r"\left. ", "").replace(r" \right.", "")
    assert joined.replace(" ", "") == tex(expr).replace(" ", "")


def test_text_prints_block_matrices_on_one_line():
    from dlderive.derive import derive
    from dlderive.export import render

    text = render(derive("lstm.bptt", "vector", steps=2), "text")
    assert "Matrix(" not in text
    assert "[hₜ; cₜ]" in text
    assert "[∂hₜ/∂hₜ₋₁, ∂hₜ/∂cₜ₋₁; ∂cₜ/∂hₜ₋₁, ∂cₜ/∂cₜ₋₁]" in text
