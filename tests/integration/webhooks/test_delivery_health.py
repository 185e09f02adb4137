"""Deliveries against the database and a real receiver (T5, O1): nothing for a rolled-back
write; an endpoint that keeps failing is disabled past the documented threshold and its
owners told; several workers never send one delivery twice at once."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain import events
from domain.audit.models import AuditEvent
from infra.clock import utc_now
from infra.db import transaction
from domain.outbox.models import OutboxMessage
from domain.outbox.policies import WEBHOOK
from domain.webhooks import retries
from domain.outbox.queue import attempt_failed, claim
from domain.webhooks.dispatch import prune
from domain.webhooks.models import FAILED, FAILING, PENDING, SUCCEEDED, WebhookDelivery, WebhookEndpoint
from tests.conftest import deliver_outbox
from tests.support.flows import sign_up
from tests.support.teammates import mails
from tests.support.webhooks import (
    CREATE_DOSSIER, UPDATE_ENDPOINT, make_due, send_due, subscribe,
)



async def _account_with_endpoint(api, receiver) -> tuple[dict, int, int]:
    api.deliver = False
    owner = await sign_up(api, seats=2)
    await subscribe(api, owner["accessToken"], receiver.url)
    endpoint = await WebhookEndpoint.get()
    return owner, endpoint.account_id, endpoint.id


async def test_a_rolled_back_write_sends_nothing(api, settings, receiver):
    _, account_id, _ = await _account_with_endpoint(api, receiver)
    with pytest.raises(RuntimeError):
        async with transaction():
            await events.announce(events.DOSSIER_CREATED, account_id=account_id, now=utc_now(),
                                  dossierId=("Dossier", 1))
            assert await WebhookDelivery.all().count() == 1
            raise RuntimeError("the write fails after announcing")
    await send_due(settings)
    assert await WebhookDelivery.all().count() == 0 and receiver.received == []


async def test_an_endpoint_failing_past_the_threshold_is_disabled_and_its_owners_told(api, settings, receiver):
    owner, account_id, endpoint_id = await _account_with_endpoint(api, receiver)
    receiver.script = [500] * 5
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await api.data(CREATE_DOSSIER, {"name": "Bob"}, token=owner["accessToken"])
    await send_due(settings)
    endpoint = await WebhookEndpoint.get()
    assert (endpoint.enabled, endpoint.consecutive_failures) == (True, 2) and endpoint.failing_since

    # Failing for longer than DISABLE_AFTER, one failure short of the count.
    await WebhookEndpoint.all().update(consecutive_failures=retries.DISABLE_AFTER_FAILURES - 1,
                                       failing_since=utc_now() - retries.DISABLE_AFTER - timedelta(minutes=1))
    await make_due((await WebhookDelivery.first()).id)
    await send_due(settings.replace(webhook_concurrency=1))

    endpoint = await WebhookEndpoint.get()
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, "failing") and endpoint.disabled_at
    assert {d.status for d in await WebhookDelivery.all()} == {FAILED}
    assert await AuditEvent.filter(action="webhook_endpoint.disabled", account_id=account_id).count() == 1
    await deliver_outbox(settings)
    [mail] = [m for m in mails(settings) if m["Subject"] == "A webhook endpoint was disabled"]
    assert mail["To"] == owner["viewer"]["user"]["email"] and receiver.url in mail.get_content()

    # Disabled: new events are not even queued for it, and nothing is sent.
    sent = len(receiver.received)
    await api.data(CREATE_DOSSIER, {"name": "Cid"}, token=owner["accessToken"])
    await make_due()
    await send_due(settings)
    assert await WebhookDelivery.all().count() == 2 and len(receiver.received) == sent

    # Switched on again, it starts afresh.
    enabled = (await api.data(UPDATE_ENDPOINT, {"input": {"endpointId": _gid(endpoint_id), "enabled": True}},
                              token=owner["accessToken"]))["updateWebhookEndpoint"]
    assert enabled["endpoint"]["enabled"] is True and enabled["endpoint"]["disabledReason"] is None
    endpoint = await WebhookEndpoint.get()
    assert (endpoint.consecutive_failures, endpoint.failing_since) == (0, None)


def _gid(pk: int) -> str:
    from domain.core.ids import global_id

    return global_id("WebhookEndpoint", pk)


async def test_many_failures_in_a_short_time_do_not_disable(api, settings, receiver):
    owner, _, _ = await _account_with_endpoint(api, receiver)
    receiver.script = [500]
    await WebhookEndpoint.all().update(consecutive_failures=50, failing_since=utc_now() - timedelta(days=1))
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await send_due(settings)
    assert (await WebhookEndpoint.get()).enabled
    assert (await WebhookDelivery.get()).status == FAILING


async def test_a_success_ends_the_run_of_failures(api, settings, receiver):
    owner, _, _ = await _account_with_endpoint(api, receiver)
    await WebhookEndpoint.all().update(consecutive_failures=7, failing_since=utc_now() - timedelta(days=4))
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await send_due(settings)
    endpoint = await WebhookEndpoint.get()
    assert (endpoint.consecutive_failures, endpoint.failing_since) == (0, None)


async def test_a_delivery_is_given_up_after_a_day_of_retries(api, settings, receiver):
    owner, _, _ = await _account_with_endpoint(api, receiver)
    receiver.script = [500, 500]
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await send_due(settings)
    await WebhookDelivery.all().update(created_at=utc_now() - WEBHOOK.retry_for - timedelta(seconds=1))
    await make_due()
    await send_due(settings)
    delivery = await WebhookDelivery.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (FAILED, 2, None)
    assert delivery.finished_at is not None


async def test_a_retry_the_attempt_recorded_stands_when_the_clock_passes_the_day_meanwhile(api, settings,
                                                                                            receiver):
    """O4, O5: the handler records its attempt with the next try (FAILING, next attempt at
    X) and hands X to the queue, which reads the clock again. When the message's day
    ended in between (a test clock moved, or the last retry fell on the boundary), the
    queue gave the message up and the delivery waited for a try that never came."""
    owner, _, _ = await _account_with_endpoint(api, receiver)
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await OutboxMessage.filter(kind="webhook").update(created_at=utc_now() - WEBHOOK.retry_for - timedelta(seconds=1))
    [message] = await claim("w", limit=10, lease_seconds=60, kinds=("webhook",))
    retry_at = utc_now() + timedelta(minutes=5)
    assert await attempt_failed(message, "w", "HTTP 500", retry_at=retry_at) == "pending"
    stored = await OutboxMessage.get(id=message.id)
    assert (stored.status, stored.leased_until) == ("pending", None)
    assert abs((stored.available_at - retry_at).total_seconds()) < 1
    # Without a time from the handler, the policy still gives up after the day.
    [message] = await claim("w", limit=10, lease_seconds=60, kinds=("webhook",), now=retry_at)
    assert await attempt_failed(message, "w", "HTTP 500") == "failed"


async def test_switching_an_endpoint_off_fails_what_it_had_queued(api, settings, receiver):
    owner, _, endpoint_id = await _account_with_endpoint(api, receiver)
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    off = (await api.data(UPDATE_ENDPOINT, {"input": {"endpointId": _gid(endpoint_id), "enabled": False}},
                          token=owner["accessToken"]))["updateWebhookEndpoint"]
    assert (off["endpoint"]["enabled"], off["endpoint"]["disabledReason"]) == (False, "manual")
    await send_due(settings)
    assert receiver.received == [] and (await WebhookDelivery.get()).status == FAILED


async def test_finished_deliveries_are_pruned_after_30_days(api, settings, receiver):
    owner, _, _ = await _account_with_endpoint(api, receiver)
    receiver.script = [500]
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await api.data(CREATE_DOSSIER, {"name": "Bob"}, token=owner["accessToken"])
    await send_due(settings)
    assert sorted(d.status for d in await WebhookDelivery.all()) == [FAILING, SUCCEEDED]
    assert await prune(utc_now() + timedelta(days=31)) == 1
    assert [d.status for d in await WebhookDelivery.all()] == [FAILING]


async def test_two_workers_never_hold_the_same_delivery(api, settings, receiver):
    owner, _, _ = await _account_with_endpoint(api, receiver)
    for name in ("Ann", "Bob", "Cid", "Dan", "Eve", "Fay"):
        await api.data(CREATE_DOSSIER, {"name": name}, token=owner["accessToken"])
    # Webhook deliveries ride the one queue (O5); its claim is the outbox's.
    first, second = await asyncio.gather(claim("worker-a", limit=10, lease_seconds=60, kinds=("webhook",)),
                                         claim("worker-b", limit=10, lease_seconds=60, kinds=("webhook",)))
    ids = [m.id for m in first + second]
    assert len(ids) == len(set(ids)) and len(ids) <= 6
    await OutboxMessage.all().update(leased_until=None, leased_by=None)
    # Once an endpoint's lane has LANE_LIMIT attempts out, no worker takes more of it.
    assert len(await claim("worker-a", limit=4, lease_seconds=60, kinds=("webhook",))) == 4
    assert await claim("worker-c", limit=10, lease_seconds=60, kinds=("webhook",)) == []
    assert await WebhookDelivery.filter(status=PENDING).count() == 6


async def test_attempt_figures_reach_metrics(api, settings, receiver):
    owner, _, _ = await _account_with_endpoint(api, receiver)
    receiver.script = [500]
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await api.data(CREATE_DOSSIER, {"name": "Bob"}, token=owner["accessToken"])
    await send_due(settings, observer=api.app.state.metrics)
    text = (await api.http.get("/metrics")).text
    assert 'casebook_webhook_attempts_total{result="succeeded"} 1' in text
    assert 'casebook_webhook_attempts_total{result="rejected"} 1' in text
    assert 'casebook_webhook_deliveries_total{status="succeeded"} 1' in text
    assert "casebook_webhook_attempt_duration_seconds_count 2" in text
    assert 'casebook_webhook_deliveries{status="failing"} 1' in text
    assert 'casebook_webhook_endpoints_disabled{reason="failing"} 0' in text
    assert await OutboxMessage.filter(kind="event").count() == 0
