"""`dlderive net FILE.toml`: a layer table (shapes, parameters, MACs) and, for symbolic inputs, the valid sizes."""
from __future__ import annotations

import json

import sympy as sp

from .. import network
from ..export import render
from .conv import step_json, tex

HEADERS = ("#", "layer", "output", "params", "MACs")


def register(subparsers) -> None:
    p = subparsers.add_parser("net", help="shapes, parameters and MACs of a layer stack declared in TOML")
    p.add_argument("file", help="network TOML file (see derivations/nets/)")
    p.add_argument("--input", help="input shape, channels first: 3x224x224, or symbolic: 3xDxD")
    p.add_argument("--steps", action="store_true", help="also print the derivation of every output size")
    p.add_argument("--format", choices=("text", "latex", "json"), default="text")
    p.set_defaults(run=run)


def _cell(v) -> str:
    return str(v) if isinstance(v, int) else sp.sstr(v)


def _shape(shape) -> str:
    cells = [_cell(v) for v in shape]
    if len(cells) == 1:
        return cells[0]
    return " x ".join(c if isinstance(v, int) or getattr(v, "is_Atom", False) else f"({c})" for c, v in zip(cells, shape))


def run(args) -> int:
    net = network.load(args.file)
    shape = network.parse_input(args.input, "input") if args.input else None
    table = network.build(net, shape)
    valid = network.valid_inputs(table) if table.symbols else None
    derivations = [d for row in table.rows for d in row.derivations] + ([valid.derivation] if valid else [])
    steps = [st for d in derivations for st in d.steps]
    rows = [(str(r.index), r.type, _shape(r.shape), _cell(r.params), _cell(r.macs)) for r in table.rows]
    totals = ("", "total", "", _cell(_total(table.params)), _cell(_total(table.macs)))
    if args.format == "json":
        data = {"name": net.name, "input": [_json(v) for v in table.input],
                "layers": [{"index": r.index, "type": r.type, "output": [_json(v) for v in r.shape],
                            "params": _json(r.params), "macs": _json(r.macs)} for r in table.rows],
                "totals": {"params": _json(_total(table.params)), "macs": _json(_total(table.macs))}}
        if valid is not None:
            data["valid_inputs"] = [{name: [lo, hi] for name, (lo, hi) in box.items()} for box in valid.boxes]
        data["steps"] = [step_json(st) for st in steps]
        print(json.dumps(data, indent=2))
        return 0
    if args.format == "latex":
        print(_latex_table(table))
        return 0
    widths = [max(len(row[i]) for row in [HEADERS, *rows, totals]) for i in range(5)]
    line = lambda cells: "  ".join(c.rjust(w) if i in (0, 3, 4) else c.ljust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    print(f"{net.name}: input {_shape(table.input)}")
    print(line(HEADERS))
    for row in rows:
        print(line(row))
    print(line(totals))
    if valid is not None:
        print("valid inputs: " + _describe(valid))
    if args.steps and steps:
        print()
        print(render([d for d in derivations if d.steps], "text"))
    return 0


def _total(expr):
    return int(expr) if getattr(expr, "is_Integer", False) else expr


def _json(v):
    return v if isinstance(v, int) else int(v) if getattr(v, "is_Integer", False) else sp.sstr(v)


def _describe(valid) -> str:
    if valid.empty:
        return "none (" + valid.derivation.title + ")"
    parts = []
    for box in valid.boxes:
        parts.append(", ".join(f"{n} >= {lo}" if hi is None else (f"{n} = {lo}" if lo == hi else f"{lo} <= {n} <= {hi}")
                               for n, (lo, hi) in box.items()))
    return " or ".join(f"({p})" if len(valid.boxes) > 1 else p for p in parts)


def _latex_table(table) -> str:
    """The table as an array inside \\[ \\] (works in pdflatex and latex2mathml)."""
    body = [r"\# & \text{layer} & \text{output} & \text{params} & \text{MACs}"]
    for r in table.rows:
        shape = r" \times ".join(tex(sp.sympify(v)) for v in r.shape)
        body.append(f"{r.index} & \\text{{{r.type.replace('_', chr(92) + '_')}}} & {shape} & "
                    f"{tex(sp.sympify(r.params))} & {tex(sp.sympify(r.macs))}")
    body.append(f"& \\text{{total}} & & {tex(sp.sympify(table.params))} & {tex(sp.sympify(table.macs))}")
    return "\\[\n\\begin{array}{rllrr}\n" + " \\\\\n".join(body) + "\n\\end{array}\n\\]"
