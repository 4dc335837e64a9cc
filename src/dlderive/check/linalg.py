"""Relations between vectors and matrices, read with their shapes and with products in their order.

The document's declarations (``W \\in \\mathbb{R}^{m \\times n}``) and definitions (``Y = XW + b``) give the
shapes; a relation is judged by instantiating every size at several distinct values, every matrix at exact
random rationals, and comparing the two sides entry by entry (50 digits). Layout: ∂L/∂W has W's shape for a
scalar L; ∂y/∂x of vectors is the Jacobian (rows of y, columns of x). A loss the document does not define
is read as a general function of the last quantities it defines (L = Σ ⟨G, Y⟩ with G random): a relation
between its gradients is valid only if it holds for every G. Anything outside this reading is ``Unread``
and the scalar reading decides (or leaves it unverifiable)."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

import sympy as sp

from .errors import Unverifiable

MAX_SOURCE = 2000
SIZES = ((2, 3, 4, 5, 6), (3, 2, 5, 4, 6))  # distinct dims, assigned in the order the document names them
POINTS = 2
SCALARS = frozenset(("eta", "alpha", "lambda", "epsilon", "varepsilon"))
LOSSES = frozenset(("L", "J", "E", "ell", "cal L", "cal J", "cal E", "ell"))
_FONTS = {"mathbf", "boldsymbol", "bm", "pmb", "vec", "overrightarrow", "mathrm", "mathit", "textbf"}
_ACCENTS = {"hat", "widehat", "tilde", "widetilde", "bar", "overline", "mathcal"}
_GREEK = set("""alpha beta gamma delta epsilon varepsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau
upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega ell""".split())
_SPACE = re.compile(r"\\(left|right|big|Big|bigg|Bigg)(?![a-zA-Z])|\\[,;:! ]|\\q?quad(?![a-zA-Z])|&|\\displaystyle")
_TOKEN = re.compile(r"\\[A-Za-z]+|\d+(?:\.\d+)?|[A-Za-z]|\S")
_TRANSPOSE = {"\\top", "T", "\\intercal", "\\mathsf{T}", "\\mathrm{T}", "\\mathsf T", "\\rm T"}
_FUNCTIONS = {"\\sigma": "sigma", "\\tanh": "tanh", "\\exp": "exp", "\\log": "log", "\\ln": "log"}


class Unread(Exception):
    """Outside the matrix reading; the message says why."""


class Mismatch(Exception):
    """Shapes that do not agree; the message names them."""


# ------------------------------------------------------------------ reading
@dataclass(frozen=True)
class Node:
    op: str
    args: tuple = ()
    name: str = ""


def _group(tokens, i):
    """The tokens of a {...} group starting at tokens[i] (or the single token), and the index after it."""
    if tokens[i] != "{":
        return [tokens[i]], i + 1
    depth, j = 0, i
    while j < len(tokens):
        depth += tokens[j] == "{"
        depth -= tokens[j] == "}"
        if depth == 0:
            return tokens[i + 1:j], j + 1
        j += 1
    raise Unread("unbalanced braces")


def tokenize(source: str) -> list:
    if len(source) > MAX_SOURCE:
        raise Unread("too long")
    text = _SPACE.sub(" ", source).strip().rstrip(".,;")
    text = re.sub(r"\\(mathsf|mathrm)\s*\{\s*T\s*\}", r"\\top", text)
    text = re.sub(r"\\(operatorname|mathrm|text)\s*\{\s*(diag|softmax)\s*\}", r"\\\2", text)
    return _TOKEN.findall(text)


class Parser:
    """expr := term (± term)*; term := product (⊙|⊗ product)*; product := factor (factor | · factor)*."""

    def __init__(self, tokens):
        self.t, self.i = tokens, 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def take(self, want=None):
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise Unread(f"expected {want or 'more'}")
        self.i += 1
        return tok

    def parse(self):
        node = self.expr()
        if self.peek() is not None:
            raise Unread(f"cannot read {self.peek()!r}")
        return node

    def expr(self):
        sign = None
        if self.peek() in ("+", "-"):
            sign = self.take()
        node = self.term()
        if sign == "-":
            node = Node("neg", (node,))
        while self.peek() in ("+", "-"):
            op = self.take()
            right = self.term()
            node = Node("add", (node, right if op == "+" else Node("neg", (right,))))
        return node

    def term(self):
        node = self.product()
        while self.peek() in ("\\odot", "\\circ", "\\otimes"):
            op = "had" if self.take() != "\\otimes" else "outer"
            node = Node(op, (node, self.product()))
        return node

    def product(self):
        node = self.factor()
        while True:
            tok = self.peek()
            if tok in ("\\cdot", "\\times", "*"):
                self.take()
                node = Node("mul", (node, self.factor()))
            elif tok is not None and tok not in ("+", "-", ")", "]", "}", "\\odot", "\\circ", "\\otimes", "=", "/"):
                node = Node("mul", (node, self.factor()))
            elif tok == "/" and self.peek(1) not in ("\\partial",):
                self.take()
                node = Node("div", (node, self.factor()))
            else:
                return node

    def factor(self):
        node = self.atom()
        if node == Node("num", (), "1") and self.peek() == "^" and self.peek(1) == "\\top":
            self.i += 2
            node = Node("ones", (), "row")
        while self.peek() in ("^", "'"):
            if self.take() == "'":
                node = Node("prime", (node,))
                continue
            group, self.i = _group(self.t, self.i)
            text = "".join(group) if len(group) != 2 else " ".join(group)
            if text.replace(" ", "") in {g.replace(" ", "") for g in _TRANSPOSE}:
                node = Node("T", (node,))
            elif re.fullmatch(r"-?\d+", "".join(group)):
                node = Node("pow", (node,), "".join(group))
            else:
                raise Unread(f"the superscript {''.join(group)!r}")
        return node

    def atom(self):
        tok = self.take()
        if tok in ("(", "["):
            node = self.expr()
            self.take(")" if tok == "(" else "]")
            return node
        if tok == "{":
            node = self.expr()
            self.take("}")
            return node
        if re.fullmatch(r"\d+", tok):
            return Node("num", (), tok)
        if tok == "\\frac":
            num, self.i = _group(self.t, self.i)
            den, self.i = _group(self.t, self.i)
            if num and num[0] in ("\\partial", "d") and den and den[0] in ("\\partial", "d") and len(num) > 1:
                return Node("d", (Parser(num[1:]).parse(), Parser(den[1:]).parse()))
            return Node("div", (Parser(num).parse(), Parser(den).parse()))
        if tok == "\\partial":  # \partial L / \partial W
            top = self.atom()
            self.take("/")
            self.take("\\partial")
            return Node("d", (top, self.atom()))
        if tok == "\\softmax":
            return Node("softmax", (self.atom(),))
        if tok == "\\diag":
            return Node("diag", (self.atom(),))
        if tok in _FUNCTIONS:
            prime = self.peek() == "'"
            if prime:
                self.take()
            self.take("(")
            arg = self.expr()
            self.take(")")
            return Node("fn", (arg,), _FUNCTIONS[tok] + ("'" if prime else ""))
        return self.name(tok)

    def name(self, tok):
        accent = ""
        if tok in ("\\mathbf", "\\mathbb", "\\bm", "\\boldsymbol") and self.t[self.i:self.i + 3] == ["{", "1", "}"]:
            self.i += 3
            return Node("ones", (), "col")
        if tok.startswith("\\") and tok[1:] in _FONTS | _ACCENTS:
            inner, self.i = _group(self.t, self.i)
            sub = Parser(inner).name(inner[0]) if inner else None
            if sub is None or sub.op != "name" or len(inner) > 1 and inner[1] not in ("{", "\\"):
                if not (sub is not None and sub.op == "name"):
                    raise Unread(f"the font or accent {tok}")
            accent = "" if tok[1:] in _FONTS else {"widehat": "hat", "widetilde": "tilde", "overline": "bar",
                                                   "mathcal": "cal"}.get(tok[1:], tok[1:])
            base = f"{accent} {sub.name}".strip()
        elif tok.startswith("\\") and tok[1:] in _GREEK:
            base = tok[1:]
        elif re.fullmatch(r"[A-Za-z]", tok):
            base = tok
        else:
            raise Unread(f"cannot read {tok!r}")
        if self.peek() == "_":
            self.take()
            group, self.i = _group(self.t, self.i)
            if any(g.startswith("\\") and g[1:] in _FONTS for g in group):
                group = [g for g in group if not (g.startswith("\\") and g[1:] in _FONTS) and g not in "{}"]
            base += "_" + "".join(g for g in group if g not in "{}")
        return Node("name", (), base)


def parse(source: str) -> Node:
    return Parser(tokenize(source)).parse()


def shape_of(source: str):
    """\\mathbb{R}^{m \\times n} -> ("m", "n"); \\mathbb{R}^n -> ("n", "1"); \\mathbb{R} -> ("1", "1")."""
    text = _SPACE.sub(" ", source).strip().rstrip(".,;")
    m = re.fullmatch(r"\\mathbb\s*\{?R\}?\s*(?:\^\s*(?:\{([^{}]*)\}|([A-Za-z0-9])))?", text)
    if not m:
        return None
    inside = (m.group(1) if m.group(1) is not None else m.group(2) or "1").strip()
    dims = [d.strip() for d in re.split(r"\\times|×|\*|,", inside)]
    if not all(re.fullmatch(r"[A-Za-z]|\d+|[A-Za-z]_\{?[A-Za-z0-9]+\}?", d) for d in dims) or len(dims) > 2:
        return None
    return (dims[0], dims[1] if len(dims) == 2 else "1")


# ------------------------------------------------------------------ the document
def _base(name: str) -> str:
    return name.split("_", 1)[0]


def _names(node: Node, out=None):
    out = set() if out is None else out
    if node.op == "name":
        out.add(node.name)
    for a in node.args:
        _names(a, out)
    return out


def _derivatives(node: Node, out=None):
    out = [] if out is None else out
    if node.op == "d":
        out.append(node)
    for a in node.args:
        _derivatives(a, out)
    return out


@dataclass
class Document:
    """Shapes and definitions of the document's vectors and matrices, in the order written."""

    shapes: dict = field(default_factory=dict)  # name -> (dim, dim)
    defs: dict = field(default_factory=dict)  # name -> Node
    dims: list = field(default_factory=list)  # size names in order of first appearance

    @property
    def active(self) -> bool:
        return any(s != ("1", "1") for s in self.shapes.values())

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

    def define(self, name_source: str, value_source: str) -> str | None:
        try:
            name, value = parse(name_source), parse(value_source)
        except Unread:
            return
        if name.op == "name" and name.name not in self.defs and name.name not in _names(value):
            self.defs[name.name] = value
            return name.name
        return None

    def mismatch(self, name: str) -> str | None:
        """The shapes that do not agree in the definition of ``name``, if they do not (None if they do or
        if it cannot be told)."""
        for sizes in SIZES:
            ev = _Eval(self, dict(zip(self.dims, sizes)), random.Random(0), set(), None)
            try:
                ev.node(self.defs[name])
            except Mismatch as exc:
                shown = ", ".join(f"{d} = {v}" for d, v in zip(self.dims, sizes))
                return f"the shapes do not agree: {exc} (at {shown})"
            except Exception:
                return None
        return None

    def shape(self, name: str):
        if name in self.shapes:
            return self.shapes[name]
        base = _base(name)
        if base != name and base in self.shapes:
            sub = name.split("_", 1)[1]
            if re.fullmatch(r"[tijk]([+-]\d)?|\d|\([tijk][+-]?\d?\)", sub):  # an index or time: the base's shape
                return self.shapes[base]
        return None


# ------------------------------------------------------------------ evaluation
class _Eval:
    """The value of a node at one size: an explicit sympy Matrix; defined quantities carry a perturbation."""

    def __init__(self, doc: Document, sizes: dict, rng: random.Random, wrt: set, loss: str | None):
        self.doc, self.sizes, self.rng, self.wrt, self.loss = doc, sizes, rng, wrt, loss
        self.values, self.eps, self.depth = {}, {}, 0
        self.sinks: list = []
        self.simplex: frozenset = frozenset()  # target vectors drawn with entries that sum to 1

    def dims(self, shape):
        return tuple(int(d) if d.isdigit() else self.sizes[d] for d in shape)

    def rational(self):
        return sp.Rational(self.rng.choice((-1, 1)) * self.rng.randint(1, 9), self.rng.randint(2, 7))

    def leaf(self, name: str):
        if name in self.values:
            return self.values[name]
        if name in self.doc.defs:
            self.depth += 1
            if self.depth > 50:
                raise Unread("definitions nested too deep")
            value = self.node(self.doc.defs[name])
            self.depth -= 1
            if name in self.wrt:
                eps = sp.Matrix(*value.shape, lambda i, j: sp.Symbol(f"eps_{name}_{i}_{j}"))
                self.eps[name] = eps
                value = value + eps
        else:
            shape = self.doc.shape(name)
            if shape is None:
                if name in SCALARS:
                    shape = ("1", "1")
                else:
                    raise Unread(f"the shape of {name} is not declared")
            r, c = self.dims(shape)
            if name in self.simplex:
                weights = [sp.Integer(self.rng.randint(1, 9)) for _ in range(r)]
                value = sp.Matrix(r, 1, [w / sum(weights) for w in weights])
            elif name in self.wrt:
                value = sp.Matrix(r, c, lambda i, j: sp.Symbol(f"v_{name}_{i}_{j}"))
            else:
                value = sp.Matrix(r, c, lambda i, j: self.rational())
        self.values[name] = value
        return value

    def node(self, n: Node, ones: bool = False):
        value = self._node(n)
        if isinstance(value, _Ones) and not ones:
            raise Unread("a vector of ones whose length is not fixed by a product")
        return value

    def _node(self, n: Node):
        op, a = n.op, n.args
        if op == "num":
            return sp.Matrix([[sp.Integer(n.name)]])
        if op == "name":
            return self.leaf(n.name)
        if op == "ones":
            return _Ones(n.name == "row")
        if op == "neg":
            return -self.node(a[0])
        if op == "add":
            return _broadcast_add(self.node(a[0]), self.node(a[1]))
        if op == "mul":
            return _mul(self.node(a[0], True), self.node(a[1], True))
        if op == "had":
            x, y = self.node(a[0]), self.node(a[1])
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
        if op == "diag":
            x = self.node(a[0])
            if x.shape[1] != 1:
                raise Unread("diag of anything but a column vector")
            return sp.diag(*list(x))
        if op == "softmax":
            x = self.node(a[0])
            if x.shape[1] != 1:
                raise Unread("softmax of anything but a column vector")
            e = x.applyfunc(sp.exp)
            return e / sum(e)
        if op == "fn":
            x = self.node(a[0])
            return x.applyfunc(_ELEMENTWISE[n.name])
        if op == "prime":
            inner = a[0]
            x = self.node(inner)
            if x.shape == (1, 1):
                raise Unread("a prime on a scalar")
            return x.T
        if op == "d":
            return self.derivative(a[0], a[1])
        raise Unread(op)

    def derivative(self, top: Node, by: Node):
        if by.op != "name":
            raise Unread("a derivative by an expression")
        if top.op == "name" and top.name == self.loss:
            f = self.loss_value()
        else:
            f = self.node(top)
        x = self.node(by)
        var = self.eps.get(by.name) if by.name in self.doc.defs else x
        if var is None or not all(isinstance(v, sp.Symbol) for v in var):
            raise Unread(f"a derivative by {by.name}")
        if f.shape == (1, 1):
            return var.applyfunc(lambda v: sp.diff(f[0, 0], v))
        if f.shape[1] == 1 and var.shape[1] == 1:
            return sp.Matrix(f.shape[0], var.shape[0], lambda i, j: sp.diff(f[i, 0], var[j, 0]))
        if var.shape == (1, 1):
            return f.applyfunc(lambda e: sp.diff(e, var[0, 0]))
        raise Unread("a derivative of a vector or matrix by a matrix (its layout is not stated)")

    def loss_value(self):
        if not hasattr(self, "_loss"):
            total = sp.S.Zero
            for s in self.sinks:
                value = self.leaf(s)
                g = sp.Matrix(*value.shape, lambda i, j: self.rational())
                total += sum(gi * vi for gi, vi in zip(g, value))
            self._loss = sp.Matrix([[total]])
        return self._loss


def _sigmoid(e):
    return 1 / (1 + sp.exp(-e))


_ELEMENTWISE = {"sigma": _sigmoid, "tanh": sp.tanh, "exp": sp.exp, "log": sp.log,
                "sigma'": lambda e: _sigmoid(e) * (1 - _sigmoid(e)), "tanh'": lambda e: 1 - sp.tanh(e) ** 2}


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
    if x.shape == y.shape:
        return x + y
    if x.shape == (1, 1):
        return sp.ones(*y.shape) * x[0, 0] + y
    if y.shape == (1, 1):
        return x + sp.ones(*x.shape) * y[0, 0]
    if y.shape[1] == 1 and y.shape[0] == x.shape[1]:  # a bias vector added to each row (Y = XW + b)
        return x + sp.ones(x.shape[0], 1) * y.T
    if x.shape[1] == 1 and x.shape[0] == y.shape[1]:
        return _broadcast_add(y, x)
    raise Mismatch(f"a sum of a {_shown(x)} and a {_shown(y)} matrix")


def _forward_names(node: Node, out=None):
    """The names a quantity is computed from (a gradient written in its definition is not one)."""
    out = set() if out is None else out
    if node.op == "name":
        out.add(node.name)
    if node.op != "d":
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
        if name in doc.defs and name not in seen:
            seen.add(name)
            out += _expanded_derivatives(doc, doc.defs[name], seen)
    return out


def judge(doc: Document, a_source: str, b_source: str, seed: int):
    """(verdict, reason, counterexample) of ``a = b`` as a statement about vectors and matrices."""
    a, b = parse(a_source), parse(b_source)
    both = Node("add", (a, b))
    derivs = _expanded_derivatives(doc, both)
    tops = {d.args[0].name for d in derivs if d.args[0].op == "name"}
    loss = None
    undefined_tops = [t for t in tops if t not in doc.defs and doc.shape(t) is None]
    if undefined_tops:
        if len(undefined_tops) > 1 or undefined_tops[0] not in LOSSES:
            raise Unread(f"{undefined_tops[0]} is not defined")
        loss = undefined_tops[0]
    wrt = {d.args[1].name for d in derivs if d.args[1].op == "name"}
    sinks = []
    if loss:
        by_loss = {d.args[1].name for d in derivs if d.args[0].op == "name" and d.args[0].name == loss}
        if len(by_loss) < 2:
            raise Unread(f"{loss} is not defined, and only one of its gradients is written")
        closure = set(by_loss) | {q for q in doc.defs if any(_depends(doc, q, r) for r in by_loss)}
        sinks = sorted(q for q in closure if not any(_depends(doc, o, q) for o in closure if o != q))
        if not all(s in doc.defs and not _derivatives(doc.defs[s]) for s in sinks):
            raise Unread(f"{loss} is not defined, and it is not said what it depends on")
    verdict = _instances(doc, a, b, seed, wrt, loss, sinks)
    if verdict[0] == "invalid" and verdict[2] is not None:
        targets = {n for n in _names(both) | {m for q in doc.defs for m in _names(doc.defs[q])}
                   if _base(n) in ("y", "t") and n not in doc.defs and (doc.shape(n) or ("", ""))[1] == "1"
                   and doc.shape(n)[0] != "1"}
        if targets and _uses_log(doc, both):
            again = _instances(doc, a, b, seed, wrt, loss, sinks, frozenset(targets))
            if again[0] == "valid":
                shown = ", ".join(sorted(targets))
                return "valid", f"{again[1]}, for {shown} a one-hot or probability vector (its entries sum to 1)", None
    return verdict


def _uses_log(doc: Document, node: Node, seen=None) -> bool:
    seen = set() if seen is None else seen
    if node.op == "fn" and node.name == "log" or node.op == "softmax":
        return True
    for n in node.args:
        if _uses_log(doc, n, seen):
            return True
    for name in _names(node) if node.op == "name" else ():
        if name in doc.defs and name not in seen:
            seen.add(name)
            if _uses_log(doc, doc.defs[name], seen):
                return True
    return False


def _instances(doc, a, b, seed, wrt, loss, sinks, simplex=frozenset()):
    rng = random.Random(seed)
    dims = list(doc.dims)
    checked = []
    for sizes in SIZES:
        if len(dims) > len(sizes):
            raise Unread("too many sizes")
        assign = dict(zip(dims, sizes))
        for _ in range(POINTS):
            ev = _Eval(doc, assign, rng, wrt, loss)
            ev.sinks, ev.simplex = sinks, simplex
            try:
                lhs, rhs = ev.node(a), ev.node(b)
            except RecursionError:
                raise Unread("too deeply nested")
            except Mismatch as exc:
                shown = ", ".join(f"{d} = {v}" for d, v in assign.items())
                return "invalid", f"the shapes do not agree: {exc} (at {shown})", None
            except (ZeroDivisionError, TypeError, ValueError) as exc:
                raise Unread(f"no value ({exc})")
            if lhs.shape != rhs.shape:
                shown = ", ".join(f"{d} = {v}" for d, v in assign.items())
                return ("invalid", f"the two sides have different shapes: {_shown(lhs)} and {_shown(rhs)} (at {shown})",
                        None)
            zero = {s: 0 for e in ev.eps.values() for s in e}
            point = {s: ev.rational() for m in ev.values.values() for s in (m.free_symbols if hasattr(m, "free_symbols") else ())
                     if s not in zero}
            for i in range(lhs.rows):
                for j in range(lhs.cols):
                    left = sp.N(sp.sympify(lhs[i, j]).xreplace(zero).xreplace(point), 50)
                    right = sp.N(sp.sympify(rhs[i, j]).xreplace(zero).xreplace(point), 50)
                    if not (left.is_number and right.is_number) or left.has(sp.nan, sp.zoo):
                        raise Unread("a side has no value")
                    if abs(left - right) > sp.Float(10, 50) ** -30 * (1 + abs(left) + abs(right)):
                        shown = ", ".join(f"{d} = {v}" for d, v in assign.items())
                        why = f"the two sides differ at entry ({i + 1}, {j + 1}) of a random instance ({shown})"
                        if loss:
                            why += f", with {loss} a general function of {', '.join(sinks)}"
                        return ("invalid", why, {"values": {}, "lhs": str(sp.N(left, 6)), "rhs": str(sp.N(right, 6))})
            checked.append(", ".join(f"{d} = {v}" for d, v in assign.items()))
    reason = f"holds as a statement about vectors and matrices, at sizes {'; '.join(dict.fromkeys(checked))}"
    if loss:
        reason += f" (reading {loss} as a general function of {', '.join(sinks)})"
    return "valid", reason, None
