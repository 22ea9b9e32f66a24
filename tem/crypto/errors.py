"""The base of Tem's one error hierarchy (the rest is in :mod:`tem.errors`).

It lives here, on the lowest floor, so that the pure packages (``crypto``, ``verify``)
raise errors of the same hierarchy without importing anything else of Tem's.
"""

from __future__ import annotations


class TemError(Exception):
    """Base of every error Tem raises on purpose. ``message`` is safe to show a user."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
