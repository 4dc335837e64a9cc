"""The catalog of derivations: typed entries, and one cache owner cleared when a cell is forgotten."""
import dataclasses
import random

import pytest
import sympy as sp

from dlderive import catalog, memo
from dlderive.cells import CELLS
from dlderive.cells.declared import cell_from_toml
from dlderive.derive import DERIVATIONS, derive
from dlderive.errors import DlderiveError
from dlderive.evaluate import evaluate

CELL = """name = "tiny"
inputs = ["x"]
states = ["h"]
[equations]
h_t = "{f}(W_h @ x_t + U_h @ h_prev + b_h)"
"""


def test_entries_are_frozen_and_typed():
    for name, e in DERIVATIONS.items():
        assert e.name == name and e.kind in catalog.KINDS
        assert (e.cell is None) == (e.kind in ("sigmoid", catalog.CLASSIC))
        if e.cell is not None:
            assert e.cell in CELLS and (e.kind != "derivative" or e.target.endswith("_t"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        DERIVATIONS["lstm.hidden"].kind = "bptt"
    assert DERIVATIONS["lstm.bptt_c"].through_time and DERIVATIONS["lstm.bptt_c"].state == "c"
    assert catalog.describe()["lstm.hidden"] == DERIVATIONS["lstm.hidden"].description


@pytest.mark.parametrize("f,sympy_f", [("tanh", sp.tanh), ("sigmoid", lambda a: 1 / (1 + sp.exp(-a)))])
def test_a_forgotten_cell_leaves_no_cached_result(f, sympy_f):
    """The same name, declared again with another function: every result is the new cell's."""
    names = catalog.register(cell_from_toml(CELL.format(f=f)))
    try:
        x, h, w, u, b = sp.symbols("x_t h_prev W_h U_h b_h", real=True)
        truth = sp.diff(sympy_f(w * x + u * h + b), h)
        rng = random.Random(f)
        point = {s: rng.uniform(-1, 1) for s in (x, h, w, u, b)}
        ours = evaluate("tiny.hidden", {s.name: v for s, v in point.items()})
        assert ours == pytest.approx(float(truth.subs(point)), rel=1e-12)
        assert derive("tiny.hidden").steps and "tiny.bptt" in names
    finally:
        catalog.unregister("tiny")
    assert not any(n.startswith("tiny.") for n in DERIVATIONS) and "tiny" not in CELLS


def test_memo_clear_empties_every_cache():
    derive("lstm.forget_gate")
    assert all(hasattr(c, "cache_clear") for c in memo._CACHES)
    memo.clear()
    assert all(c.cache_info().currsize == 0 for c in memo._CACHES)
    assert derive("lstm.forget_gate").steps


def _cell_file(tmp_path, file_name, cell_name, h):
    path = tmp_path / file_name
    path.write_text(f'name = "{cell_name}"\ninputs = ["x"]\nstates = ["h"]\n\n[equations]\nh_t = "{h}"\n')
    return str(path)


def test_a_declared_cell_never_takes_a_name_already_taken(tmp_path):
    first = _cell_file(tmp_path, "a.toml", "twin", "tanh(W @ x_t + U @ h_prev)")
    other = _cell_file(tmp_path, "b.toml", "twin", "sigmoid(W @ x_t + U @ h_prev)")
    fake = _cell_file(tmp_path, "lstmfake.toml", "lstm", "tanh(W @ x_t)")
    try:
        assert catalog.model_named(first) == "twin"
        assert catalog.model_named(first) == "twin"  # the same file again: the same cell
        with pytest.raises(DlderiveError, match="b.toml declares the cell 'twin', a name already taken by another"):
            catalog.model_named(other)
        with pytest.raises(DlderiveError, match="'lstm', a name already taken by a built-in cell"):
            catalog.model_named(fake)
        # the registry still holds the first file's equations and the built-in LSTM
        h = CELLS["twin"].equations[-1][1]
        assert h.has(sp.tanh) and not any(str(f.func) == "sigmoid" for f in h.atoms(sp.Function))
        assert len(CELLS["lstm"].equations) > 1
    finally:
        catalog.unregister("twin")
