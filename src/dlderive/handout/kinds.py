"""The item kinds of a handout: how each item becomes its question and its proven answer.

``text`` (Markdown), ``derivation`` (by name and form), ``evaluate`` (a cell's equations at given
values), ``conv_size``, ``conv_inverse`` (every solution), ``conv_counts`` (the counting convention
stated) and ``network`` (a layer table). Each builder raises a DlderiveError naming the item's key.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import sympy as sp

from .. import conv, network
from ..cells import CELLS
from ..conv.validation import parameter_error
from ..catalog import entry, model_named
from ..derive import derive
from ..errors import DlderiveError, Location
from ..functions import REGISTRY
from ..export.printer import format_number, latex_expr
from ..notation import preset
from ..schema import collected, each
from ..steps import Derivation
from .evaluation import evaluate


@dataclass(frozen=True)
class Built:
    """What one item contributes: question parts and answer parts."""

    question: tuple = ()
    answer: tuple = ()


KINDS: dict[str, Callable] = {}
"""Item kind -> builder(where, item, notation=None, check_only=False) -> Built (None when check_only)."""


def builds(kind: str):
    def register(build):
        KINDS[kind] = build
        return build
    return register


def math_list(pairs) -> str:
    """``$a = 1$, $b = 2$`` for (LaTeX name, number) pairs: generated prose, numbers formatted."""
    return ", ".join(f"${name} = {value}$" for name, value in pairs)


@builds("text")
def _text_item(where, item, notation=None, check_only=False):
    if check_only:
        return None
    if item.get("answer_only"):
        return Built(answer=(item["text"],))
    return Built(question=(item["text"],))


OPTIONS = ("steps", "weight", "loss", "activation")
"""The keys of a derivation item passed to ``derive`` (``<cell>.loss_grad``, ``mlp.backprop``)."""

_LOSSES = {"squared": "the squared error", "softmax_ce": "softmax cross-entropy"}


def drawn_options(item: dict, drawn: dict, notation=None) -> str | None:
    """The options a variant drew for a derivation item ({choose = [...]}, {min, max}), as a sentence of its
    question, so that a student's version says which weight, how many steps, which activation."""
    if item.get("kind") != "derivation":
        return None
    shown = []
    for key in ("weight", "activation", "loss", "steps"):
        if not isinstance(item.get(key), dict):  # a range or a choice: drawn per variant
            continue
        value = drawn.get(key)
        if key == "weight":
            shown.append(f"the weight ${latex_expr(sp.Symbol(value), notation or preset('sample'))}$")
        elif key == "steps":
            shown.append(f"$T = {value}$ step{'s' if value != 1 else ''}")
        elif key == "activation":
            shown.append(f"the activation $\\phi = {REGISTRY[value].latex}$" if value in REGISTRY else str(value))
        else:
            shown.append(_LOSSES.get(value, str(value)))
    return "Here: " + ", ".join(shown) + "." if shown else None


CELL_FOLDER: ContextVar[Path | None] = ContextVar("CELL_FOLDER", default=None)
"""When set (by ``dlderive serve``), the only folder whose cell files a handout may name; a folder that does
not exist admits none (a pasted handout: built-in cells only)."""


def _cell_of(where: Location, item: dict) -> str | None:
    """The cell an item names: a built-in cell's name, or a TOML file declaring one, relative to the handout
    file (loaded and registered, its name returned)."""
    ref = item.get("cell")
    if ref is None or not ref.endswith(".toml"):
        return ref
    path = Path(where.file).parent / ref if where.file else Path(ref)
    allowed = CELL_FOLDER.get()
    if allowed is not None and not (allowed.is_dir() and path.resolve().is_relative_to(allowed.resolve())):
        raise DlderiveError(f"{ref}: only cell files of the served folder are read here"
                            if allowed.is_dir() else f"{ref}: a pasted handout may name only built-in cells "
                            f"({', '.join(sorted(CELLS))})", where, key="cell")
    try:
        return model_named(str(path), "cell")
    except DlderiveError as exc:
        raise DlderiveError(f"{ref}: {exc.message}", where, key="cell") from None


@builds("derivation")
def _derivation_item(where, item, notation=None, check_only=False):
    _cell_of(where, item)
    name, form = item["name"], item.get("form", "scalar")
    try:
        entry(name)
    except DlderiveError as exc:
        raise DlderiveError(exc.message, where, key="name") from None
    if check_only:
        return None
    try:
        return Built(answer=(derive(name, form, *(item.get(k) for k in OPTIONS)),))
    except DlderiveError as exc:
        key = next((k for k in OPTIONS if f"--{k}" in exc.message or (k in exc.message and item.get(k))), "form")
        raise DlderiveError(exc.message, where, key=key) from None


@builds("evaluate")
def _evaluate_item(where, item, notation=None, check_only=False):
    name = _cell_of(where, item)
    if name not in CELLS:
        raise DlderiveError(f"unknown cell {name!r}; known: {', '.join(CELLS)}, or a cell's TOML file", where,
                            key="cell")
    cell = CELLS[name]
    equations = {cell.symbols[i]: e for i, e in cell.equations}
    defined = {s.name for s in equations}
    for t in item["targets"]:
        if t not in defined:
            raise DlderiveError(f"{t!r} is not an equation of {cell.name}; equations: {', '.join(sorted(defined))}",
                                where, key="targets")
    leaves = sorted({s.name for e in equations.values() for s in e.free_symbols} - defined)
    for k in item["values"]:
        if k not in leaves:
            raise DlderiveError(f"not an input, state or parameter of {cell.name}; expected: {', '.join(leaves)}",
                                where, key=f"values.{k}")
    needed = _needed(equations, [cell.symbols[t] for t in item["targets"]])
    for k in sorted(needed):
        if k not in item["values"]:
            raise DlderiveError("missing: the targets need it", where, key=f"values.{k}")
    if check_only:
        return None
    values = {cell.symbols[k]: float(v) for k, v in item["values"].items()}
    derivation = evaluate(cell.name, equations, [cell.symbols[t] for t in item["targets"]], values,
                          item.get("digits") or 4)
    notation = notation or preset("sample")
    given = math_list((latex_expr(s, notation), format_number(v)) for s, v in
                      sorted(values.items(), key=lambda kv: _leaf_order(kv[0].name)))
    wanted = ", ".join(f"${latex_expr(cell.symbols[t], notation)}$" for t in item["targets"])
    return Built(question=(f"Evaluate {wanted} at {given}.",), answer=(derivation,))


def _leaf_order(name: str) -> tuple:
    """Inputs and states first, then parameters grouped by gate: x_t, h_prev, c_prev, W_f, U_f, b_f, ..."""
    head = {"x_t": 0, "h_prev": 1, "c_prev": 2}
    if name in head:
        return (0, head[name], "")
    kind, _, gate = name.partition("_")
    return (1, gate, "WUb".find(kind))


def _needed(equations: dict, targets: list) -> set[str]:
    """Names of the leaves that the targets depend on, through the equations."""
    out, todo, seen = set(), list(targets), set()
    while todo:
        s = todo.pop()
        if s in seen:
            continue
        seen.add(s)
        for f in equations[s].free_symbols:
            (todo.append(f) if f in equations else out.add(f.name))
    return out


@builds("conv_size")
def _conv_size_item(where, item, notation=None, check_only=False):
    args = dict(kind=item.get("layer", "conv"), size=item["input"], kernel=item["kernel"],
                stride=item.get("stride", 1), padding=item.get("padding", 0), dilation=item.get("dilation", 1))
    result = _conv_call(where, conv.output_size, args)
    if check_only:
        return None
    dims = conv.DIM_NAMES[len(result.output)]
    sizes = item["input"] if isinstance(item["input"], list) else [item["input"]]
    given = math_list([(f"{d}_{{in}}", v) for d, v in zip(dims, sizes)]
                      + [("k", _tuple(item["kernel"])), ("S", _tuple(item.get("stride", 1))),
                         ("P", _tuple(item.get("padding", 0)))]
                      + ([("d", _tuple(item["dilation"]))] if "dilation" in item else []))
    answer = ", ".join(f"${d}_{{out}} = {v}$" for d, v in zip(dims, result.output))
    return Built(question=(f"Given {given}, compute the output size.",),
                 answer=tuple(result.derivations) + (f"Output size: {answer}.",))


@builds("conv_inverse")
def _conv_inverse_item(where, item, notation=None, check_only=False):
    result = _conv_call(where, conv.solve, dict(unknown="input", output=item["output"],
                                                kind=item.get("layer", "conv"), kernel=item["kernel"],
                                                stride=item["stride"], padding=item.get("padding", 0),
                                                dilation=item.get("dilation", 1)))
    if check_only:
        return None
    given = math_list([("D_{out}", item["output"]), ("P", item.get("padding", 0)), ("k", item["kernel"]),
                       ("S", item["stride"])])
    if result.solutions.is_empty:
        summary = _no_input_size(item)
    else:
        values = result.values
        listed = ", ".join(map(str, values))
        summary = (f"All solutions: $D_{{in}} \\in \\{{{listed}\\}}$. " + (
            f"The floor in the formula maps {len(values)} input sizes to the same output, so the "
            f"inverse problem has {len(values)} solutions, not one." if len(values) > 1 else
            "The solution is unique."))
    return Built(question=(f"Given {given}, find every input size $D_{{in}}$.",),
                 answer=(result.derivation, summary))


def _no_input_size(item: dict) -> str:
    """Why no input size gives the output, in words: the output grows with the input, and the smallest input
    already gives more."""
    smallest = conv.output_size(item.get("layer", "conv"), 1, item["kernel"], stride=item["stride"],
                                padding=item.get("padding", 0), dilation=item.get("dilation", 1)).output[0]
    return (f"No input size gives this output. The output size never decreases as the input grows, and even the "
            f"smallest input, $D_{{in}} = 1$, gives $D_{{out}} = {smallest}$, more than ${item['output']}$: with this "
            f"padding, kernel and stride the layer cannot produce an output of size ${item['output']}$.")


def one_block(derivations) -> Derivation:
    """Several derivations as one, their steps in order, so that their = signs line up in one block."""
    first = derivations[0]
    return Derivation(name=first.name, form=first.form, title=first.title,
                      steps=tuple(step for d in derivations for step in d.steps),
                      definitions={k: v for d in derivations for k, v in d.definitions.items()})


@builds("conv_counts")
def _conv_counts_item(where, item, notation=None, check_only=False):
    bias = item.get("bias", True)
    result = _conv_call(where, conv.counts, dict(in_channels=item["in_channels"],
                                                 out_channels=item["out_channels"], kernel=item["kernel"],
                                                 output=item["output"], groups=item.get("groups", 1), bias=bias))
    if check_only:
        return None
    given = math_list([("C_{in}", item["in_channels"]), ("C_{out}", item["out_channels"]),
                       ("k", _tuple(item["kernel"])), ("\\text{output}", _tuple(item["output"], " \\times "))]
                      + ([("g", item["groups"])] if "groups" in item else []))
    convention = (
        "Counting convention: a weight is one trainable parameter and each output channel has one bias "
        f"({'included' if bias else 'absent'} here); a multiplication is one product of a weight and an input "
        "value; each output element sums its $n = (C_{in}/g) \\cdot k_h \\cdot k_w$ products with $n - 1$ "
        "additions, plus one addition for the bias. Padding positions are counted like any input value."
    )
    tools = ", ".join(f"{name} {value:,}" for name, value in result.tools.items())
    summary = (f"Parameters: {result.weights:,} weights + {result.bias:,} biases = "
               f"**{result.weights + result.bias:,}**. Multiplications: **{result.multiplications:,}**. "
               f"Additions: **{result.additions:,}**.")
    return Built(question=(f"Given {given}, count the trainable parameters, multiplications and additions.",),
                 answer=(convention, one_block(result.derivations), summary,
                         f"For comparison, what common tools report for this layer: {tools}."))


@builds("network")
def _network_item(where, item, notation=None, check_only=False):
    try:
        table = network.build(network.from_dict({"input": item["input"], "layers": item["layers"]}, where.file))
    except DlderiveError as exc:
        raise collected([_in_item(where, problem) for problem in each(exc)]) from None
    if any(not isinstance(v, int) for v in table.input):
        raise DlderiveError("a handout network needs numeric input sizes", where, key="input")
    if check_only:
        return None
    shape = " \\times ".join(map(str, table.input))
    layers = "\n".join(f"- {r.index}: {_layer_text(layer)}" for r, layer in zip(table.rows, item["layers"]))
    totals = f"Total: **{int(table.params):,}** parameters, **{int(table.macs):,}** multiply-accumulates (MACs)."
    answer = (table, totals) + (tuple(d for r in table.rows for d in r.derivations) if item.get("steps") else ())
    return Built(question=(f"Input ${shape}$. Layers:\n\n{layers}\n\nGive each layer's output shape, "
                           "parameters and multiply-accumulates.",), answer=answer)


def _layer_text(layer: dict) -> str:
    """``conv (out_channels 6, kernel 5)``: a layer as written in the handout, for the question."""
    rest = ", ".join(f"{k} {v}" for k, v in layer.items() if k != "type")
    return f"{layer.get('type', '?')}" + (f" ({rest})" if rest else "")


def _tuple(v, sep: str = ", ") -> str:
    return f"({sep.join(map(str, v))})" if isinstance(v, list) and len(v) > 1 else str(v[0] if isinstance(v, list) else v)


def _in_item(where: Location, problem: DlderiveError) -> DlderiveError:
    """A problem of an item's network, placed in the item: its layer and key named in the message."""
    if problem.location.item is None:
        return DlderiveError(problem.message, where, key=problem.location.key)
    layer = problem.location
    return DlderiveError(f"layer {layer.item}, key {layer.key!r}: {problem.message}", where, key="layers")


def _conv_call(where: Location, fn, args: dict):
    try:
        return fn(**args)
    except DlderiveError as exc:
        key, problem = parameter_error(exc)
        raise DlderiveError(problem, where, key=key) from None
