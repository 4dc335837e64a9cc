"""Reading a network: a TOML file or a dict, validated against the schema, its defaults filled in."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import DlderiveError
from ..schema import parse_toml, raise_all, read_text, validate
from .schema import NetworkFile, locate, shape_of

MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Network:
    name: str
    layers: tuple[dict, ...]  # each {"type": ..., key: value} with defaults filled in
    input: tuple | None = None
    source: str = "<network>"


def parse_input(text: str, source="input"):
    """'3x224x224' or '3xDxD' -> (3, 224, 224) / (3, D, D); symbols are upper-case names, never evaluated."""
    try:
        return shape_of(text)
    except DlderiveError as exc:
        raise DlderiveError(f"{source}: {exc.message}") from None


def load(path) -> Network:
    """Read a network from a TOML file; every problem is reported, each naming the file, the layer and the key."""
    return from_dict(parse_toml(read_text(path, MAX_BYTES), str(path)), str(path))


def from_dict(data: dict, source="<network>") -> Network:
    model, problems = validate(NetworkFile, data, locate, source)
    raise_all(problems)
    layers = tuple({k: tuple(v) if isinstance(v, list) else v for k, v in layer.model_dump().items()}
                   for layer in model.layers)
    return Network(model.name or Path(source).stem, layers, model.input, source)
