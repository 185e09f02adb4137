"""Billing's one face: terms as of now without a cron (O2, S5), prices only
for the account's own people (Q5, T4), and an error boundary that only maps."""
from __future__ import annotations

import pytest

from domain.audit.models import AuditEvent
from domain.billing.models import LedgerLine, Quote, QuoteLine
from domain.dossiers.models import ActiveMonth
from domain.outbox.models import OutboxMessage
from tests.conftest import ON_POSTGRES
from tests.support.billing import QUOTE_FIELDS, apply, ledger, new_key, quote_ok, subscription
from tests.support.flows import sign_up
from tests.support.statements import counting_statements, shapes, statements_of

APRIL_15 = "2026-04-15T10:00:00+02:00"
APRIL_20 = "2026-04-20T10:00:00+02:00"
MAY_20 = "2026-05-20T10:00:00+02:00"

CREATE_DOSSIER = """mutation($name: String!) { createDossier(input: {clientName: $name}) {
  dossier { id } userErrors { code message } quote { %s } } }""" % QUOTE_FIELDS
ADD_ENTRY = """mutation($id: ID!) { addEntry(input: {dossierId: $id, kind: NOTE, body: "Seen today."}) {
  entry { id } userErrors { code } quote { id } } }"""


async def _create(api, token: str, name: str, now: str) -> dict:
    return (await api.data(CREATE_DOSSIER, {"name": name}, token=token, now=now))["createDossier"]


async def test_o2_s5_a_scheduled_tier_cut_caps_from_the_renewal_date_with_no_cron_at_all(api):
    """The S5 scenario: a cut from 25 to 10 scheduled for the 15 May renewal,
    and no `casebook renew` or worker since. On 20 May the 11th new client is refused."""
    token = (await sign_up(api, now=APRIL_15, activeClientTier="UP_TO_25"))["accessToken"]
    cut = await quote_ok(api, token, APRIL_20, activeClientTier="UP_TO_10")
    assert [(line["effect"], line["effectiveOn"]) for line in cut["lines"]] == [("AT_RENEWAL", "2026-05-15")]
    assert (await apply(api, token, cut["id"], new_key(), APRIL_20))["userErrors"] == []

    answers = [await _create(api, token, f"Client {n}", MAY_20) for n in range(1, 13)]
    assert [a["userErrors"] for a in answers[:10]] == [[]] * 10
    assert [[e["code"] for e in a["userErrors"]] for a in answers[10:]] == [["ACTIVE_CLIENT_LIMIT_REACHED"]] * 2
    assert (await ActiveMonth.get(month="2026-05")).count == 10

    # The quote is priced in the period the renewal opened: 26 of its 31 days remain.
    lift = answers[10]["quote"]
    assert [(line["change"], line["from"], line["to"]) for line in lift["lines"]] == [
        ("ACTIVE_CLIENT_TIER", "UP_TO_10", "UP_TO_25")]
    assert (lift["lines"][0]["remainingDays"], lift["lines"][0]["periodDays"]) == (26, 31)

    sub = await subscription(api, token, now=MAY_20)
    assert (sub["periodStart"], sub["renewsOn"], sub["activeClientTier"], sub["scheduledChanges"]) == (
        "2026-05-15", "2026-06-15", "UP_TO_10", [])
    periods = [(line["periodStart"], line["periodEnd"]) for line in await ledger(api, token, now=MAY_20)
               if line["quoteId"] is None]
    assert periods == [("2026-04-15", "2026-05-15"), ("2026-05-15", "2026-06-15")]  # renewed exactly once


async def test_o2_a_read_long_after_the_last_renewal_shows_the_current_period(api):
    """Signed up on 15 January, nothing renewed since: read on 20 April, the subscription
    is in its 15 April–15 May period, each missed period charged once."""
    token = (await sign_up(api, now="2026-01-15T10:00:00+01:00"))["accessToken"]
    sub = await subscription(api, token, now=APRIL_20)
    assert (sub["periodStart"], sub["renewsOn"]) == ("2026-04-15", "2026-05-15")
    again = await subscription(api, token, now=APRIL_20)
    assert (again["periodStart"], again["renewsOn"]) == ("2026-04-15", "2026-05-15")
    assert [line["periodStart"] for line in await ledger(api, token, now=APRIL_20)] == [
        "2026-01-15", "2026-02-15", "2026-03-15", "2026-04-15"]


async def test_o2_one_request_reading_subscription_ledger_and_usage_sees_one_renewal(api):
    token = (await sign_up(api, now="2026-01-15T10:00:00+01:00"))["accessToken"]
    query = "{ account { subscription { periodStart } ledger { periodStart } usage { limit } } }"
    account = (await api.data(query, token=token, now=APRIL_20))["account"]
    assert account["subscription"]["periodStart"] == "2026-04-15"
    assert [line["periodStart"] for line in account["ledger"]] == [
        "2026-01-15", "2026-02-15", "2026-03-15", "2026-04-15"]
    assert account["usage"]["limit"] == 10


async def test_o2_a_refused_write_rolls_back_the_renewal_it_started_and_changes_nothing(api):
    """The first write after the renewal date renews inside its own transaction; when
    the cap refuses it, the renewal goes with it (a refused mutation changes nothing).
    The next read applies it again, and the owner's quote is priced in the new period."""
    owner = (await sign_up(api, now=APRIL_15))["accessToken"]
    machine = await _machine_token(api, owner)
    for n in range(10):
        assert (await _create(api, owner, f"Client {n}", "2026-05-01T10:00:00+02:00"))["userErrors"] == []
    before = await _stored()

    refused = await _create(api, machine, "Client 11", MAY_20)
    assert ([e["code"] for e in refused["userErrors"]], refused["quote"]) == (["ACTIVE_CLIENT_LIMIT_REACHED"], None)
    assert await _stored() == before

    mine = await _create(api, owner, "Client 11", MAY_20)
    assert (mine["quote"]["lines"][0]["remainingDays"], mine["quote"]["lines"][0]["periodDays"]) == (26, 31)
    assert (await subscription(api, owner, now=MAY_20))["periodStart"] == "2026-05-15"


async def test_o2_a_current_subscription_is_read_in_one_statement_without_a_lock(api):
    token = (await sign_up(api, now=APRIL_15))["accessToken"]
    query = "{ account { subscription { periodStart activeClientTier } } }"
    current = [s for s in await statements_of(api, query, token=token, now=APRIL_20) if '"subscription"' in s]
    assert len(current) == 1 and '"account"' in current[0], current  # with its account, in one read
    assert "FOR UPDATE" not in current[0]
    due = [s for s in await statements_of(api, query, token=token, now=MAY_20) if '"subscription"' in s]
    if ON_POSTGRES:  # a due one is locked, renewed and re-read under the lock
        assert any("FOR UPDATE" in s for s in due), shapes(due)


async def _machine_token(api, owner_token: str) -> str:
    created = (await api.data("""mutation { createMachineCredential(input: {name: "Partner CRM",
      scopes: ["dossiers:read", "dossiers:write"]}) { credential { clientId } clientSecret userErrors { code } } }""",
                              token=owner_token))["createMachineCredential"]
    issued = (await api.data("""mutation($id: String!, $secret: String!) { issueMachineToken(input:
      {clientId: $id, clientSecret: $secret}) { accessToken userErrors { code } } }""",
                             {"id": created["credential"]["clientId"], "secret": created["clientSecret"]}))
    return issued["issueMachineToken"]["accessToken"]


async def _stored() -> tuple[int, ...]:
    return (await Quote.all().count(), await QuoteLine.all().count(), await LedgerLine.all().count(),
            await AuditEvent.all().count(), await OutboxMessage.all().count())


async def test_t4_q5_a_machine_credential_hitting_the_cap_sees_no_price_and_stores_nothing(api):
    owner = (await sign_up(api, now=APRIL_15))["accessToken"]
    machine = await _machine_token(api, owner)
    for n in range(10):
        assert (await _create(api, machine, f"Client {n}", APRIL_20))["userErrors"] == []
    before = await _stored()

    body = await api(CREATE_DOSSIER, {"name": "Client 11"}, token=machine, now=APRIL_20)
    refused = body["data"]["createDossier"]
    assert [e["code"] for e in refused["userErrors"]] == ["ACTIVE_CLIENT_LIMIT_REACHED"]
    assert refused["quote"] is None
    assert "€" not in str(body) and "EUR" not in str(body)
    assert await _stored() == before  # no quote, no ledger line, no audit row, nothing queued

    # The owner hitting the same cap gets the quote that lifts it (Q5).
    mine = await _create(api, owner, "Client 11", APRIL_20)
    assert [e["code"] for e in mine["userErrors"]] == ["ACTIVE_CLIENT_LIMIT_REACHED"]
    assert mine["quote"]["dueNow"]["amount"] == "12.50"  # the tiers differ by €15 a month: × 25/30


def _billing_reads(statements: list[str]) -> list[str]:
    """Reads of the subscription or the account table (the principal's own reads aside)."""
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")
            and ('FROM "subscription"' in s or 'FROM "account"' in s)]


async def test_a_dossier_write_reads_subscription_and_account_once(api):
    """One read of the subscription with its account per write (it was
    three: the S9 check, the account, the subscription); a write refused by the cap reads
    nothing more at the error boundary when no quote is due to anyone."""
    token = (await sign_up(api, now=APRIL_15))["accessToken"]
    dossier_id = (await _create(api, token, "Client", APRIL_20))["dossier"]["id"]
    with counting_statements() as sql:
        added = (await api.data(ADD_ENTRY, {"id": dossier_id}, token=token, now=APRIL_20))["addEntry"]
    assert added["userErrors"] == []
    assert len(_billing_reads(sql)) == 1, shapes(_billing_reads(sql))
    with counting_statements() as sql:
        created = await _create(api, token, "Another", APRIL_20)
    assert created["userErrors"] == []
    assert len(_billing_reads(sql)) == 1, shapes(_billing_reads(sql))


async def test_the_error_boundary_only_maps(db):
    """`schema.errors.mutate` sends no statement for a limit, even one an owner hit: the
    domain stored the quote before the error reached the boundary (or decided none)."""
    from types import SimpleNamespace

    from domain.core.errors import ErrorCode, LiftRequest, LimitReached
    from schema.dossiers.mutations import DossierPayload
    from schema.errors import mutate
    from tests.support.billing import given_account

    account_id, owner = await given_account(APRIL_15)

    async def refused():
        raise LimitReached(ErrorCode.ACTIVE_CLIENT_LIMIT_REACHED, "Full.",
                           lift=LiftRequest(account_id, tier="UP_TO_25"))

    info = SimpleNamespace(context=SimpleNamespace(principal=SimpleNamespace(actor=owner), now=None, catalog=None))
    with counting_statements() as sql:
        payload = await mutate(info, DossierPayload, refused, lambda row: {})
    assert sql == []
    assert [e.code.value for e in payload.user_errors] == ["ACTIVE_CLIENT_LIMIT_REACHED"] and payload.quote is None


@pytest.mark.postgres_only
async def test_o2_writes_racing_a_due_renewal_renew_it_once(api):
    """Many first writes after the renewal date, at once: one renews, the others wait on
    the subscription lock and find it current."""
    import asyncio

    token = (await sign_up(api, now=APRIL_15))["accessToken"]
    answers = await asyncio.gather(*[_create(api, token, f"Client {n}", MAY_20) for n in range(8)])
    assert all(a["userErrors"] == [] for a in answers), answers
    periods = [line["periodStart"] for line in await ledger(api, token, now=MAY_20)]
    assert periods == ["2026-04-15", "2026-05-15"]
