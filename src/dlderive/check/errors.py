"""The checker's exceptions: unreadable files, undecidable relations, undefined values, timers."""
from __future__ import annotations

from ..errors import DlderiveError

class CheckError(DlderiveError):
    """A file that cannot be read at all (missing, too large, not UTF-8)."""


class Unverifiable(DlderiveError):
    """A relation the checker cannot decide; the message is the reason."""


class TooLarge(Unverifiable):
    pass


class Undefined(Exception):
    """An expression with no real value at a point (division by zero, log of a negative)."""


class RelationTimeout(BaseException):
    """Raised by the per-relation timer; a BaseException so that no library code swallows it."""


class OutOfBudget(BaseException):
    """Raised when a symbolic proof attempt has used its share of the time."""
