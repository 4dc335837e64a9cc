"""Hostile TOML for handouts and cells: one line per problem naming file and key, exit status 2, every
problem of a file in one run, never a traceback. Oracles: hand-worked expectations and SymPy."""
from __future__ import annotations

import sympy as sp

from dlderive.cells.declared import parse_equation
from dlderive.cli import main

CELL = 'name = "c"\ninputs = ["x"]\nstates = ["h"]\n'


def _errors(argv, capsys) -> list[str]:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines and all(line.startswith("dlderive: error: ") for line in lines), captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    return [line.removeprefix("dlderive: error: ") for line in lines]


def test_handout_kind_given_as_a_list(tmp_path, capsys):
    path = tmp_path / "h.toml"
    path.write_text("title = 'T'\n[[sections]]\ntitle = 'S'\n[[sections.items]]\nkind = ['text']\ntext = 'x'\n")
    assert _errors(["build", str(path), "--out", str(tmp_path / "o")], capsys) == [
        f"{path}, section 'S', item 1, key 'kind': unknown item kind ['text']; one of: text, derivation, "
        "evaluate, conv_size, conv_inverse, conv_counts, network"]


def test_handout_with_3000_nested_arrays(tmp_path, capsys):
    path = tmp_path / "h.toml"
    path.write_text("title = 'T'\nx = " + "[" * 3000 + "]" * 3000 + "\n")
    assert _errors(["build", str(path), "--out", str(tmp_path / "o")], capsys) == [
        f"{path}: arrays or tables nested too deeply"]
    assert not (tmp_path / "o").exists()


def test_cell_with_3000_nested_arrays(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(CELL + "q = " + "[" * 3000 + "]" * 3000 + '\n[equations]\nh_t = "tanh(x_t)"\n')
    assert _errors(["derive", "c.hidden", "--cell", str(path)], capsys) == [f"{path}: arrays or tables nested too deeply"]


def test_cell_errors_all_in_one_run(tmp_path, capsys):
    path = tmp_path / "c.toml"
    tower = "exp(" * 10 + "x_t" + ")" * 10
    path.write_text(CELL + f'names = 5\n[equations]\nh_t = "{tower}"\n')
    assert _errors(["derive", "c.hidden", "--cell", str(path)], capsys) == [
        f"{path}, key 'names': must be a table, not an integer",
        f"{path}, section 'equations', key 'h_t': exp nested more than 3 deep: its values overflow any number"]


def test_three_nested_exp_are_derived():
    e = parse_equation("exp(exp(exp(x_t)))")
    x = next(iter(e.free_symbols))
    assert e == sp.exp(sp.exp(sp.exp(x)))


def test_990_leading_minus_signs_read_as_the_even_negation(tmp_path, capsys):
    e = parse_equation("-" * 990 + "x_t")
    assert e == next(iter(e.free_symbols)) and parse_equation("-" * 991 + "x_t") == -e
    path = tmp_path / "c.toml"
    path.write_text(CELL + '[equations]\nh_t = "' + "-" * 990 + 'x_t"\n')  # h_t = x_t: no path from h_{t-1}
    assert main(["derive", "c.hidden", "--cell", str(path)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].endswith("= 0")
