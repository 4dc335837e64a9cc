"""Reading a relation between vectors and matrices into a small tree of nodes, products kept in order.

A grammar of its own (the scalar reader commutes products): expr := term (± term)*; term := product
(⊙|∘|⊗ product)*; product := factor (factor | · factor)*; factor := atom (^T | ^k | ')*. A written matrix
(bmatrix, pmatrix, matrix: entries between & and \\\\) and a tuple of numbers ((0.25, 0.75), a column) are
atoms. Never eval."""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SOURCE = 2000
_FONTS = {"mathbf", "boldsymbol", "bm", "pmb", "vec", "overrightarrow", "mathrm", "mathit", "textbf"}
_ACCENTS = {"hat", "widehat", "tilde", "widetilde", "bar", "overline", "mathcal"}
_GREEK = set("""alpha beta gamma delta epsilon varepsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau
upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega ell""".split())
_SPACE = re.compile(r"\\(left|right|big|Big|bigg|Bigg)(?![a-zA-Z])|\\[,;:! ]|\\q?quad(?![a-zA-Z])|&|\\displaystyle"
                    r"|\\limits|\\nolimits")
_TOKEN = re.compile(r"\\\||\\[A-Za-z]+|\d+(?:\.\d+)?|[A-Za-z]|\S")
_TRANSPOSE = {"\\top", "T", "\\intercal", "\\mathsf{T}", "\\mathrm{T}", "\\mathsf T", "\\rm T"}
FUNCTIONS = {"\\sigma": "sigma", "\\tanh": "tanh", "\\exp": "exp", "\\log": "log", "\\ln": "log", "\\relu": "relu",
             "\\sigmoid": "sigma"}
"""Functions applied entry by entry to a vector or matrix (their primes too: σ′, tanh′, ReLU′)."""
_OPERATORS = {"diag": "diag", "softmax": "softmax", "ReLU": "relu", "relu": "relu", "sigmoid": "sigmoid",
              "logsoftmax": "logsoftmax", "log_softmax": "logsoftmax", "log\\_softmax": "logsoftmax"}
_MATRIX = re.compile(r"\\begin\s*\{([bBpvV]?matrix)\}(.*?)\\end\s*\{\1\}", re.S)
_CELL, _ROW, _CLOSE = "\\matrixcell", "\\matrixrow", "\\matrixclose"
_STOP = ("+", "-", ")", "]", "}", "\\odot", "\\circ", "\\otimes", "=", "/", "\\|", ",", ">", "<", "|", _CELL, _ROW,
         _CLOSE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SLICE = re.compile(r"([A-Za-z]|\d+),:|:,([A-Za-z]|\d+)")  # the subscript of a row (n,:) or a column (:,j)


LOSSES = frozenset(("L", "J", "E", "ell", "cal L", "cal J", "cal E"))
"""Names of a scalar loss; with an accent (tilde L, hat J) too. L(w) is the loss as a function of w."""


def is_loss(name: str) -> bool:
    return name in LOSSES or name.split(" ", 1)[-1] in LOSSES and name.split(" ", 1)[0] in ("tilde", "hat", "bar")


class Unread(Exception):
    """Outside the matrix reading; the message says why."""


@dataclass(frozen=True)
class Node:
    op: str
    args: tuple = ()
    name: str = ""


def _group(tokens, i):
    """The tokens of a {...} group starting at tokens[i] (or the single token), and the index after it."""
    if i >= len(tokens):
        raise Unread("expected more")
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
    text = _MATRIX.sub(_written_matrix, source)
    text = _SPACE.sub(" ", text).strip().rstrip(".,;")
    text = re.sub(r"\\[dt]frac(?![A-Za-z])", r"\\frac", text)
    text = re.sub(r"\\frac\s*(\d)\s*(\d)", r"\\frac{\1}{\2}", text)
    text = re.sub(r"\\(mathsf|mathrm)\s*\{\s*T\s*\}", r"\\top", text)
    text = re.sub(r"\\(lVert|rVert|Vert)(?![A-Za-z])", r"\\|", text)
    text = re.sub(r"\^\s*\{?\s*\\prime\s*\}?", "'", text)
    text = re.sub(r"\\log\s*\\(?:operatorname|mathrm|text)\s*\{\s*softmax\s*\}", r"\\logsoftmax", text)
    text = re.sub(r"\\(?:operatorname|mathrm|text)\s*\{\s*([A-Za-z\\_]+)\s*\}",
                  lambda m: "\\" + _OPERATORS[m.group(1)] if m.group(1) in _OPERATORS else m.group(0), text)
    text = re.sub(r"\\max\s*(\\left\s*)?\(\s*0\s*,", r"\\relu\1(", text)  # max(0, z): ReLU entry by entry
    text = re.sub(r"\\(mathbb|mathbf|bm|boldsymbol)\s*\{\s*1\s*\}\s*(?=[\[_]|\\\{)", r"\\indicator", text)
    text = re.sub(r"\\indicator\s*\\\{(.*?)\\\}", r"\\indicator[\1]", text)
    return _TOKEN.findall(text)


def _written_matrix(m) -> str:
    """A matrix environment as tokens the parser reads: cells closed by \\matrixcell, rows by \\matrixrow."""
    if m.group(1) in ("vmatrix", "Vmatrix"):
        raise Unread("a determinant or norm written as |matrix|")
    rows = [r for r in re.split(r"\\\\(?:\[[^\]]*\])?", m.group(2)) if r.strip()]
    return " \\matrixopen " + " ".join(
        " ".join(f"{{{c}}} {_CELL}" for c in row.split("&")) + f" {_ROW}" for row in rows) + f" {_CLOSE} "


class Parser:
    """The grammar of the module docstring, over the tokens of :func:`tokenize`."""

    def __init__(self, tokens):
        self.t, self.i = tokens, 0
        self.norms = 0  # inside ‖…‖: a ‖ closes it

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
            elif tok is not None and (tok not in _STOP or tok == "\\|" and not self.norms):
                node = Node("mul", (node, self.factor()))
            elif tok == "/" and self.peek(1) not in ("\\partial",):
                self.take()
                node = Node("div", (node, self.factor()))
            else:
                return _differentials(node)

    def factor(self):
        node = self.atom()
        if self.peek() == "_" and node.op != "name":  # (∂L/∂Y)_{n,:}: a row of a matrix
            self.take()
            group, self.i = _group(self.t, self.i)
            node = _slice(node, "".join(group))
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
            elif node.op == "name" and "_" not in node.name and re.fullmatch(r"\(([tT]([+-]\d)?|\d)\)", "".join(group)):
                node = Node("name", (), f"{node.name}_{''.join(group)[1:-1]}")  # h^{(t-1)} is h_{t-1}
            elif re.fullmatch(r"-?\d+", "".join(group)):
                node = Node("pow", (node,), "".join(group))
            else:
                raise Unread(f"the superscript {''.join(group)!r}")
        return node

    def atom(self):
        tok = self.take()
        if tok in ("(", "["):
            node = self.expr()
            if self.peek() == ",":
                return self.tuple(node, ")" if tok == "(" else "]")
            self.take(")" if tok == "(" else "]")
            return node
        if tok == "\\matrixopen":
            return self.matrix()
        if tok == "{":
            node = self.expr()
            self.take("}")
            return node
        if _NUMBER.fullmatch(tok):
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
        if tok == "\\nabla":  # \nabla_W L
            self.take("_")
            by, self.i = _group(self.t, self.i)
            return Node("d", (self.factor(), Parser(by).parse()))
        if tok == "\\|":
            self.norms += 1
            inner = self.expr()
            self.norms -= 1
            self.take("\\|")
            if self.peek() == "_":
                self.take()
                sub, self.i = _group(self.t, self.i)
                if "".join(sub) not in ("2", "F"):
                    raise Unread(f"the norm ‖·‖_{''.join(sub)} (only the 2-norm and the Frobenius norm are read)")
            return Node("norm", (inner,))
        if tok == "\\sum":
            return self.sum()
        if tok == "\\indicator":
            return self.indicator()
        if tok in ("\\softmax", "\\diag", "\\logsoftmax"):
            return Node(tok[1:], (self.atom(),))
        if tok in FUNCTIONS:
            prime = self.peek() == "'"
            if prime:
                self.take()
            power = None
            if self.peek() == "^":  # tanh^2(c): the square of tanh(c)
                save = self.i
                self.take()
                group, self.i = _group(self.t, self.i)
                power = "".join(group)
                if not power.isdigit():
                    self.i, power = save, None
            arg = self.atom() if self.peek() in ("(", "[", "{") else self.factor()
            node = Node("fn", (arg,), FUNCTIONS[tok] + ("'" if prime else ""))
            return Node("pow", (node,), power) if power else node
        return self.name(tok)

    def tuple(self, first, close=")"):
        """(0.25, 0.75), [1, 2, 3]^T: a column vector, read only when every entry is a number."""
        entries = [first]
        while self.peek() == ",":
            self.take()
            entries.append(self.expr())
        self.take(close)
        if self.peek() == "^" and self.peek(1) in _TRANSPOSE | {"{"}:  # [1, 2, 3]^T: the row written, transposed
            group, after = _group(self.t, self.i + 1)
            if "".join(group) in _TRANSPOSE or " ".join(group) in _TRANSPOSE:
                self.i = after
        if not all(is_number(e) for e in entries):
            raise Unread("a tuple of anything but numbers")
        return Node("matrix", tuple(Node("row", (e,)) for e in entries), "tuple")

    def matrix(self):
        """The rows of a written matrix, each a tuple of entries; all rows as long."""
        rows, row = [], []
        while self.peek() != _CLOSE:
            row.append(self.expr())
            self.take(_CELL)
            if self.peek() == _ROW:
                self.take()
                rows.append(Node("row", tuple(row)))
                row = []
        self.take(_CLOSE)
        if not rows or len({len(r.args) for r in rows}) != 1:
            raise Unread("a written matrix whose rows are not all as long")
        return Node("matrix", tuple(rows), "written")

    def sum(self):
        """\\sum_i, \\sum_{i=1}^{n}, \\sum_t, \\sum_{t=1}^{T}: index, range, and the product that follows."""
        self.take("_")
        below, self.i = _group(self.t, self.i)
        upper = ""
        if self.peek() == "^":
            self.take()
            above, self.i = _group(self.t, self.i)
            upper = "".join(above)
            if not re.fullmatch(r"[A-Za-z]|\d+", upper):
                raise Unread(f"the upper limit {upper!r} of a sum")
        text = "".join(below)
        m = re.fullmatch(r"([A-Za-z]|\\tau)(?:=(\d))?", text)
        if not m or (upper and m.group(2) is None) or (m.group(2) is not None and m.group(2) != "1"):
            raise Unread(f"the range of the sum over {text!r} (read: \\sum_i, or \\sum_{{i=1}}^{{n}})")
        body = self.product()
        return Node("sum", (body,), f"{m.group(1).lstrip(chr(92))}:{upper}")

    def indicator(self):
        """𝟙[z > 0] (also 𝟙_{z>0}, 𝟙\\{z>0\\}): 1 where the entry of z is positive, else 0; 𝟙_N is a vector of ones."""
        if self.peek() == "_":
            self.take()
            inner, self.i = _group(self.t, self.i)
            if ">" not in inner:
                return Node("ones", (), "col")
        else:
            close = {"[": "]", "(": ")"}.get(self.take())
            if close is None:
                raise Unread("an indicator without its condition")
            start = self.i
            while self.peek() not in (close, None):
                self.i += 1
            inner = self.t[start:self.i]
            self.take(close)
        if len(inner) < 3 or inner[-2:] != [">", "0"]:
            raise Unread("an indicator of anything but z > 0")
        return Node("step", (Parser(inner[:-2]).parse(),))

    def name(self, tok):
        if tok in ("\\mathbf", "\\mathbb", "\\bm", "\\boldsymbol") and self.t[self.i:self.i + 3] == ["{", "1", "}"]:
            self.i += 3
            return Node("ones", (), "col")
        if tok.startswith("\\") and tok[1:] in _FONTS | _ACCENTS:
            inner, self.i = _group(self.t, self.i)
            sub = None
            if inner:
                reader = Parser(inner)
                reader.i = 1
                sub = reader.name(inner[0])
                if reader.i != len(inner):
                    raise Unread(f"the font or accent {tok} of an expression")
            if sub is None or sub.op != "name":
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
            group = [g for g in group if not (g.startswith("\\") and g[1:] in _FONTS) and g not in "{}"]
            if _SLICE.fullmatch("".join(group)):
                return _slice(Node("name", (), base), "".join(group))
            base += "_" + "".join(group)
        if is_loss(base) and self.peek() == "(":  # L(\mathbf{w}): the loss as a function of its arguments
            self.take()
            args = [self.expr()]
            while self.peek() == ",":
                self.take()
                args.append(self.expr())
            self.take(")")
            return Node("call", tuple(args), base)
        return Node("name", (), base)


def _slice(node: Node, sub: str) -> Node:
    """Y_{n,:} is row n of Y (a 1 × columns matrix), Y_{:,j} column j."""
    m = _SLICE.fullmatch(sub)
    if not m:
        raise Unread(f"the subscript {sub!r} of an expression (read: a row n,: or a column :,j)")
    return Node("slice", (node,), f"row:{m.group(1)}" if m.group(1) else f"col:{m.group(2)}")


def is_number(node: Node) -> bool:
    return node.op == "num" or node.op == "neg" and is_number(node.args[0])


def _differentials(node: Node) -> Node:
    """dW, dY (CS231n): ``d`` juxtaposed with a name is the gradient of the loss by it (resolved later)."""
    if node.op != "mul":
        return node
    left, right = node.args
    d = Node("name", (), "d")
    if right.op == "name":
        gradient = Node("dloss", (right,))
    elif right.op == "T" and right.args[0].op == "name":  # dY^T is (dY)^T
        gradient = Node("T", (Node("dloss", right.args),))
    else:
        return Node("mul", (_differentials(left), right))
    if left == d:
        return gradient
    if left.op == "mul" and left.args[1] == d:
        return Node("mul", (_differentials(left.args[0]), gradient))
    return Node("mul", (_differentials(left), right))


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


def names(node: Node, out=None):
    out = set() if out is None else out
    if node.op == "name":
        out.add(node.name)
    for a in node.args:
        names(a, out)
    return out


def derivatives(node: Node, out=None):
    out = [] if out is None else out
    if node.op in ("d", "dloss"):
        out.append(node)
    for a in node.args:
        derivatives(a, out)
    return out
