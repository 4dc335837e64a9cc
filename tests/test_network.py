"""Networks from TOML against a PyTorch nn.Sequential built from the same TOML; symbolic inputs; bad files."""
import json
import math
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlderive import network
from dlderive.cli import main

NETS = sorted((Path(__file__).parent.parent / "derivations" / "nets").glob("*.toml"))
SETTINGS = dict(deadline=None)


# --- PyTorch oracle: the same dict, mapped onto torch.nn by hand ----------------------------------
def torch_layers(torch, layers, shape):
    """nn modules for the layer dicts (defaults as in network.LAYERS), following the running shape."""
    nn = torch.nn
    modules = []
    for layer in layers:
        kind = layer["type"]
        n = len(shape) - 1
        if kind in ("conv", "transposed"):
            cls = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d} if kind == "conv" else \
                  {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
            kw = dict(stride=layer.get("stride", 1), padding=layer.get("padding", 0), dilation=layer.get("dilation", 1),
                      groups=layer.get("groups", 1), bias=layer.get("bias", True))
            if kind == "transposed":
                kw["output_padding"] = layer.get("output_padding", 0)
            m = cls[n](shape[0], layer["out_channels"], layer["kernel"], **kw)
        elif kind == "maxpool":
            m = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}[n](
                layer["kernel"], layer.get("stride"), layer.get("padding", 0), layer.get("dilation", 1),
                ceil_mode=layer.get("ceil_mode", False))
        elif kind == "avgpool":
            m = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}[n](
                layer["kernel"], layer.get("stride"), layer.get("padding", 0), ceil_mode=layer.get("ceil_mode", False))
        elif kind == "linear":
            m = nn.Linear(layer.get("in_features", shape[0]), layer["out_features"], bias=layer.get("bias", True))
        elif kind == "batchnorm":
            m = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}[max(n, 1)](shape[0], affine=layer.get("affine", True))
        else:
            m = {"flatten": nn.Flatten(0), "relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(),
                 "gelu": nn.GELU(), "identity": nn.Identity(), "dropout": nn.Dropout(layer.get("p", 0.5)),
                 "leaky_relu": nn.LeakyReLU(layer.get("negative_slope", 0.01))}[kind]
        modules.append(m)
        shape = torch_forward(torch, [m], shape)[-1]
    return modules


def torch_forward(torch, modules, shape):
    """Shapes after each module for one unbatched zero input (batch norm in eval mode)."""
    torch.set_num_threads(1)
    x = torch.zeros(*shape)
    shapes = []
    with torch.no_grad():
        for m in modules:
            m.eval()
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d, torch.nn.Conv1d,
                              torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d,
                              torch.nn.ConvTranspose3d, torch.nn.MaxPool1d, torch.nn.MaxPool2d, torch.nn.AvgPool1d,
                              torch.nn.AvgPool2d, torch.nn.AvgPool3d, torch.nn.MaxPool3d)):
                x = m(x[None])[0]
            else:
                x = m(x)
            shapes.append(tuple(x.shape))
    return shapes


def oracle_macs(torch, m, in_shape, out_shape):
    if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)):
        return m.weight.numel() * math.prod(out_shape[1:])
    if isinstance(m, (torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d, torch.nn.ConvTranspose3d)):
        return m.weight.numel() * math.prod(in_shape[1:])
    if isinstance(m, torch.nn.Linear):
        return m.weight.numel()
    return 0


def raw_layers(path):
    import tomllib
    data = tomllib.loads(Path(path).read_text())
    return data["layers"], network.parse_input(data["input"])


def check_against_torch(torch, layers, shape):
    table = network.build(network.from_dict({"layers": layers}), shape)
    modules = torch_layers(torch, layers, shape)
    shapes = torch_forward(torch, modules, shape)
    ins = [tuple(shape)] + shapes[:-1]
    for row, m, out, inp in zip(table.rows, modules, shapes, ins):
        assert row.shape == out, (row.index, row.type)
        assert row.params == sum(p.numel() for p in m.parameters()), (row.index, row.type)
        assert row.macs == oracle_macs(torch, m, inp, out), (row.index, row.type)
    return table


@pytest.mark.tool
@pytest.mark.parametrize("path", NETS, ids=lambda p: p.stem)
def test_example_networks_match_pytorch(path):
    torch = pytest.importorskip("torch")
    layers, shape = raw_layers(path)
    table = check_against_torch(torch, layers, shape)
    model = torch.nn.Sequential(*torch_layers(torch, layers, shape))
    assert table.params == sum(p.numel() for p in model.parameters())


def _torch_runs(torch, layers, shape, modules=None):
    """PyTorch runs the stack without error and without an empty (size 0) tensor on the way."""
    try:
        shapes = torch_forward(torch, modules or torch_layers(torch, layers, shape), shape)
    except RuntimeError:
        return False
    return all(0 not in s for s in shapes)


def _in_boxes(valid, values):
    return any(all(lo <= values[n] and (hi is None or values[n] <= hi) for n, (lo, hi) in box.items())
               for box in valid.boxes)


@pytest.mark.tool
@pytest.mark.parametrize("path", NETS, ids=lambda p: p.stem)
def test_symbolic_input_formulas_and_valid_sizes_match_pytorch(path):
    torch = pytest.importorskip("torch")
    layers, shape = raw_layers(path)
    D = sp.Symbol("D", integer=True, positive=True)
    table = network.build(network.from_dict({"layers": layers}), (shape[0], D, D))
    valid = network.valid_inputs(table)
    modules = torch_layers(torch, layers, shape)  # the modules do not depend on the spatial size
    for d in range(1, 40):
        runs = _torch_runs(torch, layers, (shape[0], d, d), modules)
        assert _in_boxes(valid, {"D": d}) == runs, d
        if runs:
            shapes = torch_forward(torch, modules, (shape[0], d, d))
            for row, out in zip(table.rows, shapes):
                assert tuple(int(sp.sympify(v).subs(D, d)) for v in row.shape) == out


@pytest.mark.tool
def test_two_symbols_give_every_valid_pair():
    torch = pytest.importorskip("torch")
    layers, shape = raw_layers(NETS[[p.stem for p in NETS].index("lenet5")])
    H, W = (sp.Symbol(n, integer=True, positive=True) for n in "HW")
    valid = network.valid_inputs(network.build(network.from_dict({"layers": layers}), (1, H, W)))
    for h in range(12, 40, 3):
        for w in list(range(12, 40, 3)) + [112, 115, 116]:
            assert _in_boxes(valid, {"H": h, "W": w}) == _torch_runs(torch, layers, (1, h, w)), (h, w)


# --- random stacks -------------------------------------------------------------------------------
@st.composite
def random_stack(draw, channels):
    """Random conv/pool/bn/relu layers (groups only where channels divide), then flatten and linear."""
    layers = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool", "transposed", "batchnorm", "relu"]))
        k = draw(st.integers(1, 4))
        if kind in ("conv", "transposed"):
            groups = draw(st.sampled_from([1, 1, 2]))
            layer = dict(type=kind, out_channels=groups * draw(st.integers(1, 3)), kernel=k,
                         stride=draw(st.integers(1, 3)), padding=draw(st.integers(0, 2)),
                         dilation=draw(st.integers(1, 2)), bias=draw(st.booleans()))
            if groups > 1 and channels % groups == 0:
                layer["groups"] = groups
            if kind == "transposed":
                layer["output_padding"] = draw(st.integers(0, max(layer["stride"], layer["dilation"]) - 1))
            channels = layer["out_channels"]
        elif kind in ("maxpool", "avgpool"):
            layer = dict(type=kind, kernel=k, stride=draw(st.integers(1, 3)), padding=draw(st.integers(0, k // 2)),
                         ceil_mode=draw(st.booleans()))
        else:
            layer = dict(type=kind)
        layers.append(layer)
    layers += [dict(type="flatten"), dict(type="linear", out_features=draw(st.integers(1, 5)))]
    return layers


@pytest.mark.tool
@settings(max_examples=150, **SETTINGS)
@given(channels=st.integers(1, 3), dims=st.integers(1, 3), data=st.data())
def test_random_stacks_match_pytorch(channels, dims, data):
    layers = data.draw(random_stack(channels))
    torch = pytest.importorskip("torch")
    shape = (channels, *data.draw(st.lists(st.integers(1, {1: 40, 2: 24, 3: 10}[dims]), min_size=dims, max_size=dims)))
    assume(_torch_runs(torch, layers, shape))
    check_against_torch(torch, layers, shape)


@pytest.mark.tool
@settings(max_examples=100, **SETTINGS)
@given(channels=st.integers(1, 2), reference=st.integers(1, 24), data=st.data())
def test_random_stacks_symbolic_valid_sizes_match_pytorch(channels, reference, data):
    layers = data.draw(random_stack(channels))
    torch = pytest.importorskip("torch")
    shape = (channels, reference, reference)
    assume(_torch_runs(torch, layers, shape))
    flat = torch_forward(torch, torch_layers(torch, layers, shape), shape)[-2][0]
    layers[-1]["in_features"] = flat  # fixes the flattened size, as a real network does
    D = sp.Symbol("D", integer=True, positive=True)
    valid = network.valid_inputs(network.build(network.from_dict({"layers": layers}), (channels, D, D)))
    assert _in_boxes(valid, {"D": reference})
    modules = torch_layers(torch, layers, shape)  # the modules do not depend on the spatial size
    for d in range(1, 28):
        assert _in_boxes(valid, {"D": d}) == _torch_runs(torch, layers, (channels, d, d), modules), d


# --- CLI -------------------------------------------------------------------------------------------
def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_text_json_latex(capsys):
    lenet = str(NETS[[p.stem for p in NETS].index("lenet5")])
    code, out, _ = run(capsys, "net", lenet)
    table = network.build(network.load(lenet))
    assert code == 0 and out.splitlines()[-1].split()[-2:] == [f"{int(table.params):,}", f"{int(table.macs):,}"]
    code, out, _ = run(capsys, "net", lenet, "--input", "1xDxD", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["valid_inputs"] and data["layers"][0]["output"][1] == "D - 4"
    code, out, _ = run(capsys, "net", lenet, "--format", "latex")
    assert code == 0 and "\\begin{tabular}{rllrr}" in out and f"${int(table.params):,}$".replace(",", "{,}") in out


BAD_FILES = [
    ('input = "1x8x8"\nfoo = 1\n[[layers]]\ntype = "relu"\n', "key 'foo'"),
    ('input = "1x8x8"\n[[layers]]\ntype = "relu"\n[[layers]]\ntype = "convolution"\n', "item 1, key 'type'"),
    ('input = "1x8x8"\n[[layers]]\ntype = "conv"\nout_channels = 2\nkernel = 3\nstrides = 2\n', "item 0 (conv), key 'strides'"),
    ('input = "1x8x8"\n[[layers]]\ntype = "conv"\nout_channels = "two"\nkernel = 3\n', "item 0 (conv), key 'out_channels'"),
    ('input = "1x8x8"\n[[layers]]\ntype = "conv"\nkernel = 3\n', "item 0 (conv), key 'out_channels'"),
    ('input = "1x8x8"\n[[layers]]\ntype = "conv"\nout_channels = 2\nkernel = 9\n', "item 0 (conv), key 'kernel'"),
    ('input = "1x8x8"\n[[layers]]\ntype = "linear"\nout_features = 2\n', "item 0 (linear), key 'type'"),
    ('input = "1x8x8"\n[[layers]]\ntype = "flatten"\n[[layers]]\ntype = "linear"\nin_features = 60\nout_features = 2\n',
     "item 1 (linear), key 'in_features'"),
    ('input = "1x8x8"\n[[layers]]\ntype = "conv"\nout_channels = 3\nkernel = 3\ngroups = 2\n', "item 0 (conv), key 'groups'"),
    ('input = "1x8x8"\n[[layers]]\ntype = "maxpool"\nkernel = 3\npadding = 2\n', "item 0 (maxpool), key 'padding'"),
    ('input = "1x8x"\n[[layers]]\ntype = "relu"\n', "key 'input'"),
    ('input = "1x8x8"\nlayers = 3\n', "key 'layers'"),
    ('input = "1x8x8"\n[[layers]\n', "not valid TOML"),
]


@pytest.mark.parametrize("text,names", BAD_FILES)
def test_bad_files_name_file_layer_and_key(tmp_path, capsys, text, names):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, out, err = run(capsys, "net", str(path))
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1, err
    assert str(path) in lines[0] and names in lines[0], err


def test_missing_file_and_bad_cli_input(capsys, tmp_path):
    code, _, err = run(capsys, "net", str(tmp_path / "none.toml"))
    assert code == 2 and "none.toml" in err
    code, _, err = run(capsys, "net", str(NETS[0]), "--input", "3x__import__")
    assert code == 2 and err.startswith("dlderive: error: input:")
    code, _, err = run(capsys, "net", str(NETS[0]), "--input", "Cx8x8")
    assert code == 2 and "channel" in err


ANY_KEY = sorted({k for keys in network.LAYERS.values() for k in keys} | {"type", "bogus"})
ANY_VALUE = st.one_of(st.integers(-3, 40), st.booleans(), st.sampled_from(["same", "valid", "conv", "relu", "linear",
                                                                            "flatten", "maxpool", "x"]),
                      st.lists(st.integers(-1, 5), max_size=4), st.floats(allow_nan=False, width=16))


@settings(max_examples=200, **SETTINGS)
@given(layers=st.lists(st.dictionaries(st.sampled_from(ANY_KEY), ANY_VALUE, max_size=5), min_size=1, max_size=4),
       shape=st.sampled_from([(3, 8, 8), (1, 5), (2, 4, 4, 4)]))
def test_any_file_gives_a_table_or_errors_naming_the_source(layers, shape):
    """Random layer tables: a table with sizes >= 1, or a DlderiveError with one line per problem, each naming
    the source, a layer and a key; nothing else."""
    try:
        table = network.build(network.from_dict({"layers": layers}, "f.toml"), shape)
    except network.DlderiveError as exc:
        assert all(line.startswith("f.toml, item ") and ", key '" in line for line in str(exc).splitlines()), exc
        return
    assert all(v >= 1 for row in table.rows for v in row.shape)


def test_three_mistakes_are_reported_in_one_run(tmp_path, capsys):
    path = tmp_path / "three.toml"
    path.write_text('input = "1x8x8"\n[[layers]]\ntype = "conv"\nout_channels = 2\nkernel = 3\nstrides = 2\n'
                    '[[layers]]\ntype = "relu"\n[[layers]]\ntype = "maxpool"\nkernel = "two"\n'
                    '[[layers]]\ntype = "linear"\nbias = 1\nout_features = 4\n')
    code, out, err = run(capsys, "net", str(path))
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 3, err
    for line, (item, key) in zip(lines, [("0 (conv)", "strides"), ("2 (maxpool)", "kernel"), ("3 (linear)", "bias")]):
        assert f"{path}, item {item}, key '{key}'" in line, err
    assert "allowed: type, out_channels, kernel, stride" in lines[0] and "true or false" in lines[2]
