"""SPEC I5: in an account that requires two-factor sign-in, a teammate who has not
enrolled can do nothing but enrol, read `me` and log out. Every mutation gets this gate
when the schema is built (schema.schema), so none can be forgotten: for such a
principal, a mutation outside auth.permissions.ALLOWED_BEFORE_TWO_FACTOR answers a
TWO_FACTOR_REQUIRED user error and runs nothing. Queries are refused top-level by the
permission check (auth.permissions.HasScopes)."""
from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension

from auth.policy import TWO_FACTOR_MESSAGE
from auth.permissions import ALLOWED_BEFORE_TWO_FACTOR, TwoFactorRequired, two_factor_pending
from domain.core.errors import ErrorCode
from schema.errors import UserError

MESSAGE = TWO_FACTOR_MESSAGE


class TwoFactorGate(FieldExtension):
    def __init__(self) -> None:
        self.payload: Any = None
        self.name = ""

    def apply(self, field: Any) -> None:
        self.payload = field.type
        self.name = field.graphql_name or field.python_name

    def _refusal(self) -> Any:
        try:
            return self.payload(user_errors=[UserError(code=ErrorCode.TWO_FACTOR_REQUIRED, message=MESSAGE)])
        except TypeError:  # a payload without userErrors: refuse top-level instead
            raise TwoFactorRequired() from None

    def _blocked(self, info: Any) -> bool:
        return two_factor_pending(info.context.principal) and info.field_name not in ALLOWED_BEFORE_TWO_FACTOR

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        if self._blocked(info):
            return self._refusal()
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        if self._blocked(info):
            return self._refusal()
        return await next_(source, info, **kwargs)


def gate_every_mutation(mutation_type: type) -> None:
    for field in mutation_type.__strawberry_definition__.fields:
        if not any(isinstance(extension, TwoFactorGate) for extension in field.extensions):
            field.extensions.append(TwoFactorGate())
