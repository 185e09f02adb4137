"""Given-steps for webhooks: a real HTTP receiver on 127.0.0.1, subscribing endpoints,
and sending what is due as the worker would."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from adapters.webhook_http import webhook_post
from api.wiring import wire
from domain.outbox.models import OutboxMessage
from domain.outbox.worker import Worker
from domain.webhooks.dispatch import webhook_handler
from domain.webhooks.fanout import WEBHOOK
from domain.webhooks.models import UNFINISHED, WebhookDelivery

CREATE_ENDPOINT = """mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  endpoint { id url events enabled } secret userErrors { code message field } } }"""
UPDATE_ENDPOINT = """mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) {
  endpoint { id url events enabled disabledReason } userErrors { code message field } } }"""
ROTATE = """mutation($id: ID!) { rotateWebhookSecret(input: {endpointId: $id}) {
  endpoint { id previousSecretExpiresAt } secret userErrors { code field } } }"""
DELETE = """mutation($id: ID!) { deleteWebhookEndpoint(input: {endpointId: $id}) { ok userErrors { code field } } }"""
REPLAY = """mutation($id: ID!) { replayWebhookDelivery(input: {deliveryId: $id}) { ok userErrors { code message field } } }"""
ENDPOINTS = """{ account { webhookEndpoints { id url events enabled disabledReason failingSince
  deliveries(first: 20) { edges { node { id event status attempts lastAttemptAt nextAttemptAt responseStatus
    createdAt webhookId responseExcerpt lastError replayOf } } } } } }"""
CREATE_DOSSIER = """mutation($name: String!) { createDossier(input: {clientName: $name, reference: "REF-SECRET-1"}) {
  dossier { id } userErrors { code } } }"""
UPDATE_DOSSIER = """mutation($id: ID!, $name: String!) { updateDossier(input: {dossierId: $id, clientName: $name}) {
  dossier { id } userErrors { code } } }"""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (then 200), after `delay`
    seconds; a 3xx carries a Location; `big` streams that many bytes of body."""

    port: int = 0
    script: list[int] = field(default_factory=list)
    delay: float = 0.0
    big: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def answer(self, request: Received) -> int:
        with self.lock:
            self.received.append(request)
            return self.script.pop(0) if self.script else 200


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            status = receiver.answer(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("location", f"http://127.0.0.1:{receiver.port}/elsewhere")
            if receiver.big:
                self.send_header("content-length", str(receiver.big))
                self.end_headers()
                chunk = b"x" * 65536
                try:
                    for _ in range(receiver.big // len(chunk)):
                        self.wfile.write(chunk)
                except OSError:
                    return  # the sender stopped reading, as it should
                return
            reply = b'{"received": true, "note": "thanks"}'
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args) -> None:
            return None

    return Handler


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    # `shutdown()` waits for the serving loop to look up: at its default half second, every
    # test with a receiver spent that long in teardown.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return receiver, server


async def subscribe(api, token: str, url: str, events=("*",)) -> dict:
    payload = (await api.data(CREATE_ENDPOINT, {"input": {"url": url, "events": list(events)}},
                              token=token))["createWebhookEndpoint"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def send_due(settings, *, name: str = "test-worker", observer=None, transport=None) -> None:
    """Send every webhook delivery that is due now, as a running worker would (the same
    queue, handler and HTTP adapter; `transport` stands in for the network, `observer`
    counts attempts)."""
    post = webhook_post(settings, transport=transport)
    worker = Worker({WEBHOOK: webhook_handler(settings, post, observer=observer)}, name=name,
                    concurrency=settings.webhook_concurrency, only_kinds=(WEBHOOK,))
    await worker.drain()


async def make_due(*delivery_ids: int) -> None:
    """Skip the back-off wait: retries (of these deliveries, or all) are due now, by the
    wall clock and by any account's test clock (the schedule itself is tested apart)."""
    long_ago = datetime(1970, 1, 2, tzinfo=timezone.utc)
    deliveries = WebhookDelivery.filter(status__in=UNFINISHED)
    messages = await OutboxMessage.filter(kind=WEBHOOK, status="pending")
    if delivery_ids:
        deliveries = deliveries.filter(id__in=delivery_ids)
        messages = [m for m in messages if m.payload["delivery"] in delivery_ids]
    await deliveries.update(next_attempt_at=long_ago)
    await OutboxMessage.filter(id__in=[m.id for m in messages]).update(available_at=long_ago)


async def endpoints(api, token: str) -> list[dict]:
    return (await api.data(ENDPOINTS, token=token))["account"]["webhookEndpoints"]


async def deliveries(api, token: str) -> list[dict]:
    """Every delivery of the account's first endpoint, newest first."""
    return [edge["node"] for edge in (await endpoints(api, token))[0]["deliveries"]["edges"]]


class FakeDns:
    """Answers host names from a table (there is no DNS here), wired in as the program's
    start wires the system's resolver; leaving restores that one."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def __call__(self, host: str, port: int) -> list[str]:
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return list(self.table[host])

    def __enter__(self) -> "FakeDns":
        wire(resolver=self)
        return self

    def __exit__(self, *exc) -> None:
        wire()
