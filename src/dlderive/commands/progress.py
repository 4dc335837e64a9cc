"""Progress of long work, as a rich bar on a terminal's standard error; nothing when it is piped or quiet."""
from __future__ import annotations

import sys
from contextlib import contextmanager


@contextmanager
def progress(total: int, label: str, quiet: bool = False):
    """Yield ``advance()``, which moves the bar one unit of ``total``; a no-op off a terminal, when
    ``quiet``, or for fewer than two units."""
    if quiet or total < 2 or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True, redirect_stdout=sys.stdout.isatty(),
                  redirect_stderr=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
