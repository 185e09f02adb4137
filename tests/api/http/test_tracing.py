"""Tracing (api/tracing.py): with a tracer provider, one request is one trace — the HTTP
server span, the GraphQL operation under it, and on PostgreSQL the SQL statements under
that; without a collector configured nothing is traced."""
from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from api import tracing
from api.app import create_app
from api.logging import JsonFormatter
from infra.settings import SettingsError, load_settings
from tests.conftest import ON_POSTGRES, Api
from tests.support.flows import sign_up


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    # The instrumentations patch the libraries for the whole process: undone, so the
    # next test's app traces (or not) as its own provider says.
    for instrumentor in (AsyncPGInstrumentor(), HTTPXClientInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    provider.shutdown()


async def test_one_request_is_one_trace_across_the_api_and_the_database(db, settings, spans, caplog):
    provider, exporter = spans
    api = Api(create_app(settings, manage_db=False, tracer_provider=provider))
    api.differential = False  # one request, one trace: no reference run beside it
    owner = await sign_up(api, "traced@example.org")
    exporter.clear()
    api.deliver = False  # the outbox's own statements are not this request's

    with caplog.at_level(logging.INFO, logger="casebook.request"):
        await api.data("query Mine { me { user { email } } }", token=owner["accessToken"])

    finished = exporter.get_finished_spans()
    [server] = [span for span in finished if span.parent is None]
    assert (server.name, server.kind.name) == ("POST /graphql", "SERVER")
    in_trace = {span.context.span_id: span for span in finished if span.context.trace_id == server.context.trace_id}
    assert len(in_trace) == len(finished)
    [operation] = [span for span in finished if span.name == "GraphQL Query: Mine"]
    assert operation.parent.span_id == server.context.span_id
    assert "GraphQL Resolving: me" in {span.name for span in finished}
    # The request's log line names the trace.
    [line] = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "casebook.request"]
    assert line["trace_id"] == format(server.context.trace_id, "032x")
    if ON_POSTGRES:
        statements = [span for span in finished if span.attributes.get("db.system") == "postgresql"]
        assert statements, [span.name for span in finished]
        for statement in statements:
            # Each statement hangs below the request's server span.
            parent = statement
            while parent.parent is not None and parent.parent.span_id in in_trace:
                parent = in_trace[parent.parent.span_id]
            assert parent is server
    await api.aclose()


def test_no_collector_no_tracing(settings):
    assert tracing.provider_from(settings) is None


def test_a_collector_address_must_be_http():
    base = {"JWT_SECRET": "x" * 40}
    with pytest.raises(SettingsError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        load_settings({**base, "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, env_file=None)
    configured = load_settings({**base, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, env_file=None)
    provider = tracing.provider_from(configured)
    assert provider is not None
    provider.shutdown()
