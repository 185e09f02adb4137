"""Relay cursor connections, complete (API.md "Third release: Pagination"): a client pages
forwards with first/after and backwards with last/before, reads `totalCount` and `nodes`,
and meets every item exactly once, in order."""
from __future__ import annotations

from tests.support.dossiers import create_ok, practice, set_tier

NOW = "2026-04-10T09:00:00+02:00"
PAGE = """query($first: Int, $after: String, $last: Int, $before: String) {
  dossiers(first: $first, after: $after, last: $last, before: $before) {
    totalCount nodes { clientName }
    edges { cursor node { clientName } }
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }"""


async def _forty_five(api) -> tuple[str, list[str]]:
    owner = await practice(api, now=NOW)
    await set_tier(owner.account_id, "UP_TO_75")
    names = [f"Client {n:02d}" for n in range(45)]
    for name in reversed(names):  # created out of order: the list is by name
        await create_ok(api, owner.token, name, now=NOW)
    return owner.token, names


async def _page(api, token: str, **arguments) -> dict:
    body = await api.data(PAGE, arguments, token=token, now=NOW)
    connection = body["dossiers"]
    assert [n["clientName"] for n in connection["nodes"]] == [e["node"]["clientName"] for e in connection["edges"]]
    assert connection["totalCount"] == 45
    return connection


async def test_paging_forwards_then_backwards_meets_each_dossier_once_in_order(api):
    token, names = await _forty_five(api)
    seen, after, flags = [], None, []
    while True:
        page = await _page(api, token, first=20, after=after)
        info = page["pageInfo"]
        seen += [e["node"]["clientName"] for e in page["edges"]]
        flags.append((info["hasPreviousPage"], info["hasNextPage"]))
        assert info["startCursor"] == page["edges"][0]["cursor"] and info["endCursor"] == page["edges"][-1]["cursor"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == names
    assert flags == [(False, True), (True, True), (True, False)]

    seen, before, flags = [], None, []
    while True:
        page = await _page(api, token, last=20, before=before)
        info = page["pageInfo"]
        seen = [e["node"]["clientName"] for e in page["edges"]] + seen
        flags.append((info["hasPreviousPage"], info["hasNextPage"]))
        if not info["hasPreviousPage"]:
            break
        before = info["startCursor"]
    assert seen == names
    assert flags == [(True, False), (True, True), (False, True)]


async def test_a_window_between_two_cursors_and_the_turn_of_direction(api):
    token, names = await _forty_five(api)
    first = await _page(api, token, first=10)
    tenth = first["pageInfo"]["endCursor"]
    back = await _page(api, token, last=5, before=tenth)
    assert [n["clientName"] for n in back["nodes"]] == names[4:9]
    assert (back["pageInfo"]["hasPreviousPage"], back["pageInfo"]["hasNextPage"]) == (True, True)
    start = await _page(api, token, last=20, before=back["pageInfo"]["startCursor"])
    assert [n["clientName"] for n in start["nodes"]] == names[:4]
    assert start["pageInfo"]["hasPreviousPage"] is False


async def test_first_and_last_together_or_out_of_range_are_invalid_input(api):
    token, _ = await _forty_five(api)
    for arguments in ({"first": 5, "last": 5}, {"last": 0}, {"last": 101}, {"before": "bm90LWEtY3Vyc29y"}):
        body = await api(PAGE, arguments, token=token, now=NOW)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_INPUT"], arguments


HISTORY = """query($id: ID!, $metric: String, $first: Int, $after: String, $last: Int, $before: String) {
  dossier(id: $id) {
    measurementHistory(metric: $metric, first: $first, after: $after, last: $last, before: $before) {
      totalCount nodes { metric value measuredAt }
      pageInfo { hasPreviousPage hasNextPage startCursor endCursor } }
    entries(last: 2) { totalCount nodes { body } pageInfo { hasPreviousPage hasNextPage } } } }"""


async def test_measurement_history_pages_a_metric_by_when_measured_and_entries_page_backwards(api):
    from tests.support.dossiers import add_entry, record

    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Series", now=NOW)
    for day in (5, 1, 3, 2, 4):  # recorded out of order: the series is by when measured
        await record(api, owner.token, dossier_id, str(70 + day), measured_at=f"2026-04-0{day}T08:00:00+02:00")
    await record(api, owner.token, dossier_id, "120", metric="systolic", unit="mmHg")
    for body in ("one", "two", "three"):
        assert (await add_entry(api, owner.token, dossier_id, body, now=NOW))["userErrors"] == []

    def history(**arguments):
        return api.data(HISTORY, {"id": dossier_id, **arguments}, token=owner.token, now=NOW)

    first = (await history(metric="weight", first=3))["dossier"]
    series = first["measurementHistory"]
    assert [n["value"] for n in series["nodes"]] == ["71", "72", "73"]
    assert series["totalCount"] == 5 and series["pageInfo"]["hasNextPage"] is True
    rest = (await history(metric="weight", first=3, after=series["pageInfo"]["endCursor"]))["dossier"]
    assert [n["value"] for n in rest["measurementHistory"]["nodes"]] == ["74", "75"]
    back = (await history(metric="weight", last=2, before=rest["measurementHistory"]["pageInfo"]["startCursor"]))
    assert [n["value"] for n in back["dossier"]["measurementHistory"]["nodes"]] == ["72", "73"]
    every = (await history(last=10))["dossier"]["measurementHistory"]
    assert every["totalCount"] == 6 and every["pageInfo"]["hasPreviousPage"] is False
    entries = first["entries"]
    assert [n["body"] for n in entries["nodes"]] == ["two", "one"]  # newest first: the list's end is the oldest
    assert entries["totalCount"] == 3
    assert (entries["pageInfo"]["hasPreviousPage"], entries["pageInfo"]["hasNextPage"]) == (True, False)


async def test_the_old_lists_are_deprecated_naming_their_replacement():
    from schema.schema import schema

    account = schema._schema.type_map["Account"].fields["ledger"]
    measurements = schema._schema.type_map["Dossier"].fields["measurements"]
    assert "`ledgerLines`" in account.deprecation_reason
    assert "`measurementHistory`" in measurements.deprecation_reason


async def test_total_count_costs_a_point_and_last_is_priced_like_first(api):
    token, _ = await _forty_five(api)
    plain = await api("query { dossiers(last: 7) { nodes { id } } }", token=token, now=NOW)
    counted = await api("query { dossiers(last: 7) { totalCount nodes { id } } }", token=token, now=NOW)
    assert plain["extensions"]["cost"]["requested"] == 1 + 7 * 1  # the connection, then 7 × (node)
    assert counted["extensions"]["cost"]["requested"] == 1 + 7 * 1 + 1  # counted once, not per item
    nested = await api("query { dossiers(last: 7) { nodes { entries(first: 3) { totalCount } } } }",
                       token=token, now=NOW)
    # 7 × (the node, and its entries connection with one count) — the count once per dossier
    assert nested["extensions"]["cost"]["requested"] == 1 + 7 * (1 + (1 + 1))


ACCOUNT_LISTS = """query($last: Int, $before: String) { account {
  auditLog(last: $last, before: $before) { totalCount nodes { id } pageInfo { hasPreviousPage startCursor } }
  ledgerLines(last: $last, before: $before) { totalCount nodes { id } pageInfo { hasPreviousPage startCursor } }
  everything: auditLog(first: 100) { nodes { id } }
  lines: ledgerLines(first: 100) { nodes { id } } } }"""


async def test_the_audit_log_and_the_ledger_page_backwards_like_every_connection(api):
    owner = await practice(api, now=NOW)
    for name in ("One", "Two", "Three"):
        await create_ok(api, owner.token, name, now=NOW)
    first = (await api.data(ACCOUNT_LISTS, {"last": 1}, token=owner.token, now=NOW))["account"]
    for field, everything in (("auditLog", "everything"), ("ledgerLines", "lines")):
        whole = [n["id"] for n in first[everything]["nodes"]]
        assert first[field]["totalCount"] == len(whole) >= 1
        seen, before = [], None
        while True:
            page = (await api.data(ACCOUNT_LISTS, {"last": 1, "before": before}, token=owner.token,
                                   now=NOW))["account"][field]
            seen = [n["id"] for n in page["nodes"]] + seen
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            before = page["pageInfo"]["startCursor"]
        assert seen == whole, field


async def test_reading_the_measurement_history_is_a_read_of_content_for_the_access_log(api):
    """SPEC P2: the new list is content like the old one; a stranger sees no dossier."""
    from domain.dossiers.models import DossierRead
    from tests.support.dossiers import record

    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Logged", now=NOW)
    await record(api, owner.token, dossier_id)
    await DossierRead.all().delete()
    query = "query($id: ID!) { dossier(id: $id) { measurementHistory { totalCount nodes { value } } } }"
    body = await api.data(query, {"id": dossier_id}, token=owner.token, now=NOW)
    assert body["dossier"]["measurementHistory"]["totalCount"] == 1
    assert await DossierRead.all().count() == 1
    stranger = await practice(api, now=NOW)
    assert (await api.data(query, {"id": dossier_id}, token=stranger.token, now=NOW))["dossier"] is None


def test_every_connection_pages_both_ways_and_counts():
    """API.md: every connection takes `last`/`before` and answers `totalCount` and `nodes` —
    a connection added later (built with `Connection.of`, schema/relay.py) included."""
    from graphql import GraphQLNonNull, GraphQLObjectType

    from schema.schema import build_schema

    schema = build_schema()._schema
    found = []
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            named = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if getattr(named, "name", "").endswith("Connection"):
                found.append(f"{type_.name}.{name}")
                assert {"first", "after", "last", "before"} <= set(field.args), f"{type_.name}.{name}"
                assert {"edges", "nodes", "pageInfo", "totalCount"} <= set(named.fields), named.name
    assert len(found) >= 8, found
