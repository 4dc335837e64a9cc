"""The `dlderive` command: a thin dispatcher over the modules in dlderive.commands."""
from __future__ import annotations

import argparse
import os
import sys
import traceback

from . import __version__
from .commands import build, check, conv, derive, net
from .errors import DlderiveError, InternalError

COMMANDS = (derive, conv, net, build, check)
"""Each a module of dlderive.commands with ``register(subparsers)``."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2, no usage dump
        raise DlderiveError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dlderive", description="Proven step-by-step derivations for deep learning.")
    parser.add_argument("--version", action="version", version=f"dlderive {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.run(args) or 0
    except DlderiveError as exc:
        for problem in str(exc).splitlines() or [""]:  # one line per problem (a file's problems all at once)
            print(f"dlderive: error: {problem}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("dlderive: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (`dlderive list | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # a bug of dlderive, not a problem of the input
        return internal_error(exc)


def internal_error(exc: BaseException) -> int:
    """One line that names the failure and asks for a report (exit status 70); the traceback with
    DLDERIVE_DEBUG=1."""
    if os.environ.get("DLDERIVE_DEBUG") == "1":
        traceback.print_exception(exc, file=sys.stderr)
    what = str(exc) if isinstance(exc, InternalError) else f"{type(exc).__name__}: {exc}"
    print(f"dlderive: internal error ({' '.join(what.split())[:300]}); this is a bug in dlderive: please report it "
          "to its maintainers with the command you ran (DLDERIVE_DEBUG=1 shows the traceback)", file=sys.stderr)
    return InternalError.exit_status


if __name__ == "__main__":
    sys.exit(main())
