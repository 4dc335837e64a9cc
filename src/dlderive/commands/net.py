"""`dlderive net FILE.toml`: a layer table (shapes, parameters, MACs) and, for symbolic inputs, the valid sizes."""
from __future__ import annotations

from . import FORMATS, examples


def register(subparsers) -> None:
    p = subparsers.add_parser("net", help="shapes, parameters and MACs of a layer stack declared in TOML",
                              description="A layer table (output shapes, parameters, MACs) of a network declared "
                                          "in TOML;\nwith a symbolic input, the input sizes that are valid.",
                              epilog=examples("dlderive net derivations/nets/lenet5.toml",
                                              "dlderive net derivations/nets/lenet5.toml --input 1xDxD --steps",
                                              "dlderive net derivations/nets/lenet5.toml --format markdown"))
    p.add_argument("file", help="network TOML file (see derivations/nets/)")
    p.add_argument("--input", help="input shape, channels first: 3x224x224, or symbolic: 3xDxD")
    p.add_argument("--steps", action="store_true", help="also print the derivation of every output size")
    p.add_argument("--format", choices=FORMATS, default="text", help=f"{', '.join(FORMATS)} (default text)")
    p.set_defaults(run=run)


def run(args) -> int:
    from .. import network
    from ..export import Combined, derivations_of, render
    net = network.load(args.file)
    shape = network.parse_input(args.input, "input") if args.input else None
    table = network.build(net, shape)
    result = Combined((table, network.valid_inputs(table)) if table.symbols else (table,))
    print(render(table if args.format == "latex" else result, args.format))
    derivations = [d for d in derivations_of(result) if d.steps]
    if args.format == "text" and args.steps and derivations:
        print()
        print(render(derivations, "text"))
    return 0
