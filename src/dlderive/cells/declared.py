"""Cells declared by users in TOML, their equations read by a lark grammar (never eval).

    name = "mgu"
    description = "minimal gated unit"
    inputs = ["x"]
    states = ["h"]

    [equations]
    f_t = "sigmoid(W_f @ x_t + U_f @ h_prev + b_f)"
    g_t = "f_t * h_prev"
    u_t = "tanh(W_u @ x_t + U_u @ g_t + b_u)"
    h_t = "(1 - f_t) * h_prev + f_t * u_t"

The grammar is ``equations.lark``: sums of products of (negated) powers of numbers, identifiers,
function calls and parenthesised sums. ``*`` is the elementwise product, ``@`` a matrix times one
vector; W_* are n x m matrices, U_* n x n, every other identifier a vector. Functions: sigmoid, tanh, exp.
"""
from __future__ import annotations

import itertools
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import sympy as sp
from lark import Lark, Transformer, UnexpectedCharacters, UnexpectedInput
from pydantic import AfterValidator, ConfigDict, Field

from ..errors import DlderiveError
from ..functions import REGISTRY
from ..notation import is_weight, time_offset_name, timed
from ..schema import Strict, key_path, parse_toml, raise_all, read_text, validate
from ..matrices import Grouped
from .base import Cell, at, order_equations, param

FUNCTIONS = {name: REGISTRY[name].make for name in ("sigmoid", "tanh", "exp")}
"""The functions a cell equation may call (those the engine's cell derivations differentiate)."""
MAX_FILE = 64_000
MAX_EQUATIONS = 64
MAX_TEXT = 1000
MAX_DEPTH = 60
MAX_EXP_DEPTH = 3
_CELL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_BASE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,15}$")


class _Build(Transformer):
    """Builds the SymPy nodes of an equation as the parser reduces it, refusing what the engine cannot read."""

    def number(self, children):
        return sp.Rational(str(children[0]))

    def name(self, children):
        value = str(children[0])
        if value in FUNCTIONS:
            raise DlderiveError(f"{value} is a function: write {value}(...)")
        t = timed(value)
        return at(*t) if t else param(value)

    def call(self, children):
        function, inner = str(children[0]), children[1]
        if function not in FUNCTIONS:
            raise DlderiveError(f"function {function!r} has no derivative rule; functions: {', '.join(FUNCTIONS)}")
        if function == "exp" and _exp_depth(inner) >= MAX_EXP_DEPTH:
            raise DlderiveError(f"exp nested more than {MAX_EXP_DEPTH} deep: its values overflow any number")
        return FUNCTIONS[function](inner)

    def add(self, children):
        return children[0] + children[1]

    def sub(self, children):
        return children[0] - children[1]

    def neg(self, children):
        return -children[0]

    def matvec(self, children):
        m, v = children
        if not (isinstance(m, sp.Symbol) and is_weight(m.name)):
            raise DlderiveError(f"the left side of @ must be a weight matrix W_* or U_*, not {m}")
        if isinstance(v, sp.Mul) and len([f for f in v.args if not f.is_number]) > 1:
            raise DlderiveError(f"{m} @ ({v}): a matrix multiplies one vector (a symbol, a sum or a function); "
                                f"declare the product {v} as its own equation and use its name")
        if _has_weight(v):
            raise DlderiveError(f"{m} @ ({v}): the vector may not contain another matrix product")
        return m * v

    def mul(self, children):
        a, b = children
        for x, y in ((a, b), (b, a)):
            if isinstance(x, sp.Symbol) and is_weight(x.name):
                raise DlderiveError(f"{x} is a matrix: write {x} @ v for its product with a vector")
        a, b = (Grouped(x) if _top_matvec(x) and not y.is_number else x for x, y in ((a, b), (b, a)))
        return a * b  # r * (U @ h): the matrix product kept whole, as written

    def pow(self, children):
        base, exponent = children[0], str(children[1])
        if "." in exponent or not 0 <= int(exponent) <= 8:
            raise DlderiveError(f"exponents are whole numbers from 0 to 8, not {exponent!r}")
        if _has_weight(base) and not isinstance(base, sp.Add):
            raise DlderiveError(f"({base})^{exponent}: a matrix product cannot be raised to a power; "
                                f"declare {base} as its own equation and raise its name")
        return base ** int(exponent)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "equations.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", transformer=_Build())


def _exp_depth(e: sp.Basic) -> int:
    """How many exp are nested in ``e`` (exp(exp(x)) has 2)."""
    if not e.args:
        return 0
    inner = max(_exp_depth(a) for a in e.args)
    return inner + 1 if isinstance(e, sp.exp) else inner


def _has_weight(e: sp.Basic) -> bool:
    return any(is_weight(s.name) for s in e.free_symbols)


def _top_matvec(e: sp.Basic) -> bool:
    return isinstance(e, sp.Mul) and any(isinstance(f, sp.Symbol) and is_weight(f.name) for f in e.args)


def _syntax_error(exc: UnexpectedInput, text: str) -> str:
    """The parser's complaint in words: what was expected where."""
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected character {exc.char!r}"
    token = exc.token
    end = token.type == "$END"
    where = "at the end" if end else f"before {token.value!r}"
    if exc.expected == {"NUMBER"} and not end:  # after ^
        return f"exponents are whole numbers from 0 to 8, not {token.value!r}"
    if exc.expected & {"NAME", "NUMBER"}:  # an operand is missing
        return "expected more at the end" if end else f"unexpected {token.value!r}"
    before = text[:len(text) if end else token.start_pos]
    return f"expected ) {where}" if before.count("(") > before.count(")") else f"unexpected {token.value!r}"


def parse_equation(text: str) -> sp.Expr:
    """The SymPy expression of one equation's right-hand side."""
    if not isinstance(text, str):
        raise DlderiveError(f"an equation is a string, not {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise DlderiveError(f"longer than {MAX_TEXT} characters")
    if not text.strip():
        raise DlderiveError("empty equation")
    depth = max(itertools.accumulate({"(": 1, ")": -1}.get(c, 0) for c in text))
    if depth >= MAX_DEPTH:
        raise DlderiveError(f"nested more than {MAX_DEPTH} levels deep")
    try:
        return _parser().parse(text)
    except UnexpectedInput as exc:
        raise DlderiveError(_syntax_error(exc, text)) from None


def _matching(pattern: re.Pattern, message: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(message)
        return value
    return AfterValidator(check)


_Base = Annotated[str, _matching(_BASE, 'must be a name such as "h" or "c"')]
_Label = Annotated[str, _matching(_CELL_NAME, 'must be a lowercase identifier such as "forget_gate"')]


class CellFile(Strict):
    model_config = ConfigDict(title="a cell file")

    name: Annotated[str, _matching(_CELL_NAME, 'must be a lowercase identifier such as "mgu"')]
    description: Annotated[str, Field(max_length=200)] | None = None
    inputs: Annotated[list[_Base], Field(min_length=1)]
    states: Annotated[list[_Base], Field(min_length=1)]
    equations: Annotated[dict[str, Annotated[str, Field(max_length=MAX_TEXT)]],
                         Field(min_length=1, max_length=MAX_EQUATIONS)]
    names: dict[str, _Label] = {}
    numbers: dict[str, int] = {}


def _locate(loc: tuple) -> tuple[dict, type]:
    if loc[0] in ("equations", "names") and len(loc) > 1:
        return {"section": loc[0], "key": key_path(loc[1:])}, CellFile
    return {"key": key_path(loc)}, CellFile


def _equations(data: dict, source: str) -> tuple[list, list[DlderiveError]]:
    """(identifier, expression) for each equation given as a string, and the problems of the others."""
    parsed, problems = [], []
    equations = data.get("equations")
    for ident, rhs in (equations.items() if isinstance(equations, dict) else ()):
        t = timed(ident)
        try:
            if not t or t[1] != 0:
                raise DlderiveError(f"equation {ident!r} must define a quantity at time t, such as h_t")
            if isinstance(rhs, str) and len(rhs) <= MAX_TEXT:  # other values: a problem of the schema
                parsed.append((ident, parse_equation(rhs)))
        except DlderiveError as exc:
            problems.append(exc.at(file=source, section="equations", key=ident))
    return parsed, problems


def _declaration_problems(data: dict, source: str) -> list[DlderiveError]:
    """What the schema cannot see: inputs and states that share a name, names of undefined quantities."""
    problems = []
    both = data.get("inputs", []) + data.get("states", []) if all(
        isinstance(data.get(k, []), list) for k in ("inputs", "states")) else []
    if all(isinstance(v, str) for v in both) and len(set(both)) != len(both):
        problems.append(DlderiveError("inputs and states must have different names", file=source, key="states"))
    names, equations = data.get("names"), data.get("equations")
    if isinstance(names, dict) and isinstance(equations, dict):
        problems += [DlderiveError(f"no equation defines {ident}", file=source, section="names", key=ident)
                     for ident in names if ident not in equations]
    return problems


def cell_from_toml(text: str, source: str = "cell") -> Cell:
    """The Cell declared in the TOML ``text``; every problem of the file is reported at once."""
    if len(text) > MAX_FILE:
        raise DlderiveError(f"larger than {MAX_FILE} bytes", file=source)
    data = parse_toml(text, source)
    model, problems = validate(CellFile, data, _locate, source)
    parsed, wrong = _equations(data, source)
    raise_all(problems + wrong + _declaration_problems(data, source))
    hidden = model.states[0]
    names = {time_offset_name(hidden, 0): "hidden", **model.names}
    for ident, _ in parsed:
        names.setdefault(ident, timed(ident)[0])
    try:
        return Cell(name=model.name, description=model.description or f"the {model.name} cell",
                    inputs=tuple(model.inputs), states=tuple(model.states),
                    equations=order_equations(model.name, parsed), names=names, numbers=dict(model.numbers),
                    hidden=hidden)
    except DlderiveError as exc:
        raise exc.at(file=source) from None


def load_cell(path: str | Path) -> Cell:
    """The Cell declared in the TOML file ``path``."""
    return cell_from_toml(read_text(path, MAX_FILE, "cell file"), str(path))
