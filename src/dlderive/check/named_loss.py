"""A loss named in words ("with the squared-error loss", "MSE") and not defined: read as that loss.

The forms of the loss differ by a factor: "mean squared error" (MSE) is the mean over the entries, "half
the squared error" ½‖ŷ - y‖², and "squared error" alone may be either ½‖ŷ - y‖² or ‖ŷ - y‖². A relation
between the loss's gradients is valid only where the words fix the form and it holds in it (a claim doubled
or halved would hold in another form, so agreeing with one of several is not enough), invalid if it fails
in every form the words allow, and otherwise left to the general loss (unverifiable). A text that names another loss too (cross-entropy, a penalty) is not read this way. The prediction is the quantity
the document defines by a formula, the target a vector of the same shape it gives (t, y, or y for ŷ)."""
from __future__ import annotations

import copy

from .linalg import Document, Node, Unread, _base, _judge, _reached
from .linalg_read import LOSSES, names

_TARGETS = ("t", "y", "target")


def _conventions(kind: str, n: int) -> list:
    """(label, denominator) of the forms c‖ŷ - y‖² the words allow, for a vector of n entries: "mean squared
    error" and "MSE" are the mean (PyTorch's reduction), "half the squared error" ½‖ŷ - y‖², and "squared
    error" alone either ½‖ŷ - y‖² or ‖ŷ - y‖² (which one is not said)."""
    if kind == "mean squared error":
        return [("(1/n)‖ŷ - y‖², the mean", n)]
    if kind == "half squared error":
        return [("½‖ŷ - y‖²", 2)]
    return [("½‖ŷ - y‖²", 2), ("‖ŷ - y‖²", 1)]


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
    shown = f"{loss} read as {'half the squared error' if kind == 'half squared error' else 'the ' + kind} the text names, with {pred} the prediction and {target} the target"
    if len(conventions) == 1 and held:  # the words fix the form: a claim that holds in another is not valid
        return "valid", f"{held[0][1]}, {shown}: {held[0][0]}", None
    if not held and len(failed) == len(conventions):
        forms = "; ".join(label for label, _ in conventions)
        return "invalid", f"false for {shown}, in {'each form' if len(conventions) > 1 else 'the form'} the words " \
                          f"allow ({forms})", None
    return None
