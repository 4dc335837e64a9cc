"""The network file: its layer types, their keys and defaults, as strict pydantic models."""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import sympy as sp
from pydantic import AfterValidator, ConfigDict, Field

from ..conv import MAX_SIZE
from ..errors import DlderiveError
from ..schema import Strict, declare, key_path, one_of, tagged

MAX_LAYERS = 500
SIZE_TOKEN = re.compile(r"[0-9]{1,7}|[A-Z][A-Z0-9_]{0,7}")

Size = Annotated[int, Field(ge=-MAX_SIZE, le=MAX_SIZE)]
"""An integer within the bound of every size (its sign is checked with the layer's other rules)."""
Sizes = one_of(lambda v: "list" if isinstance(v, list) else "one",
               one=Size, list=Annotated[list[Size], Field(min_length=1, max_length=3)])
Padding = one_of(lambda v: "name" if isinstance(v, str) else "list" if isinstance(v, list) else "one",
                 one=Size, list=Annotated[list[Size], Field(min_length=1, max_length=3)],
                 name=Literal["same", "valid"])


def shape_of(text: str) -> tuple:
    """'3x224x224' or '3xDxD' -> (3, 224, 224) / (3, D, D); symbols are upper-case names, never evaluated."""
    tokens = text.split("x")
    if not 2 <= len(tokens) <= 4 or not all(SIZE_TOKEN.fullmatch(t) for t in tokens):
        raise DlderiveError(f"{text!r} is not a shape like 3x224x224 or 3xDxD (channels first, 1-3 sizes)")
    shape = tuple(int(t) if t.isdigit() else sp.Symbol(t, integer=True, positive=True) for t in tokens)
    if not isinstance(shape[0], int):
        raise DlderiveError(f"the channel count must be a number (got {tokens[0]})")
    for v in shape:
        if isinstance(v, int) and v < 1:
            raise DlderiveError(f"sizes must be positive integers (got {v})")
    return shape


def _input_shape(value: Any) -> tuple:
    if isinstance(value, list) and all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in value):
        value = "x".join(map(str, value))
    if not isinstance(value, str):
        raise ValueError(f'must be a shape such as "3x32x32" or [3, 32, 32], not {value!r}')
    try:
        return shape_of(value)
    except DlderiveError as exc:
        raise ValueError(exc.message) from None


def _layer(name: str, **keys) -> type[Strict]:
    return declare(name, f"a {name} layer", type=Literal[name], **keys)


_CONV = dict(out_channels=Size, kernel=Sizes, stride=(Sizes, 1), padding=(Padding, 0), dilation=(Sizes, 1),
             groups=(Size, 1), bias=(bool, True), in_channels=(Size | None, None))
_POOL = dict(kernel=Sizes, stride=(Sizes | None, None), padding=(Sizes, 0), ceil_mode=(bool, False))
MODELS: dict[str, type[Strict]] = {model.model_fields["type"].annotation.__args__[0]: model for model in (
    _layer("conv", **_CONV),
    _layer("transposed", **_CONV, output_padding=(Sizes, 0)),
    _layer("maxpool", **_POOL, dilation=(Sizes, 1)),
    _layer("avgpool", **_POOL),
    _layer("linear", out_features=Size, in_features=(Size | None, None), bias=(bool, True)),
    _layer("flatten"),
    _layer("batchnorm", affine=(bool, True)),
    _layer("dropout", p=(float, 0.5)),
    _layer("leaky_relu", negative_slope=(float, 0.01)),
    *(_layer(name) for name in ("relu", "tanh", "sigmoid", "gelu", "identity")),
)}
"""Layer type -> its model; a key without a default must be given."""
LAYERS = {name: {k: f for k, f in model.model_fields.items() if k != "type"} for name, model in MODELS.items()}
"""Layer type -> its keys (pydantic fields: type and default)."""
Layer = tagged("type", "layer type", MODELS)


class NetworkFile(Strict):
    model_config = ConfigDict(title="a network file")

    name: str | None = None
    description: str | None = None
    input: Annotated[Any, AfterValidator(_input_shape)] = None
    layers: Annotated[list[Layer], Field(min_length=1, max_length=MAX_LAYERS)]


def layer_label(index: int, kind: str | None) -> str:
    """How messages name layer ``index``: ``0 (conv)``."""
    return f"{index} ({kind})" if kind else str(index)


def locate(loc: tuple) -> tuple[dict, type | None]:
    """A pydantic location in a network file as (item, key) and the model that holds the key."""
    if len(loc) < 2 or loc[0] != "layers" or not isinstance(loc[1], int):
        return {"key": key_path(loc)}, NetworkFile
    index, rest = loc[1], loc[2:]
    kind = rest[0] if rest and rest[0] in MODELS else None
    rest = rest[1:] if kind else rest
    return {"item": layer_label(index, kind), "key": key_path(rest) or "type"}, MODELS.get(kind)
