"""The command line as a user meets it, through the real `dlderive` entry point: usage, version, help
with examples that parse, "did you mean", no SymPy for --help, and `check` streaming its results with
totals, directories, standard input, --quiet, colours and a progress bar on a terminal."""
from __future__ import annotations

import importlib
import json
import os
import pty
import re
import shlex
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import dlderive
from dlderive import cli
from dlderive.errors import DlderiveError

EXE = shutil.which("dlderive") or pytest.fail("the dlderive entry point is not installed (pip install -e .)")
check_command = importlib.import_module("dlderive.commands.check")


def dl(*argv, input=None, env=None):
    """Run the installed `dlderive`; (exit status, stdout, stderr)."""
    done = subprocess.run([EXE, *argv], capture_output=True, text=True, input=input, timeout=300,
                          env={**os.environ, **(env or {})})
    return done.returncode, done.stdout, done.stderr


def command_names() -> list[str]:
    return list(cli.build_parser().commands.choices)


# ---------------------------------------------------------------- usage, version, help


def test_bare_dlderive_prints_the_usage_and_every_command_and_exits_2():
    code, out, err = dl()
    assert code == 2 and out == ""
    assert err.startswith("usage: dlderive")
    listed = re.findall(r"^    (\S+)", err.split("commands:")[1], re.M)
    assert listed == command_names()
    assert set(listed) >= {"list", "derive", "conv", "net", "build", "check", "help"} and listed[-1] == "help"


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag):
    code, out, err = dl(flag)
    assert (code, out, err) == (0, f"dlderive {version('dlderive')}\n", "")
    assert version("dlderive") == dlderive.__version__


def test_help_and_help_command():
    code, out, _ = dl("help")
    assert code == 0 and out.startswith("usage: dlderive") and all(c in out for c in command_names())
    code, out, _ = dl("help", "check")
    assert code == 0 and out == dl("check", "--help")[1] and "usage: dlderive check" in out


def examples_of(name: str) -> list[str]:
    text = cli.build_parser().commands.choices[name].format_help()
    assert "\nexamples:\n" in text, f"{name} --help has no examples"
    return [line.strip() for line in text.split("\nexamples:\n")[1].splitlines() if line.strip()]


@pytest.mark.parametrize("name", command_names())
def test_every_help_has_examples_that_parse(name):
    examples = examples_of(name)
    assert examples
    for example in examples:
        command = next(part for part in example.split("|") if "dlderive" in part)
        argv = shlex.split(command)
        assert argv[:2] == ["dlderive", name], example
        args = cli.parse(cli.build_parser(), argv[1:])  # raises on any option the command does not have
        assert args.command == name and callable(args.run)


# ---------------------------------------------------------------- did you mean


@pytest.mark.parametrize("argv, expected", [
    (["drive", "lstm.hidden"], "unknown command 'drive'; did you mean derive?"),
    (["help", "chek"], "unknown command 'chek'; did you mean check?"),
    (["--verison"], "unrecognized option '--verison'; did you mean --version?"),
    (["derive", "lstm.hidden", "--formt", "json"], "derive: unrecognized option '--formt'; did you mean --format?"),
    (["check", "a.md", "--quite"], "check: unrecognized option '--quite'; did you mean --quiet?"),
    (["derive", "lstm.hidden", "--format", "jsn"], "--format: unknown value 'jsn'; did you mean json?"),
    (["derive", "lstm.hidden", "--form", "vectr"], "--form: unknown value 'vectr'; did you mean vector?"),
    (["conv", "--input", "8", "--kernel", "3", "--convention", "pytroch"], "did you mean pytorch?"),
    (["derive", "lstm.hiden"], "unknown derivation 'lstm.hiden'; did you mean lstm.hidden?"),
    (["derive", "gru.reset"], "did you mean gru.reset_gate?"),
    (["check", "a.md", "--model", "lstn"], "--model: unknown model 'lstn'; did you mean lstm?"),
])
def test_did_you_mean_is_one_line_and_exit_2(argv, expected):
    code, out, err = dl(*argv)
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith("dlderive: error: ") and expected in line


def test_no_suggestion_when_nothing_is_close():
    code, _, err = dl("derive", "zzzzzz")
    (line,) = err.splitlines()
    assert code == 2 and "did you mean" not in line and "dlderive list" in line
    code, _, err = dl("derive", "lstm.nope")  # a known cell: its derivations are named, none is close
    (line,) = err.splitlines()
    assert code == 2 and "did you mean" not in line and "those of lstm: lstm.forget_gate," in line
    assert "lstm.hidden" in line and "gru." not in line


# ---------------------------------------------------------------- --help and --version without SymPy


def imported(*argv) -> set[str]:
    """The top-level packages `dlderive ARGV` imports (python -X importtime, on the real entry point)."""
    done = subprocess.run([EXE, *argv], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"})
    return {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


@pytest.mark.parametrize("argv", [[], ["-V"], ["--help"], ["help"], *[[c, "--help"] for c in command_names()],
                                  ["help", "derive"]])
def test_help_and_version_do_not_import_sympy(argv):
    names = imported(*argv)
    assert "dlderive" in names  # the log is read: the package itself shows up
    assert not names & {"sympy", "numpy", "lark", "rich", "pydantic"}, argv


def test_a_command_that_runs_imports_sympy():
    assert "sympy" in imported("derive", "sigmoid")  # the check above can fail


def test_every_command_of_the_registry_is_checked_without_sympy():
    assert set(command_names()) == set(cli.COMMANDS) | {"list", "help"}


def test_light_choices_equal_the_registries_they_name():
    from dlderive import conv, derive, export
    from dlderive.commands import FORMATS, conv as conv_command, derive as derive_command
    assert FORMATS == tuple(export.FORMATS)
    assert derive_command.FORMS == derive.FORMS
    assert conv_command.CONVENTIONS == conv.CONVENTIONS and conv_command.SOLVABLE == conv.SOLVABLE


# ---------------------------------------------------------------- dlderive list


def test_list_is_a_table_of_every_derivation_with_its_forms(capsys):
    from dlderive.catalog import DERIVATIONS
    from dlderive.derive import derive
    code = cli.main(["list"])  # in this process: the same registry as DERIVATIONS
    rows = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert code == 0 and rows[0].split() == ["NAME", "FORMS", "RESULT"]
    table = {line.split()[0]: line for line in rows[1:]}
    assert [n for n in table if n in DERIVATIONS] == list(DERIVATIONS)
    column = rows[0].index("FORMS"), rows[0].index("RESULT")
    for name in DERIVATIONS:
        line = table[name]
        assert line[column[1]:] == DERIVATIONS[name].description
        forms = tuple(line[column[0]:column[1]].strip().split(", "))
        assert forms in (("scalar",), ("scalar", "vector"))
        if forms == ("scalar",):  # the engine refuses the form the table does not list
            with pytest.raises(DlderiveError):
                derive(name, "vector")
    assert table["sigmoid"][column[0]:column[1]].strip() == "scalar"
    assert derive("lstm.forget_gate", "vector").form == "vector"


# ---------------------------------------------------------------- dlderive check


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


DOCS = {  # verdicts worked out by hand: 2 + 2 is 4, not 5; the third cannot be read
    "a.md": "$$1 + 1 = 2$$\n\n$$2 + 2 = 5$$\n",
    "sub/b.tex": "$$3 \\cdot 3 = 9$$\n",
    "sub/deeper/c.txt": "$$\\frac{1}{ = 2$$\n",
    "d.markdown": "$$10 - 4 = 6$$\n",
}


def test_a_directory_is_every_document_under_it_sorted(tmp_path):
    write(tmp_path, {**DOCS, "notes.py": "x = 1\n", ".hidden/e.md": "$$1 = 2$$\n", "sub/.f.md": "$$1 = 2$$\n"})
    code, out, _ = dl("check", str(tmp_path), "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert [Path(d["file"]).relative_to(tmp_path).as_posix() for d in data] == [
        "a.md", "d.markdown", "sub/b.tex", "sub/deeper/c.txt"]
    assert [[r["verdict"] for r in d["relations"]] for d in data] == [
        ["valid", "invalid"], ["valid"], ["valid"], ["unverifiable"]]


def test_totals_row_ends_the_output(tmp_path):
    write(tmp_path, DOCS)
    code, out, _ = dl("check", str(tmp_path))
    lines = out.rstrip().splitlines()
    assert code == 1
    assert lines[-1].split() == ["total:", "4", "files", "3", "1", "1", "5"]
    assert lines[-6].split() == ["file", "valid", "invalid", "unverifiable", "relations"]
    code, out, _ = dl("check", str(tmp_path / "a.md"))
    assert out.rstrip().splitlines()[-1] == "total: 1 file, 2 relations: 1 valid, 1 invalid, 0 unverifiable"


def test_standard_input(tmp_path):
    code, out, err = dl("check", "-", input="$$2 \\cdot 3 = 5$$\n")
    assert code == 1 and err == ""
    assert out.splitlines()[0] == "<stdin>" and "✗    1  2 \\cdot 3 = 5" in out
    write(tmp_path, {"a.md": DOCS["a.md"]})
    code, out, _ = dl("check", str(tmp_path / "a.md"), "-", "--format", "json", input="$$1 = 1$$\n")
    assert code == 1 and [d["file"] for d in json.loads(out)] == [str(tmp_path / "a.md"), "<stdin>"]
    code, _, err = dl("check", "-", "-", input="$$1 = 1$$\n")
    assert code == 2 and len(err.splitlines()) == 1 and "only once" in err
    done = subprocess.run([EXE, "check", "-"], input=b"$$1 = 1$$\xff", capture_output=True, timeout=300)
    assert done.returncode == 2 and done.stderr.decode().splitlines() == [
        "dlderive: error: -: standard input is not valid UTF-8 (byte 9)"]


def test_a_missing_file_is_one_error_line(tmp_path):
    code, out, err = dl("check", str(tmp_path / "missing.md"))
    assert code == 2
    assert err.splitlines() == [f"dlderive: error: {tmp_path / 'missing.md'}: No such file or directory"]
    assert "missing.md" not in out and "cannot read" not in out
    assert out.splitlines() == ["total: 1 file (1 cannot be read), 0 relations: 0 valid, 0 invalid, 0 unverifiable"]


def test_an_empty_directory_is_one_error_line(tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = dl("check", str(tmp_path / "empty"))
    assert code == 2 and len(err.splitlines()) == 1 and "no .md, .tex, .txt, .markdown files" in err


def test_quiet_shows_only_invalid_relations(tmp_path):
    write(tmp_path, DOCS)
    code, out, _ = dl("check", str(tmp_path), "--quiet")
    assert code == 1
    assert "✗    3  2 + 2 = 5" in out and "✓" not in out and "?" not in out
    assert "b.tex" not in out and "c.txt" not in out
    assert out.rstrip().splitlines()[-1] == ("total: 4 files, 5 relations: 3 valid, 1 invalid, 1 unverifiable")


def test_text_is_streamed_file_by_file(monkeypatch, capsys, tmp_path):
    """Each report is on standard output before the next file is done."""
    from dlderive.check import check_text
    first, second = str(tmp_path / "first.md"), str(tmp_path / "second.md")
    reports = [check_text("$$1 + 1 = 2$$", first), check_text("$$1 + 1 = 3$$", second)]
    seen = []

    def fake(items, model, timeout, jobs):
        assert items == [first, second]
        yield 1, reports[1]  # the second file finishes first
        seen.append(capsys.readouterr().out)
        yield 0, reports[0]
        seen.append(capsys.readouterr().out)

    monkeypatch.setattr(check_command, "iter_reports", fake)
    write(tmp_path, {"first.md": "", "second.md": ""})
    assert cli.main(["check", first, second]) == 1
    assert seen[0].startswith(f"{second}\n✗") and "first.md" not in seen[0]
    assert seen[1].startswith(f"{first}\n✓")
    table = capsys.readouterr().out.splitlines()
    assert [row.split()[0] for row in table[1:3]] == [first, second]


def test_json_is_one_document_at_the_end(tmp_path):
    write(tmp_path, DOCS)
    code, out, _ = dl("check", str(tmp_path / "a.md"), str(tmp_path / "sub"), "--format", "json")
    assert code == 1 and len(json.loads(out)) == 3


# ---------------------------------------------------------------- colours and progress on a terminal


def on_terminal(argv, stdout_tty=True, stderr_tty=False, env=None):
    """Run `dlderive ARGV` with standard output and/or error on a pseudo-terminal; (status, stdout, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([EXE, *argv], stdin=subprocess.DEVNULL,
                            stdout=slave if stdout_tty else subprocess.PIPE,
                            stderr=slave if stderr_tty else subprocess.PIPE,
                            env={k: v for k, v in {**os.environ, "TERM": "xterm", **(env or {})}.items() if v is not None})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal is closed once the process has exited
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    out, err = proc.communicate(timeout=300)
    tty = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return (proc.returncode, tty if stdout_tty else out.decode(), tty if stderr_tty else err.decode())


GREEN, RED, YELLOW = "\x1b[32m✓", "\x1b[1;31m✗", "\x1b[33m?"


@pytest.fixture
def mixed(tmp_path):
    write(tmp_path, {"m.md": "$$1 + 1 = 2$$\n\n$$2 + 2 = 5$$\n\n$$\\frac{1}{ = 2$$\n"})
    return str(tmp_path / "m.md")


def test_colours_on_a_terminal(mixed):
    _, out, _ = on_terminal(["check", mixed], env={"NO_COLOR": None})
    assert GREEN in out and RED in out and YELLOW in out


def test_no_colour_with_no_color_or_never_or_a_pipe(mixed):
    assert "\x1b[" not in on_terminal(["check", mixed], env={"NO_COLOR": "1"})[1]
    assert "\x1b[" not in on_terminal(["check", mixed, "--color", "never"], env={"NO_COLOR": None})[1]
    code, out, _ = dl("check", mixed, env={"NO_COLOR": ""})
    assert code == 1 and "\x1b[" not in out and "✗" in out


def test_color_always_overrides_no_color_and_a_pipe(mixed):
    _, out, _ = dl("check", mixed, "--color", "always", env={"NO_COLOR": "1"})
    assert GREEN in out and RED in out and YELLOW in out


def test_progress_bar_only_on_a_terminal(tmp_path):
    write(tmp_path, DOCS)
    code, out, err = on_terminal(["check", str(tmp_path)], stdout_tty=False, stderr_tty=True)
    assert code == 1 and "checking" in err and "4/4" in err
    assert out.rstrip().splitlines()[-1].startswith("total: 4 files")
    code, _, err = dl("check", str(tmp_path))
    assert code == 1 and err == ""


def test_a_file_stopped_partway_shows_what_was_decided(monkeypatch, capsys, tmp_path):
    from dataclasses import replace

    from dlderive.check import check_text
    path = str(tmp_path / "long.md")
    stopped = replace(check_text("$$1 + 1 = 3$$", path), error=f"{path}: checking stopped at line 9")
    monkeypatch.setattr(check_command, "iter_reports", lambda items, *rest: iter([(0, stopped)]))
    write(tmp_path, {"long.md": ""})
    assert cli.main(["check", path]) == 2
    out, err = capsys.readouterr()
    assert "✗    1  1 + 1 = 3" in out and err.splitlines() == [f"dlderive: error: {path}: checking stopped at line 9"]


def test_build_variants_show_progress_only_on_a_terminal(tmp_path):
    week8 = str(Path(__file__).resolve().parents[1] / "derivations" / "week8.toml")
    argv = ["build", week8, "--out", str(tmp_path / "o"), "--variants", "1-3"]
    code, out, err = on_terminal(argv, stdout_tty=False, stderr_tty=True)
    # 3 variants x (key, student) = 6 documents, each with .tex .html .md
    assert code == 0 and "building" in err and "6/6" in err and len(out.splitlines()) == 18
    code, out, err = dl(*argv)
    assert code == 0 and err == "" and len(out.splitlines()) == 18
    code, out, err = on_terminal([*argv, "--quiet"], stdout_tty=True, stderr_tty=True)
    assert code == 0 and "building" not in out and out.strip() == ""
    assert len(list((tmp_path / "o").iterdir())) == 18


def test_check_quiet_shows_no_progress_bar(tmp_path):
    write(tmp_path, DOCS)
    code, _, err = on_terminal(["check", str(tmp_path), "--quiet"], stdout_tty=False, stderr_tty=True)
    assert code == 1 and "checking" not in err


@pytest.mark.parametrize("argv, words", [
    (["derive", "lstm.loss_grad", "--weight", "W_f", "--steps", "1", "--activation", "relu"],
     "--activation applies only to mlp.backprop, not to lstm.loss_grad"),
    (["derive", "lstm.loss_grad", "--weight", "W_f", "--steps", "2.5"],
     "argument --steps: must be a whole number of steps, such as 3 (got '2.5')"),
    (["derive", "lstm.bptt", "--steps", "0"], "--steps must be a whole number from 1 to 1000, not 0"),
])
def test_options_a_derivation_does_not_take_are_one_line_errors(argv, words, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
