"""The checker's limits: sizes, time budgets and search ranges (no heavy imports: cheap for the command line)."""
from numbers import Integral, Real

MAX_FILE_BYTES = 2_000_000
MAX_TEXT_LINE = 2_000  # longer lines of running text are not scanned for relations
MAX_NODES = 20_000  # size of an expression after substituting definitions
MAX_BITS = 14_000  # size of an exact number during evaluation (Python prints ints up to 4300 digits)
SIMPLIFY_NODES = 300  # size up to which a general simplify is tried
PROOF_NODES = 5_000  # size up to which expand and cancel are tried
PROOF_BUDGET = 0.5  # seconds for the symbolic proof of one relation, before exact evaluation takes over
MODEL_STEPS = 4  # model equations are in scope for steps t, t-1, ..., t-3
INTEGER_RANGE = {1: 2048, 2: 40}  # unknowns -> half-width of the integer range searched
DEFAULT_TIMEOUT = 2.0
MAX_JOBS = 64  # worker processes of one batch
MAX_TIMEOUT = 3600.0  # seconds of CPU per relation
TIMEOUT_ACCEPTED = f"a finite time limit in seconds, above 0 and at most {MAX_TIMEOUT:g}"
JOBS_ACCEPTED = f"a whole number from 1 to {MAX_JOBS}"


def timeout_problem(value) -> str | None:
    """Why ``value`` is not a per-relation time limit, or None (NaN and infinity fail the comparison)."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and 0 < value <= MAX_TIMEOUT
    return None if ok else f"must be {TIMEOUT_ACCEPTED} (got {value!r})"


def jobs_problem(value) -> str | None:
    """Why ``value`` is not a number of worker processes, or None."""
    ok = isinstance(value, Integral) and not isinstance(value, bool) and 1 <= value <= MAX_JOBS
    return None if ok else f"must be {JOBS_ACCEPTED} (got {value!r})"


def seconds_option(text: str) -> float:
    """``--timeout SECONDS`` for argparse: the error names what is accepted."""
    return float(_option(text, float, timeout_problem))


def jobs_option(text: str) -> int:
    """``--jobs N`` for argparse: the error names what is accepted."""
    return _option(text, int, jobs_problem)


def _option(text: str, convert, problem):
    import argparse
    try:
        value = convert(text)
    except ValueError:
        value = text
    why = problem(value)
    if why:
        raise argparse.ArgumentTypeError(why)
    return value
