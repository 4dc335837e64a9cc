"""Layer stacks declared in TOML: output shapes, parameters and MACs per layer, also for a symbolic input.

Every size and count comes from the formulas declared once in conv.py (substituted, never re-typed);
with symbolic input sizes the table holds formulas, and ``valid_inputs`` finds every input size for which
each layer has an output of at least 1 and the flattened size matches the linear layer that follows.
"""
from __future__ import annotations

import functools
import itertools
import math
import re
import tomllib
from fractions import Fraction
from dataclasses import dataclass
from pathlib import Path

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from . import conv
from .errors import DlderiveError
from .steps import Derivation, Displayable, Step

REQUIRED = object()
INT, INTS, BOOL, FLOAT, PAD = "integer", "integer or list of integers", "boolean", "number", "integer, list, 'same' or 'valid'"
_CONV_KEYS = {"out_channels": (INT, REQUIRED), "kernel": (INTS, REQUIRED), "stride": (INTS, 1), "padding": (PAD, 0),
              "dilation": (INTS, 1), "groups": (INT, 1), "bias": (BOOL, True), "in_channels": (INT, None)}
_POOL_KEYS = {"kernel": (INTS, REQUIRED), "stride": (INTS, None), "padding": (INTS, 0), "ceil_mode": (BOOL, False)}
LAYERS = {
    "conv": _CONV_KEYS,
    "transposed": {**_CONV_KEYS, "output_padding": (INTS, 0)},
    "maxpool": {**_POOL_KEYS, "dilation": (INTS, 1)},
    "avgpool": _POOL_KEYS,
    "linear": {"out_features": (INT, REQUIRED), "in_features": (INT, None), "bias": (BOOL, True)},
    "flatten": {},
    "batchnorm": {"affine": (BOOL, True)},
    "dropout": {"p": (FLOAT, 0.5)},
    "leaky_relu": {"negative_slope": (FLOAT, 0.01)},
    **{name: {} for name in ("relu", "tanh", "sigmoid", "gelu", "identity")},
}
"""Layer type -> its keys: (expected type, default); REQUIRED keys must be given."""
TOP_KEYS = ("name", "description", "input", "layers")
LINEAR_MACS = conv._mul(sp.Symbol("F_in", positive=True, integer=True), sp.Symbol("F_out", positive=True, integer=True))
"""A linear layer's MACs: F_in · F_out (one product per weight)."""
LINEAR_PARAMS = conv._add(LINEAR_MACS, conv._mul(conv.BIAS, sp.Symbol("F_out", positive=True, integer=True)))
"""A linear layer's parameters: F_in · F_out + b · F_out."""
BATCHNORM_PARAMS = conv._mul(2, sp.Symbol("C", positive=True, integer=True))
"""Batch norm parameters: γ and β per channel, 2C (running statistics are buffers, not parameters)."""
SIZE_TOKEN = re.compile(r"[0-9]{1,7}|[A-Z][A-Z0-9_]{0,7}")
MAX_LAYERS = 500


@dataclass(frozen=True)
class Network:
    name: str
    layers: tuple[dict, ...]  # each {"type": ..., key: value} with defaults filled in
    input: tuple | None = None
    source: str = "<network>"


@dataclass(frozen=True)
class Row:
    """One line of the table: the shape after layer ``index`` and its parameters and MACs."""

    index: int
    type: str
    shape: tuple  # (C, *spatial) or (F,); entries are ints or SymPy expressions in the input symbols
    params: sp.Expr
    macs: sp.Expr
    derivations: tuple = ()


@dataclass(frozen=True)
class Table(Displayable):
    network: Network
    input: tuple
    rows: tuple[Row, ...]
    conditions: tuple  # (layer index, key, condition that must hold) for a valid input

    @property
    def params(self):
        return sp.Add(*(r.params for r in self.rows))

    @property
    def macs(self):
        return sp.Add(*(r.macs for r in self.rows))

    @property
    def symbols(self):
        return sorted({s for v in self.input if isinstance(v, sp.Basic) for s in v.free_symbols}, key=str)


# --- reading ----------------------------------------------------------------------------------
def _fail(source, index, key, message):
    where = f"{source}: layer {index}" if index is not None else source
    raise DlderiveError(f"{where}: {key}: {message}")


def _check_value(source, index, key, kind, value):
    ok = {
        INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
        INTS: lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (
            isinstance(v, list) and 1 <= len(v) <= 3 and all(isinstance(x, int) and not isinstance(x, bool) for x in v)),
        BOOL: lambda v: isinstance(v, bool),
        FLOAT: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        PAD: lambda v: v in ("same", "valid") or _check_value(source, index, key, INTS, v) is None,
    }[kind]
    try:
        good = ok(value)
    except DlderiveError:
        good = False
    if not good:
        _fail(source, index, key, f"expected {kind}, got {value!r}")
    if kind in (INT, INTS):
        for v in value if isinstance(value, list) else [value]:
            if abs(v) > conv.MAX_SIZE:
                _fail(source, index, key, f"{v} exceeds the bound {conv.MAX_SIZE}")
    return None


def parse_input(text: str, source="input"):
    """'3x224x224' or '3xDxD' -> (3, 224, 224) / (3, D, D); symbols are upper-case names, never evaluated."""
    tokens = text.split("x")
    if not 2 <= len(tokens) <= 4 or not all(SIZE_TOKEN.fullmatch(t) for t in tokens):
        raise DlderiveError(f"{source}: {text!r} is not a shape like 3x224x224 or 3xDxD (channels first, 1-3 sizes)")
    shape = tuple(int(t) if t.isdigit() else sp.Symbol(t, integer=True, positive=True) for t in tokens)
    if not isinstance(shape[0], int):
        raise DlderiveError(f"{source}: the channel count must be a number (got {tokens[0]})")
    for v in shape:
        if isinstance(v, int) and v < 1:
            raise DlderiveError(f"{source}: sizes must be positive integers (got {v})")
    return shape


def load(path) -> Network:
    """Read a network from a TOML file (stdlib tomllib); errors name the file, the layer and the key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DlderiveError(f"{path}: cannot read the file ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DlderiveError(f"{path}: not valid TOML ({str(exc).splitlines()[0]})") from None
    return from_dict(data, str(path))


def from_dict(data: dict, source="<network>") -> Network:
    for key in data:
        if key not in TOP_KEYS:
            _fail(source, None, key, f"unknown key; expected one of {', '.join(TOP_KEYS)}")
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        _fail(source, None, "layers", "a non-empty array of [[layers]] tables is required")
    if len(layers) > MAX_LAYERS:
        _fail(source, None, "layers", f"at most {MAX_LAYERS} layers")
    shape = data.get("input")
    if shape is not None:
        if isinstance(shape, list) and all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in shape):
            shape = "x".join(map(str, shape))
        if not isinstance(shape, str):
            _fail(source, None, "input", f"expected a shape such as \"3x32x32\" or [3, 32, 32], got {shape!r}")
        shape = parse_input(shape, f"{source}: input")
    checked = []
    for index, layer in enumerate(layers):
        if not isinstance(layer, dict):
            _fail(source, index, "type", "each layer must be a table")
        kind = layer.get("type")
        if not isinstance(kind, str) or kind not in LAYERS:
            _fail(source, index, "type", f"unknown layer type {kind!r}; expected one of {', '.join(LAYERS)}")
        spec = LAYERS[kind]
        for key, value in layer.items():
            if key == "type":
                continue
            if key not in spec:
                _fail(source, index, key, f"unknown key for {kind}; expected one of {', '.join(spec) or 'no keys'}")
            _check_value(source, index, key, spec[key][0], value)
        for key, (_, default) in spec.items():
            if default is REQUIRED and key not in layer:
                _fail(source, index, key, f"required for {kind}")
        filled = {"type": kind, **{k: v for k, (_, v) in spec.items()}, **layer}
        checked.append({k: tuple(v) if isinstance(v, list) else v for k, v in filled.items()})
    return Network(str(data.get("name", Path(source).stem)), tuple(checked), shape, source)


# --- shapes, parameters, MACs ---------------------------------------------------------------
def _size_formula(kind, size, k, s, p, d, op=0, ceil_mode=False):
    """The output-size formula of conv.py with this layer's numbers substituted (size may be symbolic)."""
    values = {conv.K: k, conv.S: s, conv.P: p, conv.DIL: d, conv.OP: op}
    formula = _evaluated("transposed" if kind == "transposed" else "ceil" if kind != "conv" and ceil_mode else "conv")
    return formula.xreplace({**{sym: sp.Integer(v) for sym, v in values.items()}, conv.D_IN: size})


@functools.cache
def _evaluated(name):
    """conv.py's formula for ``name``, evaluated once (the shown, unevaluated form is for derivations)."""
    shown = {"transposed": conv.TRANSPOSED, "conv": conv.CONV,
             "ceil": conv.plug(conv.CEIL_POOL, {conv.C: conv.CEIL_WINDOWS})}[name]
    return shown.doit()


def _count(name, values):
    expr = conv.COUNT_FORMULAS[name].doit()
    return expr.xreplace({sym: (sp.Integer(v) if isinstance(v, int) else v) for sym, v in values.items()})


def build(network: Network, input_shape=None) -> Table:
    """The table for ``input_shape`` (or the network's own input); numeric layers carry proven steps."""
    shape = tuple(input_shape or network.input or ())
    if not shape:
        raise DlderiveError(f"{network.source}: input: give an input shape (in the file or with --input)")
    start = shape
    rows, conditions = [], []
    src = network.source
    for index, layer in enumerate(network.layers):
        try:
            shape, row, conds = _layer(src, index, layer, shape)
        except DlderiveError as exc:
            if str(exc).startswith(src):
                raise
            raise DlderiveError(f"{src}: layer {index}: {exc}") from None
        rows.append(row)
        conditions.extend(conds)
    return Table(network, start, tuple(rows), tuple(conditions))


def _layer(src, index, layer, shape):
    """(output shape, table row, validity conditions) of one layer."""
    conditions = []
    kind = layer["type"]
    params = macs = sp.Integer(0)
    derivations = ()
    if kind in ("conv", "transposed", "maxpool", "avgpool"):
        if len(shape) < 2:
            _fail(src, index, "type", f"{kind} needs a (channels, spatial...) input, got a flat vector of {shape[0]}")
        c_in, spatial = shape[0], shape[1:]
        n = len(spatial)
        k, s, d = (conv.per_dim(key, layer.get(key) or 1, n) for key in ("kernel", "stride", "dilation"))
        if kind in ("maxpool", "avgpool") and layer["stride"] is None:
            s = k  # PyTorch pooling: stride defaults to the kernel size
        pad = layer["padding"]
        op = conv.per_dim("output_padding", layer.get("output_padding", 0), n)
        c_out = layer.get("out_channels", c_in)
        if layer.get("in_channels") not in (None, c_in):
            _fail(src, index, "in_channels", f"{layer['in_channels']} given, but the input has {c_in} channels")
        groups = layer.get("groups", 1)
        if kind in ("conv", "transposed"):
            for name, c in (("in_channels", c_in), ("out_channels", c_out)):
                if c % groups:
                    _fail(src, index, "groups", f"{name} {c} is not divisible by groups {groups}")
        if all(isinstance(v, int) for v in spatial):
            result = conv.output_size(kind, spatial, k, s, pad, d, op, layer.get("ceil_mode", False))
            out, derivations = result.output, result.derivations
        else:
            if isinstance(pad, str):
                _fail(src, index, "padding", "'same'/'valid' need a numeric input size; give an integer")
            pads = conv.per_dim("padding", pad, n)
            for i in range(n):  # the rules that do not depend on the input size
                conv._check_common(kind, conv.MAX_SIZE, k[i], s[i], pads[i], d[i], op[i])
            out = tuple(_size_formula(kind, spatial[i], k[i], s[i], pads[i], d[i], op[i], layer.get("ceil_mode", False))
                        for i in range(n))
            for i in range(n):
                dim = conv.DIM_NAMES[n][i]
                for key, cond in ((f"{dim}_out >= 1", sp.GreaterThan(out[i], 1)),
                                  (f"{dim}_in >= kernel", sp.GreaterThan(spatial[i], k[i])
                                   if kind == "avgpool" and n == 3 else sp.true)):
                    if cond is not sp.true:  # (AvgPool3d also needs the unpadded input >= the kernel)
                        conditions.append((index, key, cond))
        if kind in ("conv", "transposed"):
            values = {conv.C_IN: c_in, conv.C_OUT: c_out, conv.G: groups, conv.KPROD: math.prod(k),
                      conv.NOUT: sp.Mul(*out), conv.NIN: sp.Mul(*spatial), conv.BIAS: int(layer["bias"])}
            params = _count("weights", values) + _count("bias", values)
            macs = _count("multiplications_t" if kind == "transposed" else "multiplications", values)
        shape = (c_out, *out)
    elif kind == "flatten":
        shape = (sp.Mul(*shape) if not all(isinstance(v, int) for v in shape) else math.prod(shape),)
    elif kind == "linear":
        if len(shape) != 1:
            _fail(src, index, "type", f"linear needs a flat input; add a flatten layer before it (input {_show(shape)})")
        f_in = layer["in_features"] if layer["in_features"] is not None else shape[0]
        if layer["in_features"] is not None:
            if isinstance(shape[0], int):
                if shape[0] != f_in:
                    _fail(src, index, "in_features", f"{f_in} given, but the flattened input has {shape[0]} features")
            else:
                conditions.append((index, "in_features", sp.Eq(shape[0], f_in)))
        f_out = layer["out_features"]
        symbols = {s.name: s for s in LINEAR_PARAMS.free_symbols}
        sub = {symbols["F_in"]: f_in, symbols["F_out"]: sp.Integer(f_out), conv.BIAS: int(layer["bias"])}
        params = LINEAR_PARAMS.doit().xreplace(sub)
        macs = LINEAR_MACS.doit().xreplace(sub)
        shape = (f_out,)
    elif kind == "batchnorm":
        if layer["affine"]:
            params = BATCHNORM_PARAMS.doit().xreplace({next(iter(BATCHNORM_PARAMS.free_symbols)): shape[0]})
    row = Row(index, kind, tuple(_int_or_expr(v) for v in shape), _int_or_expr(params), _int_or_expr(macs),
              derivations)
    return shape, row, conditions


def _int_or_expr(v):
    v = sp.sympify(v) if isinstance(v, int) else v
    return int(v) if v.is_Integer else v


def _show(shape):
    return "x".join(str(v) for v in shape)


# --- valid inputs -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ValidInputs:
    """Every input size (per symbol) for which the network runs: boxes of per-symbol intervals."""

    boxes: tuple[dict, ...]  # each {symbol name: (lo, hi or None)}
    derivation: Derivation

    @property
    def empty(self):
        return not self.boxes


class _ExactPrinter(PythonCodePrinter):
    """Rationals as fractions.Fraction, so that floor and ceiling stay exact."""

    def _print_Rational(self, expr):
        return f"Fraction({expr.p}, {expr.q})"

    def _print_Half(self, expr):
        return "Fraction(1, 2)"


def _fast(expr, sym):
    """``expr`` as an exact Python function of ``sym`` (Fraction arithmetic) for bisection."""
    f = sp.lambdify(sym, expr, modules=[{"floor": math.floor, "ceiling": math.ceil, "Fraction": Fraction}, "math"],
                    printer=_ExactPrinter({"fully_qualified_modules": False, "inline": True,
                                           "allow_unknown_functions": True, "user_functions": {}}))
    return lambda x: f(Fraction(x))


def _first_true(predicate, lo=1, hi=conv.MAX_SIZE):
    """Smallest x in [lo, hi] with predicate(x), for a predicate that stays true once true; None if none."""
    if not predicate(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if predicate(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def valid_inputs(table: Table) -> ValidInputs:
    """All input sizes for which every layer's output is ≥ 1 and every flattened size matches its linear layer.

    Every size is a non-decreasing function of each input size, so each condition "output ≥ 1" holds from
    a least value on (found by bisection), and "flattened size = F" holds on a finite interval per factor.
    """
    symbols = table.symbols
    if not symbols:
        return ValidInputs(({},), Derivation("valid_inputs", "numeric", "valid inputs", ()))
    steps = []
    lows = {s: 1 for s in symbols}
    seen = set()
    for index, key, cond in table.conditions:
        if cond in seen:  # the same condition for H and W of a square input
            continue
        seen.add(cond)
        if cond is sp.false:
            return _none(steps, f"layer {index}: {key} can never hold")
        if isinstance(cond, sp.Eq) or cond is sp.true:
            continue
        (sym,) = cond.free_symbols
        least = _first_true(_fast(cond, sym))
        if least is None:
            return _none(steps, f"layer {index}: {key} fails for every {sym} up to {conv.MAX_SIZE}")
        lows[sym] = max(lows[sym], least)
        steps.append(_interval_step(cond, sym, least, index, key))
    equalities = [(i, k, c) for i, k, c in table.conditions if isinstance(c, sp.Eq)]
    boxes = [{s: (lows[s], None) for s in symbols}]
    for index, key, eq in equalities:
        boxes = [b for box in boxes for b in _match_flatten(table, index, eq, box)]
        for box in boxes:  # own check: the equation holds at every corner of every box
            for corner in itertools.product(*[(lo, hi or lo) for lo, hi in box.values()]):
                if not bool(eq.xreplace({s: sp.Integer(v) for s, v in zip(box, corner)})):
                    raise DlderiveError(f"internal: layer {index} flatten match fails at {corner}")
        steps.append(Step(eq, sp.Or(*[_box_condition(b) for b in boxes]) if boxes else sp.false, "solve",
                          f"layer {index}: flattened size = in_features",
                          "factors non-decreasing in their symbols: preimages by bisection; checked at every corner"))
    named = tuple({str(s): v for s, v in b.items()} for b in boxes)
    return ValidInputs(named, Derivation("valid_inputs", "numeric", "valid input sizes", tuple(steps)))


def _none(steps, reason):
    return ValidInputs((), Derivation("valid_inputs", "numeric", reason, tuple(steps)))


def _interval_step(cond, sym, least, index, key):
    """cond ⇔ sym ≥ least, checked at least − 1 and least (cond is monotone in sym)."""
    below = least > 1 and bool(cond.xreplace({sym: sp.Integer(least - 1)}))
    if below or not bool(cond.xreplace({sym: sp.Integer(least)})):
        raise DlderiveError(f"internal: layer {index} condition is not monotone in {sym}")
    return Step(cond, sp.GreaterThan(sym, least), "solve", f"layer {index}: {key}",
                f"non-decreasing in {sym}; false at {least - 1}, true at {least}")


def _box_condition(box):
    parts = []
    for s, (lo, hi) in box.items():
        parts.append(sp.GreaterThan(s, lo) if hi is None else sp.And(sp.GreaterThan(s, lo), sp.LessThan(s, hi)))
    return sp.And(*parts)


def _match_flatten(table, index, eq, box):
    """Sub-boxes of ``box`` on which the flattened size ``eq.lhs`` equals ``eq.rhs``."""
    flat_index = max(r.index for r in table.rows if r.index < index and r.type == "flatten")
    before = table.rows[flat_index - 1].shape if flat_index > 0 else table.input
    channels, factors = before[0], before[1:]
    target = int(eq.rhs)
    if target % channels:
        return []
    target //= channels
    numeric = math.prod(f for f in factors if isinstance(f, int))
    symbolic = [f for f in factors if not isinstance(f, int)]
    if target % numeric:
        return []
    target //= numeric
    results = []
    fast = [_fast(factor, next(iter(factor.free_symbols))) for factor in symbolic]
    for values in _factorizations(target, len(symbolic)):
        sub = dict(box)
        ok = True
        for factor, f, v in zip(symbolic, fast, values):
            (sym,) = factor.free_symbols
            lo, hi = sub[sym]
            first = _first_true(lambda x: f(x) >= v, lo, hi or conv.MAX_SIZE)
            after = _first_true(lambda x: f(x) >= v + 1, lo, hi or conv.MAX_SIZE)
            last = (after - 1) if after is not None else (hi or conv.MAX_SIZE)
            if first is None or int(factor.xreplace({sym: sp.Integer(first)})) != v or first > last:
                ok = False
                break
            sub[sym] = (first, last)
        if ok:  # a symbol shared by several factors was narrowed factor by factor
            results.append(sub)
    return results


def _factorizations(n, parts):
    """Ordered tuples of ``parts`` positive integers whose product is n."""
    if parts == 0:
        return [()] if n == 1 else []
    if parts == 1:
        return [(n,)]
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    divisors = sorted(set(small + [n // d for d in small]))
    return [(d, *rest) for d in divisors for rest in _factorizations(n // d, parts - 1)]
