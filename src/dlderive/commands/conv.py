"""`dlderive conv`: output size, counts and inverse problems of one conv or pooling layer."""
from __future__ import annotations

import re

from ..errors import DlderiveError
from . import FORMATS, examples

CONVENTIONS = ("pytorch", "tensorflow")
"""The names of ``dlderive.conv.CONVENTIONS``."""
SOLVABLE = ("input", "padding", "kernel", "stride", "dilation")
"""The names of ``dlderive.conv.SOLVABLE``."""
SIZES = re.compile(r"[0-9]{1,7}(?:x[0-9]{1,7}){0,2}")


def sizes(name: str, text: str | None):
    """'78x84' -> (78, 84); a strict pattern, never evaluated."""
    if text is None:
        return None
    if not SIZES.fullmatch(text):
        raise DlderiveError(f"{name}: {text!r} is not a size like 5 or 3x5 (1 to 3 positive integers joined by x)")
    return tuple(int(v) for v in text.split("x"))


def register(subparsers) -> None:
    p = subparsers.add_parser("conv", help="output size, counts and inverse problems of a conv/pool layer",
                              description="The output size of one convolution or pooling layer, its exact counts "
                                          "(with channels),\nor every value of one parameter that gives an output "
                                          "size (--solve); every step proven.",
                              epilog=examples("dlderive conv --input 78x84 --kernel 5 --stride 3 --padding 2",
                                              "dlderive conv --input 32x32 --kernel 3 --in-channels 3 --out-channels 16",
                                              "dlderive conv --input 28 --kernel 2 --pool max",
                                              "dlderive conv --solve input --output 16 --kernel 9 --stride 3 --padding 1"))
    p.add_argument("--input", help="input size per spatial dimension, e.g. 78x84")
    p.add_argument("--kernel", help="kernel size, e.g. 5 or 3x5")
    p.add_argument("--stride", help="stride, e.g. 2 or 1x2 (default 1)")
    p.add_argument("--padding", help="integer(s), same or valid")
    p.add_argument("--dilation", help="dilation (default 1)")
    p.add_argument("--in-channels", type=_int("in-channels"))
    p.add_argument("--out-channels", type=_int("out-channels"))
    p.add_argument("--groups", type=_int("groups"), default=1)
    p.add_argument("--no-bias", action="store_true")
    p.add_argument("--transposed", action="store_true")
    p.add_argument("--output-padding", help="extra size of a transposed convolution's output (default 0)")
    p.add_argument("--pool", choices=("max", "avg"))
    p.add_argument("--ceil-mode", action="store_true")
    p.add_argument("--convention", choices=CONVENTIONS, default="pytorch", help="what padding 'same' means")
    p.add_argument("--solve", choices=SOLVABLE, help="the parameter to find from --output")
    p.add_argument("--output", help="output size (with --solve)")
    p.add_argument("--format", choices=FORMATS, default="text", help=f"{', '.join(FORMATS)} (default text)")
    p.set_defaults(run=run)


def _int(name):
    def parse(text):
        if not re.fullmatch(r"-?[0-9]{1,7}", text):
            raise DlderiveError(f"{name}: {text!r} is not an integer")
        return int(text)
    return parse


def run(args) -> int:
    from ..export import render
    result = solve(args) if args.solve else forward(args)
    print(render(result, args.format))
    return 0


def _kind(args) -> str:
    if args.pool and args.transposed:
        raise DlderiveError("pool: a layer is either transposed or a pooling layer, not both")
    return {"max": "maxpool", "avg": "avgpool"}.get(args.pool, "transposed" if args.transposed else "conv")


def forward(args) -> Combined:
    """The layer's output sizes and, with channels, its counts."""
    from .. import conv
    from ..export import Combined
    kind = _kind(args)
    if args.input is None or args.kernel is None:
        raise DlderiveError(f"{'input' if args.input is None else 'kernel'}: required (e.g. --input 78x84 --kernel 5)")
    padding = args.padding if args.padding in ("same", "valid") else (sizes("padding", args.padding) or 0)
    result = conv.output_size(kind, sizes("input", args.input), sizes("kernel", args.kernel),
                              sizes("stride", args.stride) or 1, padding, sizes("dilation", args.dilation) or 1,
                              sizes("output-padding", args.output_padding) or 0, args.ceil_mode, args.convention)
    counted = _counts(args, kind, result)
    return Combined((result,) if counted is None else (result, counted))


def _counts(args, kind, result):
    from .. import conv
    if args.in_channels is None and args.out_channels is None:
        return None
    if kind in ("maxpool", "avgpool"):
        raise DlderiveError("in-channels: pooling layers have no parameters to count; drop the channels")
    if args.in_channels is None or args.out_channels is None:
        raise DlderiveError(f"{'in-channels' if args.in_channels is None else 'out-channels'}: give both channel counts")
    return conv.counts(args.in_channels, args.out_channels, sizes("kernel", args.kernel), result.output,
                       groups=args.groups, bias=not args.no_bias, transposed=kind == "transposed",
                       input=sizes("input", args.input), stride=sizes("stride", args.stride) or 1,
                       padding=[left for left, _ in result.padding], dilation=sizes("dilation", args.dilation) or 1)


def _single(name, text):
    values = sizes(name, text)
    if values is None:
        return None
    if len(values) != 1:
        raise DlderiveError(f"{name}: --solve works on one dimension; give one integer (got {text})")
    return values[0]


def solve(args):
    """Every value of the unknown that gives the output size."""
    from .. import conv
    if args.output is None:
        raise DlderiveError("output: --solve needs --output")
    if args.padding in ("same", "valid"):
        raise DlderiveError("padding: --solve needs an integer padding")
    kind = _kind(args)
    if kind == "transposed" or args.ceil_mode:
        raise DlderiveError("solve: inverse problems cover conv and floor-mode pooling")
    names = {"input": args.input, "kernel": args.kernel, "stride": args.stride, "padding": args.padding,
             "dilation": args.dilation}
    known = {n: _single(n, t) for n, t in names.items() if n != args.solve and t is not None}
    if names[args.solve] is not None:
        raise DlderiveError(f"{args.solve}: given and asked for at once")
    return conv.solve(args.solve, _single("output", args.output), kind, **known)
