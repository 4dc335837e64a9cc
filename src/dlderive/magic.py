"""``%load_ext dlderive`` in IPython or Jupyter: every result displays itself, and the ``%%dlderive_check``
cell magic checks the derivation written in the cell (``%%dlderive_check --model lstm``), showing the report
as a table of ✓ ✗ ? with the relations as math."""
from __future__ import annotations

import argparse
import shlex


def _options(line: str) -> argparse.Namespace:
    from IPython.core.error import UsageError
    parser = argparse.ArgumentParser(prog="%%dlderive_check", add_help=False, exit_on_error=False)
    parser.add_argument("--model", metavar="NAME_OR_FILE")
    parser.add_argument("--timeout", type=float)
    try:
        args, rest = parser.parse_known_args(shlex.split(line))
    except (argparse.ArgumentError, ValueError) as exc:
        raise UsageError(f"%%dlderive_check: {exc}") from None
    if rest:
        raise UsageError(f"%%dlderive_check: unknown option {rest[0]!r}; options: --model NAME, --timeout SECONDS")
    return args


def dlderive_check(line: str, cell: str):
    """The check report of the derivation in ``cell`` (Markdown or LaTeX), displayed by the notebook."""
    from IPython.core.error import UsageError

    from . import api
    from .catalog import model_named
    from .errors import DlderiveError
    args = _options(line)
    if not cell.strip():
        raise UsageError("%%dlderive_check: the cell is empty; write the derivation below the magic line")
    extra = {"timeout": args.timeout} if args.timeout is not None else {}  # 0 is refused by the checker, by name
    try:
        return api.check_text(cell, model=model_named(args.model), **extra)
    except DlderiveError as exc:
        raise UsageError(f"%%dlderive_check: {exc.message}") from None


def load_ipython_extension(ipython) -> None:
    """Register the cell magic and teach the display formatter every result type."""
    from .export import display_in
    display_in(ipython.display_formatter)
    ipython.register_magic_function(dlderive_check, magic_kind="cell", magic_name="dlderive_check")
