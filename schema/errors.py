"""The one boundary where domain errors become GraphQL: `userErrors` (plus a `quote` for
limits, Q5) in mutation payloads. Resolvers never build error dicts themselves. Pure
mapping: it reads nothing and opens no transaction."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, TypeVar

import strawberry

from domain.core import errors as domain_errors
from graphql import GraphQLError

from domain.core.errors import DomainError, Forbidden, LimitReached
from schema.billing.quote_types import Quote

ErrorCode = strawberry.enum(domain_errors.ErrorCode, name="ErrorCode")
log = logging.getLogger("casebook.schema")
P = TypeVar("P")


@strawberry.type
class UserError:
    code: ErrorCode
    message: str
    field: list[str] | None = None

    @classmethod
    def from_error(cls, error: DomainError) -> "UserError":
        return cls(code=error.code, message=error.message, field=list(error.field) or None)


def _fields_of(payload: type) -> set[str]:
    return {name for cls in payload.__mro__ for name in getattr(cls, "__annotations__", {})}


async def mutate(info: Any, payload: type[P], call: Callable[[], Awaitable[Any]],
                 on_success: Callable[[Any], dict[str, Any]]) -> P:
    """Run one domain call; map its result, or its user error, into the payload.

    A domain `Forbidden` (a role rule finer than scopes, e.g. an admin making an owner)
    is authorisation, so it answers a top-level FORBIDDEN like the permission check."""
    try:
        result = await call()
    except Forbidden as error:
        raise GraphQLError(f"Your role does not allow this ({error}).",
                           extensions={"code": "FORBIDDEN"}) from None
    except LimitReached as error:
        fields: dict[str, Any] = {"user_errors": [UserError.from_error(error)]}
        # The domain stored the quote (Q5) already, for whoever may see it; this only maps it.
        if error.quote is not None and "quote" in _fields_of(payload):
            fields["quote"] = Quote.from_stored(error.quote)
        return payload(**fields)
    except DomainError as error:
        return payload(user_errors=[UserError.from_error(error)])
    return payload(user_errors=[], **on_success(result))
