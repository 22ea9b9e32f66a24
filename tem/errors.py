"""The one domain error hierarchy.

Mapped to HTTP statuses in :mod:`tem.web.errors` and to CLI exit codes in
:mod:`tem.cli.common`; nothing else decides how an error looks to a user.
"""

from __future__ import annotations

# The base lives on the lowest floor, so that the pure packages can raise it too.
from tem.crypto.errors import TemError

__all__ = [
    "ConfigurationError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "KeyStoreError",
    "NotFound",
    "TemError",
    "Unauthorized",
]


class InvalidInput(TemError):
    """A value a person supplied is malformed or out of range (HTTP 422, exit 2)."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class NotFound(TemError):
    """The thing does not exist, or the caller may not know that it does (HTTP 404, exit 3)."""

    code = "not_found"


class Conflict(TemError):
    """The change clashes with what is stored, e.g. a duplicate lot code (HTTP 409, exit 4)."""

    code = "conflict"


class Unauthorized(TemError):
    """No credentials, or credentials that do not match (HTTP 401)."""

    code = "unauthorized"


class Forbidden(TemError):
    """Valid credentials for a role that may not do this (HTTP 403, exit 5)."""

    code = "forbidden"


class Busy(TemError):
    """Too much of this work is in progress; try again in ``retry_after`` seconds (HTTP 503, exit 7).

    Sent with a ``Retry-After`` header (RFC 9110 §10.2.3).
    """

    code = "busy"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class TooManyRequests(Busy):
    """The caller already has as much of this work in progress as it may (HTTP 429, exit 7)."""

    code = "too_many_requests"


class ConfigurationError(TemError):
    """Settings or the data directory are missing or unsafe (exit 6)."""

    code = "configuration"


class KeyStoreError(TemError):
    """A private key cannot be read: wrong passphrase, missing or unsafe file (exit 6)."""

    code = "key_store"
