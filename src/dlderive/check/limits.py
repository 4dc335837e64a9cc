"""The checker's limits: sizes, time budgets and search ranges (no imports: cheap for the command line)."""

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
