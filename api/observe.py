"""One record per HTTP request — operation, principal, status, duration, error codes —
written as one structured log line and counted in the metrics.

The middleware opens the record; the schema extension fills in what only GraphQL knows
(operation, principal, error codes). Nothing from the request body but the operation's
type, first root field and client-given name is kept: no variables, tokens or content."""
from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Iterator

from graphql import FieldNode, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics
from api.tracing import current_trace_id
from infra.tracing import request_id_var

log = logging.getLogger("casebook.request")


@dataclass
class RequestRecord:
    method: str
    path: str
    operation: str | None = None
    operation_name: str | None = None
    user_id: int | None = None
    principal_kind: str | None = None
    account_id: int | None = None
    error_codes: list[str] = field(default_factory=list)
    user_error_codes: list[str] = field(default_factory=list)
    # The matched route's template ("/invoices/{invoice_id}.pdf"): what the metrics label,
    # so that ids, keys and paths nobody routes add no series of their own.
    route: str | None = None


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

record_var: ContextVar[RequestRecord | None] = ContextVar("casebook_request_record", default=None)


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, skip_paths: tuple[str, ...] = ("/metrics",)) -> None:
        self.app = app
        self.metrics = metrics
        self.skip_paths = skip_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.skip_paths:
            await self.app(scope, receive, send)
            return
        record = RequestRecord(method=scope["method"], path=scope["path"])
        token = record_var.set(record)
        status = 500
        started = time.perf_counter()

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            record.route = getattr(scope.get("route"), "path", None)  # set by the router when one matched
            record_var.reset(token)
            self.finish(record, status, time.perf_counter() - started)

    def finish(self, record: RequestRecord, status: int, seconds: float) -> None:
        method = record.method if record.method in _METHODS else "OTHER"  # any token is a method in HTTP
        operation = record.operation or f"{method} {record.route or '(no route)'}"
        self.metrics.observe(operation, status, seconds, record.error_codes, record.user_error_codes)
        log.info("request", extra={"fields": {
            "request_id": request_id_var.get(), "trace_id": current_trace_id(), "method": record.method,
            "path": record.path, "status": status,
            "duration_ms": round(seconds * 1000, 2), "operation": record.operation,
            "operation_name": record.operation_name, "user_id": record.user_id,
            "principal_kind": record.principal_kind, "account_id": record.account_id,
            "errors": record.error_codes or None, "user_errors": record.user_error_codes or None,
        }})


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    for definition in getattr(document, "definitions", ()):
        if isinstance(definition, OperationDefinitionNode) and (
                name is None or (definition.name and definition.name.value == name)):
            return definition
    return None


def _error_code(error: Any) -> str:
    code = (error.extensions or {}).get("code")
    if code:
        return str(code)
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"  # coded by the view, after this extension has seen it
    return "INTERNAL_SERVER_ERROR" if error.original_error is not None else "GRAPHQL_VALIDATION_FAILED"


class ObserveExtension(SchemaExtension):
    """Listed before the error masking so it sees the errors as clients do."""

    def on_operation(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        observe_operation(ctx.context, ctx.graphql_document, ctx.operation_name, ctx.schema, ctx.result)


def observe_operation(context: Any, document: Any, operation_name: str | None, schema: Any, result: Any) -> None:
    """Fill the request's record with what only GraphQL knows, once the operation ended
    (also for api/prepared.py, which runs known operations without the extensions)."""
    record = record_var.get()
    if record is None:
        return
    try:
        _fill(record, context, document, operation_name, schema, result)
    except Exception:  # noqa: BLE001 - observing must never break the response
        log.exception("could not record the request's GraphQL details")


def _fill(record: RequestRecord, context: Any, document: Any, operation_name: str | None, schema: Any,
          result: Any) -> None:
    principal = getattr(context, "principal", None)
    if principal is not None:
        actor = principal.actor
        record.user_id, record.account_id = actor.user_id, actor.account_id
        record.principal_kind = getattr(actor.kind, "value", str(actor.kind))
    operation = _operation(document, operation_name)
    if operation is not None:
        kind = operation.operation.value
        first = next((s for s in operation.selection_set.selections if isinstance(s, FieldNode)), None)
        root = schema._schema.get_root_type(operation.operation)
        # Only names the schema knows become labels: the label set stays bounded.
        known = first is not None and root is not None and first.name.value in root.fields
        record.operation = f"{kind} {first.name.value}" if known else kind
        if operation.name is not None:
            record.operation_name = operation.name.value[:64]
    errors = getattr(result, "errors", None) or []
    record.error_codes.extend(_error_code(error) for error in errors)
    data = getattr(result, "data", None)
    if operation is not None and operation.operation.value == "mutation" and isinstance(data, dict):
        for payload in data.values():
            if isinstance(payload, dict):
                for user_error in payload.get("userErrors") or ():
                    if isinstance(user_error, dict) and user_error.get("code"):
                        record.user_error_codes.append(str(user_error["code"]))
