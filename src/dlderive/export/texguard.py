"""The TeX run's guard: a small process that owns the scratch folder and the TeX process group, and
removes both as soon as the build that started it stops listening, however it stopped (SIGKILL too).

Run as a script (standard library only, so that it starts in a few milliseconds), in a session of its
own, with a pipe from the build on standard input and one back on standard output:

    guard prints  "folder PATH"        (a new scratch folder under TMPDIR)
    build sends   "run"                (after writing the source into PATH)
    guard prints  "exit STATUS"        (TeX has ended; the rest of its process group is killed)
    build closes standard input        (after reading the PDF and the log)

When standard input closes, at any step, the guard kills the TeX process group, removes the folder
and exits. The TeX command and its environment are the guard's arguments and environment.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

PREFIX = "dlderive-pdf-"


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)  # latexmk's children too, even after latexmk exits
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + 5  # the signal is delivered asynchronously: the guard ends once it has been
    while _live_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _live_members(pgid: int) -> bool:
    """Whether a process of group ``pgid`` is still running (zombies, waiting for their parent, are not)."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def main(command: list[str]) -> int:
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)  # only the closing pipe ends the guard
    folder = tempfile.mkdtemp(prefix=PREFIX)
    lock = threading.Lock()
    tex: list[subprocess.Popen] = []

    def say(line: str) -> None:
        try:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except OSError:  # the build is gone: standard input is about to close too
            pass

    def report_exit(process: subprocess.Popen) -> None:
        status = process.wait()
        _kill_group(process.pid)
        say(f"exit {status}")

    say(f"folder {folder}")
    try:
        for line in sys.stdin:
            if line.strip() == "run":
                with lock:
                    if tex:
                        continue
                    try:
                        tex.append(subprocess.Popen(command, cwd=folder, stdin=subprocess.DEVNULL,
                                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                                    start_new_session=True))
                    except OSError as exc:
                        say(f"exit 127 {exc.strerror or exc}")
                        continue
                    threading.Thread(target=report_exit, args=(tex[0],), daemon=True).start()
    except (OSError, ValueError):
        pass
    finally:
        with lock:
            for process in tex:
                _kill_group(process.pid)
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
