"""The parameters a conv or pooling layer accepts, checked as PyTorch checks them."""
from __future__ import annotations

import operator

from ..errors import DlderiveError
from .formulas import MAX_SIZE

def _what(v) -> str:
    return {bool: "a boolean", float: "a number with a fraction part", str: "a string", type(None): "None"}.get(
        type(v), type(v).__name__)


def integer(name: str, v) -> int:
    """``v`` as a Python int: ints and NumPy integers; bool, float, None and anything else refused by name."""
    if type(v).__name__ in ("bool", "bool_"):
        raise DlderiveError(f"{name}: must be an integer, not a boolean ({v!r})")
    try:
        value = operator.index(v)
    except TypeError:
        raise DlderiveError(f"{name}: must be an integer, not {_what(v)} ({v!r})") from None
    if abs(value) > MAX_SIZE:
        raise DlderiveError(f"{name}: {value} exceeds the bound {MAX_SIZE}")
    return value


def flag(name: str, v) -> bool:
    """``v`` as a bool: True or False (NumPy's too); anything else refused by name."""
    if type(v).__name__ not in ("bool", "bool_"):
        raise DlderiveError(f"{name}: must be True or False, not {_what(v)} ({v!r})")
    return bool(v)


def integers(name: str, value) -> tuple[int, ...]:
    """An integer or a sequence of integers (a tuple, a list, a NumPy array) as a tuple of ints."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return (integer(name, value),)
    values = tuple(value)
    if not values or len(values) > 3:
        raise DlderiveError(f"{name}: one to three values, one per spatial dimension (got {len(values)})")
    return tuple(integer(f"{name}[{i}]" if len(values) > 1 else name, v) for i, v in enumerate(values))


def per_dim(name, value, n):
    """An int or a tuple of ints (one per dimension) as a tuple of n ints; bounded."""
    values = integers(name, value)
    if len(values) == 1 and n > 1:
        values = values * n
    if len(values) != n:
        raise DlderiveError(f"{name}: {len(values)} values given for a {n}-D input")
    return values


def require(ok, message):
    if not ok:
        raise DlderiveError(message)


def check_common(kind, size, k, s, p, d, op, fixed_padding=True):
    require(size >= 1, f"input: sizes must be positive integers (got {size})")
    require(k >= 1, f"kernel: must be a positive integer (got {k})")
    require(s >= 1, f"stride: must be a positive integer (got {s})")
    require(d >= 1, f"dilation: must be a positive integer (got {d})")
    require(p >= 0, f"padding: must be a non-negative integer (got {p})")
    require(op >= 0, f"output_padding: must be a non-negative integer (got {op})")
    if kind == "avgpool":
        require(d == 1, f"dilation: average pooling has no dilation (got {d})")
    if kind in ("maxpool", "avgpool") and fixed_padding:
        require(p <= k // 2, f"padding: pooling padding {p} exceeds half the kernel (k//2 = {k // 2})")
    if kind == "transposed":
        require(op < max(s, d), f"output_padding: must be smaller than the stride or the dilation "
                                 f"(got {op}, stride {s}, dilation {d})")
    else:
        require(op == 0, "output_padding: only transposed convolutions take an output padding")
        require(kind != "conv" or not fixed_padding or size + 2 * p >= d * (k - 1) + 1, f"kernel: dilated kernel d(k-1)+1 = {d * (k - 1) + 1} "
                                                  f"exceeds the padded input D+2P = {size + 2 * p}")


def parameter_error(error: DlderiveError) -> tuple[str, str]:
    """(parameter, problem) of an error of these checks, whose messages start with the parameter's name."""
    key, sep, problem = error.message.partition(": ")
    return (key, problem) if sep else ("parameters", error.message)
