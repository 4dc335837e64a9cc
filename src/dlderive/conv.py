"""Convolution and pooling arithmetic as SymPy expressions: output sizes, inverse problems, counts.

Every formula is declared once, unevaluated and in reading order; numbers come from substituting
into it, and each answer carries its proven steps (``Derivation`` with form "numeric").
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

from .errors import DlderiveError
from .proof import prove
from .steps import Derivation, Displayable, Step

KINDS = ("conv", "transposed", "maxpool", "avgpool")
CONVENTIONS = ("pytorch", "tensorflow")
SOLVABLE = ("input", "padding", "kernel", "stride", "dilation")
MAX_SIZE = 10**6  # every size, kernel, stride, padding and dilation is bounded
DIM_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}

_pos = dict(integer=True, positive=True)
D_IN, D_OUT = sp.Symbol("D_in", **_pos), sp.Symbol("D_out", **_pos)
K, S, DIL = sp.Symbol("k", **_pos), sp.Symbol("S", **_pos), sp.Symbol("d", **_pos)
P, P_L, P_R, OP = (sp.Symbol(n, integer=True, nonnegative=True) for n in ("P", "P_left", "P_right", "p_out"))
C = sp.Symbol("c", **_pos)  # window count before PyTorch's ceil_mode correction
SYMBOLS = {"input": D_IN, "padding": P, "kernel": K, "stride": S, "dilation": DIL, "output_padding": OP}


def _add(*terms):
    return sp.Add(*terms, evaluate=False)


def _mul(*factors):
    return sp.Mul(*factors, evaluate=False)


def _over(num, den):
    return _mul(num, sp.Pow(den, -1, evaluate=False))


def span(pad):
    """D + pad − d(k − 1) − 1: the room the first window leaves for the stride to move in."""
    return _add(D_IN, pad, _mul(-1, DIL, _add(K, -1)), -1)


def windows(pad, rounding=sp.floor):
    """D_out = ⌊(D + pad − d(k − 1) − 1)/S⌋ + 1 (PyTorch Conv, Pool; ⌈⌉ for ceil_mode)."""
    return _add(rounding(_over(span(pad), S), evaluate=False), 1)


CONV = windows(_mul(2, P))
CONV_LR = windows(_add(P_L, P_R))
CEIL_WINDOWS = windows(_mul(2, P), sp.ceiling)
CEIL_POOL = sp.Piecewise((_add(C, -1), sp.GreaterThan(_mul(_add(C, -1), S), _add(D_IN, P), evaluate=False)),
                         (C, True), evaluate=False)
"""PyTorch ceil_mode: the last window is dropped when it would start in the right padding."""
TRANSPOSED = _add(_mul(_add(D_IN, -1), S), _mul(-2, P), _mul(DIL, _add(K, -1)), OP, 1)
"""D_out = (D − 1)S − 2P + d(k − 1) + output_padding + 1."""
TF_SAME = sp.ceiling(_over(D_IN, S), evaluate=False)
"""TensorFlow 'same': D_out = ⌈D/S⌉."""
TF_SAME_PAD = sp.Max(_add(_mul(_add(D_OUT, -1), S), _mul(DIL, _add(K, -1)), 1, _mul(-1, D_IN)), 0, evaluate=False)
"""TensorFlow 'same' total padding: max((D_out − 1)S + d(k − 1) + 1 − D, 0), the odd one on the right."""
TORCH_SAME_PAD = _mul(DIL, _add(K, -1))
"""PyTorch 'same' total padding: d(k − 1), the odd one on the right (stride 1 only)."""


# --- counts: one formula each, in the per-dimension products n = (C_in/g)·Πk, N_out = Π D_out
C_IN, C_OUT, G = sp.Symbol("C_in", **_pos), sp.Symbol("C_out", **_pos), sp.Symbol("g", **_pos)
KPROD, NOUT, NIN, BIAS = sp.Symbol("K", **_pos), sp.Symbol("N_out", **_pos), sp.Symbol("N_in", **_pos), sp.Symbol("b")
T_FULL, T_OUT = sp.Symbol("T_full", integer=True), sp.Symbol("T_out", integer=True)
N_WIN = _mul(_over(C_IN, G), KPROD)
COUNT_FORMULAS = {
    "weights": _mul(C_OUT, N_WIN),
    "bias": _mul(C_OUT, BIAS),
    "multiplications": _mul(C_OUT, N_WIN, NOUT),
    "additions": _mul(C_OUT, NOUT, _add(N_WIN, -1, BIAS)),
    # transposed: each input element scatters its C_out/g·K products; T_* = positions that receive one
    "multiplications_t": _mul(C_IN, _over(C_OUT, G), KPROD, NIN),
    "additions_t": _add(_mul(C_IN, _over(C_OUT, G), KPROD, NIN), _mul(-1, C_OUT, T_FULL), _mul(BIAS, C_OUT, T_OUT)),
}
TOOLS = {
    "torchinfo": _mul(_add(_mul(C_OUT, N_WIN), _mul(BIAS, C_OUT)), NOUT),
    "fvcore": _mul(C_OUT, N_WIN, NOUT),
    "ptflops": _add(_mul(C_OUT, N_WIN, NOUT), _mul(BIAS, C_OUT, NOUT)),
    "thop": _mul(C_OUT, N_WIN, NOUT),
    "deepspeed": _add(_mul(2, C_OUT, N_WIN, NOUT), _mul(BIAS, C_OUT, NOUT)),
}
"""What each tool reports for one conv layer (batch 1).

torchinfo "Mult-Adds": (weights + bias) · N_out (conv and transposed alike, output positions);
fvcore "flops": one multiply-add per product, bias ignored (transposed: C_in·(C_out/g)·K·N_in);
ptflops "MACs": products plus one bias add per output element (output positions);
thop "MACs": products only, bias ignored (output positions, also for transposed);
DeepSpeed "flops": 2·MACs + one bias add per output element (transposed MACs over N_in).
"""
TOOLS_T = dict(TOOLS, fvcore=COUNT_FORMULAS["multiplications_t"],
               deepspeed=_add(_mul(2, COUNT_FORMULAS["multiplications_t"]), _mul(BIAS, C_OUT, NOUT)))


# --- records -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvResult(Displayable):
    """Output sizes per spatial dimension, with one derivation per dimension."""

    output: tuple[int, ...]
    derivations: tuple[Derivation, ...]
    padding: tuple[tuple[int, int], ...]  # (left, right) padding actually applied per dimension
    kind: str
    convention: str = "pytorch"

    @property
    def size(self) -> int:
        """The output size of a one-dimensional problem."""
        if len(self.output) != 1:
            raise DlderiveError(f"size: {len(self.output)}-D result, use .output")
        return self.output[0]


@dataclass(frozen=True)
class SolveResult(Displayable):
    """Every positive integer value of ``unknown`` that gives ``output``."""

    unknown: str
    solutions: sp.Set  # FiniteSet, or Range(lo, oo) when unbounded
    derivation: Derivation
    reason: str = ""  # why there is no solution, when there is none

    @property
    def values(self) -> tuple[int, ...]:
        if not self.solutions.is_finite_set:
            raise DlderiveError(f"{self.unknown}: infinitely many solutions ({self.solutions})")
        return tuple(int(v) for v in sorted(self.solutions))

    @property
    def interval(self) -> tuple[int | None, int | None]:
        if self.solutions.is_empty:
            return (None, None)
        hi = self.solutions.sup
        return (int(self.solutions.inf), None if hi == sp.oo else int(hi))


@dataclass(frozen=True)
class Counts(Displayable):
    """Exact parameter and operation counts of one conv layer, and what common tools report."""

    weights: int
    bias: int
    multiplications: int
    additions: int
    tools: dict
    derivations: tuple[Derivation, ...]  # one proven derivation per count

    @property
    def params(self) -> dict:
        return {"weights": self.weights, "bias": self.bias, "total": self.weights + self.bias}

    @property
    def macs(self) -> int:
        return self.multiplications

    @property
    def flops(self) -> int:
        return self.multiplications + self.additions


# --- helpers -------------------------------------------------------------------------------
def _rebuild(expr, args):
    """``expr.func(*args)`` without evaluation (Piecewise pairs and conditions included)."""
    if isinstance(expr, sp.Mul) and len(args) > 1 and args[0] == -1 and args[1].is_Integer:
        args = [sp.Integer(-args[1])] + list(args[2:])  # −1·2·(…) reads as −2·(…)
        if len(args) == 1:
            return args[0]
    if isinstance(expr, ExprCondPair):
        return ExprCondPair(*args)
    return expr.func(*args, evaluate=False)


def _walk(expr, replace):
    """Rebuild ``expr`` bottom-up, unevaluated; ``replace(e)`` returns a substitute or None."""
    new = replace(expr)
    if new is not None:
        return new
    if not expr.args or expr.is_Atom:
        return expr
    return _rebuild(expr, [_walk(a, replace) for a in expr.args])


def plug(expr, values):
    """``expr`` with symbols replaced by numbers, nothing evaluated (so the arithmetic shows)."""
    def replace(e):
        if e in values:
            v = values[e]
            return sp.Integer(v) if isinstance(v, int) else v
    return _walk(expr, replace)


def _realizer(values):
    subs = {s: sp.Integer(v) for s, v in values.items()}
    return lambda e: e.doit().xreplace(subs)  # evaluate the shown tree before substituting into it


def _quotient(e):
    """floor/ceiling of a number shown as ⌊num/den⌋."""
    if isinstance(e, (sp.floor, sp.ceiling)):
        q = sp.Rational(e.args[0].doit())
        shown = _over(sp.Integer(q.p), sp.Integer(q.q)) if q.q != 1 else sp.UnevaluatedExpr(sp.Integer(q.p))
        return e.func(shown, evaluate=False)


def _rounded(e):
    if isinstance(e, (sp.floor, sp.ceiling)):
        return sp.Integer(e.doit())


def chain(name, title, lhs, formula, values):
    """Proven steps lhs = formula = (numbers) = (quotients) = (rounded) = value."""
    realize = _realizer(values)
    defs = {lhs: formula}

    def define(e):
        return realize(e.xreplace(defs).doit().xreplace(defs))

    plugged = plug(formula, values)
    quotients = _walk(plugged, _quotient)
    value = sp.Integer(plugged.doit())
    candidates = [(plugged, "substitution"), (quotients, "arithmetic"),
                  (_walk(quotients, _rounded), "ceil" if plugged.has(sp.ceiling) else "floor"),
                  (value, "ceil_mode" if plugged.has(sp.Piecewise) else "arithmetic")]
    steps = [prove(Step(lhs, formula, "formula", "definition"), define)]
    previous = formula
    for expr, rule in candidates:
        if expr == previous:
            continue
        steps.append(prove(Step(previous, expr, rule), realize))
        previous = expr
    return Derivation(name=name, form="numeric", title=title, steps=tuple(steps),
                      definitions=dict(defs), result=Step(lhs, value, "result")), int(value)


# --- parsing of per-dimension values --------------------------------------------------------
def per_dim(name, value, n):
    """An int or a tuple of ints (one per dimension) as a tuple of n ints; bounded."""
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) == 1 and n > 1:
        values = values * n
    if len(values) != n:
        raise DlderiveError(f"{name}: {len(values)} values given for a {n}-D input")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise DlderiveError(f"{name}: must be an integer (got {v!r})")
        if abs(v) > MAX_SIZE:
            raise DlderiveError(f"{name}: {v} exceeds the bound {MAX_SIZE}")
    return values


def _require(ok, message):
    if not ok:
        raise DlderiveError(message)


def _check_common(kind, size, k, s, p, d, op, fixed_padding=True):
    _require(size >= 1, f"input: sizes must be positive integers (got {size})")
    _require(k >= 1, f"kernel: must be a positive integer (got {k})")
    _require(s >= 1, f"stride: must be a positive integer (got {s})")
    _require(d >= 1, f"dilation: must be a positive integer (got {d})")
    _require(p >= 0, f"padding: must be a non-negative integer (got {p})")
    _require(op >= 0, f"output_padding: must be a non-negative integer (got {op})")
    if kind == "avgpool":
        _require(d == 1, f"dilation: average pooling has no dilation (got {d})")
    if kind in ("maxpool", "avgpool") and fixed_padding:
        _require(p <= k // 2, f"padding: pooling padding {p} exceeds half the kernel (k//2 = {k // 2})")
    if kind == "transposed":
        _require(op < max(s, d), f"output_padding: must be smaller than the stride or the dilation "
                                 f"(got {op}, stride {s}, dilation {d})")
    else:
        _require(op == 0, "output_padding: only transposed convolutions take an output padding")
        _require(kind != "conv" or not fixed_padding or size + 2 * p >= d * (k - 1) + 1, f"kernel: dilated kernel d(k-1)+1 = {d * (k - 1) + 1} "
                                                  f"exceeds the padded input D+2P = {size + 2 * p}")


# --- output size ----------------------------------------------------------------------------
def _one_dim(kind, dim, size, k, s, p, d, op, ceil_mode, convention):
    """(value, (left, right) padding, derivation) for one spatial dimension."""
    sym_in, sym_out = sp.Symbol(f"{dim}_in", **_pos), sp.Symbol(f"{dim}_out", **_pos)
    base = {K: k, S: s, DIL: d}
    title = f"{kind} output size, dimension {dim}"
    rename = {D_IN: sym_in, D_OUT: sym_out}

    def run(formula, values, pads=(p, p), lhs=sym_out, before=()):
        values = {**base, **values}
        values[sym_in] = values.pop(D_IN, size)
        deriv, value = chain(str(lhs), title, lhs, plug(formula, rename), values)
        _require(value >= 1, f"kernel: output size {value} < 1 in dimension {dim}: the window does not fit "
                             f"the padded input {size} + 2*{p}")
        steps = tuple(st for d_ in before for st in d_.steps) + deriv.steps
        return value, pads, dataclasses.replace(deriv, name=f"{dim}_out", steps=steps,
                                                definitions={**deriv.definitions, **{k_: v for d_ in before for k_, v in d_.definitions.items()}},
                                                result=Step(sym_out, value, "result"))

    if p == "valid":
        p = 0
    if p == "same":
        if convention == "tensorflow":
            _check_common(kind, size, k, s, 0, d, op, fixed_padding=False)
            _require(kind != "transposed", "padding: 'same' for transposed convolution is not supported; give an integer")
            value, _, deriv = run(TF_SAME, {})
            pad, total = chain(f"P_{dim}", "total 'same' padding", sp.Symbol("P_total"), plug(TF_SAME_PAD, rename),
                               {**base, sym_in: size, sym_out: value})
            deriv = dataclasses.replace(deriv, steps=deriv.steps + pad.steps, definitions={**deriv.definitions, **pad.definitions})
            return value, (total // 2, total - total // 2), deriv
        _require(kind == "conv", f"padding: 'same' is a convolution option in PyTorch, not for {kind}")
        _require(s == 1, f"padding: 'same' needs stride 1 under PyTorch semantics (got stride {s}); "
                         "use --convention tensorflow")
        _check_common(kind, size, k, s, 0, d, op, fixed_padding=False)
        pad, total = chain("P_total", "total 'same' padding", sp.Symbol("P_total"), TORCH_SAME_PAD, base)
        left, right = total // 2, total - total // 2
        return run(CONV_LR, {P_L: left, P_R: right}, pads=(left, right), before=(pad,))
    _check_common(kind, size, k, s, p, d, op)
    values = {P: p}
    if kind == "transposed":
        value = (size - 1) * s - 2 * p + d * (k - 1) + op + 1
        _require(value >= 1, f"padding: 2P = {2 * p} removes the whole output (output size {value})")
        return run(TRANSPOSED, {P: p, OP: op})
    if kind != "conv" and ceil_mode:
        count, _, first = run(CEIL_WINDOWS, values, lhs=C)
        return run(CEIL_POOL, {**values, C: count}, before=(first,))
    return run(CONV, values)


def output_size(kind, size, kernel, stride=1, padding=0, dilation=1, output_padding=0,
                ceil_mode=False, convention="pytorch") -> ConvResult:
    """Output size per spatial dimension (1-3) of a conv, transposed conv or pooling layer, with steps."""
    _require(kind in KINDS, f"kind: must be one of {', '.join(KINDS)} (got {kind!r})")
    _require(convention in CONVENTIONS, f"convention: must be pytorch or tensorflow (got {convention!r})")
    sizes = (size,) if isinstance(size, int) else tuple(size)
    _require(1 <= len(sizes) <= 3, f"input: 1 to 3 spatial dimensions (got {len(sizes)})")
    n = len(sizes)
    sizes = per_dim("input", sizes, n)
    if isinstance(padding, str):
        _require(padding in ("same", "valid"), f"padding: an integer, 'same' or 'valid' (got {padding!r})")
        pads = (padding,) * n
    else:
        pads = per_dim("padding", padding, n)
    ks, ss, ds, ops = (per_dim(nm, v, n) for nm, v in
                       (("kernel", kernel), ("stride", stride), ("dilation", dilation), ("output_padding", output_padding)))
    if kind == "avgpool" and n == 3:  # PyTorch's AvgPool3d also checks the unpadded input against the kernel
        for size_, k_ in zip(sizes, ks):
            _require(size_ >= k_, f"kernel: 3-D average pooling needs every input size >= the kernel (got {size_} < {k_})")
    dims = [_one_dim(kind, DIM_NAMES[n][i], sizes[i], ks[i], ss[i], pads[i], ds[i], ops[i], ceil_mode, convention)
            for i in range(n)]
    return ConvResult(tuple(v for v, _, _ in dims), tuple(dv for _, _, dv in dims),
                      tuple(pd for _, pd, _ in dims), kind, convention)


# --- inverse problems -----------------------------------------------------------------------
def _holds(relation, symbol, value):
    return bool(relation.xreplace({symbol: sp.Integer(value)}))  # relation already evaluated (doit)


def _check_equivalent(lhs, rhs, symbol, points):
    """Own proof for a step between two conditions: they agree at each of ``points`` (both ends of
    the solution interval and of the domain, where a wrong bound would show)."""
    lhs_value, rhs_value = lhs.doit(), rhs.doit()
    for v in points:
        if _holds(lhs_value, symbol, v) != _holds(rhs_value, symbol, v):
            raise DlderiveError(f"internal: step {lhs} <=> {rhs} fails at {symbol} = {v}")
    return f"interval algebra; equivalence checked at {symbol} = {', '.join(map(str, points))}"


def _known_values(unknown, output, kind, known):
    """The given parameters with defaults (padding 0, dilation 1, stride 1), each checked."""
    _require(unknown in SOLVABLE, f"solve: one of {', '.join(SOLVABLE)} (got {unknown!r})")
    _require(kind in ("conv", "maxpool", "avgpool"), f"kind: solve handles conv, maxpool, avgpool (got {kind!r})")
    _require(known.get(unknown) is None, f"{unknown}: given and asked for at once")
    defaults = {n: v for n, v in (("padding", 0), ("dilation", 1), ("stride", 1)) if n != unknown}
    known = {**defaults, **{k: v for k, v in known.items() if v is not None}}
    for name, v in known.items():
        _require(name in SOLVABLE, f"{name}: not a parameter of the output-size formula")
        _require(isinstance(v, int) and not isinstance(v, bool) and abs(v) <= MAX_SIZE,
                 f"{name}: must be an integer up to {MAX_SIZE} (got {v!r})")
        least = 0 if name == "padding" else 1
        _require(v >= least, f"{name}: must be {'non-negative' if least == 0 else 'positive'} (got {v})")
    missing = [n for n in SOLVABLE if n != unknown and n not in known]
    _require(not missing, f"{missing[0] if missing else ''}: needed to solve for {unknown}")
    _require(isinstance(output, int) and not isinstance(output, bool) and 1 <= output <= MAX_SIZE,
             f"output: must be a positive integer up to {MAX_SIZE} (got {output!r})")
    _require(kind != "avgpool" or (known.get("dilation", 1) == 1 and unknown != "dilation"),
             "dilation: average pooling has no dilation")
    if kind != "conv" and "padding" in known and "kernel" in known:
        p, k = known["padding"], known["kernel"]
        _require(p <= k // 2, f"padding: pooling padding {p} exceeds half the kernel (k//2 = {k // 2})")
    return known


def solve(unknown, output, kind="conv", **known) -> SolveResult:
    """Every integer ``unknown`` with ⌊(D + 2P − d(k − 1) − 1)/S⌋ + 1 = output, and the interval derivation.

    ``known`` holds the others of input, padding, kernel, stride, dilation (padding defaults to 0, dilation
    and stride to 1). ``kind`` is conv, maxpool or avgpool (floor mode; pooling also needs P ≤ ⌊k/2⌋).
    Steps are equivalences of conditions on the unknown; each is checked at the integers around both ends
    of the solution interval and of the domain (the ``proof`` field says where).
    """
    known = _known_values(unknown, output, kind, known)
    x, o = SYMBOLS[unknown], output
    values = {SYMBOLS[n]: v for n, v in known.items()}
    e = _realizer(values)(span(_mul(2, P)))  # D + 2P − d(k − 1) − 1 with the knowns: linear in x unless x = S
    coeff, rest = e.coeff(x), e.xreplace({x: 0})
    if unknown != "stride" and rest != 0 and coeff != 0:  # shown as a·x + b, or b − a·x
        term = x if coeff == 1 else _mul(coeff, x)
        e = _add(term, rest) if coeff > 0 else _add(rest, term)
    stride = values.get(S, S)
    floored = sp.And(sp.LessThan(o - 1, _over(e, stride), evaluate=False),
                     sp.StrictLessThan(_over(e, stride), o, evaluate=False), evaluate=False)
    interval = sp.And(sp.LessThan(stride * (o - 1), e, evaluate=False),
                      sp.LessThan(e, stride * o - 1, evaluate=False), evaluate=False)
    least = 0 if unknown == "padding" else 1
    domain = sp.Contains(x, sp.Naturals0 if least == 0 else sp.Naturals, evaluate=False)
    if kind != "conv":
        domain = sp.And(domain, sp.LessThan(values.get(P, P), sp.floor(values.get(K, K) / 2)), evaluate=False)
    lo, hi = _bounds(unknown, x, o, known, e)
    ends = [least, lo] + ([hi] if hi is not None else [lo + 3])
    points = sorted({v for end in ends for v in range(end - 3, end + 4) if v >= least})
    lo, hi = _clip(kind, unknown, known, max(lo, least), hi)
    empty = hi is not None and lo > hi
    solutions = sp.EmptySet if empty else sp.Range(lo, hi + 1 if hi is not None else sp.oo)
    if not empty and hi is not None and hi - lo < 50:
        solutions = sp.FiniteSet(*range(lo, hi + 1))
    steps = [Step(sp.Eq(sp.Integer(o), plug(CONV, values), evaluate=False), floored, "floor",
                  "⌊q⌋ = n ⇔ n ≤ q < n + 1"),
             Step(floored, interval, "algebra", "multiply by S > 0; integers: q < n ⇔ q ≤ n − 1"),
             Step(sp.And(interval, domain, evaluate=False),
                  sp.false if empty else sp.Contains(x, solutions, evaluate=False), "solve",
                  f"the {unknown} values the layer accepts")]
    proven = tuple(dataclasses.replace(st, proof=_check_equivalent(_as_condition(st.lhs, x, least),
                                                                   _as_condition(st.rhs, x, least), x, points))
                   for st in steps)
    reason = _no_solution_reason(unknown, kind, least, interval) if empty else ""
    return SolveResult(unknown, solutions, Derivation(name=f"solve_{unknown}", form="numeric",
                                                      title=f"{unknown} from output size {o}", steps=proven,
                                                      definitions={D_OUT: CONV}, result=Step(x, solutions, "solve")),
                       reason)


def _as_condition(expr, x, least):
    """A step side as a predicate on x (the domain x ≥ least is implied everywhere)."""
    return expr if expr is sp.false else sp.And(expr, sp.GreaterThan(x, least), evaluate=False)


def _bounds(unknown, x, o, known, e):
    """Integer interval [lo, hi] (hi None when unbounded) of x from S(o−1) ≤ e(x) ≤ So − 1."""
    e = e.doit()
    if unknown == "stride":
        span_value = int(e)
        if span_value < 0:
            return 1, 0
        if o == 1:
            return span_value + 1, None
        return -(-(span_value + 1) // o), span_value // (o - 1)
    s = known["stride"]
    a, b = s * (o - 1), s * o - 1
    coeff = int(sp.diff(e, x))  # e = coeff·x + rest, coeff = 1 (input), 2 (padding) or −d, −(k − 1)
    rest = int(e.xreplace({x: 0}))
    if coeff == 0:
        return (1, None) if a <= rest <= b else (1, 0)
    lo_q, hi_q = sorted(((a - rest) / sp.Integer(coeff), (b - rest) / sp.Integer(coeff)))
    return int(sp.ceiling(lo_q)), int(sp.floor(hi_q))


def _clip(kind, unknown, known, lo, hi):
    """Narrow [lo, hi] to the values PyTorch accepts for pooling (P ≤ ⌊k/2⌋); conv accepts all."""
    if kind == "conv":
        return lo, hi
    if unknown == "padding":
        half = known["kernel"] // 2
        return lo, half if hi is None else min(hi, half)
    if unknown == "kernel":
        return max(lo, 2 * known["padding"]), hi
    return (lo, hi) if known["padding"] <= known["kernel"] // 2 else (1, 0)


def _no_solution_reason(unknown, kind, least, condition):
    rule = "" if kind == "conv" else " with pooling padding <= k//2"
    return f"no integer {unknown} >= {least} satisfies {sp.sstr(condition, order='none')}{rule}"


# --- counts ---------------------------------------------------------------------------------
def _touched(n, k, s, d, lo, hi):
    """How many positions in [lo, hi) receive a product i·S + j·d (0 ≤ i < n, 0 ≤ j < k)."""
    _require(n * k <= 10**7, f"input: transposed counts enumerate D·k positions; {n * k} exceeds 10^7")
    return len({p for p in (i * s + j * d for i in range(n) for j in range(k)) if lo <= p < hi})


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
    for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
        _require(isinstance(v, int) and 1 <= v <= MAX_SIZE, f"{name}: must be a positive integer (got {v})")
    _require(in_channels % groups == 0, f"groups: in_channels {in_channels} is not divisible by groups {groups}")
    _require(out_channels % groups == 0, f"groups: out_channels {out_channels} is not divisible by groups {groups}")
    out = (output,) if isinstance(output, int) else tuple(output)
    _require(1 <= len(out) <= 3, f"output: one to three spatial sizes (got {len(out)})")
    for v in out:
        _require(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_SIZE,
                 f"output: sizes must be positive integers up to {MAX_SIZE} (got {v!r})")
    n = len(out)
    ks = per_dim("kernel", kernel, n)
    values = {C_IN: in_channels, C_OUT: out_channels, G: groups, KPROD: math.prod(ks),
              NOUT: math.prod(out), BIAS: int(bias)}
    names = ["weights", "bias", "multiplications", "additions"]
    formulas = dict(COUNT_FORMULAS)
    if groups == 1:  # n = C_in·Πk, without a division by one
        with sp.evaluate(False):
            formulas = {k: f.xreplace({_over(C_IN, G): C_IN}) for k, f in formulas.items()}
    tools = TOOLS
    if transposed:
        _require(input is not None, "input: transposed counts need the input size")
        ins = per_dim("input", input, n)
        ss, ps, ds = (per_dim(nm, v, n) for nm, v in (("stride", stride), ("padding", padding), ("dilation", dilation)))
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
