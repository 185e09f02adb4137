"""The one boundary where domain errors become GraphQL: `userErrors` (plus a `quote` for
limits, Q5) in mutation payloads. Resolvers never build error dicts themselves."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, TypeVar

import strawberry

from domain.core import errors as domain_errors
from graphql import GraphQLError

from domain.core.errors import DomainError, Forbidden, LimitReached

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
        if "quote" in getattr(payload, "__annotations__", {}) or hasattr(payload, "quote"):
            from schema.limits import quote_for_lift

            fields["quote"] = await quote_for_lift(info, error.lift)
        return payload(**fields)
    except DomainError as error:
        return payload(user_errors=[UserError.from_error(error)])
    return payload(user_errors=[], **on_success(result))
