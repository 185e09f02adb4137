"""What partners expect of a webhook service (SPEC O5, API.md "Webhooks (SPEC O5)"):
sendTestWebhook, replayWebhookDeliveries, and a delivery that cannot be attempted shown
as FAILING with its reason. Abuse: other accounts, members, floods of test events."""
from __future__ import annotations

import asyncio
import json
import os

import pytest
from standardwebhooks.webhooks import Webhook

from domain.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.support.flows import sign_up
from tests.support.teammates import add_teammate
from tests.support.webhooks import CREATE_DOSSIER, UPDATE_ENDPOINT, deliveries, send_due, subscribe

SEND_TEST = """mutation($id: ID!) { sendTestWebhook(input: {endpointId: $id}) { ok userErrors { code message field } } }"""
REPLAY_ALL = """mutation($input: ReplayWebhookDeliveriesInput!) { replayWebhookDeliveries(input: $input) {
  count userErrors { code message field } } }"""
LONG_AGO = "2000-01-01T00:00:00Z"




async def _owner_with_endpoint(api, receiver, **sign_up_options):
    owner = await sign_up(api, **sign_up_options)
    endpoint = await subscribe(api, owner["accessToken"], receiver.url)
    return owner["accessToken"], endpoint["endpoint"]["id"], endpoint["secret"]


async def test_a_test_event_arrives_signed_with_its_endpoint_and_sequence(quiet_api, settings, receiver):
    token, endpoint_id, secret = await _owner_with_endpoint(quiet_api, receiver)
    sent = (await quiet_api.data(SEND_TEST, {"id": endpoint_id}, token=token))["sendTestWebhook"]
    assert sent == {"ok": True, "userErrors": []}
    await send_due(settings)
    [request] = receiver.received
    body = Webhook(secret).verify(request.body, request.headers)
    assert body["type"] == "webhook.test"
    assert body["data"]["endpointId"] == endpoint_id and isinstance(body["data"]["sequence"], int)
    [delivery] = await deliveries(quiet_api, token)
    assert (delivery["event"], delivery["status"]) == ("webhook.test", "SUCCEEDED")


async def test_test_events_are_bounded_per_endpoint(quiet_api, receiver):
    token, endpoint_id, _ = await _owner_with_endpoint(quiet_api, receiver)
    for _ in range(5):
        assert (await quiet_api.data(SEND_TEST, {"id": endpoint_id}, token=token))["sendTestWebhook"]["ok"]
    refused = (await quiet_api.data(SEND_TEST, {"id": endpoint_id}, token=token))["sendTestWebhook"]
    assert [e["code"] for e in refused["userErrors"]] == ["RATE_LIMITED"] and refused["ok"] is False
    assert await WebhookDelivery.filter(event="webhook.test").count() == 5


async def test_a_disabled_endpoint_gets_no_test_event(quiet_api, receiver):
    token, endpoint_id, _ = await _owner_with_endpoint(quiet_api, receiver)
    await quiet_api.data(UPDATE_ENDPOINT, {"input": {"endpointId": endpoint_id, "enabled": False}}, token=token)
    refused = (await quiet_api.data(SEND_TEST, {"id": endpoint_id}, token=token))["sendTestWebhook"]
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_INPUT"]
    assert await WebhookDelivery.all().count() == 0


async def test_replay_since_sends_the_failed_ones_again_with_their_webhook_ids(quiet_api, settings, receiver):
    token, endpoint_id, _ = await _owner_with_endpoint(quiet_api, receiver)
    for name in ("Ann", "Bob", "Cid"):
        await quiet_api.data(CREATE_DOSSIER, {"name": name}, token=token)
    await send_due(settings)
    # Two of them failed for good (their day of retries is over).
    failed = (await WebhookDelivery.all().order_by("id"))[:2]
    await WebhookDelivery.filter(id__in=[d.id for d in failed]).update(status="failed")
    first_ids = {d.message_id for d in failed}

    replayed = (await quiet_api.data(REPLAY_ALL, {"input": {"endpointId": endpoint_id, "since": LONG_AGO}},
                                     token=token))["replayWebhookDeliveries"]
    assert replayed == {"count": 2, "userErrors": []}
    await send_due(settings)
    assert {r.headers["webhook-id"] for r in receiver.received[3:]} == first_ids

    both = (await quiet_api.data(REPLAY_ALL, {"input": {"endpointId": endpoint_id, "since": LONG_AGO,
                                                         "statuses": ["FAILED", "SUCCEEDED"]}},
                                 token=token))["replayWebhookDeliveries"]
    assert both["count"] == 5  # the two failed, the one that succeeded, the two replays
    later = (await quiet_api.data(REPLAY_ALL, {"input": {"endpointId": endpoint_id,
                                                          "since": "2999-01-01T00:00:00Z"}},
                                  token=token))["replayWebhookDeliveries"]
    assert later == {"count": 0, "userErrors": []}


@pytest.mark.parametrize("statuses", [["PENDING"], ["FAILING", "FAILED"], []])
async def test_replay_of_unfinished_deliveries_or_of_nothing_is_refused(quiet_api, receiver, statuses):
    token, endpoint_id, _ = await _owner_with_endpoint(quiet_api, receiver)
    await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=token)
    refused = (await quiet_api.data(REPLAY_ALL, {"input": {"endpointId": endpoint_id, "since": LONG_AGO,
                                                            "statuses": statuses}}, token=token))
    payload = refused["replayWebhookDeliveries"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID_INPUT", ["statuses"])]
    assert await WebhookDelivery.all().count() == 1


async def test_another_account_and_members_reach_neither_tool(quiet_api, settings, receiver):
    token, endpoint_id, _ = await _owner_with_endpoint(quiet_api, receiver, seats=2)
    stranger = (await sign_up(quiet_api))["accessToken"]
    for query, variables, field in ((SEND_TEST, {"id": endpoint_id}, "sendTestWebhook"),
                                    (REPLAY_ALL, {"input": {"endpointId": endpoint_id, "since": LONG_AGO}},
                                     "replayWebhookDeliveries"),
                                    (SEND_TEST, {"id": "not-an-id"}, "sendTestWebhook")):
        payload = (await quiet_api.data(query, variables, token=stranger))[field]
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], field
    quiet_api.deliver = True  # the invitation mail
    member = await add_teammate(quiet_api, settings, token, "member@example.org")
    quiet_api.deliver = False
    for query, variables in ((SEND_TEST, {"id": endpoint_id}),
                             (REPLAY_ALL, {"input": {"endpointId": endpoint_id, "since": LONG_AGO}})):
        body = await quiet_api(query, variables, token=member["accessToken"])
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await WebhookDelivery.filter(event="webhook.test").count() == 0


async def test_a_delivery_that_cannot_be_attempted_is_failing_with_the_reason(quiet_api, settings, receiver):
    # An endpoint saved before ports were checked (or a URL the sending code cannot use).
    token, _, _ = await _owner_with_endpoint(quiet_api, receiver)
    await WebhookEndpoint.all().update(url="http://127.0.0.1:99999/hook")
    await quiet_api.data(CREATE_DOSSIER, {"name": "Ann"}, token=token)
    await send_due(settings)
    [delivery] = await deliveries(quiet_api, token)
    assert (delivery["status"], delivery["attempts"]) == ("FAILING", 1)
    assert delivery["lastError"] and delivery["nextAttemptAt"]


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL only")
async def test_two_workers_deliver_each_event_exactly_once(quiet_api, settings, receiver):
    token, _, _ = await _owner_with_endpoint(quiet_api, receiver)
    for n in range(9):  # within the plan's ten active clients
        created = await quiet_api.data(CREATE_DOSSIER, {"name": f"Client {n}"}, token=token)
        assert created["createDossier"]["userErrors"] == []
    # Two workers on the one queue at once (O5). One that finds the endpoint's lane full
    # (the other holds its attempts) stops draining; run both again until nothing is left.
    for _ in range(10):
        await asyncio.gather(send_due(settings, name="worker-a"), send_due(settings, name="worker-b"))
        if not await WebhookDelivery.filter(status="pending").exists():
            break
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 9 and len(set(ids)) == 9
    assert sorted(json.loads(r.body)["data"]["sequence"] for r in receiver.received) == \
        sorted({json.loads(r.body)["data"]["sequence"] for r in receiver.received})
    assert await WebhookDelivery.filter(status="succeeded").count() == 9


async def test_replays_on_their_way_are_bounded_per_endpoint(quiet_api, settings, receiver, monkeypatch):
    # Abuse (O5): asking again and again must not pile up deliveries against a server,
    # as test events cannot (the bound is 1000; 4 here to keep the test small).
    from domain.webhooks import deliveries as webhook_deliveries

    monkeypatch.setattr(webhook_deliveries, "MAX_REPLAY", 4)
    token, endpoint_id, _ = await _owner_with_endpoint(quiet_api, receiver)
    for name in ("Ann", "Bob", "Cid"):
        await quiet_api.data(CREATE_DOSSIER, {"name": name}, token=token)
    await send_due(settings)
    again = {"input": {"endpointId": endpoint_id, "since": LONG_AGO, "statuses": ["SUCCEEDED"]}}
    counts = [(await quiet_api.data(REPLAY_ALL, again, token=token))["replayWebhookDeliveries"] for _ in range(3)]
    assert [c["count"] for c in counts] == [3, 1, 0]
    assert [e["code"] for e in counts[2]["userErrors"]] == ["RATE_LIMITED"]
    assert await WebhookDelivery.filter(replay_of_id__isnull=False).count() == 4
    await send_due(settings)  # once they arrived, replaying works again
    assert (await quiet_api.data(REPLAY_ALL, again, token=token))["replayWebhookDeliveries"]["count"] == 4
