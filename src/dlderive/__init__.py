"""dlderive: symbolic derivations for deep-learning teaching, proven step by step.

``import dlderive`` is cheap: the API below is loaded on first use.

- ``dlderive.derive(name, form="scalar", steps=None)``: the proven Derivation ``name`` (``dlderive list``).
- ``dlderive.evaluate(name, values, form="scalar", steps=None)``: its result at given numbers.
- ``dlderive.check(text_or_path, model=None)``: a FileReport of verdicts on a hand-written derivation.
- ``dlderive.conv``: ``output_size``, ``counts``, ``solve`` of one conv or pooling layer.
- ``dlderive.network``: ``load``, ``build``, ``valid_inputs`` of a layer stack.
"""
from __future__ import annotations

import importlib
import sys
import types

from .errors import DlderiveError, InternalError, ProofError

__version__ = "0.1.0"
__all__ = ["derive", "evaluate", "check", "conv", "network", "sigmoid", "DlderiveError", "ProofError",
           "InternalError", "__version__"]

_LAZY = ("derive", "evaluate", "check", "conv", "network", "sigmoid")


def _api(name: str):
    return getattr(importlib.import_module(".api", __name__), name)


class _Package(types.ModuleType):
    """The package: ``derive``, ``evaluate`` and ``check`` are its submodules, and calling one calls
    the API function of the same name (``dlderive.check(text)``, ``dlderive.check.check_text``)."""


class _CallableModule(types.ModuleType):
    """A submodule that is also the API function of its name."""

    def __call__(self, *args, **kwargs):
        return _api(self.__name__.rpartition(".")[2])(*args, **kwargs)


def _callable_submodule(name: str) -> property:
    def get(package):
        module = importlib.import_module(f".{name}", __name__)
        module.__class__ = _CallableModule
        return module

    def bind(package, value):  # the import system binds the submodule here; ``get`` reads it from sys.modules
        if not isinstance(value, types.ModuleType):
            raise AttributeError(f"dlderive.{name} cannot be replaced")

    return property(get, bind, doc=f"dlderive.{name}(...) calls dlderive.api.{name}")


for _name in ("derive", "evaluate", "check"):
    setattr(_Package, _name, _callable_submodule(_name))
sys.modules[__name__].__class__ = _Package


def load_ipython_extension(ipython) -> None:
    """``%load_ext dlderive``: results display themselves and the ``%%dlderive_check`` cell magic is defined."""
    from .magic import load_ipython_extension as load
    load(ipython)


def __getattr__(name: str):
    """``conv``, ``network`` and ``sigmoid``, loaded on first use (with the renderers, for Jupyter)."""
    if name in _LAZY:
        return _api(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
