"""`dlderive build` on hostile output places and when interrupted: one error line (exit 2) before anything
is written, no stale PDF, no temporary file, scratch folder or TeX process left behind. The oracles are the
file system and /proc (which processes exist), observed from outside the build."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlderive.cli import main
from dlderive.commands import build as build_module
from dlderive.export import pdf as pdf_module
from dlderive.errors import DlderiveError

SMALL = """title = "Small"
[[sections]]
title = "S"
[[sections.items]]
kind = "text"
heading = "H"
text = "Hello $x^2$"
"""


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


def _fails(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dlderive: error: "), err
    return err[0]


def test_out_under_a_file(small, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    line = _fails(["build", str(small), "--out", str(tmp_path / "file" / "sub")], capsys)
    assert f"--out {tmp_path / 'file' / 'sub'}: {tmp_path / 'file'} is a file, not a folder" in line


def test_out_a_dangling_symlink(small, tmp_path, capsys):
    (tmp_path / "link").symlink_to(tmp_path / "missing")
    line = _fails(["build", str(small), "--out", str(tmp_path / "link")], capsys)
    assert "a symbolic link to" in line and "does not exist" in line
    assert not (tmp_path / "missing").exists()


def test_out_a_read_only_folder(small, tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = _fails(["build", str(small), "--out", str(folder)], capsys)
    finally:
        folder.chmod(0o755)
    assert f"--out {folder}: the folder is read-only" in line
    assert list(folder.iterdir()) == []


def test_a_folder_named_like_an_output_stops_the_build_before_anything_is_written(small, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "small.tex").write_text("old tex")
    (out / "small.html").mkdir()
    line = _fails(["build", str(small), "--out", str(out)], capsys)
    assert f"{out / 'small.html'}: a folder of that name is in the way; nothing was written" in line
    assert (out / "small.tex").read_text() == "old tex"
    assert sorted(p.name for p in out.iterdir()) == ["small.html", "small.tex"]


def test_a_read_only_target_is_refused_not_replaced(small, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "small.md"
    target.write_text("mine")
    target.chmod(0o444)
    line = _fails(["build", str(small), "--out", str(out)], capsys)
    assert f"{target}: the file is read-only and is not replaced" in line
    assert target.read_text() == "mine" and stat.S_IMODE(target.stat().st_mode) == 0o444
    assert sorted(p.name for p in out.iterdir()) == ["small.md"]


def test_an_interrupted_write_leaves_no_temporary_file(small, tmp_path, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module.os, "fsync", interrupted)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        build_module.build(small, out)
    assert list(out.iterdir()) == []


def test_a_failed_pdf_removes_the_stale_pdf(small, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "small.pdf").write_bytes(b"%PDF- an old build")

    def failing(tex, stem, written):
        raise DlderiveError("lualatex failed: ! Emergency stop.; no PDF written")

    monkeypatch.setattr(pdf_module, "compile_pdf", failing)
    with pytest.raises(DlderiveError, match="the previous small.pdf was removed"):
        build_module.build(small, out, pdf=True)
    assert sorted(p.name for p in out.iterdir()) == ["small.html", "small.md", "small.tex"]


def _session_members(sid: int) -> list[int]:
    """The processes of session ``sid``, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _tex_session(build: subprocess.Popen) -> tuple[int, int] | None:
    """(guard, TeX session) once the build's guard process has started the TeX engine in a session of its own."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and build.poll() is None:
        for guard in _children(build.pid):
            engines = _children(guard)
            if engines and _session_members(engines[0]):
                time.sleep(0.3)
                return guard, engines[0]
        time.sleep(0.05)
    return None


def _gone_within(seconds: float, *checks) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(check() for check in checks):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_killed_pdf_build_leaves_no_process_scratch_folder_or_temporary_file(tmp_path, sig):
    scratch_root, out = tmp_path / "tmp", tmp_path / "out"
    scratch_root.mkdir()
    handout = Path(__file__).parents[1] / "derivations" / "week8.toml"
    env = dict(os.environ, TMPDIR=str(scratch_root))
    build = subprocess.Popen([sys.executable, "-m", "dlderive.cli", "build", str(handout), "--out", str(out), "--pdf"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    found = _tex_session(build)
    assert found is not None, "the TeX engine never started"
    guard, tex_session = found
    assert list(scratch_root.glob("dlderive-pdf-*"))
    build.send_signal(sig)
    _, err = build.communicate(timeout=60)
    if sig == signal.SIGKILL:  # no handler runs: the guard sees its pipe close and cleans up on its own
        assert build.returncode == -signal.SIGKILL
        assert _gone_within(5, lambda: _session_members(tex_session), lambda: list(scratch_root.iterdir()),
                            lambda: Path(f"/proc/{guard}/stat").exists() and "Z" != _state(guard))
    else:
        assert build.returncode == 130, err
        assert err.strip() == "dlderive: interrupted"
    assert _session_members(tex_session) == []
    assert list(scratch_root.iterdir()) == []
    assert not [p for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    assert not (out / "week8.pdf").exists()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


_SLOW_WRITE = """
import os, sys, time
from pathlib import Path
from dlderive.commands import build
def slow(fd):
    print("writing", flush=True)
    time.sleep(60)
os.fsync = slow
build.build(Path(sys.argv[1]), Path(sys.argv[2]))
"""


def test_a_build_killed_while_writing_leaves_a_temporary_file_that_the_next_build_removes(small, tmp_path):
    out = tmp_path / "out"
    writer = subprocess.Popen([sys.executable, "-c", _SLOW_WRITE, str(small), str(out)], stdout=subprocess.PIPE,
                              text=True)
    assert writer.stdout.readline().strip() == "writing"
    writer.kill()
    writer.wait()
    left = [p.name for p in out.iterdir()]
    assert len(left) == 1 and left[0].startswith(".small.tex.dlderive-") and left[0].endswith(".tmp"), left
    (out / f".small.md.dlderive-{os.getpid()}-0123abcd.tmp").write_text("a live build's file")  # not stale: kept
    (out / ".notes.tmp").write_text("not the build's")
    build_module.build(small, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f".small.md.dlderive-{os.getpid()}-0123abcd.tmp", ".notes.tmp", "small.html", "small.md", "small.tex"])


GUARD = Path(pdf_module.__file__).with_name("texguard.py")


def _guard(tmp_path, command):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    guard = subprocess.Popen([sys.executable, str(GUARD), *command], env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, start_new_session=True)
    word, _, folder = guard.stdout.readline().strip().partition(" ")
    assert word == "folder" and Path(folder).parent == tmp_path and Path(folder).is_dir()
    return guard, Path(folder)


def test_the_guard_kills_the_whole_tex_group_and_removes_its_folder_when_its_pipe_closes(tmp_path):
    # the "engine" forks a child that outlives it, as latexmk does with pdflatex
    guard, folder = _guard(tmp_path, ["sh", "-c", "sleep 120 & echo $! > child; sleep 120"])
    guard.stdin.write("run\n")
    guard.stdin.flush()
    deadline = time.monotonic() + 30
    while not (folder / "child").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    engine = _children(guard.pid)[0]
    child = int((folder / "child").read_text())
    assert _session_members(engine) and child in _session_members(engine)
    guard.stdin.close()  # what the build's death does
    assert guard.wait(timeout=30) == 0
    assert _session_members(engine) == [] and not folder.exists()


def test_the_guard_reports_the_exit_status_and_removes_the_folder_of_a_run_that_never_started(tmp_path):
    guard, folder = _guard(tmp_path, ["sh", "-c", "exit 3"])
    guard.stdin.write("run\n")
    guard.stdin.flush()
    assert guard.stdout.readline().strip() == "exit 3"
    guard.stdin.close()
    assert guard.wait(timeout=30) == 0 and not folder.exists()
    guard, folder = _guard(tmp_path, ["sh", "-c", "exit 0"])
    guard.stdin.close()  # the build died before the source was written
    assert guard.wait(timeout=30) == 0 and not folder.exists() and list(tmp_path.iterdir()) == []
