"""Relations between vectors and matrices, read with their shapes and with products in their order.

The document's declarations (``W \\in \\mathbb{R}^{m \\times n}``) and definitions (``Y = XW + b``) give the
shapes (those not declared are inferred, :mod:`.linalg_shapes`); a relation is judged by instantiating every
size at several distinct values, every matrix at random rationals, and comparing the two sides entry by
entry (30 digits of a 60-digit evaluation); a derivative is computed entry by entry (see ``_Eval``).

Layout: ∂L/∂W has W's shape for a scalar L (a gradient by a vector may also be written as a row, the
numerator layout); ∂y/∂x of vectors is the Jacobian in the numerator layout (rows of y, columns of x), and
a claim equal only to its transpose is valid in the denominator layout, unless the document states the
numerator layout (and the other way round when it states the denominator layout).

Sums: ``\\sum_i`` over the entries of the vectors it indexes (or up to its stated size); ``\\sum_t`` and
``\\sum_{t=1}^{T}`` over time, with the document's per-step definitions (``h_t = …``) unrolled at several T.
A loss the document does not define is read as a general function of the last quantities it defines
(L = Σ ⟨G, Y⟩ with G random), or of its arguments where it is written L(w): a relation between its
gradients is valid only if it holds for every G, and invalid if it fails by the same amount for three G.

Written matrices (bmatrix, pmatrix) and tuples of numbers are exact values; an entry of a side written as
a decimal stands for its rounding (0.19 for [0.185, 0.195]). A document that declares no size gets the
sizes its definitions imply, each one left open a size of its own (rows(W), cols(W)): a shape that does
not fit then may be meant with two sizes equal, and is not a finding.
With ``--model``, the cell's equations are definitions of their own (:meth:`Document.take_model`).
Anything outside this reading is ``Unread`` and the scalar reading decides (or leaves it unverifiable)."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

import sympy as sp

from ..notation import Notation
from .linalg_read import (LOSSES, Node, Unread, derivatives as _derivatives, is_loss, is_number, names as _names,
                          parse, shape_of)
from .linalg_shapes import SCALARS, Inference, is_time, split, sum_kind

__all__ = ["Document", "Mismatch", "Node", "Unread", "judge", "parse", "shape_of"]

SIZES = ((2, 3, 4, 5, 6, 7), (3, 2, 5, 4, 7, 6))  # distinct dims, assigned in the order the document names them
TIMES = (2, 3)  # the number of steps T with each size set, where a sum runs over time
POINTS = 2
DIGITS = 60  # the precision of the random point; two sides are equal if they agree to 30 digits
STEP = sp.Float("1e-20", DIGITS)
KINK = sp.Float("1e-15", DIGITS)  # an argument of ReLU this close to 0 is at its kink (the step is 1e-20)
_LAYOUT = {"numerator": "the numerator layout", "denominator": "the denominator layout"}


_MODEL_NOTATION = Notation("model", "W_f x_t + U_f h_{t-1} + b_f, as the matrix reading names them", "\\circ",
                           {"W": "W_{{{label}}}", "U": "U_{{{label}}}", "b": "b_{{{label}}}", "P": "p_{{{label}}}"})


class Mismatch(Exception):
    """Shapes that do not agree; the message names them."""


def _function_name(source: str) -> str:
    r"""L for ``L(\mathbf{w})``: a loss written as a function of its parameters is the loss."""
    m = re.fullmatch(r"\s*(.+?)\s*(?:\\left)?\(\s*[^()]{1,60}\s*(?:\\right)?\)\s*", source)
    if m:
        try:
            head = parse(m.group(1))
        except Unread:
            return source
        if head.op == "name" and is_loss(head.name):
            return m.group(1)
    return source


def defined_name(source: str) -> str | None:
    """The name a left side written as ``L``, ``J(\\theta)`` or ``\\hat J(W)`` stands for (None for anything else)."""
    try:
        node = parse(_function_name(source))
    except Unread:
        return None
    return node.name if node.op == "name" else None


def _base(name: str) -> str:
    return split(name)[0]


# ------------------------------------------------------------------ the document
@dataclass
class Document:
    """Shapes and definitions of the document's vectors and matrices, in the order written."""

    shapes: dict = field(default_factory=dict)  # name -> (dim, dim)
    defs: dict = field(default_factory=dict)  # name -> Node
    dims: list = field(default_factory=list)  # size names in order of first appearance
    layout: str | None = None  # "numerator" or "denominator", when the document states it
    at_point: set = field(default_factory=set)  # names defined by a formula, then given as numbers (p = (0.25, 0.75))
    redefined: set = field(default_factory=set)  # defined as a derivative, then by a formula (e_t = y - ŷ)
    model: set = field(default_factory=set)  # the names the model's equations define (--model)
    unread: dict = field(default_factory=dict)  # name -> why its definition is not read (h = \max(0, z))
    meant: dict = field(default_factory=dict)  # loss name or "*" -> why an undefined loss is a specific one (.losses)
    _inferred: tuple = (None, {})

    @property
    def free(self) -> bool:
        """No size is declared, and the definitions leave some open: each of those is a size of its own."""
        return not self.shapes and any(not d.isdigit() for s in self.inferred().values() for d in s)

    @property
    def active(self) -> bool:
        if self.free and any(s != ("1", "1") for s in self.inferred().values()):
            return True
        return any(s != ("1", "1") for s in self.shapes.values()) or any(
            v.op == "matrix" and v.name == "written" and (len(v.args), len(v.args[0].args)) != (1, 1)
            for v in self.defs.values())  # a tuple (1, 0, -1) alone does not make the document one about matrices

    def declare(self, names_source: str, set_source: str) -> bool:
        shape = shape_of(set_source)
        if shape is None:
            return False
        for part in names_source.split(","):
            try:
                node = parse(part)
            except Unread:
                return False
            if node.op != "name":
                return False
            self.shapes[node.name] = shape
            for d in shape:
                if not d.isdigit() and d not in self.dims:
                    self.dims.append(d)
        return True

    def define(self, name_source: str, value_source: str, replace: bool = False) -> str | None:
        try:
            name = parse(_function_name(name_source))
        except Unread:
            return None
        try:
            value = parse(value_source)
        except Unread as exc:
            if name.op == "name":  # not a quantity of its own either: what depends on it is not read
                self.unread[name.name] = str(exc)
            return None
        if name.op == "name":
            self.unread.pop(name.name, None)
        declared = self.declared(name.name) if name.op == "name" else None
        if value.op == "matrix" and declared and not all(d.isdigit() for d in declared):
            return None  # X ∈ ℝ^{N×D} given as numbers: an instance of the sizes, not read as one (N, D left free)
        base, sub = split(name.name)
        if base != name.name and base in self.defs and is_time(sub) is None and not re.fullmatch(r"\d|[A-Za-z]{3,}", sub):
            return None  # J_{12}, x_i: an entry of a defined quantity is a claim about it (v_next: a name of its own)
        if name.op == "name" and (replace or name.name not in self.defs) and name.name not in _names(value):
            if name.name in self.defs and not _names(value):
                self.at_point.add(name.name)
            else:
                self.at_point.discard(name.name)
                if name.name in self.defs and _derivatives(self.defs[name.name]):
                    self.redefined.add(name.name)  # e_t := ∂L_t/∂o_t, then a formula: a claim about the first
            self.defs.pop(name.name, None)
            self.defs[name.name] = value
            return name.name
        return None

    def take_model(self, model: str) -> bool:
        """The cell's equations of one step as definitions, in the vector form the derivations print
        (elementwise products as Hadamard products, a kept matrix product as one factor), with the cell's
        shapes: inputs m×1, W_* n×m, U_* n×n, every other quantity n×1, under the names of the sizes the
        document declares for them (x_t ∈ ℝ^d: m is d). False, and nothing taken, if the declared sizes do not
        fit the cell. The judge asks this reading only while the document keeps the model's definitions."""
        from ..cells import get_cell  # the model's equations are SymPy, printed here: never the user's text
        from ..export.printer import latex_expr
        cell, notation = get_cell(model), _MODEL_NOTATION
        equations = cell.equations_at(0)
        symbols = {s for e in equations.values() for s in e.free_symbols} | set(equations)
        kinds = {s.name: cell.kind(s.name) for s in symbols}
        shapes, sizes = {}, {}  # the model's shape of each name; the model's sizes as the document names them
        for s in sorted(symbols, key=lambda s: s.name):
            name, kind = parse(latex_expr(s, notation, form="vector", kinds=kinds)), kinds[s.name]
            if name.op != "name":
                return False
            shapes[name.name] = tuple(kind[1:]) if kind[0] == "matrix" else (kind[1], "1")
            written = self.shapes.get(name.name)  # x_t ∈ ℝ^d: the input size is d
            for ours, theirs in zip(shapes[name.name], written or ()):
                if sizes.setdefault(ours, theirs) != theirs:
                    return False  # the document's sizes do not fit the cell: the model is not read as matrices
        if len(set(sizes.values())) < len(sizes):
            return False
        for name, shape in shapes.items():
            if name not in self.shapes:  # W_i is the model's n×m, even where W ∈ ℝ^{n×d} is declared
                self.shapes[name] = tuple(sizes.get(d, d) for d in shape)
                self.dims.extend(d for d in self.shapes[name] if d != "1" and d not in self.dims)
        for ident, expr in equations.items():
            self.model.add(parse(latex_expr(ident, notation, form="vector", kinds=kinds)).name)
            self.define(latex_expr(ident, notation, form="vector", kinds=kinds),
                        latex_expr(expr, notation, form="vector", kinds=kinds))
        return True

    def defined_as(self, name_source: str) -> str | None:
        """The name ``name_source`` stands for, if the document has defined it."""
        try:
            node = parse(_function_name(name_source))
        except Unread:
            return None
        return node.name if node.op == "name" and node.name in self.defs else None

    def mismatch(self, name: str) -> str | None:
        """The shapes that do not agree in the definition of ``name``, if they do not (None if they do or
        if it cannot be told)."""
        if self.free:
            return None  # sizes not declared: a product that does not fit may be meant with two sizes equal
        for sizes in SIZES:
            assign = dict(zip(self.all_dims(), sizes))
            ev = _Eval(self, assign, 0, None, TIMES[0])
            shown = ", ".join(f"{d} = {v}" for d, v in assign.items())
            try:
                value = ev.node(self.defs[name])
            except Mismatch as exc:
                return f"the shapes do not agree: {exc} (at {shown})"
            except Exception:
                return None
            declared = self.declared(name)  # a number for a matrix (W = 0) is every entry: not a mismatch
            if declared is not None and isinstance(value, sp.MatrixBase) and value.shape != (1, 1):
                try:
                    wanted = ev.dims(declared)
                except (KeyError, ValueError, TypeError):
                    continue
                wanted = (tuple(wanted) + (1, 1))[:2] if len(wanted) < 2 else tuple(wanted)  # ℝ, ℝ^n: 1×1, n×1
                if tuple(value.shape) != wanted:
                    return (f"the shapes do not agree: {name} is declared {wanted[0]}×{wanted[1]} but defined as "
                            f"{_shown(value)} (at {shown})")
        return None

    def declared(self, name: str):
        """The declared shape of a name, or of its base for an index or a time (x_t has x's shape)."""
        if name in self.shapes:
            return self.shapes[name]
        base, sub = split(name)
        if sub and base in self.shapes and re.fullmatch(r"[tijkn]([+-]\d)?|\d|\([tijkn]([+-]\d)?\)", sub):
            return self.shapes[base]
        if is_time(sub) is not None or sub.isdigit():  # h_t ∈ ℝ^n declares every step: h_{t-1}, h_0
            for other, shape in self.shapes.items():
                b, s = split(other)
                if b == base and (is_time(s) is not None or s.isdigit()):
                    return shape
        return None

    def inferred(self) -> dict:
        key = (tuple(self.defs), tuple(self.shapes), tuple(map(id, self.defs.values())))
        if self._inferred[0] != key:
            self._inferred = (key, Inference(self).run(free=not self.shapes))
        return self._inferred[1]

    def shape(self, name: str):
        declared = self.declared(name)
        return declared if declared is not None else self.inferred().get(name)

    def all_dims(self) -> list:
        extra = [d for s in self.inferred().values() for d in s if not d.isdigit() and d not in self.dims]
        return list(self.dims) + list(dict.fromkeys(extra))

    def template(self, base: str) -> str | None:
        """The per-step definition of ``base`` (``h_t = …``), if the document writes one."""
        for name in self.defs:
            b, sub = split(name)
            if b == base and is_time(sub) == 0:
                return name
        return None

    def step_shape(self, base: str):
        """The shape of one step of ``base`` (h_0 has the shape of h_{t-1})."""
        shape = self.declared(base)
        if shape is not None:
            return shape
        for name, s in [*self.shapes.items(), *self.inferred().items()]:
            b, sub = split(name)
            if b == base and (is_time(sub) is not None or sub.isdigit()):
                return s
        return None


# ------------------------------------------------------------------ evaluation
class _Eval:
    """The value of a node at one size and one random point: explicit sympy matrices of numbers (60 digits).

    Every given entry is a random rational fixed by (seed, name, entry), so that an evaluation made again
    with one entry moved (``active``) is at the same point: a derivative is, entry by entry of the
    variable, the central difference of two such evaluations at ±10⁻²⁰ in 60-digit arithmetic (its error is
    below 10⁻³⁸, far inside the 30 digits two sides must agree to). A defined quantity is moved after it is
    computed, so ∂L/∂Y is the gradient through everything that depends on Y."""

    def __init__(self, doc: Document, sizes: dict, seed: int, loss: str | None, steps: int, active=None):
        self.doc, self.sizes, self.seed, self.loss, self.steps = doc, sizes, seed, loss, steps
        self.active = active  # (key, i, j) moved by EPS, in an evaluation made for a derivative
        self.values, self.depth = {}, 0
        self.env: dict = {}  # bound index -> ("entry" | "time", value)
        self.timed = False  # a sum over time is written: per-step quantities are unrolled over T steps
        self.sinks: list = []
        self.simplex: frozenset = frozenset()  # target vectors drawn with entries that sum to 1
        self.rows = False  # gradients of a scalar by a column vector read as rows (the numerator layout)
        self.drawn = False  # a random value was drawn: the sides are not numbers the document gives
        self.other_loss = 0  # another general loss (its gradient G drawn anew), the point kept

    def again(self, active):
        ev = _Eval(self.doc, self.sizes, self.seed, self.loss, self.steps, active)
        ev.env, ev.timed, ev.sinks, ev.simplex, ev.rows = dict(self.env), self.timed, self.sinks, self.simplex, self.rows
        ev.other_loss = self.other_loss
        return ev

    def dims(self, shape):
        return tuple(int(d) if d.isdigit() else self.sizes[d] for d in shape)

    def rational(self, *where):
        rng = random.Random(f"{self.seed}|" + "|".join(map(str, where)))
        return sp.Rational(rng.choice((-1, 1)) * rng.randint(1, 5), rng.randint(3, 8))

    def moved(self, key: str, value):
        if self.active is None or self.active[0] != key:
            return value
        _, i, j, step = self.active
        value = sp.Matrix(value)
        value[i, j] += step
        return value

    # ----------------------------------------------------------------- names
    def resolve(self, name: str):
        """("name", key) | ("step", base, k) | ("entry", base, k) for a name in the current bindings."""
        base, sub = split(name)
        if sub:
            for index, (kind, value) in self.env.items():
                if kind == "entry" and sub == index:
                    return ("entry", base, value)
                if kind == "time" and is_time(sub, index) is not None:
                    return ("step", base, value + is_time(sub, index))
            if self.timed and self.doc.template(base):
                if is_time(sub) is not None:
                    raise Unread(f"{name} outside a sum over time, where the document sums over time (which step?)")
                if sub.isdigit():
                    return ("step", base, int(sub))
                if is_time(sub, "T") is not None:  # δ_T, h_{T-1}: the last steps
                    return ("step", base, self.steps + is_time(sub, "T"))
        return ("name", name)

    def key(self, name: str) -> tuple[str, int | None]:
        """The key of the value a name stands for, and the row it selects (an entry of a vector, a row of Y)."""
        where = self.resolve(name)
        if where[0] == "entry":
            return self.key(where[1])[0], where[2]
        return (f"{where[1]}@{where[2]}" if where[0] == "step" else name), None

    def leaf(self, name: str):
        where = self.resolve(name)
        if where[0] == "entry":
            k = where[2]
            return self.leaf(where[1])[k - 1:k, :]  # an entry of a vector, a row of a matrix (dY_n)
        if where[0] == "step":
            return self.step(where[1], where[2])
        if name in self.values:
            return self.values[name]
        if name in self.doc.unread and name not in self.doc.defs:
            raise Unread(f"{name} is defined by a formula not read as vectors and matrices ({self.doc.unread[name]})")
        if name in self.doc.defs and name not in self.simplex:
            saved, self.env = self.env, {}
            try:
                value = self.defined(name)
            finally:  # also when an instance is drawn again (AtKink) or not read: the bindings of the sums around
                self.env = saved
        else:
            shape = self.doc.shape(name)
            if shape is None:
                if name in SCALARS:
                    shape = ("1", "1")
                else:
                    raise Unread(f"the shape of {name} is not declared")
            value = self.fresh(name, shape)
        value = self.moved(name, value)
        self.values[name] = value
        return value

    def defined(self, name: str):
        self.depth += 1
        if self.depth > 60:
            raise Unread("definitions nested too deep")
        value = self.node(self.doc.defs[name])
        self.depth -= 1
        if isinstance(value, _Ones):
            raise Unread("a vector of ones whose length is not fixed by a product")
        return value

    def fresh(self, key: str, shape):
        self.drawn = True
        r, c = self.dims(shape)
        if _base(key.split("@")[0]) in self.simplex or key in self.simplex:
            weights = [sp.Integer(abs(self.rational(key, i, "w").p)) for i in range(r)]
            return sp.Matrix(r, 1, [w / sum(weights) for w in weights])
        return sp.Matrix(r, c, lambda i, j: sp.Float(self.rational(key, i, j), DIGITS))

    def step(self, base: str, k: int):
        """The value of ``base`` at step k: its per-step definition for k ≥ 1, a given value before."""
        key = f"{base}@{k}"
        if key in self.values:
            return self.values[key]
        template = self.doc.template(base)
        if template and k >= 1:
            saved, self.env = self.env, {"t": ("time", k)}
            try:
                value = self.defined(template)
            finally:
                self.env = saved
        else:
            shape = self.doc.step_shape(base)
            if shape is None:
                raise Unread(f"the shape of {base} is not declared")
            value = self.fresh(key, shape)
        value = self.moved(key, value)
        self.values[key] = value
        return value

    # ----------------------------------------------------------------- nodes
    def node(self, n: Node, ones: bool = False):
        value = self._node(n)
        if isinstance(value, _Ones) and not ones:
            raise Unread("a vector of ones whose length is not fixed by a product")
        return value

    def _node(self, n: Node):
        op, a = n.op, n.args
        if op == "num":
            return sp.Matrix([[sp.Rational(n.name)]])
        if op == "matrix":
            rows = [[self.node(e) for e in row.args] for row in a]
            if any(e.shape != (1, 1) for row in rows for e in row):
                raise Unread("a written matrix whose entries are not numbers")
            return sp.Matrix([[e[0, 0] for e in row] for row in rows])
        if op == "name":
            return self.leaf(n.name)
        if op == "ones":
            return _Ones(n.name == "row")
        if op == "neg":
            return -self.node(a[0])
        if op == "add":
            return _broadcast_add(self.node(a[0], True), self.node(a[1], True))
        if op == "mul":
            return _mul(self.node(a[0], True), self.node(a[1], True))
        if op == "had":
            x, y = self.node(a[0]), self.node(a[1])
            if x.shape != y.shape:  # a column (or row) beside a matrix scales its rows (or columns): diag(v) M
                x, y = _broadcast(x, y.shape), _broadcast(y, x.shape)
            if x.shape != y.shape:
                raise Mismatch(f"a Hadamard product of {_shown(x)} and {_shown(y)}")
            return x.multiply_elementwise(y)
        if op == "outer":
            x, y = self.node(a[0]), self.node(a[1])
            if x.shape[1] != 1 or y.shape[1] != 1:
                raise Unread("⊗ of anything but two column vectors")
            return x * y.T
        if op == "div":
            x, y = self.node(a[0]), self.node(a[1])
            if y.shape != (1, 1):
                raise Unread("a division by a vector or matrix")
            return x / y[0, 0]
        if op == "T":
            x = self.node(a[0], True)
            return _Ones(not x.row) if isinstance(x, _Ones) else x.T
        if op == "pow":
            x, k = self.node(a[0]), int(n.name)
            if x.shape == (1, 1) or 1 in x.shape:
                return x.applyfunc(lambda e: e ** k)
            raise Unread("a power of a matrix (elementwise or a matrix power?)")
        if op == "norm":
            x = self.node(a[0])
            return sp.Matrix([[sp.sqrt(sum(e ** 2 for e in x))]])
        if op == "diag":
            x = self.node(a[0])
            if x.shape[1] != 1:
                raise Unread("diag of anything but a column vector")
            return sp.diag(*list(x))
        if op in ("softmax", "logsoftmax"):
            x = self.node(a[0])
            if x.shape[1] != 1:
                raise Unread(f"{op} of anything but a column vector")
            e = x.applyfunc(sp.exp)
            p = e / sum(e)
            return p if op == "softmax" else p.applyfunc(sp.log)
        if op == "fn":
            return self.node(a[0]).applyfunc(_ELEMENTWISE[n.name])
        if op == "step":
            return self.node(a[0]).applyfunc(_positive)
        if op == "prime":
            x = self.node(a[0])
            if x.shape == (1, 1):
                raise Unread("a prime on a scalar")
            return x.T
        if op == "sum":
            return self.sum(n)
        if op == "call":
            if n.name == self.loss and n.name not in self.doc.defs:
                return self.loss_value()
            if n.name in self.doc.defs:
                return self.leaf(n.name)
            raise Unread(f"{n.name} as a function of its arguments is not defined")
        if op == "slice":
            x, (kind, index) = self.node(a[0]), n.name.split(":")
            bound = self.env.get(index)
            k = int(index) if index.isdigit() else bound[1] if bound and bound[0] == "entry" else None
            if k is None:
                raise Unread(f"the index {index} of a row or column is not bound by a sum over it")
            if not 1 <= k <= (x.rows if kind == "row" else x.cols):
                raise Unread(f"the {kind} {k} of a {_shown(x)} matrix")
            return x[k - 1:k, :] if kind == "row" else x[:, k - 1:k]
        if op == "d":
            return self.derivative(a[0], a[1])
        if op == "dloss":
            raise Unread("dW without a loss to differentiate")
        raise Unread(op)

    def sum(self, n: Node):
        index, upper, kind = sum_kind(n)
        if index in self.env:
            raise Unread(f"a sum over {index} inside a sum over {index}")
        if kind == "time":
            if upper not in ("", "T") and not upper.isdigit():
                raise Unread(f"a sum over time up to {upper} (read: T)")
            count = int(upper) if upper.isdigit() else self.steps
        elif upper:
            count = int(upper) if upper.isdigit() else self.sizes.get(upper)
            if count is None:
                raise Unread(f"the upper limit {upper} of the sum over {index} is not a size of the document")
        else:
            count = self.entries(n.args[0], index)
        total = None
        for k in range(1, count + 1):
            self.env[index] = (kind, k)
            try:
                term = self.node(n.args[0])
            finally:
                del self.env[index]
            total = term if total is None else _broadcast_add(total, term)
        if total is None:
            raise Unread(f"an empty sum over {index}")
        return total

    def entries(self, body: Node, index: str) -> int:
        """The length that a sum over ``index`` without limits runs to: that of the vectors it indexes."""
        lengths = set()
        for name in _names(body):
            base, sub = split(name)
            if sub == index:
                lengths.add(self.leaf(base).shape[0])
        if len(lengths) != 1:
            raise Unread(f"the range of the sum over {index} is not fixed by the vectors it indexes")
        return lengths.pop()

    def derivative(self, top: Node, by: Node):
        """Entry by entry: the top evaluated again with one entry of the variable moved, differentiated."""
        if self.active is not None:
            raise Unread("a derivative of a quantity defined by a derivative")
        if by.op != "name":
            raise Unread("a derivative by an expression")
        var = self.node(by)
        key, row = self.key(by.name)

        def top_value(ev):
            if top.op == "name" and top.name == self.loss and self.loss not in self.doc.defs:
                return ev.loss_value()
            return ev.node(top)

        f = top_value(self)
        columns = []
        for i in range(var.rows):
            for j in range(var.cols):
                where = (key, (row - 1) if row else i, j)
                up, down = (top_value(self.again(where + (s * STEP,))) for s in (1, -1))
                if up.shape != f.shape or down.shape != f.shape:
                    raise Unread("a derivative whose value changes shape")
                columns.append((up - down) / (2 * STEP))
        if f.shape == (1, 1):
            gradient = sp.Matrix(var.rows, var.cols, [c[0, 0] for c in columns])
            return gradient.T if self.rows and var.cols == 1 else gradient
        if f.shape[1] == 1 and var.shape[1] == 1:
            jac = sp.Matrix.hstack(*columns)
            return jac.T if self.doc.layout == "denominator" else jac
        if var.shape == (1, 1):
            return columns[0]
        raise Unread("a derivative of a vector or matrix by a matrix (its layout is not stated)")

    def loss_value(self):
        self.drawn = True
        if not hasattr(self, "_loss"):
            total = sp.S.Zero
            for s in self.sinks:
                if self.timed and self.doc.template(_base(s)) == s:
                    values = [self.step(_base(s), k) for k in range(1, self.steps + 1)]
                else:
                    values = [self.leaf(s)]
                for k, value in enumerate(values, 1):
                    g = sp.Matrix(*value.shape, lambda i, j: self.rational("G", s, i, j, self.other_loss))
                    total += sum(gi * vi for gi, vi in zip(g, value))
                    if not hasattr(self, "gradient_drawn"):  # the first, shown in a counterexample
                        self.gradient_drawn = (f"{_base(s)}_{k}" if len(values) > 1 else s, g)
            self._loss = sp.Matrix([[total]])
        return self._loss


def _sigmoid(e):
    return 1 / (1 + sp.exp(-e))


class AtKink(Exception):
    """A random instance put the argument of ReLU or its slope at 0, where the slope has no value (a difference
    quotient there is 1/2): the instance is drawn again."""


def _off_kink(e):
    if e.is_number and abs(sp.N(e, DIGITS)) < KINK:
        raise AtKink
    return e


def _positive(e):
    return sp.Piecewise((1, _off_kink(e) > 0), (0, True))


def _relu(e):
    return sp.Piecewise((e, _off_kink(e) > 0), (0, True))


_ELEMENTWISE = {"sigma": _sigmoid, "tanh": sp.tanh, "exp": sp.exp, "log": sp.log, "relu": _relu,
                "sigma'": lambda e: _sigmoid(e) * (1 - _sigmoid(e)), "tanh'": lambda e: 1 - sp.tanh(e) ** 2,
                "relu'": _positive}


def _broadcast(v, shape):
    """``v`` repeated to ``shape`` if it is a column of its rows or a row of its columns (as NumPy broadcasts);
    otherwise ``v`` as it is."""
    rows, cols = shape
    if v.shape == (rows, 1) and cols > 1:
        return sp.Matrix(rows, cols, lambda i, j: v[i, 0])
    if v.shape == (1, cols) and rows > 1:
        return sp.Matrix(rows, cols, lambda i, j: v[0, j])
    return v


def _written_matrix(m) -> str:
    """(1/2, -3/4) for a column, [[…], […]] for a matrix."""
    if m.cols == 1:
        return "(" + ", ".join(str(e) for e in m) + ")"
    return "[" + ", ".join("[" + ", ".join(str(e) for e in m.row(i)) + "]" for i in range(m.rows)) + "]"


def _shown(m) -> str:
    return f"{m.shape[0]}×{m.shape[1]}"


class _Ones:
    """The vector of ones (𝟏, or 1ᵀ as a row), of the length its product needs."""

    def __init__(self, row: bool):
        self.row = row
        self.shape = (-1, -1)


def _mul(x, y):
    if isinstance(x, _Ones) and x.row and not isinstance(y, _Ones):
        return sp.ones(1, y.shape[0]) * y
    if isinstance(y, _Ones) and not y.row and not isinstance(x, _Ones):
        return x * sp.ones(x.shape[1], 1)
    if isinstance(x, _Ones) or isinstance(y, _Ones):
        raise Unread("a vector of ones whose length is not fixed by a product")
    if x.shape == (1, 1):
        return y * x[0, 0]
    if y.shape == (1, 1):
        return x * y[0, 0]
    if x.shape[1] != y.shape[0]:
        raise Mismatch(f"a product of a {_shown(x)} by a {_shown(y)} matrix")
    return x * y


def _broadcast_add(x, y):
    if isinstance(x, _Ones) and not isinstance(y, _Ones) and not x.row:
        x = sp.ones(*y.shape)
    if isinstance(y, _Ones) and not isinstance(x, _Ones) and not y.row:
        y = sp.ones(*x.shape)
    if isinstance(x, _Ones) or isinstance(y, _Ones):
        raise Unread("a vector of ones whose length is not fixed")
    if x.shape == y.shape:
        return x + y
    if x.shape == (1, 1):
        return sp.ones(*y.shape) * x[0, 0] + y
    if y.shape == (1, 1):
        return x + sp.ones(*x.shape) * y[0, 0]
    if y.shape[1] == 1 and y.shape[0] == x.shape[1] and x.shape[0] != 1:  # a bias added to each row (Y = XW + b)
        return x + sp.ones(x.shape[0], 1) * y.T
    if x.shape[1] == 1 and x.shape[0] == y.shape[1] and y.shape[0] != 1:
        return _broadcast_add(y, x)
    raise Mismatch(f"a sum of a {_shown(x)} and a {_shown(y)} matrix")


# ------------------------------------------------------------------ what a relation depends on
def _forward_names(node: Node, out=None):
    """The names a quantity is computed from (a gradient written in its definition is not one)."""
    out = set() if out is None else out
    if node.op == "name":
        out.add(node.name)
    if node.op not in ("d", "dloss"):
        for a in node.args:
            _forward_names(a, out)
    return out


def _depends(doc: Document, name: str, on: str, seen=None) -> bool:
    seen = set() if seen is None else seen
    if name not in doc.defs or name in seen or _derivatives(doc.defs[name]):
        return False
    seen.add(name)
    used = _forward_names(doc.defs[name])
    return on in used or any(_depends(doc, u, on, seen) for u in used)


def _expanded_derivatives(doc: Document, node: Node, seen=None):
    """The derivatives in a node and in the definitions it uses (δ = ∂L/∂Y)."""
    seen = set() if seen is None else seen
    out = _derivatives(node)
    for name in _names(node):
        for used in (name, doc.template(_base(name))):
            if used in doc.defs and used not in seen:
                seen.add(used)
                out += _expanded_derivatives(doc, doc.defs[used], seen)
    return out


def _has_time(doc: Document, node: Node, seen=None) -> bool:
    seen = set() if seen is None else seen
    if node.op == "sum" and sum_kind(node)[2] == "time":
        return True
    if any(_has_time(doc, x, seen) for x in node.args):
        return True
    for name in _names(node) if node.op == "name" else ():
        if name in doc.defs and name not in seen:
            seen.add(name)
            if _has_time(doc, doc.defs[name], seen):
                return True
    return False


def _losses(doc: Document, node: Node, loss: str) -> Node:
    """dW, dY: the gradient of the loss, unless d is a quantity of the document."""
    if node.op == "dloss":
        if doc.shape("d") is not None or "d" in doc.defs:
            return Node("mul", (Node("name", (), "d"), node.args[0]))
        return Node("d", (Node("name", (), loss), node.args[0]))
    if not node.args:
        return node
    return Node(node.op, tuple(_losses(doc, x, loss) for x in node.args), node.name)


def is_gradient(doc: Document, source: str) -> bool:
    """``source`` is a derivative (∂L/∂W, ∇_W L, or dW where d is no quantity of the document)."""
    try:
        node = parse(source)
    except Unread:
        return False
    return node.op == "d" or node.op == "dloss" and doc.shape("d") is None and "d" not in doc.defs


def _the_loss(doc: Document, node: Node) -> str:
    tops = [d.args[0].name for d in _derivatives(node) if d.op == "d" and d.args[0].op == "name"]
    defined = [n for n in doc.defs if n in LOSSES]
    for candidate in tops + defined[::-1]:
        if candidate in LOSSES:
            return candidate
    return "L"


def _layout_kind(doc: Document, side: Node):
    """"gradient" (a scalar by a vector) or "jacobian" (a vector by a vector) for a side that is one derivative."""
    if side.op != "d" or side.args[1].op != "name":
        return None
    by = doc.shape(side.args[1].name) or doc.step_shape(_base(side.args[1].name))
    top = side.args[0]
    top_shape = doc.shape(top.name) if top.op == "name" else None
    if top.op == "name" and top.name in LOSSES and top.name not in doc.defs:
        top_shape = ("1", "1")
    if by is None or by[1] != "1" or by == ("1", "1") or top_shape is None:
        return None
    if top_shape == ("1", "1"):
        return "gradient"
    return "jacobian" if top_shape[1] == "1" else None


def judge(doc: Document, a_source: str, b_source: str, seed: int):
    """(verdict, reason, counterexample) of ``a = b`` as a statement about vectors and matrices."""
    verdict = _judge(doc, a_source, b_source, seed)
    if verdict[0] == "invalid" and "shape" in verdict[1] and any(
            n.op == "matrix" and n.name == "tuple" for side in (a_source, b_source) for n in _walk(parse(side))):
        raise Unread("a tuple in a relation whose shapes do not agree: whether it is a row or a column is not said")
    if verdict[0] == "invalid":
        twice = sorted(doc.redefined & _reached(doc, Node("add", (parse(_function_name(a_source)),
                                                                   parse(_function_name(b_source))))))
        if twice:
            return ("unverifiable", f"false with the last definition of {twice[0]}, which the document defines "
                    f"twice (a new exercise, or a claim about the first?)", None)
    return verdict


def _judge(doc: Document, a_source: str, b_source: str, seed: int):
    a, b = parse(_function_name(a_source)), parse(_function_name(b_source))
    loss_name = _the_loss(doc, Node("add", (a, b)))
    a, b = _losses(doc, a, loss_name), _losses(doc, b, loss_name)
    both = Node("add", (a, b))
    derivs = _expanded_derivatives(doc, both)
    tops = {d.args[0].name for d in derivs if d.args[0].op == "name"}
    loss = None
    undefined_tops = [t for t in tops if t not in doc.defs and doc.template(_base(t)) is None and doc.shape(t) is None]
    if undefined_tops:
        if len(undefined_tops) > 1 or undefined_tops[0] not in LOSSES:
            raise Unread(f"{undefined_tops[0]} is not defined")
        loss = undefined_tops[0]
    sinks, single = [], False
    called = sorted({n for c in _calls(doc, both) if c.name == loss for arg in c.args for n in _names(arg)})
    if loss and called:  # L(w) written in a definition: L is a general function of its arguments
        if any(n in doc.defs for n in called):
            raise Unread(f"{loss} applied to a quantity the document defines")
        by_loss = {_variable_name(doc, d.args[1].name) for d in derivs
                   if d.args[0].op == "name" and d.args[0].name == loss}
        sinks, single = called, len(by_loss) == 1
    elif loss:
        by_loss = {_variable_name(doc, d.args[1].name) for d in derivs
                   if d.args[0].op == "name" and d.args[0].name == loss}
        single = len(by_loss) == 1
        closure = set(by_loss) | {q for q in doc.defs if any(_depends(doc, q, r) for r in by_loss)}
        sinks = sorted(q for q in closure if not any(_depends(doc, o, q) for o in closure if o != q))
        if not all(s in doc.defs and not _derivatives(doc.defs[s]) for s in sinks):
            raise Unread(f"{loss} is not defined, and it is not said what it depends on")
    at_point = sorted(doc.at_point & _reached(doc, both))
    if derivs and at_point:
        raise Unread(f"{at_point[0]} is given as numbers here, in place of its formula: its derivative is not read")
    apart = _not_reaching(doc, derivs)
    if apart:
        raise Unread(f"{apart[0]} is not defined in terms of {apart[1]} (given as numbers?): its derivative by it is "
                     f"not read")
    timed = _has_time(doc, both)
    _refuse_unresolved_constants(doc, both)
    if loss and single:  # its one gradient is any matrix G of its shape: valid only if it holds for every G
        verdict = _instances(doc, a, b, seed, loss, sinks, timed, {"a": None, "b": None})
        if verdict[0] == "valid":
            return verdict
        if verdict[0] == "invalid" and _whatever_the_loss(doc, a, b, seed, loss, sinks, timed):
            return "invalid", f"{verdict[1]}; the sides differ by the same amount for every {loss}", verdict[2]
        specific = doc.meant.get(loss) or doc.meant.get("*")
        if not (_names(a) and _names(b)):
            specific = specific or "a side is numbers: a claim about one instance"
        specific = specific or _stand_in(doc, both, loss, set(sinks) | set(by_loss), set(by_loss))
        if verdict[0] == "invalid" and verdict[2] is not None and not specific:  # meant for a general loss
            return "invalid", f"{verdict[1]}: false for a general {loss}", verdict[2]
        return ("unverifiable", f"false for a general {loss} (its gradient read as any matrix of its shape), so "
                f"it depends on what {loss} is, which the document does not define"
                + (f" ({specific})" if specific else ""), None)
    kinds = {side: _layout_kind(doc, node) for side, node in (("a", a), ("b", b))}
    verdict = _instances(doc, a, b, seed, loss, sinks, timed, kinds)
    if verdict[0] == "invalid" and not derivs and not (_names(a) and _names(b)) and not _numbers_only(doc, a, b):
        return ("unverifiable", "false for general values of the quantities given: a condition on them that the "
                "text states (such as Σ_i y_i = 1), or values the document gives otherwise, not a consequence of "
                "the definitions", None)
    if verdict[0] == "invalid" and doc.layout != "denominator" and _embedded_gradient(doc, a, b):
        rows = _instances(doc, a, b, seed, loss, sinks, timed, kinds, rows=True)
        if rows[0] == "valid":
            return "valid", f"{rows[1]}, reading gradients by vectors as rows (the numerator layout)", None
    if verdict[0] == "invalid" and verdict[2] is not None:
        targets = set()
        for n in _names(both) | {m for q in doc.defs for m in _names(doc.defs[q])}:
            for t in (n, _base(n)):
                shape = doc.shape(t)
                if _base(t) in ("y", "t") and shape and shape[1] == "1" and shape[0] != "1":
                    targets.add(t)
        if targets and _uses_log(doc, both):
            again = _instances(doc, a, b, seed, loss, sinks, timed, kinds, frozenset(targets))
            if again[0] == "valid":
                shown = ", ".join(sorted({_base(t) for t in targets}))
                defined = sorted(t for t in targets if t in doc.defs)
                if defined:
                    return ("unverifiable", f"it holds only for {shown} a one-hot or probability vector, but the "
                            f"document defines {defined[0]} by another formula", None)
                return "valid", f"{again[1]}, for {shown} a one-hot or probability vector (its entries sum to 1)", None
    return verdict


def rounded_unit(doc: Document, a_source: str, b_source: str) -> sp.Rational:
    """Half a unit of the last digit of the coarsest rounded number (four or more significant digits, as
    :mod:`.precision` reads them) in the definitions a relation reaches: 0 if every number is exact."""
    both = Node("add", (parse(_function_name(a_source)), parse(_function_name(b_source))))
    unit = sp.S.Zero
    for node in [both] + [doc.defs[n] for n in _reached(doc, both) if n in doc.defs]:
        for n in _walk(node):
            digits = n.name.replace(".", "").lstrip("0") if n.op == "num" and "." in n.name else ""
            if len(digits) >= 4:
                unit = max(unit, sp.Rational(1, 2 * 10 ** len(n.name.partition(".")[2])))
    return unit


def _not_reaching(doc: Document, derivs: list):
    """(q, v) for a derivative ∂q/∂v of a defined quantity whose definitions never reach v (q given as numbers,
    or computed from quantities given as numbers): how q depends on v is not said, so it is not 0."""
    for d in derivs:
        top, by = d.args if d.op == "d" else (None, None)
        if top is None or top.op != "name" or by.op != "name" or top.name not in doc.defs:
            continue
        if _base(by.name) not in _bases_reached(doc, doc.defs[top.name]):
            return top.name, by.name
    return None


def _bases_reached(doc: Document, node: Node) -> set:
    """The bases of the names a node uses, through the definitions of their entries (ŷ_i: ŷ) and steps too."""
    seen, todo = set(), list(_names(node))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for used in (name, _base(name), doc.template(_base(name))):
            if used in doc.defs:
                todo.extend(_names(doc.defs[used]))
    return {_base(n) for n in seen}


def _stand_in(doc: Document, node: Node, loss: str, variables: set, by: set) -> str | None:
    """Why the relation may be about one loss: it uses an undefined quantity that has the shape of a gradient of
    the loss and that the loss is not computed from (g, "the upstream gradient", given in words or as numbers)."""
    used = {n for q in doc.defs for n in _forward_names(doc.defs[q])}
    shapes = {doc.shape(v) or doc.step_shape(_base(v)) for v in variables} - {None}
    for name in sorted(_reached(doc, node)):
        if name in doc.defs or name == loss or name in used or doc.template(_base(name)) or name in variables:
            continue
        if (doc.shape(name) or doc.step_shape(_base(name))) in shapes:
            return f"{name} is not defined and may be a gradient of {loss} named in words"
    for name in sorted(_forward_names(node)):  # δ = y - t written in the relation: the gradient of the loss in mind?
        if name in doc.defs and not _derivatives(doc.defs[name]) and name not in used and name not in by and \
                (doc.shape(name) or doc.step_shape(_base(name))) in shapes:
            return f"{name} is defined by a formula, not as a gradient, and may be that of the {loss} in mind"
    return None


def _walk(node: Node):
    yield node
    for arg in node.args:
        yield from _walk(arg)


def _calls(doc: Document, node: Node) -> list:
    """The applications L(w) in a node and in the definitions it reaches."""
    out, stack = [], [node] + [doc.defs[n] for n in _reached(doc, node) if n in doc.defs]
    while stack:
        n = stack.pop()
        if n.op == "call":
            out.append(n)
        stack.extend(n.args)
    return out


def _whatever_the_loss(doc, a, b, seed, loss, sinks, timed) -> bool:
    """The two sides differ, and by the same amount for three unrelated general losses: the relation is false
    whatever the loss is (∇L̃ = ∇L + 2λw beside L̃ = L + λ/2‖w‖²)."""
    dims = doc.all_dims()
    if len(dims) > len(SIZES[0]):
        return False
    differences = []
    for other in (0, 1, 2):
        ev = _Eval(doc, dict(zip(dims, SIZES[0])), seed * 7919 + TIMES[0], loss, TIMES[0])
        ev.sinks, ev.timed, ev.other_loss = sinks, timed, other
        try:
            lhs, rhs = ev.node(a), ev.node(b)
        except Exception:
            return False
        if lhs.shape != rhs.shape:
            return False
        differences.append(lhs - rhs)
    first = differences[0]
    return all(_differs(first, d) is None for d in differences[1:]) and _differs(first, 0 * first) is not None


def _reached(doc: Document, node: Node, seen=None) -> set:
    """The names a node uses, and those their definitions use."""
    seen = set() if seen is None else seen
    for name in _names(node) - seen:
        seen.add(name)
        if name in doc.defs:
            _reached(doc, doc.defs[name], seen)
    return seen


def _numbers_only(doc: Document, a: Node, b: Node) -> bool:
    """Both sides are computed from numbers the document gives (no value is drawn at random)."""
    ev = _Eval(doc, dict(zip(doc.all_dims(), SIZES[0])), 0, None, TIMES[0])
    try:
        ev.node(a), ev.node(b)
    except Mismatch:
        return True  # shapes that do not agree, whatever the values
    except Exception:
        return False
    return not ev.drawn


def _precision(node: Node):
    """Per entry of a side written as numbers, half a unit of its last digit (0.19 stands for 0.185 to 0.195)."""
    if node.op == "matrix":
        cells = [list(row.args) for row in node.args]
    elif is_number(node):
        cells = [[node]]
    else:
        return None
    if not all(is_number(e) for row in cells for e in row):
        return None

    def half(e):
        while e.op == "neg":
            e = e.args[0]
        digits = len(e.name.partition(".")[2])
        return sp.Rational(1, 2 * 10 ** digits) if digits else sp.S.Zero
    slack = sp.Matrix([[half(e) for e in row] for row in cells])
    return slack if any(slack) else None


def _embedded_gradient(doc: Document, a: Node, b: Node) -> bool:
    """A gradient by a vector inside a product (∂L/∂ŷ · ∂ŷ/∂z): its layout decides the shapes."""
    return any(_layout_kind(doc, d) == "gradient" for side in (a, b) if side.op != "d" for d in _derivatives(side))


def _variable_name(doc: Document, name: str) -> str:
    """Y for Y_n, a row of Y (when Y_n is no quantity of its own)."""
    base = _base(name)
    if name in doc.defs or doc.declared(name) is not None or base not in doc.defs:
        return name
    return base


def _uses_log(doc: Document, node: Node, seen=None) -> bool:
    seen = set() if seen is None else seen
    if node.op == "fn" and node.name == "log" or node.op in ("softmax", "logsoftmax"):
        return True
    for n in node.args:
        if _uses_log(doc, n, seen):
            return True
    for name in _names(node) if node.op == "name" else ():
        for used in (name, _base(name)):
            if used in doc.defs and used not in seen:
                seen.add(used)
                if _uses_log(doc, doc.defs[used], seen):
                    return True
    return False


RESOLVED = 15  # a constant is compared only if it lies between 10^-15 and 10^15: two sides agree to 30 digits


def _refuse_unresolved_constants(doc: Document, node: Node) -> None:
    """Unread if the relation, or a definition it reaches, holds a constant (e^{-80}, 10^{-40}, 1 - tanh(100))
    so small or so large that sides differing by it would still agree to 30 digits."""
    seen: set = set()

    def visit(n: Node) -> bool:  # True if n holds no name: a constant, checked as a whole and in its parts
        if n.op == "name":
            for name in _names(n):
                for used in (name, _base(name)):
                    if used in doc.defs and used not in seen:
                        seen.add(used)
                        visit(doc.defs[used])
            return False
        constant = all([visit(arg) for arg in n.args]) and n.op not in ("ones",)
        if constant and n.op != "num":
            try:
                value = _Eval(doc, {}, 0, None, 1).node(n)
                magnitude = abs(sp.N(value[0, 0], 30)) if value.shape == (1, 1) else None
            except Exception:  # no value here: left to the comparison, which refuses it in its own words
                return False
            if magnitude is not None and magnitude.is_number and magnitude != 0 and not (
                    sp.Float(10) ** -RESOLVED < magnitude < sp.Float(10) ** RESOLVED):
                raise Unread(f"it holds a constant of about {sp.N(magnitude, 3)}, beyond what a comparison at 30 "
                             "digits resolves beside the other terms")
        return constant

    visit(node)


def _differs(lhs, rhs, slack=None):
    """The first entry (i, j, left, right) where two matrices of one shape differ at 50 digits (or by more
    than ``slack``, the rounding of entries written as decimals), or None."""
    for i in range(lhs.rows):
        for j in range(lhs.cols):
            left, right = sp.N(lhs[i, j], 50), sp.N(rhs[i, j], 50)
            if not (left.is_number and right.is_number) or left.has(sp.nan, sp.zoo) or right.has(sp.nan, sp.zoo):
                raise Unread("a side has no value")
            allowed = slack[i, j] if slack is not None else 0
            if abs(left - right) > allowed + sp.Float(10, 50) ** -30 * (1 + abs(left) + abs(right)):
                return i, j, left, right
    return None


def _instances(doc, a, b, seed, loss, sinks, timed, kinds, simplex=frozenset(), rows=False):
    """Both sides at every size set (and number of steps): valid, or the first difference found."""
    dims = doc.all_dims()
    checked, layouts, given, rounded, nonzero = [], set(), True, False, False
    written = [_precision(a), _precision(b)]
    for sizes, steps in zip(SIZES, TIMES):
        if len(dims) > len(sizes):
            raise Unread("too many sizes")
        assign = dict(zip(dims, sizes))
        shown = ", ".join(f"{d} = {v}" for d, v in assign.items()) + (f", T = {steps}" if timed else "")
        for point in range(POINTS):
            try:
                ev, lhs, rhs = _off_kinks(doc, a, b, assign, seed * 7919 + point * 131 + steps, loss, steps,
                                          sinks, simplex, timed, rows)
            except RecursionError:
                raise Unread("too deeply nested")
            except Mismatch as exc:
                if doc.free:
                    raise Unread(f"with the sizes it implies taken as distinct, {exc}: the document declares no size")
                return "invalid", f"the shapes do not agree: {exc} (at {shown})", None
            except (ZeroDivisionError, TypeError, ValueError) as exc:
                raise Unread(f"no value ({exc})")
            nonzero = nonzero or any(e != 0 for side in (lhs, rhs) for e in side)
            slack = None
            if not ev.drawn and any(w is not None and w.shape == lhs.shape == rhs.shape for w in written):
                slack = sum((w for w in written if w is not None), sp.zeros(*lhs.shape))
            given = given and not ev.drawn
            found = _compare(doc, lhs, rhs, kinds, slack)
            rounded = rounded or (slack is not None and found is None and _differs(lhs, rhs) is not None)
            if found is None or isinstance(found, str):
                layouts.add(found or "")
                if len(layouts) > 1:
                    return "invalid", "the two sides agree in one layout at some sizes and in another at others", None
            elif found is not None and found[0] == "layout":
                return "invalid", f"{found[1]} (at {shown})", None
            elif found is not None and found[0] == "shape":
                if doc.free:
                    raise Unread(f"with the sizes it implies taken as distinct, the sides are {found[1]} and "
                                 f"{found[2]}: the document declares no size")
                return ("invalid", f"the two sides have different shapes: {found[1]} and {found[2]} (at {shown})",
                        None)
            elif found is not None:
                i, j, left, right = found
                why = (f"the two sides differ at entry ({i + 1}, {j + 1}) " + (
                    f"of a random instance ({shown})" if ev.drawn else "with the numbers the document gives"))
                if loss:
                    why += f", with {loss} a general function of {', '.join(sinks)}"
                    if getattr(ev, "gradient_drawn", None):
                        name, g = ev.gradient_drawn
                        why += f" (e.g. ∂{loss}/∂{name} = {_written_matrix(g)})"
                return "invalid", why, {"values": {}, "lhs": str(sp.N(left, 6)), "rhs": str(sp.N(right, 6))}
            checked.append(shown)
    if not nonzero and not (is_number(a) or is_number(b)):
        raise Unread("both sides are 0 at every instance drawn, so the check says nothing (what they differentiate "
                     "does not depend on that variable here: is a loss or a step left undefined?)")
    sizes = "; ".join(s for s in dict.fromkeys(checked) if s)
    if given:
        reason = "holds entry by entry with the numbers the document gives" + (
            ", at the precision written" if rounded else "")
    else:
        reason = "holds as a statement about vectors and matrices, " + (
            f"at sizes {sizes}" if sizes else "at the sizes declared, at random points")
    layout = layouts.pop() if layouts else ""
    if layout:
        reason += f", {layout}"
    if loss:
        reason += f" (reading {loss} as a general function of {', '.join(sinks)})"
    return "valid", reason, None


def _off_kinks(doc, a, b, assign, seed, loss, steps, sinks, simplex, timed, rows, tries: int = 8):
    """An instance (its evaluator and both sides) where no argument of ReLU is at its kink: drawn again until
    one is, unless the values are the document's own."""
    for attempt in range(tries):
        ev = _Eval(doc, assign, seed + 104729 * attempt, loss, steps)
        ev.sinks, ev.simplex, ev.timed, ev.rows = sinks, simplex, timed, rows
        try:
            return ev, ev.node(a), ev.node(b)
        except AtKink:
            if not ev.drawn and attempt:
                break
    raise Unread("an argument of ReLU is 0 at the values given (or at every instance drawn), where its slope has "
                 "no value")


def _compare(doc, lhs, rhs, kinds, slack=None):
    """None if equal; a layout note (str) if equal once a derivative side is read in its other layout;
    ("shape", …), ("layout", why) or (i, j, left, right) if not."""
    if lhs.shape == rhs.shape:
        first = _differs(lhs, rhs, slack)
        if first is None:
            return None
    else:
        first = ("shape", _shown(lhs), _shown(rhs))
    for side, kind in kinds.items():
        if kind is None or lhs.shape != rhs.shape[::-1]:
            continue
        if _differs(lhs.T, rhs) is not None:
            continue
        if kind == "gradient":
            if doc.layout == "denominator":
                return "layout", "the gradient is written as a row, but the document states the denominator layout"
            return "the gradient written as a row (the numerator layout)"
        stated = doc.layout or "numerator"
        other = "denominator" if stated == "numerator" else "numerator"
        if doc.layout:
            return "layout", f"the Jacobian is written in {_LAYOUT[other]}, but the document states {_LAYOUT[stated]}"
        return f"in {_LAYOUT[other]} (the Jacobian transposed: rows of the variable, columns of the function)"
    return first
