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

    monkeypatch.setattr(build_module, "compile_pdf", failing)
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


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_killed_pdf_build_leaves_no_process_scratch_folder_or_temporary_file(tmp_path, sig):
    scratch_root, out = tmp_path / "tmp", tmp_path / "out"
    scratch_root.mkdir()
    handout = Path(__file__).parents[1] / "derivations" / "week8.toml"
    env = dict(os.environ, TMPDIR=str(scratch_root))
    build = subprocess.Popen([sys.executable, "-m", "dlderive.cli", "build", str(handout), "--out", str(out), "--pdf"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tex_session = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and build.poll() is None:  # wait for the TeX engine to be running
        engines = _children(build.pid)
        if engines and _session_members(engines[0]):
            tex_session = engines[0]
            time.sleep(0.3)
            break
        time.sleep(0.05)
    assert tex_session is not None, "the TeX engine never started"
    assert list(scratch_root.glob("dlderive-pdf-*"))
    build.send_signal(sig)
    _, err = build.communicate(timeout=60)
    assert build.returncode == 130, err
    assert err.strip() == "dlderive: interrupted"
    assert _session_members(tex_session) == []
    assert list(scratch_root.iterdir()) == []
    assert not [p for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    assert not (out / "week8.pdf").exists()
