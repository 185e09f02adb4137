"""GraphQL over HTTP (API.md "Second release: Transport and errors"; the GraphQL over
HTTP specification): which media type a response uses, which status code it gets, and
how a request is refused before anything runs.

Media types. A client that accepts `application/graphql-response+json` (and prefers it
at least as much as `application/json`) gets it; everyone else gets `application/json`,
with the status codes clients have always seen.

| what went wrong | `application/json` | `application/graphql-response+json` |
|---|---|---|
| nothing (executed, with or without field errors) | 200 | 200 |
| parse, validation, variable coercion, query cost (nothing ran) | 200, `"data": null` | 400, no `data` key |
| a masked internal error before execution | 200, `"data": null` | 500, no `data` key |
| the execution deadline stopped it (`DEADLINE_EXCEEDED`, api/deadline.py) | 200, `"data": null` | 503, no `data` key |
| the query-cost budget cannot cover it (`RATE_LIMITED`, api/budget.py; `Retry-After`) | 200, `"data": null` | 429, no `data` key |
| a request that is not well-formed: bad JSON, not an object, parameters of the wrong type, batching, over-deep nesting, bad `X-Casebook-Now` | 400 | 400 |
| a persisted query the server does not know | 404 | 404 |
| a mutation over GET | 405 (`Allow: POST`) | 405 |
| no data, refused for its token: `UNAUTHENTICATED`, `TOKEN_EXPIRED` | 200 | 401, `WWW-Authenticate: Bearer error="invalid_token"` |
| no data, over a rate limit: `RATE_LIMITED` | 200 | 429, `Retry-After` |
| no data, a dependency is down (database, Redis): `SERVICE_UNAVAILABLE` | 200, `Retry-After` | 503, `Retry-After` |

"No data" means every root field came back null (API.md "Retries, expiry and outages";
the GraphQL over HTTP specification wants 2xx whenever data is there). An expired but
genuine access token answers `TOKEN_EXPIRED` instead of `UNAUTHENTICATED` (O6).

Every refusal is a GraphQL response body, `{"errors": [{"message", "extensions": {"code"}}],
"extensions": {"requestId"}}`, never text/plain.
"""
from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLSyntaxError
from starlette.responses import Response

from infra.tracing import request_id_var

log = logging.getLogger("casebook.api")

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"

# Nesting deeper than this in a request body (variables, extensions) is refused with 400:
# no input type of the schema nests more than a few levels, and Python's JSON parser
# and graphql-core's coercion both recurse.
MAX_JSON_DEPTH = 32

# Codes of errors about the request itself (nothing ran): 400 under graphql-response+json.
BAD_REQUEST = "BAD_REQUEST"
BAD_USER_INPUT = "BAD_USER_INPUT"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
INTERNAL = "INTERNAL_SERVER_ERROR"
# Failures without data that are the server's, not the request's (graphql-response+json).
UNAUTHENTICATED = "UNAUTHENTICATED"
TOKEN_EXPIRED = "TOKEN_EXPIRED"
RATE_LIMITED = "RATE_LIMITED"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
TOKEN_EXPIRED_MESSAGE = "The access token has expired: refresh the session (refreshSession) and send the request again."
# Status of an answer without data by its errors' codes (graphql-response+json), most telling first.
REFUSAL_STATUS = ((SERVICE_UNAVAILABLE, 503), (RATE_LIMITED, 429), (TOKEN_EXPIRED, 401), (UNAUTHENTICATED, 401))
WWW_AUTHENTICATE = 'Bearer error="invalid_token"'
SERVER_STATUS = {INTERNAL: 500, "DEADLINE_EXCEEDED": 503, RATE_LIMITED: 429, SERVICE_UNAVAILABLE: 503}

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class RequestRefused(Exception):
    """A request refused before execution, answered as a GraphQL error with a status."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


@dataclass
class Exchange:
    """What the view learns about one request and needs when it answers it."""

    media_type: str = JSON
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # A persisted query to remember once the document proved valid: (sha256, document).
    register: tuple[str, str] | None = None
    # The bearer token verified but had expired (O6): UNAUTHENTICATED answers TOKEN_EXPIRED.
    token_expired: bool = False
    # The client's address, as the rate limits see it (persisted-query registrations).
    client: str = "unknown"


# The exchange of the request being answered (set by the view, api/view.py).
exchange_var: ContextVar[Exchange | None] = ContextVar("casebook_exchange", default=None)


def negotiate(accept: str | None) -> str:
    """The response media type for an `Accept` header. No header, `*/*`, or neither JSON
    type listed: application/json (the spec's legacy default)."""
    if not accept:
        return JSON
    best: dict[str, float] = {}
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best[media] = max(best.get(media, 0.0), quality)
    graphql_q = best.get(GRAPHQL_RESPONSE_JSON, 0.0)
    json_q = max(best.get(JSON, 0.0), best.get("application/*", 0.0), best.get("*/*", 0.0))
    return GRAPHQL_RESPONSE_JSON if graphql_q > 0 and graphql_q >= json_q else JSON


def error_body(code: str, message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **(extra or {})}}],
            "extensions": {"requestId": request_id_var.get() or "-"}}


def refusal(status: int, code: str, message: str, *, media_type: str = JSON,
            headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> Response:
    body = json.dumps(error_body(code, message, extra), separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def strip_suggestions(message: str) -> str:
    """"Did you mean …" names parts of the schema; introspection may be off, so no
    message hints at fields, arguments, types or enum values a client did not name."""
    return _SUGGESTION.sub("", message) if "Did you mean" in message else message


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a parsed JSON value nests deeper than `limit`, without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_json_body(raw: str | bytes) -> Any:
    """The request's JSON, or RequestRefused(400) when it is not JSON or nests too deeply."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise RequestRefused(400, BAD_REQUEST, f"The request nests more than {MAX_JSON_DEPTH} levels deep.") from None
    except ValueError:  # JSONDecodeError, and UnicodeDecodeError for bytes that are not UTF-8
        raise RequestRefused(400, BAD_REQUEST, "The request body is not valid JSON.") from None
    brackets = raw.count(b"[") + raw.count(b"{") if isinstance(raw, bytes) else raw.count("[") + raw.count("{")
    if brackets > MAX_JSON_DEPTH and json_depth_exceeds(data):
        raise RequestRefused(400, BAD_REQUEST, f"The request nests more than {MAX_JSON_DEPTH} levels deep.")
    return data


def request_parameters(data: Any) -> tuple[str | None, dict | None, str | None, dict | None]:
    """`query`, `variables`, `operationName`, `extensions` of a GraphQL-over-HTTP request,
    each checked for its type (a wrong type is 400, whatever the Accept header)."""
    if isinstance(data, list):
        raise RequestRefused(400, BAD_REQUEST, "Batched requests (a JSON array) are not accepted; "
                                               "send one operation per request.")
    if not isinstance(data, dict):
        raise RequestRefused(400, BAD_REQUEST, "The request body must be a JSON object with `query` "
                                               "and optional `variables`, `operationName`, `extensions`.")
    query, variables = data.get("query"), data.get("variables")
    operation_name, extensions = data.get("operationName"), data.get("extensions")
    for name, value, expected, kind in (("query", query, str, "a string"),
                                        ("variables", variables, dict, "an object"),
                                        ("operationName", operation_name, str, "a string"),
                                        ("extensions", extensions, dict, "an object")):
        if value is not None and not isinstance(value, expected):
            raise RequestRefused(400, BAD_REQUEST, f"`{name}` must be {kind} or null.")
    return query, variables, operation_name, extensions


def query_parameters(params: dict[str, str]) -> dict[str, Any]:
    """The parameters of a GET request: `variables` and `extensions` are JSON text."""
    data: dict[str, Any] = {key: params[key] for key in ("query", "operationName") if params.get(key)}
    for key in ("variables", "extensions"):
        if params.get(key):
            data[key] = parse_json_body(params[key])
    return data


def pre_execution(result: Any) -> bool:
    """Whether nothing ran: no data and only errors without a path (parse, validation,
    variable coercion, cost). Every error raised while executing carries its path."""
    errors = getattr(result, "errors", None) or []
    return getattr(result, "data", None) is None and bool(errors) and all(e.path is None for e in errors)


def answer(exchange: Exchange, result: Any, response_data: dict[str, Any]) -> dict[str, Any]:
    """Shape a GraphQL response for the negotiated media type and set its status."""
    errors = getattr(result, "errors", None) or []
    for error, formatted in zip(errors, response_data.get("errors") or ()):
        if not isinstance(formatted, dict):
            continue
        if isinstance(formatted.get("message"), str):
            formatted["message"] = strip_suggestions(formatted["message"])
        if isinstance(error, GraphQLSyntaxError) and not (formatted.get("extensions") or {}).get("code"):
            formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": PARSE_FAILED}
    _refusal_status(exchange, response_data)
    if not pre_execution(result):
        return response_data
    if exchange.media_type == GRAPHQL_RESPONSE_JSON:
        response_data.pop("data", None)
        codes = {(error.extensions or {}).get("code") for error in errors}
        exchange.status = max((SERVER_STATUS.get(code, 400) for code in codes), default=400)
    return response_data


def _refusal_status(exchange: Exchange, response_data: dict[str, Any]) -> None:
    """TOKEN_EXPIRED for an expired token; 401, 429 or 503 with their headers for an
    answer without data (API.md "Retries, expiry and outages")."""
    formatted = [error for error in response_data.get("errors") or () if isinstance(error, dict)]
    codes: set[str] = set()
    retry_after = 0
    for error in formatted:
        extensions = error.get("extensions") or {}
        if exchange.token_expired and extensions.get("code") == UNAUTHENTICATED:
            extensions = error["extensions"] = {**extensions, "code": TOKEN_EXPIRED}
            error["message"] = TOKEN_EXPIRED_MESSAGE
        codes.add(extensions.get("code"))
        wait = extensions.get("retryAfter")
        if isinstance(wait, int):
            retry_after = max(retry_after, wait)
    if retry_after and codes & {RATE_LIMITED, SERVICE_UNAVAILABLE}:
        exchange.headers["Retry-After"] = str(retry_after)
    data = response_data.get("data")
    if data is not None and any(value is not None for value in data.values()):
        return
    status = next((status for code, status in REFUSAL_STATUS if code in codes), None)
    if status is None or exchange.media_type != GRAPHQL_RESPONSE_JSON:
        return
    exchange.status = status
    if status == 401:
        exchange.headers["WWW-Authenticate"] = WWW_AUTHENTICATE


class InternalErrorMiddleware:
    """The last word on anything unexpected: logged with its traceback while the request
    id is still set, and answered as a GraphQL error carrying that id (never a bare 500
    text/plain, never a trace)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled error while serving %s %s", scope.get("method"), scope.get("path"),
                          extra={"fields": {"request_id": request_id_var.get()}})
            if started:
                raise
            response = refusal(500, INTERNAL, "Internal error; quote the requestId when reporting it.")
            await response(scope, receive, send)
