"""The ASGI application: `api.app:app`."""
from __future__ import annotations

import contextlib
import gc
import logging
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache

from api import graphiql
from api.clock import BusinessClockMiddleware
from api.context import build_context
from api.downloads import download_endpoint
from api.invoice_pdf import invoice_pdf_endpoint
from api.deadline import with_deadline
from api.drain import Drain
from api.extensions import CasebookMaskErrors, RequestErrorCodes, ResponseExtensions
from api.http import InternalErrorMiddleware
from api.limits import abuse_limit_extensions
from api.logging import configure_logging
from api.metrics import Metrics, metrics_endpoint
from api.middleware import BodySizeLimitMiddleware, JsonBodyOnlyMiddleware, RequestIdMiddleware
from api.observe import ObserveExtension, ObserveMiddleware
from api.readiness import readyz
from api.view import GraphQLOverHTTP
from api.wiring import wire
from api.worker import build_worker, running_worker
from auth import two_factor
from auth.tokens import TokenService
from domain.billing.catalog import load_catalog
from domain.invoices.seller import configure_seller
from domain.core.db import close_db, init_db
from domain.core.settings import Settings, load_settings
from schema.schema import build_schema

log = logging.getLogger("casebook.api")


class CasebookGraphQL(GraphQLOverHTTP, GraphQL):
    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.tokens = TokenService(settings)
        self.catalog = load_catalog(settings.catalog_path or None)
        configure_seller(settings)  # the seller every invoice names (B6)

    async def get_context(self, request: Request, response: Any) -> Any:
        return await build_context(request, self.settings, self.tokens, self.catalog)


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
    ]


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, *, manage_db: bool = True, compiled: bool | None = None) -> Starlette:
    """`manage_db=False` lets tests own the database connection; `compiled=False` serves
    through the standard completion only (the differential test's reference; default:
    the GRAPHQL_EXECUTOR setting)."""
    settings = settings or load_settings()
    wire()
    if compiled is None:
        compiled = settings.graphql_executor == "compiled"
    two_factor.configure(settings)
    schema = with_deadline(build_schema(extensions=graphql_extensions(settings), compiled=compiled),
                           settings.execution_timeout_seconds)
    graphql = CasebookGraphQL(
        settings,
        schema=schema,
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=True,  # queries only: the view refuses mutations over GET
    )
    metrics = Metrics(settings.metrics_dir)
    drain = Drain(settings.shutdown_drain_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_db:
            await init_db(settings)
        drain.install()  # SIGTERM: /readyz 503 first (api/drain.py)
        # What is loaded by now (schema, catalog, modules) lives as long as the process: move
        # it out of the cyclic collector's way, so collections scan only requests' objects.
        gc.collect()
        gc.freeze()
        try:
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
            allow_headers=["authorization", "content-type", "x-request-id", *clock],
            expose_headers=["x-request-id", *clock], max_age=600,
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
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint(metrics, settings.metrics_token, settings.is_production)),
            Route("/exports/{key}", download_endpoint(settings, graphql.tokens), methods=["GET"]),
            Route("/invoices/{invoice_id}.pdf", invoice_pdf_endpoint(graphql.tokens), methods=["GET"]),
            *([] if settings.is_production else graphiql.routes()),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
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
