"""Hostile documents for the checker: towers, huge powers, deep nesting, unbalanced braces, long lines,
control characters and odd Unicode, mixed at random (deterministic for a seed); the hypothesis strategy
``documents`` draws from the same pieces. Used by tests/test_bounded.py and bench/hostile.py."""
from __future__ import annotations

import random

from hypothesis import strategies as st

NUMBERS = ["0", "1", "2", "3", "10", "1000000", "10^{11}", "99999999999999999999", "0.5", "3.14159", "1e308",
           "\\pi", "e", "\\infty", "-1", "1/0", "0/0", "\\frac{1}{3}", "2.000000000000000000000001"]
NAMES = ["x", "y", "a_1", "h_{t-1}", "\\sigma", "W^T", "\\hat y", "x^{(i)}", "\\delta h_t", "f", "\\mathcal L",
         "𝑥", "ｘ", "α", "x\u0301", "net_{h1}"]
UNARY = ["\\sqrt{{{0}}}", "\\lfloor {0} \\rfloor", "\\lceil {0} \\rceil", "[{0}]", "\\ln({0})", "\\log {0}",
         "e^{{{0}}}", "\\sin({0})", "\\tanh({0})", "\\sigma({0})", "({0})!", "|{0}|", "\\left({0}\\right)",
         "\\frac{{d}}{{dx}} {0}", "\\frac{{\\partial {0}}}{{\\partial x}}", "\\sum_{{k=1}}^{{10^{{9}}}} {0}",
         "\\prod_{{k=1}}^{{1000000}} {0}", "\\boxed{{{0}}}", "\\underbrace{{{0}}}_{{n}}", "\\binom{{{0}}}{{5}}",
         "\\operatorname{{diag}}({0})", "{0}^{{\\top}}", "{0}'", "\\tilde{{{0}}}", "\\mathbf{{{0}}}"]
BINARY = ["{0} + {1}", "{0} - {1}", "{0} \\cdot {1}", "{0} {1}", "\\frac{{{0}}}{{{1}}}", "{0}^{{{1}}}",
          "{0}_{{{1}}}", "({0}, {1})", "{0} \\circ {1}", "{0} \\odot {1}", "\\max({0}, {1})", "{0} \\bmod {1}",
          "\\sqrt[{0}]{{{1}}}", "{0} \\times {1}", "{0}/{1}"]
RELATIONS = ["=", "<", ">", "\\le", "\\ge", "\\neq", "\\approx", "\\implies", "\\iff", "\\in", ":=", "=="]
JUNK = ["{", "}", "\\left(", "\\right)", "\\begin{cases}", "\\end{aligned}", "&", "\\\\", "$", "$$", "\\[", "\\]",
        "\\begin{equation}", "^", "_", "^^", "\\", "\\frac", "\x00", "\x07", "\x1b[31m", "\r", "\u202e", "\u200b",
        "\ufeff", "😀", "汉字", "Ω", "\U0001d465", "\ud7ff", "%", "#", "~", "\\newcommand{\\x}{\\x}",
        "\\def\\a{\\a\\a}",
        "<!-- model: lstm -->", "<script>", "\\input{/etc/passwd}", "__import__('os')"]
TOWERS = ["e^{e^{e^{3}}}", "10^{10^{10}}", "2^{2^{2^{2^{2^{2}}}}}", "\\sqrt{2}^{100000000000}", "e^{10^{11} \\ln(2)}",
          "9^{9^{9}}", "(10^{100})!", "e^{1000000}", "x^{10^{9}}", "(x+1)^{100000}", "(a+b)^{5000}", "1000!",
          "\\lfloor e^{e^{e^{3}}} \\rfloor", "[(1/2, 3)]", "(-1)^{1/3}", "i^{i}", "0^{0}", "\\infty - \\infty",
          "\\tan(\\pi/2)", "\\log 0", "10^{-10^{10}}", "(1 + 1/10^{20})^{10^{20}}", "e^{i \\pi}",
          "\\frac{d^{100}}{dx^{100}} x^{1000}", "\\sum_{k=1}^{10^{12}} k^{k}", "2^{-2^{-2^{-2}}}"]


def expression(rng: random.Random, depth: int) -> str:
    """A random expression of the pieces above, at most ``depth`` operations deep."""
    if depth <= 0 or rng.random() < 0.2:
        pool = rng.choice((NUMBERS, NAMES, TOWERS))
        return rng.choice(pool)
    if rng.random() < 0.45:
        return rng.choice(UNARY).format(expression(rng, depth - 1))
    return rng.choice(BINARY).format(expression(rng, depth - 1), expression(rng, depth - 1))


def _nested(rng: random.Random) -> str:
    n = rng.choice((50, 200, 1000, 3000))
    left, right = rng.choice((("(", ")"), ("{", "}"), ("\\sqrt{", "}"), ("\\frac{1}{", "}"), ("e^{", "}"),
                              ("\\sin(", ")"), ("\\left(", "\\right)"), ("[", "]")))
    return left * n + "x" + right * (n if rng.random() < 0.7 else rng.randrange(n))


def _long(rng: random.Random) -> str:
    kind = rng.randrange(5)
    n = rng.choice((1000, 10_000, 100_000))
    if kind == 0:
        return "".join(rng.choice("abcxyz") for _ in range(n)) + " ="
    if kind == 1:
        return " + ".join(f"x_{{{i}}}" for i in range(n // 10))
    if kind == 2:
        return "9" * n
    if kind == 3:
        return "x" + "^x" * (n // 100)
    return "=" * (n // 10)


def _junk(rng: random.Random) -> str:
    pool = JUNK + NAMES + NUMBERS + RELATIONS
    return "".join(rng.choice(pool) + rng.choice(("", " ")) for _ in range(rng.randrange(1, 40)))


def _matrix(rng: random.Random) -> str:
    n = rng.choice((2, 30, 100))
    row = " & ".join(rng.choice(NUMBERS[:6] + NAMES[:4]) for _ in range(n))
    return "\\begin{pmatrix}" + " \\\\ ".join([row] * n) + "\\end{pmatrix}"


SIZES = ["n", "10^{9}", "10^{100}", "0", "-1", "1.5", "n \\times m", "10^{6} \\times 10^{6}", "\\infty", "2^{2^{2^{2}}}"]
MATRIX = ["{0}^{{\\top}}", "{0}^T", "{0}^{{\\intercal}}", "\\operatorname{{diag}}({0})", "\\mathbf{{{0}}}", "\\vec{{{0}}}",
          "\\sum_{{t=1}}^{{T}} {0}", "\\sum_{{n=1}}^{{10^{{9}}}} {0}", "\\prod_{{k=1}}^{{64}} {0}", "{0} {0}^{{\\top}}",
          "\\frac{{\\partial L}}{{\\partial {0}}}", "\\|{0}\\|^2", "\\operatorname{{softmax}}({0})", "{0}_{{n,:}}",
          "{0}_{{:,j}}", "({0})^{{\\top}} ({0})^{{\\top}}"]


def _declaration(rng: random.Random) -> str:
    """A shape declaration, possibly absurd: W ∈ ℝ^{10^9 × 10^9}, x ∈ ℝ^0."""
    name = rng.choice(("W", "x", "U", "h_t", "\\mathbf{x}", "\\delta", "Y"))
    return f"{name} \\in \\mathbb{{R}}^{{{rng.choice(SIZES)}}}"


def _matrix_expression(rng: random.Random, depth: int) -> str:
    """Products, transposes, sums and gradients of matrices, for the matrix reading."""
    if depth <= 0 or rng.random() < 0.25:
        return rng.choice(("W", "x", "U", "h_t", "\\delta_t", "X", "Y", "b", "\\mathbf{W}", "\\hat y", _matrix(rng)))
    if rng.random() < 0.5:
        return rng.choice(MATRIX).format(_matrix_expression(rng, depth - 1))
    return rng.choice(BINARY[:5] + ["{0} \\odot {1}"]).format(_matrix_expression(rng, depth - 1),
                                                             _matrix_expression(rng, depth - 1))


def _matrix_document(rng: random.Random) -> str:
    """Declarations then relations between matrix expressions."""
    lines = [f"${_declaration(rng)}$" for _ in range(rng.randrange(0, 4))]
    for _ in range(rng.randrange(1, 4)):
        lines.append(f"$${_matrix_expression(rng, rng.randrange(1, 6))} = {_matrix_expression(rng, rng.randrange(0, 4))}$$")
    return "\n\n".join(lines)


def relation(rng: random.Random) -> str:
    """One hostile relation (or something that only looks like one)."""
    kind = rng.randrange(10)
    if kind < 5:
        lhs = expression(rng, rng.randrange(1, 6))
        return f"{lhs} {rng.choice(RELATIONS)} {expression(rng, rng.randrange(0, 4))}"
    if kind == 5:
        return f"{_nested(rng)} = 1"
    if kind == 6:
        return _long(rng)
    if kind == 7:
        return _junk(rng)
    if kind == 8:
        return f"{_matrix(rng)} = {_matrix(rng)}"
    return f"{rng.choice(TOWERS)} = {rng.choice(NUMBERS)}"


def document(rng: random.Random) -> str:
    """A Markdown or LaTeX document of one to four hostile relations, in display or inline math or plain text;
    one in five is a document of matrix declarations and relations."""
    if rng.random() < 0.2:
        return _matrix_document(rng)
    parts = []
    for _ in range(rng.randrange(1, 5)):
        r = relation(rng)
        layout = rng.randrange(7)
        parts.append(("$$" + r + "$$", "$" + r + "$", "\\[" + r + "\\]",
                      "\\begin{align*}" + r + " \\\\ &= 0\\end{align*}", r, "so " + r + ", hence",
                      "\\begin{equation}" + r)[layout])
    text = "\n\n".join(parts)
    if rng.random() < 0.1:
        text = "\\documentclass{article}\\begin{document}\n" + text + "\n\\end{document}"
    if rng.random() < 0.05 and len(text) < 20_000:
        text = text * rng.choice((10, 100))
    return text


def documents_for(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [document(rng) for _ in range(count)]


_PIECES = st.sampled_from(NUMBERS + NAMES + TOWERS + RELATIONS + JUNK + [" ", "\n", "\n\n", "{", "}", "^", "_"])
documents = st.one_of(
    st.lists(_PIECES, max_size=60).map("".join).map(lambda s: f"$${s}$$"),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300).map(lambda s: f"$${s} = 1$$"),
    st.text(alphabet="$\\[]{}()^_=+-*/&%#~ 0123456789abcdefxe\n", max_size=400),
    st.randoms(use_true_random=False).map(document),
)
"""Hypothesis: hostile documents, from pieces, from any Unicode text, from LaTeX specials, or generated above."""
