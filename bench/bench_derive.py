"""Issue-2 goals: all core derivations derived and proven in under 1 s after import; the cold
`dlderive derive lstm.hidden` within 3x `python -c "import sympy"`.  Baselines in the same run:
plain sympy.diff of the declared expressions, and sympy.diff followed by simplify."""
from __future__ import annotations

import json
import platform
import shutil
import statistics
import sys

from common import run_python, wall, write_section

CORE = ["sigmoid", "lstm.forget_gate", "lstm.input_gate", "lstm.output_gate", "lstm.candidate",
        "lstm.cell", "lstm.hidden", "lstm.cell_independence"]

OURS = """
import json, time
t0 = time.perf_counter()
from dlderive.derive import derive
t1 = time.perf_counter()
steps = 0
for name in %r:
    for form in ("scalar", "vector"):
        if name == "sigmoid" and form == "vector":
            continue
        steps += len(derive(name, form).steps)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "derive": t2 - t1, "steps": steps}))
""" % CORE

BASELINE = """
import json, time
import sympy as sp
t0 = time.perf_counter()
s = lambda n: sp.Symbol(n, real=True)
x, h, c = s("x_t"), s("h_prev"), s("c_prev")
sig = lambda a: 1 / (1 + sp.exp(-a))
pre = {g: s("W_" + g) * x + s("U_" + g) * h + s("b_" + g) for g in "fiou"}
f, i, o, u = sig(pre["f"]), sig(pre["i"]), sig(pre["o"]), sp.tanh(pre["u"])
ct = f * c + i * u
targets = [sig(s("z")), f, i, o, u, ct, o * sp.tanh(ct)]
wrt = [s("z")] + [h] * 6
diffs = [sp.diff(e, v) for e, v in zip(targets, wrt)]
t1 = time.perf_counter()
ONLY = %s
if ONLY is not None:
    sp.simplify(diffs[ONLY])
print(json.dumps({"diff": t1 - t0, "simplify": time.perf_counter() - t1}))
"""
NAMES = ["sigmoid", "f_t", "i_t", "o_t", "u_t", "c_t", "h_t"]
CAP = 60.0


def simplify_times() -> dict:
    """Seconds that simplify takes on each naive derivative, None where it passes the cap."""
    import subprocess
    out = {}
    for k, name in enumerate(NAMES):
        try:
            out[name] = json.loads(run_python(BASELINE % k, timeout=CAP))["simplify"]
        except subprocess.TimeoutExpired:
            out[name] = None
    return out


def main(repeat: int = 5) -> str:
    # as a regular install does (pip compiles bytecode at install time), even where the
    # environment sets PYTHONDONTWRITEBYTECODE
    import compileall
    from pathlib import Path
    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "src" / "dlderive"), quiet=1)
    ours = [json.loads(run_python(OURS)) for _ in range(repeat)]
    base = [json.loads(run_python(BASELINE % None)) for _ in range(repeat)]
    simp = simplify_times()
    med = lambda rows, k: statistics.median(r[k] for r in rows)
    exe = shutil.which("dlderive") or sys.exit("install the package first: pip install -e .")
    cold = wall([exe, "derive", "lstm.hidden"], repeat)
    floor = wall([sys.executable, "-c", "import sympy"], repeat)
    derive_t = med(ours, "derive")
    rows = [
        ("dlderive: all core derivations, both forms, every step proven", derive_t, "goal < 1 s", derive_t < 1),
        ("baseline: sympy.diff of the declared expressions (no steps, no proof)", med(base, "diff"), "", None),
        *[(f"baseline: simplify of the naive d{k}/d{'z' if k == 'sigmoid' else 'h_prev'} alone", v if v is not None else CAP,
           "" if v is not None else f"did not finish in {CAP:.0f} s", None) for k, v in simp.items()],
        ("import dlderive.derive", med(ours, "import"), "", None),
        ("cold `dlderive derive lstm.hidden`", cold, f"{cold / floor:.2f} x the floor; goal <= 3 x", cold <= 3 * floor),
        ("floor: `python -c \"import sympy\"`", floor, "", None),
    ]
    lines = ["## Core derivations (issue 2)", "",
             f"{len(CORE)} derivations, {ours[0]['steps']} proven steps; median of {repeat} fresh processes, "
             "bytecode compiled as by an install; "
             f"{platform.processor() or platform.machine()}, Python {platform.python_version()}.", "",
             "| what | seconds | note | goal met |", "|---|---:|---|---|"]
    for what, secs, note, ok in rows:
        lines.append(f"| {what} | {secs:.3f} | {note} | {'' if ok is None else ('yes' if ok else 'NO')} |")
    naive = med(base, "diff") + sum(v if v is not None else CAP for v in simp.values())
    unfinished = [k for k, v in simp.items() if v is None]
    lines += ["", f"Ratio: dlderive takes {derive_t / med(base, 'diff'):.1f} x the time of plain sympy.diff (which gives "
              f"one unreadable expression, no steps, no proof) and {derive_t / naive:.3f} x the time of diff + simplify"
              + (f" (a lower bound: simplify of {', '.join(unfinished)} was stopped at {CAP:.0f} s)" if unfinished else "") + "."]
    return "\n".join(lines)


if __name__ == "__main__":
    text = main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
    print(text)
    write_section("derive", text)
