"""Which principal holds which scope of API.md, as the table of auth/policy.py says
(`Scope` itself is declared there, with the rules that name it)."""
from __future__ import annotations

import functools

from auth.policy import Kind, Scope, kind_of_role, scopes_of
from domain.core.actor import ActorKind, Role


def scopes_for(kind: ActorKind, role: Role | None) -> frozenset[Scope]:
    """Scopes follow from who the principal is, never from what a token claims (T2); the
    table of auth/policy.py says which."""
    if kind is ActorKind.GUEST:
        return scopes_of(Kind.GUEST)
    if kind is ActorKind.OPERATOR:
        return scopes_of(Kind.OPERATOR)
    role_kind = kind_of_role(role)
    return scopes_of(role_kind) if role_kind is not None else frozenset()


def __getattr__(name: str) -> frozenset[Scope]:
    """The former hand-written sets, now read from the table (kept for older imports)."""
    if name == "GUEST_SCOPES":
        return scopes_for(ActorKind.GUEST, None)
    if name == "OPERATOR_SCOPES":
        return scopes_for(ActorKind.OPERATOR, None)
    if name == "ROLE_SCOPES":
        return {role: scopes_for(ActorKind.PAID, role) for role in Role}
    raise AttributeError(name)


def format_scopes(scopes: frozenset[Scope]) -> str:
    return " ".join(sorted(scope.value for scope in scopes))


_BY_VALUE = {scope.value: scope for scope in Scope}


@functools.lru_cache(maxsize=256)
def parse_scopes(claim: str) -> frozenset[Scope]:
    """The known scopes a claim names; remembered, as every request of a token parses its
    claim again and the claims in use are few."""
    return frozenset(_BY_VALUE[part] for part in (claim or "").split() if part in _BY_VALUE)
