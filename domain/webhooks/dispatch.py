"""Sending webhook deliveries (T5): the worker's webhook loop.

The delivery table is the queue. A dispatcher takes due deliveries with a lease (so
several workers on several hosts never send one at once), sends up to
WEBHOOK_CONCURRENCY of them at a time, and records each result. No delivery waits
behind another (O5): each event's body carries a per-account `sequence` by which a
receiver orders what it gets. Retries are scheduled on the account's business clock (a
test clock outside production, O4); leases are real time.

A slow endpoint holds one slot for at most WEBHOOK_TIMEOUT_SECONDS, whatever it does:
one deadline covers DNS, connecting, sending and reading; redirects are not followed
(a 3xx is a failure); no response body is read past a short excerpt, and a compressed
one not at all; no endpoint has more than PER_ENDPOINT_IN_FLIGHT attempts at once, so
the others keep their slots. Connections are not reused: each goes to the address
checked for this very attempt (domain.webhooks.targets)."""
from __future__ import annotations

import asyncio
import logging
import ssl
import time
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from tortoise import connections

from domain.core.clock import utc_now
from domain.core.account_clock import business_now, due_by_account_clock, test_clocks
from domain.core.db import returning
from domain.core.settings import Settings
from domain.webhooks import targets
from domain.webhooks.endpoints import secrets_in_force
from domain.webhooks.health import Outcome, record_attempt
from domain.webhooks.models import FAILED, SUCCEEDED, WebhookDelivery
from domain.webhooks.signing import headers as signed_headers
from domain.webhooks.vault import SecretUnreadable, Vault

log = logging.getLogger("casebook.webhooks")

PER_ENDPOINT_IN_FLIGHT = 4
EXCERPT_BYTES = 512
USER_AGENT = "Casebook-Webhooks/1"
KEEP_FINISHED = timedelta(days=30)


class Observer(Protocol):
    """Where attempt figures go (the api layer's /metrics)."""

    def webhook_attempt(self, result: str, seconds: float) -> None: ...

    def webhook_delivery_finished(self, status: str) -> None: ...


class _Quiet:
    def webhook_attempt(self, result: str, seconds: float) -> None:
        return None

    def webhook_delivery_finished(self, status: str) -> None:
        return None


async def _rows(sql: str, params: list[Any]) -> list[dict]:
    return await returning(connections.get("default"), sql, params)


# Due by the account's clock (O4; the lease is real time). No delivery waits behind
# another (O5): receivers order by the body's `sequence`, so a failing delivery never
# holds back a later event of the same dossier or endpoint.
_DUE = (
    "SELECT d.id, d.endpoint_id FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id "
    f"WHERE d.status IN ('pending', 'failing') AND {due_by_account_clock('d.next_attempt_at', 'd', '$1')} "
    "AND (d.leased_until IS NULL OR d.leased_until <= $1) AND e.enabled = TRUE "
    "ORDER BY d.next_attempt_at, d.id LIMIT $2"
)


async def claim(worker: str, *, limit: int, lease_seconds: float, now: datetime | None = None) -> list[WebhookDelivery]:
    """Lease up to `limit` due deliveries (heads of their lines), at most
    PER_ENDPOINT_IN_FLIGHT per endpoint counting those already out."""
    now = now or utc_now()
    candidates = await _rows(_DUE, [now, limit * 4])
    if not candidates:
        return []
    endpoint_ids = sorted({row["endpoint_id"] for row in candidates})
    marks = ", ".join(f"${n}" for n in range(2, len(endpoint_ids) + 2))
    busy = {row["endpoint_id"]: int(row["n"]) for row in await _rows(
        "SELECT endpoint_id, COUNT(*) AS n FROM webhook_delivery WHERE leased_until > $1 "
        f"AND status IN ('pending', 'failing') AND endpoint_id IN ({marks}) GROUP BY endpoint_id",
        [now, *endpoint_ids])}
    chosen: list[int] = []
    for row in candidates:
        if len(chosen) == limit:
            break
        if busy.get(row["endpoint_id"], 0) < PER_ENDPOINT_IN_FLIGHT:
            busy[row["endpoint_id"]] = busy.get(row["endpoint_id"], 0) + 1
            chosen.append(row["id"])
    if not chosen:
        return []
    marks = ", ".join(f"${n}" for n in range(3, len(chosen) + 3))
    # The lease is taken only if nobody took it since the look above (PostgreSQL
    # re-checks the condition on the row it waited for).
    leased = await _rows(
        f"UPDATE webhook_delivery SET leased_until = $1, leased_by = $2 WHERE id IN ({marks}) "
        f"AND status IN ('pending', 'failing') AND (leased_until IS NULL OR leased_until <= ${len(chosen) + 3}) "
        "RETURNING id", [now + timedelta(seconds=lease_seconds), worker, *chosen, now])
    if not leased:
        return []
    rows = await WebhookDelivery.filter(id__in=[row["id"] for row in leased]).select_related("endpoint")
    return sorted(rows, key=lambda delivery: delivery.id)


def _excerpt(raw: bytes) -> str:
    text = raw[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "?" for ch in text)


def _client(settings: Settings, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    timeout = settings.webhook_timeout_seconds
    return httpx.AsyncClient(
        follow_redirects=False, trust_env=False, transport=transport,
        verify=ssl.create_default_context(),
        timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
        limits=httpx.Limits(max_connections=settings.webhook_concurrency * 2, max_keepalive_connections=0),
        headers={"user-agent": USER_AGENT, "accept-encoding": "identity"},
    )


async def send(client: httpx.AsyncClient, delivery: WebhookDelivery, *, settings: Settings, vault: Vault) -> Outcome:
    """One attempt, within WEBHOOK_TIMEOUT_SECONDS all told."""
    started = time.monotonic()

    def outcome(status: int | None, excerpt: str | None, error: str | None, **extra: Any) -> Outcome:
        return Outcome(status, excerpt, error, time.monotonic() - started, **extra)

    endpoint = delivery.endpoint
    try:
        secrets = secrets_in_force(endpoint, vault, utc_now())
    except SecretUnreadable as error:
        log.error("webhook endpoint %s: signing secret unreadable (%s); is WEBHOOK_SECRET_KEY right?",
                  endpoint.id, error)
        return outcome(None, None, "the service could not sign this delivery; it will try again",
                       endpoint_at_fault=False)
    try:
        async with asyncio.timeout(settings.webhook_timeout_seconds):
            pinned = await targets.pin(endpoint.url, production=settings.is_production)
            headers = {**signed_headers(secrets, delivery.message_id, int(time.time()), delivery.body),
                       "content-type": "application/json", **pinned.headers}
            async with client.stream("POST", pinned.url, content=delivery.body.encode(), headers=headers,
                                     extensions=pinned.extensions) as response:
                excerpt = b""
                if response.headers.get("content-encoding", "identity").lower() == "identity":
                    async for chunk in response.aiter_raw():
                        excerpt += chunk
                        if len(excerpt) >= EXCERPT_BYTES:
                            break
                status, text = response.status_code, _excerpt(excerpt) or None
    except targets.UnsafeTarget as error:
        return outcome(None, None, f"refused: {error}"[:300])
    except (asyncio.TimeoutError, httpx.TimeoutException):
        return outcome(None, None, f"no answer within {settings.webhook_timeout_seconds:g} s")
    except httpx.HTTPError as error:
        return outcome(None, None, f"{type(error).__name__}: {error}"[:300])
    except OSError as error:
        return outcome(None, None, f"{type(error).__name__}: {error}"[:300])
    except Exception as error:  # noqa: BLE001 - never a crashed task: FAILING, with the reason
        log.exception("webhook delivery %s could not be attempted", delivery.id)
        return outcome(None, None, f"could not be sent: {type(error).__name__}: {error}"[:300])
    if 200 <= status < 300:
        return outcome(status, text, None)
    if 300 <= status < 400:
        return outcome(status, text, f"redirect ({status}) not followed: set the endpoint's final URL")
    return outcome(status, text, f"HTTP {status}")


def _result_label(outcome: Outcome) -> str:
    if outcome.ok:
        return "succeeded"
    if outcome.error and outcome.error.startswith("refused"):
        return "refused"
    if outcome.status is None:
        return "no_response"
    return "rejected"


class Dispatcher:
    def __init__(self, settings: Settings, *, name: str, transport: httpx.AsyncBaseTransport | None = None,
                 observer: Observer | None = None) -> None:
        self.settings = settings
        self.name = name
        self.vault = Vault.from_settings(settings)
        self.concurrency = settings.webhook_concurrency
        self.lease_seconds = settings.webhook_timeout_seconds + 60.0
        self.poll_seconds = settings.worker_poll_seconds
        self.observer = observer or _Quiet()
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._in_flight: set[asyncio.Task] = set()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = _client(self.settings, self._transport)
        return self._client

    async def start_due(self, now: datetime | None = None) -> int:
        """Lease what is due into the free slots and start sending it; the number started."""
        free = self.concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        claimed = await claim(self.name, limit=free, lease_seconds=self.lease_seconds, now=now)
        for delivery in claimed:
            task = asyncio.create_task(self._attempt(delivery), name=f"webhook-delivery-{delivery.id}")
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(claimed)

    async def _attempt(self, delivery: WebhookDelivery) -> None:
        outcome = await send(self._http(), delivery, settings=self.settings, vault=self.vault)
        self.observer.webhook_attempt(_result_label(outcome), outcome.seconds)
        try:
            status = await record_attempt(delivery, self.name, outcome, await business_now(delivery.account_id))
        except Exception:  # noqa: BLE001 - the lease runs out and the delivery is tried again
            log.exception("could not record webhook delivery %s", delivery.id)
            return
        if status in (SUCCEEDED, FAILED):
            self.observer.webhook_delivery_finished(status)
        if not outcome.ok:
            log.warning("webhook delivery %s to endpoint %s, attempt %s: %s", delivery.id, delivery.endpoint_id,
                        delivery.attempts + 1, outcome.error)

    async def drain(self, *, rounds: int = 50, now: datetime | None = None) -> None:
        """Send until nothing is due and nothing is out (tests, `casebook worker --once`)."""
        for _ in range(rounds):
            started = await self.start_due(now)
            if self._in_flight:
                await asyncio.wait(set(self._in_flight))
            elif not started:
                return

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: keep the slots busy; when nothing is due, look again after a poll
        interval, a wake-up, or a finished attempt. On stop, attempts under way finish
        (each within its deadline); their leases would run out anyway."""
        try:
            while not stop.is_set():
                try:
                    started = await self.start_due()
                except Exception:  # noqa: BLE001 - a database hiccup: try again after a pause
                    log.exception("webhook dispatcher %s could not claim deliveries", self.name)
                    started = 0
                if started and len(self._in_flight) < self.concurrency:
                    continue
                self._wake.clear()
                waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
                await asyncio.wait(waiters | set(self._in_flight), timeout=self.poll_seconds,
                                   return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            if self._in_flight:
                await asyncio.wait(set(self._in_flight), timeout=self.settings.webhook_timeout_seconds + 5)
            await self.close()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def prune(now: datetime | None = None) -> int:
    """Forget finished deliveries after KEEP_FINISHED (their events are that old), by
    each account's clock (O4): an account living in the past keeps its recent ones."""
    now = now or utc_now()
    clocks = await test_clocks()
    deleted = await WebhookDelivery.filter(finished_at__lt=now - KEEP_FINISHED).exclude(
        account_id__in=list(clocks)).delete()
    for account_id, clock in clocks.items():
        deleted += await WebhookDelivery.filter(account_id=account_id, finished_at__lt=clock - KEEP_FINISHED).delete()
    return deleted
