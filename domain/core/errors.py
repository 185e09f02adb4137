"""Typed domain errors. Domain code raises these; one place in `schema/` maps them to
`userErrors` (and a `quote` for limits), so resolvers never build error dicts."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class ErrorCode(str, Enum):
    """The user-error codes of API.md; names are part of the contract."""

    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVITATION_INVALID = "INVITATION_INVALID"
    LAST_OWNER = "LAST_OWNER"
    SEAT_LIMIT_REACHED = "SEAT_LIMIT_REACHED"
    ACTIVE_CLIENT_LIMIT_REACHED = "ACTIVE_CLIENT_LIMIT_REACHED"
    DOSSIER_SHARE_LIMIT_REACHED = "DOSSIER_SHARE_LIMIT_REACHED"
    GUEST_DOSSIER_LIMIT_REACHED = "GUEST_DOSSIER_LIMIT_REACHED"
    SEATS_BELOW_TEAMMATES = "SEATS_BELOW_TEAMMATES"
    QUOTE_EXPIRED = "QUOTE_EXPIRED"
    QUOTE_STALE = "QUOTE_STALE"
    DOSSIER_ARCHIVED = "DOSSIER_ARCHIVED"
    DOSSIER_NOT_ARCHIVED = "DOSSIER_NOT_ARCHIVED"
    ACCOUNT_READ_ONLY = "ACCOUNT_READ_ONLY"
    TOKEN_INVALID = "TOKEN_INVALID"
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"
    TWO_FACTOR_REQUIRED = "TWO_FACTOR_REQUIRED"
    TWO_FACTOR_INVALID = "TWO_FACTOR_INVALID"
    RATE_LIMITED = "RATE_LIMITED"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


class DomainError(Exception):
    """Something the user can fix. Raising it rolls back the transaction it is raised in."""

    code: ErrorCode = ErrorCode.INVALID_INPUT

    def __init__(self, message: str, *, code: ErrorCode | None = None, field: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field


class InvalidInput(DomainError):
    code = ErrorCode.INVALID_INPUT


class NotFound(DomainError):
    """Missing, or not visible to this principal: the two are answered alike (D4)."""

    code = ErrorCode.NOT_FOUND

    def __init__(self, what: str = "object", *, field: tuple[str, ...] = ()):
        super().__init__(f"No such {what}.", field=field)


class Forbidden(Exception):
    """The policy (auth/policy.py) does not allow the operation to a principal who may see
    the object. A top-level error, not a user error. Where the refusal would tell that
    the object exists, the policy answers NotFound instead (D4)."""

    def __init__(self, reason: Any = "Your access does not allow this.") -> None:
        # A Scope (or another enum) names what was missing.
        if hasattr(reason, "value"):
            reason = f"Your access does not allow this (needs {reason.value})."
        super().__init__(reason)
        self.message = str(reason)


class Unauthenticated(Exception):
    """No valid credentials for an operation that needs them. A top-level error."""

    def __init__(self, reason: str = "Sign in first: this needs a valid access token.") -> None:
        super().__init__(reason)
        # What the client is told: never why a token failed (a forged, revoked or unknown one).
        self.message = "Sign in first: this needs a valid access token."


# The one table from errors to the top-level `extensions.code` (API.md Errors), read by
# the mutation boundary (schema/errors.py) and the response's masking (api/extensions.py).
# A DomainError raised outside a mutation payload answers its own code.
TOP_LEVEL_CODES: dict[type[Exception], str] = {Unauthenticated: "UNAUTHENTICATED", Forbidden: "FORBIDDEN"}


def top_level_code(error: BaseException) -> str | None:
    """The public code of an error raised on purpose; None for anything unexpected."""
    if isinstance(error, DomainError):
        return error.code.value
    for kind, code in TOP_LEVEL_CODES.items():
        if isinstance(error, kind):
            return code
    return None


class AccessTokenExpired(Unauthenticated):
    """A genuine access token whose time is over: the client refreshes and retries (O6)."""


class ServiceUnavailable(Exception):
    """A dependency (the database, Redis) cannot be reached: the request may be retried
    after `retry_after` seconds (O6). A top-level SERVICE_UNAVAILABLE."""

    def __init__(self, message: str = "A service Casebook depends on is briefly unavailable; nothing was "
                                      "changed. Retry after the time given in retryAfter.",
                 retry_after: int = 5) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class LiftRequest:
    """The subscription change that would lift a limit (Q5): billing turns it into a quote.

    `seats_delta` adds seats; `tier` asks for at least that active-client tier.
    """

    account_id: int
    seats_delta: int = 0
    tier: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class LimitReached(DomainError):
    """A limit refused the write; `lift` says what change would allow it. `quote` is the
    stored quote that lifts it, attached by billing (`domain.billing.terms.quotes_lift`)
    after the write rolled back, when the actor may see prices (Q5)."""

    def __init__(self, code: ErrorCode, message: str, *, lift: LiftRequest | None = None,
                 field: tuple[str, ...] = ()):
        super().__init__(message, code=code, field=field)
        self.lift = lift
        self.quote: Any = None
