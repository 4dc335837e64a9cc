"""Derivatives through time, for any declared cell: ∂h_t/∂h_{t-k} over the unrolled graph.

With the states stacked as S = (h, c, ...), the total derivative is a product of one-step block
Jacobians, ∂S_t/∂S_{t-k} = ∏_j ∂S_{t-j}/∂S_{t-j-1}, each block a proven one-step derivation
(``<cell>.<equation>`` and ``<cell>.<equation>_wrt_<state>``).  The product stays factored, so
the derivation grows linearly in k.  Every step is checked numerically against complex-step
differentiation of the unrolled cell itself, at two sizes.
"""
from __future__ import annotations

from ..catalog import DEFAULT_STEPS, MAX_STEPS, check_steps
from .blocks import Form, one_step_blocks, stack_base
from .derivation import derive_through_time, through_time
from .evaluate import evaluate_through_time
from .proof import prove_steps
from .unrolled import Unrolled, one_step_program, random_unrolled

__all__ = ["DEFAULT_STEPS", "MAX_STEPS", "check_steps", "Form", "one_step_blocks", "stack_base",
           "derive_through_time", "through_time", "evaluate_through_time", "prove_steps",
           "Unrolled", "one_step_program", "random_unrolled"]
