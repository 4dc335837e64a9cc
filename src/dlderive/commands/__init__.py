"""The command modules: each has ``register(subparsers)`` and imports the engine inside its run
functions, so that ``--help`` and ``--version`` never load SymPy.

Choices that come from a registry of the engine are spelled here, in light tuples that the tests
keep equal to the registry, or validated after parsing.
"""
from __future__ import annotations

from ..errors import DlderiveError, did_you_mean, unknown

FORMATS = ("text", "latex", "json", "markdown", "html")
"""The names of ``dlderive.export.FORMATS``, for ``--format`` without loading the renderers."""


def choice(option: str, value: str, known) -> str:
    """``value`` if it is one of ``known``; otherwise the error for ``option`` (validated after parsing)."""
    if value not in known:
        raise DlderiveError(f"{option}: {unknown('value', value, known).message}")
    return value


def examples(*lines: str) -> str:
    """The epilog of a command's ``--help``: its examples, one command line each."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)
