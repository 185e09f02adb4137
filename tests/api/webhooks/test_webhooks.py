"""Webhooks for partner systems (SPEC T5; API.md "Webhooks"), end to end: GraphQL in,
real HTTP deliveries out to a receiver on 127.0.0.1, verified with the reference
Standard Webhooks library."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from infra.clock import utc_now
from domain.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.support.flows import sign_up
from tests.support.webhooks import (
    CREATE_DOSSIER, REPLAY, ROTATE, UPDATE_DOSSIER, deliveries, make_due, send_due, subscribe,
)




async def _practice_with_endpoint(api, receiver, events=("*",)):
    owner = await sign_up(api)
    endpoint = await subscribe(api, owner["accessToken"], receiver.url, events)
    return owner, endpoint


async def test_a_dossier_created_delivery_arrives_signed_and_without_content(quiet_api, settings, receiver):
    owner, endpoint = await _practice_with_endpoint(quiet_api, receiver, ["dossier.created"])
    assert endpoint["secret"].startswith("whsec_")
    created = (await quiet_api.data(CREATE_DOSSIER, {"name": "Zoë Verysecret"},
                                    token=owner["accessToken"]))["createDossier"]

    await send_due(settings)

    [request] = receiver.received
    payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "dossier.created"
    # O5: the per-account sequence orders deliveries for the receiver.
    # O5: the per-account sequence orders deliveries for the receiver (the sign-up's
    # invoice.issued took an earlier number).
    assert payload["data"].pop("sequence") >= 1
    assert payload["data"] == {"accountId": owner["viewer"]["account"]["id"], "dossierId": created["dossier"]["id"]}
    assert payload["timestamp"]
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["content-type"] == "application/json"
    for secret_text in (b"Zo", b"Verysecret", b"REF-SECRET", b"@"):
        assert secret_text not in request.body
    [delivery] = await deliveries(quiet_api, owner["accessToken"])
    assert (delivery["event"], delivery["status"], delivery["attempts"], delivery["responseStatus"]) == \
        ("dossier.created", "SUCCEEDED", 1, 200)
    assert delivery["webhookId"] == request.headers["webhook-id"]
    assert delivery["nextAttemptAt"] is None and delivery["lastError"] is None
    assert "thanks" in delivery["responseExcerpt"]


async def test_a_tampered_body_or_another_secret_does_not_verify(quiet_api, settings, receiver):
    owner, endpoint = await _practice_with_endpoint(quiet_api, receiver)
    await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await send_due(settings)
    [request] = receiver.received
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(request.body.replace(b"dossier.created", b"dossier.deleted"),
                                           request.headers)
    other = await subscribe(quiet_api, owner["accessToken"], receiver.url)
    with pytest.raises(WebhookVerificationError):
        Webhook(other["secret"]).verify(request.body, request.headers)


async def test_only_subscribed_events_are_delivered(quiet_api, settings, receiver):
    owner, _ = await _practice_with_endpoint(quiet_api, receiver, ["dossier.updated"])
    created = (await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"]))["createDossier"]
    await quiet_api.data(UPDATE_DOSSIER, {"id": created["dossier"]["id"], "name": "Anna"}, token=owner["accessToken"])
    await send_due(settings)
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["dossier.updated"]


async def test_a_receiver_failing_three_times_then_succeeding_gets_it_once_more(quiet_api, settings, receiver):
    owner, endpoint = await _practice_with_endpoint(quiet_api, receiver)
    receiver.script = [500, 502, 503]
    await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])

    await send_due(settings)
    [failing] = await deliveries(quiet_api, owner["accessToken"])
    assert (failing["status"], failing["attempts"], failing["responseStatus"], failing["lastError"]) == \
        ("FAILING", 1, 500, "HTTP 500")
    assert failing["nextAttemptAt"] is not None
    await send_due(settings)  # backing off: not due yet
    assert len(receiver.received) == 1

    for _ in range(3):
        await make_due()
        await send_due(settings)
    await make_due()
    await send_due(settings)  # nothing left to send

    assert len(receiver.received) == 4
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    for request in receiver.received:
        Webhook(endpoint["secret"]).verify(request.body, request.headers)
    [delivery] = await deliveries(quiet_api, owner["accessToken"])
    assert (delivery["status"], delivery["attempts"], delivery["responseStatus"], delivery["lastError"]) == \
        ("SUCCEEDED", 4, 200, None)


async def test_replay_sends_it_again_with_the_same_webhook_id(quiet_api, settings, receiver):
    owner, endpoint = await _practice_with_endpoint(quiet_api, receiver)
    await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await send_due(settings)
    [first] = await deliveries(quiet_api, owner["accessToken"])

    replayed = (await quiet_api.data(REPLAY, {"id": first["id"]}, token=owner["accessToken"]))["replayWebhookDelivery"]
    assert replayed == {"ok": True, "userErrors": []}
    await send_due(settings)

    assert len(receiver.received) == 2
    original, again = receiver.received
    assert again.headers["webhook-id"] == original.headers["webhook-id"] == first["webhookId"]
    assert again.body == original.body
    Webhook(endpoint["secret"]).verify(again.body, again.headers)
    newest, oldest = await deliveries(quiet_api, owner["accessToken"])
    assert (newest["status"], newest["replayOf"], oldest["id"]) == ("SUCCEEDED", first["id"], first["id"])


async def test_a_delivery_still_under_way_is_not_replayed(quiet_api, settings, receiver):
    owner, _ = await _practice_with_endpoint(quiet_api, receiver)
    receiver.script = [500]
    await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await send_due(settings)
    [failing] = await deliveries(quiet_api, owner["accessToken"])
    refused = (await quiet_api.data(REPLAY, {"id": failing["id"]}, token=owner["accessToken"]))["replayWebhookDelivery"]
    assert (refused["ok"], refused["userErrors"][0]["code"]) == (False, "INVALID_INPUT")
    assert await WebhookDelivery.all().count() == 1


async def test_o5_a_failed_delivery_holds_back_nothing_and_sequence_orders_what_arrives(quiet_api, settings,
                                                                                          receiver):
    # O5: the endpoint fails the dossier's first event, then recovers: the dossier's later
    # events are delivered at once, not after the failed one's back-off, and `sequence`
    # (per account, increasing) tells the receiver their order.
    owner, _ = await _practice_with_endpoint(quiet_api, receiver)
    token = owner["accessToken"]
    receiver.script = [500]
    settings = settings.replace(webhook_concurrency=1)  # one at a time, so the receiver's script is deterministic
    first = (await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=token))["createDossier"]["dossier"]["id"]
    await send_due(settings)
    [failed] = await deliveries(quiet_api, token)
    assert failed["status"] == "FAILING"

    await quiet_api.data(UPDATE_DOSSIER, {"id": first, "name": "Anna"}, token=token)
    await quiet_api.data(UPDATE_DOSSIER, {"id": first, "name": "Annabel"}, token=token)
    await send_due(settings)  # the failed one is not due yet (its back-off); the later ones go now

    bodies = [json.loads(r.body) for r in receiver.received]
    assert [(b["type"], b["data"]["dossierId"]) for b in bodies] == [
        ("dossier.created", first), ("dossier.updated", first), ("dossier.updated", first)]
    sequence = [b["data"]["sequence"] for b in bodies]
    assert sequence == list(range(sequence[0], sequence[0] + 3))
    statuses = [d["status"] for d in await deliveries(quiet_api, token)]
    assert statuses == ["SUCCEEDED", "SUCCEEDED", "FAILING"]  # newest first

    await make_due()
    await send_due(settings)
    again = json.loads(receiver.received[-1].body)
    assert (again["type"], again["data"]["sequence"]) == ("dossier.created", sequence[0])


@pytest.mark.serial
async def test_a_write_does_not_wait_for_a_slow_endpoint_and_a_slow_answer_ends_at_the_deadline(
        quiet_api, settings, receiver):
    import time

    owner, _ = await _practice_with_endpoint(quiet_api, receiver)
    receiver.delay = 3.0
    started = time.monotonic()
    await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    assert time.monotonic() - started < 1.0

    started = time.monotonic()
    await send_due(settings.replace(webhook_timeout_seconds=1.0))
    assert time.monotonic() - started < 2.5
    [delivery] = await deliveries(quiet_api, owner["accessToken"])
    assert (delivery["status"], delivery["responseStatus"]) == ("FAILING", None)
    assert "no answer within 1 s" in delivery["lastError"]


async def test_redirects_are_not_followed(quiet_api, settings, receiver):
    owner, _ = await _practice_with_endpoint(quiet_api, receiver)
    receiver.script = [302]
    await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await send_due(settings)
    assert [r.path for r in receiver.received] == ["/hook"]
    [delivery] = await deliveries(quiet_api, owner["accessToken"])
    assert (delivery["status"], delivery["responseStatus"]) == ("FAILING", 302)
    assert "redirect (302) not followed" in delivery["lastError"]


@pytest.mark.serial
async def test_a_big_answer_is_kept_as_a_short_excerpt_only(quiet_api, settings, receiver):
    import time

    owner, _ = await _practice_with_endpoint(quiet_api, receiver)
    receiver.big = 64 * 1024 * 1024
    await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    started = time.monotonic()
    await send_due(settings)
    assert time.monotonic() - started < 2.0  # 64 MiB were not read
    [delivery] = await deliveries(quiet_api, owner["accessToken"])
    assert delivery["status"] == "SUCCEEDED"
    assert 0 < len(delivery["responseExcerpt"]) <= 512


async def test_after_a_rotation_deliveries_carry_both_signatures_until_the_grace_period_ends(
        quiet_api, settings, receiver):
    owner, endpoint = await _practice_with_endpoint(quiet_api, receiver)
    old_secret = endpoint["secret"]
    rotated = (await quiet_api.data(ROTATE, {"id": endpoint["endpoint"]["id"]},
                                    token=owner["accessToken"]))["rotateWebhookSecret"]
    new_secret = rotated["secret"]
    assert rotated["userErrors"] == [] and new_secret != old_secret and rotated["endpoint"]["previousSecretExpiresAt"]

    await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
    await send_due(settings)
    during = receiver.received[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old_secret).verify(during.body, during.headers)
    Webhook(new_secret).verify(during.body, during.headers)

    await WebhookEndpoint.all().update(previous_secret_expires_at=utc_now() - timedelta(seconds=1))
    await quiet_api.data(CREATE_DOSSIER, {"name": "Bob"}, token=owner["accessToken"])
    await send_due(settings)
    after = receiver.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new_secret).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(after.body, after.headers)


async def test_the_secret_is_stored_encrypted(quiet_api, receiver):
    _, endpoint = await _practice_with_endpoint(quiet_api, receiver)
    stored = await WebhookEndpoint.get()
    raw = endpoint["secret"].removeprefix("whsec_")
    assert raw not in stored.secret_encrypted and stored.secret_encrypted.startswith("v1.")
