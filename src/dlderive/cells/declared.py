"""Cells declared by users in TOML, their equations read by a tiny grammar (never eval).

    name = "mgu"
    description = "minimal gated unit"
    inputs = ["x"]
    states = ["h"]

    [equations]
    f_t = "sigmoid(W_f @ x_t + U_f @ h_prev + b_f)"
    g_t = "f_t * h_prev"
    u_t = "tanh(W_u @ x_t + U_u @ g_t + b_u)"
    h_t = "(1 - f_t) * h_prev + f_t * u_t"

Grammar:  expr := term (("+" | "-") term)* ;  term := unary (("*" | "@") unary)* ;
unary := "-" unary | power ;  power := atom ("^" integer)? ;
atom := number | identifier | function "(" expr ")" | "(" expr ")".
``*`` is the elementwise product, ``@`` a matrix times one vector; W_* are n x m matrices,
U_* n x n, every other identifier a vector.  Functions: sigmoid, tanh, exp.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import sympy as sp

from ..errors import DlderiveError
from ..functions import sigmoid
from ..notation import time_offset_name
from .base import Cell, at, is_weight, order_equations, param, timed

FUNCTIONS = {"sigmoid": sigmoid, "tanh": sp.tanh, "exp": sp.exp}
MAX_FILE = 64_000
MAX_EQUATIONS = 64
MAX_TEXT = 1000
MAX_DEPTH = 60
_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<name>[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)?)|(?P<op>[-+*@^()]))")
_CELL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_BASE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,15}$")


class _Parser:
    """Recursive descent over the tokens of one equation; builds SymPy nodes directly."""

    def __init__(self, text: str, where: str):
        self.where = where
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.depth = 0

    def _tokenize(self, text: str):
        out, pos = [], 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise self.error(f"unexpected character {text[pos:].lstrip()[:1]!r}")
            kind = m.lastgroup
            out.append((kind, m[kind]))
            pos = m.end()
        return out

    def error(self, message: str) -> DlderiveError:
        return DlderiveError(f"{self.where}: {message}")

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self, value=None):
        token = self.peek()
        if token[0] is None or (value is not None and token[1] != value):
            raise self.error(f"expected {value or 'more'} {'at the end' if token[0] is None else f'before {token[1]!r}'}")
        self.pos += 1
        return token

    def parse(self) -> sp.Expr:
        if not self.tokens:
            raise self.error("empty equation")
        expr = self.expr()
        if self.peek()[0] is not None:
            raise self.error(f"unexpected {self.peek()[1]!r}")
        return expr

    def expr(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep")
        out = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            right = self.term()
            out = out + right if op == "+" else out - right
        self.depth -= 1
        return out

    def term(self):
        out = self.unary()
        while self.peek()[1] in ("*", "@"):
            op = self.take()[1]
            right = self.unary()
            out = self.matvec(out, right) if op == "@" else self.product(out, right)
        return out

    def matvec(self, m, v):
        if not (isinstance(m, sp.Symbol) and is_weight(m.name)):
            raise self.error(f"the left side of @ must be a weight matrix W_* or U_*, not {m}")
        if isinstance(v, sp.Mul) and len([f for f in v.args if not f.is_number]) > 1:
            raise self.error(f"{m} @ ({v}): a matrix multiplies one vector (a symbol, a sum or a function); "
                             f"declare the product {v} as its own equation and use its name")
        if _has_weight(v):
            raise self.error(f"{m} @ ({v}): the vector may not contain another matrix product")
        return m * v

    def product(self, a, b):
        for x, y in ((a, b), (b, a)):
            if isinstance(x, sp.Symbol) and is_weight(x.name):
                raise self.error(f"{x} is a matrix: write {x} @ v for its product with a vector")
            if _top_matvec(x) and not y.is_number:
                raise self.error(f"{y} * ({x}) mixes an elementwise and a matrix product; add a bias inside "
                                 f"the parentheses (as GRU's b_hn) or move {y} inside the matrix product")
        return a * b

    def unary(self):
        if self.peek()[1] == "-":
            self.take()
            return -self.unary()
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek()[1] == "^":
            self.take()
            kind, value = self.take()
            if kind != "number" or "." in value or not 0 <= int(value) <= 8:
                raise self.error(f"exponents are whole numbers from 0 to 8, not {value!r}")
            if _has_weight(base) and not isinstance(base, sp.Add):
                raise self.error(f"({base})^{value}: a matrix product cannot be raised to a power; "
                                 f"declare {base} as its own equation and raise its name")
            return base ** int(value)
        return base

    def atom(self):
        kind, value = self.take()
        if kind == "number":
            return sp.Rational(value)
        if value == "(":
            inner = self.expr()
            self.take(")")
            return inner
        if kind == "name":
            if self.peek()[1] == "(":
                if value not in FUNCTIONS:
                    raise self.error(f"function {value!r} has no derivative rule; functions: {', '.join(FUNCTIONS)}")
                self.take("(")
                inner = self.expr()
                self.take(")")
                return FUNCTIONS[value](inner)
            if value in FUNCTIONS:
                raise self.error(f"{value} is a function: write {value}(...)")
            return _symbol(value)
        raise self.error(f"unexpected {value!r}")


def _symbol(name: str) -> sp.Symbol:
    t = timed(name)
    return at(*t) if t else param(name)


def _has_weight(e: sp.Basic) -> bool:
    return any(is_weight(s.name) for s in e.free_symbols)


def _top_matvec(e: sp.Basic) -> bool:
    return isinstance(e, sp.Mul) and any(isinstance(f, sp.Symbol) and is_weight(f.name) for f in e.args)


def parse_equation(text: str, where: str = "equation") -> sp.Expr:
    """The SymPy expression of one equation's right-hand side."""
    if not isinstance(text, str):
        raise DlderiveError(f"{where}: an equation is a string, not {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise DlderiveError(f"{where}: longer than {MAX_TEXT} characters")
    return _Parser(text, where).parse()


def _strings(data: dict, key: str, source: str, required=True) -> tuple[str, ...]:
    value = data.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and _BASE.match(v) for v in value):
        raise DlderiveError(f"{source}: {key} must be a list of names such as [\"h\", \"c\"]")
    return tuple(value)


def cell_from_toml(text: str, source: str = "cell") -> Cell:
    """The Cell declared in the TOML ``text``."""
    if len(text) > MAX_FILE:
        raise DlderiveError(f"{source}: larger than {MAX_FILE} bytes")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DlderiveError(f"{source}: not valid TOML ({exc})") from None
    known = {"name", "description", "inputs", "states", "equations", "names", "numbers"}
    if extra := sorted(set(data) - known):
        raise DlderiveError(f"{source}: unknown key {extra[0]!r}; keys: {', '.join(sorted(known))}")
    name = data.get("name")
    if not isinstance(name, str) or not _CELL_NAME.match(name):
        raise DlderiveError(f"{source}: name must be a lowercase identifier such as \"mgu\"")
    inputs, states = _strings(data, "inputs", source), _strings(data, "states", source)
    if len(set(inputs + states)) != len(inputs + states):
        raise DlderiveError(f"{source}: inputs and states must have different names")
    equations = data.get("equations")
    if not isinstance(equations, dict) or not equations:
        raise DlderiveError(f"{source}: [equations] must map identifiers such as h_t to strings")
    if len(equations) > MAX_EQUATIONS:
        raise DlderiveError(f"{source}: more than {MAX_EQUATIONS} equations")
    parsed = []
    for ident, rhs in equations.items():
        t = timed(ident)
        if not t or t[1] != 0:
            raise DlderiveError(f"{source}: equation {ident!r} must define a quantity at time t, such as h_t")
        parsed.append((ident, parse_equation(rhs, f"{source}: {ident}")))
    hidden = states[0]
    names = {time_offset_name(hidden, 0): "hidden"}
    for ident, label in (data.get("names") or {}).items():
        if ident not in equations:
            raise DlderiveError(f"{source}: names.{ident}: no equation defines {ident}")
        if not isinstance(label, str) or not re.match(r"^[a-z][a-z0-9_]{0,31}$", label):
            raise DlderiveError(f"{source}: names.{ident} must be a lowercase identifier")
        names[ident] = label
    for ident, _ in parsed:
        names.setdefault(ident, timed(ident)[0])
    numbers = {k: int(v) for k, v in (data.get("numbers") or {}).items() if isinstance(v, int)}
    description = data.get("description", f"the {name} cell")
    if not isinstance(description, str) or len(description) > 200:
        raise DlderiveError(f"{source}: description must be a short string")
    return Cell(name=name, description=description, inputs=inputs, states=states,
                equations=order_equations(name, parsed), names=names, numbers=numbers, hidden=hidden)


def load_cell(path: str | Path) -> Cell:
    """The Cell declared in the TOML file ``path``."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE:
            raise DlderiveError(f"{path}: larger than {MAX_FILE} bytes")
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DlderiveError(f"cannot read the cell file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DlderiveError(f"{path}: not UTF-8 text") from None
    return cell_from_toml(text, str(path))
