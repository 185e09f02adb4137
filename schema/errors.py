"""The one boundary where domain errors become GraphQL: `userErrors` (plus a `quote` for
limits, Q5) in mutation payloads. Resolvers never build error dicts themselves."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, TypeVar

import strawberry

from domain.core import errors as domain_errors
from domain.core.errors import DomainError, LimitReached

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
    """Run one domain call; map its result, or its user error, into the payload."""
    try:
        result = await call()
    except LimitReached as error:
        fields: dict[str, Any] = {"user_errors": [UserError.from_error(error)]}
        if "quote" in getattr(payload, "__annotations__", {}) or hasattr(payload, "quote"):
            from schema.limits import quote_for_lift

            fields["quote"] = await quote_for_lift(info, error.lift)
        return payload(**fields)
    except DomainError as error:
        return payload(user_errors=[UserError.from_error(error)])
    return payload(user_errors=[], **on_success(result))
