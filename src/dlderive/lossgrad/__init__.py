"""Loss gradients by declaration: ∂L/∂P of a loss on the output layer V h + b_y over T unrolled steps."""
from .derivation import MAX_STEPS, accepted, check_arguments, derive_loss_grad
from .losses import LOSSES, get_loss

__all__ = ["MAX_STEPS", "accepted", "check_arguments", "derive_loss_grad", "LOSSES", "get_loss"]
