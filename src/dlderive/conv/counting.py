"""Exact parameter and operation counts of one conv layer, and what common tools report for it."""
from __future__ import annotations

import math

import sympy as sp

from .chain import chain
from .formulas import (BIAS, C_IN, C_OUT, COUNT_FORMULAS, G, KPROD, MAX_SIZE, NIN, NOUT, T_FULL, T_OUT, TOOLS,
                       TOOLS_T, over)
from .results import Counts
from .validation import flag, integer, integers, per_dim, require

def _touched(n, k, s, d, lo, hi):
    """How many positions in [lo, hi) receive a product i·S + j·d (0 ≤ i < n, 0 ≤ j < k), without enumerating
    them: the offsets j·d with one residue modulo S cover a union of index intervals [m, m + n)."""
    runs: dict[int, list[int]] = {}
    for j in range(k):
        residue, start = divmod(j * d, s)[::-1]
        runs.setdefault(residue, []).append(start)
    total = 0
    for residue, starts in runs.items():
        first, last = -((residue - lo) // s), -((residue - hi) // s)  # indices q with lo <= residue + q·S < hi
        end = None
        for start in sorted(starts):  # merge [start, start + n) into disjoint runs, each clipped to [first, last)
            a, b = max(start, end if end is not None else start), start + n
            if b > a:
                total += max(0, min(b, last) - max(a, first))
                end = b
    return total


def counts(in_channels, out_channels, kernel, output, groups=1, bias=True, transposed=False,
           input=None, stride=1, padding=0, dilation=1) -> Counts:
    """Parameters, exact multiplications and additions, MACs, FLOPs and tool figures of one conv layer.

    ``kernel``, ``output`` (and ``input``, ``stride``, ``padding``, ``dilation`` for transposed) per dimension.
    Conv: n = (C_in/g)·Πk products per output element, n − 1 additions (n with bias).
    Transposed: each input element scatters C_out/g·Πk products; additions are those of accumulating them
    (a position's first product is stored, not added) plus one bias add per output position that holds a product.
    MACs = multiplications; FLOPs = multiplications + additions.

    ``tools`` (batch 1): torchinfo "Mult-Adds" = (weights + bias)·N_out; fvcore "flops" = one per
    multiply-add, bias ignored (transposed: over input positions); ptflops "MACs" = multiply-adds + one
    bias add per output element; thop "MACs" = multiplications only, bias ignored; DeepSpeed "flops" =
    2·MACs + one bias add per output element (transposed MACs over input positions).
    """
    in_channels, out_channels, groups = (integer(name, v) for name, v in (
        ("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)))
    bias, transposed = flag("bias", bias), flag("transposed", transposed)
    for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
        require(1 <= v <= MAX_SIZE, f"{name}: must be a positive integer (got {v})")
    require(in_channels % groups == 0, f"groups: in_channels {in_channels} is not divisible by groups {groups}")
    require(out_channels % groups == 0, f"groups: out_channels {out_channels} is not divisible by groups {groups}")
    out = integers("output", output)
    for v in out:
        require(1 <= v <= MAX_SIZE, f"output: sizes must be positive integers up to {MAX_SIZE} (got {v!r})")
    n = len(out)
    ks = per_dim("kernel", kernel, n)
    values = {C_IN: in_channels, C_OUT: out_channels, G: groups, KPROD: math.prod(ks),
              NOUT: math.prod(out), BIAS: int(bias)}
    names = ["weights", "bias", "multiplications", "additions"]
    formulas = dict(COUNT_FORMULAS)
    if groups == 1:  # n = C_in·Πk, without a division by one
        with sp.evaluate(False):
            formulas = {k: f.xreplace({over(C_IN, G): C_IN}) for k, f in formulas.items()}
    tools = TOOLS
    if transposed:
        require(input is not None, "input: transposed counts need the input size")
        ins = per_dim("input", input, n)
        ss, ps, ds = (per_dim(nm, v, n) for nm, v in (("stride", stride), ("padding", padding), ("dilation", dilation)))
        for name, vs, least in (("input", ins, 1), ("stride", ss, 1), ("dilation", ds, 1), ("padding", ps, 0)):
            require(all(v >= least for v in vs), f"{name}: must be {'positive' if least else 'non-negative'} "
                                                 f"integers (got {vs if n > 1 else vs[0]})")
        for i in range(n):
            extent = (ins[i] - 1) * ss[i] + ds[i] * (ks[i] - 1) + 1 - 2 * ps[i]
            require(extent <= out[i] < extent + max(ss[i], ds[i]),
                    f"output: a transposed layer with these parameters gives {extent} to "
                    f"{extent + max(ss[i], ds[i]) - 1} in dimension {i + 1} (got {out[i]})")
        full = [_touched(ins[i], ks[i], ss[i], ds[i], 0, MAX_SIZE**2) for i in range(n)]
        kept = [_touched(ins[i], ks[i], ss[i], ds[i], ps[i], ps[i] + out[i]) for i in range(n)]
        values.update({NIN: math.prod(ins), T_FULL: math.prod(full), T_OUT: math.prod(kept)})
        formulas["multiplications"], formulas["additions"] = formulas["multiplications_t"], formulas["additions_t"]
        tools = TOOLS_T
    derivations, figures = [], {}
    for name in names:
        deriv, value = chain(name, f"{name} of the layer", sp.Symbol(name), formulas[name], values)
        derivations.append(deriv)
        figures[name] = value
    tool_figures = {name: int(expr.xreplace({s: sp.Integer(v) for s, v in values.items()}).doit())
                    for name, expr in tools.items()}
    return Counts(figures["weights"], figures["bias"], figures["multiplications"], figures["additions"],
                  tool_figures, tuple(derivations))
