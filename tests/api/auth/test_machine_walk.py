"""T4 by type, not by root field: a machine credential holding every
scope a machine can hold walks the whole schema — every root query and mutation, with
every known id wherever an ID goes, every field a few levels deep — and no object that
shows the team or prices ever comes back: not through `node`, payloads or nested fields.
Authorship inside dossier content (D5) stays part of the dossier."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from domain.accounts.models import Membership, User
from domain.dossiers.models import Dossier, DossierAssignment
from schema.relay import to_global_id
from tests.api.auth.test_billing_operator_walk import NOW, _content, walker
from tests.api.auth.test_machine_credentials import _credential, _token
from tests.support.billing import quote_ok
from tests.support.flows import sign_up
from tests.support.teammates import accept, invitation_token, invite

# Types that show people (the team) or prices: never to a machine (auth/audiences.py).
PEOPLE_AND_PRICES = {"Teammate", "User", "TeammateInvitation", "AuditEvent", "MachineCredential", "AccessLogEntry",
                     "Money", "Plan", "TierOffer", "TermOffer", "Subscription", "LedgerLine", "Quote", "QuoteLine",
                     "ActiveClientUsage", "AccountDiscount", "ScheduledChange", "Catalog"}
MATE = "mate-walk@example.org"


async def _seats(api, owner_token: str) -> None:
    """A second seat, so the owner can add a teammate (S6)."""
    quote = await quote_ok(api, owner_token, NOW, seats=2)
    applied = await api.data("""mutation($id: ID!) { applySubscriptionChange(input: {quoteId: $id, idempotencyKey: "w"})
      { userErrors { code } } }""", {"id": quote["id"]}, token=owner_token, now=NOW)
    assert applied["applySubscriptionChange"]["userErrors"] == []


def _typenames(body: dict) -> set[str]:
    return set(re.findall(r'"__typename": "(\w+)"', json.dumps(body)))


@pytest.mark.slow
async def test_t4_no_path_of_the_schema_gives_a_machine_the_team_or_prices(api, settings):
    owner = await sign_up(api, "owner-machine-walk@example.org", now="2026-04-15T10:00:00+02:00")
    await _seats(api, owner["accessToken"])
    assert (await invite(api, owner["accessToken"], MATE, now=NOW))["userErrors"] == []
    assert (await accept(api, invitation_token(settings, MATE), now=NOW))["userErrors"] == []
    owner_user = await User.get(email="owner-machine-walk@example.org")
    mate = await Membership.get(user__email=MATE)
    account_id = mate.account_id
    credential, secret = await _credential(api, owner["accessToken"],
                                           scopes=("dossiers:read", "dossiers:write", "shares:manage"))
    machine = (await _token(api, credential["clientId"], secret))["accessToken"]
    machine_user = await User.get(email__startswith=credential["clientId"])
    ids = await _content(account_id, owner_user.id, machine_user.id, "guest-walk@example.org")
    quote = await quote_ok(api, owner["accessToken"], NOW, seats=3)
    ids.update({"Account": owner["viewer"]["account"]["id"], "User": owner["viewer"]["user"]["id"],
                "Mate": to_global_id("User", mate.user_id), "Teammate": to_global_id("Teammate", mate.id),
                "Quote": quote["id"], "Credential": credential["id"]})
    # The mate is assigned, so `assignees` has someone to show.
    await DossierAssignment.create(account_id=account_id, dossier_id=(await Dossier.first()).id,
                                   membership_id=mate.id, created_at=datetime.now(timezone.utc))

    walk = walker(settings.query_cost_limit)
    # The walk is not blind: as the owner it reaches people and prices.
    seen: set[str] = set()
    api.differential = False  # the operator walk compares the executors on the same documents
    api.deliver = False  # nothing here is about mail; delivering after each of the walk's requests doubles its time
    for _, document, variables in walk.operations(list(ids.values()), mutations=False):
        seen |= _typenames(await api(document, variables, token=owner["accessToken"], now=NOW))
    assert {"Teammate", "User", "Money", "Subscription", "Quote"} <= seen, seen

    walked: set[str] = set()
    reached_content = False
    for name, document, variables in walk.operations(list(ids.values())):
        walked.add(name)
        body = await api(document, variables, token=machine, now=NOW)
        text = json.dumps(body)
        assert "QUERY_TOO_COMPLEX" not in text and "Syntax Error" not in text, (name, document, body)
        leaked = _typenames(body) & PEOPLE_AND_PRICES
        assert not leaked, (name, leaked, document)
        assert MATE not in text and "Olga Owner" not in text, (name, body)
        reached_content = reached_content or "zz-secret-content-zz" in text
    assert reached_content  # it does read its account's dossiers (T4: dossiers only)
    assert walked == set(walk.schema.query_type.fields) | set(walk.schema.mutation_type.fields)
