"""How a document uses its names: one name or a product of letters, functions it defines, superscript
time, Euler's e or a variable e, and the record of every ambiguous reading (the glossary).

``Context.scan(text)`` reads the whole document's usage once, before any relation is read."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp

from ..errors import DlderiveError
from ..functions import by_spelling
from .names import identifier, symbol
from .operations import Juxtaposed

WORDS = frozenset("""net out err loss cost pred grad lr in tgt avg std var mse bce mae acc act pre post tmp new old
val inp hid emb enc dec ctx src obs opt ref est prev next dim num len pad dil str relu tanh sig exp sum max min
total target output input hidden bias score prob logit softmax kernel stride padding filters channels out""".split())
"""Words read as one name even without a subscript (``net``, ``out``, ``loss``)."""

FUNCTION_LETTERS = frozenset("fgFGLJERhl")
"""Single letters read as an unknown function when applied to plain variables: f(x), L(w), J(θ)."""

GREEK_FUNCTIONS = frozenset("zeta phi varphi psi Phi ell chi".split())
"""Greek letters read as an unknown function when applied to plain variables: ζ(x), φ(z)."""

_ACCENT_NAMES = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "bar": "bar",
                 "overline": "bar", "vec": "", "overrightarrow": "", "dot": "dot", "ddot": "ddot",
                 "check": "check", "breve": "breve", "mathcal": "cal", "mathscr": "scr", "mathfrak": "frak",
                 "mathbb": "bb"}
_FONTS = frozenset("mathbf boldsymbol bm pmb textbf mathit mathrm mathsf plain".split())
_VECTOR_FONTS = frozenset("mathbf boldsymbol bm pmb textbf vec overrightarrow".split())
_MACRO = re.compile(r"\\(?:re)?newcommand\*?\s*\{?\\([A-Za-z]+)\}?\s*\{((?:[^{}]|\{[^{}]*\})*)\}"
                    r"|\\DeclareMathOperator\*?\s*\{\\([A-Za-z]+)\}\s*\{([^{}]*)\}")
_ONE_NAME = r"(?:\\[A-Za-z]+\s*\{[^{}]{1,40}\}|\\[A-Za-z]+|[A-Za-z])(?:_\{[^{}]{1,20}\}|_[A-Za-z0-9])?"
_DECLARATION = re.compile(rf"({_ONE_NAME}(?:\s*,\s*{_ONE_NAME}){{0,10}})\s*\\in\s*"
                          r"(\\mathbb\s*\{?R\}?(?:\s*\^\s*(?:\{[^{}]{1,40}\}|[A-Za-z0-9]))?)")
_SQUARE_DEFINED = re.compile(r"(?:^|(?<=[$\n&,;:(\[{\\]))\s*(\\[A-Za-z]+)(\s*_\s*(?:\{[A-Za-z0-9]{1,10}\}|[A-Za-z0-9]))?"
                             r"\s*\^\s*(?:\{\s*2\s*\}|2)\s*&?\s*(?::=|=(?!=))")
"""``\\sigma^2 = …``, ``\\sigma_B^2 :=`` at the start of a relation: the variance defined as one quantity."""
_RATE = re.compile(r"(?i)\b(?:learning[ -]rate|step[ -]size|step of|lr)\b[^.\d\n]{0,30}?(\d*\.\d+|\d+)(?![\d.])")
"""A learning rate stated in words: "a learning rate of 0.1", "step size 0.05", "lr = 0.01"."""
_SQUARED_LOSS = re.compile(r"(?i)\b(mean[- ]squared[- ]error|mse|squared[- ]error|l2 loss)s?\b")
"""The words that name the squared-error loss."""
_HALF = re.compile(r"(?i)\b(?:half|one half)\s+(?:of\s+)?the\s+(?:sum of\s+)?squared|½\s*(?:the\s+)?(?:sum of\s+)?squared")
_OTHER_LOSS = re.compile(r"(?i)cross[- ]?entropy|log[- ]?loss|likelihood|hinge|huber|absolute[- ]error|\bmae\b|"
                         r"\bl1\b|regulari[sz]|weight decay|penalty")
_WRITTEN_NAME = re.compile(r"^([A-Za-z]+)(\d*)(?:_(?:\{(.*)\}|(.)))?$", re.S)


class _ScalarReading(sp.Function):
    """An operation on vectors and matrices read, at size one, as the value of its argument; a relation
    that has one is a matrix statement (its scalar reading is not the whole truth)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return x

    def _eval_is_real(self):
        return self.args[0].is_real

    def fdiff(self, argindex=1):
        return sp.S.One


class transpose(_ScalarReading):
    """xᵀ (of a written matrix, its transpose)."""

    @classmethod
    def eval(cls, x):
        if isinstance(x, sp.MatrixBase):
            return x.T
        if isinstance(x, transpose):
            return x.args[0]
        return super().eval(x)


class diag_of(_ScalarReading):
    """diag(v)."""


class Decimal(sp.Symbol):
    """A decimal written in the document: its exact value and the unit of its last digit (0.5933 -> 1e-4).

    It stays an atom while the document is read, so that a relation can be judged at the precision
    its numbers were written with; ``exact(expr)`` puts the values in."""

    _values: dict = {}

    @classmethod
    def of(cls, text: str, value: sp.Rational) -> "Decimal":
        d = cls(f"{text}", real=True)
        decimals = len(text.split(".", 1)[1]) if "." in text else 0
        significant = len(text.replace(".", "").lstrip("0"))
        cls._values[d.name] = (value, sp.Rational(1, 10 ** decimals), significant)
        return d

    @property
    def value(self) -> sp.Rational:
        return self._values[self.name][0]

    @property
    def unit(self) -> sp.Rational:
        return self._values[self.name][1]

    @property
    def significant(self) -> int:
        return self._values[self.name][2]


def exact(expr):
    """The expression with every written decimal replaced by its exact value."""
    if not isinstance(expr, sp.Basic):
        return expr
    decimals = expr.atoms(Decimal)
    return expr.xreplace({d: d.value for d in decimals}) if decimals else expr


def unknown_function(name: str):
    """The class of a function the document names but does not (yet) define: f, L, Var."""
    return sp.Function(name, real=True)


@dataclass
class Context:
    """The document's own usage of names, and what was read how."""

    words: set = field(default_factory=set)  # multi-letter names used as names
    functions: set = field(default_factory=set)  # names applied as functions: f(x) = …, f'(x)
    variables: set = field(default_factory=set)  # letters the document assigns (e = y - t makes e a variable)
    time_superscripts: bool = False  # h^t, h^{t-1} are times, not powers
    flags: set = field(default_factory=set)  # "vector": the document writes vectors and matrices
    written: dict = field(default_factory=dict)  # identifier -> how the document first wrote it
    readings: dict = field(default_factory=dict)  # written -> how an ambiguous name was read
    primes: dict = field(default_factory=dict)  # symbol u' -> (symbol u, order)
    reader: object = None  # reads a piece of LaTeX (for the limits of a sum)
    parameters: dict = field(default_factory=dict)  # f -> x for a function defined as f(x) = …
    macros: dict = field(default_factory=dict)  # \\newcommand{\\out}{\\mathrm{out}} without arguments
    shapes: list = field(default_factory=list)  # (names, set) of each "x, y \\in \\mathbb{R}^n" written
    variances: dict = field(default_factory=dict)  # sigma -> sigma^2: a Greek name whose square is defined whole
    rates: set = field(default_factory=set)  # learning rates stated in words ("a learning rate of 0.1")
    named_loss: str | None = None  # "squared error" or "mean squared error", where the text names it in words

    # ----------------------------------------------------------------- the document's usage
    @classmethod
    def scan(cls, text: str) -> "Context":
        ctx = cls()
        for m in _MACRO.finditer(text[:200_000]):
            name, body = m.group(1) or m.group(3), m.group(2) if m.group(2) is not None else m.group(4)
            if len(ctx.macros) < 100 and len(body) < 200 and "#" not in body:
                ctx.macros[name] = f"\\operatorname{{{body}}}" if m.group(0).startswith("\\Declare") else body
        ctx.words = {w for w in re.findall(r"(?<![\\A-Za-z])([A-Za-z]{2,})(?=_|\s*=[^=])", text)}
        ctx.words |= {w for w in re.findall(r"\\(?:text|mathrm|operatorname)\{([A-Za-z]{2,})\}", text)}
        ctx.functions = set(re.findall(r"(?<![\\A-Za-z])([A-Za-z](?:_\{(?:[^{}]|\{[^{}]*\})*\}|_[A-Za-z0-9])?)\s*(?:\\left)?\(\s*"
                                       r"[A-Za-z\\][A-Za-z0-9_{}\\, ]{0,40}(?:\\right)?\)\s*(?::=|=(?!=))", text))
        ctx.functions |= set(re.findall(r"(?<![\\A-Za-z])([A-Za-z])\s*(?:'|\^\{?\\prime)", text))
        ctx.functions |= {"\\" + g for g in re.findall(r"\\([a-zA-Z]+)(?:_\{[^{}]*\}|_[A-Za-z0-9])?\s*(?:\\left)?\(\s*[A-Za-z\\][A-Za-z0-9_{}\\, ]{0,40}"
                                                      r"(?:\\right)?\)\s*(?::=|=(?!=))", text)}
        ctx.parameters = dict(re.findall(r"(?<![\\A-Za-z])([A-Za-z])\s*\(\s*([A-Za-z])\s*\)\s*(?::=|=(?!=))", text))
        ctx.variables = set(re.findall(r"(?<![\\A-Za-z_^])(e)(?:_\{?[A-Za-z0-9]+\}?)?\s*(?::=|=(?!=))", text))
        ctx.time_superscripts = bool(re.search(r"[A-Za-z]\^\{\s*t\s*-\s*1\s*\}", text)) and not re.search(
            r"\\frac\{[^{}]*\}\{[^{}]*\}\^\{\s*t\s*-\s*1\s*\}", text)
        if re.search(r"\\(odot|circ|mathbf|boldsymbol|bm|vec)(?![a-zA-Z])|\^\{?\\top|\^\{?T\}?(?![A-Za-z])|"
                     r"\\in\s*\\mathbb\{R\}\s*\^|\\(operatorname|mathrm|text)\{diag\}|\\nabla", text):
            ctx.flags.add("vector")
            ctx.shapes = [m.groups() for m in _DECLARATION.finditer(text[:200_000])][:200]
        ctx.variances = _variances(text[:200_000])
        ctx.rates = {sp.Rational(r) for r in _RATE.findall(text[:200_000])[:20]}
        named = {m.group(1).lower().replace("-", " ") for m in _SQUARED_LOSS.finditer(text[:200_000])}
        kinds = {"mean squared error" if n in ("mse", "mean squared error") else "squared error" for n in named}
        if len(kinds) == 1 and not _OTHER_LOSS.search(text[:200_000]):  # two losses named: which one is L?
            ctx.named_loss = kinds.pop()
            if ctx.named_loss == "squared error" and _HALF.search(text[:200_000]):
                ctx.named_loss = "half squared error"
        for layout in re.findall(r"\b(numerator|denominator)[- ]layout", text[:200_000], re.I)[:1]:
            ctx.flags.add(f"layout:{layout.lower()}")
        return ctx

    def declared(self) -> set:
        """The one-letter names the document declares as vectors or matrices (x, W in x ∈ ℝ^n, W ∈ ℝ^{m×n})."""
        out = set()
        for names, _ in self.shapes:
            out |= {n.strip() for n in names.split(",") if re.fullmatch(r"\s*[A-Za-z]\s*", n)}
        return out

    def record(self, sym: sp.Symbol, written: str) -> sp.Symbol:
        self.written.setdefault(sym.name, written)
        return sym

    def greek_name(self, sym: sp.Symbol, written: str):
        """A Greek name as read: σ where the document defines σ² as a whole (the variance, one quantity) is
        √(σ²), the standard deviation (σ ≥ 0), so that σ^2 reads as that quantity and σ as its root."""
        square = self.variances.get(sym.name)
        if square is None:
            return self.record(sym, written)
        base, _, sub = written.partition("_")
        self.readings.setdefault(f"{base}^2", f"one quantity, defined as a whole; {base} is its square root")
        return sp.sqrt(self.record(symbol(square), f"{base}{'_' + sub if sub else ''}^2"))

    # ----------------------------------------------------------------- names
    def name(self, written: str, model: str | None = None, whole: bool = False):
        """The expression of a written name: one symbol, Euler's e, or a product of one-letter names."""
        m = _WRITTEN_NAME.match(written)
        if not m:
            return self.record(symbol(identifier(written, model)), written)
        letters, digits, sub = m.group(1), m.group(2), m.group(3) if m.group(3) is not None else m.group(4)
        if digits:
            ident = letters + digits + ("_" + _clean(sub) if sub else "")
            return self.record(symbol(ident), written)
        if len(letters) == 1:
            if letters == "e" and sub is None and "e" not in self.variables:
                return sp.E
            return self.record(symbol(identifier(written, model)), written)
        declared = not whole and letters not in self.words and set(letters) <= self.declared()
        if declared:
            self.readings.setdefault(written, "the product " + "·".join(letters) + " (each one a declared name)")
        elif (whole or sub is not None or len(letters) > 3 or not letters.islower() or letters in self.words
                or letters in WORDS):
            if sub is None and not whole and letters not in WORDS and letters not in self.words:
                self.readings.setdefault(written, "one name")
            elif sub is not None and len(letters) > 1:
                self.readings.setdefault(written, "one name")
            return self.record(symbol(identifier(written, model)), written)
        if not (letters.startswith("d") and len(letters) == 2):  # dz, dx: a differential, not worth a note
            self.readings.setdefault(written, "the product " + "·".join(letters))
        factors = [self.name(c, model) for c in letters[:-1]] + [self.name(written[len(letters) - 1:], model)]
        return sp.Mul(*factors)

    def decorated(self, command: str, base, sub: str, model: str | None):
        """\\hat y, \\tilde C_t, \\mathbf x, \\mathcal L: a name of its own (fonts keep the plain name)."""
        if command in _VECTOR_FONTS:
            self.flags.add("vector")
        if not isinstance(base, sp.Symbol):
            if base.is_Number and command in _FONTS and not sub:
                return base
            raise DlderiveError(f"\\{command} of an expression is not read as a name")
        sub_text = sub[1:] if sub.startswith("_") else sub
        written_base = self.written.get(base.name, base.name)
        if command in _FONTS or command in ("vec", "overrightarrow"):
            if not sub_text:
                return base
            if "_" in base.name:
                raise DlderiveError(f"a name with two subscripts ({written_base}{sub})")
            return self.name(f"{base.name}_{sub_text}" if len(sub_text) == 1 else f"{base.name}_{sub_text}", model,
                             whole=True)
        mark = _ACCENT_NAMES.get(command)
        if mark is None:
            raise DlderiveError(f"unsupported command \\{command}")
        stem, _, own_sub = base.name.partition("_")
        new = f"{stem}{mark}" if mark != "cal" else f"cal{stem}"
        subscript = sub_text or ("{" + own_sub + "}" if own_sub else "")
        ident = identifier(f"{new}_{subscript}", model) if subscript else new
        shown = f"\\{command}{{{written_base}}}{sub}"
        return self.record(symbol(ident), shown)

    def superscript_index(self, base: sp.Symbol, index: str, bracket: str, model: str | None):
        """h^{(t)} is h_t (and h^{(t-1)} is h_{t-1}); x^{(i)}, W^{[l]} are names of their own."""
        index = re.sub(r"\s+", "", index)
        if "_" not in base.name and re.fullmatch(r"t([-+]\d{1,2})?", index):
            return self.record(symbol(identifier(f"{base.name}_{{{index}}}", model)),
                               f"{self.written.get(base.name, base.name)}^{{({index})}}")
        tag = f"{base.name}^{bracket}{index}{')' if bracket == '(' else ']'}"
        return self.record(symbol(tag), tag)

    # ----------------------------------------------------------------- functions and operators
    def application(self, written: str, args: list, model: str | None):
        """``f(x)``: a function the document uses, a known function, or a product (a(b + c))."""
        if written.startswith("\\"):  # a Greek letter applied: ζ(x), φ(z)
            greek = written.strip()
            plain_args = all(isinstance(a, sp.Symbol) for a in args)
            base = greek[1:].split("_", 1)[0]
            if greek in self.functions or "\\" + base in self.functions or (plain_args and base in GREEK_FUNCTIONS):
                ident = identifier(greek[1:], model)
                self.readings.setdefault(greek, "a function")
                self.written.setdefault(ident, greek)
                return unknown_function(ident)(*args)
            if len(args) != 1:
                raise DlderiveError(f"{greek}(…, …) is not a function the document defines")
            return Juxtaposed(self.record(symbol(greek[1:]), greek), args[0])
        m = _WRITTEN_NAME.match(written.strip())
        letters = m.group(1) if m else written
        plain = m is not None and not m.group(2) and m.group(3) is None and m.group(4) is None
        entry = by_spelling(letters) if plain and len(letters) > 1 else None
        if entry is not None and entry.cls is not None:
            if len(args) != 1:
                raise DlderiveError(f"{letters} takes one argument")
            return entry.make(args[0])
        if letters in ("max", "min") and plain:
            return (sp.Max if letters == "max" else sp.Min)(*args)
        head = written.strip()
        plain_args = all(isinstance(a, sp.Symbol) or (isinstance(a, sp.Basic) and a.is_Number) for a in args)
        if head in self.functions or (len(letters) == 1 and letters in FUNCTION_LETTERS and plain_args
                                      and m is not None and m.group(3) is None and m.group(4) is None):
            ident = identifier(head, model)
            self.readings.setdefault(head, "a function")
            self.written.setdefault(ident, head)
            return unknown_function(ident)(*args)
        if len(args) != 1:
            raise DlderiveError(f"{head}(…, …) is not a function the document defines")
        return Juxtaposed(self.name(head, model), args[0])

    def prime_parts(self, written: str, order: int, model: str | None):
        """For ``f'`` (``f''``): the function that applies it to an argument, and the symbol of ``u'`` alone."""
        written = written.strip()
        entry = by_spelling(written) if len(written) > 1 or written in ("σ",) else None
        ident = identifier(written, model)
        if entry is not None and entry.cls is not None:
            z = sp.Dummy("z", real=True)
            nth = entry.make(z).diff(z, order)
            fn = lambda a: nth.xreplace({z: a})  # noqa: E731
        else:
            self.functions.add(written)
            F = unknown_function(ident)

            def fn(a):
                if isinstance(a, sp.Symbol):
                    return sp.Derivative(F(a), *([a] * order))
                z = sp.Dummy("z", real=True)
                return sp.Subs(sp.Derivative(F(z), *([z] * order)), z, a)
        alone = symbol(ident + "'" * order)
        self.primes[alone] = (symbol(ident), order)
        self.record(alone, written + "'" * order)
        return fn, alone

    def operator(self, written: str, args: list):
        """``\\text{Var}(X)``, ``\\operatorname{softmax}(z)``, ``\\mathbb{E}[X]``: known, or an unknown function."""
        inner = re.search(r"\{([^{}]*)\}", written)
        name = (inner.group(1) if inner else written.lstrip("\\")).strip()
        entry = by_spelling(name)
        if entry is not None and entry.cls is not None and len(args) == 1:
            return entry.make(args[0])
        if name in ("max", "min"):
            return (sp.Max if name == "max" else sp.Min)(*args)
        if name == "diag" and len(args) == 1:  # the scalar reading: diag(v) of one number is that number
            self.flags.add("vector")
            self.readings.setdefault(written, "diag(v), read as v in the scalar reading")
            return diag_of(args[0])
        shown = "E" if written.startswith("\\mathbb") else name
        self.readings.setdefault(written, f"the operator {shown}, not a product of letters")
        return unknown_function(shown if shown != "E" else "Expectation")(*args)

    def limits(self, written: str, model: str | None):
        """(index, lower, upper) of ``\\sum_{k=1}^{K}``, ``\\sum_k``, ``\\prod_{t=1}^T``; lower/upper may be None."""
        body = re.sub(r"^\\(sum|prod)\s*(\\(no)?limits)?", "", written)
        lower = upper = None
        for mark, arg in re.findall(r"([_^])\s*(\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}|\\[A-Za-z]+|[A-Za-z0-9])", body):
            text = arg[1:-1] if arg.startswith("{") else arg
            if mark == "_":
                lower = text
            else:
                upper = text
        if lower is None:
            raise DlderiveError("a sum without its index")
        m = re.fullmatch(r"\s*([A-Za-z])\s*=\s*(.+)", lower, re.S)
        if m:
            index, start = symbol(m.group(1)), self._read(m.group(2), model)
        elif re.fullmatch(r"\s*[A-Za-z]\s*", lower):
            index, start = symbol(lower.strip()), None
        else:
            raise DlderiveError(f"the range of the sum ({lower}) is not read; write \\sum_{{k=1}}^{{K}}")
        end = self._read(upper, model) if upper is not None else None
        if upper is not None and start is None:
            raise DlderiveError(f"the sum over {index} has an upper limit but no lower one")
        return index, start, end

    def _read(self, text: str, model):
        if self.reader is None:
            raise DlderiveError("a sum's limits cannot be read here")
        return self.reader(text, model, self)


def _variances(text: str) -> dict:
    """The Greek names whose square the document defines as a whole (σ² = 1/N Σ (x_i - μ)², σ_B^2 := …), used
    unsquared nowhere before and never applied as a function: identifier -> the identifier of the square."""
    out = {}
    for m in _SQUARE_DEFINED.finditer(text):
        written, sub = m.group(1), re.sub(r"[\s{}_]", "", m.group(2) or "")
        if written[1:] in ("frac", "left", "right", "sum", "prod", "sqrt", "mathrm", "text", "operatorname"):
            continue
        name = re.escape(written) + r"(?![A-Za-z])" + (r"\s*_\s*\{?\s*" + re.escape(sub) + r"\s*\}?" if sub else r"(?!\s*_)")
        unsquared = re.compile(name + r"(?!\s*\^\s*\{?\s*2(?!\d))")
        if unsquared.search(text, 0, m.start()) or re.search(name + r"\s*(\\left\s*)?\(", text):
            continue
        ident = identifier(f"{written[1:]}_{{{sub}}}" if sub else written[1:])
        out[ident] = f"{written[1:]}^2" + (f"_{sub}" if sub else "")
    return out


def _clean(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "", text) or "_"
