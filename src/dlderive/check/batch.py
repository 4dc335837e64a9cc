"""Many files checked by supervised worker processes, each file within a wall-clock budget.

A worker reads and checks one file at a time and tells its supervisor which relation it is deciding.
The per-relation CPU limit (``timing``) stops Python code; a computation it cannot interrupt (inside
C code) is stopped from outside: when a file overruns its budget, its worker is killed and replaced,
and the file is checked again with that relation marked unverifiable. The budget of a file is
``read_budget(size) + relations x relation_budget(timeout)`` seconds of its worker's CPU time (as the
supervisor reads it from /proc; wall-clock time where it cannot), and never more than ``WALL_FACTOR``
times that in wall-clock time; time banked by quick relations is available to slow ones. A file is
restarted at most ``MAX_STOPS`` times; after that, or if it overruns while it is being read, its report
carries an error and what was decided.
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Iterable, Iterator, Union

from ..errors import DlderiveError
from ..reader import parser
from .checker import Checker
from .document import read_document
from .errors import CheckError
from .limits import DEFAULT_TIMEOUT, MAX_FILE_BYTES, jobs_problem
from .report import FileReport, Relation, Verdict
from .timing import validated

MEMORY_LIMIT = 3 * 2**30  # bytes of address space per worker process
READ_SECONDS = 5.0  # wall-clock seconds to read any file, plus READ_SECONDS_PER_MB for each megabyte
READ_SECONDS_PER_MB = 15.0
GRACE = 1.0  # wall-clock seconds a relation may take beyond one and a half times the CPU limit
MAX_STOPS = 3  # relations stopped by force in one file before the rest of it is given up
WALL_FACTOR = 10.0  # a worker that gets no CPU (blocked, or a busy machine) is stopped after 10 x its budget
POLL = 0.2  # seconds between two looks at the workers' clocks
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

Item = Union[str, Path, "tuple[str, str]"]


def relation_budget(timeout: float | None) -> float:
    """Wall-clock seconds banked for each relation: 1.5 x the CPU limit + GRACE (the default: 4 s)."""
    return 1.5 * (timeout if timeout is not None else DEFAULT_TIMEOUT) + GRACE


def read_budget(size: int) -> float:
    """Wall-clock seconds to read, split and parse a file of ``size`` bytes (25 s at the 2 MB limit)."""
    return READ_SECONDS + READ_SECONDS_PER_MB * size / 1e6


def file_budget(size: int, relations: int, timeout: float | None) -> float:
    """Seconds of CPU time a file of ``size`` bytes with ``relations`` relations may take: its budget."""
    return read_budget(size) + relations * relation_budget(timeout)


@dataclass(frozen=True)
class Timing:
    """How long a file took: seconds of its workers' CPU time (restarts included), wall-clock seconds from its
    start to its report, and its budget (``file_budget``)."""
    cpu: float
    wall: float
    budget: float


def validated_jobs(jobs, name: str = "jobs") -> int:
    """A number of worker processes: a whole number from 1 to MAX_JOBS."""
    why = jobs_problem(jobs)
    if why:
        raise DlderiveError(f"{name} {why}")
    return int(jobs)


def check_files(files: Iterable[Item], model: str | None = None, timeout: float | None = DEFAULT_TIMEOUT,
                jobs: int = 1) -> list[FileReport]:
    """One report per file, in the order given (see ``iter_reports``)."""
    files = list(files)
    out: list = [None] * len(files)
    for index, report in iter_reports(files, model, timeout, jobs):
        out[index] = report
    return out


def iter_reports(files: Iterable[Item], model: str | None = None, timeout: float | None = DEFAULT_TIMEOUT,
                 jobs: int = 1) -> Iterator[tuple[int, FileReport]]:
    """``(index, report)`` for each file as soon as it is done. A file is a path or a ``(name, text)`` pair."""
    for index, report, _ in iter_timed(files, model, timeout, jobs):
        yield index, report


def iter_timed(files: Iterable[Item], model: str | None = None, timeout: float | None = DEFAULT_TIMEOUT,
               jobs: int = 1) -> Iterator[tuple[int, FileReport, Timing]]:
    """``(index, report, timing)`` for each file as soon as it is done (see ``iter_reports``)."""
    timeout, jobs = validated(timeout), validated_jobs(jobs)
    tasks = deque(_Task(i, item) for i, item in enumerate(files))
    if not tasks:
        return
    parser()  # built once here, inherited by the workers
    context = multiprocessing.get_context("fork")
    idle: list = [None] * min(jobs, len(tasks))  # None: a worker not started yet
    busy: list[_Worker] = []
    try:
        while tasks or busy:
            while tasks and idle:
                worker = idle.pop()
                if worker is None or not worker.process.is_alive():  # not started yet, or died while idle
                    if worker:
                        worker.close()
                    worker = _Worker(context, model, timeout)
                worker.start(tasks.popleft())
                busy.append(worker)
            ready = wait([w.conn for w in busy], timeout=POLL)
            for worker in list(busy):
                task = worker.task
                if worker.conn in ready:
                    report = worker.receive()
                elif worker.overrun():
                    report = worker.stop_overrun()
                else:
                    continue
                if worker.task is None:  # the file is done (or given up): the worker is free or replaced
                    busy.remove(worker)
                    idle.append(worker if worker.alive else None)
                    budget = file_budget(task.size(), len(report.relations), timeout)
                    yield task.index, report, Timing(task.cpu, time.monotonic() - task.started, budget)
                elif not worker.alive:  # the file goes on in a new worker, with the stopped relation marked
                    busy.remove(worker)
                    replacement = _Worker(context, model, timeout)
                    replacement.start(task)
                    busy.append(replacement)
    finally:
        for worker in idle + busy:
            if worker:
                worker.close()


@dataclass
class _Task:
    index: int
    item: Item
    stopped: dict = field(default_factory=dict)  # ordinal -> the reason it was stopped
    cpu: float = 0.0  # seconds of CPU time its workers have used on it
    started: float | None = None  # when a worker first took it

    @property
    def name(self) -> str:
        return str(self.item[0] if isinstance(self.item, tuple) else self.item)

    def size(self) -> int:
        if isinstance(self.item, tuple):
            return len(self.item[1])
        try:
            return min(os.stat(self.item).st_size, MAX_FILE_BYTES)
        except OSError:
            return 0


class _Worker:
    """One worker process and what the supervisor knows of its current file."""

    def __init__(self, context, model, timeout):
        self.timeout = timeout
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, self.conn, model, timeout), daemon=True)
        self.process.start()
        child.close()
        self.alive, self.task, self.last = True, None, None

    def start(self, task: _Task) -> None:
        self.task, self.current, self.decided = task, None, []
        self.started = time.monotonic()
        task.started = task.started or self.started
        self.cpu_start = self.since = self.clock()
        self.budget = read_budget(task.size())
        try:
            self.conn.send((task.item, task.stopped))
        except OSError:  # a worker that died while idle: receive() reports it
            pass

    def clock(self) -> float:
        """Seconds of CPU time the worker has used (wall-clock time where /proc cannot say)."""
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as f:
                fields = f.read().rpartition(b")")[2].split()
            self.last = (int(fields[11]) + int(fields[12])) / _TICKS
        except (OSError, IndexError, ValueError):
            if self.last is None:  # never read: no /proc here
                return time.monotonic()
        return self.last  # after the worker's end: its last reading

    def overrun(self) -> bool:
        """The file has used its budget (of the worker's CPU time), or WALL_FACTOR times it in wall-clock time."""
        return (self.clock() - self.cpu_start > self.budget
                or time.monotonic() - self.started > WALL_FACTOR * self.budget)

    def receive(self) -> FileReport | None:
        """Handle one message; the report when the file is done, None while it goes on."""
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(1)
            code = self.process.exitcode
            how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
            why = f"the checker's worker process stopped ({how}; its memory limit is {MEMORY_LIMIT >> 30} GB)"
            return self._stopped(f"{why} while deciding this relation", f"{why} while reading the file")
        if message[0] == "deciding":
            _, ordinal, line, latex, new = message
            self.decided.extend(new)
            now = self.clock()
            if self.current is None:  # reading is over: its unused time is not banked
                self.budget = now - self.cpu_start
            self.current, self.since = (ordinal, line, latex), now
            self.budget += relation_budget(self.timeout)
            return None
        self.task.cpu += self.clock() - self.cpu_start
        self.task = None
        return message[1]

    def stop_overrun(self) -> FileReport | None:
        spent = self.clock() - self.since
        limit = "no limit" if self.timeout is None else f"{self.timeout:g} s of CPU time"
        return self._stopped(f"no decision within the time limit ({limit}); stopped by force after {spent:.1f} s",
                             f"reading the file took longer than its budget ({self.budget:.1f} s); "
                             f"it was not checked")

    def _stopped(self, relation_reason: str, reading_error: str) -> FileReport | None:
        """Kill the worker; the file's report if it is given up, None if it is to be checked again."""
        self.task.cpu += self.clock() - self.cpu_start
        self.close()
        task, current = self.task, self.current
        if current is None:
            self.task = None
            return FileReport(task.name, tuple(self.decided), f"{task.name}: {reading_error}")
        why = relation_reason
        ordinal, line, latex = current
        task.stopped[ordinal] = why
        if len(task.stopped) <= MAX_STOPS:
            return None
        self.task = None
        relations = tuple(self.decided) + (Relation(line, latex, Verdict.UNVERIFIABLE, why),)
        return FileReport(task.name, relations, f"{task.name}: checking stopped at line {line}: "
                          f"{len(task.stopped)} relations stopped by force; the rest of the file was not checked")

    def close(self) -> None:
        if self.alive:
            self.alive = False
            if self.process.is_alive():
                self.process.kill()
            self.process.join()
            self.conn.close()


def _serve(conn, parent_end, model, timeout) -> None:
    """A worker: check one file at a time, reporting each decision before it starts."""
    parent_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the supervisor's to handle
    _limit_memory()
    while True:
        try:
            item, stopped = conn.recv()
        except (EOFError, OSError):
            return
        sent = 0

        def watch(ordinal, line, latex, relations):
            nonlocal sent
            conn.send(("deciding", ordinal, line, latex, relations[sent:]))
            sent = len(relations)

        conn.send(("done", _check(item, Checker(model, timeout, watch, stopped))))


def _check(item: Item, checker: Checker) -> FileReport:
    name = str(item[0] if isinstance(item, tuple) else item)
    try:
        if isinstance(item, tuple):
            text = item[1]
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > MAX_FILE_BYTES:
                raise CheckError(f"{name}: {size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB")
        else:
            text = read_document(item)
        return checker.check_text(text, name)
    except CheckError as exc:
        return FileReport(name, (), str(exc))
    except Exception as exc:  # a failure of the checker itself: that file's report says so, the batch goes on
        if os.environ.get("DLDERIVE_STRICT"):
            raise
        return FileReport(name, (), f"{name}: internal error of the checker ({type(exc).__name__}); please report it")


def _limit_memory() -> None:
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > MEMORY_LIMIT:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, hard))
    except (ValueError, OSError):
        pass
