"""Sign-in refusals shared by sessions, passwords and two-factor (P4, I2, I5)."""
from __future__ import annotations

from domain.core.errors import DomainError, ErrorCode


class InvalidCredentials(DomainError):
    code = ErrorCode.INVALID_CREDENTIALS

    def __init__(self, field: tuple[str, ...] = ()) -> None:
        # One message for every cause, so it never tells whether an email is registered.
        super().__init__("The email or password is not right, or the session has ended.", field=field)


class TwoFactorRequired(DomainError):
    code = ErrorCode.TWO_FACTOR_REQUIRED

    def __init__(self, message: str = "Enter the code of your authenticator app, or a recovery code.") -> None:
        super().__init__(message, field=("twoFactorCode",))


class TwoFactorInvalid(DomainError):
    code = ErrorCode.TWO_FACTOR_INVALID

    def __init__(self, field: str = "twoFactorCode") -> None:
        super().__init__("This code is not right, or it was used already.", field=(field,))


class RefreshRefused(InvalidCredentials):
    """A refresh token that cannot be traded, saying what happened (O6): the holder of a
    refresh token learns nothing about anyone's password or address from it."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
        self.args = (message,)


REFRESH_UNKNOWN = "This refresh token is not known: sign in again."
REFRESH_REUSED = ("This refresh token was used already, after the grace interval for parallel refreshes; the "
                  "session was ended in case the token leaked. Sign in again.")
REFRESH_ENDED = "This session has ended (signed out, expired, or ended after a password change): sign in again."
