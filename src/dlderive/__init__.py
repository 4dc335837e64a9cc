"""dlderive: symbolic derivations for deep-learning teaching, proven step by step."""
from .errors import DlderiveError, ProofError
from .functions import sigmoid

__all__ = ["DlderiveError", "ProofError", "sigmoid", "evaluate"]
__version__ = "0.1.0"


def __getattr__(name):
    """``dlderive.evaluate`` is imported on first use: it needs NumPy, which the CLI mostly does not."""
    if name == "evaluate":
        from .evaluate import evaluate

        return evaluate
    raise AttributeError(f"module 'dlderive' has no attribute {name!r}")
