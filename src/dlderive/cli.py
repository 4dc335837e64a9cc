"""The `dlderive` command: a thin dispatcher over the modules in dlderive.commands."""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from . import __version__
from .errors import DlderiveError, InternalError, did_you_mean, unknown

COMMANDS = ("derive", "conv", "net", "build", "check", "serve")
"""The modules of dlderive.commands, in the order of the help; each has ``register(subparsers)``
and imports the engine only when its command runs. Adding a command is adding its module's name."""

HELP_OPTIONS = ("-h", "--help", "-V", "--version")
FOOTER = "`dlderive help COMMAND` (or `dlderive COMMAND --help`) shows a command's options and examples."


class _Parser(argparse.ArgumentParser):
    """One-line errors (exit status 2, no usage dump), "did you mean" for mistyped choices, and
    help texts whose examples keep their lines."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        command = self.prog.partition(" ")[2]  # "dlderive check" -> "check"
        raise DlderiveError(f"{command}: {message}" if command else message)

    def _check_value(self, action, value):
        if action.choices is None or value in action.choices:
            return
        if isinstance(action, argparse._SubParsersAction):
            raise unknown("command", value, action.choices, "commands: " + ", ".join(action.choices))
        raise DlderiveError(f"{_option_name(action)}: {unknown('value', value, action.choices).message}")


def _option_name(action) -> str:
    return action.option_strings[-1] if action.option_strings else (action.metavar or action.dest)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dlderive", description="Proven step-by-step derivations for deep learning, exported as text, LaTeX,\n"
                     "HTML, Markdown and JSON; a checker of hand-written derivations.",
                     epilog=FOOTER)
    parser.add_argument("-V", "--version", action="version", version=f"dlderive {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND",
                                title="commands")
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(sub)
    p = sub.add_parser("help", help="show the commands, or one command's options and examples",
                       description="Show the commands, or the options and examples of one command.",
                       epilog="examples:\n  dlderive help\n  dlderive help check")
    p.add_argument("topic", nargs="?", metavar="COMMAND", help="a command, e.g. derive")
    p.set_defaults(run=lambda args: _help(parser, sub, args.topic))
    parser.commands = sub
    return parser


def _help(parser, sub, topic: str | None) -> int:
    if topic is None:
        parser.print_help()
    elif topic in sub.choices:
        sub.choices[topic].print_help()
    else:
        raise unknown("command", topic, sub.choices, "commands: " + ", ".join(sub.choices))
    return 0


def parse(parser, argv: list[str]) -> argparse.Namespace:
    """The parsed arguments; an unknown option is one line with the closest known option."""
    if argv and argv[0].startswith("-") and argv[0] not in HELP_OPTIONS:
        raise DlderiveError(f"unrecognized option {argv[0]!r}{did_you_mean(argv[0], HELP_OPTIONS)} "
                            "(options before the command: -h, --help, -V, --version)")
    args, extra = parser.parse_known_args(argv)
    if extra:
        command = parser.commands.choices[args.command]
        options = [o for a in command._actions for o in a.option_strings]
        word = next((w for w in extra if w.startswith("-") and w != "-"), None)
        if word is None:
            raise DlderiveError(f"{args.command}: unexpected argument {extra[0]!r} (see dlderive help {args.command})")
        raise DlderiveError(f"{args.command}: unrecognized option {word.split('=')[0]!r}"
                            f"{did_you_mean(word.split('=')[0], options)} (see dlderive help {args.command})")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        parser = build_parser()
        if not argv:  # a bare `dlderive`: the usage and the commands
            parser.print_help(sys.stderr)
            return 2
        args = parse(parser, argv)
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
