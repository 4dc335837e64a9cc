"""Output sizes of conv, transposed conv and pooling layers, per spatial dimension, with proven steps."""
from __future__ import annotations

import dataclasses

import sympy as sp

from ..steps import Step
from .chain import chain, plug
from .formulas import (C, CEIL_POOL, CEIL_WINDOWS, CONV, CONV_LR, CONVENTIONS, D_IN, D_OUT, DIL, DIM_NAMES, K,
                       KINDS, OP, P, P_L, P_R, S, TF_SAME, TF_SAME_PAD, TORCH_SAME_PAD, TRANSPOSED, POSITIVE)
from .results import ConvResult
from .validation import check_common, flag, integers, per_dim, require

def _one_dim(kind, dim, size, k, s, p, d, op, ceil_mode, convention):
    """(value, (left, right) padding, derivation) for one spatial dimension."""
    sym_in, sym_out = sp.Symbol(f"{dim}_in", **POSITIVE), sp.Symbol(f"{dim}_out", **POSITIVE)
    base = {K: k, S: s, DIL: d}
    title = f"{kind} output size, dimension {dim}"
    rename = {D_IN: sym_in, D_OUT: sym_out}

    def run(formula, values, pads=(p, p), lhs=sym_out, before=()):
        values = {**base, **values}
        values[sym_in] = values.pop(D_IN, size)
        deriv, value = chain(str(lhs), title, lhs, plug(formula, rename), values)
        require(value >= 1, f"kernel: output size {value} < 1 in dimension {dim}: the window does not fit "
                             f"the padded input {size} + 2*{p}")
        steps = tuple(st for d_ in before for st in d_.steps) + deriv.steps
        return value, pads, dataclasses.replace(deriv, name=f"{dim}_out", steps=steps,
                                                definitions={**deriv.definitions, **{k_: v for d_ in before for k_, v in d_.definitions.items()}},
                                                result=Step(sym_out, value, "result"))

    if p == "valid":
        p = 0
    if p == "same":
        if convention == "tensorflow":
            check_common(kind, size, k, s, 0, d, op, fixed_padding=False)
            require(kind != "transposed", "padding: 'same' for transposed convolution is not supported; give an integer")
            value, _, deriv = run(TF_SAME, {})
            pad, total = chain(f"P_{dim}", "total 'same' padding", sp.Symbol("P_total"), plug(TF_SAME_PAD, rename),
                               {**base, sym_in: size, sym_out: value})
            deriv = dataclasses.replace(deriv, steps=deriv.steps + pad.steps, definitions={**deriv.definitions, **pad.definitions})
            return value, (total // 2, total - total // 2), deriv
        require(kind == "conv", f"padding: 'same' is a convolution option in PyTorch, not for {kind}")
        require(s == 1, f"padding: 'same' needs stride 1 under PyTorch semantics (got stride {s}); "
                         "use --convention tensorflow")
        check_common(kind, size, k, s, 0, d, op, fixed_padding=False)
        pad, total = chain("P_total", "total 'same' padding", sp.Symbol("P_total"), TORCH_SAME_PAD, base)
        left, right = total // 2, total - total // 2
        return run(CONV_LR, {P_L: left, P_R: right}, pads=(left, right), before=(pad,))
    check_common(kind, size, k, s, p, d, op)
    values = {P: p}
    if kind == "transposed":
        value = (size - 1) * s - 2 * p + d * (k - 1) + op + 1
        require(value >= 1, f"padding: 2P = {2 * p} removes the whole output (output size {value})")
        return run(TRANSPOSED, {P: p, OP: op})
    if kind != "conv" and ceil_mode:
        count, _, first = run(CEIL_WINDOWS, values, lhs=C)
        return run(CEIL_POOL, {**values, C: count}, before=(first,))
    return run(CONV, values)


def output_size(kind, size, kernel, stride=1, padding=0, dilation=1, output_padding=0,
                ceil_mode=False, convention="pytorch") -> ConvResult:
    """Output size per spatial dimension (1-3) of a conv, transposed conv or pooling layer, with steps."""
    require(kind in KINDS, f"kind: must be one of {', '.join(KINDS)} (got {kind!r})")
    require(convention in CONVENTIONS, f"convention: must be pytorch or tensorflow (got {convention!r})")
    sizes = integers("input", size)
    n = len(sizes)
    ceil_mode = flag("ceil_mode", ceil_mode)
    if isinstance(padding, str):
        require(padding in ("same", "valid"), f"padding: an integer, 'same' or 'valid' (got {padding!r})")
        require(kind == "conv" or convention == "tensorflow",
                f"padding: PyTorch's {kind} layers take an integer padding, not {padding!r}")
        pads = (padding,) * n
    else:
        pads = per_dim("padding", padding, n)
    ks, ss, ds, ops = (per_dim(nm, v, n) for nm, v in
                       (("kernel", kernel), ("stride", stride), ("dilation", dilation), ("output_padding", output_padding)))
    if kind == "avgpool" and n == 3:  # PyTorch's AvgPool3d also checks the unpadded input against the kernel
        for size_, k_ in zip(sizes, ks):
            require(size_ >= k_, f"kernel: 3-D average pooling needs every input size >= the kernel (got {size_} < {k_})")
    dims = [_one_dim(kind, DIM_NAMES[n][i], sizes[i], ks[i], ss[i], pads[i], ds[i], ops[i], ceil_mode, convention)
            for i in range(n)]
    return ConvResult(tuple(v for v, _, _ in dims), tuple(dv for _, _, dv in dims),
                      tuple(pd for _, pd, _ in dims), kind, convention)
