"""The checker on gradients and Jacobians of vector and matrix expressions, as the courses write them.

Each case is a short document and one claimed relation with its expected verdict, worked out by hand.
The truth is checked independently in the same test: PyTorch autograd (float64, random tensors of the
declared shapes) computes the gradient, and the claimed right-hand side, written again in torch, must
match it for a valid case and must differ from it (in value or in shape) for an invalid one."""
from __future__ import annotations

import pytest
import torch

from dlderive.check import check_text

torch.set_default_dtype(torch.float64)
SIZES = {"m": 3, "n": 4, "K": 5, "N": 3, "D": 4, "M": 2, "d": 3, "T": 3}

COLUMN = r"""Let $W \in \mathbb{R}^{m\times n}$, $x \in \mathbb{R}^n$, $t \in \mathbb{R}^m$, $y = Wx$,
$L = \frac12 (y - t)^\top (y-t)$.
"""
MSE = r"""Let $W \in \mathbb{R}^{m\times n}$, $b \in \mathbb{R}^m$, $x \in \mathbb{R}^n$, $y \in \mathbb{R}^m$,
$\hat{y} = Wx + b$ and $L = \|\hat{y} - y\|_2^2$.
"""
SOFTMAX = r"""Let $z, y \in \mathbb{R}^K$, where $y$ is one-hot, $\hat{y} = \mathrm{softmax}(z)$ and
$L = -\sum_{k=1}^{K} y_k \log \hat{y}_k$.
"""
SOFTMAX_DOT = r"""Let $z, y \in \mathbb{R}^K$, $p = \operatorname{softmax}(z)$ and $L = -y^\top \log p$.
"""
BATCH = r"""Let $X \in \mathbb{R}^{N \times D}$, $W \in \mathbb{R}^{D \times M}$, $b \in \mathbb{R}^{M}$ and
$Y = XW + b$.
"""
RNN = r"""Let $W \in \mathbb{R}^{m\times m}$, $U \in \mathbb{R}^{m \times d}$, $x_t \in \mathbb{R}^d$,
$h_{t-1} \in \mathbb{R}^m$ and $h_t = \tanh(W h_{t-1} + U x_t)$.
"""
RNN_NUMERATOR = "We write Jacobians in the numerator layout.\n\n" + RNN
RELU = r"""Let $W \in \mathbb{R}^{m\times n}$, $x \in \mathbb{R}^n$, $v \in \mathbb{R}^m$, $z = Wx$,
$a = \mathrm{ReLU}(z)$ and $L = v^\top a$.
"""
SIGMOID = r"""Let $W \in \mathbb{R}^{m\times n}$, $b \in \mathbb{R}^m$, $x \in \mathbb{R}^n$, $h = \sigma(Wx + b)$,
$\delta = \frac{\partial L}{\partial h}$.
"""
BOLD = r"""Let $\mathbf{W} \in \mathbb{R}^{m \times n}$, $\mathbf{x} \in \mathbb{R}^{n}$, $\mathbf{b} \in \mathbb{R}^m$,
$\mathbf{y} \in \mathbb{R}^m$, $\mathbf{z} = \mathbf{W}\mathbf{x} + \mathbf{b}$, $\mathbf{a} = \sigma(\mathbf{z})$ and
$\mathcal{L} = \frac{1}{2}\|\mathbf{a} - \mathbf{y}\|^2$.
"""
SUPERSCRIPT = r"""Let $W \in \mathbb{R}^{m \times m}$, $U \in \mathbb{R}^{m \times d}$, $x^{(t)} \in \mathbb{R}^d$.

$$h^{(t)} = \tanh(W h^{(t-1)} + U x^{(t)})$$

$$\delta^{(t)} = \frac{\partial L}{\partial h^{(t)}} \odot (1 - (h^{(t)})^2)$$
"""
LSTM = r"""Let $W_f, W_i, W_o, W_g \in \mathbb{R}^{m \times m}$, $x_t \in \mathbb{R}^d$, $h_{t-1}, c_{t-1} \in \mathbb{R}^m$,
$U_f, U_i, U_o, U_g \in \mathbb{R}^{m \times d}$.

$$f_t = \sigma(W_f h_{t-1} + U_f x_t)$$

$$i_t = \sigma(W_i h_{t-1} + U_i x_t)$$

$$o_t = \sigma(W_o h_{t-1} + U_o x_t)$$

$$g_t = \tanh(W_g h_{t-1} + U_g x_t)$$

$$c_t = f_t \odot c_{t-1} + i_t \odot g_t$$

$$h_t = o_t \odot \tanh(c_t)$$
"""
RELU_BATCH = r"""Let $X \in \mathbb{R}^{N \times D}$, $W \in \mathbb{R}^{D \times M}$, $b \in \mathbb{R}^{M}$, $Y = XW + b$ and
$H = \mathrm{ReLU}(Y)$.
"""
BPTT = r"""Let $W \in \mathbb{R}^{m \times m}$, $U \in \mathbb{R}^{m \times d}$, $b \in \mathbb{R}^m$,
$x_t \in \mathbb{R}^d$, $y_t \in \mathbb{R}^m$.

$$a_t = W h_{t-1} + U x_t + b$$

$$h_t = \tanh(a_t)$$

$$L = \sum_{t=1}^{T} \frac12 \|h_t - y_t\|^2$$

$$\delta_t = \frac{\partial L}{\partial a_t}$$
"""


# ------------------------------------------------------------------ oracles in torch
def _column(g):
    W, x, t = g.rand("W", "m", "n"), g.rand("x", "n", 1), g.rand("t", "m", 1)
    y = W @ x
    L = 0.5 * ((y - t).T @ (y - t)).sum()
    return L, dict(W=W, x=x, t=t, y=y)


def _mse(g):
    W, b, x, y = g.rand("W", "m", "n"), g.rand("b", "m", 1), g.rand("x", "n", 1), g.rand("y", "m", 1)
    yhat = W @ x + b
    return ((yhat - y) ** 2).sum(), dict(W=W, b=b, x=x, y=y, yhat=yhat)


def _softmax(g):
    z = g.rand("z", "K", 1)
    y = torch.zeros(SIZES["K"], 1)
    y[1, 0] = 1.0
    p = torch.softmax(z, dim=0)
    return -(y * torch.log(p)).sum(), dict(z=z, y=y, p=p)


def _batch(g):
    X, W, b = g.rand("X", "N", "D"), g.rand("W", "D", "M"), g.rand("b", "M", 1)
    Y = X @ W + b.T
    G = torch.randn(Y.shape)  # L, a general function of Y: its gradient dY is G
    return (G * Y).sum(), dict(X=X, W=W, b=b, Y=Y, dY=G)


def _rnn(g):
    W, U, x, h0 = g.rand("W", "m", "m"), g.rand("U", "m", "d"), g.rand("x_t", "d", 1), g.rand("h_prev", "m", 1)
    h = torch.tanh(W @ h0 + U @ x)
    return h, dict(W=W, U=U, x_t=x, h_prev=h0, h=h)


def _relu(g):
    W, x, v = g.rand("W", "m", "n"), g.rand("x", "n", 1), g.rand("v", "m", 1)
    z = W @ x
    return (v * torch.relu(z)).sum(), dict(W=W, x=x, v=v, z=z)


def _sigmoid(g):
    W, b, x = g.rand("W", "m", "n"), g.rand("b", "m", 1), g.rand("x", "n", 1)
    h = torch.sigmoid(W @ x + b)
    G = torch.randn(h.shape)  # L, a general function of h: δ = G
    return (G * h).sum(), dict(W=W, b=b, x=x, h=h, delta=G)


def _bold(g):
    W, b, x, y = g.rand("W", "m", "n"), g.rand("b", "m", 1), g.rand("x", "n", 1), g.rand("y", "m", 1)
    z = W @ x + b
    a = torch.sigmoid(z)
    return 0.5 * ((a - y) ** 2).sum(), dict(W=W, b=b, x=x, y=y, z=z, a=a)


def _superscript(g):
    T = SIZES["T"]
    W, U = g.rand("W", "m", "m"), g.rand("U", "m", "d")
    h = [torch.randn(SIZES["m"], 1)]
    for _ in range(T):
        h.append(torch.tanh(W @ h[-1] + U @ torch.randn(SIZES["d"], 1)))
        h[-1].retain_grad()
    G = [None] + [torch.randn(SIZES["m"], 1) for _ in range(T)]  # L, a general function of every h_t
    L = sum((G[t] * h[t]).sum() for t in range(1, T + 1))
    L.backward(retain_graph=True)
    delta = [None] + [h[t].grad * (1 - h[t] ** 2) for t in range(1, T + 1)]
    W.grad = U.grad = None
    return L, dict(W=W, h=h, delta=delta, T=T)


def _lstm(g):
    x, h0, c0 = g.rand("x_t", "d", 1), g.rand("h_prev", "m", 1), g.rand("c_prev", "m", 1)
    W = {k: g.rand("W", "m", "m") for k in "fiog"}
    U = {k: g.rand("U", "m", "d") for k in "fiog"}
    pre = {k: W[k] @ h0 + U[k] @ x for k in "fiog"}
    f, i, o, gg = (torch.sigmoid(pre["f"]), torch.sigmoid(pre["i"]), torch.sigmoid(pre["o"]), torch.tanh(pre["g"]))
    c = f * c0 + i * gg
    h = o * torch.tanh(c)
    return h, dict(c=c, c_prev=c0, f=f, o=o)


def _relu_batch(g):
    X, W, b = g.rand("X", "N", "D"), g.rand("W", "D", "M"), g.rand("b", "M", 1)
    Y = X @ W + b.T
    G = torch.randn(Y.shape)  # L, a general function of H: dH is G
    return (G * torch.relu(Y)).sum(), dict(X=X, W=W, Y=Y, dH=G)


def _bptt(g):
    T = SIZES["T"]
    W, U, b = g.rand("W", "m", "m"), g.rand("U", "m", "d"), g.rand("b", "m", 1)
    xs = [torch.randn(SIZES["d"], 1) for _ in range(T + 1)]
    ys = [torch.randn(SIZES["m"], 1) for _ in range(T + 1)]
    h = [torch.randn(SIZES["m"], 1)]
    a = [None]
    for t in range(1, T + 1):
        a.append(W @ h[t - 1] + U @ xs[t] + b)
        a[t].retain_grad()
        h.append(torch.tanh(a[t]))
    L = sum(0.5 * ((h[t] - ys[t]) ** 2).sum() for t in range(1, T + 1))
    L.backward(retain_graph=True)
    delta = [None] + [a[t].grad.clone() for t in range(1, T + 1)]
    W.grad = U.grad = b.grad = None
    return L, dict(W=W, U=U, b=b, x=xs, h=h, delta=delta, T=T)


class _Tensors:
    def __init__(self, seed):
        torch.manual_seed(seed)

    def rand(self, name, rows, cols):
        shape = tuple(SIZES[d] if isinstance(d, str) else d for d in (rows, cols))
        return torch.randn(shape, requires_grad=True)


def _grad(L, wrt):
    return torch.autograd.grad(L, wrt, retain_graph=True)[0]


def _jacobian(h, wrt):
    return torch.cat([torch.autograd.grad(h[i, 0], wrt, retain_graph=True)[0].T for i in range(h.shape[0])])


def _diag(v):
    return torch.diag(v.reshape(-1))


def _sum_t(q, f):
    return sum(f(t) for t in range(1, q["T"] + 1))


# (document, relation, expected, oracle, truth(L, q), claim(q), id)
CASES = [
    (COLUMN, r"\frac{\partial L}{\partial W} = (y - t) x^\top", "valid", _column,
     lambda L, q: _grad(L, q["W"]), lambda q: (q["y"] - q["t"]) @ q["x"].T, "column dW"),
    (COLUMN, r"\frac{\partial L}{\partial W} = x (y-t)^\top", "invalid", _column,
     lambda L, q: _grad(L, q["W"]), lambda q: q["x"] @ (q["y"] - q["t"]).T, "column dW order"),
    (COLUMN, r"\frac{\partial L}{\partial W} = 2 (y - t) x^\top", "invalid", _column,
     lambda L, q: _grad(L, q["W"]), lambda q: 2 * (q["y"] - q["t"]) @ q["x"].T, "column dW factor 2"),
    (COLUMN, r"\frac{\partial L}{\partial W} = (t - y) x^\top", "invalid", _column,
     lambda L, q: _grad(L, q["W"]), lambda q: (q["t"] - q["y"]) @ q["x"].T, "column dW sign"),
    (COLUMN, r"\frac{\partial L}{\partial x} = W^\top (y - t)", "valid", _column,
     lambda L, q: _grad(L, q["x"]), lambda q: q["W"].T @ (q["y"] - q["t"]), "column dx"),
    (COLUMN, r"\frac{\partial L}{\partial x} = W (y - t)", "invalid", _column,
     lambda L, q: _grad(L, q["x"]), None, "column dx no transpose"),
    (MSE, r"\frac{\partial L}{\partial W} = 2(\hat{y} - y) x^\top", "valid", _mse,
     lambda L, q: _grad(L, q["W"]), lambda q: 2 * (q["yhat"] - q["y"]) @ q["x"].T, "mse dW"),
    (MSE, r"\frac{\partial L}{\partial W} = (\hat{y} - y) x^\top", "invalid", _mse,
     lambda L, q: _grad(L, q["W"]), lambda q: (q["yhat"] - q["y"]) @ q["x"].T, "mse dW without 2"),
    (MSE, r"\frac{\partial L}{\partial b} = 2(\hat{y} - y)", "valid", _mse,
     lambda L, q: _grad(L, q["b"]), lambda q: 2 * (q["yhat"] - q["y"]), "mse db"),
    (MSE, r"\nabla_x L = 2 W^\top (\hat{y} - y)", "valid", _mse,
     lambda L, q: _grad(L, q["x"]), lambda q: 2 * q["W"].T @ (q["yhat"] - q["y"]), "mse nabla x"),
    (MSE, r"\frac{\partial L}{\partial x} = 2 (\hat{y} - y)^\top W", "valid", _mse,
     lambda L, q: _grad(L, q["x"]).T, lambda q: 2 * (q["yhat"] - q["y"]).T @ q["W"], "mse dx as a row"),
    (SOFTMAX, r"\frac{\partial L}{\partial z} = \hat{y} - y", "valid", _softmax,
     lambda L, q: _grad(L, q["z"]), lambda q: q["p"] - q["y"], "softmax ce"),
    (SOFTMAX, r"\frac{\partial L}{\partial z} = y - \hat{y}", "invalid", _softmax,
     lambda L, q: _grad(L, q["z"]), lambda q: q["y"] - q["p"], "softmax ce sign"),
    (SOFTMAX, r"\frac{\partial L}{\partial z} = \hat{y}", "invalid", _softmax,
     lambda L, q: _grad(L, q["z"]), lambda q: q["p"], "softmax ce without y"),
    (SOFTMAX, r"\frac{\partial \hat{y}}{\partial z} = \mathrm{diag}(\hat{y}) - \hat{y}\hat{y}^\top", "valid",
     _softmax, lambda L, q: _jacobian(q["p"], q["z"]), lambda q: _diag(q["p"]) - q["p"] @ q["p"].T,
     "softmax jacobian"),
    (SOFTMAX, r"\frac{\partial \hat{y}}{\partial z} = \mathrm{diag}(\hat{y})", "invalid", _softmax,
     lambda L, q: _jacobian(q["p"], q["z"]), lambda q: _diag(q["p"]), "softmax jacobian diag only"),
    (SOFTMAX_DOT, r"\frac{\partial L}{\partial z} = p - y", "valid", _softmax,
     lambda L, q: _grad(L, q["z"]), lambda q: q["p"] - q["y"], "softmax ce y^T log p"),
    (SOFTMAX_DOT, r"\frac{\partial L}{\partial z} = p \odot (1 - p) - y", "invalid", _softmax,
     lambda L, q: _grad(L, q["z"]), lambda q: q["p"] * (1 - q["p"]) - q["y"], "softmax ce with sigma'"),
    (BATCH, r"dW = X^\top dY", "valid", _batch,
     lambda L, q: _grad(L, q["W"]), lambda q: q["X"].T @ q["dY"], "batch dW"),
    (BATCH, r"\frac{\partial L}{\partial W} = X^\top \frac{\partial L}{\partial Y}", "valid", _batch,
     lambda L, q: _grad(L, q["W"]), lambda q: q["X"].T @ q["dY"], "batch dW as fractions"),
    (BATCH, r"dW = dY X^\top", "invalid", _batch, lambda L, q: _grad(L, q["W"]), None, "batch dW order"),
    (BATCH, r"dX = dY W^\top", "valid", _batch,
     lambda L, q: _grad(L, q["X"]), lambda q: q["dY"] @ q["W"].T, "batch dX"),
    (BATCH, r"dX = dY W", "invalid", _batch, lambda L, q: _grad(L, q["X"]), None, "batch dX no transpose"),
    (BATCH, r"db = \sum_n dY_n", "valid", _batch,
     lambda L, q: _grad(L, q["b"]).T, lambda q: q["dY"].sum(0, keepdim=True), "batch db sum over n"),
    (BATCH, r"db = \mathbf{1}^\top dY", "valid", _batch,
     lambda L, q: _grad(L, q["b"]).T, lambda q: torch.ones(1, SIZES["N"]) @ q["dY"], "batch db ones"),
    (BATCH, r"db = dY^\top \mathbf{1}", "valid", _batch,
     lambda L, q: _grad(L, q["b"]), lambda q: q["dY"].T @ torch.ones(SIZES["N"], 1), "batch db column"),
    (BATCH, r"db = dY", "invalid", _batch, lambda L, q: _grad(L, q["b"]), lambda q: q["dY"],
     "batch db without the sum"),
    (RNN, r"\frac{\partial h_t}{\partial h_{t-1}} = \mathrm{diag}(1 - h_t^2) W", "valid", _rnn,
     lambda h, q: _jacobian(h, q["h_prev"]), lambda q: _diag(1 - q["h"] ** 2) @ q["W"], "rnn jacobian"),
    (RNN, r"\frac{\partial h_t}{\partial h_{t-1}} = W^\top \mathrm{diag}(1 - h_t^2)", "valid", _rnn,
     lambda h, q: _jacobian(h, q["h_prev"]).T, lambda q: q["W"].T @ _diag(1 - q["h"] ** 2),
     "rnn jacobian denominator layout"),
    (RNN, r"\frac{\partial h_t}{\partial h_{t-1}} = \mathrm{diag}(1 - h_t^2) W^\top", "invalid", _rnn,
     lambda h, q: _jacobian(h, q["h_prev"]), lambda q: _diag(1 - q["h"] ** 2) @ q["W"].T,
     "rnn jacobian transpose inside"),
    (RNN, r"\frac{\partial h_t}{\partial h_{t-1}} = W", "invalid", _rnn,
     lambda h, q: _jacobian(h, q["h_prev"]), lambda q: q["W"], "rnn jacobian without diag"),
    (RNN, r"\frac{\partial h_t}{\partial h_{t-1}} = \mathrm{diag}(1 - h_{t-1}^2) W", "invalid", _rnn,
     lambda h, q: _jacobian(h, q["h_prev"]), lambda q: _diag(1 - q["h_prev"] ** 2) @ q["W"],
     "rnn jacobian with h_{t-1}"),
    (RNN, r"\frac{\partial h_t}{\partial x_t} = \mathrm{diag}(1 - h_t^2) U", "valid", _rnn,
     lambda h, q: _jacobian(h, q["x_t"]), lambda q: _diag(1 - q["h"] ** 2) @ q["U"], "rnn input jacobian"),
    (RNN_NUMERATOR, r"\frac{\partial h_t}{\partial h_{t-1}} = \mathrm{diag}(1 - h_t^2) W", "valid", _rnn,
     lambda h, q: _jacobian(h, q["h_prev"]), lambda q: _diag(1 - q["h"] ** 2) @ q["W"],
     "numerator layout stated"),
    (RNN_NUMERATOR, r"\frac{\partial h_t}{\partial h_{t-1}} = W^\top \mathrm{diag}(1 - h_t^2)", "invalid", _rnn,
     lambda h, q: _jacobian(h, q["h_prev"]), lambda q: q["W"].T @ _diag(1 - q["h"] ** 2),
     "denominator claim, numerator layout stated"),
    (RELU, r"\frac{\partial L}{\partial z} = v \odot \mathbb{1}[z > 0]", "valid", _relu,
     lambda L, q: _grad(L, q["z"]), lambda q: q["v"] * (q["z"] > 0), "relu dz"),
    (RELU, r"\frac{\partial L}{\partial z} = v", "invalid", _relu,
     lambda L, q: _grad(L, q["z"]), lambda q: q["v"], "relu dz without the indicator"),
    (RELU, r"\frac{\partial L}{\partial W} = (v \odot \mathbb{1}[z > 0]) x^\top", "valid", _relu,
     lambda L, q: _grad(L, q["W"]), lambda q: (q["v"] * (q["z"] > 0)) @ q["x"].T, "relu dW"),
    (SIGMOID, r"\frac{\partial L}{\partial W} = (\delta \odot h \odot (1 - h)) x^\top", "valid", _sigmoid,
     lambda L, q: _grad(L, q["W"]), lambda q: (q["delta"] * q["h"] * (1 - q["h"])) @ q["x"].T, "sigmoid dW"),
    (SIGMOID, r"\frac{\partial L}{\partial W} = \delta x^\top", "invalid", _sigmoid,
     lambda L, q: _grad(L, q["W"]), lambda q: q["delta"] @ q["x"].T, "sigmoid dW without sigma'"),
    (SIGMOID, r"\frac{\partial L}{\partial b} = \delta \odot \sigma'(Wx + b)", "valid", _sigmoid,
     lambda L, q: _grad(L, q["b"]), lambda q: q["delta"] * q["h"] * (1 - q["h"]), "sigmoid db with sigma'"),
    (SIGMOID, r"\frac{\partial L}{\partial x} = W^\top (\delta \odot h \odot (1 - h))", "valid", _sigmoid,
     lambda L, q: _grad(L, q["x"]), lambda q: q["W"].T @ (q["delta"] * q["h"] * (1 - q["h"])), "sigmoid dx"),
    (SOFTMAX_DOT, r"\frac{\partial L}{\partial z} = \frac{\partial L}{\partial p} \frac{\partial p}{\partial z}", "valid",
     _softmax, lambda L, q: _grad(L, q["z"]).T, lambda q: _grad(-(q["y"] * torch.log(q["p"])).sum(), q["p"]).T
     @ _jacobian(q["p"], q["z"]), "chain rule, gradients as rows"),
    (SOFTMAX_DOT, r"\frac{\partial L}{\partial z} = \left(\frac{\partial p}{\partial z}\right)^\top \frac{\partial L}{\partial p}",
     "valid", _softmax, lambda L, q: _grad(L, q["z"]), lambda q: _jacobian(q["p"], q["z"]).T
     @ _grad(-(q["y"] * torch.log(q["p"])).sum(), q["p"]), "chain rule, gradients as columns"),
    (BOLD, r"\frac{\partial \mathcal{L}}{\partial \mathbf{W}} = \left[(\mathbf{a} - \mathbf{y}) \odot \sigma'(\mathbf{z})\right] \mathbf{x}^T",
     "valid", _bold, lambda L, q: _grad(L, q["W"]),
     lambda q: ((q["a"] - q["y"]) * q["a"] * (1 - q["a"])) @ q["x"].T, "bold dW"),
    (BOLD, r"\frac{\partial \mathcal{L}}{\partial \mathbf{W}} = \mathbf{x}^T \left[(\mathbf{a} - \mathbf{y}) \odot \sigma'(\mathbf{z})\right]",
     "invalid", _bold, lambda L, q: _grad(L, q["W"]), None, "bold dW order"),
    (BOLD, r"\frac{\partial \mathcal{L}}{\partial \mathbf{b}} = \mathbf{a} - \mathbf{y}", "invalid", _bold,
     lambda L, q: _grad(L, q["b"]), lambda q: q["a"] - q["y"], "bold db without sigma'"),
    (SUPERSCRIPT, r"\frac{\partial L}{\partial W} = \sum_{t=1}^{T} \delta^{(t)} (h^{(t-1)})^\top", "valid",
     _superscript, lambda L, q: _grad(L, q["W"]),
     lambda q: _sum_t(q, lambda t: q["delta"][t] @ q["h"][t - 1].T), "superscript time dW"),
    (SUPERSCRIPT, r"\frac{\partial L}{\partial W} = \sum_{t=1}^{T} \delta^{(t)} (h^{(t)})^\top", "invalid",
     _superscript, lambda L, q: _grad(L, q["W"]),
     lambda q: _sum_t(q, lambda t: q["delta"][t] @ q["h"][t].T), "superscript time dW with h_t"),
    (LSTM, r"\frac{\partial c_t}{\partial c_{t-1}} = \mathrm{diag}(f_t)", "valid", _lstm,
     lambda h, q: _jacobian(q["c"], q["c_prev"]), lambda q: _diag(q["f"]), "lstm dc/dc_prev"),
    (LSTM, r"\frac{\partial c_t}{\partial c_{t-1}} = f_t", "invalid", _lstm,
     lambda h, q: _jacobian(q["c"], q["c_prev"]), lambda q: q["f"], "lstm dc/dc_prev as a vector"),
    (LSTM, r"\frac{\partial h_t}{\partial c_t} = \mathrm{diag}(o_t) \mathrm{diag}(1 - \tanh^2(c_t))", "valid", _lstm,
     lambda h, q: _jacobian(h, q["c"]), lambda q: _diag(q["o"]) @ _diag(1 - torch.tanh(q["c"]) ** 2), "lstm dh/dc"),
    (LSTM, r"\frac{\partial h_t}{\partial c_{t-1}} = \mathrm{diag}(o_t \odot (1 - \tanh(c_t)^2) \odot f_t)", "valid",
     _lstm, lambda h, q: _jacobian(h, q["c_prev"]),
     lambda q: _diag(q["o"] * (1 - torch.tanh(q["c"]) ** 2) * q["f"]), "lstm dh/dc_prev"),
    (LSTM, r"\frac{\partial h_t}{\partial c_{t-1}} = \mathrm{diag}(o_t \odot (1 - \tanh(c_t)^2))", "invalid", _lstm,
     lambda h, q: _jacobian(h, q["c_prev"]), lambda q: _diag(q["o"] * (1 - torch.tanh(q["c"]) ** 2)),
     "lstm dh/dc_prev without f"),
    (RELU_BATCH, r"dW = X^\top (dH \odot \mathbb{1}[Y > 0])", "valid", _relu_batch,
     lambda L, q: _grad(L, q["W"]), lambda q: q["X"].T @ (q["dH"] * (q["Y"] > 0)), "relu batch dW"),
    (RELU_BATCH, r"dW = X^\top dH", "invalid", _relu_batch,
     lambda L, q: _grad(L, q["W"]), lambda q: q["X"].T @ q["dH"], "relu batch dW without the mask"),
    (RELU_BATCH, r"dX = (dH \odot \mathbb{1}[Y > 0]) W^\top", "valid", _relu_batch,
     lambda L, q: _grad(L, q["X"]), lambda q: (q["dH"] * (q["Y"] > 0)) @ q["W"].T, "relu batch dX"),
    (BPTT, r"\frac{\partial L}{\partial W} = \sum_{t=1}^{T} \delta_t h_{t-1}^\top", "valid", _bptt,
     lambda L, q: _grad(L, q["W"]), lambda q: _sum_t(q, lambda t: q["delta"][t] @ q["h"][t - 1].T), "bptt dW"),
    (BPTT, r"\frac{\partial L}{\partial W} = \sum_t \delta_t h_{t-1}^\top", "valid", _bptt,
     lambda L, q: _grad(L, q["W"]), lambda q: _sum_t(q, lambda t: q["delta"][t] @ q["h"][t - 1].T),
     "bptt dW sum_t"),
    (BPTT, r"\frac{\partial L}{\partial W} = \sum_{t=1}^{T} \delta_t h_t^\top", "invalid", _bptt,
     lambda L, q: _grad(L, q["W"]), lambda q: _sum_t(q, lambda t: q["delta"][t] @ q["h"][t].T),
     "bptt dW with h_t"),
    (BPTT, r"\frac{\partial L}{\partial W} = \sum_{t=1}^{T} h_{t-1} \delta_t^\top", "invalid", _bptt,
     lambda L, q: _grad(L, q["W"]), lambda q: _sum_t(q, lambda t: q["h"][t - 1] @ q["delta"][t].T),
     "bptt dW transposed"),
    (BPTT, r"\frac{\partial L}{\partial U} = \sum_{t=1}^{T} \delta_t x_t^\top", "valid", _bptt,
     lambda L, q: _grad(L, q["U"]), lambda q: _sum_t(q, lambda t: q["delta"][t] @ q["x"][t].T), "bptt dU"),
    (BPTT, r"\frac{\partial L}{\partial b} = \sum_{t=1}^{T} \delta_t", "valid", _bptt,
     lambda L, q: _grad(L, q["b"]), lambda q: _sum_t(q, lambda t: q["delta"][t]), "bptt db"),
    (BPTT, r"\frac{\partial L}{\partial b} = \delta_T", "invalid", _bptt,
     lambda L, q: _grad(L, q["b"]), lambda q: q["delta"][q["T"]], "bptt db last step only"),
]


def _relations(doc):
    return [r for r in check_text(doc, timeout=30).relations if not r.reason.startswith("assumption")]


@pytest.mark.parametrize("doc, relation, expected", [pytest.param(c[0], c[1], c[2], id=c[-1]) for c in CASES])
def test_verdict(doc, relation, expected):
    rels = _relations(doc + f"\n$${relation}$$\n")
    assert all(r.verdict.value != "invalid" for r in rels[:-1]), [r.reason for r in rels]
    assert rels[-1].verdict.value == expected, rels[-1].reason


@pytest.mark.parametrize("oracle, truth, claim, expected",
                         [pytest.param(c[3], c[4], c[5], c[2], id=c[-1]) for c in CASES if c[5] is not None])
def test_the_expected_verdict_agrees_with_autograd(oracle, truth, claim, expected):
    for seed in (0, 1):
        L, q = oracle(_Tensors(seed))
        true, claimed = truth(L, q), claim(q).to(torch.float64)
        agrees = true.shape == claimed.shape and torch.allclose(true, claimed, atol=1e-10, rtol=1e-10)
        assert agrees == (expected == "valid"), (true, claimed)


def test_shape_mismatch_names_the_shapes():
    rel = _relations(COLUMN + r"$$\frac{\partial L}{\partial W} = x (y - t)^\top$$")[-1]
    assert rel.verdict.value == "invalid" and "different shapes: 2×3 and 3×2" in rel.reason


def test_value_mismatch_names_sizes_and_entry():
    rel = _relations(COLUMN + r"$$\frac{\partial L}{\partial W} = 2 (y - t) x^\top$$")[-1]
    assert rel.verdict.value == "invalid" and "entry (" in rel.reason and "m = 2, n = 3" in rel.reason
    assert rel.counterexample and rel.counterexample["lhs"] != rel.counterexample["rhs"]


def test_denominator_layout_is_named():
    rel = _relations(RNN + r"$$\frac{\partial h_t}{\partial h_{t-1}} = W^\top \mathrm{diag}(1 - h_t^2)$$")[-1]
    assert rel.verdict.value == "valid" and "denominator layout" in rel.reason


def test_stated_denominator_layout_refuses_the_numerator_form():
    doc = "Jacobians are in the denominator layout.\n\n" + RNN
    rels = _relations(doc + r"$$\frac{\partial h_t}{\partial h_{t-1}} = \mathrm{diag}(1 - h_t^2) W$$"
                      "\n\n" r"$$\frac{\partial h_t}{\partial h_{t-1}} = W^\top \mathrm{diag}(1 - h_t^2)$$")
    assert [r.verdict.value for r in rels[-2:]] == ["invalid", "valid"], [r.reason for r in rels[-2:]]


def test_juxtaposed_declared_names_are_a_product():
    report = check_text(COLUMN + r"$$\frac{\partial L}{\partial W} = (y - t) x^\top$$", timeout=30)
    assert "product W·x" in report.glossary.get("Wx", "")


def test_a_sum_over_time_with_undefined_steps_is_not_valid():
    doc = (r"Let $W \in \mathbb{R}^{m \times m}$ and $h_t = \tanh(W h_{t-1})$." "\n\n"
           r"$$\frac{\partial L}{\partial W} = \sum_{t=1}^{T} \delta_t h_{t-1}^\top$$")
    assert _relations(doc)[-1].verdict.value != "valid"


def test_probability_target_is_stated_in_the_reason():
    rel = _relations(SOFTMAX_DOT + r"$$\frac{\partial L}{\partial z} = p - y$$")[-1]
    assert rel.verdict.value == "valid" and "one-hot or probability vector" in rel.reason


def test_target_defined_by_another_formula_is_not_valid():
    doc = (r"Let $W \in \mathbb{R}^{K \times n}$, $x \in \mathbb{R}^n$, $z \in \mathbb{R}^K$, $y = Wx$, "
           r"$p = \mathrm{softmax}(z)$, $L = -y^\top \log p$." "\n\n" r"$$\frac{\partial L}{\partial z} = p - y$$")
    rel = _relations(doc)[-1]
    assert rel.verdict.value == "unverifiable" and "defines y" in rel.reason


def test_a_step_quantity_outside_the_sum_over_time_is_not_valid():
    wrong = _relations(BPTT + r"$$\frac{\partial L}{\partial h_{t-1}} = W \delta_t$$")[-1]
    right = _relations(BPTT + r"$$\frac{\partial L}{\partial h_{t-1}} = W^\top \delta_t$$")[-1]
    assert wrong.verdict.value != "valid" and right.verdict.value != "invalid", (wrong.reason, right.reason)


def test_accent_over_a_bold_name_and_numeric_sizes():
    doc = (r"Let $\mathbf{x} \in \mathbb{R}^4$, $W \in \mathbb{R}^{2\times 4}$, $\hat{\mathbf{y}} = W\mathbf{x}$, "
           r"$L = \frac{1}{2}\|\hat{\mathbf{y}} - \mathbf{y}\|^2$." "\n\n"
           r"$$\frac{\partial L}{\partial W} = (\hat{\mathbf{y}} - \mathbf{y}) \mathbf{x}^\top$$" "\n\n"
           r"$$\frac{\partial L}{\partial W} = \mathbf{x} (\hat{\mathbf{y}} - \mathbf{y})^\top$$")
    right, wrong = _relations(doc)[-2:]
    assert (right.verdict.value, wrong.verdict.value) == ("valid", "invalid"), (right.reason, wrong.reason)
    assert "at the sizes declared" in right.reason
    x, W, y = torch.randn(4, 1), torch.randn(2, 4, requires_grad=True), torch.randn(2, 1)
    L = 0.5 * ((W @ x - y) ** 2).sum()
    assert torch.allclose(torch.autograd.grad(L, W)[0], (W @ x - y) @ x.T)


RNN_UNDECLARED_INPUT = r"""Let $\mathbf{h}_t = \tanh(W_{hh}\mathbf{h}_{t-1} + W_{xh}\mathbf{x}_t)$ with $\mathbf{h}_t \in \mathbb{R}^{n}$,
and $\boldsymbol{\delta}_t = \partial L / \partial \mathbf{h}_t$.
"""


@pytest.mark.parametrize("relation, expected", [
    (r"\frac{\partial \mathbf{h}_t}{\partial \mathbf{h}_{t-1}} = \operatorname{diag}(1 - \mathbf{h}_t^2) W_{hh}", "valid"),
    (r"\frac{\partial \mathbf{h}_t}{\partial \mathbf{h}_{t-1}} = W_{hh} \operatorname{diag}(1 - \mathbf{h}_t^2)", "invalid"),
    (r"\left(\frac{\partial \mathbf{h}_t}{\partial \mathbf{h}_{t-1}}\right)^\top \boldsymbol{\delta}_t = "
     r"W_{hh}^\top ((1 - \mathbf{h}_t^2) \odot \boldsymbol{\delta}_t)", "valid"),
    (r"\left(\frac{\partial \mathbf{h}_t}{\partial \mathbf{h}_{t-1}}\right)^\top \boldsymbol{\delta}_t = "
     r"W_{hh} ((1 - \mathbf{h}_t^2) \odot \boldsymbol{\delta}_t)", "invalid"),
])
def test_shapes_of_every_step_and_one_gradient_of_an_undefined_loss(relation, expected):
    # h_t ∈ ℝ^n declares h_{t-1}; W_hh is n × n by the recurrence; the input size is a size of its own.
    # δ_t is the one gradient of L, a loss only named: the identity must hold for every δ_t (else it is false
    # as the general statement it is written as).
    rel = _relations(RNN_UNDECLARED_INPUT + f"\n$${relation}$$\n")[-1]
    assert rel.verdict.value == expected, rel.reason
    W, h0, u = torch.randn(3, 3), torch.randn(3, 1, requires_grad=True), torch.randn(3, 1)
    h = torch.tanh(W @ h0 + u)
    J = torch.cat([torch.autograd.grad(h[i, 0], h0, retain_graph=True)[0].T for i in range(3)])
    delta = torch.randn(3, 1)
    truth = {"valid": True}.get(expected, False)
    if "diag" in relation:
        claim = _diag(1 - h ** 2) @ W if relation.index("diag") < relation.index("W_{hh}") else W @ _diag(1 - h ** 2)
        assert torch.allclose(J, claim) == truth
    else:
        claim = (W.T if "W_{hh}^\\top" in relation else W) @ ((1 - h ** 2) * delta)
        assert torch.allclose(J.T @ delta, claim) == truth


def test_a_loss_written_as_a_function_of_its_parameters():
    doc = (r"With $X \in \mathbb{R}^{n \times d}$ let $L(\mathbf{w}) = \frac{1}{2}\|X\mathbf{w} - \mathbf{y}\|_2^2$." "\n\n"
           r"$$L(\mathbf{w}) = \frac{1}{2}\mathbf{w}^\top X^\top X\mathbf{w} - \mathbf{y}^\top X\mathbf{w} + "
           r"\frac{1}{2}\mathbf{y}^\top\mathbf{y}$$" "\n\n"
           r"$$\nabla_{\mathbf{w}} L = X^\top (X\mathbf{w} - \mathbf{y})$$" "\n\n"
           r"$$\nabla_{\mathbf{w}} L = X (X\mathbf{w} - \mathbf{y})$$")
    rels = _relations(doc)
    assert [r.verdict.value for r in rels[-3:]] == ["valid", "valid", "invalid"], [r.reason for r in rels[-3:]]
    X, y, w = torch.randn(3, 2), torch.randn(3, 1), torch.randn(2, 1, requires_grad=True)
    L = 0.5 * ((X @ w - y) ** 2).sum()
    assert torch.allclose(torch.autograd.grad(L, w)[0], X.T @ (X @ w - y))


def test_a_condition_on_given_vectors_is_not_refuted():
    rel = _relations(r"Let $y \in \mathbb{R}^K$ be a probability vector." "\n\n" r"$$\sum_i y_i = 1$$")[-1]
    assert rel.verdict.value == "unverifiable", rel.reason


REGULARISED = r"""A penalised loss: $\tilde L(\mathbf{w}) = L(\mathbf{w}) + \frac{\lambda}{2}\|\mathbf{w}\|_2^2$.
"""


@pytest.mark.parametrize("claim, holds", [
    (r"\nabla_{\mathbf{w}} \tilde L = \nabla_{\mathbf{w}} L + \lambda \mathbf{w}", True),
    (r"\nabla_{\mathbf{w}} \tilde L = \nabla_{\mathbf{w}} L + 2\lambda \mathbf{w}", False),
    (r"\nabla_{\mathbf{w}} \tilde L = \nabla_{\mathbf{w}} L", False),
])
def test_a_loss_built_from_a_general_loss(claim, holds):
    """L is any function of w: the torch oracle takes two unrelated ones; a claim off by a multiple of w is false
    for both, so it is invalid whatever L is."""
    w, lam = torch.randn(4, requires_grad=True), 0.7
    coefficient = {"+ \\lambda": 1.0, "+ 2\\lambda": 2.0}
    scale = next((v for k, v in coefficient.items() if k in claim), 0.0)
    for loss in (lambda v: (v ** 3).sum(), lambda v: torch.sin(v).prod()):
        g_plain = torch.autograd.grad(loss(w), w)[0]
        g_tilde = torch.autograd.grad(loss(w) + lam / 2 * (w ** 2).sum(), w)[0]
        assert torch.allclose(g_tilde, g_plain + scale * lam * w) == holds
    rels = check_text(REGULARISED + f"\n$${claim}$$\n", timeout=20).relations
    assert rels[0].verdict.value == "valid", rels[0].reason  # the definition of the penalised loss
    assert rels[-1].verdict.value == ("valid" if holds else "invalid"), rels[-1].reason
