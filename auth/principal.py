"""Who is calling: a verified access token, re-checked against the database on every
request (G6, T2). The one place that turns a bearer token into a principal."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise import connections

from auth import policy
from auth.machines import MACHINE, MACHINE_SCOPES, active_credential_for
from auth.scopes import Scope, parse_scopes, scopes_for
from auth.tokens import ACCESS, TokenExpired, TokenInvalid, TokenService
from domain.accounts.models import User
from domain.core.actor import Actor, ActorKind, Role
from infra.db import aware_datetime, execute
from domain.core.errors import AccessTokenExpired, Unauthenticated

# One statement per request for a person (I4): the membership, the user, the account's
# two-factor policy and the session, so an ended session, a bumped `ver`, a removed
# membership or a demoted role all bite on this very request.
_PAID = ('SELECT m.id AS membership_id, m.role, u.email, u.token_version, '
         '(u.email_verified_at IS NOT NULL) AS proven, '
         '(u.totp_enabled_at IS NOT NULL) AS two_factor, a.require_two_factor, a.test_clock '
         'FROM membership m JOIN "user" u ON u.id = m.user_id JOIN account a ON a.id = m.account_id '
         'JOIN user_session s ON s.user_id = m.user_id AND s.ended_at IS NULL '
         'WHERE m.account_id = $1 AND m.user_id = $2 AND s.id = $3')
_PERSON = ('SELECT u.email, u.token_version, u.is_operator, (u.email_verified_at IS NOT NULL) AS proven '
           'FROM "user" u '
           'JOIN user_session s ON s.user_id = u.id AND s.ended_at IS NULL WHERE u.id = $1 AND s.id = $2')


# Ids are BIGINT: a signed claim beyond that range names no one (and must not reach SQL).
MAX_ID = 2 ** 63 - 1


def claim_id(claims: dict, name: str) -> int:
    """A numeric id claim, or ValueError: tokens are ours, but a key can leak and a
    claim is never trusted to fit a column."""
    value = int(claims.get(name))
    if not 0 < value <= MAX_ID:
        raise ValueError(f"{name} out of range")
    return value


@dataclass(frozen=True)
class Principal:
    actor: Actor
    scopes: frozenset[Scope]
    token_id: str
    # The sign-in the access token belongs to (I4); None for machine credentials.
    session_id: int | None = None
    # The account requires two-factor sign-in and this person has not enrolled (I5):
    # they may only enrol, read `me` and log out (auth.permissions).
    two_factor_required: bool = False
    # The account's test clock (O4), read in the same statement; None: the wall clock.
    # Machine credentials leave it None and the request reads it apart.
    test_clock: datetime | None = None

    def has(self, scope: Scope) -> bool:
        """Kept for older callers; decide with auth.policy instead."""
        return scope in policy.scopes_held(self)


async def _machine_principal(claims: dict, user_id: int) -> Principal:
    """A partner system (T4) acts in its one account like an admin for dossiers, limited
    to the scopes its credential was given; revoked or rotated credentials fail here."""
    try:
        account_id = claim_id(claims, "acc")
        version = int(claims.get("ver"))
        if abs(version) > MAX_ID:
            raise ValueError("ver out of range")
    except (TypeError, ValueError) as error:
        raise Unauthenticated("invalid token") from error
    credential = await active_credential_for(user_id, account_id)
    user = await User.get_or_none(id=user_id)
    if credential is None or user is None or user.token_version != version:
        raise Unauthenticated("machine credential revoked")
    allowed = parse_scopes(claims.get("scope", "")) & parse_scopes(credential.scopes) & MACHINE_SCOPES
    actor = Actor(user_id, user.email, ActorKind.PAID, account_id, Role.ADMIN, machine=True,
                  scopes=allowed)
    return Principal(actor, allowed, claims["jti"])


async def principal_from_token(tokens: TokenService, token: str, now: datetime) -> Principal:
    """Verify the token, then read the user and membership as they are now.

    A bumped `ver`, a removed membership or a demoted role bite on this very request.
    Scopes are the intersection of what the token says and what the database allows,
    and a guest never gets more than `dossiers:read`.
    """
    try:
        claims = tokens.decode(token, ACCESS, now)
        user_id = claim_id(claims, "sub")
        if claims.get("kind") == MACHINE:
            return await _machine_principal(claims, user_id)
        kind = ActorKind(claims.get("kind"))
        version = int(claims.get("ver"))
        if abs(version) > MAX_ID:
            raise ValueError("ver out of range")
        # Tokens from before sessions existed carry no `sid`: refused, the client refreshes.
        session_id = claim_id(claims, "sid")
    except TokenExpired as error:
        raise AccessTokenExpired("access token expired") from error
    except (TokenInvalid, KeyError, TypeError, ValueError) as error:
        raise Unauthenticated("invalid token") from error
    claimed = parse_scopes(claims.get("scope", ""))
    conn = connections.get("default")

    if kind is ActorKind.PAID:
        try:
            account_id = claim_id(claims, "acc")
        except (TypeError, ValueError) as error:
            raise Unauthenticated("invalid token") from error
        _, rows = await execute(conn, _PAID, [account_id, user_id, session_id])
        if not rows or rows[0]["token_version"] != version:
            raise Unauthenticated("membership, session or token revoked")
        row = rows[0]
        role = Role(row["role"])
        actor = Actor(user_id, row["email"], kind, account_id, role, row["membership_id"],
                      address_proven=bool(row["proven"]))
        blocked = bool(row["require_two_factor"]) and not bool(row["two_factor"])
        return Principal(actor, claimed & scopes_for(kind, role), claims["jti"], session_id, blocked,
                         aware_datetime(row["test_clock"]))

    _, rows = await execute(conn, _PERSON, [user_id, session_id])
    if not rows or rows[0]["token_version"] != version:
        raise Unauthenticated("session or token revoked")
    if kind is ActorKind.OPERATOR and not rows[0]["is_operator"]:
        raise Unauthenticated("not an operator")
    actor = Actor(user_id, rows[0]["email"], kind, address_proven=bool(rows[0]["proven"]))
    return Principal(actor, claimed & scopes_for(kind, None), claims["jti"], session_id)
