"""`dlderive conv`: output size, counts and inverse problems of one conv or pooling layer."""
from __future__ import annotations

import json
import re

import sympy as sp

from .. import conv
from ..errors import DlderiveError
from ..export import render

SIZES = re.compile(r"[0-9]{1,7}(?:x[0-9]{1,7}){0,2}")
FORMATS = ("text", "latex", "json")


def sizes(name: str, text: str | None):
    """'78x84' -> (78, 84); a strict pattern, never evaluated."""
    if text is None:
        return None
    if not SIZES.fullmatch(text):
        raise DlderiveError(f"{name}: {text!r} is not a size like 5 or 3x5 (1 to 3 positive integers joined by x)")
    return tuple(int(v) for v in text.split("x"))


def show(expr) -> str:
    if isinstance(expr, sp.Eq):
        return f"{show(expr.lhs)} = {show(expr.rhs)}"
    return sp.sstr(expr, order="none")


def tex(expr) -> str:
    return sp.latex(expr, order="none")


def relation(step) -> str:
    """Steps between conditions (inverse problems) are equivalences, all others equalities."""
    return "=" if isinstance(step.lhs, sp.Expr) else "<=>"


def step_json(step) -> dict:
    relation_ = relation(step)
    return {"lhs": show(step.lhs), "rhs": show(step.rhs), "relation": relation_,
            "latex": f"{tex(step.lhs)} {_TEX_REL[relation_]} {tex(step.rhs)}",
            "rule": step.rule, "note": step.note, "proof": step.proof}


_TEX_REL = {"=": "=", "<=>": r"\iff"}


def register(subparsers) -> None:
    p = subparsers.add_parser("conv", help="output size, counts and inverse problems of a conv/pool layer")
    p.add_argument("--input", help="input size per spatial dimension, e.g. 78x84")
    p.add_argument("--kernel", help="kernel size, e.g. 5 or 3x5")
    p.add_argument("--stride")
    p.add_argument("--padding", help="integer(s), same or valid")
    p.add_argument("--dilation")
    p.add_argument("--in-channels", type=_int("in-channels"))
    p.add_argument("--out-channels", type=_int("out-channels"))
    p.add_argument("--groups", type=_int("groups"), default=1)
    p.add_argument("--no-bias", action="store_true")
    p.add_argument("--transposed", action="store_true")
    p.add_argument("--output-padding")
    p.add_argument("--pool", choices=("max", "avg"))
    p.add_argument("--ceil-mode", action="store_true")
    p.add_argument("--convention", choices=conv.CONVENTIONS, default="pytorch")
    p.add_argument("--solve", choices=conv.SOLVABLE)
    p.add_argument("--output", help="output size (with --solve)")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.set_defaults(run=run)


def _int(name):
    def parse(text):
        if not re.fullmatch(r"-?[0-9]{1,7}", text):
            raise DlderiveError(f"{name}: {text!r} is not an integer")
        return int(text)
    return parse


def run(args) -> int:
    return run_solve(args) if args.solve else run_forward(args)


def _kind(args) -> str:
    if args.pool and args.transposed:
        raise DlderiveError("pool: a layer is either transposed or a pooling layer, not both")
    return {"max": "maxpool", "avg": "avgpool"}.get(args.pool, "transposed" if args.transposed else "conv")


def run_forward(args) -> int:
    kind = _kind(args)
    if args.input is None or args.kernel is None:
        raise DlderiveError(f"{'input' if args.input is None else 'kernel'}: required (e.g. --input 78x84 --kernel 5)")
    padding = args.padding if args.padding in ("same", "valid") else (sizes("padding", args.padding) or 0)
    result = conv.output_size(kind, sizes("input", args.input), sizes("kernel", args.kernel),
                              sizes("stride", args.stride) or 1, padding, sizes("dilation", args.dilation) or 1,
                              sizes("output-padding", args.output_padding) or 0, args.ceil_mode, args.convention)
    counted = _counts(args, kind, result)
    derivations = list(result.derivations) + (list(counted.derivations) if counted is not None else [])
    steps = [st for d in derivations for st in d.steps]
    if args.format == "json":
        data = {"output": list(result.output), "padding": [list(p) for p in result.padding]}
        if counted is not None:
            data.update(params=counted.params, multiplications=counted.multiplications, additions=counted.additions,
                        macs=counted.macs, flops=counted.flops, tools=counted.tools)
        data["steps"] = [step_json(st) for st in steps]
        print(json.dumps(data, indent=2))
    elif args.format == "latex":
        print(render(derivations, "latex"))
    else:
        print(render(derivations, "text"))
        print(f"output: {' x '.join(map(str, result.output))}")
        if any(l != r for l, r in result.padding):
            print("padding (left, right): " + ", ".join(f"({l}, {r})" for l, r in result.padding))
        if counted is not None:
            print_counts(counted)
    return 0


def _counts(args, kind, result):
    if args.in_channels is None and args.out_channels is None:
        return None
    if kind in ("maxpool", "avgpool"):
        raise DlderiveError("in-channels: pooling layers have no parameters to count; drop the channels")
    if args.in_channels is None or args.out_channels is None:
        raise DlderiveError(f"{'in-channels' if args.in_channels is None else 'out-channels'}: give both channel counts")
    return conv.counts(args.in_channels, args.out_channels, sizes("kernel", args.kernel), result.output,
                       groups=args.groups, bias=not args.no_bias, transposed=kind == "transposed",
                       input=sizes("input", args.input), stride=sizes("stride", args.stride) or 1,
                       padding=[l for l, _ in result.padding], dilation=sizes("dilation", args.dilation) or 1)


def print_counts(c) -> None:
    p = c.params
    print(f"params: weights {p['weights']}, bias {p['bias']}, total {p['total']}")
    print(f"multiplications {c.multiplications}, additions {c.additions}, MACs {c.macs}, FLOPs {c.flops}")
    print("tools: " + ", ".join(f"{name} {value}" for name, value in c.tools.items()))


def _single(name, text):
    values = sizes(name, text)
    if values is None:
        return None
    if len(values) != 1:
        raise DlderiveError(f"{name}: --solve works on one dimension; give one integer (got {text})")
    return values[0]


def run_solve(args) -> int:
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
    result = conv.solve(args.solve, _single("output", args.output), kind, **known)
    steps = result.derivation.steps
    if args.format == "json":
        finite = result.solutions.is_finite_set
        lo, hi = result.interval
        data = {"solve": args.solve, "solutions": list(result.values) if finite else None,
                "interval": [lo, hi], "steps": [step_json(st) for st in steps]}
        if result.reason:
            data["reason"] = result.reason
        print(json.dumps(data, indent=2))
    elif args.format == "latex":
        print(render(result.derivation, "latex"))
    else:
        print(render(result.derivation, "text"))
        if result.reason:
            print(f"no solution: {result.reason}")
        else:
            print(f"{args.solve}: {show(result.solutions)}")
    return 0
