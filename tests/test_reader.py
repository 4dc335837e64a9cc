"""The LaTeX reader: table of written LaTeX -> SymPy built by hand, errors with positions, fuzzing."""
import re

import pytest
import sympy as sp
from hypothesis import example, given, settings, strategies as st

from dlderive.cells import at, get_cell, param
from dlderive.errors import DlderiveError
from dlderive.functions import Jacobian, prime, sigmoid
from dlderive.reader import ReadError, read_block, read_expression
from dlderive.reader.operations import MAX_LOG_MAGNITUDE
from dlderive.reader.names import identifier

R = lambda name: sp.Symbol(name, real=True)  # noqa: E731
x, y, z, a, b, d = (R(n) for n in "xyzabd")
h_t, h_prev, c_prev, x_t, c_t = at("h"), at("h", 1), at("c", 1), at("x"), at("c")
W_f, U_f, W_u, U_u = param("W_f"), param("U_f"), param("W_u"), param("U_u")

EXPRESSIONS = [
    # arithmetic, products written every way
    (r"\frac{1}{2} x", sp.Rational(1, 2) * x),
    (r"2 \cdot 3 + 4", sp.Integer(10)),
    (r"a \times b", a * b),
    (r"a * b", a * b),
    (r"2ab", 2 * a * b),
    (r"a b - b a", sp.Integer(0)),
    (r"x^2", x**2),
    (r"x^{-2}", x**-2),
    (r"x^{y+1}", x ** (y + 1)),
    (r"-x^2", -(x**2)),
    (r"(x+1)(x-1)", (x + 1) * (x - 1)),
    (r"\left( x + 1 \right) \left[ y \right]", (x + 1) * y),
    (r"0.25 x", sp.Rational(1, 4) * x),
    (r"a / b / 2", a / b / 2),
    # Hadamard products read as scalar products
    (r"o_t \circ \tanh(c_t)", at("o") * sp.tanh(c_t)),
    (r"f_t \odot c_{t-1}", at("f") * c_prev),
    # names: time subscripts, weights with labels, subscripted sizes, words
    (r"h_{t-1}", h_prev),
    (r"h_{t - 2}", at("h", 2)),
    (r"x_t", x_t),
    (r"W^f x_t + U^{f} h_{t-1}", W_f * x_t + U_f * h_prev),
    (r"W_f", W_f),
    (r"W_{f}", W_f),
    (r"D_{in} + H_{out}", R("D_in") + R("H_out")),
    (r"Channels_{in} * Kernel_x", R("Channels_in") * R("Kernel_x")),
    (r"\text{Trainable parameters}", R("Trainable parameters")),
    # functions, powers of functions, primes, Euler's number
    (r"\sigma(z)", sigmoid(z)),
    (r"\sigma(z)(1 - \sigma(z))", sigmoid(z) * (1 - sigmoid(z))),
    (r"\tanh^2(c_t)", sp.tanh(c_t) ** 2),
    (r"1 - \tanh^{2}(x)", 1 - sp.tanh(x) ** 2),
    (r"\exp(x)", sp.exp(x)),
    (r"e^{x}", sp.exp(x)),
    (r"e^{-z}", sp.exp(-z)),
    (r"\frac{1}{1 + e^{-z}}", 1 / (1 + sp.exp(-z))),
    (r"\sigma'(x)", prime(sigmoid)(x)),
    (r"\sqrt{x}", sp.sqrt(x)),
    (r"\ln x", sp.log(x)),
    # floor, ceiling, absolute value, tuples
    (r"\lfloor x \rfloor", sp.floor(x)),
    (r"\left\lfloor \frac{77}{3} + 1 \right\rfloor", sp.Integer(26)),
    (r"\lceil \frac{7}{2} \rceil", sp.Integer(4)),
    (r"\left| x - 1 \right|", sp.Abs(x - 1)),
    (r"|x| y", sp.Abs(x) * y),
    (r"(5,5)", sp.Tuple(5, 5)),
    # derivative fractions: partial, total, operator form
    (r"\frac{\partial h_t}{\partial h_{t-1}}", Jacobian(h_t, h_prev)),
    (r"\frac{\partial(W^f x_t + U^f h_{t-1})}{\partial h_{t-1}}", Jacobian(W_f * x_t + U_f * h_prev, h_prev)),
    (r"\frac{\partial h_t}{\partial S_t} \frac{\partial S_t}{\partial x}", Jacobian(h_t, R("S_t")) * Jacobian(R("S_t"), x)),
    (r"\left[\begin{matrix}h_t\\c_t\end{matrix}\right]", sp.ImmutableMatrix([[h_t], [c_t]])),
    (r"\begin{pmatrix}1 & \frac{1}{2}\end{pmatrix}", sp.ImmutableMatrix([[1, sp.Rational(1, 2)]])),
    (r"\frac{d\sigma(z)}{dz}", sp.Derivative(sigmoid(z), z)),
    (r"\frac{d}{dz}(z^2)", sp.Derivative(z**2, z)),
    (r"\frac{\mathrm{d}}{\mathrm{d} z} z^2", sp.Derivative(z**2, z)),
    (r"\frac{\partial}{\partial x} (x y)", sp.Derivative(x * y, x)),
    # invisible markup
    (r"x \, + \; y \quad", x + y),
    (r"\displaystyle \frac{x}{y}", x / y),
]


@pytest.mark.parametrize("latex, expected", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_expression(latex, expected):
    assert read_expression(latex) == expected


def test_lstm_aliases_candidate_weights():
    # the sample calls the candidate's weights W^c, U^c; under --model lstm they are W_u, U_u
    expr = read_expression(r"\tanh(W^c x_{t-1} + U^c h_{t-2})", model="lstm")
    assert expr == sp.tanh(W_u * at("x", 1) + U_u * at("h", 2))
    assert read_expression(r"W^c", model=None) == param("W_c")


def test_symbols_compare_equal_to_the_cells():
    cell = get_cell("lstm")
    eqs = cell.equations_at(0)
    f_expr = read_expression(r"\sigma(W^f x_t + U^f h_{t-1} + b^f)", model="lstm")
    assert f_expr == eqs[at("f")]


@pytest.mark.parametrize("written, ident", [
    ("h_{t-1}", "h_prev"), ("h_{t-2}", "h_prev2"), ("x_t", "x_t"), ("f_{t-1}", "f_prev"),
    ("D_{in}", "D_in"), ("W_{in}", "W_in"), ("h_{t+1}", "h_next"), ("h_0", "h_0"),
])
def test_identifiers(written, ident):
    assert identifier(written, "lstm") == ident


def test_block_rows_statements_and_relations():
    text = r"""H_{in} = 78, W_{in} = 84, k = (5,5) \\
    &= 3 \implies y = 2 \tag{4}"""
    statements = read_block(text)
    assert [s.terms[0].source for s in statements] == ["H_{in}", "W_{in}", "k", "3"]
    assert statements[3].lead == "="
    assert statements[3].rels == ("implies", "=")
    assert [t.expr for t in statements[3].terms] == [3, y, 2]


def test_gauss_bracket_is_floor_only_as_a_whole_side():
    (st,) = read_block(r"\left[\frac{D_{in} - 4}{3}\right] = 16")
    assert st.terms[0].expr == sp.floor((R("D_in") - 4) / 3)
    (st,) = read_block(r"\left[ x + \frac{1}{2} \right] (1 - x) = 0")
    assert st.terms[0].expr == (x + sp.Rational(1, 2)) * (1 - x)


def test_justifications_are_not_read():
    (st,) = read_block(r"a &= b && \text{chain rule}")
    assert [t.expr for t in st.terms] == [a, b]


@pytest.mark.parametrize("latex, message", [
    (r"\frac{1}{ = 2", "unexpected '='"),
    (r"\input{/etc/passwd}", r"unsupported command \input"),
    ("x\x07 = 1", "control character U+0007"),
    ("(" * 200 + "x" + ")" * 200, "nested deeper"),
    ("x = " + "1" * 30_000, "math block of"),
    ("x + ", "incomplete"),
])
def test_errors_name_the_problem(latex, message):
    with pytest.raises(ReadError, match=re.escape(message)):
        read_block(latex)


def test_error_offset_points_at_the_token():
    with pytest.raises(ReadError) as info:
        read_block(r"x = \frac{1}{ = 2")
    assert info.value.offset == 14


@pytest.mark.parametrize("latex, message", [
    (r"9^{9^{9^{9}}}", "too large"),
    (r"(x+1)^{100000}", "too large"),
    ("1" * 2000, "digits"),
    (r"\frac{d}{dz}", "not followed"),
    (r"(5,5) + 1", "tuple"),
])
def test_refused_terms_carry_the_reason(latex, message):
    (st,) = read_block(latex)
    assert st.terms[0].expr is None and message in st.terms[0].error


ATOMS = st.sampled_from([
    "x", "y", "2", "0", "h_{t-1}", "W^f", "U^c", "\\sigma(z)", "\\tanh(x)", "e^{x}", "(", ")", "{", "}",
    "\\frac{", "}{", "^", "_", "\\circ", "\\cdot", "+", "-", "=", "\\implies", "&", "\\\\", ",",
    "\\left(", "\\right)", "\\lfloor", "\\rfloor", "|", "[", "]", "\\partial", "d", "'", "\\text{a b}",
    "9^{9^{9}}", "\\input{x}", "\x00", "\u00e9", "1.5", "\\tag{1}", " ",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(ATOMS, max_size=25))
def test_fuzz_token_soup_raises_only_project_errors(tokens):
    try:
        for s in read_block("".join(tokens), model="lstm"):
            for t in s.terms:
                assert (t.expr is None) == (t.error is not None)
    except DlderiveError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_any_text_raises_only_project_errors(text):
    try:
        read_block(text)
    except DlderiveError:
        pass


LEAVES = st.sampled_from([x, y, sp.Integer(2), sp.Integer(-3), sp.Rational(1, 2), sp.Rational(5, 7)])


def _combine(children):
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda p: p[0] + p[1]), pair.map(lambda p: p[0] * p[1]), pair.map(lambda p: p[0] - p[1]),
        pair.map(lambda p: p[0] / (p[1] ** 2 + 7)), children.map(lambda e: e ** 3), children.map(sp.tanh),
        children.map(sp.exp), children.map(sigmoid),
    )


def _log_magnitude(power) -> float:
    base, exponent = power.as_base_exp()
    if not (base.is_number and exponent.is_number) or base in (0, 1):
        return 0.0
    return abs(float(sp.re(sp.N(exponent, 15)))) * abs(float(sp.N(sp.log(abs(base)), 15)))


@settings(max_examples=150, deadline=None)
@given(st.recursive(LEAVES, _combine, max_leaves=8))
@example(expr=sp.exp(-19683))
@example(expr=sp.exp(sp.Rational(5, 7) ** 3))
def test_sympy_printer_output_reads_back(expr):
    # an independent oracle: SymPy's own LaTeX printer
    try:
        read = read_expression(sp.latex(expr))
    except ReadError as exc:
        # the one refusal allowed: a power of numbers beyond the documented size estimate
        # (|ln| of its value above MAX_LOG_MAGNITUDE), measured here on SymPy's own expression
        assert "is not evaluated" in str(exc)
        assert any(_log_magnitude(p) > MAX_LOG_MAGNITUDE for p in expr.atoms(sp.Pow, sp.exp))
        return
    assert read == expr or sp.simplify(read - expr) == 0
