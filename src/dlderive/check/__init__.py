"""Line-by-line verification of hand-written derivations: every relation gets a verdict.

A document (Markdown, LaTeX or text) is split into math blocks and text relations; statements are
chained (``a = b = c``, blocks that open with ``=`` or ``\\implies`` continue the previous chain);
each relation is valid, invalid (with a counterexample) or unverifiable (with the reason).

The package: ``limits`` (sizes, budgets, the default time limit), ``errors``, ``report`` (Relation,
FileReport), ``timing`` (CPU-time limits), ``evaluate`` (exact evaluation, points, counterexamples),
``scope`` (definitions, givens, the model's equations), ``decide`` (equalities and implications),
``document`` (math blocks, text relations, line numbers), ``checker`` (chains, files) and ``batch``
(many files in supervised worker processes, each within a wall-clock budget).
The package imports its modules on first use of a name, so that importing ``dlderive.check.limits``
does not bring in the reader and its parser.
"""
from __future__ import annotations

import importlib

_HOMES = {
    **dict.fromkeys(("MAX_FILE_BYTES", "MAX_TEXT_LINE", "MAX_NODES", "MAX_BITS", "SIMPLIFY_NODES", "PROOF_NODES",
                     "PROOF_BUDGET", "MODEL_STEPS", "INTEGER_RANGE", "DEFAULT_TIMEOUT"), "limits"),
    "CheckError": "errors", "Unverifiable": "errors", "TooLarge": "errors", "Undefined": "errors",
    "RelationTimeout": "errors", "OutOfBudget": "errors",
    "Relation": "report", "FileReport": "report", "Verdict": "report", "Judgement": "report",
    "time_limit": "timing", "budget": "timing",
    "Value": "evaluate", "compile_expr": "evaluate", "same": "evaluate", "show": "evaluate",
    "substitute": "scope", "Scope": "scope",
    "Outcome": "decide", "decide_equal": "decide", "decide_implies": "decide", "INEQUALITIES": "decide",
    "Chunk": "document", "split_document": "document", "read_document": "document", "declared_model": "document",
    "Judge": "judge", "Unknown": "scope",
    "Checker": "checker", "check_text": "checker", "check_file": "checker",
    "iter_reports": "batch", "check_files": "batch",
}


def __getattr__(name: str):
    """A public name of the checker, imported from its module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOMES))


__all__ = ["check_text", "check_file", "FileReport", "Relation", "Checker", "split_document",
           "decide_equal", "decide_implies", "CheckError", "Unverifiable"]

