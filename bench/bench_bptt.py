"""Benchmark: derivatives through time and Jacobian evaluation, each beside its naive baseline.

1. ∂h_t/∂h_{t-k} of the LSTM for k = 1, 2, 4, ..., 64, derived and proven (vector and scalar
   forms), beside plain ``sympy.diff`` of the unrolled scalar LSTM expression (k <= 3, each in a
   subprocess with a timeout).
2. The hidden-size-64 Jacobian ∂h_t/∂h_{t-1}: ``dlderive.evaluate`` against
   ``torch.autograd.functional.jacobian`` through ``torch.nn.LSTMCell``.

Writes bench/results/bptt.md (gathered into RESULTS.md by run_all.py).  Run: python bench/bench_bptt.py
"""
from __future__ import annotations

import platform
import subprocess
import sys
import time
from pathlib import Path

from common import best

import numpy as np

OUT = Path(__file__).parent / "results" / "bptt.md"
KS = [1, 2, 3, 4, 8, 16, 32, 64]
BASELINE_KS = [1, 2, 3]
BASELINE_TIMEOUT = 150.0
REPEAT = 5

BASELINE = r'''
import sys, time
import sympy as sp
from dlderive.functions import sigmoid
k = int(sys.argv[1])
S = lambda n: sp.Symbol(n, real=True)
name = lambda b, j: f"{b}_t" if j == 0 else f"{b}_prev" if j == 1 else f"{b}_prev{j}"
h, c = S(name("h", k)), S(name("c", k))
for j in range(k - 1, -1, -1):
    x = S(name("x", j))
    pre = {g: S(f"W_{g}") * x + S(f"U_{g}") * h + S(f"b_{g}") for g in "fiou"}
    f, i, o, u = sigmoid(pre["f"]), sigmoid(pre["i"]), sigmoid(pre["o"]), sp.tanh(pre["u"])
    c = f * c + i * u
    h = o * sp.tanh(c)
start = time.perf_counter()
d = sp.diff(h, S(name("h", k)))
print(time.perf_counter() - start, sp.count_ops(d))
'''


def ours():
    from dlderive.bptt import derive_through_time
    from dlderive.cells import get_cell
    from dlderive.derive import derive

    start = time.perf_counter()
    for name in ("lstm.hidden", "lstm.cell", "lstm.hidden_wrt_c", "lstm.cell_wrt_c"):
        for form in ("vector", "scalar"):
            derive(name, form)
    warm = time.perf_counter() - start
    cell = get_cell("lstm")
    rows = {}
    for k in KS:
        rows[k] = {form: best(lambda: derive_through_time("lstm.bptt", cell, "h", k, form))
                   for form in ("vector", "scalar")}
    return warm, rows


def baseline():
    rows = {}
    for k in BASELINE_KS:
        try:
            out = subprocess.run([sys.executable, "-c", BASELINE, str(k)], capture_output=True, text=True,
                                 timeout=BASELINE_TIMEOUT, check=True).stdout.split()
            rows[k] = (float(out[0]), int(out[1]))
        except subprocess.TimeoutExpired:
            rows[k] = (None, None)
    return rows


def jacobians(n=64, m=32, calls=20):
    import torch
    from dlderive import evaluate

    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(m, n).double()
    x, h, c = (torch.rand(d, dtype=torch.float64) for d in (m, n, n))
    w, u, b = cell.weight_ih.detach(), cell.weight_hh.detach(), (cell.bias_ih + cell.bias_hh).detach()
    values = {"x_t": x.numpy(), "h_prev": h.numpy(), "c_prev": c.numpy()}
    for k, g in enumerate("ifuo"):
        rows = slice(k * n, (k + 1) * n)
        values.update({f"W_{g}": w[rows].numpy(), f"U_{g}": u[rows].numpy(), f"b_{g}": b[rows].numpy()})
    start = time.perf_counter()
    ours = evaluate("lstm.hidden", values, "vector")
    first = time.perf_counter() - start
    theirs = torch.autograd.functional.jacobian(lambda hh: cell(x[None], (hh[None], c[None]))[0][0], h)
    diff = float(np.max(np.abs(ours - theirs.numpy())))
    t_ours = best(lambda: [evaluate("lstm.hidden", values, "vector") for _ in range(calls)]) / calls
    t_torch = best(lambda: [torch.autograd.functional.jacobian(
        lambda hh: cell(x[None], (hh[None], c[None]))[0][0], h) for _ in range(calls)]) / calls
    t_torch_vec = best(lambda: [torch.autograd.functional.jacobian(
        lambda hh: cell(x[None], (hh[None], c[None]))[0][0], h, vectorize=True) for _ in range(calls)]) / calls
    k = 20
    xs = [torch.rand(m, dtype=torch.float64) for _ in range(k)]
    through = {key: val for key, val in values.items() if key not in ("x_t", "h_prev", "c_prev")}
    through.update({("x_t" if j == 0 else "x_prev" if j == 1 else f"x_prev{j}"): xs[k - 1 - j].numpy() for j in range(k)})
    through.update({f"h_prev{k}": h.numpy(), f"c_prev{k}": c.numpy()})

    def unrolled(hh):
        state = (hh[None], c[None])
        for xx in xs:
            state = cell(xx[None], state)
        return state[0][0]

    evaluate("lstm.bptt", through, "vector", steps=k)
    t_ours_k = best(lambda: evaluate("lstm.bptt", through, "vector", steps=k))
    t_torch_k = best(lambda: torch.autograd.functional.jacobian(unrolled, h, vectorize=True))
    diff_k = float(np.max(np.abs(evaluate("lstm.bptt", through, "vector", steps=k)
                                 - torch.autograd.functional.jacobian(unrolled, h).numpy())))
    return {"first": first, "ours": t_ours, "torch": t_torch, "torch_vec": t_torch_vec, "diff": diff,
            "torch_version": torch.__version__, "k": k, "ours_k": t_ours_k, "torch_k": t_torch_k, "diff_k": diff_k}


def main() -> int:
    warm, rows = ours()
    base = baseline()
    jac = jacobians()
    lines = ["# Derivatives through time and Jacobian evaluation", "",
             f"Python {platform.python_version()}, {platform.machine()}, {__import__('os').cpu_count()} cores; "
             f"best of {REPEAT} runs. Generated by `python bench/bench_bptt.py`.", "",
             "## ∂h_t/∂h_{t-k} of the LSTM: derived and proven vs plain sympy.diff of the unrolled expression", "",
             f"One-step derivations the product is built from (both forms, derived and proven once): {warm:.2f} s.", "",
             "| k | ours, vector (s) | ours, scalar (s) | sympy.diff, scalar (s) | sympy.diff / ours (scalar) |",
             "|---:|---:|---:|---:|---:|"]
    for k in sorted(set(KS) | set(BASELINE_KS)):
        v = rows.get(k, {}).get("vector")
        s = rows.get(k, {}).get("scalar")
        b = base.get(k, (None, None))[0] if k in base else None
        bt = "—" if k not in base else (f"> {BASELINE_TIMEOUT:.0f} (timeout)" if b is None else f"{b:.3f}")
        ratio = f"{b / s:.1f}x" if (b is not None and s) else "—"
        lines.append(f"| {k} | {v:.3f} | {s:.3f} | {bt} | {ratio} |" if v is not None else
                     f"| {k} | — | — | {bt} | — |")
    r_v = rows[64]["vector"] / rows[32]["vector"]
    r_s = rows[64]["scalar"] / rows[32]["scalar"]
    lines += ["", f"- k = 64: vector {rows[64]['vector']:.3f} s, scalar {rows[64]['scalar']:.3f} s (goal: under 1 s).",
              f"- Growth: time(64) / time(32) = {r_v:.2f} (vector), {r_s:.2f} (scalar) (goal: under 2.5; linear is 2).",
              "- sympy.diff result size (operations): " + ", ".join(
                  f"k={k}: {n}" for k, (t, n) in base.items() if n is not None)
              + ": it grows by a factor of about 7 to 10 per step (every path of the unrolled graph "
              "written out), and the baseline neither proves nor factors its result. The guide's 74 s "
              "for k = 3 was not reproduced on this machine for plain diff; the growth of the result is.",
              "- Ours stays factored: k block Jacobians of size 2n, each step proven against complex-step "
              "derivatives of the unrolled cell (vector form: random points at hidden sizes 1 and 3; scalar form: "
              "two random points), and exactly where the proven one-step results make both sides equal.", "",
              "## The hidden-size-64 Jacobian ∂h_t/∂h_{t-1} (input size 32), per call", "",
              "| method | time per call (ms) | ratio to ours |", "|---|---:|---:|",
              f"| dlderive.evaluate (compiled result) | {jac['ours'] * 1e3:.3f} | 1.0x |",
              f"| torch.autograd.functional.jacobian | {jac['torch'] * 1e3:.3f} | {jac['torch'] / jac['ours']:.1f}x |",
              f"| same, vectorize=True | {jac['torch_vec'] * 1e3:.3f} | {jac['torch_vec'] / jac['ours']:.1f}x |",
              "", f"- First call of ours, including compiling the result with lambdify: {jac['first'] * 1e3:.1f} ms.",
              f"- Maximum absolute difference between the two Jacobians: {jac['diff']:.2e} (torch {jac['torch_version']}, float64).",
              "", f"## ∂h_t/∂h_(t-{jac['k']}) at hidden size 64: lstm.bptt evaluated vs torch autograd through {jac['k']} LSTMCell steps", "",
              "| method | time (ms) | ratio to ours |", "|---|---:|---:|",
              f"| dlderive.evaluate (product of compiled one-step blocks) | {jac['ours_k'] * 1e3:.2f} | 1.0x |",
              f"| torch.autograd.functional.jacobian, vectorize=True | {jac['torch_k'] * 1e3:.2f} | {jac['torch_k'] / jac['ours_k']:.1f}x |",
              "", f"- Maximum absolute difference: {jac['diff_k']:.2e}.", ""]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
