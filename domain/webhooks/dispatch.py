"""Sending webhook deliveries (T5, O5): the handler of the outbox's `webhook` messages.

Deliveries ride the one queue (domain.outbox): the worker claims their messages with a
lease beside mail and archives, sends up to WEBHOOK_CONCURRENCY at a time, and the webhook
retry policy (domain.outbox.policies) schedules what failed. No delivery waits behind
another: each event's body carries a per-account `sequence` by which a receiver orders
what it gets. Retries run on the account's business clock (a test clock outside
production, O4); leases are real time.

A slow endpoint holds one slot for at most WEBHOOK_TIMEOUT_SECONDS, whatever it does:
one deadline covers DNS, connecting, sending and reading; redirects are not followed
(a 3xx is a failure); no response body is read past a short excerpt, and a compressed
one not at all; no endpoint has more than the queue's LANE_LIMIT attempts at once,
so the others keep their slots. Connections are not reused: each goes to the address
checked for this very attempt (domain.webhooks.targets). The HTTP client itself is an
adapter the top hands in (`Post`; adapters/webhook_http.py)."""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from domain.core.account_clock import business_now, test_clocks
from infra.clock import utc_now
from infra.settings import Settings
from domain.outbox.queue import Claimed
from domain.outbox.worker import RetryAt
from domain.webhooks import targets
from domain.webhooks.endpoints import secrets_in_force
from domain.webhooks.health import Outcome, record_attempt
from domain.webhooks.models import FAILED, SUCCEEDED, UNFINISHED, WebhookDelivery
from domain.webhooks.signing import headers as signed_headers
from domain.webhooks.vault import SecretUnreadable, Vault

log = logging.getLogger("casebook.webhooks")

EXCERPT_BYTES = 512
KEEP_FINISHED = timedelta(days=30)


@dataclass(frozen=True)
class Answer:
    """What the endpoint said: its status and the start of its body (raw bytes)."""

    status: int
    excerpt: bytes


class NotSent(Exception):
    """The request did not get through; the message names the client's error and says why."""


class Post(Protocol):
    """Posts one delivery to the pinned address, reading at most about `excerpt_bytes`
    of the answer. Raises TimeoutError when the endpoint stays silent, NotSent (or an
    OSError) when the request does not get through."""

    async def __call__(self, pinned: targets.Pinned, body: bytes, headers: dict[str, str], *,
                       excerpt_bytes: int) -> Answer: ...


class Observer(Protocol):
    """Where attempt figures go (the api layer's /metrics)."""

    def webhook_attempt(self, result: str, seconds: float) -> None: ...

    def webhook_delivery_finished(self, status: str) -> None: ...


class _Quiet:
    def webhook_attempt(self, result: str, seconds: float) -> None:
        return None

    def webhook_delivery_finished(self, status: str) -> None:
        return None


def _excerpt(raw: bytes) -> str:
    text = raw[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "?" for ch in text)


async def send(post: Post, delivery: WebhookDelivery, *, settings: Settings, vault: Vault) -> Outcome:
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
            answer = await post(pinned, delivery.body.encode(), headers, excerpt_bytes=EXCERPT_BYTES)
            status, text = answer.status, _excerpt(answer.excerpt) or None
    except targets.UnsafeTarget as error:
        return outcome(None, None, f"refused: {error}"[:300])
    except asyncio.TimeoutError:
        return outcome(None, None, f"no answer within {settings.webhook_timeout_seconds:g} s")
    except NotSent as error:
        return outcome(None, None, str(error)[:300])
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


def webhook_handler(settings: Settings, post: Post, *,
                    observer: Observer | None = None):  # noqa: ANN201 - a worker Handler
    """The outbox handler of `webhook` messages: one attempt of one delivery through
    `post`. The delivery row records what the attempt found (what the API shows); the
    queue message is retried at the time the webhook policy gives, or fails with it."""
    vault = Vault.from_settings(settings)
    observer = observer or _Quiet()

    async def deliver(message: Claimed) -> None:
        delivery = await WebhookDelivery.filter(id=int(message.payload["delivery"])).select_related("endpoint").first()
        if delivery is None or delivery.status not in UNFINISHED:
            return  # its endpoint was deleted or disabled meanwhile: nothing left to send
        outcome = await send(post, delivery, settings=settings, vault=vault)
        observer.webhook_attempt(_result_label(outcome), outcome.seconds)
        status, retry_at = await record_attempt(delivery, outcome, await business_now(delivery.account_id))
        if status in (SUCCEEDED, FAILED):
            observer.webhook_delivery_finished(status)
        if outcome.ok or status is None:
            return  # delivered, or another worker recorded this attempt after our lease ran out
        log.warning("webhook delivery %s to endpoint %s, attempt %s: %s", delivery.id, delivery.endpoint_id,
                    delivery.attempts + 1, outcome.error)
        raise RetryAt(outcome.error or "failed", retry_at)

    # One attempt is bounded by WEBHOOK_TIMEOUT_SECONDS; recording it gets some room.
    deliver.timeout = settings.webhook_timeout_seconds + 30  # type: ignore[attr-defined]
    return deliver


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
