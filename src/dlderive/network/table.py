"""A network's table: the output shape, parameters and MACs of every layer, also for a symbolic input.

Every size and count comes from the formulas declared once in ``dlderive.conv`` (substituted, never
re-typed); with symbolic input sizes the table holds formulas and the conditions a valid input must meet.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import sympy as sp

from .. import conv
from ..conv.formulas import add, mul
from ..conv.validation import check_common, parameter_error
from ..errors import DlderiveError
from ..steps import Displayable
from .reading import Network
from .schema import layer_label

LINEAR_MACS = mul(sp.Symbol("F_in", positive=True, integer=True), sp.Symbol("F_out", positive=True, integer=True))
"""A linear layer's MACs: F_in · F_out (one product per weight)."""
LINEAR_PARAMS = add(LINEAR_MACS, mul(conv.BIAS, sp.Symbol("F_out", positive=True, integer=True)))
"""A linear layer's parameters: F_in · F_out + b · F_out."""
BATCHNORM_PARAMS = mul(2, sp.Symbol("C", positive=True, integer=True))
"""Batch norm parameters: γ and β per channel, 2C (running statistics are buffers, not parameters)."""

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
        raise DlderiveError("give an input shape (in the file or with --input)", file=network.source, key="input")
    start = shape
    rows, conditions = [], []
    src = network.source
    for index, layer in enumerate(network.layers):
        try:
            shape, row, conds = _layer(src, index, layer, shape)
        except DlderiveError as exc:
            if exc.location.file:
                raise
            key, problem = parameter_error(exc)
            raise DlderiveError(problem, file=src, item=layer_label(index, layer["type"]), key=key) from None
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
            _fail(src, index, layer, "type", f"{kind} needs a (channels, spatial...) input, got a flat vector of {shape[0]}")
        c_in, spatial = shape[0], shape[1:]
        n = len(spatial)
        k, s, d = (conv.per_dim(key, layer.get(key) or 1, n) for key in ("kernel", "stride", "dilation"))
        if kind in ("maxpool", "avgpool") and layer["stride"] is None:
            s = k  # PyTorch pooling: stride defaults to the kernel size
        pad = layer["padding"]
        op = conv.per_dim("output_padding", layer.get("output_padding", 0), n)
        c_out = layer.get("out_channels", c_in)
        if layer.get("in_channels") not in (None, c_in):
            _fail(src, index, layer, "in_channels", f"{layer['in_channels']} given, but the input has {c_in} channels")
        groups = layer.get("groups", 1)
        if kind in ("conv", "transposed"):
            for name, c in (("in_channels", c_in), ("out_channels", c_out)):
                if c % groups:
                    _fail(src, index, layer, "groups", f"{name} {c} is not divisible by groups {groups}")
        if all(isinstance(v, int) for v in spatial):
            result = conv.output_size(kind, spatial, k, s, pad, d, op, layer.get("ceil_mode", False))
            out, derivations = result.output, result.derivations
        else:
            if isinstance(pad, str):
                _fail(src, index, layer, "padding", "'same'/'valid' need a numeric input size; give an integer")
            pads = conv.per_dim("padding", pad, n)
            for i in range(n):  # the rules that do not depend on the input size
                check_common(kind, conv.MAX_SIZE, k[i], s[i], pads[i], d[i], op[i])
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
            _fail(src, index, layer, "type", f"linear needs a flat input; add a flatten layer before it (input {_show(shape)})")
        f_in = layer["in_features"] if layer["in_features"] is not None else shape[0]
        if layer["in_features"] is not None:
            if isinstance(shape[0], int):
                if shape[0] != f_in:
                    _fail(src, index, layer, "in_features", f"{f_in} given, but the flattened input has {shape[0]} features")
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


def _fail(src, index, layer, key, message):
    raise DlderiveError(message, file=src, item=layer_label(index, layer["type"]), key=key)
