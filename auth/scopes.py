"""The scopes of API.md and which principal holds which."""
from __future__ import annotations

from enum import Enum

from domain.core.actor import ActorKind, Role


class Scope(str, Enum):
    DOSSIERS_READ = "dossiers:read"
    DOSSIERS_WRITE = "dossiers:write"
    SHARES_MANAGE = "shares:manage"
    TEAMMATES_MANAGE = "teammates:manage"
    AUDIT_READ = "audit:read"
    BILLING_MANAGE = "billing:manage"
    BILLING_OPERATE = "billing:operate"
    # Webhook endpoints and their deliveries (T5): owners, admins, and machine credentials given it.
    WEBHOOKS_MANAGE = "webhooks:manage"


_MEMBER = frozenset({Scope.DOSSIERS_READ, Scope.DOSSIERS_WRITE, Scope.SHARES_MANAGE})
_ADMIN = _MEMBER | {Scope.TEAMMATES_MANAGE, Scope.AUDIT_READ, Scope.WEBHOOKS_MANAGE}
_OWNER = _ADMIN | {Scope.BILLING_MANAGE}
# advanceTestClock is for owners (API.md "Test clocks"): the one place that says so, to
# re-point when permissions move to a policy module.
ADVANCE_TEST_CLOCK = Scope.BILLING_MANAGE
GUEST_SCOPES = frozenset({Scope.DOSSIERS_READ})
OPERATOR_SCOPES = frozenset({Scope.BILLING_OPERATE})
ROLE_SCOPES = {Role.MEMBER: _MEMBER, Role.ADMIN: frozenset(_ADMIN), Role.OWNER: frozenset(_OWNER)}


def scopes_for(kind: ActorKind, role: Role | None) -> frozenset[Scope]:
    """Scopes follow from who the principal is, never from what a token claims (T2)."""
    if kind is ActorKind.GUEST:
        return GUEST_SCOPES
    if kind is ActorKind.OPERATOR:
        return OPERATOR_SCOPES
    return ROLE_SCOPES[role] if role else frozenset()


def format_scopes(scopes: frozenset[Scope]) -> str:
    return " ".join(sorted(scope.value for scope in scopes))


def parse_scopes(claim: str) -> frozenset[Scope]:
    known = {scope.value: scope for scope in Scope}
    return frozenset(known[part] for part in (claim or "").split() if part in known)
