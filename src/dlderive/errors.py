"""The one exception type the package raises on purpose."""


class DlderiveError(Exception):
    """A user-facing error: its message is one line that says what is wrong and what is accepted."""


class ProofError(DlderiveError):
    """A derivation step that the engine could not prove: it is never shown."""
