"""The one permission mechanism every field and mutation goes through.

`requires(scope, ...)` is attached where a field is declared; `public()` marks the few
operations that work without a token (API.md Transport). A schema test walks every
root field and fails when one has neither. The principal on the context was re-read
from the database for this request (auth.principal), so a removed teammate or revoked
token fails here on the next request (G6)."""
from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from auth.scopes import Scope


class Unauthenticated(GraphQLError):
    def __init__(self) -> None:
        super().__init__("Sign in first: this needs a valid access token.",
                         extensions={"code": "UNAUTHENTICATED"})


class Forbidden(GraphQLError):
    def __init__(self, scope: Scope) -> None:
        super().__init__(f"Your access does not allow this (needs {scope.value}).",
                         extensions={"code": "FORBIDDEN"})


class TwoFactorRequired(GraphQLError):
    def __init__(self) -> None:
        super().__init__("This account requires two-factor sign-in: turn it on for your login first "
                         "(startTwoFactorEnrollment), then sign in again.",
                         extensions={"code": "TWO_FACTOR_REQUIRED"})


# What a teammate may still do in an account that requires two-factor sign-in before they
# have enrolled (I5): read `me`, enrol, prove their address, log out or end a session,
# and act in another account. Mutations not listed answer a TWO_FACTOR_REQUIRED userError
# (schema.two_factor_gate); queries a top-level error.
ALLOWED_BEFORE_TWO_FACTOR = frozenset({
    "me", "logOut", "endSession", "switchAccount", "startTwoFactorEnrollment", "confirmTwoFactorEnrollment",
    "verifyEmail", "resendEmailVerification",
})


def two_factor_pending(principal: Any) -> bool:
    return principal is not None and principal.two_factor_required


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
        if principal.two_factor_required:
            if info.path.prev is None:
                if info.path.typename == "Mutation":
                    return True  # the mutation's gate answers with a userError
                if info.field_name not in ALLOWED_BEFORE_TWO_FACTOR:
                    raise TwoFactorRequired()
            elif self.scopes:
                raise TwoFactorRequired()
        for scope in self.scopes:
            if scope not in principal.scopes:
                raise Forbidden(scope)
        return True


class Public(BasePermission):
    """Open without a token: signUp, logIn, refreshSession, acceptInvitation, catalog."""

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return True


class NotActingInAccount(GraphQLError):
    def __init__(self) -> None:
        super().__init__("Act in this account first (switchAccount) to see its data.",
                         extensions={"code": "FORBIDDEN"})


class PeopleOnly(GraphQLError):
    def __init__(self) -> None:
        super().__init__("Machine credentials reach dossiers only, not the team or billing.",
                         extensions={"code": "FORBIDDEN"})


def ensure_person(principal: Any) -> None:
    """The team roster, subscription and usage are for people: a partner system's
    credential (T4) holds dossier scopes only."""
    if principal is None:
        raise Unauthenticated()
    if principal.actor.machine:
        raise PeopleOnly()
    if principal.two_factor_required:
        raise TwoFactorRequired()


def ensure_acting_in(principal: Any, account_id: int) -> None:
    """Account data (subscription, usage, ledger, audit log, credentials) is shown only
    for the account the token acts in: scopes are derived from the role there, and an
    account reached through `me.memberships` must not borrow them."""
    if principal is None:
        raise Unauthenticated()
    if principal.two_factor_required:
        raise TwoFactorRequired()
    if principal.actor.account_id != account_id:
        raise NotActingInAccount()


def requires(*scopes: Scope) -> list[FieldExtension]:
    """Extensions for a field that needs a signed-in principal with these scopes
    (none listed: any signed-in principal)."""
    return [PermissionExtension(permissions=[HasScopes(*scopes)], use_directives=False)]


def public() -> list[FieldExtension]:
    return [PermissionExtension(permissions=[Public()], use_directives=False)]
