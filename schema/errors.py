"""The one boundary where domain errors become GraphQL: `userErrors` (plus a `quote` for
limits, Q5) in mutation payloads. Resolvers never build error dicts themselves. Pure
mapping: it reads nothing and opens no transaction."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, TypeVar

import strawberry

from domain.core import errors as domain_errors
from domain.core.errors import DomainError, LimitReached
from schema.billing.quote_types import Quote

# What each code means to a client developer. The enum itself stays the domain's (one
# list of codes, API.md); the names of the contract's later codes are listed ahead of
# the code that raises them. tests/api/schema/test_schema_descriptions.py fails on a code
# without a description here.
ERROR_CODE_DESCRIPTIONS = {
    "INVALID_INPUT": "The input breaks a rule the message names (a format, a size, a choice that does not exist); "
                     "`field` points at the input at fault. Correct it and send again.",
    "NOT_FOUND": "No such object, or one the caller may not see: the two are answered alike.",
    "ALREADY_EXISTS": "It exists already: a login with this email (signUp), a teammate or an open invitation for "
                      "this address, a live share of this dossier to this address.",
    "INVALID_CREDENTIALS": "The email and password, the refresh token, or the client id and secret are not right; "
                           "the answer never says which part, nor whether the email is registered.",
    "INVITATION_INVALID": "The invitation's token is unknown, used, expired or withdrawn, or was sent to another "
                          "address than the login accepting it. Ask for a new invitation.",
    "LAST_OWNER": "The change would leave the account without an owner: make someone else owner first.",
    "SEAT_LIMIT_REACHED": "Every paid seat is taken by a teammate or a pending invitation; the payload's "
                          "`quote` adds one seat.",
    "ACTIVE_CLIENT_LIMIT_REACHED": "The write would make one more dossier active this month while the count "
                                   "already equals the tier's cap; nothing of it was written. The payload's "
                                   "`quote` is for the smallest tier that allows it.",
    "DOSSIER_SHARE_LIMIT_REACHED": "The dossier is shared with 1000 people already, the most it can be; "
                                   "revoke a share first.",
    "GUEST_DOSSIER_LIMIT_REACHED": "The address is not a paid user and holds shares to 3 dossiers already. "
                                   "Add the person as a paid teammate instead: the payload's `quote` adds the seat.",
    "SEATS_BELOW_TEAMMATES": "Fewer seats than the account has teammates: remove teammates first.",
    "QUOTE_EXPIRED": "The quote has lapsed: it held until midnight, in the account's time zone, of the day it was "
                     "made. Nothing was charged; ask for a new quote.",
    "QUOTE_STALE": "The subscription changed since the quote was made. Nothing was charged; ask for a new "
                   "quote.",
    "DOSSIER_ARCHIVED": "The dossier is archived: it can be read and exported, not changed or shared.",
    "DOSSIER_NOT_ARCHIVED": "unarchiveDossier on a dossier that is not archived: nothing changed. The answer "
                            "mirrors DOSSIER_ARCHIVED for a second archiveDossier; `viewerCan` tells which applies.",
    "ACCOUNT_READ_ONLY": "The account's subscription was cancelled and has ended: it can read and export its "
                         "dossiers, not change anything.",
    # API.md, second release (identity, SPEC I1–I7).
    "TOKEN_INVALID": "A verification, password-reset or email-change token that is unknown, used or expired "
                     ". Ask for a new mail.",
    "EMAIL_NOT_VERIFIED": "The action needs a proven address: follow the link mailed to it first.",
    "TWO_FACTOR_REQUIRED": "logIn needs `twoFactorCode`; or the account requires two-factor sign-in and the "
                           "teammate has not enrolled yet.",
    "TWO_FACTOR_INVALID": "The one-time code or recovery code is not right, or was used already.",
    "RATE_LIMITED": "Too many attempts in a short time, or the query-cost budget cannot cover the request now: "
                    "nothing was done; wait and try again (the message and the `Retry-After` header say when). "
                    "Where no payload carries it, the same code comes as a top-level error with "
                    "`extensions.retryAfter` (seconds).",
    # API.md, third release: retries, expiry and outages.
    "TOKEN_EXPIRED": "The access token has expired (a top-level error): refresh the session with refreshSession "
                     "and send the request again. A forged, malformed or revoked token is UNAUTHENTICATED instead.",
    "SERVICE_UNAVAILABLE": "A service Casebook depends on (its database or cache) is briefly down and nothing was "
                           "changed (a top-level error): retry after `extensions.retryAfter` seconds.",
}

ErrorCode = strawberry.enum(domain_errors.ErrorCode, name="ErrorCode",
                            description="Why a mutation was refused: a stable code to branch on. "
                                        "Top-level errors (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED, "
                                        "QUERY_TOO_COMPLEX, BAD_USER_INPUT) are `extensions.code` instead.")
for _value in ErrorCode.__strawberry_definition__.values:
    _value.description = ERROR_CODE_DESCRIPTIONS.get(_value.name)
log = logging.getLogger("casebook.schema")
P = TypeVar("P")


@strawberry.type(description="Something the caller can fix, answered in a mutation's `userErrors` rather than as "
                             "an exception. A refused mutation changes nothing.")
class UserError:
    code: ErrorCode = strawberry.field(description="What went wrong, as a stable code.")
    message: str = strawberry.field(description="What is wrong and what to do, in a sentence for a person.")
    field: list[str] | None = strawberry.field(
        default=None, description="The path of the input field at fault, in the input's own names (e.g. "
                                  "[\"email\"], [\"dossierId\"]); null when no one field is.")

    @classmethod
    def from_error(cls, error: DomainError) -> "UserError":
        return cls(code=error.code, message=error.message, field=list(error.field) or None)


def _fields_of(payload: type) -> set[str]:
    return {name for cls in payload.__mro__ for name in getattr(cls, "__annotations__", {})}


async def mutate(info: Any, payload: type[P], call: Callable[[], Awaitable[Any]],
                 on_success: Callable[[Any], dict[str, Any]]) -> P:
    """Run one domain call; map its result, or its user error, into the payload.

    The policy's refusals (domain_errors.TOP_LEVEL_CODES: FORBIDDEN, UNAUTHENTICATED)
    are not the caller's input to fix: they leave as top-level errors, mapped once by
    api/extensions.py, like the permission check's."""
    try:
        result = await call()
    except tuple(domain_errors.TOP_LEVEL_CODES):
        raise
    except LimitReached as error:
        fields: dict[str, Any] = {"user_errors": [UserError.from_error(error)]}
        # The domain stored the quote (Q5) already, for whoever may see it; this only maps it.
        if error.quote is not None and "quote" in _fields_of(payload):
            fields["quote"] = Quote.from_stored(error.quote)
        return payload(**fields)
    except DomainError as error:
        return payload(user_errors=[UserError.from_error(error)])
    return payload(user_errors=[], **on_success(result))
