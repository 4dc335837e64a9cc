"""The mathematical functions of the deep-learning vocabulary, one registry entry each, and the
placeholders of derivatives (Jacobian, f').

``REGISTRY`` maps a function's name to its ``MathFunction``: the SymPy class, the derivative,
the LaTeX, text and MathML spellings, the spellings a reader accepts, and NumPy and ``math``
implementations.  Rules, printers, evaluators and the reader draw from it; a new function is one
entry (and its tests).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp


class sigmoid(sp.Function):
    """σ(z) = 1/(1 + e^{-z}); its derivative is σ(z)(1 − σ(z))."""

    nargs = 1

    @classmethod
    def eval(cls, z):
        if z.is_zero:
            return sp.S.Half
        if z.is_Float:
            return 1 / (1 + sp.exp(-z))

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 / (1 + sp.exp(-z))

    def _eval_evalf(self, prec):
        return (1 / (1 + sp.exp(-self.args[0])))._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return self.args[0].is_real or None


class Jacobian(sp.Function):
    """Jacobian(y, x) = ∂y/∂x kept opaque and non-commutative: the checker's reading of ∂a/∂b, and the
    stacked states' Jacobians of the scalar form through time (the vector form uses MatrixPartial)."""

    nargs = 2
    is_commutative = False


class Prime(sp.Function):
    """f'(a): the derivative of a one-argument function ``base`` at ``a``, shown before it is evaluated."""

    nargs = 1
    base: type = None

    def doit(self, **hints):
        a = self.args[0].doit(**hints) if hints.get("deep", True) else self.args[0]
        return self.base(a).fdiff()

    def _eval_derivative(self, x):
        return self.doit().diff(x)


_PRIMES: dict[type, type] = {}


def prime(base: type) -> type:
    """The class of f' for the SymPy function class ``base`` (one class per function)."""
    if base not in _PRIMES:
        _PRIMES[base] = type(f"{base.__name__}_prime", (Prime,), {"base": base})
    return _PRIMES[base]


class relu(sp.Function):
    """relu(z) = max(0, z); its derivative is the step function H(z) (1 for z > 0, 0 for z < 0)."""

    nargs = 1

    @classmethod
    def eval(cls, z):
        if z.is_number and z.is_extended_real:
            return sp.Max(0, z)

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0])

    def _eval_rewrite_as_Max(self, z, **kwargs):
        return sp.Max(0, z)

    def _eval_evalf(self, prec):
        return sp.Max(0, self.args[0])._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


class softplus(sp.Function):
    """softplus(z) = log(1 + e^z); its derivative is σ(z)."""

    nargs = 1

    @classmethod
    def eval(cls, z):
        if z.is_zero:
            return sp.log(2)
        if z.is_Float:
            return sp.log(1 + sp.exp(z))

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.log(1 + sp.exp(z))

    def _eval_rewrite_as_log(self, z, **kwargs):
        return sp.log(1 + sp.exp(z))

    def _eval_evalf(self, prec):
        return sp.log(1 + sp.exp(self.args[0]))._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


@dataclass(frozen=True)
class MathFunction:
    """One function of one argument, with every facet the package needs of it."""

    name: str  # its identifier in cell equations, JSON and lambdify: "sigmoid"
    make: Callable  # the SymPy constructor: a class (sigmoid, sp.tanh) or a function (sp.sqrt)
    latex: str  # r"\sigma", r"\tanh", r"\operatorname{relu}"
    text: str  # "σ", "tanh"
    numpy: Callable  # elementwise on arrays (and complex numbers, for complex-step derivatives)
    scalar: Callable  # on plain floats, for the ``math`` module
    spellings: tuple[str, ...] = ()  # more names a reader accepts (bare, without a backslash)
    latex_call: bool = True  # printed as latex(arg); False: SymPy's own printing (e^{z}, \log{z})
    rewrites_as_exp: bool = False  # reduces to exponentials (a prover's targeted rewrite)

    @property
    def cls(self) -> type | None:
        """The class of the function's SymPy expressions (None for sqrt, which is a power)."""
        return self.make if isinstance(self.make, type) else None

    @property
    def mathml(self) -> str:
        """The text of its MathML identifier: σ, tanh, relu."""
        return self.text

    @property
    def rule(self) -> str:
        """The name of its differentiation rule: "derivative of σ"."""
        return f"derivative of {self.text}"

    def derivative(self, a: sp.Expr) -> sp.Expr:
        """f'(a) in closed form."""
        z = sp.Dummy("z", real=True)
        return self.make(z).diff(z).xreplace({z: a})

    @property
    def identity(self) -> str:
        """The identity of its derivative rule, as text: tanh'(a) = 1 - tanh(a)**2."""
        a = sp.Symbol("a")
        return f"{self.name}'(a) = {sp.sstr(self.derivative(a))}"


def _sigmoid_np(z):
    return 0.5 * (1 + np.tanh(0.5 * z))  # (1 + tanh(z/2))/2 never overflows


def _softplus_np(z):
    z = np.asarray(z)
    return np.log(1 + np.exp(z)) if np.iscomplexobj(z) else np.logaddexp(0, z)  # complex: for complex steps


_ENTRIES = (
    MathFunction("sigmoid", sigmoid, r"\sigma", "σ", _sigmoid_np, lambda z: 0.5 * (1 + math.tanh(0.5 * z)),
                 ("sigma", "sigmoid", "σ"), rewrites_as_exp=True),
    MathFunction("tanh", sp.tanh, r"\tanh", "tanh", np.tanh, math.tanh, ("tanh",), rewrites_as_exp=True),
    MathFunction("exp", sp.exp, r"\exp", "exp", np.exp, math.exp, ("exp",), latex_call=False, rewrites_as_exp=True),
    MathFunction("log", sp.log, r"\log", "log", np.log, math.log, ("log", "ln"), latex_call=False),
    MathFunction("sqrt", sp.sqrt, r"\sqrt", "√", np.sqrt, math.sqrt, ("sqrt",), latex_call=False),
    MathFunction("sin", sp.sin, r"\sin", "sin", np.sin, math.sin, ("sin",), latex_call=False),
    MathFunction("cos", sp.cos, r"\cos", "cos", np.cos, math.cos, ("cos",), latex_call=False),
    MathFunction("sinh", sp.sinh, r"\sinh", "sinh", np.sinh, math.sinh, ("sinh",), latex_call=False,
                 rewrites_as_exp=True),
    MathFunction("cosh", sp.cosh, r"\cosh", "cosh", np.cosh, math.cosh, ("cosh",), latex_call=False,
                 rewrites_as_exp=True),
    MathFunction("erf", sp.erf, r"\operatorname{erf}", "erf", np.vectorize(math.erf, otypes=[float]), math.erf,
                 ("erf",), latex_call=False),
    MathFunction("relu", relu, r"\operatorname{relu}", "relu", lambda z: np.maximum(0, z),
                 lambda z: max(0.0, z), ("relu", "ReLU")),
    MathFunction("softplus", softplus, r"\operatorname{softplus}", "softplus", _softplus_np,
                 lambda z: max(z, 0.0) + math.log1p(math.exp(-abs(z))), ("softplus",), rewrites_as_exp=True),
)

REGISTRY: dict[str, MathFunction] = {f.name: f for f in _ENTRIES}
"""name -> MathFunction, for every function the package knows."""

_SPELLING = re.compile(r"^\\?(?:(?:operatorname|mathrm|text)\{\s*([^{}]+?)\s*\}|([A-Za-zσ]+))$")
_BY_SPELLING = {s: f for f in _ENTRIES for s in {f.name, *f.spellings}}
_BY_CLASS = {f.cls: f for f in _ENTRIES if f.cls is not None}


def by_spelling(name: str) -> MathFunction | None:
    """The function a reader means by ``name``: ``sigma``, ``\\sigma``, ``\\operatorname{sigmoid}``,
    ``\\tanh``, ``\\ln`` ...; None if it is not one."""
    m = _SPELLING.match(name.strip())
    return _BY_SPELLING.get(m[1] or m[2]) if m else None


def of(expr_or_class) -> MathFunction | None:
    """The entry of a SymPy function class (or of an expression's class), or None."""
    cls = expr_or_class if isinstance(expr_or_class, type) else type(expr_or_class)
    return _BY_CLASS.get(cls)


EXP_LIKE = tuple(f.cls for f in _ENTRIES if f.rewrites_as_exp and f.cls is not None)
"""Classes of the functions that a rewrite as exponentials may take to zero."""

NUMPY_FUNCTIONS = {f.name: f.numpy for f in _ENTRIES if f.cls is not None}
"""Implementations for lambdify with NumPy (and the vector-form evaluators), by name."""

MATH_FUNCTIONS = {f.name: f.scalar for f in _ENTRIES if f.cls is not None}
"""The same for lambdify with the math module (plain floats)."""
