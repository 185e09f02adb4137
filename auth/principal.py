"""Who is calling: a verified access token, re-checked against the database on every
request (G6, T2). The one place that turns a bearer token into a principal."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auth.machines import MACHINE, MACHINE_SCOPES, active_credential_for
from auth.scopes import Scope, parse_scopes, scopes_for
from auth.tokens import ACCESS, TokenInvalid, TokenService
from domain.accounts.models import Membership, User
from domain.core.actor import Actor, ActorKind, Role
from domain.core.errors import Unauthenticated


@dataclass(frozen=True)
class Principal:
    actor: Actor
    scopes: frozenset[Scope]
    token_id: str

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes


async def _machine_principal(claims: dict, user_id: int) -> Principal:
    """A partner system (T4) acts in its one account like an admin for dossiers, limited
    to the scopes its credential was given; revoked or rotated credentials fail here."""
    try:
        account_id = int(claims.get("acc"))
        version = int(claims.get("ver"))
    except (TypeError, ValueError) as error:
        raise Unauthenticated("invalid token") from error
    credential = await active_credential_for(user_id, account_id)
    user = await User.get_or_none(id=user_id)
    if credential is None or user is None or user.token_version != version:
        raise Unauthenticated("machine credential revoked")
    actor = Actor(user_id, user.email, ActorKind.PAID, account_id, Role.ADMIN, machine=True)
    allowed = parse_scopes(claims.get("scope", "")) & parse_scopes(credential.scopes) & MACHINE_SCOPES
    return Principal(actor, allowed, claims["jti"])


async def principal_from_token(tokens: TokenService, token: str, now: datetime) -> Principal:
    """Verify the token, then read the user and membership as they are now.

    A bumped `ver`, a removed membership or a demoted role bite on this very request.
    Scopes are the intersection of what the token says and what the database allows,
    and a guest never gets more than `dossiers:read`.
    """
    try:
        claims = tokens.decode(token, ACCESS, now)
        user_id = int(claims["sub"])
        if claims.get("kind") == MACHINE:
            return await _machine_principal(claims, user_id)
        kind = ActorKind(claims.get("kind"))
        version = int(claims.get("ver"))
    except (TokenInvalid, KeyError, TypeError, ValueError) as error:
        raise Unauthenticated("invalid token") from error
    claimed = parse_scopes(claims.get("scope", ""))

    if kind is ActorKind.PAID:
        try:
            account_id = int(claims.get("acc"))
        except (TypeError, ValueError) as error:
            raise Unauthenticated("invalid token") from error
        membership = await Membership.filter(account_id=account_id, user_id=user_id).select_related("user").first()
        if membership is None or membership.user.token_version != version:
            raise Unauthenticated("membership or token revoked")
        role = Role(membership.role)
        actor = Actor(user_id, membership.user.email, kind, account_id, role, membership.id)
        return Principal(actor, claimed & scopes_for(kind, role), claims["jti"])

    user = await User.get_or_none(id=user_id)
    if user is None or user.token_version != version:
        raise Unauthenticated("token revoked")
    if kind is ActorKind.OPERATOR and not user.is_operator:
        raise Unauthenticated("not an operator")
    actor = Actor(user_id, user.email, kind)
    return Principal(actor, claimed & scopes_for(kind, None), claims["jti"])
