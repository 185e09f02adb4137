"""Schema extensions of the HTTP API: the request id on every response, and masking of
unexpected errors so no stack trace or SQL reaches a client."""
from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

log = logging.getLogger("casebook.api")

# Codes of expected errors that clients may see; everything else is masked.
PUBLIC_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED", "QUERY_TOO_COMPLEX",
                          "INVALID_INPUT", "NOT_FOUND"})


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False  # parse and validation errors: about the query, safe to show
    if isinstance(original, GraphQLError):
        return (original.extensions or {}).get("code") not in PUBLIC_CODES
    code = (error.extensions or {}).get("code")
    if code in PUBLIC_CODES and isinstance(original, GraphQLError):
        return False
    log.error("unexpected error in %s", ".".join(str(p) for p in (error.path or [])),
              exc_info=(type(original), original, original.__traceback__))
    return True


class CasebookMaskErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask,
                         error_message="Internal error; quote the requestId when reporting it.")


class ResponseExtensions(SchemaExtension):
    """Adds `extensions.requestId` (and whatever resolvers put in the context's
    `response_extensions`, e.g. query cost) to every response."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if context is None:
            return {}
        return {"requestId": context.request_id, **context.response_extensions}
