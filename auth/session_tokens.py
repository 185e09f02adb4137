"""The access token of a session (T2, I4): the domain opens, rotates and ends sessions and
their refresh tokens (domain/identity/sessions.py) and answers a grant; this mints the
short-lived JWT that goes with it, with the scopes of the kind and role it acts as.
auth/principal.py reads these claims back on every request."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auth.scopes import format_scopes, scopes_for
from auth.tokens import ACCESS, TokenService
from domain.core.actor import ActorKind
from domain.identity.sessions import SessionGrant


@dataclass(frozen=True)
class Session:
    """What a sign-in hands out: tokens, and the session they belong to."""

    user_id: int
    kind: ActorKind
    account_id: int | None
    access_token: str
    refresh_token: str
    expires_at: datetime
    session_id: int


def mint(tokens: TokenService, grant: SessionGrant, *, security_now: datetime) -> Session:
    """The access token for `grant`, valid for ACCESS_TOKEN_TTL_SECONDS from `security_now`."""
    claims = {
        "kind": grant.kind.value,
        "scope": format_scopes(scopes_for(grant.kind, grant.role)),
        "ver": grant.token_version,
        "sid": str(grant.session_id),
    }
    if grant.account_id is not None:
        claims["acc"] = str(grant.account_id)
    access, expires = tokens.encode(ACCESS, str(grant.user_id), claims, security_now,
                                    tokens.settings.access_token_ttl_seconds)
    return Session(grant.user_id, grant.kind, grant.account_id, access, grant.refresh_token, expires,
                   grant.session_id)
