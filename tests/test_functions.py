"""The function registry: each entry's derivative against sympy.diff of the function's closed form and
against central finite differences of its NumPy implementation; its spellings, printers and rules."""
import math

import numpy as np
import pytest
import sympy as sp

from dlderive import functions
from dlderive.export.printer import latex_expr
from dlderive.export.text import text_expr
from dlderive.functions import REGISTRY, by_spelling, prime, relu, sigmoid, softplus
from dlderive.rules import DERIVATIVE_OF, RULES, Context, classify

z = sp.Symbol("z", real=True)
CLOSED_FORMS = {  # written independently of the registry
    "sigmoid": 1 / (1 + sp.exp(-z)), "tanh": (sp.exp(z) - sp.exp(-z)) / (sp.exp(z) + sp.exp(-z)),
    "exp": sp.E ** z, "log": sp.log(z), "sqrt": z ** sp.Rational(1, 2), "sin": sp.sin(z), "cos": sp.cos(z),
    "sinh": (sp.exp(z) - sp.exp(-z)) / 2, "cosh": (sp.exp(z) + sp.exp(-z)) / 2,
    "erf": 2 / sp.sqrt(sp.pi) * sp.Integral(sp.exp(-sp.Symbol("t") ** 2), (sp.Symbol("t"), 0, z)),
    "relu": sp.Piecewise((0, z < 0), (z, True)), "softplus": sp.log(1 + sp.exp(z)),
}
POINTS = (-1.7, -0.4, 0.3, 0.9, 2.2)


def test_every_entry_has_a_closed_form_here():
    assert set(REGISTRY) == set(CLOSED_FORMS)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_derivative_is_sympy_diff_of_the_closed_form(name):
    f = REGISTRY[name]
    truth = sp.diff(CLOSED_FORMS[name], z).doit()
    ours = f.derivative(z)
    for x in POINTS:
        if name in ("log", "sqrt") and x <= 0:
            continue
        assert float(ours.subs(z, x).evalf(30)) == pytest.approx(float(truth.subs(z, x).evalf(30)), rel=1e-12)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_derivative_matches_finite_differences_of_the_numpy_implementation(name):
    f = REGISTRY[name]
    xs = np.array([x for x in POINTS if not (name in ("log", "sqrt") and x <= 0)])
    h = 1e-6
    fd = (f.numpy(xs + h) - f.numpy(xs - h)) / (2 * h)
    exact = sp.lambdify(z, f.derivative(z), modules=[functions.NUMPY_FUNCTIONS, "numpy"])
    np.testing.assert_allclose(np.broadcast_to(exact(xs), xs.shape), fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_numpy_and_math_implementations_agree_with_the_closed_form(name):
    f = REGISTRY[name]
    for x in POINTS:
        if name in ("log", "sqrt") and x <= 0:
            continue
        truth = float(CLOSED_FORMS[name].subs(z, x).doit().evalf(30))
        assert f.numpy(np.array([x]))[0] == pytest.approx(truth, rel=1e-12)
        assert f.scalar(x) == pytest.approx(truth, rel=1e-12)


def test_relu_and_softplus_are_sympy_functions_with_their_derivatives():
    assert sp.diff(relu(z), z) == sp.Heaviside(z)
    assert sp.diff(softplus(z), z) == sigmoid(z)
    assert relu(sp.Integer(-3)) == 0 and relu(sp.Rational(5, 2)) == sp.Rational(5, 2)
    assert softplus(sp.Integer(0)) == sp.log(2)
    assert float(softplus(z).subs(z, 1.5).evalf()) == pytest.approx(math.log1p(math.exp(1.5)))
    assert sp.simplify(softplus(z).rewrite(sp.exp) - sp.log(1 + sp.exp(z))) == 0


def test_softplus_numpy_never_overflows():
    assert REGISTRY["softplus"].numpy(np.array([1000.0]))[0] == pytest.approx(1000.0)
    assert REGISTRY["softplus"].scalar(-1000.0) == pytest.approx(0.0, abs=1e-300)


@pytest.mark.parametrize("spelling,name", [
    ("sigma", "sigmoid"), ("\\sigma", "sigmoid"), ("\\operatorname{sigmoid}", "sigmoid"), ("sigmoid", "sigmoid"),
    ("\\tanh", "tanh"), ("tanh", "tanh"), ("\\ln", "log"), ("\\log", "log"), ("\\exp", "exp"),
    ("\\operatorname{relu}", "relu"), ("\\mathrm{ReLU}", "relu"), ("\\operatorname{softplus}", "softplus"),
    ("\\sqrt", "sqrt"), ("\\operatorname{erf}", "erf"),
])
def test_reader_spellings(spelling, name):
    assert by_spelling(spelling).name == name


@pytest.mark.parametrize("spelling", ["\\alpha", "foo", "\\operatorname{diag}", "", "\\operatorname{"])
def test_unknown_spellings(spelling):
    assert by_spelling(spelling) is None


def test_printers_spell_functions_from_the_registry():
    x = sp.Symbol("x_t", real=True)
    assert latex_expr(relu(x)) == "\\operatorname{relu}\\left(x_t\\right)"
    assert latex_expr(prime(softplus)(x)) == "\\operatorname{softplus}'\\left(x_t\\right)"
    assert latex_expr(sigmoid(x)) == "\\sigma\\left(x_t\\right)"
    assert latex_expr(sp.tanh(x) ** 2) == "\\tanh^{2}\\left(x_t\\right)"
    assert text_expr(prime(sigmoid)(x)) == "σ′(xₜ)"
    assert text_expr(relu(x)) == "relu(xₜ)"


def test_every_function_class_has_a_derivative_rule():
    for f in REGISTRY.values():
        if f.cls is not None:
            assert DERIVATIVE_OF[f.cls] == f.rule and f.rule in RULES


def test_chain_rule_through_relu_gives_the_step_function():
    from dlderive import matrices as mx
    n, m = mx.dims("n", "m")
    x, w = mx.vector("x", m), mx.matrix("W", n, m)
    ctx = Context(x, {}, {})
    atom = mx.apply(prime(relu), mx.mm(w, x))  # relu'(W x), elementwise
    assert classify(atom, ctx) == "derivative of relu"
    step = RULES["derivative of relu"].apply(atom, ctx)
    assert step == mx.apply(sp.Heaviside, mx.mm(w, x)) and step.shape == (n, 1)
