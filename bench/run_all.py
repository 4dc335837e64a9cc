"""Run every benchmark and gather their sections into bench/RESULTS.md (--gather: only gather)."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

if "--gather" not in sys.argv:
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        subprocess.run([sys.executable, str(script)], cwd=HERE, check=True)
sections = [p.read_text() for p in sorted((HERE / "results").glob("*.md"))]
(HERE / "RESULTS.md").write_text("# Benchmark results\n\nWritten by `python bench/run_all.py`; each "
                                 "section compares with its baseline measured in the same run.\n\n"
                                 + "\n\n".join(sections))
print("wrote", HERE / "RESULTS.md")
