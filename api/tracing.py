"""Tracing with OpenTelemetry, off unless a collector is configured
(OTEL_EXPORTER_OTLP_ENDPOINT): one trace per request, from the HTTP server span
(Starlette) through the GraphQL operation and its resolvers (strawberry) to every SQL
statement (asyncpg) and outgoing HTTP call (httpx, webhook deliveries), so an operator
sees where a slow request spent its time.

The tracer provider is handed in, never looked up: `create_app` and `casebook worker`
take the one built from the settings, and tests hand in one that keeps spans in memory.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from infra.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def current_trace_id() -> str | None:
    """The trace being recorded now, as collectors show it; None when tracing is off."""
    span = trace.get_current_span().get_span_context()
    return format(span.trace_id, "032x") if span.is_valid else None


def provider_from(settings: Settings) -> "TracerProvider | None":
    """A provider that sends spans to the configured collector in batches; None (and no
    tracing) when none is configured."""
    if not settings.otel_exporter_otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.otel_service_name}))
    # The variable names the collector's base address; traces go to its /v1/traces.
    endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


def trace_outgoing(provider: "TracerProvider | None") -> None:
    """Spans for every SQL statement and outgoing HTTP call of this process. The
    instrumentations patch the libraries once per process; later calls change nothing."""
    if provider is None:
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    for instrumentor in (AsyncPGInstrumentor(), HTTPXClientInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)


def graphql_extensions(provider: "TracerProvider | None") -> list[Any]:
    """Strawberry's spans for the operation, its parsing and validation, and resolvers."""
    if provider is None:
        return []
    from strawberry.extensions.tracing import OpenTelemetryExtension

    return [functools.partial(OpenTelemetryExtension, tracer_provider=provider)]


def trace_app(app: Any, provider: "TracerProvider | None") -> None:
    """The HTTP server span of every request, named by its route."""
    if provider is None:
        return
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor

    StarletteInstrumentor.instrument_app(app, tracer_provider=provider)
