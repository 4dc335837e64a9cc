"""dlderive: symbolic derivations for deep-learning teaching, proven step by step."""
from .errors import DlderiveError, ProofError
from .evaluate import evaluate
from .functions import sigmoid

__all__ = ["DlderiveError", "ProofError", "sigmoid", "evaluate"]
__version__ = "0.1.0"
