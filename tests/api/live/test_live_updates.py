"""Live updates (SPEC T7, API.md "Live updates") through the stock `gql` client over
graphql-transport-ws, against a real server in the test's loop (SQLite: one process;
PostgreSQL: NOTIFY at commit and LISTEN). Cross-process and cross-host delivery:
tests/race/test_live_across_processes.py."""
from __future__ import annotations


import pytest
import pytest_asyncio
from gql.transport.exceptions import TransportQueryError

from domain.accounts.models import Account
from tests.support.dossiers import ASSIGN, add_entry, create_ok, global_id, guest, practice, share, teammate
from tests.support.live import DOSSIER_UPDATES, VIEWER_UPDATES, Subscriber, serving

REVOKE = "mutation($input: RevokeShareInput!) { revokeShare(input: $input) { userErrors { code } } }"


@pytest_asyncio.fixture
async def api(db, settings, listen_url):
    """The test's app, listening on the test's own database (PostgreSQL: NOTIFY is per database)."""
    from api.app import create_app
    from tests.conftest import ON_POSTGRES, Api

    client = Api(create_app(settings.replace(live_listen_url=listen_url), manage_db=False))
    yield client
    await client.aclose()


def _code(result) -> str | None:
    if isinstance(result, TransportQueryError):
        return (result.errors[0].get("extensions") or {}).get("code")
    return None


async def _ended_with(subscriber: Subscriber) -> str | None:
    assert await subscriber.next() is None, "the stream goes on"
    return _code(subscriber.ended)


async def test_t7_a_carer_receives_the_entry_a_colleague_adds(api):
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    carer, _ = await teammate(api, owner.account_id, "ADMIN")
    async with serving(api.app) as url, Subscriber(url, carer, DOSSIER_UPDATES, {"id": dossier}) as carer_stream:
        added = await add_entry(api, owner.token, dossier, "Slept well.")
        update = (await carer_stream.next())["dossierUpdates"]
        assert update["event"] == "entry.added"
        assert update["entry"] == {"id": added["entry"]["id"], "body": "Slept well.",
                                   "author": {"email": owner.owner_email}}
        assert update["dossier"] == {"id": dossier, "clientName": "Ada"}


async def test_t7_a_guest_whose_share_is_revoked_stops_receiving_with_the_reason(api):
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    guest_token, person = await guest(api)
    given = await share(dossier, person)
    async with serving(api.app) as url, Subscriber(url, guest_token, DOSSIER_UPDATES, {"id": dossier}) as stream:
        await add_entry(api, owner.token, dossier, "Visible to the guest.")
        seen = (await stream.next())["dossierUpdates"]
        assert seen["entry"]["body"] == "Visible to the guest."
        assert seen["share"] is None  # a holder does not manage shares: as `node` answers them
        await api.data(REVOKE, {"input": {"shareId": global_id("Share", given.id)}}, token=owner.token)
        assert await _ended_with(stream) == "FORBIDDEN"


async def test_t7_a_member_is_cut_off_when_the_account_requires_two_factor(api):
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    member, _ = await teammate(api, owner.account_id, "ADMIN")
    async with serving(api.app) as url, Subscriber(url, member, DOSSIER_UPDATES, {"id": dossier}) as stream:
        from domain.accounts.models import User
        from infra.clock import utc_now

        await User.filter(email=owner.owner_email).update(totp_enabled_at=utc_now())  # the owner has enrolled
        turned_on = await api.data("mutation { updateAccount(input: {requireTwoFactor: true}) { userErrors { code } } }",
                                   token=owner.token)
        assert turned_on["updateAccount"]["userErrors"] == []
        assert await _ended_with(stream) == "TWO_FACTOR_REQUIRED"  # at once, before any other event


async def test_t7_an_update_carries_no_field_the_subscriber_could_not_query(api):
    """The same update, resolved for the owner and for a guest: each sees exactly what
    their own query shows (D2: a share holder sees no assignees and no shares)."""
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    carer, membership = await teammate(api, owner.account_id, "MEMBER")
    guest_token, person = await guest(api)
    await share(dossier, person)
    await api.data(ASSIGN, {"input": {"dossierId": dossier, "teammateId": global_id("Teammate", membership)}},
                   token=owner.token)
    fields = "id clientName assignees { user { email } } shares { email }"
    document = f"subscription($id: ID!) {{ dossierUpdates(dossierId: $id) {{ event dossier {{ {fields} }} }} }}"
    query = f"query($id: ID!) {{ dossier(id: $id) {{ {fields} }} }}"
    async with serving(api.app) as url, Subscriber(url, guest_token, document, {"id": dossier}) as guest_stream, \
            Subscriber(url, owner.token, document, {"id": dossier}) as owner_stream:
        await add_entry(api, owner.token, dossier, "x")
        as_guest, as_owner = await guest_stream.next(), await owner_stream.next()
    by_guest = await api(query, {"id": dossier}, token=guest_token)
    by_owner = await api(query, {"id": dossier}, token=owner.token)
    assert as_guest is not None and as_owner is not None, (guest_stream.ended, owner_stream.ended)
    assert as_guest["dossierUpdates"]["dossier"] == by_guest["data"]["dossier"]
    assert as_guest["dossierUpdates"]["dossier"]["assignees"] == []
    assert as_guest["dossierUpdates"]["dossier"]["shares"] == []
    assert as_owner["dossierUpdates"]["dossier"]["shares"] == [{"email": person.email}]
    assert as_owner["dossierUpdates"]["dossier"]["assignees"] != []


async def test_t7_a_rolled_back_write_announces_nothing(api):
    from domain import events
    from infra.clock import utc_now
    from infra.db import transaction
    from tests.support.dossiers import pk

    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    async with serving(api.app) as url, Subscriber(url, owner.token, DOSSIER_UPDATES, {"id": dossier}) as stream:
        with pytest.raises(RuntimeError):
            async with transaction():
                await events.announce(events.DOSSIER_UPDATED, account_id=owner.account_id, now=utc_now(),
                                      dossierId=("Dossier", pk(dossier)))
                raise RuntimeError("rolled back")
        assert await stream.nothing_within(0.5)
        async with transaction():
            await events.announce(events.DOSSIER_UPDATED, account_id=owner.account_id, now=utc_now(),
                                  dossierId=("Dossier", pk(dossier)))
        assert (await stream.next())["dossierUpdates"]["event"] == "dossier.updated"


async def test_p2_content_a_subscriber_receives_is_on_the_access_log(api):
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    guest_token, person = await guest(api)
    await share(dossier, person)
    async with serving(api.app) as url, Subscriber(url, guest_token, DOSSIER_UPDATES, {"id": dossier}) as stream:
        await add_entry(api, owner.token, dossier, "Read by the guest.")
        assert (await stream.next())["dossierUpdates"]["entry"]["body"] == "Read by the guest."
    log = await api.data("query($id: ID!) { dossier(id: $id) { accessLog(first: 10) { edges { node { email } } } } }",
                         {"id": dossier}, token=owner.token)
    readers = {edge["node"]["email"] for edge in log["dossier"]["accessLog"]["edges"]}
    assert person.email in readers


async def test_a3_viewers_hear_when_the_active_clients_near_the_cap(api):
    owner = await practice(api, tier="UP_TO_10")
    dossiers = [await create_ok(api, owner.token, f"Client {n}") for n in range(7)]  # a new dossier is active (A1)
    async with serving(api.app) as url, Subscriber(url, owner.token, VIEWER_UPDATES) as viewer:
        await add_entry(api, owner.token, dossiers[0], "already active")  # still 7 of 10 (A4)
        assert await viewer.nothing_within(0.3)
        await create_ok(api, owner.token, "Client 8")  # 8 of 10: 80%
        update = (await viewer.next())["viewerUpdates"]
        assert update["event"] == "usage.near_cap" and update["account"] == {"id": global_id("Account", owner.account_id)}


async def test_o4_an_update_is_resolved_at_the_account_s_test_clock(api):
    # The account lives in 2020; resolving what an update carries must not renew its
    # subscription up to the wall clock (years of charges its clock never reached).
    from tests.support.billing import apply, new_key, quote_ok
    from tests.support.flows import sign_up
    from tests.support.invoices import invoices

    then = "2020-01-20T10:00:00+01:00"
    owner = await sign_up(api, now="2020-01-15T10:00:00+01:00")
    token = owner["accessToken"]
    watch = "subscription { viewerUpdates { event account { subscription { __typename } } } }"
    async with serving(api.app) as url, Subscriber(url, token, watch) as viewer:
        q = await quote_ok(api, token, then, seats=2)
        assert (await apply(api, token, q["id"], new_key(), then))["userErrors"] == []
        update = (await viewer.next())["viewerUpdates"]
        assert update["event"] == "subscription.changed"
    assert [i["number"][:7] for i in await invoices(api, token)] == ["CB-2020", "CB-2020"]
