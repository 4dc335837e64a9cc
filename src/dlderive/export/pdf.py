"""The PDF of a LaTeX text: the TeX engine chosen (lualatex, xelatex, pdflatex), run without shell escape by a
guard process (``texguard``) in a scratch folder of its own, its log read for errors and lines wider than the page."""
from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import DlderiveError

INSTALL_HINT = ("install a LaTeX distribution, e.g. on Debian/Ubuntu: apt-get install texlive-latex-base "
                "texlive-latex-recommended texlive-luatex fonts-dejavu-core latexmk")
PDF_TIMEOUT = 180
GUARD_START = 30  # seconds for the TeX guard process to start


ENGINES = ("lualatex", "xelatex", "pdflatex")
"""TeX engines in order of preference: the first two print any character of the Unicode font."""
_LATEXMK_FLAG = {"lualatex": "-lualatex", "xelatex": "-xelatex", "pdflatex": "-pdf"}


def tex_engine(tex: str) -> tuple[str, str]:
    """(name, path) of the engine to compile ``tex`` with; a DlderiveError when none installed can."""
    found = [(name, shutil.which(name)) for name in ENGINES]
    found = [(name, path) for name, path in found if path]
    if not found:
        raise DlderiveError(f"--pdf needs lualatex, xelatex or pdflatex, none of which is installed: {INSTALL_HINT}")
    from .pages import needs_unicode_engine
    name, path = found[0]
    if name == "pdflatex" and needs_unicode_engine(tex):
        c = next(c for c in tex if not c.isascii())
        raise DlderiveError(f"--pdf: the character {c!r} (U+{ord(c):04X}) needs lualatex or xelatex, which are "
                            f"not installed (pdflatex's fonts lack it): apt-get install texlive-luatex fonts-dejavu-core")
    return name, path


def compile_pdf(tex: str, stem: str, written: list[Path]) -> bytes:
    """The PDF of ``tex`` from lualatex, xelatex or pdflatex (through latexmk when installed), run without shell
    escape in a scratch folder and a process group owned by a guard process (``texguard``), which removes both
    when the build ends, is interrupted or is killed."""
    already = ", ".join(p.name for p in written)
    try:
        engine, path = tex_engine(tex)
    except DlderiveError as exc:
        raise DlderiveError(f"{exc.message}; no PDF written ({already} were written)") from None
    latexmk = shutil.which("latexmk")
    source = f"{stem}.tex"
    if latexmk:
        command = [latexmk, _LATEXMK_FLAG[engine], "-interaction=nonstopmode", "-halt-on-error",
                   "-no-shell-escape", "-quiet", source]
    else:
        command = [path, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", source]
    env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f")
    with _TexRun(command, env) as run:
        scratch = run.folder
        (scratch / source).write_text(tex, encoding="utf-8")
        returncode = run.wait(PDF_TIMEOUT)
        if returncode is None:
            raise DlderiveError(f"{engine} took longer than {PDF_TIMEOUT} s; no PDF written ({already} were written)")
        result = scratch / f"{stem}.pdf"
        if returncode != 0 or not result.exists():
            log = scratch / f"{stem}.log"
            raise DlderiveError(f"{engine} failed: {_first_error(log)}; no PDF written ({already} were written)")
        too_wide = overfull_lines(scratch / f"{stem}.log")
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


class _TexRun:
    """A TeX command run by the guard process (``texguard``) in its scratch folder: ``folder`` once started,
    ``wait(seconds)`` for the exit status (None on a timeout); leaving the block closes the guard's pipe, and the
    guard kills what is left of the TeX process group and removes the folder before this returns."""

    def __init__(self, command: list[str], env: dict):
        self.command, self.env = command, env

    def __enter__(self) -> "_TexRun":
        guard = Path(__file__).with_name("texguard.py")
        self.process = subprocess.Popen([sys.executable, "-I", "-S", str(guard), *self.command], env=self.env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        start_new_session=True)
        try:
            word, _, folder = self._line(GUARD_START).partition(" ")
            if word != "folder":
                raise DlderiveError("--pdf: the TeX guard process did not start; no PDF written")
            self.folder = Path(folder)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _line(self, seconds: float) -> str | None:
        ready, _, _ = select.select([self.process.stdout], [], [], seconds)
        return self.process.stdout.readline().rstrip("\n") if ready else None

    def wait(self, seconds: float) -> int | None:
        self.process.stdin.write("run\n")
        self.process.stdin.flush()
        line = self._line(seconds)
        if line is None:
            return None
        word, _, status = line.partition(" ")
        if word != "exit":
            raise DlderiveError("--pdf: the TeX guard process stopped; no PDF written")
        return int(status.split()[0])

    def __exit__(self, *exc) -> None:
        try:
            self.process.stdin.close()
        except OSError:
            pass
        self.process.wait()
        self.process.stdout.close()


def _first_error(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "no log"
    for i, line in enumerate(lines):
        if line.startswith("!"):
            return " ".join(l.strip() for l in lines[i:i + 3])
    return "see the LaTeX log"
