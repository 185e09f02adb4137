"""D4 by timing: a dossier that exists but is not the caller's costs
exactly what a missing one costs — the same statements, for queries and mutations."""
from __future__ import annotations

from domain.dossiers.models import Entry
from tests.support.flows import sign_up
from tests.support.seed import seed_practice
from tests.support.statements import counting_statements
from schema.relay import to_global_id

AT = "2026-04-20T12:00:00+02:00"
DOSSIER = "query($id: ID!) { dossier(id: $id) { id clientName } }"
ADD = "mutation($input: AddEntryInput!) { addEntry(input: $input) { entry { id } userErrors { code } } }"
REVISE = "mutation($input: ReviseEntryInput!) { reviseEntry(input: $input) { entry { id } userErrors { code } } }"
MISSING = 10_000_000


async def _statements(api, query, variables, token) -> tuple[list[str], dict]:
    api.deliver = api.differential = False
    with counting_statements() as sql:
        body = await api(query, variables, token=token, now=AT)
    api.deliver = api.differential = True
    return list(sql), body


async def _same_cost(api, query, make_variables, foreign_id, token):
    # The first request at AT moves the account's test clock (one write); measure after it.
    await _statements(api, query, make_variables(MISSING), token)
    foreign_sql, foreign = await _statements(api, query, make_variables(foreign_id), token)
    missing_sql, missing = await _statements(api, query, make_variables(MISSING), token)
    assert foreign == missing or _without_ids(foreign) == _without_ids(missing)
    assert len(foreign_sql) == len(missing_sql), (foreign_sql, missing_sql)


def _without_ids(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "extensions"}


async def test_a_foreign_dossier_costs_what_a_missing_one_costs(api):
    other = await seed_practice(api, 2)
    intruder = await sign_up(api)
    await _same_cost(api, DOSSIER, lambda pk: {"id": to_global_id("Dossier", pk)}, other.dossier_ids[0],
                     intruder["accessToken"])
    await _same_cost(api, ADD, lambda pk: {"input": {"dossierId": to_global_id("Dossier", pk), "kind": "NOTE",
                                                     "body": "x"}}, other.dossier_ids[0], intruder["accessToken"])
    entry = await Entry.filter(dossier_id=other.dossier_ids[0]).first()
    await _same_cost(api, REVISE, lambda pk: {"input": {"entryId": to_global_id("Entry", pk), "body": "x"}},
                     entry.id, intruder["accessToken"])
