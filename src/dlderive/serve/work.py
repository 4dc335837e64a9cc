"""What the worker processes run: a check, a derivation, a handout build.  Each takes plain data and
returns plain data (``(media type, body)`` or JSON-ready values); a DlderiveError is the user's."""
from __future__ import annotations

import tempfile
from pathlib import Path

from .. import catalog
from ..cells import CELLS, register_cell
from ..cells.declared import cell_from_toml
from ..check.batch import check_files
from ..check.errors import RelationTimeout
from ..check.timing import time_limit
from ..export.pdf import compile_pdf
from ..derive import derive
from ..errors import DlderiveError
from ..export import render
from ..export.html import relation_mathml
from ..handout import build_document, load
from ..handout.kinds import CELL_FOLDER
from ..notation import preset

MEDIA = {"json": "application/json", "text": "text/plain; charset=utf-8", "latex": "text/x-tex; charset=utf-8",
         "markdown": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}
HANDOUT_OUTPUTS = {"html": ("html", ".html"), "tex": ("latex", ".tex"), "md": ("markdown", ".md"), "pdf": (None, ".pdf")}


def check(text: str, name: str, model: str | None, cell: str | None, timeout: float,
          mathml: bool = False) -> tuple[str, list[str] | None]:
    """The report as ``dlderive check --format json`` prints it (checked as it checks a file, by a
    supervised process of its own), and the MathML of each relation if asked.

    ``cell``: the TOML text of a declared cell, put in scope (as ``model``) for this check only."""
    declared = None
    if cell is not None:
        declared = cell_from_toml(cell, "cell")
        if declared.name in CELLS:
            raise DlderiveError(f"cell: the name {declared.name!r} is taken by a built-in cell; choose another name")
        register_cell(declared)
        model = declared.name
    try:
        report = check_files([(name, text)], model, timeout, 1)[0]
    finally:
        if declared is not None:
            catalog.unregister(declared.name)
    shown = [str(relation_mathml(r.latex)) for r in report.relations] if mathml else None
    return render(report, "json"), shown


def derivation(name: str, form: str, steps: int | None, fmt: str, timeout: float) -> tuple[str, str]:
    """``dlderive derive NAME --form --steps --format`` as (media type, body)."""
    try:
        with time_limit(timeout):
            d = derive(name, form, steps)
    except RelationTimeout:
        raise DlderiveError(f"{name}: the derivation took more than {timeout:g} s of CPU time") from None
    return MEDIA[fmt], render(d, fmt, preset("sample")).rstrip("\n") + ("" if fmt == "json" else "\n")


def handout(path: str | None, toml: str | None, answers: bool, seed: int | None, output: str) -> tuple[str, bytes]:
    """A handout (a file of the served folder, or pasted TOML) as (file name, bytes) in ``output``
    (html, tex, md or pdf), as ``dlderive build`` writes it."""
    with tempfile.TemporaryDirectory(prefix="dlderive-serve-") as scratch:
        if toml is not None:
            path = str(Path(scratch) / "handout.toml")
            Path(path).write_text(toml, encoding="utf-8")
        # cell files only from the served folder (none for a pasted handout); forgotten after the build
        folder = Path(path).parent if toml is None else Path(scratch) / "no-cell-files"
        token, known = CELL_FOLDER.set(folder), set(CELLS)
        try:
            spec = load(path)
            doc = build_document(spec, seed=seed, answers=answers)
        except DlderiveError as exc:  # the pasted file is "handout.toml", wherever it was written
            raise DlderiveError(str(exc).replace(scratch + "/", "")) from None
        finally:
            CELL_FOLDER.reset(token)
            for name in set(CELLS) - known:
                catalog.unregister(name)
        fmt, suffix = HANDOUT_OUTPUTS[output]
        if fmt is not None:
            return spec.stem + suffix, render(doc, fmt, doc.notation).encode("utf-8")
        return spec.stem + suffix, compile_pdf(render(doc, "latex", doc.notation), spec.stem, [])


def listing() -> dict[str, str]:
    """``dlderive list``: every derivation name with its description."""
    return catalog.describe()


def warm() -> None:
    """Build in this process what every check needs (the parser, the models' scopes), so that the
    processes it starts for each check inherit it."""
    from ..check import check_text

    for model in (None, "lstm"):
        check_text("$$\\frac{d}{dx} x^2 = 2x$$\n\n$$h_t = o_t \\circ \\tanh(c_t)$$", "warm.md", model, None)
