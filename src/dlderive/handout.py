"""Handouts as data: a TOML file of sections and items, validated strictly, drawn per seed, built
into an ``export.document.Document`` (questions, and the proven answers when asked for).

Item kinds: ``text`` (Markdown), ``derivation`` (by name and form), ``evaluate`` (a cell's
equations at given values: symbolic line, substitution line, value), ``conv_size``,
``conv_inverse`` (every solution) and ``conv_counts`` (the counting convention stated).
A number may be a range ``{min = a, max = b}`` (floats: ``digits``) or ``{choose = [...]}``;
``--seed N`` draws variant N, and every variant carries its own answer key.
"""
from __future__ import annotations

import math
import random
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import sympy as sp

from .errors import DlderiveError
from .export.document import Document, Item, Section
from .export.printer import Literal, format_number, in_print_order, latex_expr
from .functions import MATH_FUNCTIONS
from .notation import PRESETS, Notation, preset
from .steps import Derivation, Step

MAX_BYTES = 1_000_000
MAX_ITEMS = 500
MAX_TEXT = 20_000

# ---------------------------------------------------------------------------------- validation


class Where:
    """Names the place of a value in a handout, for error messages: file, section, item, key."""

    def __init__(self, path: str, section: str = "", item: str = ""):
        self.path, self.section, self.item = path, section, item

    def at(self, section: str = "", item: str = "") -> "Where":
        return Where(self.path, section or self.section, item or self.item)

    def error(self, key: str, problem: str) -> DlderiveError:
        place = ", ".join(p for p in (self.section, self.item) if p)
        return DlderiveError(f"{self.path}: {place + ': ' if place else ''}key '{key}': {problem}")


def _type_name(value) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return _is_int(v) or isinstance(v, float)


def _is_range(v) -> bool:
    return isinstance(v, dict)


def check_range(where: Where, key: str, value: dict, integer: bool) -> None:
    """A range table: {min, max[, digits]} or {choose = [...]} of integers (or numbers)."""
    allowed = {"choose"} if "choose" in value else {"min", "max", "digits"}
    for k in value:
        if k not in allowed:
            raise where.error(f"{key}.{k}", f"unknown key; a range has {' or '.join(sorted(allowed))}")
    ok = _is_int if integer else _is_number
    kind = "integers" if integer else "numbers"
    if "choose" in value:
        choices = value["choose"]
        if not isinstance(choices, list) or not choices or not all(ok(c) for c in choices):
            raise where.error(f"{key}.choose", f"must be a non-empty list of {kind}")
        return
    for k in ("min", "max"):
        if k not in value:
            raise where.error(f"{key}.{k}", "missing: a range needs min and max")
        if not ok(value[k]):
            raise where.error(f"{key}.{k}", f"must be {'an integer' if integer else 'a number'}, "
                                            f"not {_type_name(value[k])}")
    if value["min"] > value["max"]:
        raise where.error(key, f"min {value['min']} is greater than max {value['max']}")
    if "digits" in value and (not _is_int(value["digits"]) or not 0 <= value["digits"] <= 6):
        raise where.error(f"{key}.digits", "must be an integer from 0 to 6")


# A field type is a checker (where, key, value) -> None that raises where.error(...).
def _text(where, key, v):
    if not isinstance(v, str):
        raise where.error(key, f"must be a string, not {_type_name(v)}")
    if len(v) > MAX_TEXT:
        raise where.error(key, f"longer than {MAX_TEXT} characters")


def _bool(where, key, v):
    if not isinstance(v, bool):
        raise where.error(key, f"must be true or false, not {_type_name(v)}")


def _int(where, key, v):
    if _is_range(v):
        return check_range(where, key, v, integer=True)
    if not _is_int(v):
        raise where.error(key, f"must be an integer (or a range table), not {_type_name(v)}")
    if abs(v) > 10**6:
        raise where.error(key, f"{v} exceeds the bound 10^6")


def _number(where, key, v):
    if _is_range(v):
        return check_range(where, key, v, integer=False)
    if not _is_number(v) or not math.isfinite(v):
        raise where.error(key, f"must be a finite number (or a range table), not {_type_name(v)}")
    if abs(v) > 1e6:
        raise where.error(key, f"{v} exceeds the bound 1e6")


def _ints(where, key, v):
    """An integer, or a list of 1 to 3 integers (one per spatial dimension)."""
    if isinstance(v, list):
        if not 1 <= len(v) <= 3:
            raise where.error(key, f"a list of 1 to 3 integers (one per dimension), not {len(v)} values")
        for i, x in enumerate(v):
            _int(where, f"{key}[{i}]", x)
    else:
        _int(where, key, v)


def _names(where, key, v):
    if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
        raise where.error(key, "must be a non-empty list of strings")


def _numbers_table(where, key, v):
    if not isinstance(v, dict):
        raise where.error(key, f"must be a table of identifier = number, not {_type_name(v)}")
    for k, x in v.items():
        _number(where, f"{key}.{k}", x)


def _one_of(*choices):
    def check(where, key, v):
        if v not in choices:
            raise where.error(key, f"must be one of {', '.join(map(str, choices))}, not {v!r}")
    return check


COMMON = {"kind": (_text, True), "heading": (_text, False), "question": (_text, False),
          "before": (_text, False), "after": (_text, False)}
"""Keys of every item: ``before``/``after`` are Markdown shown around the answer (answer key only)."""


@dataclass(frozen=True)
class Kind:
    """One item kind: its own keys (checker, required) and how it becomes question and answer."""

    keys: dict
    build: Callable


KINDS: dict[str, Kind] = {}


def item_kind(kind_name: str, **keys):
    def register(build):
        KINDS[kind_name] = Kind({**COMMON, **keys}, build)
        return build
    return register


def validate_item(where: Where, item: Any) -> dict:
    """The item table if every key is known, present when required and of its type; else DlderiveError."""
    if not isinstance(item, dict):
        raise where.error("items", f"each item must be a table, not {_type_name(item)}")
    kind = item.get("kind")
    if kind is None:
        raise where.error("kind", f"missing; one of: {', '.join(KINDS)}")
    if kind not in KINDS:
        raise where.error("kind", f"unknown item kind {kind!r}; one of: {', '.join(KINDS)}")
    spec = KINDS[kind].keys
    for key, value in item.items():
        if key not in spec:
            raise where.error(key, f"unknown key for a {kind} item; allowed: {', '.join(spec)}")
        spec[key][0](where, key, value)
    for key, (_, required) in spec.items():
        if required and key not in item:
            raise where.error(key, f"missing: a {kind} item needs it")
    return item


TOP = {"title": (_text, True), "author": (_text, False), "notation": (_one_of(*PRESETS), False),
       "intro": (_text, False), "sections": (None, True)}
SECTION = {"title": (_text, True), "intro": (_text, False), "items": (None, True)}


@dataclass(frozen=True)
class Handout:
    """A validated handout file: its data, and where it came from (for messages and output names)."""

    path: Path
    data: dict

    @property
    def stem(self) -> str:
        return self.path.stem


def _check_table(where: Where, table: dict, spec: dict, what: str) -> None:
    for key, value in table.items():
        if key not in spec:
            raise where.error(key, f"unknown key in {what}; allowed: {', '.join(spec)}")
        check = spec[key][0]
        if check:
            check(where, key, value)
    for key, (_, required) in spec.items():
        if required and key not in table:
            raise where.error(key, f"missing in {what}")


def load(path: str | Path) -> Handout:
    """Read and validate a handout TOML file; every problem is a DlderiveError naming file, item and key."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DlderiveError(f"{path}: cannot read ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise DlderiveError(f"{path}: larger than {MAX_BYTES} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DlderiveError(f"{path}: not valid TOML ({exc})") from None
    where = Where(str(path))
    _check_table(where, data, TOP, "the handout")
    sections = data["sections"]
    if not isinstance(sections, list) or not sections:
        raise where.error("sections", "must be a non-empty array of tables ([[sections]])")
    count = 0
    for i, section in enumerate(sections, 1):
        if not isinstance(section, dict):
            raise where.error("sections", f"section {i} must be a table")
        swhere = where.at(section=f"section {i} ({section.get('title', 'untitled')})")
        _check_table(swhere, section, SECTION, "a section")
        items = section["items"]
        if not isinstance(items, list) or not items:
            raise swhere.error("items", "must be a non-empty array of tables ([[sections.items]])")
        for j, item in enumerate(items, 1):
            label = item.get("heading", "") if isinstance(item, dict) else ""
            validate_item(swhere.at(item=f"item {j}" + (f" ({label})" if label else "")), item)
            count += 1
    if count > MAX_ITEMS:
        raise where.error("items", f"more than {MAX_ITEMS} items")
    for _, _, item, iwhere in placed_items(data, where):
        KINDS[item["kind"]].build(iwhere, draw(item, 0), check_only=True)
    return Handout(path, data)


def placed_items(data: dict, where: Where):
    """(section number, item number, item, Where naming both) for every item, in order."""
    for i, section in enumerate(data["sections"], 1):
        for j, item in enumerate(section["items"], 1):
            label = item.get("heading", "")
            yield i, j, item, where.at(section=f"section {i} ({section['title']})",
                                       item=f"item {j}" + (f" ({label})" if label else ""))


# ---------------------------------------------------------------------------------- variants


def draw(value, seed: int | None, key: str = ""):
    """``value`` with every range replaced by a number drawn for ``seed`` (seed None or 0: variant 0)."""
    if isinstance(value, dict) and ("choose" in value or ("min" in value and "max" in value)
                                    and set(value) <= {"min", "max", "digits"}):
        rng = random.Random(f"{seed or 0}/{key}")
        if "choose" in value:
            return rng.choice(value["choose"])
        lo, hi = value["min"], value["max"]
        if _is_int(lo) and _is_int(hi):
            return rng.randint(lo, hi)
        return round(rng.uniform(lo, hi), value.get("digits", 2))
    if isinstance(value, dict):
        return {k: draw(v, seed, f"{key}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [draw(v, seed, f"{key}[{i}]") for i, v in enumerate(value)]
    return value


def has_ranges(value) -> bool:
    if isinstance(value, dict):
        return ("min" in value and "max" in value) or "choose" in value or any(map(has_ranges, value.values()))
    if isinstance(value, list):
        return any(map(has_ranges, value))
    return False


# ---------------------------------------------------------------------------------- building


@dataclass(frozen=True)
class Built:
    """What one item contributes: question parts and answer parts."""

    question: tuple = ()
    answer: tuple = ()


def build_document(handout: Handout, seed: int | None = None, answers: bool = True,
                   notation: Notation | None = None) -> Document:
    """The Document of ``handout`` for variant ``seed`` (answers proven by the engine, or left out)."""
    data = handout.data
    notation = notation or preset(data.get("notation", "sample"))
    where = Where(str(handout.path))
    items: dict[int, list[Item]] = {i: [] for i in range(1, len(data["sections"]) + 1)}
    for i, j, item, iwhere in placed_items(data, where):
        drawn = draw(item, seed, f"{i}.{j}")
        built = KINDS[item["kind"]].build(iwhere, drawn, notation=notation)
        question = _present(drawn.get("question")) + built.question
        answer = _present(drawn.get("before")) + built.answer + _present(drawn.get("after"))
        items[i].append(Item(heading=item.get("heading", ""), question=question, answer=answer))
    sections = [Section(title=section["title"], items=tuple(items[i]), intro=_present(section.get("intro")))
                for i, section in enumerate(data["sections"], 1)]
    variant = f"variant {seed}" if seed is not None and has_ranges(data) else ""
    return Document(title=data["title"], author=data.get("author", ""), sections=tuple(sections),
                    notation=notation, answers=answers, variant=variant,
                    intro=_present(data.get("intro")))


def _present(text: str | None) -> tuple:
    return (text,) if text else ()


def math_list(pairs) -> str:
    """``$a = 1$, $b = 2$`` for (LaTeX name, number) pairs: generated prose, numbers formatted."""
    return ", ".join(f"${name} = {value}$" for name, value in pairs)


# --- text
@item_kind("text", text=(_text, True), answer_only=(_bool, False))
def _text_item(where, item, notation=None, check_only=False):
    if check_only:
        return None
    if item.get("answer_only"):
        return Built(answer=(item["text"],))
    return Built(question=(item["text"],))


# --- derivation
@item_kind("derivation", name=(_text, True), form=(_one_of("scalar", "vector"), False))
def _derivation_item(where, item, notation=None, check_only=False):
    try:
        from .derive import DERIVATIONS, derive
    except ImportError:
        raise where.error("name", "the derivation engine (dlderive.derive) is not available") from None
    name, form = item["name"], item.get("form", "scalar")
    if name not in DERIVATIONS:
        raise where.error("name", f"unknown derivation {name!r}; known: {', '.join(DERIVATIONS)}")
    if check_only:
        return None
    try:
        return Built(answer=(derive(name, form),))
    except DlderiveError as exc:
        raise where.error("form", str(exc)) from None


# --- numeric evaluation of a cell's equations
@item_kind("evaluate", cell=(_text, True), targets=(_names, True), values=(_numbers_table, True),
           digits=(_int, False))
def _evaluate_item(where, item, notation=None, check_only=False):
    from .cells import CELLS
    if item["cell"] not in CELLS:
        raise where.error("cell", f"unknown cell {item['cell']!r}; known: {', '.join(CELLS)}")
    cell = CELLS[item["cell"]]
    equations = {cell.symbols[i]: e for i, e in cell.equations}
    defined = {s.name for s in equations}
    for t in item["targets"]:
        if t not in defined:
            raise where.error("targets", f"{t!r} is not an equation of {cell.name}; equations: {', '.join(sorted(defined))}")
    leaves = sorted({s.name for e in equations.values() for s in e.free_symbols} - defined)
    for k in item["values"]:
        if k not in leaves:
            raise where.error(f"values.{k}", f"not an input, state or parameter of {cell.name}; "
                                             f"expected: {', '.join(leaves)}")
    needed = _needed(equations, [cell.symbols[t] for t in item["targets"]])
    for k in sorted(needed):
        if k not in item["values"]:
            raise where.error(f"values.{k}", "missing: the targets need it")
    if check_only:
        return None
    values = {cell.symbols[k]: float(v) for k, v in item["values"].items()}
    derivation = evaluate(cell.name, equations, [cell.symbols[t] for t in item["targets"]], values)
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


def evaluate(name: str, equations: dict, targets: list, values: dict) -> Derivation:
    """Per target: symbolic line, substitution line, value; each line checked numerically."""
    known = dict(values)  # symbol -> float, grows with each evaluated target
    steps = []
    for target in targets:
        for dependency in _order(equations, target):
            if dependency not in known:
                known[dependency] = _value(equations[dependency], known)
        expr = in_print_order(equations[target])
        with sp.evaluate(False):
            shown = expr.xreplace({s: Literal(known[s]) for s in expr.free_symbols})
        known[target] = _value(equations[target], known)
        steps += [Step(target, expr, "definition"), Step(expr, shown, "substitution"),
                  Step(shown, Literal(known[target]), "evaluation")]
        realize = {s: sp.Float(v, 30) for s, v in known.items()}
        for step in steps[-3:]:
            _check_numeric(step, realize)
    return Derivation(name=f"{name}.evaluate", form="numeric", title="gate activations", steps=tuple(steps),
                      definitions={s.name: e for s, e in equations.items()})


def _order(equations: dict, target) -> list:
    """The equations that ``target`` needs, dependencies first."""
    out = []

    def visit(s):
        for f in sorted(equations[s].free_symbols, key=str):
            if f in equations and f not in out:
                visit(f)
        if s not in out:
            out.append(s)
    visit(target)
    return out[:-1]


def _value(expr: sp.Expr, known: dict) -> float:
    symbols = sorted(expr.free_symbols, key=str)
    f = sp.lambdify(symbols, expr, modules=[MATH_FUNCTIONS, "math"])
    return float(f(*(known[s] for s in symbols)))


def _number_of(expr: sp.Basic, realize: dict) -> float:
    lits = {a: a.number for a in expr.atoms(Literal)}
    e = expr.xreplace(lits).xreplace(realize)
    return float(sp.N(e.rewrite(sp.exp), 30))


def _check_numeric(step: Step, realize: dict) -> None:
    lhs, rhs = _number_of(step.lhs, realize), _number_of(step.rhs, realize)
    if not math.isclose(lhs, rhs, rel_tol=1e-12, abs_tol=1e-12):
        raise DlderiveError(f"internal: evaluation step {step.lhs} = {step.rhs} gives {lhs} != {rhs}")


# --- convolution exercises
_LAYER = _one_of("conv", "maxpool", "avgpool", "transposed")


@item_kind("conv_size", input=(_ints, True), kernel=(_ints, True), stride=(_ints, False),
           padding=(_ints, False), dilation=(_ints, False), layer=(_LAYER, False))
def _conv_size_item(where, item, notation=None, check_only=False):
    from . import conv
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


@item_kind("conv_inverse", output=(_int, True), kernel=(_int, True), stride=(_int, True),
           padding=(_int, False), dilation=(_int, False), layer=(_LAYER, False))
def _conv_inverse_item(where, item, notation=None, check_only=False):
    from . import conv
    result = _conv_call(where, conv.solve, dict(unknown="input", output=item["output"],
                                                kind=item.get("layer", "conv"), kernel=item["kernel"],
                                                stride=item["stride"], padding=item.get("padding", 0),
                                                dilation=item.get("dilation", 1)))
    if check_only:
        return None
    given = math_list([("D_{out}", item["output"]), ("P", item.get("padding", 0)), ("k", item["kernel"]),
                       ("S", item["stride"])])
    if result.solutions.is_empty:
        summary = f"No input size gives this output: {result.reason}."
    else:
        values = result.values
        listed = ", ".join(map(str, values))
        summary = (f"All solutions: $D_{{in}} \\in \\{{{listed}\\}}$. " + (
            f"The floor in the formula maps {len(values)} input sizes to the same output, so the "
            f"inverse problem has {len(values)} solutions, not one." if len(values) > 1 else
            "The solution is unique."))
    return Built(question=(f"Given {given}, find every input size $D_{{in}}$.",),
                 answer=(result.derivation, summary))


@item_kind("conv_counts", in_channels=(_int, True), out_channels=(_int, True), kernel=(_ints, True),
           output=(_ints, True), bias=(_bool, False), groups=(_int, False))
def _conv_counts_item(where, item, notation=None, check_only=False):
    from . import conv
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
                 answer=(convention, *result.derivations, summary,
                         f"For comparison, what common tools report for this layer: {tools}."))


def _layers(where, key, v):
    if not isinstance(v, list) or not v or not all(isinstance(x, dict) for x in v):
        raise where.error(key, "must be a non-empty array of layer tables")


def _shape(where, key, v):
    if isinstance(v, str):
        return _text(where, key, v)
    if not isinstance(v, list) or not v or not all(_is_int(x) for x in v):
        raise where.error(key, 'must be a shape such as "3x32x32" or [3, 32, 32]')


@item_kind("network", input=(_shape, True), layers=(_layers, True), steps=(_bool, False))
def _network_item(where, item, notation=None, check_only=False):
    from . import network
    try:
        table = network.build(network.from_dict({"input": item["input"], "layers": item["layers"]},
                                                source=where.path))
    except DlderiveError as exc:
        raise where.error("layers", str(exc).removeprefix(f"{where.path}: ")) from None
    if check_only:
        return None
    if any(not isinstance(v, int) for v in table.input):
        raise where.error("input", "a handout network needs numeric input sizes")
    shape = " \\times ".join(map(str, table.input))
    layers = "\n".join(f"- {r.index}: {_layer_text(layer)}" for r, layer in zip(table.rows, item["layers"]))
    times = " \\times "
    rows = "\n".join(
        f"- {r.index} {r.type}: output ${times.join(map(str, r.shape))}$, parameters {int(r.params):,}, "
        f"MACs {int(r.macs):,}" for r in table.rows)
    totals = f"Total: **{int(table.params):,}** parameters, **{int(table.macs):,}** multiply-accumulates (MACs)."
    answer = (rows, totals) + (tuple(d for r in table.rows for d in r.derivations) if item.get("steps") else ())
    return Built(question=(f"Input ${shape}$. Layers:\n\n{layers}\n\nGive each layer's output shape, "
                           "parameters and multiply-accumulates.",), answer=answer)


def _layer_text(layer: dict) -> str:
    """``conv (out_channels 6, kernel 5)``: a layer as written in the handout, for the question."""
    rest = ", ".join(f"{k} {v}" for k, v in layer.items() if k != "type")
    return f"{layer.get('type', '?')}" + (f" ({rest})" if rest else "")


def _tuple(v, sep: str = ", ") -> str:
    return f"({sep.join(map(str, v))})" if isinstance(v, list) and len(v) > 1 else str(v[0] if isinstance(v, list) else v)


def _conv_call(where: Where, fn, args: dict):
    try:
        return fn(**args)
    except DlderiveError as exc:
        key = str(exc).split(":", 1)[0] if ":" in str(exc) else "parameters"
        raise where.error(key, str(exc)) from None
