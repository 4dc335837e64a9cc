"""SymPy functions of the deep-learning vocabulary: sigmoid, diag and Jacobian placeholders."""
from __future__ import annotations

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


class diag(sp.Function):
    """diag(v): the square matrix with the vector v on its diagonal (a matrix, so non-commutative)."""

    nargs = 1
    is_commutative = False

    @classmethod
    def eval(cls, v):
        if v == 1:
            return IDENTITY
        if v == 0:
            return sp.S.Zero


class Jacobian(sp.Function):
    """Jacobian(y, x) = ∂y/∂x for vectors y and x, kept opaque (a matrix, so non-commutative)."""

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


IDENTITY = sp.Symbol("I", commutative=False)
"""The identity matrix of the vector form."""


NUMPY_FUNCTIONS = {
    "sigmoid": lambda z: 0.5 * (1 + __import__("numpy").tanh(0.5 * z)),
}
"""Implementations for lambdify of the functions that NumPy does not have; σ(z) = (1 + tanh(z/2))/2
never overflows."""

MATH_FUNCTIONS = {
    "sigmoid": lambda z: 0.5 * (1 + __import__("math").tanh(0.5 * z)),
}
"""The same for lambdify with the math module (plain floats)."""
