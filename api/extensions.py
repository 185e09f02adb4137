"""Schema extensions of the HTTP API: the request id on every response, codes for errors
about the request itself (a document that does not parse or validate, variables that do
not coerce), and masking of unexpected errors so no stack trace or SQL reaches a client."""
from __future__ import annotations

import logging
from decimal import InvalidOperation
from typing import Any, Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

from api.http import BAD_USER_INPUT, OPERATION_RESOLUTION_FAILURE, PARSE_FAILED, VALIDATION_FAILED, pre_execution
from domain.core import errors as domain_errors
from domain.core.outages import outage_of
from infra.tracing import request_id_var

log = logging.getLogger("casebook.api")

# Codes of expected errors that clients may see; everything else is masked.
# Masked errors carry INTERNAL_SERVER_ERROR (the code Apollo and tools such as schemathesis know).
PUBLIC_CODES = frozenset({*domain_errors.TOP_LEVEL_CODES.values(), "RATE_LIMITED", "QUERY_TOO_COMPLEX",
                          "INVALID_INPUT", "NOT_FOUND", BAD_USER_INPUT, PARSE_FAILED, VALIDATION_FAILED,
                          OPERATION_RESOLUTION_FAILURE, "TWO_FACTOR_REQUIRED", "TOKEN_EXPIRED", "SLOW_CONSUMER",
                          "SERVICE_UNAVAILABLE"})
INTERNAL_MESSAGE = "Internal error; quote the requestId when reporting it."


def _expected_code(original: BaseException) -> str | None:
    """The public code of an error raised on purpose outside a mutation payload."""
    return domain_errors.top_level_code(original)


def should_mask(error: GraphQLError) -> bool:
    if (error.extensions or {}).get("code") in PUBLIC_CODES:
        return False  # coded on purpose, e.g. a variable that does not coerce (RequestErrorCodes)
    original = error.original_error
    if original is None:
        return False  # parse and validation errors: about the query, safe to show
    if isinstance(original, GraphQLError) and (original.extensions or {}).get("code") in PUBLIC_CODES:
        return False
    if _expected_code(original) is not None:
        return False
    if outage_of(original) is not None:
        log.warning("a dependency is unavailable in %s: %s", ".".join(str(p) for p in (error.path or [])) or
                    "the request", original, extra={"fields": {"request_id": request_id_var.get()}})
        return False
    # The client sees only the request id: this line, with the same id, is where it leads.
    log.error("unexpected error in %s", ".".join(str(p) for p in (error.path or [])) or "the request",
              exc_info=(type(original), original, original.__traceback__),
              extra={"fields": {"request_id": request_id_var.get()}})
    return True


class RequestErrorCodes(SchemaExtension):
    """Gives errors about the request itself a code before masking sees them (API.md:
    a variable that does not fit its type is BAD_USER_INPUT, never an internal error).
    Parse errors are coded by the view (api/http.py): a cached parse fails before any
    extension's hook can see it."""

    def on_validate(self) -> Iterator[None]:
        yield
        _code(self.execution_context.pre_execution_errors, VALIDATION_FAILED)

    def on_execute(self) -> Iterator[None]:
        yield
        code_request_errors(self.execution_context.result)


def code_request_errors(result: Any) -> None:
    """BAD_USER_INPUT for what graphql-core answered before running anything: variables
    that do not coerce (built-in and custom scalars alike), or an operation it cannot pick."""
    if pre_execution(result):
        for error in result.errors:
            _log_unexpected_coercion(error)
        _code(result.errors, BAD_USER_INPUT)


def _code(errors: list[GraphQLError] | None, code: str) -> None:
    for error in errors or ():
        if not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": code}


def _log_unexpected_coercion(error: GraphQLError) -> None:
    """A scalar's parser that fails with something other than a value error is a bug in
    that scalar, even though the client is told its value did not fit."""
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if original is not None and not isinstance(original, (ValueError, TypeError, InvalidOperation, GraphQLError)):
        log.warning("a variable's scalar failed unexpectedly", exc_info=(type(original), original,
                                                                      original.__traceback__))


class CasebookMaskErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask, error_message=INTERNAL_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(message=INTERNAL_MESSAGE, nodes=error.nodes, path=error.path,
                            extensions={"code": "INTERNAL_SERVER_ERROR"})

    def _process_result(self, result: object) -> None:
        # strawberry asks `isinstance` of a runtime-checkable protocol (about fifty calls on
        # every request) whether the result has `errors`: a lookup answers the same.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # A subscription whose variables do not coerce answers before running anything,
        # past RequestErrorCodes' hooks: coded here, before masking, as for requests.
        if pre_execution(result):
            _code(result.errors, BAD_USER_INPUT)
        yield from super().on_stream_result(result)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in super()._process_errors(errors):
            original = error.original_error
            code = _expected_code(original) if original is not None else None
            outage = outage_of(original) if original is not None and code is None else None
            if outage is not None:
                error = GraphQLError(outage.message, nodes=error.nodes, path=error.path,
                                     extensions={"code": "SERVICE_UNAVAILABLE", "retryAfter": outage.retry_after})
            elif code is not None:
                message = getattr(original, "message", None) or str(original) or code
                error = GraphQLError(message, nodes=error.nodes, path=error.path,
                                     extensions={"code": code})
            processed.append(error)
        return processed


class ResponseExtensions(SchemaExtension):
    """Adds `extensions.requestId` (and whatever resolvers put in the context's
    `response_extensions`) to every response."""

    def get_results(self) -> dict[str, Any]:
        return response_extensions(self.execution_context.context)


def response_extensions(context: Any) -> dict[str, Any]:
    if context is None:
        return {}
    return {"requestId": context.request_id, **context.response_extensions}
