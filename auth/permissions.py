"""The one permission mechanism every field and mutation goes through, on the policy's
table (auth/policy.py): a field's scopes are those of the rules it serves.

`requires(scope, ...)` is attached where a field is declared; `public()` marks the few
operations that work without a token (API.md Transport). A schema test walks every
root field and fails when one has neither. The principal on the context was re-read
from the database for this request (auth.principal), so a removed teammate or revoked
token fails here on the next request (G6)."""
from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from auth import policy
from auth.scopes import Scope
from domain.core.errors import Forbidden, Unauthenticated


# What a teammate may still do in an account that requires two-factor sign-in before they
# have enrolled (I5): the policy's rules allowed before enrolment, by root field. Mutations
# not listed answer a TWO_FACTOR_REQUIRED userError (schema.two_factor_gate); queries a
# top-level error.
ALLOWED_BEFORE_TWO_FACTOR = policy.ALLOWED_BEFORE_TWO_FACTOR


def two_factor_pending(principal: Any) -> bool:
    return policy.two_factor_pending(principal)


def TwoFactorRequired() -> Exception:  # noqa: N802 - kept under its former class name for callers
    """The refusal of a teammate who has not enrolled where two-factor sign-in is required (I5)."""
    return policy.refusal(policy.Outcome.TWO_FACTOR, "session", "manage")


def holds_scopes(principal: Any, scopes: tuple[Scope, ...]) -> bool:
    """Every listed scope, as the policy counts the principal's (also the compiled path's check)."""
    held = policy.scopes_held(principal)
    return all(scope in held for scope in scopes)


def waved_through(principal: Any, scopes: tuple[Scope, ...]) -> bool:
    """Whether `HasScopes(*scopes)` lets this principal through on any field without a
    question: signed in, not waiting on two-factor enrolment (I5), every scope held. The
    compiled completion and the direct resolvers (schema/direct.py) skip the permission
    call only then; otherwise the permission itself answers, refusals included."""
    return principal is not None and not policy.two_factor_pending(principal) and holds_scopes(principal, scopes)


class HasScopes(BasePermission):
    """Signed in, and holding every listed scope."""

    def __init__(self, *scopes: Scope) -> None:
        self.scopes = scopes

    # A plain `def` (no I/O here): strawberry then keeps sync fields sync instead of
    # turning every checked scalar into an awaitable.
    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated()
        if policy.two_factor_pending(principal):
            if info.path.prev is None:
                if info.path.typename == "Mutation":
                    return True  # the mutation's gate answers with a userError
                if info.field_name not in ALLOWED_BEFORE_TWO_FACTOR:
                    raise TwoFactorRequired()
            elif self.scopes:
                raise TwoFactorRequired()
        for scope in self.scopes:
            if scope not in policy.scopes_held(principal):
                raise Forbidden(scope)
        return True


class Public(BasePermission):
    """Open without a token: signUp, logIn, refreshSession, acceptInvitation, catalog."""

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return True


def ensure_person(principal: Any) -> None:
    """The team roster, subscription and usage are for people: a partner system's
    credential (T4) holds dossier scopes only (the policy's `team: read`)."""
    policy.ensure(principal, "team", "read")


def ensure_acting_in(principal: Any, account_id: int) -> None:
    """Account data (subscription, usage, ledger, audit log, credentials) is shown only
    for the account the token acts in: scopes are derived from the role there, and an
    account reached through `me.memberships` must not borrow them."""
    if principal is None:
        raise Unauthenticated()
    if policy.two_factor_pending(principal):
        raise TwoFactorRequired()
    if principal.actor.account_id != account_id:
        raise Forbidden("Act in this account first (switchAccount) to see its data.")


def requires(*scopes: Scope) -> list[FieldExtension]:
    """Extensions for a field that needs a signed-in principal with these scopes
    (none listed: any signed-in principal)."""
    return [PermissionExtension(permissions=[HasScopes(*scopes)], use_directives=False)]


def public() -> list[FieldExtension]:
    return [PermissionExtension(permissions=[Public()], use_directives=False)]
