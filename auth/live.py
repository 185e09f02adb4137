"""Whether a live-updates subscriber may still receive (SPEC T7, G6): the one function
every stream asks — when it opens, at every delivery, and at least every
LIVE_RECHECK_SECONDS — so a revoked share, a removed teammate, an ended session or
`logOut`, and an account's new two-factor policy end the stream with their reason.

It decides as requests do: the token and the principal as the database has it now
(auth.principal), the dossier's relation to that principal (domain.dossiers.access), and
the one policy's `dossier: read` rule on both (auth.policy, T6)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt

from auth import policy
from auth.principal import Principal, principal_from_token
from auth.tokens import TokenService
from domain.core.errors import Unauthenticated
from domain.dossiers.access import dossier_access

TOKEN_EXPIRED = "TOKEN_EXPIRED"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
TWO_FACTOR_REQUIRED = "TWO_FACTOR_REQUIRED"

MESSAGES = {
    TOKEN_EXPIRED: "Your access token expired: refresh it and subscribe again.",
    UNAUTHENTICATED: "Sign in again: this session, token or membership has ended.",
    FORBIDDEN: "You may no longer read this.",
    TWO_FACTOR_REQUIRED: "This account requires two-factor sign-in: turn it on for your login first, "
                         "then sign in again.",
}


@dataclass(frozen=True)
class LiveAccess:
    """The principal as of now, or the reason the stream ends (one of MESSAGES)."""
    principal: Principal | None
    refusal: str | None = None
    # For a dossier stream: the dossier as this principal may use it (DossierAccess).
    dossier: Any = None

    @property
    def dossier_account_id(self) -> int | None:
        """The dossier's account (its team changes trigger a re-check)."""
        return self.dossier.row.account_id if self.dossier is not None else None

    @property
    def message(self) -> str:
        return MESSAGES[self.refusal or FORBIDDEN]


def _expired(token: str, now: datetime) -> bool:
    """Only to name the reason once verification failed: an expired token is refreshed,
    anything else means signing in again."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        return float(claims["exp"]) < now.timestamp()
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return False


async def live_access(tokens: TokenService, token: str, now: datetime, *,
                      dossier_id: int | None = None) -> LiveAccess:
    """May the bearer of `token` receive now — the dossier's updates when `dossier_id`
    is given, else their own (viewer) updates? `now` is real (security) time."""
    try:
        principal = await principal_from_token(tokens, token, now)
    except Unauthenticated:
        return LiveAccess(None, TOKEN_EXPIRED if _expired(token, now) else UNAUTHENTICATED)
    if principal.two_factor_required:
        return LiveAccess(None, TWO_FACTOR_REQUIRED)
    if dossier_id is not None:
        access = await dossier_access(principal.actor, dossier_id)
        # Missing and not visible alike (D4); operators (P3) and credentials without
        # dossiers:read (T4) are refused by the rule itself.
        if access is None or not policy.may_do(principal, "dossier", "read", access.facts()):
            return LiveAccess(None, FORBIDDEN)
        return LiveAccess(principal, dossier=access)
    return LiveAccess(principal)
