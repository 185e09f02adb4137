"""Where webhooks may go (T5, SSRF): in production only https to public addresses —
checked when an endpoint is saved and again at every delivery, with the connection
pinned to the checked address. Refused input writes nothing.

No test here connects anywhere but 127.0.0.1: names resolve through a fake DNS, and a
delivery that must be refused goes through a transport that fails the test if used."""
from __future__ import annotations


import httpx
import pytest

from domain.audit.models import AuditEvent
from infra.settings import Environment
from domain.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import Api
from tests.support.flows import sign_up
from tests.support.webhooks import (
    CREATE_DOSSIER, CREATE_ENDPOINT, FakeDns, deliveries, make_due, send_due, subscribe,
)



@pytest.fixture
def production_settings(settings):
    return settings.replace(env=Environment.PRODUCTION, webhook_secret_key="k" * 40)


@pytest.fixture
async def production(db, production_settings):
    from api.app import create_app

    client = Api(create_app(production_settings, manage_db=False), deliver=False)
    yield client
    await client.http.aclose()


async def _create(api, token, url, events=("dossier.created",)):
    return (await api.data(CREATE_ENDPOINT, {"input": {"url": url, "events": list(events)}},
                           token=token))["createWebhookEndpoint"]


async def _nothing_written():
    assert await WebhookEndpoint.all().count() == 0
    assert await AuditEvent.filter(action__startswith="webhook").count() == 0


class NoNetwork(httpx.AsyncBaseTransport):
    """A transport for deliveries that must never leave: records any attempt to."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raise httpx.ConnectError("the test forbids this connection", request=request)


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook",              # loopback
    "https://127.8.9.10:8443/hook",
    "https://[::1]/hook",
    "https://10.1.2.3/hook",               # private
    "https://192.168.0.10/hook",
    "https://172.16.5.4/hook",
    "https://[::ffff:10.1.2.3]/hook",      # private, wrapped in IPv6
    "https://[fd12:3456::1]/hook",         # unique-local
    "https://169.254.169.254/latest/meta-data",  # link-local: cloud metadata
    "https://100.100.100.200/",            # carrier-grade NAT: another cloud's metadata
    "https://0.0.0.0/hook",
    "https://localhost/hook",
    "http://hooks.partner.example/hook",   # not https
])
async def test_production_refuses_non_public_targets_and_writes_nothing(production, url):
    owner = await sign_up(production)
    with FakeDns({"localhost": ["127.0.0.1"], "hooks.partner.example": ["93.184.216.34"]}):
        refused = await _create(production, owner["accessToken"], url)
    assert refused["endpoint"] is None and refused["secret"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID_INPUT", ["url"])]
    await _nothing_written()


async def test_production_refuses_a_name_that_resolves_to_a_private_address(production):
    owner = await sign_up(production)
    with FakeDns({"internal.partner.example": ["10.0.0.7"],
                  "mixed.partner.example": ["93.184.216.34", "192.168.1.1"]}):
        for host in ("internal.partner.example", "mixed.partner.example", "unknown.partner.example"):
            refused = await _create(production, owner["accessToken"], f"https://{host}/hook")
            assert refused["userErrors"][0]["code"] == "INVALID_INPUT", host
    await _nothing_written()


async def test_production_accepts_https_to_a_public_address_without_calling_it(production):
    owner = await sign_up(production)
    with FakeDns({"hooks.partner.example": ["93.184.216.34"]}):
        created = await _create(production, owner["accessToken"], "https://hooks.partner.example/casebook")
    assert created["userErrors"] == [] and created["endpoint"]["url"] == "https://hooks.partner.example/casebook"


async def test_dns_rebinding_after_saving_is_refused_at_delivery_without_connecting(production, production_settings):
    owner = await sign_up(production)
    with FakeDns({"hooks.partner.example": ["93.184.216.34"]}):
        await _create(production, owner["accessToken"], "https://hooks.partner.example/casebook")
    await production.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])

    network = NoNetwork()
    for answer in (["127.0.0.1"], ["10.9.8.7"], ["93.184.216.34", "169.254.169.254"]):
        with FakeDns({"hooks.partner.example": answer}):
            await make_due()
            await send_due(production_settings, transport=network)
        assert network.requests == [], answer
        delivery = await WebhookDelivery.get()
        assert delivery.status == "failing" and delivery.last_error.startswith("refused:"), answer


async def test_outside_production_loopback_is_allowed_but_private_addresses_are_not(api):
    owner = await sign_up(api)
    allowed = await _create(api, owner["accessToken"], "http://127.0.0.1:9/hook")
    assert allowed["userErrors"] == []
    for url in ("http://10.1.2.3/hook", "http://169.254.169.254/", "http://[fe80::1]/hook"):
        refused = await _create(api, owner["accessToken"], url)
        assert refused["userErrors"][0]["code"] == "INVALID_INPUT", url
    assert await WebhookEndpoint.all().count() == 1


async def test_the_connection_goes_to_the_checked_address_and_names_the_host(api, settings, receiver):
    api.deliver = False
    owner = await sign_up(api)
    with FakeDns({"hooks.partner.test": ["127.0.0.1"]}):
        await subscribe(api, owner["accessToken"], f"http://hooks.partner.test:{receiver.port}/hook")
        await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=owner["accessToken"])
        await send_due(settings)
    [request] = receiver.received
    assert request.headers["host"] == f"hooks.partner.test:{receiver.port}"
    assert (await deliveries(api, owner["accessToken"]))[0]["status"] == "SUCCEEDED"


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1/hook", "http://user:pw@127.0.0.1/hook",
                                 "http://127.0.0.1/hook#part", "http:///hook", "http://127.0.0.1/" + "x" * 2000,
                                 "http://intranet/hook",
                                 # O5: ports the delivery code cannot connect to.
                                 "http://127.0.0.1:99999/hook", "http://127.0.0.1:0/hook",
                                 "https://127.0.0.1:65536/hook"])
async def test_bad_urls_are_refused(api, url):
    owner = await sign_up(api)
    refused = await _create(api, owner["accessToken"], url)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID_INPUT", ["url"])]
    await _nothing_written()


@pytest.mark.parametrize("events", [[], ["dossier.exploded"], ["dossier.created", "DOSSIER.CREATED"], [""]])
async def test_unknown_event_names_are_refused(api, events):
    owner = await sign_up(api)
    refused = await _create(api, owner["accessToken"], "http://127.0.0.1:9/hook", events)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID_INPUT", ["events"])]
    await _nothing_written()
