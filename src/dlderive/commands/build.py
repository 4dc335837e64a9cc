"""`dlderive build HANDOUT.toml --out DIR`: the handout as DIR/NAME.tex, .html, .md (and .pdf)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import DlderiveError
from . import examples

OUTPUTS = (("latex", ".tex"), ("html", ".html"), ("markdown", ".md"))
INSTALL_HINT = ("install a LaTeX distribution with pdflatex, e.g. on Debian/Ubuntu: "
                "apt-get install texlive-latex-base texlive-latex-recommended latexmk")
PDF_TIMEOUT = 180


def register(subparsers) -> None:
    p = subparsers.add_parser("build", help="build a handout (TOML) into LaTeX, HTML and Markdown, and PDF",
                              description="Build a handout: writes DIR/NAME.tex, DIR/NAME.html, DIR/NAME.md "
                                          "(and DIR/NAME.pdf with --pdf).",
                              epilog=examples("dlderive build derivations/week8.toml --out out/week8",
                                              "dlderive build derivations/week8.toml --out out/week8 --pdf",
                                              "dlderive build derivations/week8.toml --out out/student --no-answers"))
    p.add_argument("handout", help="the handout file, e.g. derivations/week8.toml")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing, kept if present)")
    p.add_argument("--pdf", action="store_true", help="also compile DIR/NAME.pdf with pdflatex")
    p.add_argument("--no-answers", action="store_true", help="the student version: questions only")
    p.add_argument("--seed", type=int, metavar="N", help="draw variant N of the exercises given as ranges")
    p.add_argument("--notation", metavar="NAME", help="notation preset: sample, pytorch or textbook")
    p.set_defaults(run=run)


def run(args) -> int:
    written = build(args.handout, args.out, pdf=args.pdf, answers=not args.no_answers, seed=args.seed,
                    notation=args.notation)
    for path in written:
        print(path)
    return 0


def build(handout: str | Path, out: str | Path, pdf: bool = False, answers: bool = True,
          seed: int | None = None, notation: str | None = None) -> list[Path]:
    """Render every output in memory, then write each atomically; returns the paths written."""
    from ..export import render
    from ..handout import build_document, load
    from ..notation import preset
    chosen = preset(notation) if notation else None
    spec = load(handout)
    doc = build_document(spec, seed=seed, answers=answers, notation=chosen)
    texts = {suffix: render(doc, fmt, doc.notation) for fmt, suffix in OUTPUTS}
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise DlderiveError(f"--out {folder}: exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, text in texts.items():
        target = folder / f"{spec.stem}{suffix}"
        write_atomic(target, text.encode("utf-8"))
        written.append(target)
    if pdf:
        target = folder / f"{spec.stem}.pdf"
        write_atomic(target, compile_pdf(texts[".tex"], spec.stem, written))
        written.append(target)
    return written


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``target`` through a temporary file in the same folder and os.replace: never half-written."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def compile_pdf(tex: str, stem: str, written: list[Path]) -> bytes:
    """The PDF of ``tex`` from pdflatex (or latexmk), run in a scratch folder without shell escape."""
    pdflatex, latexmk = shutil.which("pdflatex"), shutil.which("latexmk")
    already = ", ".join(p.name for p in written)
    if not pdflatex:
        raise DlderiveError(f"--pdf needs pdflatex, which is not installed: {INSTALL_HINT} ({already} were written)")
    env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f")
    with tempfile.TemporaryDirectory(prefix="dlderive-pdf-") as scratch:
        source = Path(scratch) / f"{stem}.tex"
        source.write_text(tex, encoding="utf-8")
        if latexmk:
            command = [latexmk, "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                       "-quiet", source.name]
        else:
            command = [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", source.name]
        try:
            done = subprocess.run(command, cwd=scratch, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=PDF_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise DlderiveError(f"pdflatex took longer than {PDF_TIMEOUT} s; no PDF written ({already} were written)") from None
        result = Path(scratch) / f"{stem}.pdf"
        if done.returncode != 0 or not result.exists():
            log = Path(scratch) / f"{stem}.log"
            raise DlderiveError(f"pdflatex failed: {_first_error(log)}; no PDF written ({already} were written)")
        return result.read_bytes()


def _first_error(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "no log"
    for i, line in enumerate(lines):
        if line.startswith("!"):
            return " ".join(l.strip() for l in lines[i:i + 3])
    return "see the LaTeX log"
