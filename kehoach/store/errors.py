"""Errors the store raises; each carries a hint that says how to fix it.

The CLI prints them as ``Error: <message> — <hint>`` and exits 1.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of the store's user-facing errors (bad input, missing file), not bugs."""

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:  # pragma: no cover - trivial
        return f"{self.message} — {self.hint}" if self.hint else self.message


class DatabaseNotFoundError(StoreError):
    """The database file asked for does not exist."""


class SchemaOutdatedError(StoreError):
    """A read-only connection found migrations that have not been applied."""


class UnsafeSQLError(StoreError):
    """``read_only_sql`` refused a statement (not a single SELECT, or it reads files)."""


class NotFoundError(StoreError):
    """No stored document matches an id prefix or a number."""


class AmbiguousError(StoreError):
    """Several stored documents match an id prefix or a number."""
