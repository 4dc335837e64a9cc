"""The command modules: each has ``register(subparsers)`` and imports the engine inside its run
functions, so that ``--help`` and ``--version`` never load SymPy.

Choices that come from a registry of the engine are spelled here, in light tuples that the tests
keep equal to the registry, or validated after parsing.
"""
from __future__ import annotations

from difflib import get_close_matches

from ..errors import DlderiveError

FORMATS = ("text", "latex", "json", "markdown", "html")
"""The names of ``dlderive.export.FORMATS``, for ``--format`` without loading the renderers."""


def did_you_mean(value: str, known) -> str:
    """``"; did you mean X?"`` for the closest of ``known`` to ``value``, or ``""``; ``known`` may map
    what is compared to what is shown."""
    shown = known if isinstance(known, dict) else {k: k for k in known}
    match = get_close_matches(str(value), [str(k) for k in shown], n=1, cutoff=0.6)
    return f"; did you mean {shown[match[0]]}?" if match else ""


def unknown(what: str, value: str, known, hint: str | None = None, compare=None) -> DlderiveError:
    """One line: ``unknown WHAT 'value'; did you mean X? (hint)``; the hint lists ``known`` by default.
    ``compare``: ``(text, {candidate: shown})`` to look for the closest name in instead."""
    hint = hint if hint is not None else "choose from: " + ", ".join(map(str, known))
    return DlderiveError(f"unknown {what} {value!r}{did_you_mean(*(compare or (value, list(known))))} ({hint})")


def choice(option: str, value: str, known) -> str:
    """``value`` if it is one of ``known``; otherwise the error for ``option`` (validated after parsing)."""
    if value not in known:
        raise DlderiveError(f"{option}: {unknown('value', value, known).message}")
    return value


def examples(*lines: str) -> str:
    """The epilog of a command's ``--help``: its examples, one command line each."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)
