"""The ASGI application: `api.app:app`."""
from __future__ import annotations

import contextlib
import dataclasses
import gc
from datetime import timedelta
import logging
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api import graphiql, tracing
from api.clock import BusinessClockMiddleware
from api.context import build_context
from api.downloads import download_endpoint
from api.invoice_pdf import invoice_pdf_endpoint
from api.deadline import with_deadline
from api.drain import Drain
from api.extensions import CasebookMaskErrors, RequestErrorCodes, ResponseExtensions
from api.http import InternalErrorMiddleware
from api.abuse_limits import abuse_limit_extensions
from api.refusals import DoorRefusalsInPayloads
from api.live.transport import LiveHandler, LiveWebSocketAdapter, close_all_for_restart
from api.logging import configure_logging
from api.metrics import Metrics, metrics_endpoint
from api.middleware import BodySizeLimitMiddleware, JsonBodyOnlyMiddleware, RequestIdMiddleware
from api.observe import ObserveExtension, ObserveMiddleware
from api.prepared import PreparedOperations
from api.readiness import readyz
from api.view import GraphQLOverHTTP
from api.wiring import wire
from api.worker import build_worker, running_worker
from auth.tokens import TokenService
from domain.billing.catalog import load_catalog
from domain.billing.invoices.seller import configure_seller
from domain.identity import two_factor
from infra.db import close_db, init_db
from infra.settings import Settings, load_settings
from domain.live.publish import listening
from schema.live.context import LiveContext
from schema.schema import schema_with

log = logging.getLogger("casebook.api")

# The cyclic collector's first threshold (lifespan below).
YOUNG_OBJECTS_BEFORE_COLLECTING = 10_000


class CasebookGraphQL(GraphQLOverHTTP, GraphQL):
    graphql_transport_ws_handler_class = LiveHandler
    websocket_adapter_class = LiveWebSocketAdapter  # type: ignore[assignment]

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.tokens = TokenService(settings)
        self.catalog = load_catalog(settings.catalog_path or None)
        self.drain: Drain | None = None
        configure_seller(settings)  # the seller every invoice names (B6)

    async def get_context(self, request: Request, response: Any) -> Any:
        context = await build_context(request, self.settings, self.tokens, self.catalog)
        if request.scope["type"] == "websocket":
            return LiveContext(**{f.name: getattr(context, f.name) for f in dataclasses.fields(context)})
        return context


def graphql_extensions(settings: Settings) -> list:
    """Classes or factories only: strawberry shares an extension *instance* between
    concurrent requests, and MaskErrors keeps per-request state on it."""
    return [
        *abuse_limit_extensions(settings),  # includes the validation cache
        lambda: ParserCache(maxsize=512),
        ObserveExtension,  # before the masking, so it exits after it and sees masked errors
        CasebookMaskErrors,
        RequestErrorCodes,
        ResponseExtensions,
        DoorRefusalsInPayloads,  # last: it sees the result first, before masking and error codes
    ]


def schema_endpoint(schema: Any) -> Any:
    # Printed on first use, not at start: printing the schema costs about as much as
    # building the app, and few processes are ever asked for it.
    printed: list[str] = []

    async def endpoint(request: Request) -> PlainTextResponse:
        if not printed:
            printed.append(schema.as_str() + "\n")
        return PlainTextResponse(printed[0], headers={"cache-control": "no-cache"})

    return endpoint


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, *, manage_db: bool = True, compiled: bool | None = None,
               tracer_provider: Any = None) -> Starlette:
    """`manage_db=False` lets tests own the database connection; `compiled=False` serves
    through the standard completion only (the differential test's reference; default:
    the GRAPHQL_EXECUTOR setting); `tracer_provider` receives the spans (default: the
    collector the settings name, or no tracing)."""
    settings = settings or load_settings()
    wire()
    if compiled is None:
        compiled = settings.graphql_executor == "compiled"
    two_factor.configure(settings)
    tracer_provider = tracer_provider or tracing.provider_from(settings)
    tracing.trace_outgoing(tracer_provider)
    extensions = [*tracing.graphql_extensions(tracer_provider), *graphql_extensions(settings)]
    schema = with_deadline(schema_with(extensions, compiled=compiled), settings.execution_timeout_seconds)
    graphql = CasebookGraphQL(
        settings,
        schema=schema,
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=True,  # queries only: the view refuses mutations over GET
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        connection_init_wait_timeout=timedelta(seconds=settings.live_connection_init_seconds),
        max_subscriptions_per_connection=settings.live_subscriptions_per_connection,
        allowed_origins=list(settings.cors_origins),
    )
    metrics = Metrics(settings.metrics_dir)
    drain = Drain(settings.shutdown_drain_seconds)
    drain.on_start.append(close_all_for_restart)
    graphql.drain = drain
    graphql.prepared = PreparedOperations.for_schema(schema, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_db:
            await init_db(settings)
        drain.install()  # SIGTERM: /readyz 503 first (api/drain.py)
        # What is loaded by now (schema, catalog, modules) lives as long as the process: move
        # it out of the cyclic collector's way, so collections scan only requests' objects.
        gc.collect()
        gc.freeze()
        # A request's objects are freed by reference counting (schema/executor.py breaks
        # graphql-core's one cycle), but a dossier page holds ~2,000 of them at once: at
        # the default 700 the collector ran twice a page to find nothing (0.2 ms a page).
        gc.set_threshold(YOUNG_OBJECTS_BEFORE_COLLECTING, *gc.get_threshold()[1:])
        try:
            async with listening(settings):  # live updates from every process (T7)
                if settings.runs_worker_in_process:
                    # The embedded default is one process: it delivers its own outbox (O1).
                    async with running_worker(build_worker(settings, graphql.catalog, observer=metrics)):
                        yield
                else:
                    yield
        finally:
            drain.uninstall()
            if manage_db:
                await close_db()

    middleware = [Middleware(RequestIdMiddleware), Middleware(ObserveMiddleware, metrics=metrics),
                  Middleware(InternalErrorMiddleware)]
    if settings.cors_origins:
        clock = [] if settings.is_production else ["x-casebook-now"]
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
            allow_headers=[*settings.cors_allow_headers, *clock],
            # A browser app may read its budget (RateLimit fields) and when to retry.
            expose_headers=["x-request-id", "ratelimit", "ratelimit-policy", "retry-after", *clock], max_age=600,
        ))
    if settings.honours_test_clock:
        middleware.append(Middleware(BusinessClockMiddleware))
    middleware += [
        Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes),
        Middleware(JsonBodyOnlyMiddleware, path="/graphql"),
    ]
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            # The schema's SDL in every mode, also where introspection is off: code
            # generators and IDEs load it instead (the same text as schema.graphql).
            Route("/schema.graphql", schema_endpoint(graphql.schema), methods=["GET"]),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint(metrics, settings.metrics_token, settings.is_production)),
            Route("/exports/{key}", download_endpoint(settings, graphql.tokens), methods=["GET"]),
            Route("/invoices/{invoice_id}.pdf", invoice_pdf_endpoint(graphql.tokens), methods=["GET"]),
            *([] if settings.is_production else graphiql.routes()),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    tracing.trace_app(app, tracer_provider)
    app.state.settings = settings
    app.state.graphql = graphql
    app.state.metrics = metrics
    app.state.drain = drain
    return app


def __getattr__(name: str) -> Any:
    # `api.app:app` is built on first access, so importing this module has no side effects.
    if name == "app":
        global app
        settings = load_settings()
        configure_logging(settings)
        app = create_app(settings)
        return app
    raise AttributeError(name)
