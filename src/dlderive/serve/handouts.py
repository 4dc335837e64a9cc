"""The handout folder given on the command line: its TOML files by name (nothing outside it), and
the names of those that change on disk, as server-sent events (watchfiles)."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

from watchfiles import awatch

MAX_NAME = 255


class HandoutFolder:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def names(self) -> list[str]:
        """The handout files of the folder itself (``*.toml``, not hidden, no link that leads out), sorted."""
        try:
            return sorted(p.name for p in self.root.iterdir()
                          if p.suffix == ".toml" and not p.name.startswith(".") and p.is_file()
                          and p.resolve().parent == self.root)
        except OSError:
            return []

    def resolve(self, name: str) -> Path | None:
        """The file ``name`` of the folder, or None: only a listed name, never a path that leads elsewhere."""
        if len(name) > MAX_NAME or name not in self.names():
            return None
        path = (self.root / name).resolve()
        return path if path.parent == self.root and path.is_file() else None

    async def events(self, stop: asyncio.Event):
        """Server-sent events: ``ready`` once the folder is watched, then ``data: ["week8.toml"]`` each
        time handout files change, and a comment line every second (a client that left is noticed).
        Ends when ``stop`` is set (the server stops)."""
        mine = asyncio.Event()  # awatch sets its stop event when it is cancelled: never the server's own
        relay = asyncio.create_task(_set_when(stop, mine))
        try:
            ready = False
            async for changes in awatch(self.root, stop_event=mine, recursive=False, debounce=200, step=50,
                                        rust_timeout=1000, yield_on_timeout=True):
                if not ready:
                    ready = True
                    yield "event: ready\ndata: []\n\n"
                changed = sorted({Path(p).name for _, p in changes if p.endswith(".toml")})
                yield f"data: {json.dumps(changed)}\n\n" if changed else ": watching\n\n"
        finally:
            relay.cancel()


async def _set_when(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()
