"""The public API that ``import dlderive`` gives, loaded on first use: derive, evaluate, check, conv,
network.  Loading it loads the renderers too, so that every result displays itself in Jupyter."""
from __future__ import annotations

from pathlib import Path

from . import conv, export, network  # noqa: F401  (export: results display themselves)
from .check import check_file, check_text
from .check.limits import DEFAULT_TIMEOUT
from .check.report import FileReport
from .derive import derive
from .errors import DlderiveError
from .evaluate import evaluate
from .functions import sigmoid

__all__ = ["derive", "evaluate", "check", "conv", "network", "sigmoid"]


def check(text_or_path: str | Path, model: str | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> FileReport:
    """Verdicts on every relation of a hand-written derivation: ``text_or_path`` is a Path, or a str
    naming an existing file, or the text itself; ``model`` (e.g. "lstm") puts a cell's equations in scope."""
    if isinstance(text_or_path, Path) or isinstance(text_or_path, str) and _names_a_file(text_or_path):
        return check_file(text_or_path, model, timeout)
    if isinstance(text_or_path, str):
        return check_text(text_or_path, model=model, timeout=timeout)
    raise DlderiveError(f"check: a text or a path is needed, not {type(text_or_path).__name__}")


def _names_a_file(text: str) -> bool:
    if "\n" in text or "$" in text or len(text) > 4096:
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False
