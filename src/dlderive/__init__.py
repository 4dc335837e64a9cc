"""dlderive: symbolic derivations for deep-learning teaching, proven step by step."""
from .errors import DlderiveError, ProofError
from .functions import sigmoid

__all__ = ["DlderiveError", "ProofError", "sigmoid"]
__version__ = "0.1.0"
