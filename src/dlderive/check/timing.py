"""CPU-time limits: the per-relation time limit and the budget of a symbolic proof attempt."""
from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager

from ..errors import DlderiveError
from .errors import OutOfBudget, RelationTimeout
from .limits import timeout_problem

@contextmanager
def _cpu_alarm(seconds: float, error: type):
    """Raise ``error`` in the body after ``seconds`` of CPU time; the previous handler comes back after."""
    def expire(signum, frame):
        raise error()

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def validated(seconds, name: str = "timeout") -> float | None:
    """A time limit in seconds: positive, finite and at most MAX_TIMEOUT (None: no limit, for the library)."""
    if seconds is None:
        return None
    why = timeout_problem(seconds)
    if why:
        raise DlderiveError(f"{name} {why}")
    return float(seconds)


@contextmanager
def time_limit(seconds: float | None):
    """Raise RelationTimeout in the body after ``seconds`` of CPU time (main thread only; elsewhere no limit).

    CPU time, not wall time: a verdict does not depend on how busy the machine is."""
    seconds = validated(seconds)
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    with _cpu_alarm(seconds, RelationTimeout):
        yield


@contextmanager
def budget(seconds: float):
    """Raise OutOfBudget after ``seconds`` of CPU time; the enclosing time_limit keeps running (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    outer, _ = signal.getitimer(signal.ITIMER_PROF)
    if outer and outer <= seconds:
        yield
        return

    start = time.process_time()
    try:
        with _cpu_alarm(seconds, OutOfBudget):
            yield
    finally:
        if outer:
            signal.setitimer(signal.ITIMER_PROF, max(outer - (time.process_time() - start), 0.001))
