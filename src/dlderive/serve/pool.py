"""Supervised worker processes for the web app: a call runs in one of ``size`` processes, at most
``queue`` calls wait for one, and a call that overruns its wall-clock limit has its process killed
and replaced, so one slow request never blocks the others for long."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from ..check.batch import _limit_memory
from ..errors import DlderiveError

PRELOAD = ["dlderive.serve.work"]
"""Imported once by the fork server, so every worker starts warm (SymPy, the parser, the renderers)."""


class Busy(Exception):
    """Every worker is busy and the queue is full."""


class Overrun(Exception):
    """The call took longer than its wall-clock limit; its worker was replaced."""


class WorkerFailed(Exception):
    """The worker process died during the call (a signal, the memory limit)."""


def _worker_main(conn) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the server's to handle
    os.setpgid(0, 0)  # a group of its own: killing it kills the checker processes it started too
    _limit_memory()
    from . import work

    work.warm()
    conn.send("ready")

    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", fn(*args)))
        except DlderiveError as exc:
            conn.send(("user", "; ".join(str(exc).splitlines()) or type(exc).__name__))  # every problem, one line
        except Exception as exc:
            conn.send(("bug", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"))


class _Worker:
    def __init__(self, context):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,))  # not a daemon: it starts the checker's own
        self.process.start()
        child.close()
        if self.conn.recv() != "ready":  # blocking: the worker is warm before it gets its first call
            raise RuntimeError("a worker process did not start")

    def call(self, fn, args):
        """Blocking: send the call, wait for its answer (run in a thread)."""
        try:
            self.conn.send((fn, args))
            return self.conn.recv()
        except (EOFError, OSError):
            return ("died", None)

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """``await pool.run(fn, *args)``: ``fn(*args)`` in a worker process, within ``wall`` seconds."""

    def __init__(self, size: int = 2, queue: int = 100, wall: float = 60.0):
        if size < 1 or queue < 0 or not wall > 0:
            raise DlderiveError("the worker pool needs at least 1 worker, a queue of 0 or more and a positive wall limit")
        self.size, self.queue, self.wall = size, queue, wall
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="dlderive-worker")
        self._idle: asyncio.Queue | None = None
        self._pending = 0
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(loop.run_in_executor(self._threads, self._spawn) for _ in range(self.size)))
        for w in workers:
            self._idle.put_nowait(w)

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context)
        with self._lock:
            self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)

    async def run(self, fn, *args, wall: float | None = None):
        """The value of ``fn(*args)``; DlderiveError for the user's errors, Busy, Overrun, WorkerFailed,
        and RuntimeError for a bug of the engine (one line)."""
        if self._idle is None:
            raise RuntimeError("the worker pool is not started")
        if self._pending >= self.size + self.queue:
            raise Busy()
        self._pending += 1
        loop = asyncio.get_running_loop()
        try:
            worker = await self._idle.get()
            call = loop.run_in_executor(self._threads, worker.call, fn, args)
            try:
                status, value = await asyncio.wait_for(asyncio.shield(call), wall or self.wall)
                if status == "died":  # replaced off the event loop: other requests go on meanwhile
                    await loop.run_in_executor(None, self._retire, worker)
                    worker = await loop.run_in_executor(None, self._spawn)
            except asyncio.TimeoutError:
                await loop.run_in_executor(None, self._retire, worker)
                worker = await loop.run_in_executor(None, self._spawn)
                raise Overrun() from None
            except asyncio.CancelledError:  # the client went away: the answer is not needed, the worker is
                await loop.run_in_executor(None, self._retire, worker)
                worker = await loop.run_in_executor(None, self._spawn)
                raise
            finally:
                self._idle.put_nowait(worker)
            if status == "died":
                raise WorkerFailed()
        finally:
            self._pending -= 1
        if status == "user":
            raise DlderiveError(value)
        if status == "bug":
            raise RuntimeError(value)
        return value

    def close(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for w in workers:
            w.kill()
        self._threads.shutdown(wait=False, cancel_futures=True)
