"""A loss the document names but does not define (L, J): meant as a general function, or a specific one?

Reading an undefined loss as an arbitrary differentiable function of what it depends on is the standard
meaning of a derivation written for "a loss L": a relation between its gradients that fails for one such
function (L = Σ⟨G, Y⟩ with G drawn at random) is false as the general statement it is written as. Not so
when the text has a specific loss in mind: one it names in words ("the squared-error loss") or defines in a
formula elsewhere (L = ½‖y − t‖² further down); then the relation may hold for that loss, and it is left
unverifiable."""
from __future__ import annotations

import re

# losses named in words: a document that names one of them means that loss, not a general one
_NAMED = re.compile(r"(?i)(?<![A-Za-z])(squared[- ]?error|mean[- ]squared|sum[- ]of[- ]squares|quadratic loss|MSE|SSE|"
                    r"cross[- ]?entropy|log[- ]?loss|log[- ]?likelihood|NLL|hinge|huber|logistic loss|softmax loss|"
                    r"L[12] loss|absolute error|MAE|KL|Kullback|contrastive|triplet|focal|perceptron loss|"
                    r"exponential loss|0[- ]1 loss)(?:e?s)?(?![A-Za-z])")


def named_in_words(text: str) -> str | None:
    """The specific loss the text names, if it names one (``squared-error``)."""
    m = _NAMED.search(text)
    return m.group(1) if m else None


def meant(text: str, defined: set) -> dict:
    """Loss name (or ``*`` for every loss) -> why it is a specific loss here: the document names one in words,
    or defines that name by a formula somewhere (``defined``: the names the document's relations define)."""
    out = {name: f"the document defines {name} by a formula" for name in defined}
    word = named_in_words(text)
    if word:
        out["*"] = f"the text names a specific loss ({word})"
    return out
