"""A loss named in words ("with the squared-error loss", "MSE") and not defined: read as that loss.

The usual forms of the loss the words name differ by a factor (½ or not; a sum for "squared error", a mean
over the entries for "mean squared error"); a relation between the loss's gradients is valid if it holds in
exactly one of them (the reading is stated in the reason), invalid if it fails in every one, and otherwise
unverifiable. A text that names another loss too (cross-entropy, a penalty) is not read this way. The prediction is the quantity
the document defines by a formula, the target a vector of the same shape it gives (t, y, or y for ŷ)."""
from __future__ import annotations

import copy

from .linalg import Document, Node, Unread, _base, _judge, _reached
from .linalg_read import LOSSES, names

_TARGETS = ("t", "y", "target")


def _conventions(kind: str, n: int) -> list:
    """(label, denominator) of the usual forms c‖ŷ - y‖² of the loss the words name, for a vector of n entries:
    a sum (½ or not) for "squared error", a mean (½ or not) for "mean squared error" and "MSE"."""
    out = {}
    forms = (("(1/n)‖ŷ - y‖²", n), ("(1/2n)‖ŷ - y‖²", 2 * n)) if kind == "mean squared error" else (
        ("½‖ŷ - y‖²", 2), ("‖ŷ - y‖²", 1))
    for label, den in forms:
        out[den] = f"{out[den]}, also {label} at n = {n}" if den in out else label
    return [(label, den) for den, label in out.items()]


def _pairs(doc: Document):
    """(prediction, target): a vector defined by a formula, and a vector of its shape the document gives as a
    target (t for y, y for ŷ)."""
    shapes = doc.inferred()
    out = []
    for pred, value in doc.defs.items():
        if not names(value) or pred in LOSSES:
            continue
        for target in doc.defs:
            if target == pred or names(doc.defs[target]) or _base(target) not in _TARGETS + (pred.split(" ")[-1],):
                continue
            if _base(target) == _base(pred) or target in _reached(doc, value):
                continue  # δ = y - t is no prediction: it is made from the target
            shape = shapes.get(pred) or doc.shape(pred)
            if shape and shape == (shapes.get(target) or doc.shape(target)) and shape[1] == "1" and shape[0].isdigit():
                out.append((pred, target, int(shape[0])))
    return out


def judge(doc: Document, kind: str, loss: str, a_source: str, b_source: str, seed: int):
    """(verdict, reason, None) of a relation between the gradients of ``loss`` read as the squared error, or
    None if the document gives no single prediction and target to read it with."""
    pairs = _pairs(doc)
    if len(pairs) != 1 or loss in doc.defs:
        return None
    pred, target, n = pairs[0]
    held, failed = [], []
    conventions = _conventions(kind, n)
    for label, den in conventions:
        trial = copy.copy(doc)
        trial.defs = dict(doc.defs)
        trial._inferred = (None, {})
        residual = Node("add", (Node("name", (), pred), Node("neg", (Node("name", (), target),))))
        trial.defs[loss] = Node("div", (Node("pow", (Node("norm", (residual,)),), "2"), Node("num", (), str(den))))
        try:
            verdict, reason, _ = _judge(trial, a_source, b_source, seed)
        except Unread:
            return None
        (held if verdict == "valid" else failed if verdict == "invalid" else []).append((label, reason))
    shown = f"{loss} read as the {kind} the text names, with {pred} the prediction and {target} the target"
    if len(held) == 1 and len(failed) == len(conventions) - 1:
        form = held[0][0]
        if doc.__dict__.setdefault("loss_form", form) != form:  # one document, one form of its loss
            return ("unverifiable", f"it holds for {shown} as {form}, but an earlier step holds only as "
                    f"{doc.loss_form}: one of the two is wrong", None)
        return "valid", f"{held[0][1]}, {shown}: {form} (the one usual form it agrees with)", None
    if not held and len(failed) == len(conventions):
        return "invalid", f"false for {shown}, in each usual form ({'; '.join(label for label, _ in conventions)})", None
    return None
