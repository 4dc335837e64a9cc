"""dlderive: symbolic derivations for deep-learning teaching, proven step by step."""
from .errors import DlderiveError, ProofError
from .functions import sigmoid
from .evaluate import evaluate

__all__ = ["DlderiveError", "ProofError", "sigmoid", "evaluate"]
__version__ = "0.1.0"
