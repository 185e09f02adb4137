"""Who is calling: a verified access token, re-checked against the database on every
request (G6, T2). The one place that turns a bearer token into a principal."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


async def principal_from_token(tokens: TokenService, token: str, now: datetime) -> Principal:
    """Verify the token, then read the user and membership as they are now.

    A bumped `ver`, a removed membership or a demoted role bite on this very request.
    Scopes are the intersection of what the token says and what the database allows,
    and a guest never gets more than `dossiers:read`.
    """
    try:
        claims = tokens.decode(token, ACCESS, now)
        user_id = int(claims["sub"])
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
