"""Shapes the document does not declare, inferred from its definitions by unification.

``h_t = tanh(W h_{t-1} + U x_t)`` with W ∈ ℝ^{m×n}, x ∈ ℝ^n gives h_{t-1} ∈ ℝ^n, U ∈ ℝ^{m×n}, h_t ∈ ℝ^m.
A length that nothing fixes becomes a size of its own (``cols(U)``) only in a name that has a declared size
(U ∈ ℝ^{n×?} in U x_t); a name with no declared size at all keeps no shape (the relation is left alone).
A definition whose shapes cannot agree adds nothing here; the evaluation reports it with the shapes named."""
from __future__ import annotations

import re

from .linalg_read import LOSSES, Node, Unread, is_loss

SCALARS = frozenset(("eta", "alpha", "lambda", "epsilon", "varepsilon", "beta", "gamma", "mu", "tau", "rho"))


class _Conflict(Exception):
    pass


class _Var:
    """An unknown length."""


ONES_ROW, ONES_COL = "ones-row", "ones-col"


def split(name: str):
    """(base, subscript) of ``hat y_i`` -> ("hat y", "i")."""
    base, _, sub = name.partition("_")
    return base, sub


def is_time(sub: str, index: str = "t") -> int | None:
    """The offset of a time subscript in ``index`` (t -> 0, t-1 -> -1, (t+1) -> 1), else None."""
    m = re.fullmatch(rf"\(?{index}(?:([+-])(\d))?\)?", sub)
    if not m:
        return None
    return 0 if m.group(1) is None else int(m.group(2)) * (1 if m.group(1) == "+" else -1)


def sum_kind(node: Node) -> tuple[str, str, str]:
    """(index, upper, kind) of a sum node; kind is "time" for t and τ, else "entry"."""
    index, upper = node.name.split(":")
    return index, upper, "time" if index in ("t", "tau") else "entry"


class Inference:
    """Union-find over lengths; ``shapes`` maps each name met to its (rows, columns)."""

    def __init__(self, doc):
        self.doc, self.parent, self.shapes = doc, {}, {}
        self.ranges: dict = {}  # entry index -> its length
        self.contracted: list = []  # lengths that a product sums over

    def find(self, d):
        while isinstance(d, _Var) and d in self.parent:
            d = self.parent[d]
        return d

    def unify(self, a, b):
        a, b = self.find(a), self.find(b)
        if a is b or a == b:
            return
        if isinstance(a, _Var):
            self.parent[a] = b
        elif isinstance(b, _Var):
            self.parent[b] = a
        else:
            raise _Conflict(f"{a} and {b}")

    def same(self, x, y):
        self.unify(x[0], y[0])
        self.unify(x[1], y[1])

    def scalar(self, s) -> bool:
        return s not in (ONES_ROW, ONES_COL) and self.find(s[0]) == "1" and self.find(s[1]) == "1"

    def run(self, free: bool = False) -> dict:
        """The shapes found; with ``free`` (the document declares none), every length left open is a size of its
        own, named after the first quantity it measures (rows(W), cols(W))."""
        for name, node in self.doc.defs.items():
            try:
                self.env = {}
                shape = self.node(node)
                if shape in (ONES_ROW, ONES_COL):
                    continue
                known = self.doc.declared(name) or self.shapes.get(name) or (("1", "1") if is_loss(name) else None)
                if known:
                    self.same(known, shape)
                self.shapes.setdefault(name, known or shape)
            except (_Conflict, Unread, RecursionError):
                continue
        sequences: dict = {}
        for name in list(self.shapes) if free else ():  # h_t, h_{t-1}, h_0: the steps of one sequence, one shape
            base, sub = split(name)
            if sub and (is_time(sub) is not None or sub.isdigit()):
                try:
                    self.same(sequences.setdefault(base, self.shapes[name]), self.shapes[name])
                except _Conflict:
                    return {}
        for name, dims in self.shapes.items():  # w, x, h: a lower-case name whose columns nothing fixes is a vector
            if split(name)[0].split(" ")[-1][:1].islower() and isinstance(self.find(dims[1]), _Var):
                self.unify(dims[1], "1")
        for name, dims in self.shapes.items():  # W_xh ∈ ℝ^{n×?}: the length it contracts is a size of its own
            found = [self.find(d) for d in dims]
            if any(isinstance(d, str) and not d.isdigit() for d in found):
                for d, kind in zip(found, ("rows", "cols")):
                    if isinstance(d, _Var) and any(self.find(c) is d for c in self.contracted):
                        self.parent[d] = f"{kind}({name})"
        for name, dims in self.shapes.items() if free else ():
            for d, kind in zip(dims, ("rows", "cols")):
                if isinstance(self.find(d), _Var):
                    self.parent[self.find(d)] = f"{kind}({name})"
        out = {}
        for name, (r, c) in self.shapes.items():
            r, c = self.find(r), self.find(c)
            if isinstance(r, str) and isinstance(c, str):
                out[name] = (r, c)
        return out

    def leaf(self, name: str):
        base, sub = split(name)
        for index, kind in self.env.items():
            if kind == "entry" and sub == index:
                whole = self.leaf(base)
                self.unify(whole[0], self.ranges.setdefault(index, _Var()))
                if isinstance(self.find(whole[1]), _Var):
                    self.unify(whole[1], "1")  # an entry of a vector
                return ("1", self.find(whole[1]))  # or a row of a matrix
        declared = self.doc.declared(name)
        if declared is not None:
            return declared
        if name not in self.shapes:
            if name in SCALARS or name.isdigit():
                return ("1", "1")
            self.shapes[name] = (_Var(), _Var())
        return self.shapes[name]

    def node(self, n: Node):
        op, a = n.op, n.args
        if op == "num":
            return ("1", "1")
        if op == "matrix":
            for row in a:
                for entry in row.args:
                    if not self.scalar(self.node(entry)):
                        raise Unread("a written matrix whose entries are not numbers")
            return (str(len(a)), str(len(a[0].args)))
        if op == "name":
            return self.leaf(n.name)
        if op == "ones":
            return ONES_ROW if n.name == "row" else ONES_COL
        if op in ("neg", "fn", "pow", "step"):
            return self.node(a[0])
        if op == "prime":
            x = self.node(a[0])
            return x if self.scalar(x) else (x[1], x[0])
        if op == "T":
            x = self.node(a[0])
            return {ONES_ROW: ONES_COL, ONES_COL: ONES_ROW}.get(x, x) if isinstance(x, str) else (x[1], x[0])
        if op in ("softmax", "logsoftmax"):
            x = self.node(a[0])
            self.unify(x[1], "1")
            return x
        if op == "diag":
            x = self.node(a[0])
            self.unify(x[1], "1")
            return (x[0], x[0])
        if op == "norm":
            self.node(a[0])
            return ("1", "1")
        if op == "add":
            x, y = self.node(a[0]), self.node(a[1])
            if x in (ONES_ROW, ONES_COL) or self.scalar(x):
                return y
            if y in (ONES_ROW, ONES_COL) or self.scalar(y):
                return x
            fx, fy = tuple(map(self.find, x)), tuple(map(self.find, y))
            if fy[1] == "1" and fy[0] == fx[1] and fx[0] != "1" and fx != fy:  # a bias added to each row
                return x
            self.same(x, y)
            return x
        if op == "mul":
            x, y = self.node(a[0]), self.node(a[1])
            if x == ONES_ROW:
                return ("1", y[1])
            if y == ONES_COL:
                return (x[0], "1")
            if isinstance(x, str) or isinstance(y, str):
                raise Unread("a vector of ones whose length is not fixed")
            if self.scalar(x):
                return y
            if self.scalar(y):
                return x
            self.unify(x[1], y[0])
            self.contracted.append(x[1])
            return (x[0], y[1])
        if op == "had":
            x, y = self.node(a[0]), self.node(a[1])
            self.same(x, y)
            return x
        if op == "outer":
            x, y = self.node(a[0]), self.node(a[1])
            return (x[0], y[0])
        if op == "div":
            return self.node(a[0])
        if op == "call":
            for arg in a:
                self.node(arg)
            return ("1", "1")
        if op == "slice":
            x = self.node(a[0])
            return ("1", x[1]) if n.name.startswith("row") else (x[0], "1")
        if op == "sum":
            index, _, kind = sum_kind(n)
            saved = dict(self.env)
            self.env[index] = kind
            try:
                return self.node(a[0])
            finally:
                self.env = saved
        if op in ("d", "dloss"):
            by = self.node(a[-1])
            loss = op == "dloss" or a[0].op == "name" and a[0].name in LOSSES and a[0].name not in self.doc.defs
            top = ("1", "1") if loss else self.node(a[0])
            if self.scalar(top):
                return by
            return (_Var(), _Var())
        raise Unread(op)
