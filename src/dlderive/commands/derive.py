"""`dlderive list` and `dlderive derive NAME`: the proven derivations of the engine."""
from __future__ import annotations

from ..check.limits import seconds_option
from ..notation import PRESETS
from . import FORMATS, choice, examples, unknown

FORMS = ("scalar", "vector")
"""The names of ``dlderive.derive.FORMS``."""
TIMEOUT = 120.0


def _declare(args):
    """The catalog, with the cell declared in ``--cell FILE`` registered, if any."""
    from .. import catalog
    from ..cells.declared import load_cell
    if getattr(args, "cell", None):
        catalog.register(load_cell(args.cell))
    return catalog


def _known(catalog) -> dict:
    """Every derivation name -> its entry, grouped by cell in the catalog's order."""
    entries = {**catalog.DERIVATIONS, **catalog.loss_grad_entries()}
    cells = list(dict.fromkeys(e.cell for e in entries.values()))
    return dict(sorted(entries.items(), key=lambda item: cells.index(item[1].cell)))


def _list(args) -> int:
    """A table of every derivation: its name, its forms and what it derives, one group per cell."""
    entries = _known(_declare(args))
    rows = [("NAME", "FORMS", "RESULT")]
    groups = [None]
    for name, e in entries.items():
        rows.append((name, ", ".join(e.forms), e.description))
        groups.append(e.cell)
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for i, (name, forms, result) in enumerate(rows):
        if 1 < i and groups[i] != groups[i - 1]:
            print()
        print(f"{name:<{widths[0]}}  {forms:<{widths[1]}}  {result}")
    return 0


def _derive(args) -> int:
    from ..check.errors import RelationTimeout
    from ..check.timing import time_limit, validated
    from ..derive import derive
    from ..errors import DlderiveError
    from ..export import render
    from ..notation import preset

    known = _known(_declare(args))
    if args.name not in known:
        cell, _, rest = args.name.partition(".")
        same = {n.partition(".")[2]: n for n, e in known.items() if e.cell == cell and cell}
        raise unknown("derivation", args.name, known, f"those of {cell}: {', '.join(same.values())}" if same
                      else "`dlderive list` names them all", compare=(rest, same) if same else None)
    choice("--form", args.form, FORMS)
    validated(args.timeout, "--timeout")
    try:
        with time_limit(args.timeout):
            derivation = derive(args.name, args.form, args.steps, args.weight, args.loss, args.activation)
    except RelationTimeout:
        raise DlderiveError(f"{args.name}: the derivation took more than {args.timeout:g} s of CPU time "
                            "(--timeout); a declared cell with long chains of products grows quickly") from None
    print(render(derivation, args.format, preset(args.notation)).rstrip("\n"))
    return 0


def register(sub) -> None:
    p = sub.add_parser("list", help="name every derivation, its forms and its result",
                       description="A table of every derivation: its name, its forms and what it derives.",
                       epilog=examples("dlderive list", "dlderive list --cell docs/cells/mgu.toml | grep mgu"))
    p.add_argument("--cell", metavar="FILE", help="also list the derivations of the cell declared in this TOML file")
    p.set_defaults(run=_list)
    p = sub.add_parser("derive", help="print a proven step-by-step derivation",
                       description="Print a derivation whose every step the engine has proven.",
                       epilog=examples("dlderive derive lstm.hidden",
                                       "dlderive derive lstm.hidden --form vector --format latex",
                                       "dlderive derive gru.bptt --steps 5 --form vector",
                                       "dlderive derive lstm.loss_grad --weight W_f --steps 3 --loss softmax_ce",
                                       "dlderive derive mgu.candidate --cell docs/cells/mgu.toml --format json"))
    p.add_argument("name", help="a derivation name from `dlderive list`, e.g. lstm.hidden")
    p.add_argument("--form", choices=FORMS, default="scalar",
                   help="scalar (hidden size 1; the default) or vector (Jacobians with diag)")
    p.add_argument("--format", choices=FORMATS, default="text", help=f"{', '.join(FORMATS)} (default text)")
    p.add_argument("--notation", choices=tuple(PRESETS), default="sample",
                   help="how symbols are written: " + "; ".join(f"{k}: {v.description}" for k, v in PRESETS.items()))
    p.add_argument("--steps", type=_whole, metavar="K",
                   help="for <cell>.bptt: differentiate through K steps, 1 to 1000 (default 3); "
                        "for <cell>.loss_grad: the loss over K steps")
    p.add_argument("--weight", metavar="NAME", help="for <cell>.loss_grad: the weight, bias or input P of ∂L/∂P")
    p.add_argument("--loss", metavar="LOSS", help="for <cell>.loss_grad: squared (default) or softmax_ce")
    p.add_argument("--activation", metavar="NAME",
                   help="for mlp.backprop: a registered function, e.g. relu, tanh (default), sigmoid")
    p.add_argument("--cell", metavar="FILE", help="a TOML file declaring a cell (see the README, and docs/cells/*.toml)")
    p.add_argument("--timeout", type=seconds_option, default=TIMEOUT, metavar="SECONDS",
                   help=f"CPU seconds the derivation and its proofs may take (default {TIMEOUT:g})")
    p.set_defaults(run=_derive)


def _whole(text: str) -> int:
    """--steps: a whole number (its range is the engine's to check, with the range in the message)."""
    import argparse
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of steps, such as 3 (got {text!r})") from None
