"""Schema extensions of the HTTP API: the request id on every response, and masking of
unexpected errors so no stack trace or SQL reaches a client."""
from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

from domain.core import errors as domain_errors

log = logging.getLogger("casebook.api")

# Codes of expected errors that clients may see; everything else is masked.
# Masked errors carry INTERNAL_SERVER_ERROR (the code Apollo and tools such as schemathesis know).
PUBLIC_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED", "QUERY_TOO_COMPLEX",
                          "INVALID_INPUT", "NOT_FOUND", "TWO_FACTOR_REQUIRED"})
INTERNAL_MESSAGE = "Internal error; quote the requestId when reporting it."


def _expected_code(original: BaseException) -> str | None:
    """The public code of an error raised on purpose outside a mutation payload."""
    if isinstance(original, domain_errors.DomainError):
        return original.code.value
    if isinstance(original, domain_errors.Unauthenticated):
        return "UNAUTHENTICATED"
    if isinstance(original, domain_errors.Forbidden):
        return "FORBIDDEN"
    return None


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False  # parse and validation errors: about the query, safe to show
    if isinstance(original, GraphQLError):
        return (original.extensions or {}).get("code") not in PUBLIC_CODES
    if _expected_code(original) is not None:
        return False
    if error.path is None:
        return False  # a variable that does not coerce: about the request, not the server
    log.error("unexpected error in %s", ".".join(str(p) for p in (error.path or [])),
              exc_info=(type(original), original, original.__traceback__))
    return True


class CasebookMaskErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask, error_message=INTERNAL_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(message=INTERNAL_MESSAGE, nodes=error.nodes, path=error.path,
                            extensions={"code": "INTERNAL_SERVER_ERROR"})

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in super()._process_errors(errors):
            original = error.original_error
            code = _expected_code(original) if original is not None else None
            if code is not None:
                message = getattr(original, "message", None) or str(original) or code
                error = GraphQLError(message, nodes=error.nodes, path=error.path,
                                     extensions={"code": code})
            processed.append(error)
        return processed


class ResponseExtensions(SchemaExtension):
    """Adds `extensions.requestId` (and whatever resolvers put in the context's
    `response_extensions`) to every response."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if context is None:
            return {}
        return {"requestId": context.request_id, **context.response_extensions}
