"""`dlderive list` and `dlderive derive NAME`: the proven derivations of the engine."""
from __future__ import annotations

from .. import catalog
from ..cells.declared import load_cell
from ..check.errors import RelationTimeout
from ..check.timing import time_limit, validated
from ..derive import FORMS, derive
from ..errors import DlderiveError
from ..export import FORMATS, render
from ..notation import PRESETS, preset


def _declare(args) -> None:
    """Register the cell declared in ``--cell FILE``, if any."""
    if getattr(args, "cell", None):
        catalog.register(load_cell(args.cell))


def _list(args) -> int:
    _declare(args)
    entries = catalog.describe()
    width = max(map(len, entries))
    for name, description in entries.items():
        print(f"{name:<{width}}  {description}")
    return 0


def _derive(args) -> int:
    _declare(args)
    validated(args.timeout)
    try:
        with time_limit(args.timeout):
            derivation = derive(args.name, args.form, args.steps)
    except RelationTimeout:
        raise DlderiveError(f"{args.name}: the derivation took more than {args.timeout:g} s of CPU time "
                            "(--timeout); a declared cell with long chains of products grows quickly") from None
    print(render(derivation, args.format, preset(args.notation)).rstrip("\n"))
    return 0


def register(sub) -> None:
    p = sub.add_parser("list", help="name every derivation with a one-line description")
    p.add_argument("--cell", metavar="FILE", help="also list the derivations of the cell declared in this TOML file")
    p.set_defaults(run=_list)
    p = sub.add_parser("derive", help="print a proven step-by-step derivation")
    p.add_argument("name", help="a derivation name from `dlderive list`, e.g. lstm.hidden")
    p.add_argument("--form", choices=FORMS, default="scalar",
                   help="scalar (hidden size 1) or vector (Jacobians with diag)")
    p.add_argument("--format", choices=tuple(FORMATS), default="text")
    p.add_argument("--notation", choices=tuple(PRESETS), default="sample",
                   help="how symbols are written: " + "; ".join(f"{k}: {v.description}" for k, v in PRESETS.items()))
    p.add_argument("--steps", type=int, metavar="K",
                   help="for <cell>.bptt: differentiate through K steps, 1 to 1000 (default 3)")
    p.add_argument("--cell", metavar="FILE", help="a TOML file declaring a cell (see the README, and docs/cells/*.toml)")
    p.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                   help="CPU seconds the derivation and its proofs may take (default 120)")
    p.set_defaults(run=_derive)
