"""A page's entries, shares and assignees completed straight from the records (issue 27,
schema/record_completion.py) answer exactly as the usual completion: each query here
runs so, then with that switched off, and the two answers and the reads they record
(P2) must be equal. The test client also compares each answer with the standard
executor's (tests/conftest.py)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from tortoise import connections

from domain.dossiers import queries as dossier_queries
from domain.shares import queries as share_queries
from domain.dossiers.models import DossierRead, Entry, EntryRevision
from schema.compiled import CompiledExecutor
from tests.api.auth.test_machine_credentials import _credential, _token
from tests.conftest import ON_POSTGRES
from tests.support.seed import seed_practice
from tests.support.statements import counting_statements

AT = "2026-04-20T12:00:00+02:00"
READS = ((dossier_queries, "entry_page_reads"), (dossier_queries, "assignee_reads"),
         (share_queries, "share_reads"))

FULL = """query($first: Int, $after: String, $last: Int, $before: String) {
  dossiers(first: 3) { edges { node { id
    entries(first: $first, after: $after, last: $last, before: $before) {
      __typename
      info: pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { __typename at: cursor node { __typename id k: kind body version writtenAt
        author { __typename userId email } } } } } } } }"""
PEOPLE = """{ dossiers(first: 4) { edges { node { id
  s: shares { __typename id email access status createdAt }
  assignees { __typename id role addedAt user { __typename id email name emailVerified twoFactorEnabled } } } } } }"""
# Every list of a page at once: read in one statement (infra.db.read_together).
EVERY_LIST = """{ dossiers(first: 4) { edges { node { id
  entries(first: 3) { pageInfo { hasNextPage endCursor } edges { node { id kind body writtenAt } } }
  shares { id email status createdAt } assignees { id role user { email } } } } } }"""
# The same list twice with other slices, beside another: three parts of one statement.
TWO_SLICES = """{ dossiers(first: 4) { edges { node { id
  newest: entries(first: 1) { edges { cursor node { id version } } }
  oldest: entries(last: 2) { pageInfo { hasPreviousPage startCursor } edges { node { id body } } }
  shares { email access } } } } }"""
CURSORS_ONLY = "{ dossiers(first: 3) { edges { node { entries(first: 2) { edges { cursor } } } } } }"
# Fields the record completion does not cover: the usual completion answers these.
NOT_COVERED = (
    "{ dossiers(first: 3) { edges { node { entries(first: 2) { totalCount edges { node { id } } } } } } }",
    "{ dossiers(first: 3) { edges { node { entries(first: 2) { nodes { id } } } } } }",
    "{ dossiers(first: 3) { edges { node { entries(first: 2) { edges { node { id revisions { version } } } } } } } }",
    "{ dossiers(first: 3) { edges { node { entries(first: 2) { edges { node { id @include(if: true) } } } } } } }",
    "{ dossiers(first: 3) { edges { node { shares { id dossier { id } } } } } }",
    # The edges (or pageInfo) twice, under two keys with their own selections.
    "{ dossiers(first: 3) { edges { node { entries(first: 2) { a: edges { node { id } } b: edges { cursor } } } } } }",
    "{ dossiers(first: 3) { edges { node { entries(first: 2) { edges { cursor } a: pageInfo { hasNextPage } "
    "b: pageInfo { endCursor } } } } } }",
)


@pytest.fixture
async def practice(api):
    practice = await seed_practice(api, 4, entries=7, shares=2, teammates=2)
    entries = await Entry.filter(account_id=practice.account_id).order_by("id")
    for n, (entry, kind) in enumerate(zip(entries, ["REPORT", "RECOMMENDATION", "MEAL_PLAN", "NOTE"] * 10)):
        entry.kind = kind
        await entry.save(update_fields=["kind"])
        # Times with and without microseconds; text with quotes, escapes and non-ASCII.
        await EntryRevision.filter(entry_id=entry.id, version=entry.current_version).update(
            written_at=datetime(2026, 4, 1 + n % 20, 9, n, n, 123456 * (n % 2), tzinfo=timezone.utc),
            body=f'"Quoted" \\ back, line\nbreak, tab\t, Grüße, 漢字, 🙂 {n} </script>')
    return practice


async def _both_ways(api, monkeypatch, token: str, query: str, variables: dict | None = None) -> tuple[dict, int]:
    """The answer from records and the usual one (asserted equal, with equal reads), and
    how many times the first run read records."""
    calls = []

    def counting(read):
        def counted(*args, **kwargs):
            calls.append(args)
            return read(*args, **kwargs)
        return counted

    for module, name in READS:
        monkeypatch.setattr(module, name, counting(getattr(module, name)))
    reads_before = await DossierRead.all().count()
    from_records = await api(query, variables, token=token, now=AT)
    reads_from_records = await DossierRead.all().count() - reads_before
    with monkeypatch.context() as off:
        off.setattr(CompiledExecutor, "_on_records", lambda self: False)
        usual = await api(query, variables, token=token, now=AT)
    reads_usual = await DossierRead.all().count() - reads_before - reads_from_records
    assert (from_records.get("data"), from_records.get("errors")) == (usual.get("data"), usual.get("errors"))
    assert reads_from_records == reads_usual
    return from_records, len(calls)


@pytest.mark.postgres_only
async def test_a_page_of_entries_from_records_answers_as_the_usual_completion(api, practice, monkeypatch):
    body, from_records = await _both_ways(api, monkeypatch, practice.token, FULL, {"first": 3})
    assert from_records == 1
    connections_ = [edge["node"]["entries"] for edge in body["data"]["dossiers"]["edges"]]
    assert len(connections_) == 3
    first = connections_[0]
    assert first["__typename"] == "EntryConnection" and len(first["edges"]) == 3
    assert first["info"]["hasNextPage"] is True and first["info"]["endCursor"] == first["edges"][-1]["at"]
    kinds = {edge["node"]["k"] for c in connections_ for edge in c["edges"]}
    assert kinds == {"NOTE", "REPORT", "RECOMMENDATION", "MEAL_PLAN"}
    times = [edge["node"]["writtenAt"] for c in connections_ for edge in c["edges"]]
    assert any("." in t for t in times) and any("." not in t for t in times)
    assert "Grüße" in first["edges"][0]["node"]["body"]


@pytest.mark.postgres_only
async def test_every_direction_of_paging_answers_as_the_usual_completion(api, practice, monkeypatch):
    body, _ = await _both_ways(api, monkeypatch, practice.token, FULL, {"first": 2})
    info = body["data"]["dossiers"]["edges"][0]["node"]["entries"]["info"]
    for variables in ({"first": 2, "after": info["endCursor"]}, {"last": 2}, {"last": 3, "before": info["startCursor"]},
                      {"last": 2, "before": info["endCursor"]}, {"first": 20}):
        _, from_records = await _both_ways(api, monkeypatch, practice.token, FULL, variables)
        assert from_records == 1, variables
    body, _ = await _both_ways(api, monkeypatch, practice.token, FULL, {"first": 0, "last": 2})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


@pytest.mark.postgres_only
async def test_shares_and_assignees_from_records_answer_as_the_usual_completion(api, practice, monkeypatch):
    body, from_records = await _both_ways(api, monkeypatch, practice.token, PEOPLE)
    assert from_records == 2
    nodes = [edge["node"] for edge in body["data"]["dossiers"]["edges"]]
    assert all(len(node["s"]) == 2 and len(node["assignees"]) == 2 for node in nodes), nodes


@pytest.mark.postgres_only
async def test_a_page_s_entries_shares_and_assignees_are_one_statement(api, practice, monkeypatch):
    """Each list's records come from its own part of the one statement, in its own order:
    the answer is the usual completion's, the same list in two slices included."""
    body, from_records = await _both_ways(api, monkeypatch, practice.token, EVERY_LIST)
    assert from_records == 3
    nodes = [edge["node"] for edge in body["data"]["dossiers"]["edges"]]
    assert all(len(node["entries"]["edges"]) == 3 and len(node["shares"]) == 2 and len(node["assignees"]) == 2
               for node in nodes), nodes
    with counting_statements() as sent:
        await api(EVERY_LIST, token=practice.token, now=AT)
    lists = [sql for sql in sent if any(read in sql for read in (
        "FROM entry WHERE", "FROM share WHERE dossier_id IN", "FROM dossier_assignment a JOIN"))]
    assert len(lists) == 1 and "UNION ALL" in lists[0], lists
    body, from_records = await _both_ways(api, monkeypatch, practice.token, TWO_SLICES)
    assert from_records == 3
    node = body["data"]["dossiers"]["edges"][0]["node"]
    assert len(node["newest"]["edges"]) == 1 and len(node["oldest"]["edges"]) == 2 and len(node["shares"]) == 2
    assert node["newest"]["edges"][0]["node"]["id"] not in {edge["node"]["id"] for edge in node["oldest"]["edges"]}


@pytest.mark.postgres_only
async def test_a_dossier_whose_access_is_not_known_yet_reads_it_first(api, practice, monkeypatch):
    """A mutation's payload carries its dossier without the viewer's access (a page's
    dossiers come with theirs): the record forms read the access first, then their list."""
    from schema.relay import to_global_id

    update = """mutation($input: UpdateDossierInput!) { updateDossier(input: $input) { dossier { id
      shares { email status } assignees { role user { email } } } userErrors { code } } }"""
    variables = {"input": {"dossierId": to_global_id("Dossier", practice.dossier_ids[0]), "clientName": "Ada Same"}}
    body, from_records = await _both_ways(api, monkeypatch, practice.token, update, variables)
    assert from_records == 2
    dossier = body["data"]["updateDossier"]["dossier"]
    assert len(dossier["shares"]) == 2 and len(dossier["assignees"]) == 2, body


@pytest.mark.postgres_only
async def test_what_a_principal_may_not_see_is_answered_by_the_usual_completion(api, practice, monkeypatch):
    """A machine credential sees content but never people (T4): the assignees read as
    records are refused by the audience check, and the usual completion answers the
    refusal, at the same path."""
    credential, secret = await _credential(api, practice.token, scopes=("dossiers:read",))
    machine = (await _token(api, credential["clientId"], secret))["accessToken"]
    body, from_records = await _both_ways(api, monkeypatch, machine, PEOPLE)
    assert from_records >= 2  # the page's lists, then each dossier's on the way down
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"][-2:] == ["assignees", 0]
    body, from_records = await _both_ways(api, monkeypatch, machine, FULL, {"first": 2})
    assert from_records == 1 and "errors" not in body, body


@pytest.mark.postgres_only
async def test_a_dossier_without_entries_and_cursors_alone(api, practice, monkeypatch):
    await Entry.filter(dossier_id=practice.dossier_ids[0]).delete()
    body, from_records = await _both_ways(api, monkeypatch, practice.token, FULL, {"first": 3})
    assert from_records == 1
    _, from_records = await _both_ways(api, monkeypatch, practice.token, CURSORS_ONLY)
    assert from_records == 1


@pytest.mark.postgres_only
async def test_selections_it_does_not_cover_keep_the_usual_completion(api, practice, monkeypatch):
    for query in NOT_COVERED:
        body, from_records = await _both_ways(api, monkeypatch, practice.token, query)
        assert from_records == 0, query
        assert "errors" not in body, body


@pytest.mark.postgres_only
async def test_a_value_the_schema_does_not_know_sends_the_list_down_the_usual_path(api, practice, monkeypatch):
    """An enum value no EntryKind names: the same answer as the usual path (an error at
    that entry, not a null the schema forbids); the other dossiers' lists, completed one
    by one on the way down, still come from records."""
    entry = await Entry.filter(dossier_id=practice.dossier_ids[0]).order_by("-id").first()
    await connections.get("default").execute_query("UPDATE entry SET kind = 'POEM' WHERE id = $1", [entry.id])
    body, from_records = await _both_ways(api, monkeypatch, practice.token, FULL, {"first": 3})
    assert from_records > 1  # the page's list sent down the usual path, then each dossier's
    assert body.get("errors"), body


@pytest.mark.skipif(ON_POSTGRES, reason="on SQLite only")
async def test_on_sqlite_the_usual_completion_answers(api, practice, monkeypatch):
    """SQLite's rows need converting: the record form is never asked there."""
    with monkeypatch.context() as patched:
        for module, name in READS:
            patched.setattr(module, name, None)  # would fail if called
        body = await api(FULL, {"first": 3}, token=practice.token, now=AT)
    assert len(body["data"]["dossiers"]["edges"][0]["node"]["entries"]["edges"]) == 3
    body = await api(PEOPLE, token=practice.token, now=AT)
    assert len(body["data"]["dossiers"]["edges"][0]["node"]["assignees"]) == 2
