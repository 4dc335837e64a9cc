"""`dlderive build HANDOUT.toml --out DIR`: the handout as DIR/NAME.tex, .html, .md (and .pdf)."""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from ..errors import DlderiveError
from . import examples

OUTPUTS = (("latex", ".tex"), ("html", ".html"), ("markdown", ".md"))
INSTALL_HINT = ("install a LaTeX distribution, e.g. on Debian/Ubuntu: apt-get install texlive-latex-base "
                "texlive-latex-recommended texlive-luatex fonts-dejavu-core latexmk")
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
    p.add_argument("--pdf", action="store_true", help="also compile DIR/NAME.pdf (lualatex, xelatex or pdflatex)")
    p.add_argument("--no-answers", action="store_true",
                   help="the student version only: questions and answer space, as DIR/NAME-student.*")
    p.add_argument("--ipynb", action="store_true", help="also write DIR/NAME.ipynb, a Jupyter notebook (nbformat)")
    p.add_argument("--both", action="store_true", help="the answer key and the student version in one run")
    p.add_argument("--seed", type=int, metavar="N", help="draw variant N of the exercises given as ranges")
    p.add_argument("--variants", metavar="A-B", type=variant_range,
                   help="variants A to B (e.g. 1-30), each as DIR/NAME-vNN.* with its student version")
    p.add_argument("--notation", metavar="NAME", help="notation preset: sample, pytorch or textbook")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.variants and args.seed is not None:
        raise DlderiveError("--variants and --seed: give one of them")
    if args.both and args.no_answers:
        raise DlderiveError("--both and --no-answers: give one of them")
    versions = (True, False) if args.both or args.variants else (not args.no_answers,)
    written = build(args.handout, args.out, pdf=args.pdf, versions=versions, seed=args.seed,
                    notation=args.notation, variants=args.variants, ipynb=args.ipynb)
    for path in written:
        print(path)
    return 0


MAX_VARIANTS = 200


def variant_range(text: str) -> range:
    """``--variants A-B`` (or one number N): seeds A to B, at most MAX_VARIANTS of them."""
    first, _, last = text.partition("-")
    try:
        seeds = range(int(first), int(last or first) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a range such as 1-30") from None
    if not seeds or seeds.start < 1 or len(seeds) > MAX_VARIANTS:
        raise argparse.ArgumentTypeError(f"{text!r}: give A-B with 1 <= A <= B and at most {MAX_VARIANTS} variants")
    return seeds


def output_stem(stem: str, answers: bool, seed: int | None, variants: range | None) -> str:
    """``week8``, ``week8-student``, ``week8-v07``, ``week8-v07-student``: one name per version and variant."""
    width = max(2, len(str(variants.stop - 1))) if variants else 0
    return stem + (f"-v{seed:0{width}d}" if variants else "") + ("" if answers else "-student")


def build(handout: str | Path, out: str | Path, pdf: bool = False, answers: bool = True,
          seed: int | None = None, notation: str | None = None, versions: tuple[bool, ...] | None = None,
          variants: range | None = None, ipynb: bool = False) -> list[Path]:
    """Render every output in memory, then write each atomically; returns the paths written.

    ``versions``: which of the answer key (True) and the student version (False) to build (default: ``answers``);
    ``variants``: the seeds to build, each under its own name (default: the one ``seed``)."""
    from ..export import render
    from ..handout import build_document, load
    from ..notation import preset
    chosen = preset(notation) if notation else None
    spec = load(handout)
    versions = versions if versions is not None else (answers,)
    outputs = []  # (stem, {suffix: text})
    for variant in (variants or (seed,)):
        for key in versions:
            doc = build_document(spec, seed=variant, answers=key, notation=chosen)
            texts = {suffix: render(doc, fmt, doc.notation) for fmt, suffix in OUTPUTS}
            if ipynb:
                texts[".ipynb"] = notebook_json(doc)
            outputs.append((output_stem(spec.stem, key, variant, variants), texts))
    folder = Path(out)
    targets = [folder / f"{stem}{suffix}" for stem, texts in outputs for suffix in texts]
    targets += [folder / f"{stem}.pdf" for stem, _ in outputs] if pdf else []
    with interrupted_on_sigterm():
        prepare_folder(folder, targets)
        written = []
        for stem, texts in outputs:
            for suffix, text in texts.items():
                target = folder / f"{stem}{suffix}"
                write_atomic(target, text.encode("utf-8"))
                written.append(target)
        for stem, texts in outputs if pdf else ():
            target = folder / f"{stem}.pdf"
            try:
                data = compile_pdf(texts[".tex"], stem, written)
            except DlderiveError as exc:
                if target.exists() and not target.is_dir():
                    target.unlink()  # the previous build's PDF would not match the new sources
                    exc.message += f"; the previous {target.name} was removed"
                raise
            write_atomic(target, data)
            written.append(target)
    return written


def notebook_json(doc) -> str:
    """The handout as a Jupyter notebook; a DlderiveError when nbformat is not installed."""
    try:
        import nbformat  # noqa: F401
    except ImportError:
        raise DlderiveError("--ipynb needs nbformat: pip install 'dlderive[notebook]'") from None
    from ..export.notebook import render_document_ipynb
    return render_document_ipynb(doc)


@contextmanager
def interrupted_on_sigterm():
    """SIGTERM (and SIGHUP) raise KeyboardInterrupt while the block runs, so that its cleanup runs (temporary
    files, scratch folders, the TeX process group)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _writable(path: Path) -> bool:
    """Whether ``path`` may be written: its permission bits allow it (also for root) and the system agrees."""
    return bool(path.stat().st_mode & 0o222) and os.access(path, os.W_OK)


def prepare_folder(folder: Path, targets: list[Path]) -> None:
    """The output folder created, and every target checked writable, before anything is written."""
    if folder.is_symlink() and not folder.exists():
        raise DlderiveError(f"--out {folder}: a symbolic link to {os.readlink(folder)}, which does not exist")
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise DlderiveError(f"--out {folder}: {parent} is a file, not a folder")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DlderiveError(f"--out {folder}: cannot create the folder ({exc.strerror or exc})") from None
    if not _writable(folder):
        raise DlderiveError(f"--out {folder}: the folder is read-only")
    for target in targets:
        if target.is_dir():
            raise DlderiveError(f"{target}: a folder of that name is in the way; nothing was written")
        if target.is_symlink() and not target.exists():
            raise DlderiveError(f"{target}: a symbolic link to a missing file; nothing was written")
        if target.exists() and not _writable(target):
            raise DlderiveError(f"{target}: the file is read-only and is not replaced; nothing was written")


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``target`` through a temporary file in the same folder and os.replace: never half-written."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise DlderiveError(f"{target}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DlderiveError(f"{target}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


ENGINES = ("lualatex", "xelatex", "pdflatex")
"""TeX engines in order of preference: the first two print any character of the Unicode font."""
_LATEXMK_FLAG = {"lualatex": "-lualatex", "xelatex": "-xelatex", "pdflatex": "-pdf"}


def tex_engine(tex: str) -> tuple[str, str]:
    """(name, path) of the engine to compile ``tex`` with; a DlderiveError when none installed can."""
    found = [(name, shutil.which(name)) for name in ENGINES]
    found = [(name, path) for name, path in found if path]
    if not found:
        raise DlderiveError(f"--pdf needs lualatex, xelatex or pdflatex, none of which is installed: {INSTALL_HINT}")
    from ..export.pages import needs_unicode_engine
    name, path = found[0]
    if name == "pdflatex" and needs_unicode_engine(tex):
        c = next(c for c in tex if not c.isascii())
        raise DlderiveError(f"--pdf: the character {c!r} (U+{ord(c):04X}) needs lualatex or xelatex, which are "
                            f"not installed (pdflatex's fonts lack it): apt-get install texlive-luatex fonts-dejavu-core")
    return name, path


def compile_pdf(tex: str, stem: str, written: list[Path]) -> bytes:
    """The PDF of ``tex`` from lualatex, xelatex or pdflatex (through latexmk when installed), run in a scratch
    folder without shell escape, in a process group of its own that is killed if the build is interrupted."""
    already = ", ".join(p.name for p in written)
    try:
        engine, path = tex_engine(tex)
    except DlderiveError as exc:
        raise DlderiveError(f"{exc.message}; no PDF written ({already} were written)") from None
    latexmk = shutil.which("latexmk")
    env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f")
    with tempfile.TemporaryDirectory(prefix="dlderive-pdf-") as scratch:
        source = Path(scratch) / f"{stem}.tex"
        source.write_text(tex, encoding="utf-8")
        if latexmk:
            command = [latexmk, _LATEXMK_FLAG[engine], "-interaction=nonstopmode", "-halt-on-error",
                       "-no-shell-escape", "-quiet", source.name]
        else:
            command = [path, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", source.name]
        try:
            returncode = _run_group(command, scratch, env)
        except subprocess.TimeoutExpired:
            raise DlderiveError(f"{engine} took longer than {PDF_TIMEOUT} s; no PDF written ({already} were written)") from None
        result = Path(scratch) / f"{stem}.pdf"
        if returncode != 0 or not result.exists():
            log = Path(scratch) / f"{stem}.log"
            raise DlderiveError(f"{engine} failed: {_first_error(log)}; no PDF written ({already} were written)")
        too_wide = overfull_lines(Path(scratch) / f"{stem}.log")
        if too_wide:
            (points, line), more = too_wide[0], len(too_wide) - 1
            raise DlderiveError(f"{stem}.tex line {line}: a line {points:g} pt wider than the page"
                                + (f" (and {more} more)" if more else "") + f"; no PDF written ({already} were written)")
        return result.read_bytes()


OVERFULL_TOLERANCE = 1.0
"""Points by which a line may stick out into the margin before the build fails."""
_OVERFULL = re.compile(r"^Overfull \\hbox \(([\d.]+)pt too wide\).*?(?:lines? (\d+)|$)")


def overfull_lines(log: Path) -> list[tuple[float, int | None]]:
    """(points too wide, source line) of every box in the TeX log wider than the page by more than the tolerance,
    widest first."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = [(float(m[1]), int(m[2]) if m[2] else None) for m in map(_OVERFULL.match, text.splitlines()) if m]
    return sorted((f for f in found if f[0] > OVERFULL_TOLERANCE), key=lambda f: -f[0])


def _run_group(command: list[str], cwd: str, env: dict) -> int:
    """Run ``command`` in a new session (its own process group); on a timeout or an interrupt the whole
    group is killed and reaped before the exception goes on."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return process.wait(timeout=PDF_TIMEOUT)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # latexmk's children too, even after latexmk exits
        except ProcessLookupError:
            pass
        process.wait()


def _first_error(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "no log"
    for i, line in enumerate(lines):
        if line.startswith("!"):
            return " ".join(l.strip() for l in lines[i:i + 3])
    return "see the LaTeX log"
