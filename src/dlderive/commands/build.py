"""`dlderive build HANDOUT.toml --out DIR`: the handout as DIR/NAME.tex, .html, .md (and .pdf)."""
from __future__ import annotations

import argparse
import os
import re
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

from ..errors import DlderiveError
from . import examples
from .progress import progress

OUTPUTS = (("latex", ".tex"), ("html", ".html"), ("markdown", ".md"))


def register(subparsers) -> None:
    p = subparsers.add_parser("build", help="build a handout (TOML) into LaTeX, HTML and Markdown, and PDF",
                              description="Build a handout: writes DIR/NAME.tex, DIR/NAME.html, DIR/NAME.md "
                                          "(and DIR/NAME.pdf with --pdf).",
                              epilog=examples("dlderive build derivations/week8.toml --out out/week8",
                                              "dlderive build derivations/week8.toml --out out/week8 --pdf",
                                              "dlderive build derivations/week8.toml --out out/student --no-answers",
                                              "dlderive build derivations/week8.toml --out out/week8 --both --ipynb",
                                              "dlderive build derivations/week9_backward.toml --out out/w9 --variants 1-30"))
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
    p.add_argument("--quiet", action="store_true", help="print neither the files written nor the progress bar")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.variants and args.seed is not None:
        raise DlderiveError("--variants and --seed: give one of them")
    if args.both and args.no_answers:
        raise DlderiveError("--both and --no-answers: give one of them")
    versions = (True, False) if args.both or args.variants else (not args.no_answers,)
    total = len(args.variants or (args.seed,)) * len(versions) * (2 if args.pdf else 1)
    with progress(total, "building", args.quiet) as advance:
        written = build(args.handout, args.out, pdf=args.pdf, versions=versions, seed=args.seed,
                        notation=args.notation, variants=args.variants, ipynb=args.ipynb, advance=advance)
    for path in written if not args.quiet else ():
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
          variants: range | None = None, ipynb: bool = False, advance=lambda: None) -> list[Path]:
    """Render every output in memory, then write each atomically; returns the paths written.

    ``versions``: which of the answer key (True) and the student version (False) to build (default: ``answers``);
    ``variants``: the seeds to build, each under its own name (default: the one ``seed``);
    ``advance()`` is called once per document rendered and once per PDF compiled."""
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
            advance()
    folder = Path(out)
    targets = [folder / f"{stem}{suffix}" for stem, texts in outputs for suffix in texts]
    targets += [folder / f"{stem}.pdf" for stem, _ in outputs] if pdf else []
    with interrupted_on_sigterm():
        prepare_folder(folder, targets)
        remove_stale(folder, targets)
        written = []
        for stem, texts in outputs:
            for suffix, text in texts.items():
                target = folder / f"{stem}{suffix}"
                write_atomic(target, text.encode("utf-8"))
                written.append(target)
        for stem, texts in outputs if pdf else ():
            target = folder / f"{stem}.pdf"
            try:
                from ..export.pdf import compile_pdf
                data = compile_pdf(texts[".tex"], stem, written)
            except DlderiveError as exc:
                if target.exists() and not target.is_dir():
                    target.unlink()  # the previous build's PDF would not match the new sources
                    exc.message += f"; the previous {target.name} was removed"
                raise
            write_atomic(target, data)
            written.append(target)
            advance()
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
    """Write ``target`` through a temporary file in the same folder, named after this process, and os.replace:
    never half-written; a temporary file left by a killed run is removed by the next (``remove_stale``)."""
    tmp = _temporary_name(target)
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666 & ~_umask())
    except OSError as exc:
        raise DlderiveError(f"{target}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DlderiveError(f"{target}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.dlderive-(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")


def _temporary_name(target: Path) -> Path:
    """``.NAME.dlderive-PID-XXXXXXXX.tmp`` beside ``target``: whose it is, so that a later run can tell it is stale."""
    return target.with_name(f".{target.name}.dlderive-{os.getpid()}-{os.urandom(4).hex()}.tmp")


def remove_stale(folder: Path, targets: list[Path]) -> None:
    """Remove temporary files of ``targets`` left in ``folder`` by a build that was killed (its process is gone)."""
    names = {t.name for t in targets}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        m = _TEMPORARY.match(entry.name)
        if m and m["name"] in names and not _running(int(m["pid"])):
            Path(entry.path).unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


