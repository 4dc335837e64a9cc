"""The declared file formats (handouts, networks, cells) as pydantic v2 models: strict tables whose
every problem is collected in one run and reported as a DlderiveError naming file, item and key."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Callable, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, ValidationError

from .errors import DlderiveError, Location


class Strict(BaseModel):
    """A TOML table: known keys only, each value of exactly its type ("3" is not 3, true is not 1).

    ``model_config["title"]`` names the table in messages ("a conv_size item")."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def declare(name: str, title: str, base: type[Strict] = Strict, /, **keys) -> type[Strict]:
    """A model ``name`` whose keys are ``keys`` (key -> type, or (type, default) for an optional key)."""
    fields = {k: v[0] if isinstance(v, tuple) else v for k, v in keys.items()}
    defaults = {k: v[1] for k, v in keys.items() if isinstance(v, tuple)}
    return type(name, (base,), {"__annotations__": fields, "model_config": ConfigDict(title=title), **defaults})


def one_of(pick: Callable[[Any], str], **members) -> Any:
    """A value that is one of ``members`` (name -> type), chosen by ``pick(value)``; the member's name is
    written ``<name>`` in pydantic's locations so that ``key_path`` leaves it out."""
    tagged = tuple(Annotated[tp, Tag(f"<{name}>")] for name, tp in members.items())
    return Annotated[Union[tagged], Discriminator(lambda v: f"<{pick(v)}>")]


def tagged(key: str, noun: str, members: dict[str, type]) -> Any:
    """A table that is one of ``members``, chosen by its ``key`` (kind = "conv_size" -> members["conv_size"])."""
    choices = tuple(Annotated[model, Tag(name)] for name, model in members.items())
    return Annotated[Union[choices], Discriminator(
        lambda v: v.get(key) if isinstance(v, dict) and isinstance(v.get(key), str) else None,
        custom_error_type="tag", custom_error_message=f"unknown {noun}",
        custom_error_context={"key": key, "accepted": ", ".join(members)})]


class Problems(DlderiveError):
    """Every problem found in one file, one line each (each line names file, item and key)."""

    def __init__(self, problems):
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, self.problems)))


def collected(problems: list[DlderiveError]) -> DlderiveError:
    """The one problem, or all of them as one ``Problems``."""
    return problems[0] if len(problems) == 1 else Problems(problems)


def raise_all(problems: list[DlderiveError]) -> None:
    """Raise ``collected(problems)``; nothing when there is none."""
    if problems:
        raise collected(problems)


def each(error: DlderiveError) -> tuple[DlderiveError, ...]:
    """The problems an error stands for: those of a ``Problems``, or the error itself."""
    return error.problems if isinstance(error, Problems) else (error,)


def read_text(path: str | Path, max_bytes: int, what: str = "file") -> str:
    """The UTF-8 text of ``path``, at most ``max_bytes`` long."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise DlderiveError(f"cannot read the {what} ({exc.strerror or exc})", file=str(path)) from None
    if len(raw) > max_bytes:
        raise DlderiveError(f"larger than {max_bytes} bytes", file=str(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DlderiveError("not UTF-8 text", file=str(path)) from None


def parse_toml(text: str, source: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DlderiveError(f"not valid TOML ({str(exc).splitlines()[0]})", file=source) from None
    except RecursionError:
        raise DlderiveError("arrays or tables nested too deeply", file=source) from None


def validate(model: type[BaseModel], data: Any, locate: Callable[[tuple], tuple[dict, type | None]],
             source: str) -> tuple[BaseModel | None, list[DlderiveError]]:
    """``data`` as a ``model`` instance, or None and every problem; ``locate(loc)`` gives, for a pydantic
    location, the Location fields (item, section, key) and the model whose key it is (for messages)."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        out = []
        for error in exc.errors(include_url=False):
            loc = error["loc"]
            if error["type"] == "tag" and isinstance(error["input"], dict):
                loc += (error["ctx"]["key"],)  # the problem is the key that chooses the table
            where, owner = locate(loc)
            out.append(DlderiveError(describe(error, owner), Location(file=source, **where)))
        return None, out


def key_path(parts) -> str:
    """('values', 'x_t') -> values.x_t; ('kernel', 1) -> kernel[1]; member names <...> left out."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part.startswith("<"):
            out += f".{part}" if out else part
    return out


def type_name(value) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


_EXPECTED = {"string_type": "a string", "bool_type": "true or false", "int_type": "an integer",
             "float_type": "a finite number", "list_type": "a list", "dict_type": "a table",
             "model_type": "a table", "model_attributes_type": "a table"}


def describe(error: dict, owner: type | None) -> str:
    """One pydantic error in the project's words: what is wrong and what is accepted."""
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    title = owner.model_config.get("title", "this table") if owner else "this table"
    if kind == "tag":
        if not isinstance(value, dict):
            return f"must be a table, not {type_name(value)}"
        given = value.get(ctx["key"])
        if given is None:
            return f"missing; one of: {ctx['accepted']}"
        return f"{error['msg']} {given!r}; one of: {ctx['accepted']}"
    if kind in _EXPECTED:
        return f"must be {_EXPECTED[kind]}, not {type_name(value)}"
    if kind == "missing":
        return f"missing: {title} needs it"
    if kind == "extra_forbidden":
        allowed = ", ".join(owner.model_fields) if owner else "(none)"
        return f"unknown key {error['loc'][-1]!r} in {title}; allowed: {allowed}"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}, not {value!r}"
    if kind == "finite_number":
        return f"must be a finite number, not {value}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than"):
        bound = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
                 "greater_than": ("greater than", "gt")}[kind]
        return f"{value} is out of range: must be {bound[0]} {ctx[bound[1]]}"
    if kind == "too_short":
        return "must not be empty" if ctx["min_length"] == 1 else f"needs at least {ctx['min_length']} entries"
    if kind == "too_long":
        return f"at most {ctx['max_length']} entries (got {ctx['actual_length']})"
    if kind == "string_too_long":
        return f"longer than {ctx['max_length']} characters"
    if kind == "value_error":
        return str(ctx["error"])
    return error["msg"]
