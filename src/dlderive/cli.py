"""The `dlderive` command: a thin dispatcher over the modules in dlderive.commands."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import __version__
from .errors import DlderiveError

COMMANDS = ("derive", "conv", "net", "build", "check")
"""Each name is a module in dlderive.commands with ``register(subparsers)``; missing ones are skipped."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2, no usage dump
        raise DlderiveError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dlderive", description="Proven step-by-step derivations for deep learning.")
    parser.add_argument("--version", action="version", version=f"dlderive {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"dlderive.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"dlderive.commands.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.run(args) or 0
    except DlderiveError as exc:
        print(f"dlderive: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dlderive: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (`dlderive list | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
