"""The package's exceptions: user errors that carry their location as data, and internal failures."""
from __future__ import annotations

from dataclasses import dataclass, fields
from difflib import get_close_matches


@dataclass(frozen=True)
class Location:
    """Where a user error is: any of file, section, item, key, line and column (1-based)."""

    file: str | None = None
    section: str | None = None
    item: str | int | None = None
    key: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
            parts.append(where)
        elif self.line is not None:
            parts.append(f"line {self.line}" + (f", column {self.column}" if self.column is not None else ""))
        if self.section:
            parts.append(f"section {self.section!r}")
        if self.item is not None:
            parts.append(f"item {self.item}")
        if self.key:
            parts.append(f"key {self.key!r}")
        return ", ".join(parts)

    def merged(self, other: "Location") -> "Location":
        """This location with the fields that ``other`` sets and this one does not."""
        return Location(**{f.name: getattr(self, f.name) if getattr(self, f.name) is not None
                           else getattr(other, f.name) for f in fields(self)})


class DlderiveError(Exception):
    """A user-facing error (exit status 2): one line that says what is wrong and what is accepted.

    ``location`` says where, as data; ``str(error)`` puts it in front of the message."""

    exit_status = 2

    def __init__(self, message: str = "", location: Location | None = None, **where):
        super().__init__(message)
        self.message = message
        self.location = (location or Location()).merged(Location(**where)) if where else (location or Location())

    def at(self, **where) -> "DlderiveError":
        """The same error with more of its location filled in (fields already set are kept)."""
        self.location = self.location.merged(Location(**where))
        return self

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message


class ProofError(DlderiveError):
    """A derivation step that the engine could not prove: it is never shown."""


class InternalError(Exception):
    """A failure of dlderive itself, not of the input (exit status 70): the message asks for a report."""

    exit_status = 70


def did_you_mean(value: str, known) -> str:
    """``"; did you mean X?"`` for the closest of ``known`` to ``value``, or ``""``; ``known`` may map
    what is compared to what is shown."""
    shown = known if isinstance(known, dict) else {k: k for k in known}
    match = get_close_matches(str(value), [str(k) for k in shown], n=1, cutoff=0.6)
    return f"; did you mean {shown[match[0]]}?" if match else ""


def unknown(what: str, value: str, known, hint: str | None = None, compare=None) -> DlderiveError:
    """One line: ``unknown WHAT 'value'; did you mean X? (hint)``; the hint lists ``known`` by default.
    ``compare``: ``(text, {candidate: shown})`` to look for the closest name in instead."""
    hint = hint if hint is not None else "choose from: " + ", ".join(map(str, known))
    return DlderiveError(f"unknown {what} {value!r}{did_you_mean(*(compare or (value, list(known))))} ({hint})")
