"""The GraphQL view's transport: strawberry's ASGI view, with its hooks (body parsing,
execution, result processing, response creation) answering as api/http.py describes,
persisted queries resolved before execution (api/documents.py), and GraphiQL served
from the service's own files (api/graphiql.py)."""
from __future__ import annotations

import logging
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from api import graphiql
from api.documents import DocumentStore, resolve_document
from api.prepared import PreparedOperations
from api.http import (
    BAD_REQUEST, OPERATION_RESOLUTION_FAILURE, PARSE_FAILED, SERVICE_UNAVAILABLE, VALIDATION_FAILED, Exchange,
    RequestRefused, answer, exchange_var, negotiate, parse_json_body, query_parameters, refusal, request_parameters,
)
from domain.core.outages import outage_of
from infra.db import request_reads

log = logging.getLogger("casebook.api")


class GraphQLOverHTTP:
    """Mixed into the strawberry view (api.app.CasebookGraphQL), before strawberry's
    `GraphQL`, which provides everything not overridden here."""

    settings: Any
    _documents: DocumentStore | None = None
    prepared: PreparedOperations | None = None  # known operations, the short way (api/prepared.py)

    @property
    def documents(self) -> DocumentStore:
        if self._documents is None:
            self._documents = DocumentStore(self.settings)
        return self._documents

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # live updates (api/live/transport.py)
            await super().__call__(scope, receive, send)  # type: ignore[misc]
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive=receive)
        exchange = Exchange(media_type=negotiate(request.headers.get("accept")),
                            client=request.client.host if request.client else "unknown")
        token = exchange_var.set(exchange)
        try:
            # One pool connection for the request's statements outside transactions, given
            # back before the response is sent (never for live updates, which last).
            async with request_reads():
                response = await self.prepared.answer(self, request) if self.prepared is not None else None
                if response is None:
                    response = await self.run(request)  # type: ignore[attr-defined]
        except RequestRefused as refused:
            response = refusal(refused.status, refused.code, refused.message,
                               media_type=exchange.media_type, headers=refused.headers)
        except HTTPException as error:  # what strawberry itself still refuses (e.g. other methods)
            response = refusal(error.status_code, BAD_REQUEST, error.reason, media_type=exchange.media_type)
        except Exception as error:
            # The database or Redis down before execution (reading the principal or a
            # persisted document): retryable, never an internal error (O6).
            outage = outage_of(error)
            if outage is None:
                raise
            log.warning("a dependency is unavailable: %s: %s", type(error).__name__, error)
            response = refusal(503, SERVICE_UNAVAILABLE, outage.message, media_type=exchange.media_type,
                               headers={"Retry-After": str(outage.retry_after)},
                               extra={"retryAfter": outage.retry_after})
        finally:
            exchange_var.reset(token)
        await response(scope, receive, send)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # Only browsers asking for a page: not `*/*` (curl, fetch) and never in production.
        return (request.method == "GET" and self.graphql_ide is not None  # type: ignore[attr-defined]
                and not request.query_params.get("query") and not request.query_params.get("extensions")
                and "text/html" in request.headers.get("accept", ""))

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql.page()

    async def parse_http_body(self, request: Any) -> GraphQLRequestData:
        if request.method == "GET":
            data: Any = query_parameters(dict(request.query_params))
        else:
            data = parse_json_body(await request.get_body())
        query, variables, operation_name, extensions = request_parameters(data)
        exchange = exchange_var.get() or Exchange()
        query = await resolve_document(self.documents, query, extensions, exchange)
        if query is None:
            raise RequestRefused(400, BAD_REQUEST, "Send the GraphQL document as `query` (or a registered "
                                                   "document's hash as `extensions.persistedQuery`).")
        return GraphQLRequestData(query=query, variables=variables, operation_name=operation_name,
                                  extensions=extensions, protocol="http")

    async def execute_single(self, **kwargs: Any) -> Any:
        try:
            result = await super().execute_single(**kwargs)  # type: ignore[misc]
        except HTTPException as error:
            cause = error.__cause__
            if isinstance(cause, InvalidOperationTypeError):
                raise RequestRefused(405, BAD_REQUEST, "GET runs queries only; send mutations with POST.",
                                     headers={"Allow": "POST"}) from None
            if isinstance(cause, CannotGetOperationTypeError):
                raise RequestRefused(400, OPERATION_RESOLUTION_FAILURE, error.reason) from None
            if isinstance(cause, MissingQueryError):
                raise RequestRefused(400, BAD_REQUEST, "Send the GraphQL document as `query`.") from None
            raise
        exchange = exchange_var.get()
        if exchange is not None and exchange.register is not None and _document_was_valid(result):
            await self.documents.remember(*exchange.register, client=exchange.client)
        return result

    async def process_result(self, request: Request, result: Any) -> GraphQLHTTPResponse:
        response_data = await super().process_result(request, result)  # type: ignore[misc]
        return answer(exchange_var.get() or Exchange(), result, response_data)  # type: ignore[return-value]

    def encode_json(self, data: object) -> bytes:
        """orjson: the same JSON as the standard library's, several times faster on the
        responses clients page through (a page of dossiers is ~25 KB)."""
        return orjson.dumps(data)

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        exchange = exchange_var.get() or Exchange()
        response = Response(self.encode_json(response_data),  # type: ignore[attr-defined]
                            status_code=exchange.status or sub_response.status_code or 200,
                            media_type=exchange.media_type)
        response.headers.raw.extend(sub_response.headers.raw)
        response.headers.update(exchange.headers)  # the RateLimit fields, Retry-After
        if sub_response.background:
            response.background = sub_response.background
        return response


def _document_was_valid(result: Any) -> bool:
    codes = {(error.extensions or {}).get("code") for error in (getattr(result, "errors", None) or ())}
    return not codes & {PARSE_FAILED, VALIDATION_FAILED}
