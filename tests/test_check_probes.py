"""Probes of the checker (issues 10 and 14): soundness first, then notation as people write it, fuzzing, hostile input.

Every expected verdict here was worked out by hand. Conventions of this file:

* a *soundness* probe asserts that a wrong step is never "valid"; where the right answer is clear it asserts
  it exactly as well;
* a probe whose right answer is clear but that the checker currently answers "unverifiable" is a coverage
  gap and is marked ``xfail(strict=True)``; a wrong step judged "valid" is never marked: it must fail;
* the hostile inputs of issue 14 run in child processes, so that a hang cannot stop the suite.

DLDERIVE_STRICT=1 (tests/conftest.py): an internal error of the checker raises instead of becoming a verdict.
"""
from __future__ import annotations

import re
import time

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from dlderive.check import check_text
from dlderive.check.batch import file_budget, iter_timed
from dlderive.check.limits import DEFAULT_TIMEOUT

VERDICTS = ("valid", "invalid", "unverifiable")


def relations(text, model=None, timeout=2.0):
    return check_text(text, model=model, timeout=timeout).relations


def last(text, model=None):
    """The relation the probe is about: the last one of the document that is not an assumption (the
    conditions of a ``cases`` or of prose are reported as assumptions)."""
    rels = [r for r in relations(text, model) if not r.reason.startswith("assumption")]
    assert rels, f"no relation found in {text!r}"
    return rels[-1]


def gap(reason):
    """A clear expectation the checker does not meet yet, answering "unverifiable" (a coverage gap)."""
    return pytest.mark.xfail(strict=True, reason=f"coverage gap: {reason}")


def probe(doc, expected, *marks, id=None, model=None):
    return pytest.param(doc, expected, model, marks=marks, id=id)


# ---------------------------------------------------------------- soundness: a wrong step is never valid
#
# Each document's last relation is wrong (or not derivable from what the document says). ``allowed`` is
# the set of acceptable verdicts: "invalid" where the step is false whatever the unknowns are, else also
# "unverifiable".

NOT_VALID = [
    # the derivative of a quantity the document never defines is an unknown, never 0
    probe(r"$$\frac{\partial L}{\partial w} = 0$$", {"unverifiable"}, id="dL/dw=0"),
    probe(r"$$\frac{dL}{dw} = 0$$", {"unverifiable"}, id="dL/dw=0 upright d"),
    probe(r"$$\partial L / \partial w = 0$$", {"unverifiable"}, id="dL/dw=0 slashed"),
    probe(r"$$\frac{\partial^2 L}{\partial w^2} = 0$$", {"unverifiable"}, id="second derivative=0"),
    probe(r"$$\frac{d L}{d w} = 2\frac{d L}{d w}$$", {"unverifiable"}, id="dL/dw=2dL/dw"),
    probe(r"$$\frac{\partial L}{\partial w} = \frac{\partial L}{\partial v}$$", {"unverifiable"}, id="dL/dw=dL/dv"),
    probe(r"$$\frac{\partial L}{\partial w} = 5$$" "\n\n" r"$$\frac{\partial L}{\partial w} + 1 = 7$$",
          {"invalid", "unverifiable"}, id="dL/dw=5 then +1=7"),
    # x = x + 1 fails whatever x is: invalid is the best answer, unverifiable is acceptable
    probe(r"$$\frac{\partial f_t}{\partial h_{t-1}} = \frac{\partial f_t}{\partial h_{t-1}} + 1$$",
          {"invalid", "unverifiable"}, id="df_t/dh=df_t/dh+1"),
    probe(r"$$\frac{\partial E_{total}}{\partial out_{o1}} = \frac{\partial E_{total}}{\partial out_{o1}} + 1$$",
          {"invalid", "unverifiable"}, id="dE_total/dout=...+1"),
    probe(r"$$\frac{\partial E_{total}}{\partial w_5} = 0$$", {"unverifiable"}, id="dE_total/dw_5=0"),
    probe(r"$$\frac{\partial h_t}{\partial h_{t-1}} = 0$$", {"unverifiable"}, id="dh_t/dh_t-1=0 no model"),
    probe(r"$$\frac{\partial \mathcal{L}}{\partial \hat y} = 0$$", {"unverifiable"}, id="dcalL/dhaty=0"),
    probe(r"$$\frac{\partial \mathcal{L}}{\partial \hat y} = 0$$", {"unverifiable"}, id="dcalL/dhaty=0 lstm",
          model="lstm"),
    # a value given at one point does not make a quantity constant: its derivative is still unknown
    probe("$$L = 0.5$$\n\n$$\\frac{\\partial L}{\\partial w} = 0$$", {"unverifiable"}, id="L=0.5 then dL/dw=0"),
    probe("$$\\hat y = 0.7$$\n\n$$\\frac{\\partial \\hat y}{\\partial z} = 0$$", {"unverifiable"},
          id="hat y=0.7 then dhat y/dz=0"),
    probe("$$h_t = 0.3$$\n\n$$\\frac{\\partial h_t}{\\partial h_{t-1}} = 0$$", {"unverifiable"},
          id="h_t=0.3 then dh_t/dh_t-1=0"),
    probe("$$net_{o1} = w_5 out_{h1} + b_2$$\n\n$$w_5 = 0.4$$\n\n$$\\frac{\\partial net_{o1}}{\\partial w_5} = 0$$",
          {"invalid", "unverifiable"}, id="w_5 given then dnet/dw_5=0"),
    probe("Let $x = 2$.\n\n$$\\frac{d}{dx} x^2 = 0$$", {"invalid"}, id="x=2 then d/dx x^2=0"),
    probe("$$w = 3$$\n\n$$L = w^2$$\n\n$$\\frac{\\partial L}{\\partial w} = 0$$", {"invalid"},
          id="w=3, L=w^2, dL/dw=0"),
    probe("$$f(x) = x^2$$\n\n$$f'(2) = 0$$", {"invalid"}, id="f=x^2, f'(2)=0"),
    probe(r"$$f'(x) = 0$$", {"unverifiable"}, id="f'(x)=0 f undefined"),
    probe(r"$$L'(w) = 0$$", {"unverifiable"}, id="L'(w)=0 L undefined"),
    probe(r"$$f'(x) = 2 f'(x)$$", {"unverifiable"}, id="f'=2f' f undefined"),
    # d/dx applies to the whole product that follows
    probe(r"$$\frac{d}{dx} x e^{x} = e^{x}$$", {"invalid"}, id="d/dx x e^x = e^x"),
    probe(r"$$\frac{d}{dx} x \cdot e^{x} = e^{x}$$", {"invalid"}, id="d/dx x cdot e^x = e^x"),
    probe(r"$$\frac{d}{dx} x e^{x} = x e^{x}$$", {"invalid"}, id="d/dx x e^x = x e^x"),
    probe(r"$$\frac{d}{dx} x \sin(x) = \cos(x)$$", {"invalid"}, id="d/dx x sin x = cos x"),
    probe(r"$$\frac{d}{dx} \left( x e^{x} \right) = e^{x}$$", {"invalid"}, id="d/dx (x e^x) = e^x"),
    probe(r"$$\frac{d}{dx}[x e^{x}] = e^{x}$$", {"invalid"}, id="d/dx [x e^x] = e^x"),
    probe(r"$$\frac{d (x e^{x})}{dx} = e^{x}$$", {"invalid"}, id="d(x e^x)/dx = e^x"),
    probe(r"$$\frac{\partial}{\partial x} x y x = y$$", {"invalid"}, id="d/dx x y x = y"),
    # named operators are uninterpreted functions (or known ones), never products of letters or identities
    probe(r"$$\text{Var}(X + X) = 2\text{Var}(X)$$", {"invalid", "unverifiable"}, id="Var(X+X)=2Var(X)"),
    probe(r"$$\text{Var}(2X) = 2\text{Var}(X)$$", {"invalid", "unverifiable"}, id="Var(2X)=2Var(X)"),
    probe(r"$$\operatorname{Var}(X + X) = 2\operatorname{Var}(X)$$", {"invalid", "unverifiable"},
          id="operatorname Var(X+X)=2Var(X)"),
    probe(r"$$\operatorname{softmax}(z + 1) = \operatorname{softmax}(z) + 1$$", {"invalid", "unverifiable"},
          id="softmax(z+1)=softmax(z)+1"),
    probe(r"$$\text{softmax}(z + 1) = \text{softmax}(z) + 1$$", {"invalid", "unverifiable"},
          id="text softmax(z+1)=softmax(z)+1"),
    probe(r"$$\mathbb{E}[X Y] = \mathbb{E}[X] \mathbb{E}[Y]$$", {"unverifiable"}, id="E[XY]=E[X]E[Y]"),
    # diag(x) is a matrix: issue 10 makes \mathrm{diag} an uninterpreted function unless known
    probe(r"$$\mathrm{diag}(x) + 1 = \mathrm{diag}(x + 1)$$", {"invalid", "unverifiable"},
          id="diag(x)+1=diag(x+1)"),
    # math in running text is checked, and is never a given unless it is Name = literal
    probe("The sum \\(x + x = 2x\\) holds.\n\n$$x^2 = 4$$", {"invalid", "unverifiable"}, id="\\(x+x=2x\\) then x^2=4"),
    probe("The sum $x + x = 2x$ holds.\n\n$$x^2 = 4$$", {"invalid", "unverifiable"}, id="$x+x=2x$ then x^2=4"),
    probe("\\(x = 2x - x\\)\n\n$$x^2 = 4$$", {"invalid", "unverifiable"}, id="\\(x=2x-x\\) then x^2=4"),
    probe("We know \\(x = 2\\) here.\n\n$$x^2 = 5$$", {"invalid"}, id="given x=2 then x^2=5"),
    # functions, primes, known derivatives
    probe("$$f(x) = x^2$$\n\n$$f'(x) = x$$", {"invalid"}, id="f=x^2, f'=x"),
    # a "definition" in terms of itself is a claim: y = y + 1 is refuted, and so must f(x) = f(x) + 1 be
    probe("$$f(x) = f(x) + 1$$", {"invalid", "unverifiable"}, id="f(x)=f(x)+1"),
    probe("$$f(x) = 2 f(x)$$", {"invalid", "unverifiable"}, id="f(x)=2f(x)"),
    probe("$$y = y + 1$$", {"invalid"}, id="y=y+1"),
    probe("$$\\delta_t = \\frac{\\partial L}{\\partial h_t}$$\n\n$$\\delta_t + \\delta_t = 3\\delta_t$$",
          {"invalid", "unverifiable"}, id="delta_t defined, 2d=3d"),
    probe("$$L(w) = (w - 1)^2$$\n\n$$\\frac{dL}{dw} = 2(w + 1)$$", {"invalid", "unverifiable"}, id="L(w), dL/dw wrong"),
    probe("$$L(w) = (w - 1)^2$$\n\n$$L'(w) = 2(w + 1)$$", {"invalid"}, id="L(w), L' wrong"),
    # a wrong solution stated after its equation: a given only by the letter of the rule
    probe("$$2x = 6$$\n\nso $x = 4$.", {"invalid", "unverifiable"}, id="2x=6 so x=4"),
    probe("$$2x = 6 \\implies x = 4$$", {"invalid"}, id="2x=6 implies x=4"),
    probe("<!-- model: lstm -->\n\n$$\\frac{\\partial L}{\\partial h_t} = 0$$", {"unverifiable"},
          id="lstm, dL/dh_t=0"),
    probe("$$y = \\sigma(w x + b)$$\n\n$$\\frac{\\partial y}{\\partial b} = y(1-y) x$$", {"invalid"},
          id="dsigma/db with x"),
    probe("$$f(x) = x^2$$\n\n$$f(3) = 6$$", {"invalid"}, id="f=x^2, f(3)=6"),
    probe(r"$$\sigma'(x) = \sigma(x)(1 + \sigma(x))$$", {"invalid"}, id="sigma'=s(1+s)"),
    probe(r"$$\sigma'(z) = \sigma(z)(1 - \sigma(z)) = \sigma(z) + \sigma(z)^2$$", {"invalid"},
          id="sigma' chain second step"),
    probe("$$u = x^2$$\n\n$$u' = 3x$$", {"invalid"}, id="u=x^2, u'=3x"),
    probe("$$s(x) = x^3$$\n\n$$s\u2019(x) = 2x^2$$", {"invalid"}, id="curly prime s'=2x^2"),
    probe(r"$$\tanh'(x) = 1 + \tanh^2(x)$$", {"invalid"}, id="tanh'=1+tanh^2"),
    probe("$$g(x) = 3x$$\n\n$$g'(x) = 0$$", {"invalid"}, id="g=3x, g'=0"),
    # accents and fonts are names
    probe(r"$$\hat y + \hat y = 3 \hat y$$", {"invalid"}, id="hat y"),
    probe(r"$$\tilde C_t + \tilde C_t = 3 \tilde C_t$$", {"invalid"}, id="tilde C_t"),
    probe(r"$$\mathbf x + \mathbf x = 3 \mathbf x$$", {"invalid"}, id="mathbf x"),
    probe(r"$$\boldsymbol\delta + \boldsymbol\delta = 3\boldsymbol\delta$$", {"invalid"}, id="boldsymbol delta"),
    probe(r"$$\mathcal L + \mathcal L = 3 \mathcal L$$", {"invalid"}, id="mathcal L"),
    probe("$$L = (y - \\hat y)^2$$\n\n$$\\frac{\\partial L}{\\partial \\hat y} = 2(y - \\hat y)$$", {"invalid"},
          id="dL/dhat y sign"),
    probe("$$\\hat y = \\sigma(z)$$\n\n$$\\frac{\\partial \\hat y}{\\partial z} = \\hat y (1 + \\hat y)$$", {"invalid"},
          id="dhat y/dz"),
    probe("$$\\tilde C_t = \\tanh(z)$$\n\n$$\\frac{\\partial \\tilde C_t}{\\partial z} = 1 + \\tilde C_t^2$$",
          {"invalid"}, id="dtilde C/dz"),
    probe("$$\\boldsymbol\\delta = 2 \\mathbf x$$\n\n$$\\boldsymbol\\delta + \\mathbf x = 2 \\mathbf x$$", {"invalid"},
          id="boldsymbol delta defined"),
    probe("$$\\mathcal L = w^2$$\n\n$$\\frac{\\partial \\mathcal L}{\\partial w} = w$$", {"invalid"}, id="dcalL/dw"),
    # layout
    probe(r"$$\boxed{x + x = 3x}$$", {"invalid"}, id="boxed"),
    probe(r"$$\underbrace{x+x}_{2x} = 3x$$", {"invalid"}, id="underbrace"),
    probe(r"$$x + x = 3x \hspace{1cm}$$", {"invalid"}, id="hspace"),
    probe(r"$$|x| = \begin{cases} x & x \geq 0 \\ x & x < 0 \end{cases}$$", {"invalid"}, id="cases wrong branch"),
    probe(r"$$x + x = 3x,$$", {"invalid"}, id="trailing comma"),
    probe("$$x + x =\n3x$$", {"invalid"}, id="= ends a line"),
    probe("\\begin{align*}\ny &= (x+1)^2 \\\\\n  &= x^2 + 2x + 1 \\\\\n  &= x^2 + 2x\n\\end{align*}\n", {"invalid"},
          id="&= continuation"),
    probe(r"$$x + x = 2x \quad \text{and} \quad y + y = 3y$$", {"invalid"}, id="two relations in a row"),
    # names as people write them; Euler's e
    probe("$$net_{o1} = w_5 out_{h1} + b_2$$\n\n$$\\frac{\\partial net_{o1}}{\\partial w_5} = w_5$$", {"invalid"},
          id="dnet_o1/dw_5=w_5"),
    probe("$$E_{total} = E_{o1} + E_{o2}$$\n\n$$\\frac{\\partial E_{total}}{\\partial E_{o1}} = 2$$", {"invalid"},
          id="dE_total/dE_o1=2"),
    probe(r"$$w5 + w5 = 3 w5$$", {"invalid"}, id="w5"),
    probe(r"$$kernel_size + kernel_size = 3 kernel_size$$", {"invalid"}, id="kernel_size"),
    probe("$$kernel_size = 3$$\n\n$$kernel_size + 1 = 5$$", {"invalid", "unverifiable"}, id="kernel_size given"),
    probe(r"$$e^{-x} e^{x} = 2$$", {"invalid"}, id="e^-x e^x=2"),
    probe(r"$$\mathrm{e}^{1} = 1$$", {"invalid"}, id="mathrm e^1=1"),
    # numbers as written
    probe(r"$$0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35 = 0.3875$$", {"invalid"}, id="0.3875"),
    probe(r"$$\frac{1}{1+e^{-0.3775}} = 0.5939$$", {"invalid"}, id="0.5939"),
    probe("$$w5 = 0.4$$\n\n$$w5 \\cdot 0.5933 = 0.2473,$$", {"invalid"}, id="w5 * 0.5933 = 0.2473"),
    probe(r"$$E_{total} = \frac{1}{2}(0.01 - 0.75)^2 = 0.2838$$", {"invalid"}, id="E_total 0.2838"),
    # conditions in prose are assumptions, but they do not make a false step true
    probe("Let $x > 0$.\n\n$$\\sqrt{x^2} = -x$$", {"invalid", "unverifiable"}, id="x>0, sqrt(x^2)=-x"),
    # the model: a correct step with it, a wrong one refuted
    probe("<!-- model: lstm -->\n\n$$\\frac{\\partial c_t}{\\partial c_{t-1}} = i_t$$", {"invalid"},
          id="lstm dc/dc=i_t"),
    # sums and products
    probe(r"$$\sum_{k=1}^{3} k = 7$$", {"invalid"}, id="sum k=7"),
    probe(r"$$\sum_{i=1}^{n} 1 = n + 1$$", {"invalid", "unverifiable"}, id="sum 1=n+1"),
    probe(r"$$\sum_{i=1}^{n} i = \frac{n(n-1)}{2}$$", {"invalid", "unverifiable"}, id="sum i=n(n-1)/2"),
    probe(r"$$\prod_{k=1}^{4} k = 25$$", {"invalid"}, id="prod k=25"),
]


@pytest.mark.parametrize("doc, allowed, model", NOT_VALID)
def test_wrong_step_is_never_valid(doc, allowed, model):
    r = last(doc, model)
    assert r.verdict != "valid", f"wrong step judged valid: {r.latex!r}: {r.reason}"
    assert r.verdict in allowed, f"{r.latex!r}: {r.verdict}: {r.reason}"
    if r.verdict == "invalid":
        assert r.counterexample, r.reason


# ---------------------------------------------------------------- the right verdict, exactly

EXACT = [
    # identities that hold whatever the unknowns are
    probe(r"$$\frac{\partial f_t}{\partial h_{t-1}} = \frac{\partial f_t}{\partial h_{t-1}}$$", "valid", id="a=a"),
    probe(r"$$\frac{\partial L}{\partial w} - \frac{\partial L}{\partial w} = 0$$", "valid", id="a-a=0"),
    probe(r"$$\text{Var}(X + X) = \text{Var}(2X)$$", "valid", id="Var(X+X)=Var(2X)"),
    # d/dx of the whole product
    probe(r"$$\frac{d}{dx} x e^{x} = e^{x} + x e^{x}$$", "valid", id="d/dx x e^x"),
    probe(r"$$\frac{\partial}{\partial x} x y x = 2xy$$", "valid", id="d/dx x y x"),
    # running text
    probe("The sum \\(x + x = 2x\\) holds.", "valid", id="\\(x+x=2x\\) itself"),
    probe("We know \\(x = 2\\) here.\n\n$$x^2 = 4$$", "valid", id="given x=2 then x^2=4"),
    probe("Inline $y + y\n= 2y$ wraps.", "valid", id="inline math across a line break"),
    # functions, primes
    probe("$$f(x) = x^2$$\n\n$$f'(x) = 2x$$", "valid", id="f=x^2, f'=2x"),
    probe("$$f(x) = x^2$$\n\n$$f(3) = 9$$", "valid", id="f=x^2, f(3)=9"),
    probe("$$L(w) = (w - 1)^2$$\n\n$$\\frac{dL}{dw} = 2(w - 1)$$", "valid",
          id="L(w), dL/dw"),
    probe("$$y = \\sigma(w x + b)$$\n\n$$\\frac{\\partial y}{\\partial w} = y(1-y) x$$", "valid", id="dsigma/dw"),
    probe("$$f(x) = x^2$$\n\n$$\\frac{df}{dx} = 2x$$", "valid", 
          id="f=x^2, df/dx=2x"),
    probe(r"$$\sigma'(x) = \sigma(x)(1 - \sigma(x))$$", "valid", id="sigma'"),
    probe("$$f(x) = x^2$$\n\n$$f'(2) = 4$$", "valid", id="f=x^2, f'(2)=4"),
    probe("Let $x = 2$.\n\n$$\\frac{d}{dx} x^2 = 4$$", "valid", id="x=2 then d/dx x^2=4"),
    probe("$$w = 3$$\n\n$$L = w^2$$\n\n$$\\frac{\\partial L}{\\partial w} = 6$$", "valid", id="w=3, dL/dw=6"),
    probe("$$out_{h1} = 0.59$$\n\n$$net_{o1} = w_5 out_{h1} + b_2$$\n\n"
          "$$\\frac{\\partial net_{o1}}{\\partial w_5} = 0.59$$", "valid", id="dnet/dw_5 = out_h1 value"),
    probe("$$u = x^2$$\n\n$$u' = 2x$$", "valid", id="u'"),
    probe("$$s(x) = x^3$$\n\n$$s\u2019(x) = 3x^2$$", "valid", id="curly prime"),
    probe(r"$$\tanh'(x) = 1 - \tanh^2(x)$$", "valid", id="tanh'"),
    probe(r"$$\text{ReLU}(x) = x$$", "invalid", id="ReLU(x)=x"),
    probe(r"$$\text{ReLU}(x) = \max(0, x)$$", "valid", id="ReLU(x)=max(0,x)"),
    # accents and fonts
    probe(r"$$\hat y + \hat y = 2 \hat y$$", "valid", id="hat y"),
    probe(r"$$\tilde C_t + \tilde C_t = 2 \tilde C_t$$", "valid", id="tilde C_t"),
    probe(r"$$\mathbf x + \mathbf x = 2 \mathbf x$$", "valid", id="mathbf x"),
    probe(r"$$\boldsymbol\delta + \boldsymbol\delta = 2\boldsymbol\delta$$", "valid", id="boldsymbol delta"),
    probe(r"$$\mathcal L + \mathcal L = 2 \mathcal L$$", "valid", id="mathcal L"),
    probe("$$L = (y - \\hat y)^2$$\n\n$$\\frac{\\partial L}{\\partial \\hat y} = -2(y - \\hat y)$$", "valid",
          id="dL/dhat y"),
    probe("$$\\hat y = \\sigma(z)$$\n\n$$\\frac{\\partial \\hat y}{\\partial z} = \\hat y (1 - \\hat y)$$", "valid",
          id="dhat y/dz"),
    probe("$$\\tilde C_t = \\tanh(z)$$\n\n$$\\frac{\\partial \\tilde C_t}{\\partial z} = 1 - \\tilde C_t^2$$",
          "valid", id="dtilde C/dz"),
    probe("$$\\boldsymbol\\delta = 2 \\mathbf x$$\n\n$$\\boldsymbol\\delta + \\mathbf x = 3 \\mathbf x$$", "valid",
          id="boldsymbol delta defined"),
    probe("$$\\mathcal L = w^2$$\n\n$$\\frac{\\partial \\mathcal L}{\\partial w} = 2w$$", "valid", id="dcalL/dw"),
    probe(r"$$(\mathbf x^\top)^\top = \mathbf x$$", "valid", id="transpose twice"),
    probe(r"$$y^T y = y^\top y$$", "valid", gap("^T and ^\\top as transposes cannot be evaluated"), id="y^T y"),
    # layout
    probe(r"$$\boxed{x + x = 2x}$$", "valid", id="boxed"),
    probe(r"$$\underbrace{x+x}_{2x} = 2x$$", "valid", id="underbrace"),
    probe(r"$$\underbrace{x \cdot x}_{x^2} + \overbrace{x + x}^{2x} = x^2 + 2x$$", "valid", id="overbrace"),
    probe(r"$$x + x \hspace{1cm} = 2x$$", "valid", id="hspace"),
    probe(r"$$|x| = \begin{cases} x & x \geq 0 \\ -x & x < 0 \end{cases}$$", "valid",
          id="cases"),
    probe(r"$$x + x = 2x,$$", "valid", id="trailing comma"),
    probe("$$x + x =\n2x$$", "valid", id="= ends a line"),
    probe("\\begin{align}\ny &= x + x \\\\\n&= 2x\n\\end{align}", "valid", id="&= continuation"),
    # names; Euler's e
    probe("$$net_{o1} = w_5 out_{h1} + b_2$$\n\n$$net_{o1} = b_2 + out_{h1} w_5$$", "valid", id="net_o1 again"),
    probe("$$net_{o1} = w_5 out_{h1} + b_2$$\n\n$$\\frac{\\partial net_{o1}}{\\partial w_5} = out_{h1}$$", "valid",
          id="dnet_o1/dw_5"),
    probe("$$net_{o1} = 1$$\n\n$$net_{o1} + 1 = 2$$", "valid", id="net_o1 given"),
    probe("$$E_{total} = E_{o1} + E_{o2}$$\n\n$$\\frac{\\partial E_{total}}{\\partial E_{o1}} = 1$$", "valid",
          id="dE_total/dE_o1"),
    probe(r"$$w5 + w5 = 2 w5$$", "valid", id="w5"),
    probe(r"$$kernel_size + kernel_size = 2 kernel_size$$", "valid", id="kernel_size"),
    probe("$$kernel_size = 3$$\n\n$$kernel_size + 1 = 4$$", "valid", id="kernel_size given"),
    probe(r"$$e^{-x} e^{x} = 1$$", "valid", id="e^-x e^x"),
    probe(r"$$\mathrm{e}^{-x} \mathrm{e}^{x} = 1$$", "valid", id="mathrm e"),
    probe(r"$$\mathrm{e}^{-x} = e^{-x}$$", "valid", id="mathrm e = e"),
    probe(r"$$\mathrm{e}^{0} = 1$$", "valid", id="mathrm e^0"),
    # numbers as written
    probe(r"$$0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35 = 0.3775$$", "valid", id="0.3775"),
    probe(r"$$\frac{1}{1+e^{-0.3775}} = 0.5933$$", "valid", id="0.5933"),
    probe(r"$$\frac{1}{1+e^{-0.3775}} = 0.59327$$", "valid", id="0.59327"),
    probe("$$\\hat{y} = 0.5$$\n\n$$\\boxed{\\hat{y} \\cdot 0.2 = 0.1}$$", "valid", id="boxed decimals"),
    probe("$$w5 = 0.4$$\n\n$$w5 \\cdot 0.5933 = 0.2373,$$", "valid", id="w5 * 0.5933"),
    probe(r"$$E_{total} = \frac{1}{2}(0.01 - 0.75)^2 = 0.2738$$", "valid", id="E_total 0.2738"),
    # conditions in prose
    probe("Let $x > 0$.\n\n$$\\sqrt{x^2} = x$$", "valid",
          gap("relations under an assumption are never proven ('not refuted here')"), id="x>0, sqrt(x^2)=x"),
    probe("For every $t \\geq 1$ the state is defined.\n\n$$h_t + h_t = 2 h_t$$", "valid", id="t>=1 then a step"),
    # the model
    probe("<!-- model: lstm -->\n\n$$\\frac{\\partial c_t}{\\partial c_{t-1}} = f_t$$", "valid", id="lstm comment"),
    probe(r"$$\frac{\partial c_t}{\partial c_{t-1}} = f_t$$", "valid", id="lstm option", model="lstm"),
    # sums and products
    probe(r"$$\sum_{k=1}^{3} k = 6$$", "valid", id="sum k=6"),
    probe(r"$$\sum_{i=1}^{n} 1 = n$$", "valid", 
          id="sum 1=n"),
    probe(r"$$\sum_{i=1}^{n} i = \frac{n(n+1)}{2}$$", "valid", id="sum i"),
    probe(r"$$\prod_{k=1}^{4} k = 24$$", "valid", id="prod k=24"),
    probe("$$\\delta_t = \\frac{\\partial L}{\\partial h_t}$$\n\n$$\\delta_t + \\delta_t = 2\\delta_t$$", "valid",
          id="delta_t defined, d+d=2d"),
    # "." as multiplication (issue 10 item 2); today the 3 is dropped and "4 = 12" refuted: a false alarm
    probe(r"$$3 . 4 = 12$$", "valid", id="dot as multiplication"),
    probe(r"$$3 \times 4 = 12$$", "valid", id="times"),
    # \delta followed by a name is a gradient only without an explicit product sign between them
    probe(r"$$\boldsymbol\delta \cdot (\boldsymbol\delta + \hat y) = \boldsymbol\delta^{2} + \boldsymbol\delta \cdot \hat y$$",
          "valid", id="delta cdot hat y is a product"),
    probe("$$\\delta = 2$$\n\n$$y = 3$$\n\n$$\\delta \\cdot y = 6$$", "valid",
          id="delta=2, y=3, delta cdot y=6"),
    probe("$$\\delta = 2$$\n\n$$y = 3$$\n\n$$\\delta \\cdot y = 5$$", "invalid",
          id="delta=2, y=3, delta cdot y=5"),
]


@pytest.mark.parametrize("doc, expected, model", EXACT)
def test_right_verdict(doc, expected, model):
    r = last(doc, model)
    assert r.verdict == expected, f"{r.latex!r}: {r.verdict}: {r.reason}"
    assert "cannot read" not in r.reason


# ---------------------------------------------------------------- reasons, counterexamples, notes

@pytest.mark.parametrize("doc, name", [
    (r"$$\frac{\partial L}{\partial w} = 0$$", "L"),
    (r"$$\frac{\partial f_t}{\partial h_{t-1}} = \frac{\partial f_t}{\partial h_{t-1}} + 1$$", "f_t"),
    (r"$$\text{Var}(X + X) = 2\text{Var}(X)$$", "Var"),
    (r"$$\operatorname{softmax}(z + 1) = \operatorname{softmax}(z) + 1$$", "softmax"),
    # f'(x) of an f the document does not define: the reason must name f (today: a RecursionError inside
    # scope.realize/derivative, reported as "the expression is nested too deeply")
    (r"$$f'(x) = 0$$", "f"),
    (r"$$L'(w) = 0$$", "L"),
])
def test_an_unknown_is_named_in_the_reason(doc, name):
    r = last(doc)
    assert r.verdict == "unverifiable"
    assert "nested too deeply" not in r.reason, r.reason
    assert name in r.reason, r.reason


def test_model_comment_selects_the_model_and_its_absence_is_noted():
    with_comment = check_text("<!-- model: lstm -->\n\n$$\\frac{\\partial c_t}{\\partial c_{t-1}} = f_t$$\n")
    assert [r.verdict for r in with_comment.relations] == ["valid"]
    assert not any("--model" in n for n in with_comment.notes)
    without = check_text("$$\\frac{\\partial c_t}{\\partial c_{t-1}} = f_t$$\n")
    assert [r.verdict for r in without.relations] != ["invalid"]  # a correct step is never refuted
    assert any("lstm" in n for n in without.notes), without.notes


def test_lstm_counterexample_shows_two_different_sides():
    # issue 10 item 5: chosen where the two sides clearly differ, not where the gates saturate
    r = last("<!-- model: lstm -->\n\n$$\\frac{\\partial c_t}{\\partial c_{t-1}} = i_t$$")
    assert r.verdict == "invalid"
    assert r.counterexample["lhs"] != r.counterexample["rhs"], r.counterexample


def test_lstm_counterexample_uses_the_documents_names():
    # issue 10 item 6: never h_prev for the document's h_{t-1}
    r = last("<!-- model: lstm -->\n\n$$\\frac{\\partial c_t}{\\partial c_{t-1}} = i_t$$")
    assert r.verdict == "invalid"
    assert "h_prev" not in r.counterexample["values"], r.counterexample


def test_counterexample_of_a_multi_letter_name_is_that_name():
    r = last(r"$$kernel_size + kernel_size = 3 kernel_size$$")
    assert r.verdict == "invalid"
    assert set(r.counterexample["values"]) == {"kernel_size"}, r.counterexample


@pytest.mark.parametrize("doc", [
    "For every $t \\geq 1$ the state is defined.",
    "For every \\(t \\geq 1\\) we have\n\n$$t + t = 2t$$",
    "Assume $i \\neq j$.\n\n$$y + y = 2y$$",
    "Let $x > 0$.\n\n$$x + x = 2x$$",
    # a condition written beside the step, in the same display
    "$$h_t + h_t = 2 h_t \\quad \\text{for } t \\geq 1$$",
])
def test_conditions_are_not_refuted(doc):
    rels = relations(doc)
    assert rels
    assert all(r.verdict != "invalid" for r in rels), [(r.latex, r.reason) for r in rels if r.verdict == "invalid"]


def test_running_text_math_is_checked_and_is_no_given():
    rels = relations("The sum \\(x + x = 2x\\) holds and $x \\cdot 1 = x$.\n\n$$x^2 = 4$$\n")
    assert [r.verdict for r in rels[:2]] == ["valid", "valid"]
    assert rels[-1].verdict != "valid"


def test_every_relation_of_a_mixed_document_gets_a_line():
    text = ("Let $P = 2$.\n\n"
            "$$\\boxed{x + x = 2x}$$\n\n"
            "\\begin{align*}\n\\hat y &= \\sigma(z) \\\\\n\\frac{\\partial \\hat y}{\\partial z} &= \\hat y(1-\\hat y)\n"
            "\\end{align*}\n\n"
            "$$\\underbrace{x+x}_{2x} = 2x,$$\n")
    rels = relations(text)
    assert [r.line for r in rels] == [1, 3, 6, 7, 10]
    assert all(r.verdict == "valid" for r in rels), [(r.latex, r.verdict, r.reason) for r in rels]


# ---------------------------------------------------------------- fuzzing

TOKENS = st.sampled_from([
    "$$", "$", "\n", "\n\n", " ", "x", "y", "= 1", "= 2", "=", "+", "-", "\\cdot", "(", ")", "{", "}", "^", "_",
    "\\hat", "\\hat y", "\\tilde", "\\tilde C_t", "\\mathbf{", "\\mathbf x", "\\boldsymbol\\delta", "\\mathcal L",
    "\\sum_{k=1}^{K}", "\\sum_{i=1}^{n}", "\\prod", "\\prod_{k=1}^{3}", "\\boxed{", "\\underbrace{", "}_{2x}",
    "\\overbrace{", "'", "\u2019", "^\\top", "^T", "\\delta", "\\delta_t", "\\text{Var}(", "\\operatorname{softmax}(",
    "\\mathbb{E}[", "\\mathrm{diag}(", "\\begin{cases}", "\\end{cases}", "&", "&=", "\\\\", "\\(", "\\)", "\\[", "\\]",
    "\\begin{align*}", "\\end{align*}", "0.3775", "0.5933", "0.15", "1e-3", "3.", ".5", "\\cdots", "\\ldots",
    "\\frac{\\partial L}{\\partial w}", "\\frac{d}{dx}", "\\frac{\\partial f_t}{\\partial h_{t-1}}", "f(x)", "f'(x)",
    "\\sigma'(x)", "\\tanh'(x)", "s\u2019(x)", "u'", "net_{o1}", "out_{h1}", "E_{total}", "w5", "w_5", "kernel_size",
    "e^{-x}", "\\mathrm{e}", "\\hspace{1cm}", "\\quad", ",", ".", "\\rightarrow", "\\implies", "t \\geq 1", "x > 0",
    "i \\neq j", "<!-- model: lstm -->", "<!-- model: gru -->", "\\left(", "\\right)", "\\lfloor", "\\rfloor",
    "\\sqrt{", "\\ln", "\\exp", "\\sigma(z)", "\\tanh(c_t)", "h_{t-1}", "c_t", "f_t", "\\text{for } ", "\\label{a}",
    "\\tag{1}", "\\begin{array}{c}", "\\end{array}", "```", "```math", "> ", "- ", "| a | b |", "%", "#", "\\%",
    "\x00", "é", "\u200b",
    # the snippets of tests/test_check.py's fuzz test, which this one grows
    "x = 1", "= 2", "h_t", "c_{t-1}", "\\left\\lfloor \\frac{D}{2} \\right\\rfloor", "= 16", "P = 2, ",
    "(1 - \\sigma(z))", "\\tanh^2(c_t)", "W^f", "9^{9^9}", "\\input{a}", "# h", "Trainable parameters = 3 \\* 4 = 12",
    "\\text{x}", "[", "]", "k = (5,5)",
])


def _check_document(text, model):
    start = time.process_time()
    report = check_text(text, model=model, timeout=0.5)
    spent = time.process_time() - start
    for r in report.relations:
        assert r.verdict in VERDICTS
        assert isinstance(r.reason, str)
        if r.verdict == "invalid":
            assert r.counterexample, (r.latex, r.reason)
    assert spent <= 2.0 * len(report.relations) + 2.0, f"{spent:.1f} s of CPU for {len(report.relations)} relations"
    return report


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS, max_size=24), st.sampled_from([None, "lstm", "gru", "rnn"]))
def test_fuzz_token_soup(parts, model):
    _check_document(" ".join(parts), model)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS, max_size=24))
def test_fuzz_token_soup_unspaced(parts):
    _check_document("".join(parts), None)


# Documents with a known answer: a derivative of a defined polynomial, written in the new notation,
# either right or mutated. A mutated step is never valid; a right one is never invalid.

NAMES = st.sampled_from([r"\hat y", r"\tilde C_t", r"\mathbf a", r"\boldsymbol\delta", r"\mathcal L", "net_{o1}",
                         "E_{total}", "L", "u"])
WRAPS = st.sampled_from(["$${}$$", "$${},$$", "$$\\boxed{{{}}}$$", "\\[{}\\]", "\\begin{{equation}}{}\\end{{equation}}",
                         "Then \\({}\\) follows."])
_w = sp.Symbol("w")


def _latex(expr):
    return sp.latex(expr)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NAMES, WRAPS, st.lists(st.integers(-4, 4), min_size=2, max_size=4),
       st.sampled_from(["right", "sign", "drop", "off by one"]))
def test_fuzz_derivative_of_a_defined_name(name, wrap, coeffs, mutation):
    assume(any(coeffs[1:]))
    poly = sum(c * _w ** k for k, c in enumerate(coeffs))
    deriv = sp.diff(poly, _w)
    wrong = {"right": deriv, "sign": -deriv, "drop": deriv - deriv.as_ordered_terms()[0],
             "off by one": deriv + 1}[mutation]
    assume(mutation == "right" or sp.expand(wrong - deriv) != 0)
    step = f"\\frac{{\\partial {name}}}{{\\partial w}} = {_latex(wrong)}"
    text = f"$${name} = {_latex(poly)}$$\n\n" + wrap.format(step) + "\n"
    report = _check_document(text, None)
    r = report.relations[-1]
    if mutation == "right":
        assert r.verdict != "invalid", (text, r.reason)
    else:
        assert r.verdict != "valid", (text, r.reason)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 30), st.integers(-3, 3), WRAPS)
def test_fuzz_sums_are_judged_right(n, delta, wrap):
    total = n * (n + 1) // 2 + delta
    text = wrap.format(f"\\sum_{{k=1}}^{{{n}}} k = {total}") + "\n"
    r = _check_document(text, None).relations[-1]
    assert r.verdict == ("valid" if delta == 0 else "invalid"), (text, r.reason)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 99), st.integers(1, 99), st.integers(0, 99), st.integers(2, 5), st.integers(-30, 30),
       st.sampled_from(["$${} = {}$$", "$${} = {},$$", "$$\\boxed{{{} = {}}}$$", "\\({} = {}\\)"]))
def test_fuzz_rounded_results_of_exact_data(a, b, c, places, offset, layout):
    # short decimals (one or two significant digits) are data; the stated result is rounded: it holds if the
    # exact value is within one unit of its last digit (issue 10 item 5)
    exact = sp.Rational(a * b, 10 ** 4) + sp.Rational(c, 100)
    written = sp.Rational(round(exact * 10 ** places) + offset, 10 ** places)
    assume(written > 0)
    text = layout.format(f"0.{a:02d} \\cdot 0.{b:02d} + 0.{c:02d}", f"{float(written):.{places}f}") + "\n"
    r = _check_document(text, None).relations[-1]
    error = abs(written - exact) * 10 ** places  # in units of the last digit written
    if error > 1:
        assert r.verdict != "valid", (text, r.reason)
    if error < sp.Rational(1, 2):  # correctly rounded
        assert r.verdict == "valid", (text, r.reason)
    elif error == sp.Rational(1, 2):  # a tie (0.285 written 0.28 or 0.29): either rounding, never a false alarm
        assert r.verdict != "invalid", (text, r.reason)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1000, 9999), st.integers(1000, 9999), st.integers(-300, 300))
def test_fuzz_products_of_rounded_numbers(a, b, offset):
    # four significant digits are taken as rounded; however wide that makes the interval, a result off by
    # more than 20 units of its fourth decimal is never valid, and a correctly rounded one never invalid
    exact = sp.Rational(a * b, 10 ** 8)
    written = sp.Rational(round(exact * 10 ** 4) + offset, 10 ** 4)
    assume(written > 0)
    text = f"$$0.{a} \\cdot 0.{b} = {float(written):.4f}$$\n"
    r = _check_document(text, None).relations[-1]
    if abs(offset) > 20:
        assert r.verdict != "valid", (text, r.reason)
    if offset == 0:
        assert r.verdict != "invalid", (text, r.reason)


SCALAR_NAMES = [r"\hat y", r"\hat{y}", r"\tilde c_t", r"\tilde C_t", r"\mathbf x", r"\boldsymbol\delta", r"\mathcal L",
                r"\bar x", r"\delta_t", "net_{o1}", "out_{h1}", "E_{total}", "w5", "w_5", "y", "h_{t-1}", "kernel_size"]
_a, _b = sp.symbols("a b")
_PIECES = st.sampled_from([_a, _b, _a + _b, _a - 2 * _b, _a * _b, _a ** 2, sp.Integer(3), sp.Rational(1, 2)])


def _mul(pair):
    return pair[0] * pair[1]


_EXPRS = st.one_of(st.tuples(_PIECES, _PIECES).map(_mul),
                   st.tuples(_PIECES, _PIECES).map(lambda p: (p[0] + p[1]) ** 2),
                   st.tuples(_PIECES, _PIECES, _PIECES).map(lambda p: p[0] * (p[1] - p[2])))
LAYOUTS = st.sampled_from([
    "$${} = {}$$", "$${} = {},$$", "$$\\boxed{{{} = {}}}$$", "$${} \\hspace{{1cm}} = {}$$", "\\[{} = {}\\]",
    "Hence \\({} = {}\\).", "Hence ${} = {}$.", "\\begin{{align*}}\n{} &= {}\n\\end{{align*}}",
    "$${} =\n{}$$", "$$\\underbrace{{{}}}_{{\\text{{lhs}}}} = {}$$",
])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_EXPRS, st.sampled_from(["right", "plus ab", "minus 1", "times 2"]), st.sampled_from(SCALAR_NAMES),
       st.sampled_from(SCALAR_NAMES), LAYOUTS)
def test_fuzz_identities_in_the_new_notation(expr, mutation, name_a, name_b, layout):
    # the checker agrees with sympy on identities written with accents, fonts and multi-letter names
    assume(re.sub(r"[{}\s]", "", name_a) != re.sub(r"[{}\s]", "", name_b))  # \hat y and \hat{y} are one name
    right = sp.expand(expr)
    rhs = {"right": right, "plus ab": right + _a * _b, "minus 1": right - 1, "times 2": 2 * right}[mutation]
    true = sp.expand(expr - rhs) == 0
    names = {_a: "{%s}" % name_a, _b: "{%s}" % name_b}
    text = layout.format(sp.latex(expr, symbol_names=names, mul_symbol="dot"),
                         sp.latex(rhs, symbol_names=names, mul_symbol="dot")) + "\n"
    rels = _check_document(text, None).relations
    assert rels, text
    r = rels[-1]
    if true:
        assert r.verdict != "invalid", (text, r.reason, r.counterexample)
    else:
        assert r.verdict != "valid", (text, r.reason)


def test_multi_letter_name_is_one_name():
    # a false alarm when this was written: kernel_size read as kernel_s·i·z·e, kernel_size^2 as kernel_s·i·z·e^2
    r = last("$$(kernel_size + 1)^2 = kernel_size^2 + 2 kernel_size + 1$$")
    assert r.verdict == "valid", (r.reason, r.counterexample)


# ---------------------------------------------------------------- hostile input (issue 14), in child processes


HOSTILE = {
    "floor of a tower": r"$$\lfloor e^{e^{e^{3}}} \rfloor = 1$$",
    "huge power of sqrt 2": r"$$\sqrt{2}^{100000000000} = 1$$",
    "exp of 1e11 ln 2": r"$$e^{10^{11} \ln(2)} = 1$$",
    "floor of e^1000000": r"$$\lfloor e^{1000000} \rfloor = 1$$",
    "floor of a tuple": r"$$[(1/2, 3)] = 1$$",
    "5000 display openers": "\\[" * 5000,
    "5000 equation openers": "\\begin{equation}" * 5000,
    "a megabyte of display openers": "\\[" * 500_000,  # splitting is linear in the size of the file
    "a megabyte of dollars": "$" * 1_000_001,
    "a LaTeX file of openers": "\\documentclass{article}\\begin{document}" + "\\[" * 500_000,
}

@pytest.fixture(scope="module")
def hostile_runs():
    """Every hostile input checked by the supervised batch runner, with each file's CPU time and budget."""
    return {name: (report, timing) for name, (report, timing) in zip(HOSTILE, _timed(list(HOSTILE.items())))}


def _timed(items):
    out = [None] * len(items)
    for index, report, timing in iter_timed(items, jobs=2):
        out[index] = (report, timing)
    return out


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_ends_in_verdicts_within_its_budget(hostile_runs, name):
    """Each file is answered within its budget plus one second of its worker's CPU time (the rule of the batch
    runner: reading by the size of the file, then a share for each relation), which a busy machine does not
    inflate; and none of it is stopped by force, which would mean work the time limit could not interrupt."""
    report, timing = hostile_runs[name]
    assert report.error is None, report.error
    assert timing.budget == file_budget(len(HOSTILE[name]), len(report.relations), DEFAULT_TIMEOUT)
    assert timing.cpu <= timing.budget + 1, f"{timing.cpu:.1f} s of CPU against a budget of {timing.budget:.1f} s"
    assert not [r.reason for r in report.relations if "stopped by force" in r.reason]
    # every relation here is false or meaningless: none may be valid
    assert all(str(r.verdict) != "valid" for r in report.relations), [(r.latex, r.reason) for r in report.relations]


def test_a_file_over_its_budget_fails_the_bound(monkeypatch):
    """The bound above can fail: with a budget of almost nothing, reading a megabyte overruns it."""
    from dlderive.check import batch
    monkeypatch.setattr(batch, "READ_SECONDS", 0.0)
    monkeypatch.setattr(batch, "READ_SECONDS_PER_MB", 0.01)
    [(report, timing)] = _timed([("openers", HOSTILE["a megabyte of display openers"])])
    assert report.error and "took longer than its budget" in report.error
    assert timing.cpu > timing.budget
