"""The command line: a user error is one line and exit status 2; a bug is one line asking for a
report and exit status 70, with the traceback only under DLDERIVE_DEBUG=1."""
import importlib

import pytest

from dlderive.cli import main
from dlderive.errors import DlderiveError, InternalError, Location

derive_module = importlib.import_module("dlderive.derive")  # the command imports derive from here when it runs


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_user_error_is_one_line_with_its_location(capsys, monkeypatch):
    def refuse(*args):
        raise DlderiveError("kernel must be positive", file="net.toml", item=3, key="kernel")
    monkeypatch.setattr(derive_module, "derive", refuse)
    code, out, err = run(capsys, "derive", "lstm.hidden")
    assert code == 2 and out == ""
    assert err.splitlines() == ["dlderive: error: net.toml, item 3, key 'kernel': kernel must be positive"]


@pytest.mark.parametrize("failure", [KeyError("f_t"), TypeError("unsupported operand"), InternalError("no rule")])
def test_a_bug_is_one_line_asking_for_a_report_and_exit_70(capsys, monkeypatch, failure):
    def boom(*args):
        raise failure
    monkeypatch.delenv("DLDERIVE_DEBUG", raising=False)
    monkeypatch.setattr(derive_module, "derive", boom)
    code, out, err = run(capsys, "derive", "lstm.hidden")
    assert code == 70 == InternalError.exit_status and out == ""
    (line,) = err.splitlines()
    assert line.startswith("dlderive: internal error (") and "report" in line and "Traceback" not in err
    assert str(failure.args[0]) in line


def test_debug_shows_the_traceback(capsys, monkeypatch):
    def boom(*args):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setenv("DLDERIVE_DEBUG", "1")
    monkeypatch.setattr(derive_module, "derive", boom)
    code, _, err = run(capsys, "derive", "lstm.hidden")
    assert code == 70 and "Traceback (most recent call last)" in err and "ZeroDivisionError" in err
    assert err.splitlines()[-1].startswith("dlderive: internal error (ZeroDivisionError")


def test_an_argument_error_is_a_user_error(capsys):
    code, _, err = run(capsys, "derive", "lstm.hidden", "--format", "pdf")
    assert code == 2 and len(err.splitlines()) == 1 and "text" in err


def test_location_fields_are_data():
    e = DlderiveError("bad value", file="h.toml", section="lstm").at(item=2, key="form", section="other")
    assert e.location == Location(file="h.toml", section="lstm", item=2, key="form")
    assert str(e) == "h.toml, section 'lstm', item 2, key 'form': bad value" and e.message == "bad value"
